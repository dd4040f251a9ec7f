"""float32: values and gradients of GSNR and throughput are finite and within 1e-3 of float64 on a
200-channel C+L link (20 x 80 km) and a 251-channel 10 THz link (a 40.005 GHz grid of 40.004 GBd
channels, which float32 absolute frequencies resolve only to about 16 MHz)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _setup(case):
    import optnet as on

    if case == "cl_200ch_20x80km":
        link = on.GNLink.uniform(on.Fibre.from_datasheet(80.0), 20, amplifier=on.Edfa.from_db(5.0),
                                 transceiver=on.Transceiver.from_db(30.0))
        s = on.Spectrum.uniform(200, 50e9, centre=191.0e12, symbol_rate=45e9, power_dbm=1.0, modulation="16QAM")
    else:
        link = on.GNLink.uniform(on.Fibre.from_datasheet(100.0), 5)
        s = on.Spectrum.uniform(251, 40.005e9, symbol_rate=40.004e9, power_dbm=2.0, modulation="QPSK")
    return link, s


def _everything(case):
    """GSNR, throughput, and the gradients of their sums w.r.t. powers, frequencies, symbol rates,
    span length, attenuation, gamma, beta2, beta3, Raman slope and NF, as float64 numpy arrays (one
    compilation: the Jacobian of the two objectives)."""
    link, s = _setup(case)

    def objectives(l, x):
        r = l(x)
        values = jnp.stack([jnp.sum(10 * jnp.log10(r.gsnr)), jnp.sum(r.throughput()) / 1e12])
        return values, (r.gsnr, r.throughput())

    (gl, gs), (gsnr, thr) = jax.jit(jax.jacrev(objectives, argnums=(0, 1), has_aux=True))(link, s)
    out = {"gsnr": gsnr, "throughput": thr}
    for row, name in enumerate(("gsnr_db", "throughput")):
        f = gl.spans.fibre
        wrt = {"power": gs.power, "frequency": gs.frequency, "symbol_rate": gs.symbol_rate, "length": f.length,
               "attenuation": f.attenuation, "gamma": f.gamma, "beta2": f.beta2, "beta3": f.beta3_thz,
               "raman_slope": f.raman.slope, "noise_figure": gl.spans.amplifier.noise_figure}
        out.update({f"d{name}/d{k}": v[row] for k, v in wrt.items()})
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


@pytest.fixture(scope="module", params=["cl_200ch_20x80km", pytest.param("10thz_251ch", marks=pytest.mark.slow)])
def both(request):
    with jax.enable_x64(False):
        single = _everything(request.param)
    return single, _everything(request.param)


def test_float32_values_and_gradients_match_float64(both):
    single, double = both
    assert set(single) == set(double) and len(single) == 22
    for k in double:
        assert np.all(np.isfinite(single[k])), k
        scale = np.max(np.abs(double[k]))
        assert scale > 0, k  # every gradient is really exercised
        assert np.max(np.abs(single[k] - double[k])) <= 1e-3 * scale, k


def test_float32_overlap_check_accepts_a_grid_that_fits():
    import optnet as on

    with jax.enable_x64(False):
        s = on.Spectrum.uniform(251, 40.005e9, symbol_rate=40.004e9)
        assert s.frequency.dtype == jnp.float32
        jax.block_until_ready(jax.jit(lambda x: x.checked().frequency)(s))
        with pytest.raises(ValueError, match="overlap"):
            on.Spectrum.uniform(251, 40.005e9, symbol_rate=40.2e9)
