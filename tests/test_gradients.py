"""Gradients against central finite differences (float64), and jit/vmap against a Python loop."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest


def _setup(nli=None, per_span_power=False):
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0, gamma_per_w_km=1.3, raman_slope_per_w_km_thz=0.028)
    link = on.GNLink(
        [fibre, eqx.tree_at(lambda f: f.length, fibre, jnp.asarray(95e3)), fibre],
        nli=nli or on.ClosedFormGN(),
        roadm=on.Roadm.from_db(18.0, 18.0, 6.0, n_express=1),
        transceiver=on.Transceiver.from_db(25.0),
    )
    spectrum = on.Spectrum.uniform(12, 150e9, symbol_rate=128e9, power_dbm=3.0, modulation="16QAM")
    key = jax.random.PRNGKey(0)
    p = spectrum.power * (1 + 0.3 * jax.random.uniform(key, (3, 12) if per_span_power else (12,)))
    return link, eqx.tree_at(lambda s: s.power, spectrum, p)


def _mean_gsnr_db(link, spectrum):
    return jnp.mean(10 * jnp.log10(link(spectrum).gsnr))


def _throughput(link, spectrum):
    return jnp.sum(link(spectrum).throughput(fec_overhead=0.15)) / 1e12


def _fd(fun, tree, where, h_rel=1e-4):
    x0 = where(tree)
    flat = np.asarray(x0, dtype=float).ravel()
    out = np.zeros_like(flat)
    for j in range(flat.size):
        h = h_rel * max(abs(flat[j]), 1e-30)
        e = np.zeros_like(flat)
        e[j] = h
        up = eqx.tree_at(where, tree, jnp.asarray((flat + e).reshape(np.shape(x0))))
        dn = eqx.tree_at(where, tree, jnp.asarray((flat - e).reshape(np.shape(x0))))
        out[j] = (float(fun(up)) - float(fun(dn))) / (2 * h)
    return out.reshape(np.shape(x0))


LINK_LEAVES = {
    "span_length": lambda l: l.spans.fibre.length,
    "attenuation": lambda l: l.spans.fibre.attenuation,
    "gamma": lambda l: l.spans.fibre.gamma,
    "beta2": lambda l: l.spans.fibre.beta2,
    "raman_slope": lambda l: l.spans.fibre.raman.slope,
    "noise_figure": lambda l: l.spans.amplifier.noise_figure,
}


@pytest.mark.parametrize("objective", [_mean_gsnr_db, _throughput])
@pytest.mark.parametrize("per_span_power", [pytest.param(False, marks=pytest.mark.slow), True])
def test_grad_launch_power(objective, per_span_power):
    link, spectrum = _setup(per_span_power=per_span_power)
    g = jax.grad(lambda s: objective(link, s))(spectrum).power
    fd = _fd(lambda s: objective(link, s), spectrum, lambda s: s.power)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5 * np.max(np.abs(fd)))


@pytest.mark.parametrize("objective", [_mean_gsnr_db, _throughput])
@pytest.mark.parametrize("leaf", sorted(LINK_LEAVES))
def test_grad_link_parameters(objective, leaf):
    link, spectrum = _setup()
    where = LINK_LEAVES[leaf]
    g = where(eqx.filter_grad(lambda l: objective(l, spectrum))(link))
    fd = _fd(lambda l: objective(l, spectrum), link, where)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5 * np.max(np.abs(fd)))


@pytest.mark.slow  # 20 s; NumericalGN gradients are also checked in test_numerical
def test_grad_numerical_model_launch_power():
    import optnet as on

    link, spectrum = _setup(nli=on.NumericalGN(n_z=16, n_nu=16))
    g = jax.grad(lambda s: _mean_gsnr_db(link, s))(spectrum).power
    fd = _fd(lambda s: _mean_gsnr_db(link, s), spectrum, lambda s: s.power)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5 * np.max(np.abs(fd)))


def test_uniform_fast_path_equals_stacked_spans():
    """A repeated span (computed once) and the same spans stacked (scanned) give the same budget."""
    import optnet as on

    fibre = on.Fibre.from_datasheet(90.0)
    s = on.Spectrum.uniform(10, 75e9, symbol_rate=64e9, power_dbm=2.0, modulation="QPSK")
    fast = on.GNLink.uniform(fibre, 4)(s)
    slow = on.GNLink([on.FibreSpan(fibre, on.Edfa.from_db(5.0))] * 4)(s)
    for a, b in zip(jax.tree.leaves(fast), jax.tree.leaves(slow)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_jit_and_vmap_match_loop():
    link, spectrum = _setup()
    powers_dbm = jnp.linspace(-2.0, 4.0, 4)

    def gsnr_at(p_dbm):
        return link(eqx.tree_at(lambda s: s.power, spectrum, spectrum.power * 10 ** (p_dbm / 10))).gsnr

    loop = np.stack([np.asarray(gsnr_at(p)) for p in powers_dbm])
    batched = jax.jit(jax.vmap(gsnr_at))(powers_dbm)
    np.testing.assert_allclose(batched, loop, rtol=1e-12)
    # vmap over links: a batch of span lengths
    lengths = jnp.asarray([[70e3, 80e3, 90e3], [100e3, 60e3, 80e3]])
    links = eqx.tree_at(lambda l: l.spans.fibre.length, link, lengths)
    in_axes = eqx.tree_at(lambda l: l.spans.fibre.length, jax.tree.map(lambda _: None, link), 0, is_leaf=lambda x: x is None)
    vm = eqx.filter_vmap(lambda l: l(spectrum).gsnr, in_axes=(in_axes,))(links)
    for b in range(2):
        one = eqx.tree_at(lambda l: l.spans.fibre.length, link, lengths[b])
        np.testing.assert_allclose(vm[b], one(spectrum).gsnr, rtol=1e-12)
