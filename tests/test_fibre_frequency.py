"""Frequency-dependent fibre: gamma(f) from A_eff(f), Raman coupling scaled by the absolute
frequencies and the pair overlap area, and a coupling matrix given directly."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest


def test_gamma_from_effective_area():
    """gamma = 2 pi n2 f/(c A_eff): 80 um^2 and n2 = 2.6e-20 m^2/W give 1.32 1/W/km at 1550 nm."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0, effective_area_um2=80.0)
    f0 = fibre.ref_frequency
    expected = 2 * np.pi * 2.6e-20 * float(f0) / (on.SPEED_OF_LIGHT * 80e-12)
    np.testing.assert_allclose(fibre.gamma_at(jnp.asarray([f0]))[0], expected, rtol=1e-12)
    assert abs(expected * 1e3 - 1.317) < 1e-3
    with pytest.raises(ValueError, match="um\\^2"):
        on.Fibre.from_datasheet(80.0, effective_area_um2=80e-12)  # m^2 given where um^2 is expected
    with pytest.raises(ValueError, match="not both"):
        on.Fibre.from_datasheet(80.0, effective_area_um2=80.0, gamma_per_w_km=1.3)


def test_nli_scales_with_gamma_of_each_channel():
    """A constant area makes gamma proportional to f: gamma_ik = gamma_i, so SPM and XPM of channel i
    scale by (gamma_i/gamma)^2 relative to a scalar gamma (exact, every NLI model)."""
    import optnet as on

    s = on.Spectrum.uniform(12, 400e9, symbol_rate=300e9, power_dbm=2.0)  # 4.8 THz: a 2.5 % gamma spread
    table = on.Fibre.from_datasheet(80.0, effective_area_um2=80.0)
    g = np.asarray(table.gamma_at(s.frequency))
    scalar = on.Fibre.from_datasheet(80.0, gamma_per_w_km=1e3 * float(g[0]))
    ratio = (g / g[0]) ** 2
    assert ratio.max() / ratio.min() > 1.04
    for nli in (on.ClosedFormGN(), on.ModeSumGN(), on.NumericalGN(n_z=8, n_nu=8)):
        span = jax.jit(lambda m, fb: m.span(on.IsrsProfile(fb, s.power, s.frequency), s))
        a, b = span(nli, table), span(nli, scalar)
        np.testing.assert_allclose(a.spm, b.spm * ratio, rtol=1e-10)
        np.testing.assert_allclose(a.xpm, b.xpm * ratio, rtol=1e-10)


def test_measured_raman_gain_scaling_and_overlap():
    """g(f_i, f_j) = g_R(f_j - f_i) (f_j/f_ref)/((A_i + A_j)/2) for the pair f_i < f_j."""
    import optnet as on

    shift = jnp.linspace(0.0, 20e12, 41)
    g_r = 1e-13 * jnp.sin(jnp.pi * shift / 40e12)
    gain = on.MeasuredRamanGain(shift, g_r, 206e12, jnp.asarray([70e-12, 90e-12]), jnp.asarray([190e12, 210e12]))
    f = jnp.asarray([191e12, 195e12, 205e12])
    m = np.asarray(gain.pair_efficiency(f))
    area = np.interp(np.asarray(f), [190e12, 210e12], [70e-12, 90e-12])
    for i, j in ((0, 1), (0, 2), (1, 2)):
        expected = np.interp(float(f[j] - f[i]), np.asarray(shift), np.asarray(g_r)) * float(f[j]) / 206e12 / (0.5 * (area[i] + area[j]))
        np.testing.assert_allclose(m[i, j], expected, rtol=1e-12)
        np.testing.assert_allclose(m[j, i], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="m\\^2"):
        on.MeasuredRamanGain(shift, g_r, 206e12, 80.0)  # um^2 given where m^2 is expected
    # the shipped SSMF table: the scaled coupling equals the shift-only table at f_j = f_ref
    from optnet.io import ssmf_raman_gain

    ssmf = ssmf_raman_gain()
    pair = jnp.asarray([float(ssmf.ref_frequency) - 13e12, float(ssmf.ref_frequency)])
    np.testing.assert_allclose(ssmf.pair_efficiency(pair)[0, 1], ssmf(jnp.asarray(13e12)), rtol=1e-12)
    assert 3.5e-4 < float(ssmf(jnp.asarray(13.2e12))) < 4.5e-4  # ~0.42 1/W/km at the peak


@pytest.mark.slow
def test_coupling_matrix_reproduces_the_model_it_came_from():
    import optnet as on

    fibre = on.Fibre.from_datasheet(60.0)
    f = 193e12 + 200e9 * jnp.arange(6)
    pumps = on.Pumps([205e12, 207e12], [0.1, 0.08])  # forward: no boundary-value problem to compile
    waves = jnp.concatenate([f, pumps.frequency])
    matrix = on.RamanCouplingMatrix(waves, fibre.raman.pair_efficiency(waves))
    span = on.RamanSpan(fibre, pumps, on.Pumps(), n_z=11)
    same = on.RamanSpan(on.Fibre.from_datasheet(60.0, raman=matrix), pumps, on.Pumps(), n_z=11)
    p = jnp.full(6, 1e-3)
    np.testing.assert_allclose(same.solve(f, p).rho, span.solve(f, p).rho, rtol=1e-12)
    with pytest.raises(Exception, match="RamanCouplingMatrix"):
        same.solve(f + 50e9, p)
