"""Raman benchmarks: BVP + profile time and compile time (96 ch + 3 backward pumps, 100 km), the BVP
residual's adjoint options, pump-optimisation wall time (30 Adam steps incl. compile), and the cosine
similarity between the surrogate (stop-gradient fit) and exact pump gradients of throughput.

Run `python benchmarks/raman.py` (about 5 minutes on 2 cores)."""

import time

import jax

jax.config.update("jax_enable_x64", True)
import diffrax  # noqa: E402
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

import optnet as on  # noqa: E402

import optnet.scenarios as osc  # noqa: E402


def _time(fn, *args, reps=10):
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*args))
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            jax.block_until_ready(fn(*args))
        best = min(best, (time.perf_counter() - t0) / reps)
    return compile_s, best


def _case_96ch_3pumps():
    """96 channels (50 GHz), 3 backward pumps, 100 km SSMF: the issue's benchmark case."""
    fibre = on.Fibre.from_datasheet(100.0)
    s = on.Spectrum.uniform(96, 50e9, centre=193.4e12, symbol_rate=45e9, power_dbm=0.0)
    return fibre, s, on.Pumps([203.5e12, 205.0e12, 206.5e12], [0.2, 0.15, 0.15])


def solve_benchmark():
    print("== BVP + profile: 96 channels (50 GHz), 3 backward pumps, 100 km SSMF ==")
    fibre, s, pumps = _case_96ch_3pumps()
    for name, solver in (("Newton (optimistix, implicit)", on.NewtonBVP()), ("TNC fallback (scipy, IFT vjp)", on.TNCBVP())):
        span = on.RamanSpan(fibre, on.Pumps(), pumps, bvp_solver=solver)
        c, t = _time(lambda sp: sp.solve(s.frequency, s.power).signal, span, reps=5)
        g = eqx.filter_jit(jax.grad(lambda p: jnp.sum(jnp.log(eqx.tree_at(lambda x: x.backward.power, span, p).solve(s.frequency, s.power).net_gain))))
        cg, tg = _time(g, pumps.power, reps=5)
        print(f"  {name:32s} solve {1e3 * t:7.1f} ms (compile {c:4.1f} s)   gradient {1e3 * tg:7.1f} ms (compile {cg:4.1f} s)")


def adjoint_options():
    print("== BVP residual adjoint (Newton needs forward mode, ImplicitAdjoint reverse mode) ==")
    fibre, s, pumps = _case_96ch_3pumps()
    for name, adj in (("DirectAdjoint (fwd + rev)", diffrax.DirectAdjoint()), ("ForwardMode (fwd only)", diffrax.ForwardMode())):
        span = on.RamanSpan(fibre, on.Pumps(), pumps, bvp_adjoint=adj)
        f = eqx.filter_jit(lambda sp: sp.solve(s.frequency, s.power).signal)
        c, t = _time(f, span, reps=5)
        dyn, static = eqx.partition(span, eqx.is_array)
        compiled = jax.jit(lambda d: eqx.combine(d, static).solve(s.frequency, s.power).signal).lower(dyn).compile()
        mem = compiled.memory_analysis()
        temp = getattr(mem, "temp_size_in_bytes", float("nan")) / 2**20
        try:
            jax.block_until_ready(jax.grad(lambda p: jnp.sum(eqx.tree_at(lambda x: x.backward.power, span, p).solve(s.frequency, s.power).net_gain))(pumps.power))
            grad = "gradient ok"
        except Exception as e:  # noqa: BLE001
            grad = f"gradient fails ({type(e).__name__})"
        print(f"  {name:28s} forward {1e3 * t:7.1f} ms, compile {c:4.1f} s, XLA temp memory {temp:6.1f} MiB, {grad}")


def optimisation_benchmark():
    print("== Pump optimisation, XLRON scenario (90 ch C+L, 5 backward pumps, 47 x 100 km), 30 Adam steps ==")
    link, s = osc.xlron_pump_scenario()
    budget = float(jnp.sum(link.span.backward.power))
    t0 = time.perf_counter()
    res = on.optimise_pumps(link, s, steps=30, total_power=budget, optimiser=optax.adam(0.2))
    wall = time.perf_counter() - t0
    print(f"  budget {budget * 1e3:.0f} mW: {float(res.history[0]):.2f} -> {float(res.history[-1]):.2f} Tb/s, "
          f"wall {wall:.1f} s including compile")


def gradient_agreement():
    print("== Surrogate (ModeSumGN, fit stop-gradiented) vs exact (NumericalGN on the ODE profile) d throughput/d pumps ==")
    scenarios = {
        "C-band 16 ch, 2 bw pumps, 80 km, 4 dBm": (16, 250e9, 193.4e12, 4.0, 80.0, [205e12, 206.5e12], [0.15, 0.2], 5),
        "C-band 16 ch, 2 bw pumps, 100 km, 0 dBm": (16, 250e9, 193.4e12, 0.0, 100.0, [205e12, 206.5e12], [0.3, 0.3], 5),
        "C+L 24 ch, 4 bw pumps, 100 km, 2 dBm": (24, 375e9, 190.5e12, 2.0, 100.0, [201e12, 203e12, 205e12, 207e12], [0.2, 0.15, 0.1, 0.1], 10),
        "C-band 16 ch, 1 bw pump, 60 km, 6 dBm": (16, 250e9, 193.4e12, 6.0, 60.0, [205.5e12], [0.4], 3),
    }
    for name, (n, spacing, centre, pdbm, length, pf, pp, spans) in scenarios.items():
        fibre = on.Fibre.from_datasheet(length)
        s = on.Spectrum.uniform(n, spacing, centre=centre, symbol_rate=0.8 * spacing, power_dbm=pdbm)
        span = on.RamanSpan(fibre, on.Pumps(), on.Pumps(pf, pp), on.Edfa.from_db(5.0), n_z=61)
        grads = []
        for nli in (on.ModeSumGN(), on.NumericalGN(n_z=32, n_nu=32)):
            link = on.GNLink.uniform(span, spans, nli=nli)
            grads.append(jax.grad(lambda p: on.total_throughput_tbps(eqx.tree_at(lambda l: l.spans.backward.power, link, p), s))(span.backward.power))
        gs, ge = grads
        cos = float(jnp.dot(gs, ge) / (jnp.linalg.norm(gs) * jnp.linalg.norm(ge)))
        ratio = float(jnp.linalg.norm(gs) / jnp.linalg.norm(ge))
        print(f"  {name:42s} cosine {cos:.4f}   |surrogate|/|exact| {ratio:.3f}")


if __name__ == "__main__":
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    import sys

    if "--skip-solve" not in sys.argv:
        solve_benchmark()
    adjoint_options()
    optimisation_benchmark()
    gradient_agreement()
