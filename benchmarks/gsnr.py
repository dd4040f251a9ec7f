"""Forward, gradient and compile time of the closed-form ISRS GN link (80/400 ch x 20 spans,
float32/float64). Prints a table; run `python benchmarks/gsnr.py` (each dtype in a subprocess)."""

import json
import subprocess
import sys
import time


def measure(n_channels: int, n_spans: int, reps: int = 50, per_span: bool = False) -> dict:
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    import optnet as on

    spacing = 50e9 if n_channels <= 100 else 25e9
    link = on.GNLink.uniform(on.Fibre.from_datasheet(100.0), n_spans)
    spectrum = on.Spectrum.uniform(n_channels, spacing, symbol_rate=0.9 * spacing, power_dbm=0.0)
    if per_span:  # a different launch profile into every span: the general (vmapped) path
        tilt = jnp.linspace(0.8, 1.2, n_spans)[:, None]
        spectrum = eqx.tree_at(lambda s: s.power, spectrum, tilt * spectrum.power[None, :])

    @jax.jit
    def forward(p):
        return link(eqx.tree_at(lambda s: s.power, spectrum, p)).gsnr

    @jax.jit
    def grad(p):
        return jax.grad(lambda p: jnp.mean(link(eqx.tree_at(lambda s: s.power, spectrum, p)).gsnr_db))(p)

    out = {"channels": n_channels, "spans": n_spans, "dtype": str(spectrum.power.dtype),
           "path": "per-span P" if per_span else "uniform"}
    for name, fn in (("forward", forward), ("grad", grad)):
        p = spectrum.power
        t0 = time.perf_counter()
        jax.block_until_ready(fn(p))
        out[f"{name}_compile_s"] = time.perf_counter() - t0
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                jax.block_until_ready(fn(p))
            best = min(best, (time.perf_counter() - t0) / reps)
        out[f"{name}_ms"] = 1e3 * best
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        import jax

        jax.config.update("jax_enable_x64", sys.argv[2] == "64")
        rows = [measure(n, 20, reps=50 if n <= 100 else 10, per_span=ps) for ps in (False, True) for n in (80, 400)]
        print(json.dumps(rows))
        return
    rows = []
    for bits in ("32", "64"):
        res = subprocess.run([sys.executable, __file__, "--child", bits], capture_output=True, text=True, check=True)
        rows += json.loads(res.stdout.strip().splitlines()[-1])
    import jax

    print(f"optnet GSNR benchmark  (jax {jax.__version__}, {jax.devices()[0].platform}, closed-form ISRS GN)")
    print(f"{'path':>11} {'channels':>8} {'spans':>5} {'dtype':>8} {'fwd [ms]':>9} {'grad [ms]':>9} {'fwd compile [s]':>16} {'grad compile [s]':>17}")
    for r in rows:
        print(f"{r['path']:>11} {r['channels']:>8} {r['spans']:>5} {r['dtype']:>8} {r['forward_ms']:>9.3f} {r['grad_ms']:>9.3f} "
              f"{r['forward_compile_s']:>16.2f} {r['grad_compile_s']:>17.2f}")


if __name__ == "__main__":
    main()
