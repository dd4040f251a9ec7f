"""Raman pump optimisation on the scenario XLRON reports (5 backward pumps, C+L 90 x 100 GHz).

Run `python examples/pump_optimisation.py` (add `--fast` for a 2-step, 16-channel smoke run).
"""

import sys
import time

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import optnet as on  # noqa: E402

import optnet.scenarios as osc  # noqa: E402


def main(steps: int = 30, n_channels: int = 90, n_spans: int = 47):
    """47 spans reproduce XLRON's starting throughput (70.2 Tb/s); the total pump power is held at its
    initial 701 mW, so Adam redistributes power between the pumps."""
    link, spectrum = osc.xlron_pump_scenario(n_channels, n_spans)
    budget = float(jnp.sum(link.spans.backward.power))
    t0 = time.perf_counter()
    res = on.optimise_pumps(link, spectrum, steps=steps, total_power=budget, optimiser=optax.adam(0.2))
    wall = time.perf_counter() - t0
    print(f"throughput {float(res.history[0]):.2f} -> {float(res.history[-1]):.2f} Tb/s in {steps} Adam steps, "
          f"{wall:.1f} s including compile")
    print("pump powers [mW]:", jnp.round(res.backward_power * 1e3, 1))
    return res, wall


if __name__ == "__main__":
    main(steps=2, n_channels=12, n_spans=2) if "--fast" in sys.argv else main()
