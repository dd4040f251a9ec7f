"""Input checks shared by the modules: eager ones at construction, traced ones via `eqx.error_if`."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def concrete(x):
    """`x` as a numpy array if its value is known now (not under jit/vmap), else None."""
    if isinstance(x, jax.core.Tracer):
        return None
    try:
        return np.asarray(x)
    except Exception:  # pragma: no cover - exotic array types
        return None


def check_eager(x, name: str, *, positive: bool = False, nonnegative: bool = False):
    """Raise `ValueError` now for NaN or wrong sign when `x` is concrete."""
    v = concrete(x)
    if v is None or v.size == 0:
        return
    if not np.all(np.isfinite(v)):
        raise ValueError(f"`{name}` contains NaN or inf; give finite values.")
    if positive and np.any(v <= 0):
        raise ValueError(f"`{name}` must be > 0 (got min {v.min():.6g}).")
    if nonnegative and np.any(v < 0):
        raise ValueError(f"`{name}` must be >= 0 (got min {v.min():.6g}).")


def check_traced(x, name: str, *, positive: bool = False, nonnegative: bool = False):
    """The same checks inside jit; returns `x`, which the caller must use."""
    x = eqx.error_if(x, ~jnp.all(jnp.isfinite(x)), f"`{name}` contains NaN or inf.")
    if positive:
        x = eqx.error_if(x, jnp.any(x <= 0), f"`{name}` must be > 0.")
    if nonnegative:
        x = eqx.error_if(x, jnp.any(x < 0), f"`{name}` must be >= 0.")
    return x


def as_float_array(x):
    """A floating JAX array (keeps tracers; ints become the default float dtype)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(float)
    return x


def broadcast_to_axis(x, n: int, name: str, what: str):
    """`x` as a float array of shape (n,): a scalar is broadcast, any other shape is an error."""
    x = as_float_array(x)
    if x.ndim == 0:
        return jnp.broadcast_to(x, (n,))
    if x.shape != (n,):
        raise ValueError(f"`{name}` must be a scalar or have shape ({n},), one per {what}; got {x.shape}.")
    return x


def stack_modules(modules: list, what: str):
    """Stack modules of the same structure into one with a leading axis on every array field."""
    if len(modules) == 0:
        raise ValueError(f"Need at least one of {what} to stack.")
    structures = {jax.tree.structure(m) for m in modules}
    if len(structures) > 1:
        raise ValueError(
            f"All {what} must have the same structure to be stacked (same types, table shapes, "
            "static options)."
        )
    try:
        return jax.tree.map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *modules)
    except (ValueError, TypeError) as e:
        raise ValueError(f"All {what} must have array fields of the same shapes to be stacked.") from e
