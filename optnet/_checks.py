"""Input checks. Each module states its rules once (`rules()`): they raise `ValueError` at
construction when the values are known, and are attached to the computation with one
`eqx.branched_error_if` when they are traced (under `jax.jit`), so both modes refuse the same inputs
with the same message."""

import functools
import logging
import re
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class Rule(NamedTuple):
    """`violated`: a bool (array) that is True where the input is bad; `message`: what to change,
    naming the argument."""

    violated: Any
    message: str


def _traced(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def _xp(x):
    """numpy for known values (cheap at construction), jax.numpy for traced ones."""
    return jnp if _traced(x) else np


def concrete(x):
    """`x` as a numpy array if its value is known now (not under jit/vmap), else None."""
    if _traced(x):
        return None
    try:
        return np.asarray(x)
    except Exception:  # pragma: no cover - exotic array types
        return None


class Bound(NamedTuple):
    """A numeric input that must be finite and within [lower, upper] (`strict`: lower excluded),
    and within the plausible magnitude range `plausible` (0 always passes it; (0, inf) for none).
    `messages`: what to say for NaN/inf, below, above and implausible, in that order."""

    value: Any
    lower: float
    strict: bool
    upper: float
    plausible: tuple[float, float]
    messages: tuple[str, str, str, str]

    def codes(self, xp=jnp):
        """Per element: 0 fine, 1 NaN/inf, 2 below, 3 above, 4 implausible (limits may be arrays)."""
        x = self.value
        lo, hi = self.plausible
        ax = xp.abs(x)
        code = xp.where(x > self.upper, 3, xp.where((ax > hi) | ((ax < lo) & (x != 0)), 4, 0))
        code = xp.where(xp.where(self.strict, x <= self.lower, x < self.lower), 2, code)
        return xp.where(xp.isfinite(x), code, 1)


Rules = list[Rule | Bound]
"""What a module's `rules()` returns."""


def value_rules(
    x,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    at_least: float | None = None,
    at_most: float | None = None,
    plausible: tuple[float, float] | None = None,
    unit: str = "",
    hint: str = "",
) -> Rules:
    """The rule for a numeric input: finite, a sign or bound, and (if given) a plausible range
    whose message suggests the likely unit slip (`hint`)."""
    if not _traced(x):
        x = np.asarray(x)
    u = f" {unit}" if unit else ""
    why = f" ({hint})" if hint else ""
    lower, strict = -np.inf, False
    if at_least is not None:
        lower = at_least
    if nonnegative:
        lower = 0.0
    if positive:
        lower, strict = 0.0, True
    upper = np.inf if at_most is None else at_most
    sign = ">" if strict else ">="
    messages = (
        f"`{name}` contains NaN or inf; give finite values.",
        f"`{name}` must be {sign} {lower:g}{u}{why}.",
        f"`{name}` must be <= {upper:g}{u}{why}.",
        "" if plausible is None else (
            (f"`{name}` is outside the plausible range {plausible[0]:g} to {plausible[1]:g}{u}" if plausible[0] > 0
             else f"`{name}` is implausibly large (|value| > {plausible[1]:g}{u})")
            + f"{(': ' + hint) if hint else ''}. Pass `unchecked=True` to the module for an exotic study."
        ),
    )
    return [Bound(x, lower, strict, upper, (0.0, np.inf) if plausible is None else plausible, messages)]


def table_rules(frequency, name: str, *, nonnegative: bool = False, unit: str = "Hz") -> Rules:
    """Rules for an interpolation table's abscissa: finite, > 0 (or >= 0) and strictly increasing."""
    if frequency is None:
        return []
    xp = _xp(frequency)
    f = xp.asarray(frequency)
    return [
        *value_rules(f, name, positive=not nonnegative, nonnegative=nonnegative, unit=unit),
        Rule(xp.diff(f, axis=-1) <= 0, f"`{name}` must be strictly increasing (sort the table)."),
    ]


def raise_now(rules: Rules) -> None:
    """Raise `ValueError` for the first violated rule whose value is known now."""
    for r in rules:
        if isinstance(r, Bound):
            if _traced(r.value):
                continue
            codes = np.ravel(r.codes(np))
            if codes.size and codes.max() > 0:
                raise ValueError(r.messages[int(codes[np.argmax(codes > 0)]) - 1])
        elif not _traced(r.violated) and bool(np.any(r.violated)):
            raise ValueError(r.message)


def enforce(tree, rules: Rules):
    """`tree` with the traced rules attached by one `eqx.branched_error_if` (known values are
    checked now). Use the returned tree: a check only runs if its output is used."""
    raise_now(rules)
    bounds = [r for r in rules if isinstance(r, Bound) and _traced(r.value)]
    others = [r for r in rules if isinstance(r, Rule) and _traced(r.violated)]
    if not bounds and not others:
        return tree
    # every element's verdict in one flat vector of message numbers (0: fine): one fused kernel,
    # one conditional
    messages = [m for b in bounds for m in b.messages] + [r.message for r in others]
    parts = []
    if bounds:
        # the bounds as one vector of values against constant vectors of limits
        values = [jnp.ravel(b.value) for b in bounds]
        dtype = jnp.result_type(*values)
        sizes = [v.shape[0] for v in values]

        def spread(get):
            return np.concatenate([np.full(k, get(b)) for k, b in zip(sizes, bounds)]).astype(dtype)

        merged = Bound(
            jnp.concatenate([v.astype(dtype) for v in values]),
            spread(lambda b: b.lower), spread(lambda b: b.strict).astype(bool), spread(lambda b: b.upper),
            (spread(lambda b: b.plausible[0]), spread(lambda b: b.plausible[1])),
            ("", "", "", ""),
        )
        code = merged.codes()
        owner = np.concatenate([np.full(k, 4 * i) for i, k in enumerate(sizes)]).astype(np.int32)
        parts.append(jnp.where(code > 0, owner + code, 0))
    base = 4 * len(bounds) + 1
    parts += [jnp.ravel(jnp.where(jnp.asarray(r.violated), base + i, 0)) for i, r in enumerate(others)]
    verdict = jnp.concatenate(parts)
    first = verdict[jnp.argmax(verdict > 0)]
    dynamic, static = eqx.partition(tree, eqx.is_inexact_array)
    dynamic = eqx.branched_error_if(dynamic, first > 0, jnp.maximum(first - 1, 0), messages)
    return eqx.combine(dynamic, static)


class AbstractValidated(eqx.Module):
    """A module whose input rules (`rules()`) are checked at construction when its values are
    known, and by `checked()` inside a computation."""

    def rules(self) -> Rules:
        """The module's input rules (override, extending the parent's)."""
        return []

    def __check_init__(self):
        raise_now(self.rules())

    def checked(self):
        """This module with its traced rules attached (use the returned module)."""
        return enforce(self, self.rules())


_CALLBACK_LOG = logging.getLogger("jax._src.callback")
_EQX_MESSAGE = re.compile(r"EquinoxRuntimeError: (.+?)\n\n", re.S)


def settled(out):
    """`out`, waited for on an accelerator: there a failed runtime check surfaces when the result
    is ready, not at the call (on CPU a call runs its checks' callbacks before it returns), so a
    call that waits raises itself rather than a later one. Traced values pass through."""
    if jax.default_backend() != "cpu" and not any(isinstance(x, jax.core.Tracer) for x in jax.tree.leaves(out)):
        jax.block_until_ready(out)
    return out


def readable_errors(fn):
    """Re-raise a failed runtime check of a jitted call as `ValueError(message)`, without the
    callback traceback that plain `jax.jit` wraps around it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        # JAX logs the failed check's callback traceback itself; the ValueError says it all
        previous, _CALLBACK_LOG.disabled = _CALLBACK_LOG.disabled, True
        try:
            return settled(fn(*args, **kwargs))
        except (jax.errors.JaxRuntimeError, eqx.EquinoxRuntimeError) as e:
            match = _EQX_MESSAGE.search(str(e))
            if match is None:
                raise
            raise ValueError(match.group(1).strip()) from None
        finally:
            _CALLBACK_LOG.disabled = previous

    return wrapper


def as_float_array(x, name: str | None = None):
    """A floating JAX array (keeps tracers; ints become the default float dtype). With `name`, a
    non-numeric input raises `TypeError` naming the argument."""
    if name is not None and (x is None or isinstance(x, (str, bytes)) or not _numeric(x)):
        raise TypeError(f"`{name}` must be a number or an array of numbers; got {type(x).__name__} {x!r:.40}.")
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(float)
    return x


def _numeric(x) -> bool:
    if _traced(x) or isinstance(x, (int, float, np.number, np.ndarray, jax.Array)):
        return True
    try:
        return np.asarray(x).dtype.kind in "biuf"
    except Exception:
        return False


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
