"""IncoherentGN (Poggiolini's closed form, as GNPy's gn_model_analytic) against the numerical GN
integral, its zero-dispersion limit and its gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest


@pytest.fixture(scope="module")
def setting():
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0, dispersion_ps_nm_km=17.0, raman_slope_per_w_km_thz=0.0, gamma_per_w_km=1.3)
    spectrum = on.Spectrum.uniform(9, 50e9, centre=193.5e12, symbol_rate=32e9, power_dbm=0.0, roll_off=0.0)
    return fibre, spectrum


def test_matches_the_numerical_gn_integral(setting):
    import optnet as on

    fibre, spectrum = setting
    snr = {}
    for name, nli in (("closed", on.IncoherentGN()), ("numerical", on.NumericalGN(coherent=False, modulation_correction=False))):
        r = on.GNLink.uniform(fibre, 2, nli=nli)(spectrum)
        snr[name] = -10 * np.log10(np.asarray(r.nsr_nli[-1]))
    # the closed form's asinh approximations of the GN integral (L >> 1/alpha): within 0.1 dB here
    assert np.max(np.abs(snr["closed"] - snr["numerical"])) < 0.1
    # incoherent accumulation: two spans give 3.01 dB less than one
    one = -10 * np.log10(np.asarray(on.GNLink.uniform(fibre, 1, nli=on.IncoherentGN())(spectrum).nsr_nli[-1]))
    assert np.allclose(one - snr["closed"], 10 * np.log10(2), atol=1e-9)


def test_zero_dispersion_and_gradients(setting):
    import equinox as eqx

    import optnet as on

    fibre, spectrum = setting
    flat = eqx.tree_at(lambda f: f.beta2, fibre, jnp.asarray(0.0))
    link = on.GNLink.uniform(flat, 1, nli=on.IncoherentGN())
    assert np.all(np.isfinite(np.asarray(link(spectrum).nsr_nli)))

    def mean_nsr(p):
        s = eqx.tree_at(lambda s: s.power, spectrum, p)
        return jnp.mean(on.GNLink.uniform(fibre, 1, nli=on.IncoherentGN())(s).nsr_nli[-1])

    p = spectrum.power
    g = jax.grad(mean_nsr)(p)
    h = 1e-7 * p[0]
    fd = (mean_nsr(p.at[4].add(h)) - mean_nsr(p.at[4].add(-h))) / (2 * h)
    assert float(g[4]) == pytest.approx(float(fd), rel=1e-6)


def test_gamma_of_the_channel_of_interest(setting):
    """Eq. (120) as GNPy evaluates it: with gamma varying across the band (a tabulated effective
    area), every pair takes the channel of interest's gamma(f_i), so the NLI scales as gamma(f_i)^2."""
    import optnet as on

    fibre, spectrum = setting
    f = np.linspace(150e12, 250e12, 11)
    varying = on.Fibre.from_datasheet(80.0, dispersion_ps_nm_km=17.0, raman_slope_per_w_km_thz=0.0,
                                      effective_area_um2=80.0 - 0.2 * (f - 193.5e12) / 1e12, effective_area_frequency=f)
    nsr = {name: np.asarray(on.GNLink.uniform(x, 1, nli=on.IncoherentGN())(spectrum).nsr_nli[-1])
           for name, x in (("varying", varying), ("flat", fibre))}
    gamma = np.asarray(varying.gamma_at(spectrum.frequency))
    np.testing.assert_allclose(nsr["varying"] / nsr["flat"], (gamma / 1.3e-3) ** 2, rtol=1e-9)
