"""Straight-through estimators: exact forward values, and derivatives equal to the analytic
derivatives of their surrogates (written out here independently of the implementation)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optnet.straight_through as st

T = 0.3


def sig(z):
    return 1 / (1 + np.exp(-z))


def dsig(z):
    return sig(z) * (1 - sig(z))


X = np.array([-1.7, -0.2, 0.4, 0.5, 1.49, 2.51, 3.0])


def test_off_by_default_is_the_plain_operation():
    """Without a temperature no custom rule is traced (zero overhead) and values are identical."""
    cases = [
        (lambda x: st.argmax(x), lambda x: jnp.argmax(x)),
        (lambda x: st.greater(x, 0.3), lambda x: x > 0.3),
        (lambda x: st.round(x), jnp.round),
        (lambda x: st.floor(x), jnp.floor),
        (lambda x: st.ceil(x), jnp.ceil),
        (lambda x: st.take(x, 2.4), lambda x: x[2]),
        (lambda x: st.fill_window(x, 2.2, 3, 9.0), lambda x: x.at[2:5].set(9.0)),
    ]
    x = jnp.asarray(X)
    for est, plain in cases:
        assert "custom_jvp" not in str(jax.make_jaxpr(est)(x))
        np.testing.assert_array_equal(est(x), plain(x))
    with pytest.raises(ValueError, match="temperature"):
        st.round(x, temperature=0.0)


def test_comparisons():
    x, y = jnp.asarray(X), 0.5
    for est, hard, sign in ((st.greater, X > y, 1), (st.greater_equal, X >= y, 1), (st.less, X < y, -1), (st.less_equal, X <= y, -1)):
        np.testing.assert_array_equal(est(x, y, temperature=T), hard.astype(float))
        g = jax.grad(lambda x: jnp.sum(est(x, y, temperature=T) * jnp.arange(7.0)))(x)
        np.testing.assert_allclose(g, np.arange(7.0) * sign * dsig((X - y) / T) / T, rtol=1e-12)
    gy = jax.grad(lambda y: jnp.sum(st.greater(x, y, temperature=T)))(0.5)
    assert gy == pytest.approx(-np.sum(dsig((X - 0.5) / T)) / T, rel=1e-12)


def test_argmax():
    x = jnp.asarray(X)
    w = np.exp(X / T) / np.exp(X / T).sum()
    assert st.argmax(x, temperature=T) == 6.0
    # d/dx_k sum_i i w_i = w_k (k - sum_i i w_i)/T
    g = jax.grad(lambda x: st.argmax(x, temperature=T))(x)
    np.testing.assert_allclose(g, w * (np.arange(7) - w @ np.arange(7)) / T, rtol=1e-10)
    np.testing.assert_array_equal(st.argmax_one_hot(x, temperature=T), np.eye(7)[6])
    c = np.linspace(-1, 1, 7)
    g = jax.grad(lambda x: st.argmax_one_hot(x, temperature=T) @ c)(x)
    np.testing.assert_allclose(g, w * (c - w @ c) / T, rtol=1e-10)  # softmax Jacobian


def test_rounding():
    x = jnp.asarray(X)
    for est, hard, shift in ((st.round, np.round, 0.0), (st.floor, np.floor, -0.5), (st.ceil, np.ceil, 0.5)):
        np.testing.assert_array_equal(est(x, temperature=T), hard(X))
        g = jax.vmap(jax.grad(lambda v: est(v, temperature=T)))(x)
        z = X + shift
        np.testing.assert_allclose(g, dsig((z - np.floor(z) - 0.5) / T) / T, rtol=1e-10)


def test_take():
    a = jnp.asarray([1.0, 4.0, -2.0, 3.0, 0.5])
    i = 2.3
    assert st.take(a, i, temperature=T) == -2.0
    j = np.arange(5)
    w = np.exp(-((j - i) ** 2) / T)
    w /= w.sum()
    ga, gi = jax.grad(lambda a, i: st.take(a, i, temperature=T), argnums=(0, 1))(a, i)
    np.testing.assert_allclose(ga, w, rtol=1e-10)
    # d/di sum_j w_j a_j with w_j ~ exp(-(j - i)^2/T): sum_j a_j w_j (2(j - i)/T - sum_k w_k 2(k - i)/T)
    d = 2 * (j - i) / T
    assert gi == pytest.approx(float(np.sum(np.asarray(a) * w * (d - w @ d))), rel=1e-10)


def test_slice_updates():
    a = jnp.zeros(8)
    u = jnp.asarray([1.0, 2.0])
    s = 2.7
    np.testing.assert_array_equal(st.dynamic_update_slice(a, u, s, temperature=T), a.at[3:5].set(u))
    # d/ds of the blend (1 - l) U(2) + l U(3), l = sig((0.7 - 0.5)/T)
    g = jax.jacfwd(lambda s: st.dynamic_update_slice(a, u, s, temperature=T))(s)
    diff = np.asarray(a.at[3:5].set(u) - a.at[2:4].set(u))
    np.testing.assert_allclose(g, diff * dsig(0.2 / T) / T, rtol=1e-10)

    occupied = st.fill_window(a, 2.7, 3, 1.0, temperature=T)
    np.testing.assert_array_equal(occupied, a.at[3:6].set(1.0))
    j = np.arange(8)
    g = jax.jacfwd(lambda s: st.fill_window(a, s, 3, 1.0, temperature=T))(s)
    # m_j = sig((j - s + 1/2)/T) sig((s + w - 1/2 - j)/T); d m/ds
    p, q = (j - s + 0.5) / T, (s + 3 - 0.5 - j) / T
    np.testing.assert_allclose(g, (-dsig(p) * sig(q) + sig(p) * dsig(q)) / T, rtol=1e-10)


def test_select():
    c = st.greater(jnp.asarray(X), 0.5, temperature=T)
    a, b = jnp.asarray(X) * 2, -jnp.asarray(X)
    out = st.select(c, a, b, temperature=T)
    np.testing.assert_array_equal(out, np.where(X > 0.5, 2 * X, -X))
    g = jax.grad(lambda x: jnp.sum(st.select(st.greater(x, 0.5, temperature=T), 2 * x, -x, temperature=T)))(jnp.asarray(X))
    # d/dx [c 2x + (1 - c)(-x)] = c 2 + (1 - c)(-1) + (2x + x) dc/dx
    cc = (X > 0.5).astype(float)
    np.testing.assert_allclose(g, 2 * cc - (1 - cc) + 3 * X * dsig((X - 0.5) / T) / T, rtol=1e-10)
