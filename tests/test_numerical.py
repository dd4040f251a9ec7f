"""The numerical ISRS GN integral: against the closed form where that is exact, the reference
numerics, and an independent Parseval evaluation."""

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.signal import fftconvolve

from helpers import build, load_cases

META, CASES = load_cases()
db = lambda x: 10 * np.log10(np.asarray(x))  # noqa: E731


@pytest.fixture(scope="module")
def fig5a_numeric():
    import optnet as on

    case = CASES["semrau2019_fig5a_2dBm"]
    exact = build(case, nli=on.NumericalGN())
    # finer than the default grid: the test is the formula's exactness (< 0.01 dB), not the grid's
    lin = build(case, nli=on.NumericalGN(n_z=24, n_nu=32, linearised_profile=True))
    cf = build(case)
    return exact[0](exact[1]), lin[0](lin[1]), cf[0](cf[1]), exact


def test_numeric_vs_reference_accuracy_rows(fig5a_numeric):
    """`accuracy_closed_form_vs_numeric_fig5a_2dBm`: the closed form's expected deviation from the
    numerical integral (10.4 dB tilt) is reproduced."""
    r, rl, rc, _ = fig5a_numeric
    for row in CASES["accuracy_closed_form_vs_numeric_fig5a_2dBm"]["outputs"]["rows"]:
        i = row["channel_index"]
        assert abs(db(rc.eta_spm_span[0][i]) - row["closed_form_eta_spm_dB"]) < 1e-4
        assert abs(db(rc.eta[i]) - row["closed_form_eta_dB"]) < 1e-4
        assert abs(db(r.eta_spm_span[0][i]) - row["numeric_eta_spm_exact_profile_hexagon_dB"]) < 0.015
        assert abs(db(rl.eta_spm_span[0][i]) - row["numeric_eta_spm_linearised_profile_hexagon_dB"]) < 0.015
        if i != 250:  # see test_numeric_xpm_matches_parseval for channel 250
            assert abs(db(r.nsr_xpm_span[0][i] / r.power[i] ** 2) - row["numeric_eta_xpm_exact_profile_dB"]) < 0.05
            assert abs(db(r.eta[i]) - row["numeric_eta_exact_profile_dB"]) < 0.05


def test_numeric_xpm_linearised_equals_closed_form(fig5a_numeric):
    """For the linearised profile the closed-form XPM is exact (up to L -> inf): < 0.01 dB everywhere."""
    _, rl, rc, _ = fig5a_numeric
    assert np.max(np.abs(db(rl.nsr_xpm_span[0]) - db(rc.nsr_xpm_span[0]))) < 0.01


def _xpm_parseval(rho, z, c, b):
    """int_{-B/2}^{B/2} |int rho e^{j c nu z} dz|^2 dnu = int int rho rho' 2 sin(c B u/2)/(c u), by FFT."""
    dz = z[1] - z[0]
    u = np.arange(-len(z) + 1, len(z)) * dz
    kern = np.where(u == 0, b, 2 * np.sin(c * b * u / 2) / (c * np.where(u == 0, 1, u)))
    conv = fftconvolve(rho, kern)[len(z) - 1 : 2 * len(z) - 1] * dz
    return np.trapezoid(rho * conv, z)


@pytest.mark.slow
def test_numeric_xpm_matches_parseval(fig5a_numeric):
    """Independent check of the XPM quadrature for the 10.4 dB-tilt case, channel 250 against near
    and far interferers (z-domain sinc-kernel form, 0.5 m grid): < 0.01 dB."""
    import optnet as on

    _, _, _, (link, spectrum) = fig5a_numeric
    fibre = link.spans.fibre  # a uniform link holds one (unstacked) span
    f, p, b = spectrum.frequency, spectrum.power, 40.004e9
    x = link.nli.xpm_matrix(on.IsrsProfile(fibre, p, spectrum.frequency), spectrum)
    z = np.arange(0, 100e3 + 0.25, 0.5)
    rho = np.asarray(on.isrs_profile(fibre, f, p, jnp.asarray(z)))
    fo = np.asarray(f - fibre.ref_frequency)
    i = 250
    for k in (249, 200, 100, 0):
        c = 4 * np.pi**2 * (fo[k] - fo[i]) * (float(fibre.beta2) + np.pi * float(fibre.beta3) * (fo[i] + fo[k]))
        ref = (32 / 27) * float(fibre.gamma) ** 2 / b * _xpm_parseval(rho[k], z, c, b)
        assert abs(db(x[i, k]) - db(ref)) < 0.01


def test_spm_heuristic_offset_without_isrs():
    """Without ISRS the closed form's SPM sits +0.1..+0.3 dB above the exact hexagon integral
    (Semrau's 3/2 domain heuristic), while XPM agrees (< 0.01 dB)."""
    import optnet as on

    case = CASES["cband80_noISRS_1span_0dBm"]
    rn = build(case, nli=on.NumericalGN())
    rc = build(case)
    rn, rc = rn[0](rn[1]), rc[0](rc[1])
    d = db(rc.eta_spm_span[0]) - db(rn.eta_spm_span[0])
    assert np.all((d > 0.1) & (d < 0.3))
    assert np.max(np.abs(db(rc.nsr_xpm_span[0]) - db(rn.nsr_xpm_span[0]))) < 0.01


def test_link_function_exact_for_exponential():
    import optnet as on

    z = jnp.linspace(0, 50e3, 9)
    a = 4.6e-5
    phi = jnp.asarray([0.0, 1e-4, 3e-2])
    f = on.link_function(jnp.exp(-a * z), z, phi)
    exact = (1 - jnp.exp(-(a - 1j * phi) * 50e3)) / (a - 1j * phi)
    np.testing.assert_allclose(f, exact, rtol=1e-12)


@pytest.mark.slow
def test_raised_cosine_option():
    """Raised-cosine spectra: tiny roll-off reproduces the rectangular result; for far channels the
    XPM scales with the interferer's kappa = 1 - beta/4; SPM changes by a bounded amount."""
    import equinox as eqx
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    s = on.Spectrum.uniform(6, 400e9, symbol_rate=64e9, power_dbm=2.0, roll_off=0.0)
    rect = on.NumericalGN()
    rc = on.NumericalGN(raised_cosine=True, n_nu=96)
    p = s.power
    x_rect = rect.xpm_matrix(on.IsrsProfile(fibre, p, s.frequency), s)
    s_small = eqx.tree_at(lambda s: s.roll_off, s, jnp.full(6, 1e-3))
    np.testing.assert_allclose(rc.xpm_matrix(on.IsrsProfile(fibre, p, s_small.frequency), s_small), x_rect, rtol=2e-3)
    s_rc = eqx.tree_at(lambda s: s.roll_off, s, jnp.full(6, 0.2))
    x_rc = rc.xpm_matrix(on.IsrsProfile(fibre, p, s_rc.frequency), s_rc)
    ratio = np.asarray(x_rc[0, 3:] / x_rect[0, 3:])  # far interferers of channel 0
    np.testing.assert_allclose(ratio, 1 - 0.2 / 4, rtol=0.01)
    spm_rect = rect.span(on.IsrsProfile(fibre, p, s.frequency), s).spm
    spm_small = rc.span(on.IsrsProfile(fibre, p, s_small.frequency), s_small).spm
    np.testing.assert_allclose(spm_small, spm_rect, rtol=0.02)
    spm_rc = rc.span(on.IsrsProfile(fibre, p, s_rc.frequency), s_rc).spm
    assert np.all((spm_rc < spm_rect) & (spm_rc > 0.7 * spm_rect))
