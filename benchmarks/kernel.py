"""The bare GN kernel (`jax.jit` of `link(s).gsnr`, closed form, modulation correction on, 20 spans):
time forward and gradient, fused XLA kernels, compile time; side by side with XLRON's fused
`isrs_gn_model_uniform` when `xlron` is importable. Run `python benchmarks/kernel.py [--x64]`."""

import re
import sys
import time

import equinox as eqx
import jax

jax.config.update("jax_enable_x64", "--x64" in sys.argv)
import jax.numpy as jnp  # noqa: E402
from scipy.constants import h  # noqa: E402

import optnet as on  # noqa: E402
from dispatch import best_interleaved, best_of  # noqa: E402  (benchmarks/ is on the path when run as a script)

try:
    from xlron.environments.gn_model.isrs_gn_model import isrs_gn_model_uniform
except ImportError:  # XLRON is optional
    isrs_gn_model_uniform = None


def fusions(jitted, *args):
    text = jitted.lower(*args).compile().as_text()
    return len(re.findall(r"= \S+ fusion\(", text[text.index("ENTRY"):]))


def compile_time(fn, *args):
    t0 = time.perf_counter()
    jax.jit(lambda *a: fn(*a)).lower(*args).compile()  # a fresh function: no cache hit
    return time.perf_counter() - t0


def main():
    dtype = "float64" if jax.config.jax_enable_x64 else "float32"
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, {dtype}; XLRON {'found' if isrs_gn_model_uniform else 'not installed'}")
    for n in (80, 400):
        spacing = 50e9 if n <= 100 else 25e9
        fibre = on.Fibre.from_datasheet(100.0)
        link = on.GNLink.uniform(fibre, 20)
        s = on.Spectrum.uniform(n, spacing, symbol_rate=0.9 * spacing, power_dbm=0.0, modulation="16QAM")
        reps = 200 if n <= 100 else 20
        forward = jax.jit(lambda l, x: l(x).gsnr)
        # the gradient with respect to the launch powers only, as XLRON's below
        gradient = jax.jit(jax.grad(lambda l, x, p: jnp.sum(jnp.log2(1 + l(eqx.tree_at(lambda s: s.power, x, p)).gsnr)), argnums=2))
        row = dict(
            fwd=best_of(forward, link, s, reps=reps),
            grad=best_of(gradient, link, s, s.power, reps=reps),
            fusions=fusions(forward, link, s),
            compile=compile_time(lambda l, x: l(x).gsnr, link, s),
        )
        print(f"{n:4d} ch optnet: forward {row['fwd']:.3f} ms, gradient {row['grad']:.3f} ms, "
              f"{row['fusions']} fusions, compile {row['compile']:.2f} s")
        if isrs_gn_model_uniform is None:
            continue
        f, b = s.frequency, s.symbol_rate
        a = jnp.broadcast_to(fibre.alpha(f), (n,))
        gain = jnp.exp(a * fibre.length)

        def xlron(p):
            nli, *_ = isrs_gn_model_uniform(
                num_channels=n, num_spans=20, length=float(fibre.length), attenuation_i=a, attenuation_bar_i=a,
                ch_power_W_i=p, nonlinear_coeff=float(fibre.gamma), ch_centre_i=f - fibre.ref_frequency,
                ch_bandwidth_i=b, raman_gain_slope_i=jnp.full(n, 2.8e-17), coherent=True,
                excess_kurtosis_i=s.excess_kurtosis, mod_format_correction=True)
            return p / (20 * 10**0.5 * h * f * b * (gain - 1) + nli)

        xf, xg = jax.jit(xlron), jax.jit(jax.grad(lambda p: jnp.sum(jnp.log2(1 + xlron(p)))))
        row["fwd"], row["grad"], tf, tg = best_interleaved(
            (forward, link, s), (gradient, link, s, s.power), (xf, s.power), (xg, s.power), reps=reps)
        print(f"{n:4d} ch XLRON:  forward {tf:.3f} ms, gradient {tg:.3f} ms, {fusions(xf, s.power)} fusions, "
              f"compile {compile_time(xlron, s.power):.2f} s -> optnet/XLRON forward {row['fwd'] / tf:.2f}, "
              f"gradient {row['grad'] / tg:.2f}")


if __name__ == "__main__":
    main()
