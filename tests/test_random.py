"""The written-out threefry (`optnet.random_bits`, `optnet.split_key`), the traffic drawn from it
and the unrolled free-block test against their references."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.random import threefry_2x32

import optnet as on


@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_random_bits_equal_jax_threefry(n):
    """The same words as JAX's threefry of the counters 0..2m-1, for raw and typed keys, jitted and
    vmapped."""
    for seed in (0, 1, 2**31 - 1):
        raw = jax.random.PRNGKey(seed)
        ref = np.asarray(threefry_2x32(raw, jnp.arange(2 * ((n + 1) // 2), dtype=jnp.uint32))[:n])
        np.testing.assert_array_equal(on.random_bits(raw, n), ref)
        np.testing.assert_array_equal(on.random_bits(jax.random.key(seed), n), ref)
        np.testing.assert_array_equal(jax.jit(on.random_bits, static_argnums=1)(raw, n), ref)
    keys = jax.random.split(jax.random.PRNGKey(5), 3)
    batched = jax.vmap(lambda k: on.random_bits(k, n))(keys)
    for k, row in zip(keys, batched):
        np.testing.assert_array_equal(row, on.random_bits(k, n))
    assert on.split_key(jax.random.PRNGKey(0), 3).shape == (3, 2)
    with pytest.raises(TypeError, match="`key` must be a JAX PRNG key"):
        on.random_bits(jnp.zeros(3), 2)
    with pytest.raises(ValueError, match="`n`"):
        on.random_bits(jax.random.PRNGKey(0), -1)


def test_poisson_requests_follow_their_laws():
    """50,000 requests: node pairs and bit rates uniform (chi-square), gaps Exp(load), holding
    times Exp(1) truncated at 2 (mean (1 - 3e^-2)/(1 - e^-2)); different keys differ."""
    from scipy import stats

    n, nodes, load = 50_000, 5, 50.0
    r = on.poisson_requests(jax.random.PRNGKey(3), n, nodes, load, bit_rate_gbps=(25, 28))
    pair = np.asarray(r.source) * nodes + np.asarray(r.destination)
    assert np.all(np.asarray(r.source) != np.asarray(r.destination))
    assert stats.chisquare(np.unique(pair, return_counts=True)[1]).pvalue > 1e-3
    rates = np.asarray(r.bit_rate) / 1e9
    assert set(np.unique(rates)) == {25.0, 26.0, 27.0, 28.0}
    assert stats.chisquare(np.unique(rates, return_counts=True)[1]).pvalue > 1e-3
    gaps = np.diff(np.asarray(r.arrival), prepend=0.0) * load
    assert stats.kstest(gaps, "expon").pvalue > 1e-3
    hold = np.asarray(r.holding)
    assert hold.max() < 2.0
    assert stats.kstest(hold, stats.truncexpon(2.0).cdf).pvalue > 1e-3
    other = on.poisson_requests(jax.random.PRNGKey(4), 100, nodes, load)
    assert not np.array_equal(np.asarray(other.source), pair[:100] // nodes)


def test_free_blocks_written_out_equal_prefix_sum():
    """`free_blocks(..., max_width=w)` (a windowed min) equals the prefix-sum form for every width up
    to w and for widths that cannot fit, with and without bands, and with the slots broadcast
    against several widths per row."""
    free = jax.random.bernoulli(jax.random.PRNGKey(0), 0.8, (6, 40))
    width = jnp.asarray([1, 3, 5, 9, 41, 1_000_000])
    band = jnp.asarray(np.repeat([0, 1], 20))
    blocks = jax.jit(on.free_blocks, static_argnames="max_width")
    for b in (None, band):
        ref = blocks(free, width, b)
        np.testing.assert_array_equal(blocks(free, width, b, max_width=9), ref)
        assert bool(ref[:4].any())  # the case has blocks that fit
        several = jnp.stack([width, width[::-1]], axis=1)  # (6, 2) widths against (6, 1, 40) slots
        np.testing.assert_array_equal(blocks(free[:, None], several, b, max_width=9), blocks(jnp.broadcast_to(free[:, None], (6, 2, 40)), several, b))
