"""Direct gradient-based RSA: the (path, slot) action of every request is a continuous parameter,
and the number of accepted requests is differentiated through straight-through estimators.

The method (Adam through the estimators, alternated with a discrete repair and keeping the best
solution) follows the idea of XLRON's direct RSA (seed 001); the repair and the selection are ours.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, Int

from . import straight_through as st
from ._routing import PathTable, slots_needed, window_sum
from ._traffic import Requests

_NEG = -1e9  # logit of an impossible action (a window past the band edge, a missing path)


class RsaProblem(eqx.Module):
    """Incremental RSA of a request sequence on a network whose links each carry `n_slots` slots.

    **Fields:** `on_path` (requests, k, links): 1 where the candidate path uses the link; `width`
    (requests, k): slots the request needs on each path; `feasible` (requests, k, slots): whether
    the window fits at that first slot (and the path exists).
    """

    on_path: Float[Array, "requests k links"]
    width: Int[Array, "requests k"]
    feasible: Float[Array, "requests k slots"]

    @classmethod
    def build(cls, paths: PathTable, requests: Requests, n_links: int, n_slots: int, *,
              slot_width: float = 12.5e9, guard: int = 0) -> "RsaProblem":
        row = paths.pair(requests.source, requests.destination)
        links = paths.links[row]  # (requests, k, hops)
        on_path = jnp.zeros(links.shape[:2] + (n_links + 1,)).at[
            jnp.arange(links.shape[0])[:, None, None], jnp.arange(links.shape[1])[None, :, None],
            jnp.where(links >= 0, links, n_links)].set(1.0)[..., :n_links]
        width = slots_needed(requests.bit_rate[:, None], paths.bits_per_symbol[row], slot_width=slot_width, guard=guard)
        s = jnp.arange(n_slots)
        feasible = (s + width[..., None] <= n_slots) & paths.valid[row][..., None]
        return cls(on_path, jnp.minimum(width, n_slots + 1), feasible.astype(float))

    @property
    def shape(self):
        return self.feasible.shape


def _spread(x, width):
    """sum_{j < width} x[..., s - j] at each s: a one-hot start spread over its window."""
    n = x.shape[-1]
    c = jnp.concatenate([jnp.zeros(x.shape[:-1] + (1,), x.dtype), jnp.cumsum(x, axis=-1)], axis=-1)
    start = jnp.maximum(jnp.arange(n) + 1 - width[..., None], 0)
    return c[..., 1:] - jnp.take_along_axis(c, start, axis=-1)


def accepted_requests(problem: RsaProblem, logits: Float[Array, "requests k slots"], *, temperature: "float | jax.Array | None" = None):
    """Whether each request is accepted when each takes the argmax (path, first slot) of its
    logits in arrival order (a request whose window is busy on a link of its path is blocked).
    With a temperature, the straight-through estimators make the count differentiable."""
    _, k, n_slots = problem.shape
    occupancy = jnp.zeros((problem.on_path.shape[-1], n_slots))
    masked = jnp.where(problem.feasible > 0, logits, _NEG)

    def step(occ, xs):
        a, on_path, width = xs
        choice = st.argmax_one_hot(a.reshape(-1), temperature=temperature).reshape(k, n_slots)
        # busy[p, s] = 1 - prod over the path's links of (1 - occ): exact for 0/1 occupancy
        busy = 1 - jnp.exp(on_path @ jnp.log1p(-jnp.clip(occ, 0.0, 1.0 - 1e-6)))
        clash = window_sum(busy, width)
        free = (clash < 0.5).astype(occ.dtype) if temperature is None else st.less(clash, 0.5, temperature=temperature)
        ok = jnp.sum(choice * free)
        used = _spread(choice * ok, width)  # (k, slots)
        return occ + on_path.T @ used, ok

    return jax.lax.scan(step, occupancy, (masked, problem.on_path, problem.width))[1]


def first_fit_logits(problem: RsaProblem, logits=None, *, scale: float = 3.0):
    """Discrete repair: requests in arrival order keep their argmax action if it is free; a blocked
    one moves to the first free (path in candidate order, lowest slot) action, if any. Returns the
    repaired logits (a repaired request's logits become `scale` x one-hot). From zero logits (no
    preference) this is KSP-FF."""
    _, k, n_slots = problem.shape
    logits = jnp.zeros(problem.shape) if logits is None else logits
    occupancy = jnp.zeros((problem.on_path.shape[-1], n_slots))

    def step(occ, xs):
        a, on_path, width, feasible = xs
        masked = jnp.where(feasible > 0, a, _NEG)
        busy = (on_path @ occ) > 0.5
        free = (window_sum(busy.astype(occ.dtype), width) < 0.5) & (feasible > 0)
        index = jnp.argmax(masked.reshape(-1))
        keep = free.reshape(-1)[index] & (jnp.max(masked) > _NEG / 2) & jnp.any(a != 0)
        fallback = jnp.argmax(free.reshape(-1))  # row-major: path order, then lowest slot
        found = keep | jnp.any(free)
        chosen = jnp.where(keep, index, fallback)
        one_hot = jax.nn.one_hot(chosen, k * n_slots).reshape(k, n_slots) * found
        new = jnp.where(keep, a, scale * one_hot.reshape(a.shape))
        return occ + on_path.T @ _spread(one_hot, width), new

    return jax.lax.scan(step, occupancy, (logits, problem.on_path, problem.width, problem.feasible))[1]


class DirectRsaResult(eqx.Module):
    """`logits` of the best solution, its `accepted` count, and the count after each round."""

    logits: Float[Array, "requests k slots"]
    accepted: Int[Array, ""]
    history: Int[Array, " rounds"]


def direct_rsa(
    problem: RsaProblem,
    logits=None,
    *,
    rounds: int = 20,
    steps: int = 10,
    learning_rate: float = 0.3,
    temperature: tuple[float, float] = (1.0, 0.05),
    repair: bool = True,
) -> DirectRsaResult:
    """Maximise the accepted requests over the actions: each round runs `steps` Adam steps on the
    straight-through count (temperature annealed geometrically from `temperature[0]` to
    `temperature[1]` over the rounds), then (`repair`) the discrete repair of `first_fit_logits`;
    the best discrete solution seen is kept, so the result never falls below the start.
    `logits=None` starts from zero (no preference)."""
    logits = jnp.zeros(problem.shape) if logits is None else logits
    temps = np.geomspace(temperature[0], temperature[1], max(rounds, 1))
    optimiser = optax.adam(learning_rate)
    best, best_count = logits, jnp.sum(accepted_requests(problem, logits))
    history = []
    for t in temps:
        logits = _round(problem, logits, optimiser, jnp.asarray(t, logits.dtype), steps, repair)
        count = jnp.sum(accepted_requests(problem, logits))
        better = count > best_count
        best = jnp.where(better, logits, best)
        best_count = jnp.maximum(count, best_count)
        history.append(count)
    return DirectRsaResult(best, best_count.astype(int), jnp.asarray(history, int))


@eqx.filter_jit
def _round(problem, logits, optimiser, temperature, steps, repair):
    def loss(x):
        return -jnp.sum(accepted_requests(problem, x, temperature=temperature))

    def body(carry, _):
        x, state = carry
        grad = jax.grad(loss)(x)
        updates, state = optimiser.update(grad, state, x)
        return (optax.apply_updates(x, updates), state), None

    (logits, _), _ = jax.lax.scan(body, (logits, optimiser.init(logits)), None, length=steps)
    return first_fit_logits(problem, logits) if repair else logits
