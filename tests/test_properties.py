"""Property tests over random valid links: GSNR finite and positive, NLI >= 0, finite gradients,
jit equal to eager, float32 within 1e-3 of float64.

Shapes are drawn from a few values so that each compiles once: the spectrum always has 200 slots
(unused ones at power 0), span counts from {1, 50}. The default profile runs a few examples on
spans of 50-150 km (the closed form); `-m slow` runs 60 examples on 1-150 km spans (NumericalGN
below the closed form's 10 dB domain), in float32 as well, and the eager-versus-jit comparison."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SLOTS = 200
FIBRES = {  # dispersion (ps/nm/km), slope (ps/nm^2/km): SSMF, NZDSF, dispersion-shifted, zero dispersion
    "SSMF": (17.0, 0.067),
    "NZDSF": (4.0, 0.045),
    "DSF": (0.0, 0.07),
    "zero": (0.0, 0.0),
}
MIN_LOSS_DB = 10.0  # the closed forms' domain (`optnet._nli.base.MIN_SPAN_LOSS_DB`)
SPAN_COUNTS = [1, 50]


@st.composite
def links(draw, span_counts=SPAN_COUNTS, min_length_km=1.0):
    n = draw(st.integers(1, SLOTS))
    return dict(
        n_channels=n,
        n_spans=draw(st.sampled_from(span_counts)),
        length_km=draw(st.floats(min_length_km, 150.0)),
        fibre=draw(st.sampled_from(sorted(FIBRES))),
        power_dbm=np.asarray(draw(st.lists(st.floats(-10.0, 10.0), min_size=n, max_size=n))),
        modulation=draw(st.sampled_from(["Gaussian", "QPSK", "16QAM", "64QAM"])),
        raman=draw(st.booleans()),
    )


def _build(case):
    import optnet as on

    d, s = FIBRES[case["fibre"]]
    fibre = on.Fibre.from_datasheet(case["length_km"], dispersion_ps_nm_km=d, slope_ps_nm2_km=s,
                                    raman_slope_per_w_km_thz=0.028 if case["raman"] else 0.0)
    loss_db = 0.2 * case["length_km"]
    nli = on.ClosedFormGN() if loss_db >= MIN_LOSS_DB else on.NumericalGN(n_z=8, n_nu=12)
    link = on.GNLink.uniform(fibre, case["n_spans"], nli=nli)
    power = np.zeros(SLOTS)
    power[: case["n_channels"]] = 1e-3 * 10 ** (case["power_dbm"] / 10)
    grid = on.Spectrum.uniform(SLOTS, 50e9, symbol_rate=40e9, modulation=case["modulation"])
    return link, on.Spectrum(grid.frequency, grid.symbol_rate, power, excess_kurtosis=grid.excess_kurtosis)


def _check(case, *, float32: bool):
    import optnet as on

    link, spectrum = _build(case)
    used = np.asarray(spectrum.power) > 0
    result = link(spectrum)
    gsnr, nli = np.asarray(result.gsnr)[used], np.asarray(result.nsr_nli)[:, used]
    assert np.all(np.isfinite(gsnr)) and np.all(gsnr > 0), case
    assert np.all(nli >= 0), case
    grad = jax.grad(lambda p: jnp.sum(link(on.Spectrum(spectrum.frequency, spectrum.symbol_rate, p,
                                                        excess_kurtosis=spectrum.excess_kurtosis)).throughput()))
    assert np.all(np.isfinite(np.asarray(grad(spectrum.power)))), case
    if 0.2 * case["length_km"] < MIN_LOSS_DB:
        with pytest.raises(ValueError, match="short spans"):
            on.GNLink.uniform(link.spans, case["n_spans"])(spectrum)
    if float32:
        with jax.enable_x64(False):
            link32, spectrum32 = _build(case)
            gsnr32 = np.asarray(link32(spectrum32).gsnr)[used]
        np.testing.assert_allclose(gsnr32, gsnr, rtol=1e-3, err_msg=str(case))


@settings(max_examples=5, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(links(min_length_km=50.0))
def test_random_links_give_positive_finite_gsnr_and_gradients(case):
    _check(case, float32=False)


@pytest.mark.slow
def test_jit_equals_eager():
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0, dispersion_ps_nm_km=4.0, slope_ps_nm2_km=0.045)
    link = on.GNLink.uniform(fibre, 7)
    spectrum = on.Spectrum.uniform(16, 50e9, symbol_rate=40e9, power_dbm=np.linspace(-3, 3, 16), modulation="QPSK")
    jitted = np.asarray(link(spectrum).gsnr)
    with jax.disable_jit():
        eager = np.asarray(on.GNLink._evaluate(link, spectrum).gsnr)
    np.testing.assert_allclose(eager, jitted, rtol=1e-12)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(links(span_counts=(1, 7, 50)))
def test_random_links_large_profile_with_float32(case):
    _check(case, float32=True)
