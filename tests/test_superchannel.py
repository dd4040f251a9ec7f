"""Superchannel model: limits, gradients, vmap, errors, calibration to Locatelli et al. case 1."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optnet as on

import optnet.scenarios as osc


@pytest.fixture(scope="module")
def calibrated():
    return osc.calibrated_locatelli_superchannel(1)


def _b2b(bandwidth, spacing, **kw):
    return on.Superchannel.equidistant(4, bandwidth, on.FilterCascade(bandwidth, (0,)), spacing=spacing,
                                       transceiver_snr=1e3, **kw)


def test_wide_filter_and_wide_spacing_give_the_floor():
    # no crosstalk beyond Rs(1+a), no ISI when the filter is far away: SNR = SNR_TRX exactly
    sc = _b2b(2e12, 40e9)
    b = sc.budget()
    assert np.allclose(b.nsr_crosstalk, 0.0, atol=1e-30)
    assert np.allclose(b.signal_gain, 1.0, atol=1e-10)
    assert np.allclose(b.nsr_isi, 0.0, atol=1e-12)
    assert np.allclose(b.snr, 1e3, rtol=1e-9)


def test_crosstalk_onset_is_rs_one_plus_a_for_matched_filters():
    wide = 2e12
    far = _b2b(wide, 35.2e9 + 1e6).budget().nsr_crosstalk
    near = _b2b(wide, 34.0e9).budget().nsr_crosstalk
    assert np.all(far < 1e-20) and np.all(near[1:3] > 1e-4)
    # an ideal Rs/2 receiver (roll-off 0) moves the onset to Rs(1 + a/2)
    lpf = _b2b(wide, 33.6e9 + 1e6, receiver_roll_off=0.0).budget().nsr_crosstalk
    assert np.all(lpf < 1e-20)


def test_crosstalk_against_direct_integral():
    # two subchannels: XT = int H_rc(f - df) H_rc(f) df / Rs for matched filters, no optical filter effect
    rs, a, df = 32e9, 0.1, 33e9
    sc = on.Superchannel(jnp.array([1e12, df, 1e12]), on.FilterCascade(4e12, (0,)), symbol_rate=rs, roll_off=a,
                         transceiver_snr=1e9, n_quad=64)
    f = np.linspace(-0.6 * rs, 0.6 * rs, 400001)
    ref = np.trapezoid(np.asarray(on.raised_cosine_spectrum(jnp.asarray(f - df), rs, a) * on.raised_cosine_spectrum(jnp.asarray(f), rs, a)), f) / rs
    assert np.allclose(sc.budget().nsr_crosstalk, ref, rtol=1e-4)


def test_super_gaussian_3db_point_and_isi_fold():
    filt = on.FilterCascade(100e9, (0,))
    assert np.isclose(filt.power_response(jnp.array(50e9)), 0.5)
    # a narrow filter cuts the edge subchannel: signal loss and ISI appear, and shrink when it moves in
    sc = _b2b(137.5e9, 34.5e9)
    b = sc.budget()
    assert b.nsr_isi[0] > 10 * b.nsr_isi[1] and b.signal_gain[0] < b.signal_gain[1] < 1.0
    inner = sc.budget(on.Superchannel.with_distances(sc, sc.distances.at[0].add(2e9).at[1].add(-2e9)).distances)
    assert inner.nsr_isi[0] < b.nsr_isi[0]


def test_ase_against_link_budget():
    # filters far away: ASE NSR equals GNLink's (NF G - 1) h f B / P summed over spans
    fibre = on.Fibre.from_datasheet(80.0, attenuation_db_km=0.2, dispersion_ps_nm_km=16.7)
    line = on.GNLink.uniform(fibre, 3, amplifier=on.Edfa.from_db(5.5))
    sc = on.Superchannel.equidistant(4, 4e12, on.FilterCascade(4e12, (1, 2, 3)), line, spacing=40e9,
                                     power_dbm=-5.0, transceiver_snr=1e9)
    spec = on.Spectrum(sc.frequencies(), 32e9, sc.power, 0.1, -1.0)
    res = line(spec)
    assert np.allclose(sc.budget().nsr_ase, res.nsr_ase[-1], rtol=1e-8)
    assert np.allclose(sc.budget().nsr_nli, res.nsr_nli[-1], rtol=1e-8)


def test_gradients_match_finite_differences(calibrated):
    sc, _ = calibrated
    d = sc.distances + jnp.array([0.3e9, -0.1e9, 0.2e9, -0.6e9, 0.2e9])

    def f(x):
        return on.soft_min_snr_db(sc.snr_db(x), 0.3) + jnp.mean(sc.snr_db(x))

    # one compiled value-and-gradient per function (compiling is the cost), evaluated at every point
    vg = jax.jit(jax.value_and_grad(f))
    g = vg(d)[1]
    h = 1e6
    for k in range(4):
        e = jnp.zeros(5).at[k].set(h).at[k + 1].set(-h)
        fd = (vg(d + e)[0] - vg(d - e)[0]) / (2 * h)
        assert np.isclose(g[k] - g[k + 1], fd, rtol=1e-5, atol=1e-14)
    # at the minimum spacing (subchannels touching: 2|df| = Rs, where the modulation-format term has
    # a 0 ln 0) the SNRs and the gradient are finite (same shapes: no new compilation)
    m = sc.minimum_distances()
    tight = m.at[0].add(sc.bandwidth - jnp.sum(m))
    assert all(np.all(np.isfinite(x)) for x in vg(tight))
    vgp = jax.jit(jax.value_and_grad(lambda p: jnp.mean(eqx_power(sc, p).snr_db())))
    gp = vgp(sc.power)[1]
    hp = 1e-7 * sc.power
    for k in range(4):
        fd = (vgp(sc.power.at[k].add(hp[k]))[0] - vgp(sc.power.at[k].add(-hp[k]))[0]) / (2 * hp[k])
        assert np.isclose(gp[k], fd, rtol=1e-5)


def eqx_power(sc, p):
    import equinox as eqx

    return eqx.tree_at(lambda s: s.power, sc, p)


def test_vmap_equals_loop(calibrated):
    sc, _ = calibrated
    ds = sc.distances[None, :] + jnp.array([[0, 0, 0, 0, 0], [1e9, -1e9, 0, 0, 0], [0, 0, 2e9, -3e9, 1e9]])
    batch = jax.vmap(sc.snr_db)(ds)
    loop = jnp.stack([sc.snr_db(d) for d in ds])
    assert np.allclose(batch, loop, rtol=1e-12)


def test_float32_matches_float64(calibrated):
    sc, _ = calibrated
    sc32 = jax.tree.map(lambda x: x.astype(jnp.float32) if eqx_is_float(x) else x, sc)
    assert np.allclose(sc32.snr_db(), sc.snr_db(), atol=2e-3)


def eqx_is_float(x):
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jnp.floating)


def test_calibration_reproduces_case1(calibrated):
    sc, cal = calibrated
    assert cal.result == on.RESULTS.successful
    snr = np.asarray(sc.snr_db())
    assert np.all(np.abs(snr - np.asarray(osc.LOCATELLI_CASE1_SNR_DB)) < 0.25)
    # an ASE-limited effective launch power (transmitter losses) and a sub-GHz filter misalignment
    assert -14 < float(cal.parameters["power"]) < -8 and abs(float(cal.parameters["filter_offset"])) < 2
    # the floor is fitted with case 7 (back-to-back, 200 GHz filter), which then reproduces the paper
    case7 = np.asarray(on.apply_parameters(osc.locatelli_superchannel(7), cal.parameters).snr_db())
    assert abs(case7.mean() - osc.LOCATELLI_FLOOR_DB) < 0.02
    assert np.allclose(np.asarray(cal.anchor_residual_db[0]), case7 - osc.LOCATELLI_FLOOR_DB)


def test_calibration_anchor_errors(calibrated):
    sc, _ = calibrated
    with pytest.raises(ValueError, match="anchors\\[0\\]"):
        on.calibrate(sc, jnp.asarray(osc.LOCATELLI_CASE1_SNR_DB), anchors=((sc, jnp.zeros(3)),))


def test_errors():
    filt = on.FilterCascade(137.5e9, (0,))
    sc = on.Superchannel.equidistant(4, 137.5e9, filt, spacing=34.5e9)
    with pytest.raises(ValueError, match="sum to the superchannel bandwidth"):
        sc.snr_db(sc.distances.at[0].add(1e9))
    with pytest.raises(ValueError, match="`distances` contains NaN"):
        sc.snr_db(sc.distances.at[0].set(jnp.nan))
    with pytest.raises(ValueError, match="roll_off"):
        on.Superchannel.equidistant(4, 137.5e9, filt, roll_off=1.5)
    with pytest.raises(ValueError, match="span"):
        on.Superchannel.equidistant(4, 137.5e9, on.FilterCascade(137.5e9, (2,)))
    with pytest.raises(ValueError, match="do not fit"):
        on.Superchannel.equidistant(4, 100e9, filt, spacing=34.5e9)
    with pytest.raises(ValueError, match="measured_snr_db"):
        on.calibrate(sc, jnp.zeros(3))
    with pytest.raises(TypeError, match="fit"):
        on.calibrate(sc, jnp.zeros(4), fit=("power",))  # names are not parameters
    with pytest.raises(ValueError, match="twice"):
        on.calibrate(sc, jnp.zeros(4), fit=(on.PowerOffset(), on.PowerOffset(initial=-3.0)))


@pytest.mark.slow
def test_plain_jax_transforms():
    """`jax.jit`, `jax.grad` and `jax.vmap` take a Superchannel as an argument."""
    import optnet.scenarios as osc

    sc = osc.locatelli_superchannel(1)
    ref = sc.snr_db()
    np.testing.assert_allclose(jax.jit(lambda s: s.snr_db())(sc), ref, rtol=1e-12)
    g = jax.jit(jax.grad(lambda s: jnp.mean(s.snr_db())))(sc)
    assert np.all(np.isfinite(g.distances)) and float(jnp.max(jnp.abs(g.distances))) > 0
    batch = jax.tree.map(lambda x: jnp.stack([x, x]), sc)
    np.testing.assert_allclose(jax.jit(jax.vmap(lambda s: s.snr_db()))(batch), jnp.stack([ref, ref]), rtol=1e-12)


def test_calibration_modules_under_transforms(calibrated):
    """The calibration parameters and result are modules: jit, filter_jit, grad and vmap apply."""
    import equinox as eqx

    sc, cal = calibrated
    for jit in (jax.jit, eqx.filter_jit):
        np.testing.assert_allclose(jit(lambda c: c.rms_db)(cal), cal.rms_db, rtol=1e-12)
        np.testing.assert_allclose(jit(lambda p: on.apply_parameters(sc, p).power)(cal.parameters),
                                   on.apply_parameters(sc, cal.parameters).power, rtol=1e-12)
    # d/dv of the power after a v dB offset is ln(10)/10 P; a filter offset of v GHz moves the filters by 1e9 v Hz
    for grad in (jax.grad, eqx.filter_grad):
        g = grad(lambda v: jnp.sum(on.PowerOffset().apply(sc, v).power))(jnp.asarray(0.0))
        np.testing.assert_allclose(g, np.log(10) / 10 * float(jnp.sum(sc.power)), rtol=1e-12)
        g = grad(lambda v: jnp.sum(on.FilterOffset().apply(sc, v).filters.offset))(jnp.asarray(0.0))
        np.testing.assert_allclose(g, 1e9 * sc.filters.offset.shape[0], rtol=1e-12)
    values = jnp.linspace(-1.0, 1.0, 3)
    for vmap in (jax.vmap, eqx.filter_vmap):
        batch = vmap(lambda v: on.apply_parameters(sc, {"power": v, "isi_scale": v}).power)(values)
        loop = jnp.stack([on.apply_parameters(sc, {"power": v, "isi_scale": v}).power for v in values])
        np.testing.assert_allclose(batch, loop, rtol=1e-12)
