"""Straight-through estimators: discrete operations whose forward pass is exact and whose
derivative is that of a smooth surrogate with a temperature.

Each function takes `temperature` (keyword; a number, or an array to anneal it inside `jax.jit`).
With `temperature=None` (the default) it is
the plain discrete operation: no custom rule is traced, so there is no overhead. With a temperature
T > 0 the forward value is still exactly the discrete result, and the JVP (hence the gradient) is
the derivative of the surrogate named in each docstring; a smaller T is closer to the discrete
operation and gives sharper, sparser gradients.

Caveats: a straight-through gradient is not the gradient of the function evaluated (which is zero
almost everywhere); it is a descent direction only as far as the surrogate resembles the discrete
operation near the current point. Anneal T, and keep the best discrete solution seen.

??? cite "References"
    Y. Bengio, N. Leonard, A. Courville, "Estimating or propagating gradients through stochastic
    neurons for conditional computation", arXiv:1308.3432, 2013 (straight-through estimators);
    E. Jang, S. Gu, B. Poole, "Categorical reparameterization with Gumbel-softmax", ICLR 2017
    (softmax surrogate of argmax).
"""

import jax
import jax.numpy as jnp

__all__ = [
    "argmax",
    "argmax_one_hot",
    "ceil",
    "dynamic_update_slice",
    "fill_window",
    "floor",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "round",
    "select",
    "take",
]


def _straight_through(hard, soft, *args):
    """hard(*args) forward, the JVP of soft(*args) backward."""

    @jax.custom_jvp
    def f(*a):
        return hard(*a)

    @f.defjvp
    def f_jvp(primals, tangents):
        _, tangent = jax.jvp(soft, primals, tangents)
        return hard(*primals), tangent

    return f(*args)


def _check(temperature):
    """`temperature` (None, a number > 0, or an array: traced temperatures are annealed inside jit)."""
    if isinstance(temperature, jax.Array):
        return temperature
    if temperature is not None and not temperature > 0:
        raise ValueError(f"`temperature` must be > 0 (or None for the plain discrete operation); got {temperature!r}.")
    return temperature


# ---- argmax ---------------------------------------------------------------------------------


def argmax_one_hot(x, *, temperature: "float | jax.Array | None" = None):
    """one_hot(argmax(x)) along the last axis; surrogate softmax(x/T)."""
    n = x.shape[-1]

    def hard(x):
        return jax.nn.one_hot(jnp.argmax(x, axis=-1), n, dtype=x.dtype)

    if _check(temperature) is None:
        return hard(x)
    return _straight_through(hard, lambda x: jax.nn.softmax(x / temperature, axis=-1), x)


def argmax(x, *, temperature: "float | jax.Array | None" = None):
    """argmax(x) along the last axis as a float index; surrogate sum_i i softmax(x/T)_i (the
    expected index). Without a temperature, the integer argmax."""
    if _check(temperature) is None:
        return jnp.argmax(x, axis=-1)
    index = jnp.arange(x.shape[-1], dtype=x.dtype)
    return _straight_through(
        lambda x: jnp.argmax(x, axis=-1).astype(x.dtype),
        lambda x: jax.nn.softmax(x / temperature, axis=-1) @ index, x,
    )


# ---- comparisons and selection -----------------------------------------------------------------


def greater(x, y, *, temperature: "float | jax.Array | None" = None):
    """1.0 where x > y else 0.0; surrogate sigmoid((x - y)/T). Without a temperature, a bool."""
    if _check(temperature) is None:
        return x > y
    x, y = jnp.broadcast_arrays(jnp.asarray(x, float), jnp.asarray(y, float))
    return _straight_through(lambda x, y: (x > y).astype(x.dtype), lambda x, y: jax.nn.sigmoid((x - y) / temperature), x, y)


def greater_equal(x, y, *, temperature: "float | jax.Array | None" = None):
    """1.0 where x >= y else 0.0; surrogate sigmoid((x - y)/T)."""
    if _check(temperature) is None:
        return x >= y
    x, y = jnp.broadcast_arrays(jnp.asarray(x, float), jnp.asarray(y, float))
    return _straight_through(lambda x, y: (x >= y).astype(x.dtype), lambda x, y: jax.nn.sigmoid((x - y) / temperature), x, y)


def less(x, y, *, temperature: "float | jax.Array | None" = None):
    """1.0 where x < y else 0.0; surrogate sigmoid((y - x)/T)."""
    return greater(y, x, temperature=temperature)


def less_equal(x, y, *, temperature: "float | jax.Array | None" = None):
    """1.0 where x <= y else 0.0; surrogate sigmoid((y - x)/T)."""
    return greater_equal(y, x, temperature=temperature)


def select(condition, a, b, *, temperature: "float | jax.Array | None" = None):
    """where(condition, a, b) for a condition in {0, 1} (e.g. from `greater`); surrogate
    c a + (1 - c) b, linear in the condition (the temperature lives in the estimator that made
    `condition`; here it only switches the estimator on)."""
    if _check(temperature) is None:
        return jnp.where(jnp.asarray(condition) > 0.5, a, b)
    c, a, b = jnp.broadcast_arrays(jnp.asarray(condition, float), jnp.asarray(a, float), jnp.asarray(b, float))
    return _straight_through(lambda c, a, b: jnp.where(c > 0.5, a, b), lambda c, a, b: c * a + (1 - c) * b, c, a, b)


# ---- rounding ---------------------------------------------------------------------------------


def _soft_round(x, temperature):
    """floor(x) + sigmoid((frac(x) - 1/2)/T): equal to round(x) as T -> 0, its slope concentrated
    at the half-integers where round jumps (floor(x) is held constant: its derivative is 0)."""
    base = jax.lax.stop_gradient(jnp.floor(x))
    return base + jax.nn.sigmoid((x - base - 0.5) / temperature)


def round(x, *, temperature: "float | jax.Array | None" = None):
    """round(x) (half to even, as `jnp.round`); surrogate `floor(x) + sigmoid((frac(x) - 1/2)/T)`."""
    if _check(temperature) is None:
        return jnp.round(x)
    x = jnp.asarray(x, float)
    return _straight_through(jnp.round, lambda x: _soft_round(x, temperature), x)


def floor(x, *, temperature: "float | jax.Array | None" = None):
    """floor(x); surrogate the soft round of x - 1/2 (slope at the integers, where floor jumps)."""
    if _check(temperature) is None:
        return jnp.floor(x)
    x = jnp.asarray(x, float)
    return _straight_through(jnp.floor, lambda x: _soft_round(x - 0.5, temperature), x)


def ceil(x, *, temperature: "float | jax.Array | None" = None):
    """ceil(x); surrogate the soft round of x + 1/2."""
    if _check(temperature) is None:
        return jnp.ceil(x)
    x = jnp.asarray(x, float)
    return _straight_through(jnp.ceil, lambda x: _soft_round(x + 0.5, temperature), x)


# ---- indexing ---------------------------------------------------------------------------------


def _index_weights(index, n, temperature):
    """softmax_j(-(j - index)^2/T): a kernel of width ~sqrt(T) slots centred on the float index."""
    j = jnp.arange(n, dtype=index.dtype)
    return jax.nn.softmax(-((j - index[..., None]) ** 2) / temperature, axis=-1)


def take(array, index, *, temperature: "float | jax.Array | None" = None):
    """array[..., round(index)] along the last axis (index clipped to the array); surrogate
    sum_j w_j array[..., j], w = softmax(-(j - index)^2/T): differentiable in the array and in the
    float index."""
    n = array.shape[-1]
    if _check(temperature) is None:
        i = jnp.clip(jnp.round(index), 0, n - 1).astype(jnp.int32)
        return jnp.take_along_axis(array, i[..., None], axis=-1)[..., 0]
    array = jnp.asarray(array, float)
    index = jnp.asarray(index, array.dtype)

    def hard(a, i):
        k = jnp.clip(jnp.round(i), 0, n - 1).astype(jnp.int32)
        return jnp.take_along_axis(a, jnp.broadcast_to(k, a.shape[:-1])[..., None], axis=-1)[..., 0]

    def soft(a, i):
        return jnp.sum(_index_weights(jnp.broadcast_to(i, a.shape[:-1]), n, temperature) * a, axis=-1)

    return _straight_through(hard, soft, array, index)


def dynamic_update_slice(array, update, start, *, temperature: "float | jax.Array | None" = None):
    """`lax.dynamic_update_slice` of a 1-D `array` with `update` at the float `start` (rounded,
    clipped so the slice fits); surrogate the blend (1 - l) U(floor s) + l U(floor s + 1) of the
    updates at the two neighbouring integer starts, l = sigmoid((frac(s) - 1/2)/T)."""
    n, m = array.shape[0], update.shape[0]

    def at(a, u, s):
        return jax.lax.dynamic_update_slice(a, u, (jnp.clip(s, 0, n - m).astype(jnp.int32),))

    if _check(temperature) is None:
        return at(array, update, jnp.round(start))
    array, update = jnp.asarray(array, float), jnp.asarray(update, float)
    start = jnp.asarray(start, array.dtype)

    def soft(a, u, s):
        base = jax.lax.stop_gradient(jnp.floor(s))
        lam = jax.nn.sigmoid((s - base - 0.5) / temperature)
        return (1 - lam) * at(a, u, base) + lam * at(a, u, base + 1)

    return _straight_through(lambda a, u, s: at(a, u, jnp.round(s)), soft, array, update, start)


def fill_window(array, start, width, value, *, temperature: "float | jax.Array | None" = None):
    """`array` with positions start..start+width-1 set to `value` (start rounded; a window of
    spectrum slots being occupied); surrogate (1 - m_j) array_j + m_j value with the soft window
    m_j = sigmoid((j - s + 1/2)/T) sigmoid((s + w - 1/2 - j)/T), differentiable in the start."""
    n = array.shape[-1]
    j = jnp.arange(n)

    def hard(a, s, v):
        s = jnp.round(s)
        return jnp.where((j >= s) & (j < s + width), v, a)

    if _check(temperature) is None:
        return hard(array, start, value)
    array = jnp.asarray(array, float)
    start, value = jnp.asarray(start, array.dtype), jnp.asarray(value, array.dtype)

    def soft(a, s, v):
        m = jax.nn.sigmoid((j - s + 0.5) / temperature) * jax.nn.sigmoid((s + width - 0.5 - j) / temperature)
        return (1 - m) * a + m * v

    return _straight_through(hard, soft, array, start, value)
