"""Optimise per-channel launch powers of a 20-span C+L link for Shannon throughput with optax.

Run `python examples/launch_power_optimisation.py` (add `--fast` for a 3-step smoke run).
"""

import sys

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

jax.config.update("jax_enable_x64", True)
import optnet as on  # noqa: E402


def main(steps: int = 100, n_channels: int = 120):
    fibre = on.Fibre.from_datasheet(80.0, raman_slope_per_w_km_thz=0.028)
    link = on.GNLink.uniform(fibre, 20, amplifier=on.Edfa.from_db(5.5), transceiver=on.Transceiver.from_db(22.0))
    spectrum = on.Spectrum.uniform(n_channels, 75e9, centre=192.5e12, symbol_rate=64e9, power_dbm=0.0)

    def throughput(p_dbm):
        s = eqx.tree_at(lambda s: s.power, spectrum, on.dbm_to_watt(p_dbm))
        return jnp.sum(link(s).throughput(fec_overhead=0.15)) / 1e12

    res = on.maximise(throughput, jnp.zeros(n_channels), optax.adam(0.1), steps=steps)
    start, end, p = float(res.history[0]), float(res.history[-1]), res.value
    print(f"throughput {start:.3f} -> {end:.3f} Tb/s; launch power {float(p.min()):.2f}..{float(p.max()):.2f} dBm")
    return start, end


if __name__ == "__main__":
    main(steps=3, n_channels=16) if "--fast" in sys.argv else main()
