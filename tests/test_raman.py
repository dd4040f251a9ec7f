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
    mode_sum = eqx.filter_jit(on.ModeSumGN().span)  # compiled once for both profiles (eager is slower)
    nli = mode_sum(published, spectrum)
    np.testing.assert_allclose(nli.spm, o["eta_spm_closed_form"], rtol=1e-8)
    np.testing.assert_allclose(nli.xpm / p**2, o["eta_xpm_closed_form"], rtol=1e-8)
    link = on.GNLink(span, nli=on.ModeSumGN())
    prof = span.solve(spectrum.frequency, p)
    params, err, _ = eqx.filter_jit(on.fit_ansatz)(prof.z, prof.rho, fibre.length, span.fit_init(spectrum.frequency, p, prof))
    assert float(err.max()) <= max(o["fit_max_abs_error_dB"]) + 0.01
    own = mode_sum(on.AnsatzProfile(fibre, p, params), spectrum)
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


def _measured_gain_link(nli):
    """Three backward pumps on 100 km with the measured SSMF gain (`_small_link`'s sibling)."""
    import optnet as on
    from optnet.io import ssmf_raman_gain

    fibre = on.Fibre.from_datasheet(100.0, raman=ssmf_raman_gain())
    span = on.RamanSpan(fibre, on.Pumps(), on.Pumps([203.5e12, 206.0e12, 208.5e12], [0.15, 0.1, 0.2]),
                        on.Edfa.from_db(3.0), n_z=41)
    return on.GNLink.uniform(span, 3, nli=nli), on.Spectrum.uniform(8, 500e9, centre=193.0e12, symbol_rate=400e9, power_dbm=3.0)


def _check_gradient_against_fd(link, s):
    p0 = link.spans.backward.power
    # one compiled function for the gradient and the 2 x pumps evaluations (compiling is the cost)
    value_and_grad = jax.jit(jax.value_and_grad(lambda p: _throughput(link, s, p)))
    g = value_and_grad(p0)[1]
    fd = []
    for j in range(p0.shape[0]):
        h = 1e-4 * float(p0[j])
        e = jnp.zeros(p0.shape[0]).at[j].set(h)
        fd.append((float(value_and_grad(p0 + e)[0]) - float(value_and_grad(p0 - e)[0])) / (2 * h))
    np.testing.assert_allclose(g, fd, rtol=1e-5)


@pytest.mark.parametrize("nli", ["mode_sum", pytest.param("numerical", marks=pytest.mark.slow)])
def test_exact_gradient_wrt_pumps_matches_finite_differences(nli):
    """The default gradient (ModeSumGN, through the implicit fit into the profile) and NumericalGN's
    match central differences to 1e-5."""
    import optnet as on

    _check_gradient_against_fd(*_small_link(on.ModeSumGN() if nli == "mode_sum" else on.NumericalGN(n_z=24, n_nu=24)))


@pytest.mark.slow
def test_exact_gradient_measured_gain_link():
    """A second Raman link (measured gain, three backward pumps): default gradient vs central
    differences to 1e-5."""
    import optnet as on

    _check_gradient_against_fd(*_measured_gain_link(on.ModeSumGN()))


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

    link_s, s = _small_link(on.ModeSumGN(surrogate_gradient=True))
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
    signal = eqx.filter_jit(lambda sp, f: sp.solve(f, jnp.full(4, 1e-3)).signal)  # the checks hold under jit
    with pytest.raises(Exception, match="Raman ODE solve failed"):
        jax.block_until_ready(signal(span, f))
    result = eqx.filter_jit(lambda sp: sp.solve(f, jnp.full(4, 1e-3), throw=False).result)(span)
    assert result != on.RESULTS.successful
    with pytest.raises(Exception, match="pumps must be above the highest channel"):
        jax.block_until_ready(signal(span, f.at[-1].set(206e12)))
    with pytest.raises(TypeError, match="ModeSumGN"):
        on.GNLink(on.RamanSpan(fibre, on.Pumps(), on.Pumps([205e12], [0.1])), nli=on.ClosedFormGN())(
            on.Spectrum(f, 32e9, 1e-3))
    with pytest.raises(ValueError, match="NaN"):
        on.Pumps([205e12], [float("nan")])


def _sweep_span(m, power, length):
    import optnet as on
    from optnet.io import ssmf_raman_gain

    fibre = on.Fibre.from_datasheet(length, raman=ssmf_raman_gain())
    frequency = jnp.linspace(203e12, 211e12, m) if m > 1 else jnp.asarray([207e12])
    return on.RamanSpan(fibre, on.Pumps(), on.Pumps(frequency, jnp.full(m, power)))


SWEEP_F = 191.35e12 + 50e9 * np.arange(96)  # 96 channels at 50 GHz, 0 dBm each


@eqx.filter_jit
def _sweep_solve(span):
    prof = span.solve(jnp.asarray(SWEEP_F), jnp.full(96, 1e-3), throw=False)
    return prof.result._value, prof.backward_pump[:, -1], prof.signal


def _check_sweep_case(span, max_seconds):
    """Converged to the z = L targets with finite profiles, or a clear `bvp_failed` within
    `max_seconds` (post-compile); never a NaN reported as success."""
    import time

    import optnet as on

    _sweep_solve(span)  # compile (once per pump count) and warm up
    t0 = time.perf_counter()
    code, at_l, signal = jax.block_until_ready(_sweep_solve(span))
    seconds = time.perf_counter() - t0
    if int(code) == on.RESULTS.successful._value:
        assert np.all(np.isfinite(np.asarray(signal)))
        np.testing.assert_allclose(at_l, span.backward.power, rtol=1e-8)
        return True, seconds
    assert int(code) == on.RESULTS.bvp_failed._value
    assert seconds < max_seconds
    with pytest.raises(Exception, match="boundary-value problem did not converge"):
        jax.block_until_ready(span.solve(jnp.asarray(SWEEP_F), jnp.full(96, 1e-3)).signal)
    return False, seconds


def test_strong_pumping_converges():
    """4 x 1 W on 100 km (tabulated gain, 96 channels): the old sweep-from-L guess was 77-139 % off and
    Newton wandered; the relaxation guess and Newton converge."""
    ok, _ = _check_sweep_case(_sweep_span(4, 1.0, 100.0), max_seconds=2.0)
    assert ok


@pytest.mark.slow
def test_robustness_sweep():
    """The 60-case sweep: 1/2/4/8 pumps at 203-211 THz, 10 mW-1 W each, 50/100/150 km, 96 channels,
    measured SSMF gain. Every case converges (or would raise `bvp_failed` within 2 s)."""
    results = {}
    for m in (1, 2, 4, 8):
        for power in (0.01, 0.03, 0.1, 0.3, 1.0):
            for length in (50.0, 100.0, 150.0):
                results[m, power, length] = _check_sweep_case(_sweep_span(m, power, length), max_seconds=2.0)
    failed = [case for case, (ok, _) in results.items() if not ok]
    assert not failed, f"did not converge: {failed}"


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


def test_anti_stokes_spontaneous_closed_form():
    """A strong, undepleted, lossless channel below a weak one: the weak channel's ASE is pure
    anti-Stokes, eta g P_k (1 - e^{-cL})/c (units of 2 h f B) with c = (f_i/f_k) g P_k its Raman loss;
    counting pumps only, it vanishes."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(50.0, attenuation_db_km=1e-14, unchecked=True)
    f = jnp.asarray([191e12, 194e12])
    p = jnp.asarray([0.5, 1e-9])
    bw = jnp.full(2, 50e9)

    def ase(sources):
        span = on.RamanSpan(fibre, on.Pumps(), on.Pumps(), spontaneous=True, spontaneous_sources=sources)
        return span.solve(f, p, noise_bandwidth=bw).ase[1, -1]

    df, length = 3e12, 50e3
    g = 2.8e-17 * df
    eta = 1 / np.expm1(on.PLANCK * df / (on.BOLTZMANN * 300.0))
    c = 194 / 191 * g * 0.5
    exact = 2 * on.PLANCK * 194e12 * 50e9 * eta * g * 0.5 * -np.expm1(-c * length) / c
    np.testing.assert_allclose(ase("all"), exact, rtol=1e-5)
    assert float(ase("pumps")) == 0.0
    with pytest.raises(ValueError, match="spontaneous_sources"):
        on.RamanSpan(fibre, on.Pumps(), on.Pumps(), spontaneous_sources="signals")


def test_gain_definitions_and_pump_loss():
    """On-off gain = pumps-on output / pumps-off output (ISRS in both); the gain over passive loss
    differs by the pumps-off ISRS (they agree without it: the slow test below). Pumps without an
    attenuation take the fibre's loss table at their frequencies."""
    import optnet as on
    from optnet.io import ssmf_raman_gain

    fibre = on.Fibre.from_datasheet(100.0, raman=ssmf_raman_gain())
    pumps = on.Pumps([208.5e12, 206.0e12, 203.5e12], [0.2, 0.1, 0.15])
    span = on.RamanSpan(fibre, on.Pumps(), pumps)
    f = 191.35e12 + 600e9 * jnp.arange(8)
    p = jnp.full(8, 10e-3)
    on_off = span.on_off_gain(f, p)
    off = on.RamanSpan(fibre, on.Pumps(), on.Pumps()).solve(f, p).signal[:, -1]
    np.testing.assert_allclose(on_off, span.solve(f, p).signal[:, -1] / off, rtol=1e-12)
    over_loss = span.gain_over_passive_loss(f, p)
    isrs_db = 10 * np.log10(np.asarray(off / (p * jnp.exp(-fibre.alpha(f) * fibre.length))))
    np.testing.assert_allclose(10 * np.log10(np.asarray(over_loss / on_off)), isrs_db, atol=1e-9)
    assert np.ptp(isrs_db) > 0.5  # the two definitions really differ (ISRS tilt)
    # pump loss: default 0.25 dB/km, the fibre's loss table where it has one, the user's if given
    np.testing.assert_allclose(span.pump_attenuation(pumps), on.db_per_km_to_per_m(0.25))
    table = on.Fibre.from_datasheet(100.0, attenuation_db_km=jnp.asarray([0.19, 0.25]), attenuation_frequency=jnp.asarray([190e12, 210e12]))
    np.testing.assert_allclose(on.RamanSpan(table, on.Pumps(), pumps).pump_attenuation(pumps), table.alpha(pumps.frequency))
    own = on.Pumps(pumps.frequency, pumps.power, 6e-5)
    np.testing.assert_allclose(on.RamanSpan(table, on.Pumps(), own).pump_attenuation(own), 6e-5)


@pytest.mark.slow
def test_gain_definitions_agree_without_isrs():
    """Without signal-signal scattering the on-off gain is the gain over passive loss."""
    import optnet as on
    from optnet.io import ssmf_raman_gain

    fibre = on.Fibre.from_datasheet(100.0, raman=ssmf_raman_gain())
    span = on.RamanSpan(fibre, on.Pumps(), on.Pumps([208.5e12, 206.0e12, 203.5e12], [0.2, 0.1, 0.15]), signal_signal=False)
    f, p = 191.35e12 + 600e9 * jnp.arange(8), jnp.full(8, 10e-3)
    np.testing.assert_allclose(span.on_off_gain(f, p), span.gain_over_passive_loss(f, p), rtol=1e-9)
