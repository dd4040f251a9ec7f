"""One gradient-ascent loop for every optimiser in optnet: optax, a jitted step, a history."""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float, PyTree


class Maximisation(eqx.Module):
    """Outcome of `maximise`.

    **Fields:**

    - `value`: the parameters after the last step (same structure as `x0`).
    - `history`: the objective at the start and after each step, shape `(steps + 1,)`.
    """

    value: PyTree
    history: Float[Array, " steps"]


def maximise(
    objective: Callable[[PyTree], Array],
    x0: PyTree,
    optimiser: optax.GradientTransformation,
    *,
    steps: int,
    callback: Callable[[int, float], None] | None = None,
) -> Maximisation:
    """Maximise the scalar `objective(x)` over the array pytree `x` with `steps` updates of an optax
    `optimiser`. Without a `callback` the whole loop is one compiled `lax.scan`; with one, a compiled
    step runs per update and `callback(step, value)` follows each.

    ??? cite "References"
        D. P. Kingma, J. Ba, "Adam: a method for stochastic optimization", ICLR 2015 (the usual choice).
    """
    if not isinstance(steps, int) or steps < 0:
        raise ValueError(f"`steps` must be a non-negative int; got {steps!r}.")

    def step(x, state):
        value, grad = jax.value_and_grad(lambda y: -objective(y))(x)
        updates, state = optimiser.update(grad, state, x)
        return optax.apply_updates(x, updates), state, -value

    if callback is None:
        @eqx.filter_jit
        def run(x):
            def body(carry, _):
                x, state, value = step(*carry)
                return (x, state), value

            (x, _), values = jax.lax.scan(body, (x, optimiser.init(x)), None, length=steps)
            return x, jnp.append(values, objective(x))

        x, history = run(x0)
        bad = ~jnp.isfinite(history)
        if jnp.any(bad):
            k = int(jnp.argmax(bad))
            raise FloatingPointError(f"The objective became {float(history[k])} at step {k}: lower the learning rate.")
        return Maximisation(x, history)

    step = eqx.filter_jit(step)
    x, state = x0, optimiser.init(x0)
    history = []
    for k in range(steps):
        x, state, value = step(x, state)
        value = float(value)
        if not jnp.isfinite(value):
            raise FloatingPointError(f"The objective became {value} at step {k}: lower the learning rate.")
        history.append(value)
        callback(k, value)
    # the final value from the compiled step (its update is discarded): no second compilation
    history.append(float(step(x, state)[2]) if steps else float(eqx.filter_jit(objective)(x)))
    return Maximisation(x, jnp.asarray(history))
