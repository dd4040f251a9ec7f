"""Raman benchmarks (issue 12's figures): BVP + profile and pump-gradient times on the reference span
(96 ch at 50 GHz from 191.35 THz, 0 dBm, 3 backward pumps 208.5/206.0/203.5 THz at 200/100/150 mW,
100 km, measured SSMF gain), the 60-case robustness sweep, the BVP residual's adjoint options, the
exact-gradient cost on the 5-pump C+L scenario, pump-optimisation wall time (30 Adam steps incl.
compile), and the cosine between the surrogate and the exact pump gradients.

Run `python benchmarks/raman.py [--skip-sweep]` (about 8 minutes on 2 cores)."""

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


def _reference_span():
    """The issue's reference: 100 km, measured SSMF gain, 96 x 50 GHz from 191.35 THz at 0 dBm,
    backward pumps 208.5/206.0/203.5 THz at 200/100/150 mW."""
    from optnet.io import ssmf_raman_gain

    fibre = on.Fibre.from_datasheet(100.0, raman=ssmf_raman_gain())
    s = on.Spectrum(191.35e12 + 50e9 * jnp.arange(96), 45e9, 1e-3)
    return fibre, s, on.Pumps([208.5e12, 206.0e12, 203.5e12], [0.2, 0.1, 0.15])


def solve_benchmark():
    print("== BVP + profile and pump gradient: the reference span (measured gain, 96 ch, 3 backward pumps) ==")
    fibre, s, pumps = _reference_span()
    for name, solver in (("Newton (default, TNC fallback)", on.NewtonBVP()), ("TNC alone (scipy, IFT vjp)", on.TNCBVP())):
        span = on.RamanSpan(fibre, on.Pumps(), pumps, bvp_solver=solver)
        c, t = _time(lambda sp: sp.solve(s.frequency, s.power).signal, span, reps=5)
        g = eqx.filter_jit(jax.grad(lambda p: jnp.sum(jnp.log(eqx.tree_at(lambda x: x.backward.power, span, p).solve(s.frequency, s.power).net_gain))))
        cg, tg = _time(g, pumps.power, reps=5)
        print(f"  {name:38s} solve {1e3 * t:7.1f} ms (compile {c:4.1f} s)   gradient {1e3 * tg:7.1f} ms (compile {cg:4.1f} s)")


def sweep_benchmark():
    print("== Robustness sweep: 1/2/4/8 pumps at 203-211 THz, 10 mW-1 W each, 50/100/150 km, 96 ch, measured gain ==")
    from optnet.io import ssmf_raman_gain

    f = 191.35e12 + 50e9 * jnp.arange(96)
    run = eqx.filter_jit(lambda sp: sp.solve(f, jnp.full(96, 1e-3), throw=False).result._value)
    converged, worst = 0, 0.0
    for m in (1, 2, 4, 8):
        for p in (0.01, 0.03, 0.1, 0.3, 1.0):
            for length in (50.0, 100.0, 150.0):
                freqs = jnp.linspace(203e12, 211e12, m) if m > 1 else jnp.asarray([207e12])
                span = on.RamanSpan(on.Fibre.from_datasheet(length, raman=ssmf_raman_gain()), on.Pumps(), on.Pumps(freqs, jnp.full(m, p)))
                run(span)
                t0 = time.perf_counter()
                code = int(run(span))
                worst = max(worst, time.perf_counter() - t0)
                converged += code == on.RESULTS.successful._value
    print(f"  {converged} of 60 converge; slowest case {1e3 * worst:.0f} ms (post-compile)")


def cost_of_exact_gradient():
    print("== Exact vs surrogate gradient cost: 5-pump C+L scenario (90 ch, 47 x 100 km, ModeSumGN) ==")
    link, s = osc.xlron_pump_scenario()
    p0 = link.spans.backward.power
    for name, nli in (("exact (default)", on.ModeSumGN()), ("surrogate", on.ModeSumGN(surrogate_gradient=True))):
        lk = eqx.tree_at(lambda l: l.nli, link, nli)

        def thr(p, lk=lk):
            return on.total_throughput_tbps(eqx.tree_at(lambda x: x.spans.backward.power, lk, p), s)

        cf, tf = _time(jax.jit(thr), p0, reps=3)
        cg, tg = _time(jax.jit(jax.grad(thr)), p0, reps=3)
        print(f"  {name:16s} forward {1e3 * tf:6.0f} ms (compile {cf:4.1f} s)   gradient {1e3 * tg:6.0f} ms "
              f"(compile {cg:4.1f} s) = {tg / tf:.2f} x forward")


def adjoint_options():
    print("== BVP adjoint (`bvp_adjoint`: Newton's Jacobian and the implicit gradient's pump directions need forward mode; its one reverse pass uses `adjoint`) ==")
    fibre, s, pumps = _reference_span()
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
    budget = float(jnp.sum(link.spans.backward.power))
    t0 = time.perf_counter()
    res = on.optimise_pumps(link, s, steps=30, total_power=budget, optimiser=optax.adam(0.2))
    wall = time.perf_counter() - t0
    print(f"  budget {budget * 1e3:.0f} mW: {float(res.history[0]):.2f} -> {float(res.history[-1]):.2f} Tb/s, "
          f"wall {wall:.1f} s including compile")


def gradient_agreement():
    print("== d throughput/d pumps: surrogate (modes stop-gradiented) and exact ModeSumGN against NumericalGN ==")
    scenarios = {
        "C-band 16 ch, 2 bw pumps, 80 km, 4 dBm": (16, 250e9, 193.4e12, 4.0, 80.0, [205e12, 206.5e12], [0.15, 0.2], 5),
        "C-band 16 ch, 2 bw pumps, 100 km, 0 dBm": (16, 250e9, 193.4e12, 0.0, 100.0, [205e12, 206.5e12], [0.3, 0.3], 5),
        "C+L 24 ch, 4 bw pumps, 100 km, 2 dBm": (24, 375e9, 190.5e12, 2.0, 100.0, [201e12, 203e12, 205e12, 207e12], [0.2, 0.15, 0.1, 0.1], 10),
        "C-band 16 ch, 1 bw pump, 60 km, 6 dBm": (16, 250e9, 193.4e12, 6.0, 60.0, [205.5e12], [0.4], 3),
    }
    cases = []
    for name, (n, spacing, centre, pdbm, length, pf, pp, spans) in scenarios.items():
        fibre = on.Fibre.from_datasheet(length)
        s = on.Spectrum.uniform(n, spacing, centre=centre, symbol_rate=0.8 * spacing, power_dbm=pdbm)
        cases.append((name, on.RamanSpan(fibre, on.Pumps(), on.Pumps(pf, pp), on.Edfa.from_db(5.0), n_z=61), s, spans))
    fibre, s, pumps = _reference_span()
    s = on.Spectrum(s.frequency[::6], 45e9, 1e-3)  # 16 of its channels: NumericalGN's cost
    cases.append(("reference span (16 of 96 ch), 10 spans", on.RamanSpan(fibre, on.Pumps(), pumps, on.Edfa.from_db(5.0), n_z=61), s, 10))

    def cosine(a, b):
        return float(jnp.dot(a, b) / (jnp.linalg.norm(a) * jnp.linalg.norm(b))), float(jnp.linalg.norm(a) / jnp.linalg.norm(b))

    for name, span, s, spans in cases:
        grads = []
        for nli in (on.ModeSumGN(surrogate_gradient=True), on.ModeSumGN(), on.NumericalGN(n_z=32, n_nu=32)):
            link = on.GNLink.uniform(span, spans, nli=nli)
            grads.append(jax.grad(lambda p: on.total_throughput_tbps(eqx.tree_at(lambda l: l.spans.backward.power, link, p), s))(span.backward.power))
        gs, gm, ge = grads
        print(f"  {name:42s} surrogate: cosine {cosine(gs, ge)[0]:+.4f} |ratio| {cosine(gs, ge)[1]:.3f}   "
              f"exact ModeSumGN: cosine {cosine(gm, ge)[0]:+.6f} |ratio| {cosine(gm, ge)[1]:.4f}")


if __name__ == "__main__":
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    import sys

    if "--skip-solve" not in sys.argv:
        solve_benchmark()
    if "--skip-sweep" not in sys.argv:
        sweep_benchmark()
    cost_of_exact_gradient()
    adjoint_options()
    optimisation_benchmark()
    gradient_agreement()
