"""Dynamic traffic as pure JAX: random connection requests and their routing, modulation and
spectrum assignment (KSP-FF) in one `lax.scan`."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from ._grid import SlotGrid
from ._lightpaths import Lightpaths
from ._random import random_bits
from ._routing import PathTable, free_blocks, slots_needed
from ._spectrum import EXCESS_KURTOSIS

# excess kurtosis by bits per symbol (index): BPSK, QPSK, 8QAM, 16QAM, 32QAM, 64QAM
_KURTOSIS_BY_BPS = (0.0, EXCESS_KURTOSIS["BPSK"], EXCESS_KURTOSIS["QPSK"], EXCESS_KURTOSIS["8QAM"],
                    EXCESS_KURTOSIS["16QAM"], EXCESS_KURTOSIS["32QAM"], EXCESS_KURTOSIS["64QAM"])


class Requests(eqx.Module):
    """Connection requests in arrival order.

    **Fields:** `source`, `destination` (node indices), `bit_rate` (bit/s), `arrival` (time of
    arrival, in units of the mean holding time), `holding` (holding time, same unit; inf for
    incremental loading).
    """

    source: Int[Array, " requests"]
    destination: Int[Array, " requests"]
    bit_rate: Float[Array, " requests"]
    arrival: Float[Array, " requests"]
    holding: Float[Array, " requests"]

    @property
    def n_requests(self) -> int:
        return self.source.shape[0]


def poisson_requests(
    key: PRNGKeyArray,
    n_requests: int,
    n_nodes: int,
    load: float,
    *,
    bit_rate_gbps: tuple[int, int] = (25, 100),
    truncate: bool = True,
) -> Requests:
    """Dynamic traffic of the RMSA benchmark setting: node pairs uniform over ordered pairs (s != d),
    bit rates uniform over the integers `bit_rate_gbps` (Gb/s, inclusive), Poisson arrivals at
    `load` Erlang (arrival rate x mean holding time, the mean holding time being the time unit) and
    exponential holding times, truncated below twice the mean (`truncate`; a draw >= 2 is redrawn,
    here sampled exactly from the truncated law by inversion).

    All four variables come from one block of threefry bits (`_random.random_bits`: the hash
    written out, which fuses, where `jax.random` runs a loop per draw on CPU): the integers by
    modulo (bias below n / 2^32), the times by inversion of a uniform with 24 random bits (the tail
    beyond 16.6 mean gaps, probability 6e-8, is cut)."""
    if n_nodes < 2:
        raise ValueError(f"`n_nodes` must be >= 2; got {n_nodes}.")
    if not load > 0:
        raise ValueError(f"`load` must be > 0 Erlang; got {load}.")
    lo, hi = bit_rate_gbps
    bits = random_bits(key, 4 * n_requests).reshape(4, n_requests)
    pair = (bits[0] % (n_nodes * (n_nodes - 1))).astype(jnp.int32)
    source = pair // (n_nodes - 1)
    rest = pair % (n_nodes - 1)
    destination = rest + (rest >= source)
    rate = (lo + bits[1] % (hi - lo + 1)).astype(float) * 1e9
    u_gap, u_hold = ((bits[2:] >> 8).astype(float) * 2.0**-24)  # uniform on [0, 1 - 2^-24]
    arrival = jnp.cumsum(-jnp.log1p(-u_gap) / load)  # exponential gaps (inverse CDF)
    top = 1.0 - jnp.exp(-2.0) if truncate else 1.0
    holding = -jnp.log1p(-u_hold * top)  # inverse CDF of Exp(1) conditioned on < 2 (or not)
    return Requests(source, destination, rate, arrival, holding)


def incremental_requests(key: PRNGKeyArray, n_requests: int, n_nodes: int, *, bit_rate_gbps: tuple[int, int] | None = None,
                         slot_width: float = 12.5e9) -> Requests:
    """Requests that never leave (incremental loading), node pairs uniform over ordered pairs.
    Without `bit_rate_gbps` every request needs one slot at any format (bit rate = one slot of
    BPSK)."""
    r = poisson_requests(key, n_requests, n_nodes, 1.0, bit_rate_gbps=bit_rate_gbps or (1, 1))
    rate = jnp.full(n_requests, slot_width) if bit_rate_gbps is None else r.bit_rate
    return Requests(r.source, r.destination, rate, jnp.arange(n_requests, dtype=float), jnp.full(n_requests, jnp.inf))


class Allocation(eqx.Module):
    """What KSP-FF did with each request: `accepted`, the candidate `path` (index into the k
    paths of its pair; -1 if blocked), the `first_slot` and `n_slots`."""

    accepted: Bool[Array, "*requests"]
    path: Int[Array, "*requests"]
    first_slot: Int[Array, "*requests"]
    n_slots: Int[Array, "*requests"]

    def blocking(self, warmup: int = 0) -> Float[Array, ""]:
        """Service blocking probability of the requests after the first `warmup`."""
        return 1.0 - jnp.mean(self.accepted[warmup:])

    def lightpaths(self, paths: PathTable, requests: Requests, *, power: float = 1e-3,
                   active_at: float | None = None) -> Lightpaths:
        """The accepted requests as `Lightpaths` (one row per request; blocked rows inactive):
        launch `power` W, symbol rate bit rate / bits per symbol (the rate the slot count was sized
        for, guard excluded), formats from the bits per symbol (QAM excess kurtosis). With
        `active_at`, only the requests in service at that time are active."""
        row = paths.pair(requests.source, requests.destination)
        p = jnp.maximum(self.path, 0)
        bps = paths.bits_per_symbol[row, p]
        kurtosis = jnp.asarray(_KURTOSIS_BY_BPS)[jnp.clip(bps, 0, len(_KURTOSIS_BY_BPS) - 1)]
        active = self.accepted
        if active_at is not None:
            active = active & (requests.arrival <= active_at) & (requests.arrival + requests.holding > active_at)
        return Lightpaths(
            paths.links[row, p], jnp.maximum(self.first_slot, 0), jnp.maximum(self.n_slots, 1),
            jnp.full(requests.n_requests, power), requests.bit_rate / jnp.maximum(bps, 1),
            kurtosis, active,
        )


def _ksp_ff_step(paths: PathTable, n_links: int, grid: SlotGrid, guard: int, busy, request):
    """One request: the first candidate (in the table's order) with a free block, lowest slot first."""
    src, dst, rate, t, hold = request
    row = paths.pair(src, dst)
    links = paths.links[row]  # (k, hops)
    n_slots = grid.n_slots
    width = slots_needed(rate, paths.bits_per_symbol[row], slot_width=grid.slot_width, guard=guard)
    rows = jnp.where(links >= 0, links, n_links)  # the padding row of `busy` is always free
    free = jnp.all(busy[rows] <= t, axis=1)  # (k, slots)
    ok = free_blocks(free, width, grid.band if len(grid.bands) > 1 else None) & paths.valid[row][:, None]
    found = jnp.any(ok, axis=-1)
    accepted = jnp.any(found)
    p = jnp.argmax(found)
    slot = jnp.argmax(ok[p])
    s = jnp.arange(n_slots)
    mask = accepted & (s >= slot) & (s < slot + width[p])
    update = jnp.where(links[p] >= 0, links[p], n_links + 1)  # padding: dropped
    busy = busy.at[update].set(jnp.where(mask, t + hold, busy[rows[p]]), mode="drop")
    return busy, Allocation(accepted, jnp.where(accepted, p, -1), jnp.where(accepted, slot, -1), jnp.where(accepted, width[p], 0))


def ksp_first_fit(paths: PathTable, requests: Requests, n_links: int, grid: "SlotGrid | int", *,
                  guard: int = 1) -> Allocation:
    """KSP-FF on a network of `n_links` fibres with the slots of `grid` (a `SlotGrid`, or a slot
    count for one band of 12.5 GHz slots): each request takes the first of its pair's candidate
    paths (in the `PathTable`'s order) that has `slots_needed` contiguous free slots (in one band)
    on every link, at the lowest such slot (first fit); otherwise it is blocked. Departures are
    handled by time: a slot is free once the time passes its holder's departure. One `lax.scan`
    over the requests (pure JAX; jit, vmap over seeds)."""
    if not isinstance(grid, SlotGrid):
        grid = SlotGrid.uniform(int(grid))
    return _ksp_first_fit(paths, requests, n_links, grid, guard)


@eqx.filter_jit
def _ksp_first_fit(paths, requests, n_links, grid, guard):
    busy = jnp.zeros((n_links + 1, grid.n_slots))
    step = lambda b, r: _ksp_ff_step(paths, n_links, grid, guard, b, r)
    xs = (requests.source, requests.destination, requests.bit_rate, requests.arrival, requests.holding)
    return jax.lax.scan(step, busy, xs)[1]
