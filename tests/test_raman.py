"""Distributed Raman amplification: ODE limits, BVP, reference DRA cases, fit, gradients, robustness."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import load_cases

META, CASES = load_cases()
ODE_REL = META["tolerances_suggested"]["raman_ode_rel"]


def _dra(cid, bvp_solver=None):
    import optnet as on

    case = CASES[cid]
    i = case["inputs"]
    b2, b3 = on.dispersion_to_beta(i["D_s_per_m2"], i["S_s_per_m3"], i["ref_lambda_m"])
    k = on.SPEED_OF_LIGHT / 3e8  # the file's c = 3e8
    fibre = on.Fibre(i["span_length_m"], i["alpha_signal_Np_per_m"], b2 * k, b3 * k**2, i["gamma_per_W_per_m"],
                     i["ref_frequency_Hz"], on.TriangularRamanGain(i["Cr_per_W_per_m_per_Hz"], i["raman_cutoff_Hz"]))

    def pumps(key, at):
        if not i[key]:
            return on.Pumps()
        return on.Pumps([p["f_Hz"] for p in i[key]], [p[at] for p in i[key]], i["alpha_pump_Np_per_m"])

    kw = {} if bvp_solver is None else {"bvp_solver": bvp_solver}
    span = on.RamanSpan(fibre, pumps("pumps_forward", "P_W_at_z0"), pumps("pumps_backward", "P_W_at_zL"), **kw)
    f = jnp.asarray(i["ref_frequency_Hz"] + np.asarray(i["f_offset_Hz"]))
    spectrum = on.Spectrum(f, i["B_ch_Hz"], i["launch_power_W"])
    return case, span, spectrum


def test_no_pumps_matches_exact_isrs_profile():
    """No pumps, no photon ratio, no cutoff: the ODE gives the exact ISRS profile (1e-6)."""
    import optnet as on

    case = CASES["isrs_profile_exact_251ch_2dBm"]
    i, o = case["inputs"], case["outputs"]
    fibre = on.Fibre(100e3, i["alpha_Np_per_m"], -2e-26, 0.0, 1.2e-3, 193.5e12,
                     on.TriangularRamanGain(i["Cr_per_W_per_m_per_Hz"], 1e15))
    span = on.RamanSpan(fibre, on.Pumps(), on.Pumps(), photon_ratio=False, n_z=11)
    f = 193.5e12 + jnp.asarray(i["f_offset_Hz"])
    prof = span.solve(f, jnp.full(f.shape, i["launch_power_W"]))
    np.testing.assert_allclose(np.asarray(prof.z), i["z_m"])
    np.testing.assert_allclose(np.asarray(prof.rho)[o["channel_index"]], o["rho"], rtol=ODE_REL)
    # and without Raman gain: pure attenuation
    flat = eqx.tree_at(lambda s: s.fibre.raman.slope, span, jnp.asarray(0.0))
    rho = flat.solve(f, jnp.full(f.shape, 1e-3)).rho
    np.testing.assert_allclose(rho, jnp.broadcast_to(jnp.exp(-i["alpha_Np_per_m"] * prof.z), rho.shape), rtol=1e-9)


@pytest.mark.parametrize("cid", ["dra_backward_2pumps_cband80", "dra_forward_backward_cband80"])
def test_dra_reference_profile_and_pumps(cid):
    import optnet as on

    case, span, spectrum = _dra(cid)
    o = case["outputs"]
    prof = span.solve(spectrum.frequency, spectrum.power)
    assert prof.result == on.RESULTS.successful
    np.testing.assert_allclose(prof.backward_pump[:, -1], span.backward.power, rtol=1e-8)  # BVP target
    np.testing.assert_allclose(prof.backward_pump[:, 0], o["backward_pump_power_at_z0_W"], rtol=ODE_REL)
    if o["forward_pump_power_at_zL_W"]:
        np.testing.assert_allclose(prof.forward_pump[:, -1], o["forward_pump_power_at_zL_W"], rtol=ODE_REL)
    np.testing.assert_allclose(prof.rho, o["rho_ode"], rtol=ODE_REL)
    off = eqx.tree_at(lambda s: (s.forward, s.backward), span, (on.Pumps(), on.Pumps())).solve(spectrum.frequency, spectrum.power)
    on_off = 10 * np.log10(np.asarray(prof.net_gain / off.net_gain))
    np.testing.assert_allclose(on_off, o["on_off_gain_dB"], atol=1e-5)
    np.testing.assert_allclose(10 * np.log10(np.asarray(prof.net_gain)), o["net_span_gain_dB"], atol=1e-5)


@pytest.mark.parametrize("cid", [pytest.param("dra_backward_2pumps_cband80", marks=pytest.mark.slow), "dra_forward_backward_cband80"])
def test_dra_mode_sum_closed_form_and_own_fit(cid):
    """Mode-sum closed form with the file's fit parameters (same formula: 1e-8, the parameters are
    rounded to 10 digits and A_0 = 1 - C_f/a_f cancels), and with optnet's own LM fit (0.15 dB)."""
    import optnet as on

    case, span, spectrum = _dra(cid)
    o = case["outputs"]
    fibre, p = span.fibre, spectrum.power
    published = on.AnsatzProfile(fibre, p, jnp.asarray(o["fit_params_C_f_a_f_C_b_a_b_a_per_m"]))
    nli = on.ModeSumGN().span(published, spectrum)
    np.testing.assert_allclose(nli.spm, o["eta_spm_closed_form"], rtol=1e-8)
    np.testing.assert_allclose(nli.xpm / p**2, o["eta_xpm_closed_form"], rtol=1e-8)
    link = on.GNLink(span, nli=on.ModeSumGN())
    prof = span.solve(spectrum.frequency, p)
    params, err, _ = on.fit_ansatz(prof.z, prof.rho, fibre.length, span.fit_init(spectrum.frequency, p, prof))
    assert float(err.max()) <= max(o["fit_max_abs_error_dB"]) + 0.01
    own = on.ModeSumGN().span(on.AnsatzProfile(fibre, p, params), spectrum)
    eta_db = 10 * np.log10(np.asarray(own.spm + own.xpm / p**2))
    assert np.max(np.abs(eta_db - np.asarray(o["eta_closed_form_dB"]))) < META["tolerances_suggested"]["dra_fit_and_eta_from_own_fit_dB"]
    # the link's single-span eta is the same number
    np.testing.assert_allclose(link(spectrum).eta, own.spm + own.xpm / p**2, rtol=1e-6)  # LM tolerance


def test_mode_sum_reduces_to_semrau_closed_form():
    """Two decaying modes (the linearised ISRS profile) and a long span: ModeSumGN = ClosedFormGN,
    whether the modes come from the ansatz or from the passive span's own profile."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(400.0)  # e^{-2 alpha L} ~ 1e-16: L -> inf
    s = on.Spectrum.uniform(12, 100e9, symbol_rate=90e9, power_dbm=3.0)
    alpha = fibre.alpha(s.frequency)
    r = on.isrs_rate(fibre, s.frequency, s.power)
    params = jnp.stack([-r, alpha, jnp.zeros(12), alpha, alpha], axis=-1)  # C_f = P_tot C_r f, a_f = abar
    ms = on.ModeSumGN().span(on.AnsatzProfile(fibre, s.power, params), s)
    passive = on.IsrsProfile(fibre, s.power, s.frequency)
    cf = on.ClosedFormGN().span(passive, s)
    np.testing.assert_allclose(ms.spm, cf.spm, rtol=1e-10)
    np.testing.assert_allclose(ms.xpm, cf.xpm, rtol=1e-10)
    own = on.ModeSumGN().span(passive, s)
    np.testing.assert_allclose(own.spm, cf.spm, rtol=1e-10)
    np.testing.assert_allclose(own.xpm, cf.xpm, rtol=1e-10)


def test_photon_number_conservation():
    """Lossless fibre, photon ratio on: sum_fwd P/f - sum_bwd P/f is constant along z."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(60.0, attenuation_db_km=1e-14, unchecked=True)
    span = on.RamanSpan(fibre, on.Pumps([204e12], [0.15], 1e-17, unchecked=True),
                       on.Pumps([205e12, 207e12], [0.2, 0.1], 1e-17, unchecked=True))
    f = 193e12 + 100e9 * jnp.arange(8)
    prof = span.solve(f, jnp.full(8, 2e-3))
    fwd = jnp.sum(prof.signal / f[:, None], 0) + jnp.sum(prof.forward_pump / span.forward.frequency[:, None], 0)
    bwd = jnp.sum(prof.backward_pump / span.backward.frequency[:, None], 0)
    net = fwd - bwd  # photon flux in +z (up to h): conserved, though fwd and bwd change by orders of magnitude
    assert float(jnp.max(jnp.abs(net - net[0]))) < 1e-8 * float(jnp.max(fwd + bwd))
    assert float(jnp.max(bwd) / jnp.min(bwd)) > 2  # the pumps really did move power


def _small_link(nli, bvp_solver=None):
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    kw = {} if bvp_solver is None else {"bvp_solver": bvp_solver}
    span = on.RamanSpan(fibre, on.Pumps(), on.Pumps([205e12, 206.5e12], [0.15, 0.2]), on.Edfa.from_db(5.0), n_z=41, **kw)
    link = on.GNLink.uniform(span, 3, nli=nli)
    spectrum = on.Spectrum.uniform(8, 400e9, symbol_rate=300e9, power_dbm=4.0)
    return link, spectrum


def _throughput(link, spectrum, pumps):
    return jnp.sum(eqx.tree_at(lambda l: l.spans.backward.power, link, pumps)(spectrum).throughput()) / 1e12


def test_exact_gradient_wrt_pumps_matches_finite_differences():
    import optnet as on

    link, s = _small_link(on.NumericalGN(n_z=24, n_nu=24))
    p0 = link.spans.backward.power
    g = jax.grad(lambda p: _throughput(link, s, p))(p0)
    fd = []
    for j in range(2):
        h = 1e-4 * float(p0[j])
        e = jnp.zeros(2).at[j].set(h)
        fd.append((float(_throughput(link, s, p0 + e)) - float(_throughput(link, s, p0 - e))) / (2 * h))
    np.testing.assert_allclose(g, fd, rtol=1e-5)


@pytest.mark.slow
def test_newton_and_tnc_bvp_agree():
    """The two BVP solvers give the same profile and the same gradients (implicit differentiation
    vs the IFT custom_vjp) of a profile functional with respect to pump and signal powers."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    f = 192e12 + 400e9 * jnp.arange(8)
    p_sig = jnp.full(8, 2e-3)
    spans = [on.RamanSpan(fibre, on.Pumps([204e12], [0.05]), on.Pumps([205e12, 206.5e12], [0.15, 0.2]), bvp_solver=b)
             for b in (on.NewtonBVP(), on.TNCBVP())]

    def objective(span, pumps, p):
        prof = eqx.tree_at(lambda s: s.backward.power, span, pumps).solve(f, p)
        return jnp.sum(jnp.log(prof.net_gain) * jnp.linspace(1.0, 2.0, 8)) + jnp.sum(jnp.log(prof.backward_pump[:, 0]))

    out = [jax.value_and_grad(objective, argnums=(1, 2))(s, s.backward.power, p_sig) for s in spans]
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-10)  # same profile functional
    for g_t, g_n in zip(out[1][1], out[0][1]):
        np.testing.assert_allclose(g_t, g_n, rtol=1e-6)


@pytest.mark.slow
def test_surrogate_gradient_direction():
    """The stop-gradient (surrogate) pump gradient is close in direction to the exact one."""
    import optnet as on

    link_s, s = _small_link(on.ModeSumGN())
    link_e, _ = _small_link(on.NumericalGN(n_z=24, n_nu=24))
    p0 = link_s.spans.backward.power
    gs = jax.grad(lambda p: _throughput(link_s, s, p))(p0)
    ge = jax.grad(lambda p: _throughput(link_e, s, p))(p0)
    cos = float(jnp.dot(gs, ge) / (jnp.linalg.norm(gs) * jnp.linalg.norm(ge)))
    assert cos > 0.95


def test_raman_errors():
    import optnet as on

    with pytest.raises(ValueError, match="pump power"):
        on.Pumps([205e12], [-0.1])
    fibre = on.Fibre.from_datasheet(80.0)
    f = 193e12 + 100e9 * jnp.arange(4)
    span = on.RamanSpan(fibre, on.Pumps(), on.Pumps([205e12], [0.2]), max_steps=3)
    with pytest.raises(Exception, match="Raman ODE solve failed"):
        jax.block_until_ready(span.solve(f, jnp.full(4, 1e-3)).signal)
    prof = span.solve(f, jnp.full(4, 1e-3), throw=False)
    assert prof.result != on.RESULTS.successful
    with pytest.raises(TypeError, match="ModeSumGN"):
        on.GNLink(on.RamanSpan(fibre, on.Pumps(), on.Pumps([205e12], [0.1])), nli=on.ClosedFormGN())(
            on.Spectrum(f, 32e9, 1e-3))
    with pytest.raises(ValueError, match="NaN"):
        on.Pumps([205e12], [float("nan")])


@pytest.mark.slow
def test_continuation_rescues_strong_pumping():
    """8 x 0.3 W backward pumps on 150 km: Newton fails from the first guess (clear error); with
    continuation in pump power it converges to the targets."""
    import optnet as on

    f = 191e12 + 200e9 * jnp.arange(16)
    pumps = on.Pumps(jnp.linspace(203e12, 211e12, 8), jnp.full(8, 0.3))
    plain = on.RamanSpan(on.Fibre.from_datasheet(150.0), on.Pumps(), pumps)
    assert plain.solve(f, jnp.full(16, 1e-3), throw=False).result == on.RESULTS.bvp_failed
    rescued = on.RamanSpan(on.Fibre.from_datasheet(150.0), on.Pumps(), pumps, continuation_stages=16)
    prof = rescued.solve(f, jnp.full(16, 1e-3))
    np.testing.assert_allclose(prof.backward_pump[:, -1], pumps.power, rtol=1e-8)


SWEEP = [(1, 1e-3, 50.0), (8, 1.0, 150.0)]  # (3, 0.3, 100.0) and the rest: SWEEP_SLOW
SWEEP_SLOW = [(m, p, L) for m in (1, 2, 4, 8) for p in (1e-3, 0.03, 0.3, 1.0) for L in (50.0, 100.0, 150.0)]


def _sweep_case(m, p, length):
    import optnet as on

    fibre = on.Fibre.from_datasheet(length)
    pumps = on.Pumps(jnp.linspace(203e12, 211e12, m), jnp.full(m, p))
    span = on.RamanSpan(fibre, on.Pumps(), pumps)
    f = 191e12 + 200e9 * jnp.arange(16)
    try:
        prof = span.solve(f, jnp.full(16, 1e-3))
    except Exception as e:  # a clear error is acceptable, a NaN is not
        assert "did not converge" in str(e) or "ODE solve failed" in str(e)
        return
    assert np.all(np.isfinite(np.asarray(prof.signal)))
    np.testing.assert_allclose(prof.backward_pump[:, -1], pumps.power, rtol=1e-8)


@pytest.mark.parametrize("m,p,length", SWEEP)
def test_robustness_sweep(m, p, length):
    _sweep_case(m, p, length)


@pytest.mark.slow
@pytest.mark.parametrize("m,p,length", SWEEP_SLOW)
def test_robustness_sweep_full(m, p, length):
    _sweep_case(m, p, length)


def test_spontaneous_raman_ase_constant_gain_limit():
    """Undepleted lossless forward pump (constant local gain g): the ODE ASE equals
    2 h f B (1 + eta) g (e^{(g - alpha) L} - 1)/(g - alpha) (to the 3e-6 pump depletion)."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(50.0)
    fp, p0 = 206e12, 0.5
    f = jnp.asarray([193e12, 195e12])
    bw = jnp.full(2, 50e9)

    def ase(temperature):
        span = on.RamanSpan(fibre, on.Pumps([fp], [p0], 1e-15, unchecked=True), on.Pumps(), spontaneous=True, temperature=temperature)
        return span.solve(f, jnp.full(2, 1e-9), noise_bandwidth=bw).ase[:, -1]

    a, length = float(fibre.attenuation), 50e3
    df = fp - np.asarray(f)
    g = 2.8e-17 * df * p0
    eta = 1 / np.expm1(on.PLANCK * df / (on.BOLTZMANN * 300.0))
    exact = 2 * on.PLANCK * np.asarray(f) * 50e9 * (1 + eta) * g * np.expm1((g - a) * length) / (g - a)
    np.testing.assert_allclose(ase(300.0), exact, rtol=2e-5)
    assert np.all(np.asarray(ase(350.0)) > np.asarray(ase(300.0)))  # more phonons, more noise
    with pytest.raises(ValueError, match="noise_bandwidth"):
        on.RamanSpan(fibre, on.Pumps([fp], [p0]), on.Pumps(), spontaneous=True).solve(f, jnp.full(2, 1e-3))
