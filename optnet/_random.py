"""Random bits from a JAX PRNG key by Threefry-2x32 written out in full: the counter-based hash of
`jax.random`'s default key (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11,
Threefry-2x32 with 20 rounds; the same bits as `jax.extend.random.threefry_2x32`). JAX lowers its
threefry on CPU as a 5-trip loop, and each trip costs microseconds, more than a small environment
step; written out, the hash fuses with what consumes it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 (20 rounds) of the counter pair (x0, x1) under the key (k0, k1), all uint32."""
    ks = (k0, k1, k0 ^ k1 ^ _PARITY)
    x0, x1 = x0 + ks[0], x1 + ks[1]
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = x0 + x1
            x1 = ((x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))) ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x0, x1


@functools.partial(jax.jit, static_argnums=1)  # one dispatch when called eagerly
def random_bits(key, n: int):
    """`n` uint32 random words from `key` (a typed key or a raw uint32 key of `jax.random.PRNGKey`):
    threefry of the counters 0..2m-1 as m pairs (m = ceil(n/2)), as `jax.extend.random.threefry_2x32`
    of those counters."""
    if not (isinstance(n, int) and n >= 0):
        raise ValueError(f"`n` (the number of words) must be an int >= 0; got {n!r}.")
    key = jnp.asarray(key)
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    if key.dtype != jnp.uint32 or key.shape[-1:] != (2,):
        raise TypeError(f"`key` must be a JAX PRNG key (`jax.random.key`, or `jax.random.PRNGKey`'s uint32 pair); "
                        f"got dtype {key.dtype}, shape {key.shape}.")
    m = (n + 1) // 2
    counts = jnp.arange(2 * m, dtype=jnp.uint32)
    y0, y1 = threefry2x32(key[..., 0, None], key[..., 1, None], counts[:m], counts[m:])
    return jnp.concatenate([y0, y1], axis=-1)[..., :n]


def split_key(key, n: int = 2):
    """`n` raw keys from `key` (uint32 `(n, 2)`), by the hash written out (see `random_bits`)."""
    return random_bits(key, 2 * n).reshape(n, 2)
