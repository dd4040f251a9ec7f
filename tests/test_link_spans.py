"""The span-based link: regression against the pre-restructuring results, power carried span to span,
amplifier gain controls, mixed span kinds, and plain JAX transforms on every public module."""

import pathlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from helpers import build, load_cases

META, CASES = load_cases()
DATA = pathlib.Path(__file__).resolve().parent / "data"
FIELDS = ["nsr_ase", "nsr_nli", "nsr_roadm", "nsr_transceiver", "eta", "eta_spm_span", "nsr_xpm_span", "eps", "gain"]


def _assert_same(result, name, rtol, nli_rtol=None):
    ref = np.load(DATA / "link_regression_v0.npz")
    for k in FIELDS:
        tol = nli_rtol if nli_rtol is not None and k in ("nsr_nli", "eta", "eta_spm_span", "nsr_xpm_span") else rtol
        np.testing.assert_allclose(np.asarray(getattr(result, k)), ref[f"{name}/{k}"], rtol=tol, atol=0, err_msg=f"{name}/{k}")


@pytest.mark.parametrize("cid", ["semrau2019_fig8_Pch_80", "modfmt_cband80_16QAM_20span", "semrau2019_fig6_6span_coh_ISRS"])
def test_passive_spans_equal_pre_restructuring_results(cid):
    """`link_regression_v0.npz` holds GNLink results computed before spans existed (commit 4e02a3a)."""
    import optnet as on

    case = CASES[cid]
    link, s = build(case, nli=on.ClosedFormGN(coherent=case["inputs"]["coherent"], tilt_about_reference="fig8" in cid))
    _assert_same(link(s), cid, 1e-12)


def test_stacked_and_numerical_equal_pre_restructuring_results():
    import optnet as on

    s = on.Spectrum.uniform(16, 100e9, symbol_rate=90e9, power_dbm=2.0, modulation="16QAM")
    spans = [on.FibreSpan(on.Fibre.from_datasheet(L), on.Edfa.from_db(nf)) for L, nf in ((60.0, 4.5), (80.0, 5.0), (100.0, 5.5))]
    _assert_same(on.GNLink(spans, transceiver=on.Transceiver.from_db(22.0))(s), "stacked", 1e-12)
    link = on.GNLink.uniform(on.Fibre.from_datasheet(80.0), 3, nli=on.NumericalGN(n_z=32, n_nu=24),
                             roadm=on.Roadm.from_db(n_express=2), transceiver=on.Transceiver.from_db(22.0))
    # the NLI moved by < 2e-3 (0.009 dB) when the ISRS profile's samples became equally spaced in
    # L_eff rather than in z (a better grid); everything else is unchanged to 1e-12
    _assert_same(link(s), "numerical", 1e-12, nli_rtol=2e-3)


@pytest.mark.slow  # 20-35 s each: the regression against the pre-restructuring RamanLink
@pytest.mark.parametrize("spontaneous", [False, True])
def test_raman_spans_equal_pre_restructuring_raman_link(spontaneous):
    """Raman spans + EDFA in a GNLink equal the former `RamanLink` (1e-10)."""
    import optnet as on

    span = on.RamanSpan(on.Fibre.from_datasheet(80.0), on.Pumps(), on.Pumps([205e12, 206.5e12], [0.15, 0.2]),
                        on.Edfa.from_db(5.0), n_z=41, spontaneous=spontaneous)
    link = on.GNLink.uniform(span, 3, nli=on.ModeSumGN(), transceiver=on.Transceiver.from_db(25.0))
    s = on.Spectrum.uniform(8, 400e9, symbol_rate=300e9, power_dbm=4.0, modulation="QPSK")
    if not spontaneous:
        _assert_same(link(s), "raman_modesum", 1e-10)
        return
    # spontaneous ASE now also has the anti-Stokes term from the channels below (issue 12): the
    # lowest channel is unchanged, the others gain up to 1 % of ASE; everything else is unchanged
    result = link(s)
    ref = np.load(DATA / "link_regression_v0.npz")
    for k in FIELDS:
        if k != "nsr_ase":
            np.testing.assert_allclose(np.asarray(getattr(result, k)), ref[f"raman_spont/{k}"], rtol=1e-9, atol=0, err_msg=k)
    ase, old = np.asarray(result.nsr_ase), ref["raman_spont/nsr_ase"]
    np.testing.assert_allclose(ase[..., 0], old[..., 0], rtol=1e-10)
    assert np.all(ase[..., 1:] > old[..., 1:]) and np.all(ase < 1.01 * old)


@pytest.fixture(scope="module")
def fixed_gain_chain():
    """80 x 50 GHz at 3 dBm (about 1 dB of ISRS tilt per span), 5 x 80 km, EDFAs with a fixed gain
    equal to the mean span loss and a -0.2 dB/THz tilt: the ISRS tilt builds up span after span."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    amp = on.Edfa.from_db(5.0, on.FixedGain.from_db(16.0, tilt_db_per_thz=-0.2))
    link = on.GNLink.uniform(fibre, 5, amplifier=amp)
    s = on.Spectrum.uniform(80, 50e9, symbol_rate=45e9, power_dbm=3.0, modulation="16QAM")
    return on, fibre, amp, link, s


def test_fixed_gain_chain_carries_power(fixed_gain_chain):
    """Launch powers follow P_{k+1} = P_k rho(L; P_k) G(f) computed span by span here (1e-12), and
    the tilt grows over the spans."""
    on, fibre, amp, link, s = fixed_gain_chain
    r = link(s)
    p = np.asarray(s.power)
    f = s.frequency
    expected = [p]
    for _ in range(4):
        rho = np.asarray(on.isrs_profile(fibre, f, jnp.asarray(p), fibre.length[None])[:, 0])
        p = p * rho * np.asarray(amp.gain(f, s.symbol_rate, jnp.asarray(p * rho), jnp.asarray(rho)))
        expected.append(p)
    np.testing.assert_allclose(r.span_power, np.stack(expected), rtol=1e-12)
    tilt_db = 10 * np.log10(np.asarray(r.span_power[:, 0] / r.span_power[:, -1]))
    assert np.all(np.diff(tilt_db) > 0.3)  # the low-frequency end gains span after span


def test_fixed_gain_chain_equals_per_span_power_calculation(fixed_gain_chain):
    """The propagated chain and the same link with those launch powers prescribed per span agree
    to 1e-9 in every noise term."""
    _, _, _, link, s = fixed_gain_chain
    r = link(s)
    prescribed = link(eqx.tree_at(lambda x: x.power, s, r.span_power))
    for k in FIELDS:
        np.testing.assert_allclose(getattr(prescribed, k), getattr(r, k), rtol=1e-9, err_msg=k)


def test_gain_controls():
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    s = on.Spectrum.uniform(20, 100e9, symbol_rate=64e9, power_dbm=0.0)
    total = 20 * 2e-3
    r = on.GNLink.uniform(fibre, 4, amplifier=on.Edfa.from_db(5.0, on.ConstantPower(total)))(s)
    np.testing.assert_allclose(r.span_power[1:].sum(axis=1), total, rtol=1e-12)
    r = on.GNLink.uniform(fibre, 3, amplifier=on.Edfa.from_db(5.0, on.ConstantPsd(1e-3 / 32e9)))(s)
    np.testing.assert_allclose(r.span_power[1:], 2e-3, rtol=1e-12)  # 64 GBd x 1 mW/32 GHz
    # restoring gain keeps the launch power in every span (and reuses one span's budget)
    r = on.GNLink.uniform(fibre, 3)(s)
    np.testing.assert_allclose(r.span_power, jnp.broadcast_to(s.power, (3, 20)), rtol=0)
    # ripple table and tilt of a fixed gain
    g = on.FixedGain.from_db(jnp.asarray([15.0, 17.0]), frequency=jnp.asarray([192e12, 195e12]), tilt_db_per_thz=1.0,
                             ref_frequency=192e12)
    g_db = 10 * np.log10(np.asarray(g.gain(jnp.asarray([192e12, 195e12]), None, None, None)))
    np.testing.assert_allclose(g_db, [15.0, 20.0], rtol=1e-12)


def test_mixed_span_kinds():
    """Raman span, then passive spans: one link, budgets in span order, and the passive part equals
    a passive-only link launched with the Raman span's output."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    # a forward pump (no boundary-value problem) keeps the compile short
    raman = on.RamanSpan(fibre, on.Pumps([205e12], [0.2]), on.Pumps(), on.Edfa.from_db(5.0, on.FixedGain.from_db(10.0)), n_z=21)
    passive = on.FibreSpan(fibre)
    s = on.Spectrum.uniform(8, 400e9, symbol_rate=300e9, power_dbm=2.0)
    nli = on.NumericalGN(n_z=12, n_nu=12)
    link = on.GNLink([raman, passive, passive], nli=nli)
    assert link.counts == (1, 2) and link.n_spans == 3
    r = link(s)
    tail = on.GNLink.uniform(fibre, 2, nli=nli)(eqx.tree_at(lambda x: x.power, s, r.span_power[1]))
    np.testing.assert_allclose(r.span_power[1:], tail.span_power, rtol=1e-12)
    np.testing.assert_allclose(r.eta_spm_span[1:], tail.eta_spm_span, rtol=1e-12)
    np.testing.assert_allclose(r.nsr_xpm_span[1:], tail.nsr_xpm_span, rtol=1e-12)
    np.testing.assert_allclose(r.nsr_ase[1:] - r.nsr_ase[0], tail.nsr_ase, rtol=1e-10)
    assert np.all(r.gain[0] == 10.0) and np.all(r.span_power[1] != s.power)  # fixed 10 dB after the Raman span
    assert np.all(np.isfinite(r.gsnr))


def _modules():
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    s = on.Spectrum.uniform(6, 100e9, symbol_rate=64e9, power_dbm=1.0, modulation="QPSK")
    link = on.GNLink.uniform(fibre, 2, amplifier=on.Edfa.from_db(5.0), roadm=on.Roadm.from_db(n_express=1),
                             transceiver=on.Transceiver.from_db(25.0))
    return on, fibre, s, link


@pytest.mark.parametrize("jit", [jax.jit, pytest.param(eqx.filter_jit, marks=pytest.mark.slow)])
def test_plain_jax_transforms_on_link(jit):
    """`jax.jit`, `jax.grad`, `jax.vmap` and the `eqx.filter_*` forms on GNLink and Spectrum."""
    _, _, s, link = _modules()
    ref = link(s).gsnr
    np.testing.assert_allclose(jit(lambda l, x: l(x).gsnr)(link, s), ref, rtol=1e-12)
    grad = jax.grad if jit is jax.jit else eqx.filter_grad
    g_link = jit(grad(lambda l: jnp.sum(l(s).throughput()) / 1e12))(link)
    g_spec = jit(grad(lambda x: jnp.sum(link(x).throughput()) / 1e12))(s)
    assert np.all(np.isfinite(g_link.spans.fibre.length)) and np.all(np.isfinite(g_spec.power))
    assert float(jnp.abs(g_link.spans.amplifier.noise_figure)) > 0
    vmap = jax.vmap if jit is jax.jit else eqx.filter_vmap
    batch = jax.tree.map(lambda x: jnp.stack([x, 1.0 * x]), s)
    np.testing.assert_allclose(jit(vmap(lambda x: link(x).gsnr))(batch), jnp.stack([ref, ref]), rtol=1e-12)
    links = jax.tree.map(lambda x: jnp.stack([x, x]), link)
    np.testing.assert_allclose(jit(vmap(lambda l: l(s).gsnr))(links), jnp.stack([ref, ref]), rtol=1e-12)


@pytest.mark.slow
def test_plain_jax_transforms_on_components():
    """Every public building block passes through jax.jit and jax.grad as an argument."""
    on, fibre, s, link = _modules()
    f, p = s.frequency, s.power
    for nli in (on.ClosedFormGN(), on.ModeSumGN(), on.NumericalGN(n_z=8, n_nu=8)):
        out = jax.jit(lambda m, fb: m.span(on.IsrsProfile(fb, p, f), s).spm)(nli, fibre)
        assert out.shape == (6,) and np.all(np.isfinite(out))
        g = jax.jit(jax.grad(lambda fb: jnp.sum(nli.span(on.IsrsProfile(fb, p, f), s).spm)))(fibre)
        assert np.isfinite(float(g.gamma)) and float(g.gamma) > 0
    span = on.FibreSpan(fibre)
    out = jax.jit(lambda sp: sp.propagate(s, p).output_power)(span)
    np.testing.assert_allclose(out, p, rtol=1e-12)
    amp = on.Edfa.from_db(5.0, on.FixedGain.from_db(18.0))
    g = jax.jit(jax.grad(lambda a: jnp.sum(a.gain(f, s.symbol_rate, p, p))))(amp)
    assert float(g.control.gain_value) > 0
    # a Raman span (static solver fields) as a plain-jit/grad argument; a forward pump keeps it cheap
    raman = on.RamanSpan(fibre, on.Pumps([205e12], [0.1]), on.Pumps(), n_z=11)
    # (gradients with respect to a span's pumps: tests/test_raman.py)
    rho = jax.jit(lambda r: r.solve(f, p).rho)(raman)
    assert np.all(np.isfinite(rho)) and np.all(rho[:, -1] > np.exp(-float(fibre.alpha(f)[0]) * 80e3))
