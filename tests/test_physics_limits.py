"""Limits with known closed forms: modulation-format asymptotics, ASE, throughput, tabulated gain."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest


def test_modulation_asymptotic_prefactor_split_invariance():
    """Derivation check of the (5/3) pi prefactor: in a lossless link the many-span term per span
    must equal (5/6) Phi times the far-channel single-span XPM, (32/27)(gamma^2/B_k) L/(2 pi |df| |beta2|)
    (Parseval), or the correction would depend on how a uniform link is cut into spans."""
    import optnet as on
    from optnet._nli.base import ScaledSpan, asymptotic_kurtosis_term

    length, df, b, beta2, gamma = 200e3, 5e12, 64e9, -2.17e-26, 1.3e-3
    fibre = on.Fibre(length, 1e-8, beta2, 0.0, gamma, 193.5e12, on.TriangularRamanGain(0.0), unchecked=True)
    f = 193.5e12 + jnp.asarray([0.0, df])
    bw = jnp.full(2, b)
    far = (32 / 27) * gamma**2 / b * length / (2 * np.pi * df * abs(beta2))
    spec = on.Spectrum(f, bw, jnp.asarray([0.0, 1.0]))
    a = asymptotic_kurtosis_term(ScaledSpan.of(fibre, spec), jnp.full(2, (length / 1e3) ** 2))[0, 1]  # L_eff = L_s
    bracket_ratio = ((2 * df - b) * np.log((2 * df - b) / (2 * df + b)) + 2 * b) / (b**2 / df)
    assert abs(float(a) / ((5 / 6) * far * bracket_ratio) - 1) < 1e-12
    assert abs(bracket_ratio - 1) < 1e-2  # -> 1 as B/df -> 0
    # the numerical integral of the (nearly) lossless span approaches the Parseval far limit
    x = on.NumericalGN(n_z=64, n_nu=256).xpm_matrix(on.IsrsProfile(fibre, spec.power, spec.frequency), spec)[0, 1]
    assert abs(float(x) / far - 1) < 0.02


def test_modulation_correction_magnitudes():
    """QPSK lowers eta, 16QAM less; the relative correction shrinks with spans (Semrau 2019b Fig. 4 trend)."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(100.0)
    out = {}
    for n in (1, 20):
        for fmt in ("Gaussian", "QPSK", "16QAM"):
            s = on.Spectrum.uniform(16, 50e9, symbol_rate=45e9, power_dbm=1.0, modulation=fmt)
            out[n, fmt] = on.GNLink.uniform(fibre, n)(s).eta
    d = {k: np.asarray(10 * np.log10(out[k] / out[k[0], "Gaussian"])) for k in out}
    assert np.all(d[1, "QPSK"] < d[1, "16QAM"]) and np.all(d[1, "16QAM"] < 0)
    assert np.all(d[20, "QPSK"] > d[1, "QPSK"])


def test_ase_exact_formula_and_edfa_gain():
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0, raman_slope_per_w_km_thz=0.0)
    s = on.Spectrum.uniform(4, 50e9, symbol_rate=40e9, power_dbm=0.0)
    nli_off = eqx_replace_gamma(fibre)
    r = on.GNLink.uniform(nli_off, 10, amplifier=on.Edfa.from_db(5.0))(s)
    g = np.exp(float(fibre.attenuation) * 80e3)
    expected = 10 * (10**0.5 * g - 1) * on.PLANCK * np.asarray(s.frequency) * 40e9 / 1e-3
    np.testing.assert_allclose(1 / r.gsnr, expected, rtol=1e-10)
    # a set gain below the span loss: the channel arrives weaker and the NSR grows accordingly
    r2 = on.GNLink.uniform(nli_off, 1, amplifier=on.Edfa.from_db(5.0, gain_db=10.0))(s)
    pout = 1e-3 / g * 10.0
    np.testing.assert_allclose(r2.nsr_ase[0], (10**0.5 * 10 - 1) * on.PLANCK * s.frequency * 40e9 / pout, rtol=1e-10)


def eqx_replace_gamma(fibre):
    import equinox as eqx

    return eqx.tree_at(lambda f: f.gamma, fibre, jnp.asarray(0.0))


def test_required_snr_values():
    """QPSK at BER 1e-3 needs Eb/N0 = 6.79 dB (Es/N0 = 9.80 dB); 16QAM at 1e-3: Es/N0 = 16.5 dB."""
    import optnet as on

    assert abs(10 * np.log10(on.required_snr(2, 1e-3)) - 9.80) < 0.01
    assert abs(10 * np.log10(on.required_snr(1, 1e-3)) - 6.79) < 0.01
    assert abs(10 * np.log10(on.required_snr(4, 1e-3)) - 16.54) < 0.02
    from scipy.special import erfc

    for k in (2, 4, 6):
        m = 2**k
        snr = on.required_snr(k, 2e-2)
        ber = 2 / k * (1 - 1 / np.sqrt(m)) * erfc(np.sqrt(3 * snr / (2 * (m - 1))))
        assert abs(ber / 2e-2 - 1) < 1e-10
    with pytest.raises(ValueError, match="ber"):
        on.required_snr(2, 0.7)


def test_throughputs():
    import optnet as on

    gsnr = on.db_to_linear(jnp.asarray([5.0, 12.0, 30.0]))
    rs = jnp.full(3, 32e9)
    c = on.shannon_throughput(gsnr, rs, fec_overhead=0.25)
    np.testing.assert_allclose(c, 2 * 32e9 * np.log2(1 + np.asarray(gsnr)) / 1.25)
    t = on.format_throughput(gsnr, rs, ber=1e-3)
    # 5 dB < QPSK (9.8 dB) -> BPSK needs 6.8 dB -> 0; 12 dB -> QPSK; 30 dB -> 64QAM
    np.testing.assert_allclose(t, [0.0, 2 * 32e9 * 2, 2 * 32e9 * 6])


def test_tabulated_gain_matches_triangular():
    """A table sampling the triangle reproduces the triangular-gain results exactly (linear interp)."""
    import optnet as on

    tri = on.Fibre.from_datasheet(100.0, raman_slope_per_w_km_thz=0.028)
    shift = jnp.linspace(0.0, 15e12, 4)
    tab = on.Fibre.from_datasheet(100.0, raman=on.TabulatedRamanGain(shift, 2.8e-17 * shift))
    s = on.Spectrum.uniform(40, 100e9, symbol_rate=90e9, power_dbm=4.0)
    np.testing.assert_allclose(on.GNLink.uniform(tab, 2)(s).gsnr, on.GNLink.uniform(tri, 2)(s).gsnr, rtol=1e-12)


def test_photon_ratio_coupling():
    import optnet as on

    g = on.TriangularRamanGain(1e-17)
    f = jnp.asarray([190e12, 200e12])
    m = on.raman_coupling(g, f, photon_ratio=True)
    assert float(m[0, 1]) == pytest.approx(1e-17 * 10e12)
    assert float(m[1, 0]) == pytest.approx(-1e-17 * 10e12 * 200 / 190)


def test_per_frequency_attenuation_and_amplifier_spectra():
    """A flat attenuation table equals the scalar; a tilted NF spectrum changes ASE channel by
    channel exactly as (NF_i G_i - 1) h f B predicts; a gain spectrum is used as given."""
    import optnet as on

    s = on.Spectrum.uniform(8, 100e9, symbol_rate=90e9, power_dbm=0.0)
    table_f = jnp.asarray([190e12, 197e12])
    flat = on.Fibre.from_datasheet(80.0, attenuation_db_km=jnp.asarray([0.2, 0.2]), attenuation_frequency=table_f)
    scalar = on.Fibre.from_datasheet(80.0)
    np.testing.assert_allclose(on.GNLink.uniform(flat, 3)(s).gsnr, on.GNLink.uniform(scalar, 3)(s).gsnr, rtol=1e-12)
    tilted = on.Fibre.from_datasheet(80.0, attenuation_db_km=jnp.asarray([0.22, 0.18]), attenuation_frequency=table_f)
    r = on.GNLink.uniform(tilted, 1)(s)
    assert np.all(np.diff(np.asarray(r.gain[0])) < 0)  # lower loss at high frequency

    nf_spec = on.Edfa.from_db(jnp.asarray([4.0, 6.0]), frequency=table_f)
    nogamma = eqx_replace_gamma(on.Fibre.from_datasheet(80.0, raman_slope_per_w_km_thz=0.0))
    r = on.GNLink.uniform(nogamma, 1, amplifier=nf_spec)(s)
    nf = np.interp(np.asarray(s.frequency), np.asarray(table_f), 10 ** (np.asarray([4.0, 6.0]) / 10))
    g = np.asarray(r.gain[0])
    expected = (nf * g - 1) * on.PLANCK * np.asarray(s.frequency) * 90e9 / np.asarray(s.power)
    np.testing.assert_allclose(r.nsr_ase[0], expected, rtol=1e-12)
    gain_spec = on.Edfa.from_db(5.0, gain_db=jnp.asarray([15.0, 17.0]), frequency=table_f)
    r = on.GNLink.uniform(nogamma, 1, amplifier=gain_spec)(s)
    expected_gain = np.interp(np.asarray(s.frequency), np.asarray(table_f), 10 ** (np.asarray([15.0, 17.0]) / 10))
    np.testing.assert_allclose(np.asarray(r.gain[0]), expected_gain, rtol=1e-12)  # linear interpolation


def test_short_spans_numerical_and_refused_by_the_closed_form():
    """A 100 m and a 1 km span: NumericalGN gives a finite, positive NLI ratio whose SNR_NLI rises as the
    span shortens; ClosedFormGN (which integrates to z = infinity) refuses them, eagerly and under jit."""
    import optnet as on

    s = on.Spectrum.uniform(4, 50e9, power_dbm=0.0)
    snr = []
    for km in (0.1, 1.0):
        fibre = on.Fibre.from_datasheet(km)
        r = on.GNLink(on.FibreSpan(fibre), nli=on.NumericalGN(n_z=8, n_nu=16))(s)
        assert np.all(np.isfinite(r.snr_nli)) and np.all(r.snr_nli > 0)
        snr.append(float(r.snr_nli[1]))
        with pytest.raises(ValueError, match="short spans"):
            on.GNLink(on.FibreSpan(fibre))(s)
    assert snr[0] > 10 * snr[1]  # ~ (L_eff ratio)^2 = 100 for lossless-like short spans
    link = on.GNLink(on.FibreSpan(on.Fibre.from_datasheet(1.0)))
    with pytest.raises(Exception, match="short spans"):
        jax.block_until_ready(jax.jit(lambda l: l(s).gsnr)(link))
