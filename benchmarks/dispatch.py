"""What users call against the bare jitted kernel (`jax.jit` of `link(s).gsnr`, which XLA prunes to
what GSNR needs): an eager `link(spectrum)` (which returns the whole per-span budget), a gradient and
a 64-scenario batch through Equinox's transforms; 80 and 400 channels x 20 spans, closed form,
modulation-format correction on. Run `python benchmarks/dispatch.py [--x64]`."""

import sys
import time

import jax

jax.config.update("jax_enable_x64", "--x64" in sys.argv)
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402

import optnet as on  # noqa: E402


def best_of(fn, *args, reps: int) -> float:
    jax.block_until_ready(fn(*args))
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            jax.block_until_ready(fn(*args))
        best = min(best, (time.perf_counter() - t0) / reps)
    return 1e3 * best


def best_interleaved(*calls, reps: int, rounds: int = 5) -> list[float]:
    """`best_of` each `(fn, *args)` in `calls`, in interleaved rounds (a busy machine slows them
    alike); the best of the rounds for each, ms."""
    times = [[best_of(fn, *args, reps=reps) for fn, *args in calls] for _ in range(rounds)]
    return [min(column) for column in zip(*times)]


def main():
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, {'float64' if jax.config.jax_enable_x64 else 'float32'}")
    print(f"{'channels':>8} {'what':>38} {'public [ms]':>12} {'kernel [ms]':>12} {'ratio':>6}")
    for n in (80, 400):
        spacing = 50e9 if n <= 100 else 25e9
        link = on.GNLink.uniform(on.Fibre.from_datasheet(100.0), 20)
        s = on.Spectrum.uniform(n, spacing, symbol_rate=0.9 * spacing, power_dbm=0.0, modulation="16QAM")
        reps = 200 if n <= 100 else 20
        kernel = jax.jit(lambda l, x: l(x).gsnr)
        kernel_grad = jax.jit(jax.grad(lambda l, x: jnp.sum(l(x).throughput()), argnums=1))
        batch = jax.tree.map(lambda v: jnp.broadcast_to(v, (64,) + v.shape) * jnp.linspace(0.9, 1.1, 64).reshape((64,) + (1,) * v.ndim) if v is s.power else jnp.broadcast_to(v, (64,) + v.shape), s)
        kernel_batch = jax.jit(jax.vmap(lambda l, x: l(x).gsnr, in_axes=(None, 0)))
        # the public patterns: an eager call, and the Equinox transforms of a user's function
        public_grad = eqx.filter_jit(eqx.filter_grad(lambda x: jnp.sum(link(x).throughput())))
        public_batch = eqx.filter_jit(eqx.filter_vmap(lambda x: link(x).gsnr))
        rows = [
            ("forward: link(s)", lambda: link(s).gsnr, lambda: kernel(link, s)),
            ("gradient: filter_jit(filter_grad)", lambda: public_grad(s).power, lambda: kernel_grad(link, s).power),
            ("64 scenarios: filter_jit(filter_vmap)", lambda: public_batch(batch), lambda: kernel_batch(link, batch)),
        ]
        for name, public, bare in rows:
            tp, tk = best_interleaved((public,), (bare,), reps=reps)
            print(f"{n:>8} {name:>38} {tp:>12.3f} {tk:>12.3f} {tp / tk:>6.2f}")


if __name__ == "__main__":
    main()
