"""Accuracy and speed of `NumericalGN` against its grid: max |eta error| (dB) over channels relative
to a fine grid (n_z = 128, n_nu = 192), and the time per span, for a standard span, a 10 THz
spectrum, a short access span and a low-dispersion fibre: the error table the defaults
(n_z = n_nu = 16) are chosen from. The last column is the speed-up of the default over the former
default grid (64 x 48), which was 64x faster than GNPy's GGN on the first case (issue 8): times
64 it estimates the default's speed-up over GNPy (gnpy is not installed here).
Run `python benchmarks/numerical_grid.py`."""

import time

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402

import optnet as on  # noqa: E402


def cases():
    ssmf = on.Fibre.from_datasheet(100.0)
    yield "1 span 64 x 50 GHz, 2 dBm (ISRS)", ssmf, on.Spectrum.uniform(64, 50e9, symbol_rate=45e9, power_dbm=2.0)
    yield "251 x 40 GHz over 10 THz, 2 dBm", ssmf, on.Spectrum.uniform(251, 40.005e9, symbol_rate=40.004e9, power_dbm=2.0)
    yield "5 km access span, 16 x 100 GHz", on.Fibre.from_datasheet(5.0), on.Spectrum.uniform(16, 100e9, symbol_rate=90e9, power_dbm=3.0)
    dsf = on.Fibre.from_datasheet(80.0, dispersion_ps_nm_km=2.0)
    yield "NZ-DSF (D = 2 ps/nm/km), 32 x 50 GHz", dsf, on.Spectrum.uniform(32, 50e9, symbol_rate=45e9, power_dbm=0.0)


def eta(model, fibre, s):
    nli = jax.jit(lambda m, x: m.span(on.IsrsProfile(fibre, x.power, x.frequency), x))
    out = nli(model, s)
    value = out.spm + out.xpm / s.power**2
    jax.block_until_ready(value)
    t0 = time.perf_counter()
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        jax.block_until_ready(nli(model, s).spm)
        best = min(best, time.perf_counter() - t0)
    return np.asarray(value), best


def main():
    grids = [(8, 8), (8, 16), (16, 16), (32, 32), (64, 48)]
    default = on.NumericalGN()
    print(f"default n_z = {default.n_z}, n_nu = {default.n_nu}")
    print(f"{'case':>38} " + " ".join(f"{f'{z}x{n}':>17}" for z, n in grids) + "  default vs 64x48")
    for name, fibre, s in cases():
        ref, _ = eta(on.NumericalGN(n_z=128, n_nu=192), fibre, s)
        cells, times = [], {}
        for z, n in grids:
            value, t = eta(on.NumericalGN(n_z=z, n_nu=n), fibre, s)
            times[z, n] = t
            err = float(np.max(np.abs(10 * np.log10(value / ref))))
            cells.append(f"{err:7.4f} dB {1e3 * t:6.1f}ms")
        speedup = times[64, 48] / times[default.n_z, default.n_nu]
        print(f"{name:>38} " + " ".join(f"{c:>17}" for c in cells) + f"  {speedup:5.1f}x (GNPy: ~{64 * speedup:.0f}x)")


if __name__ == "__main__":
    main()
