"""Candidate paths as arrays (k shortest paths of every node pair), modulation by reach, first fit."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from ._topology import Topology


@dataclasses.dataclass(frozen=True)
class ModulationTable:
    """Modulation formats by transparent reach (distance-adaptive modulation).

    **Fields:** `names`, `bits_per_symbol`, `reach` (m), densest first or in any order; a path
    uses the densest format whose reach covers its length.
    """

    names: tuple[str, ...]
    bits_per_symbol: tuple[int, ...]
    reach: tuple[float, ...]

    @classmethod
    def deeprmsa(cls) -> "ModulationTable":
        """The reach table of DeepRMSA (Chen et al., JLT 37(16), 2019) and the RMSA benchmarks:
        BPSK 100,000 km, QPSK 2,500 km, 8QAM 1,250 km, 16QAM 625 km."""
        return cls(("BPSK", "QPSK", "8QAM", "16QAM"), (1, 2, 3, 4), (100_000e3, 2_500e3, 1_250e3, 625e3))

    def format_index(self, length) -> np.ndarray:
        """Index of the densest format whose reach covers `length` (m); -1 if none does."""
        length = np.asarray(length, float)
        bps = np.asarray(self.bits_per_symbol)
        ok = length[..., None] <= np.asarray(self.reach)
        score = np.where(ok, bps, -1)
        best = np.argmax(score, axis=-1)
        return np.where(ok.any(axis=-1), best, -1)


class PathTable(eqx.Module):
    """The k candidate paths of every ordered node pair, as arrays. Pair (s, d) is row
    `s * n_nodes + d`; rows of s == d and missing paths hold no links.

    **Fields:**

    - `links`: link indices of each path, padded with -1, `(pairs, k, max_hops)`.
    - `hops`: links on each path (0 where there is no path).
    - `length`: path length, m.
    - `bits_per_symbol`: of the format the reach table gives the path (0 where none reaches).
    - `n_nodes`: nodes of the topology (static).
    """

    links: Int[Array, "pairs k hops"]
    hops: Int[Array, "pairs k"]
    length: Float[Array, "pairs k"]
    bits_per_symbol: Int[Array, "pairs k"]
    n_nodes: int = eqx.field(static=True)

    @property
    def k(self) -> int:
        return self.links.shape[1]

    def pair(self, source, destination):
        """Row of the pair (node indices; arrays allowed)."""
        return source * self.n_nodes + destination

    @property
    def valid(self) -> Bool[Array, "pairs k"]:
        return self.hops > 0


def k_shortest_paths(
    topology: Topology,
    k: int,
    *,
    weight: str = "hops",
    order: str = "resources",
    modulations: ModulationTable | None = None,
    seed: int = 0,
) -> PathTable:
    """The `k` shortest loop-free paths of every ordered node pair (Yen's algorithm via networkx).

    - `weight`: "hops" (fewest links, ties by length) or "length".
    - `order`: the order in which the candidates are tried: "resources" (spectral resources, hops
      divided by the bits per symbol of the path's format, as in the RMSA benchmark setting; ties
      broken in a fixed pseudo-random order drawn from `seed`), "hops" (then length) or "length".
    - `modulations`: the reach table (default `ModulationTable.deeprmsa()`).
    """
    from itertools import islice

    import networkx as nx

    if not isinstance(k, int) or k < 1:
        raise ValueError(f"`k` must be a positive int; got {k!r}.")
    if weight not in ("hops", "length"):
        raise ValueError(f"`weight` must be 'hops' or 'length'; got {weight!r}.")
    if order not in ("resources", "hops", "length"):
        raise ValueError(f"`order` must be 'resources', 'hops' or 'length'; got {order!r}.")
    modulations = ModulationTable.deeprmsa() if modulations is None else modulations
    graph = topology.to_networkx()
    # fewest hops, ties by length: every path is shorter than the sum of all links
    scale = 1.0 / (sum(topology.length) * (1 + 1e-9))
    for _, _, attrs in graph.edges(data=True):
        attrs["hops"] = 1.0 + attrs["length"] * scale
    n = topology.n_nodes
    rng = np.random.default_rng(seed)
    found: list[list[list[int]]] = []
    for s in range(n):
        if k == 1:  # one Dijkstra per source instead of one Yen search per pair
            tree = nx.single_source_dijkstra_path(graph, s, weight=weight)
        for d in range(n):
            if s == d or (d not in tree if k == 1 else not nx.has_path(graph, s, d)):
                found.append([])
            elif k == 1:
                found.append([list(topology.route(tree[d]))])
            else:
                paths = islice(nx.shortest_simple_paths(graph, s, d, weight=weight), k)
                found.append([list(topology.route(p)) for p in paths])
    max_hops = max((len(r) for routes in found for r in routes), default=1)
    links = np.full((n * n, k, max_hops), -1, np.int32)
    hops = np.zeros((n * n, k), np.int32)
    length = np.zeros((n * n, k))
    bps = np.zeros((n * n, k), np.int32)
    table_bps = np.asarray(modulations.bits_per_symbol)
    for row, routes in enumerate(found):
        if not routes:
            continue
        h = np.array([len(r) for r in routes])
        km = np.array([topology.path_length(r) for r in routes])
        fmt = modulations.format_index(km)
        b = np.where(fmt >= 0, table_bps[np.maximum(fmt, 0)], 0)
        tie = rng.permutation(len(routes))
        if order == "resources":
            cost = np.where(b > 0, h / np.maximum(b, 1), np.inf)
            keys = (tie, cost)
        elif order == "hops":
            keys = (km, h)
        else:
            keys = (h, km)
        for j, i in enumerate(np.lexsort(keys)):
            links[row, j, : h[i]] = routes[i]
            hops[row, j], length[row, j], bps[row, j] = h[i], km[i], b[i]
    return PathTable(jnp.asarray(links), jnp.asarray(hops), jnp.asarray(length), jnp.asarray(bps), n)


def slots_needed(bit_rate, bits_per_symbol, *, slot_width: float = 12.5e9, guard: int = 1):
    """Slots for `bit_rate` (bit/s) at `bits_per_symbol`: ceil(R/(bps x slot width)) + guard slots
    (the RMSA benchmark setting; Chen et al., JLT 37(16), 2019). 0 bits per symbol (no format
    reaches) needs more slots than any grid has."""
    bps = jnp.asarray(bits_per_symbol)
    need = jnp.ceil(bit_rate / (jnp.maximum(bps, 1) * slot_width) - 1e-9) + guard
    return jnp.where(bps > 0, need, 1_000_000).astype(jnp.int32)


def window_sum(x, width):
    """sum_{j < width} x[..., s + j] at each slot s (the window cut at the last slot), by a
    cumulative sum; `width` broadcasts against the leading axes."""
    n = x.shape[-1]
    # a log-depth scan: XLA's CPU cumsum is a reduce-window, quadratic in the slot count
    c = jnp.concatenate([jnp.zeros(x.shape[:-1] + (1,), x.dtype), jax.lax.associative_scan(jnp.add, x, axis=-1)], axis=-1)
    end = jnp.minimum(jnp.arange(n) + jnp.asarray(width)[..., None], n)
    return jnp.take_along_axis(c, jnp.broadcast_to(end, c.shape[:-1] + (n,)), axis=-1) - c[..., :n]


def free_blocks(free: Bool[Array, "... slots"], width, band=None, *, max_width: int | None = None) -> Bool[Array, "... slots"]:
    """True at slot s if slots s..s+width-1 are all free (`width` broadcasts against the leading
    axes) and, given the `band` index of each slot, inside one band.

    `max_width` (static, optional): a bound on the widths that fit the grid (wider ones never fit).
    Up to 32, the test is a windowed min of the busy slots' positions (computed once for every
    width) instead of a prefix sum (a dozen kernels: on CPU each costs microseconds)."""
    n = free.shape[-1]
    width = jnp.asarray(width)
    end = jnp.arange(n) + width[..., None]
    if max_width is not None and max_width <= 32:
        # the nearest busy slot at or after each slot, within max_width: a min over windows doubled
        # log2(max_width) times (a reduce-window takes max_width compares per slot, this about
        # log2 of it), held as one value: unheld, XLA fuses the chain into, and recomputes it in,
        # each consumer
        far = n + max_width
        nearest = jnp.where(free, far, jnp.arange(n, dtype=jnp.int32))

        def ahead(x, k):  # x at slot s + k (far past the grid)
            return jnp.concatenate([x[..., k:], jnp.full(x.shape[:-1] + (k,), far, x.dtype)], axis=-1)

        span = 1
        while 2 * span <= max_width:
            nearest, span = jnp.minimum(nearest, ahead(nearest, span)), 2 * span
        if span < max_width:  # overlapping windows: a min does not mind
            nearest = jnp.minimum(nearest, ahead(nearest, max_width - span))
        nearest = jax.lax.optimization_barrier(nearest)
        ok = (end <= n) & (width[..., None] <= max_width) & (nearest >= end)
    else:
        ok = (end <= n) & (window_sum((~free).astype(jnp.int32), width) == 0)
    if band is not None:
        band = jnp.asarray(band)
        ok = ok & (band[jnp.clip(end - 1, 0, n - 1)] == band)
    return ok


def first_fit(free: Bool[Array, "... slots"], width, band=None):
    """(found, slot): the lowest slot starting a free block of `width` slots (inside one band,
    given each slot's `band`)."""
    ok = free_blocks(free, width, band)
    return jnp.any(ok, axis=-1), jnp.argmax(ok, axis=-1)
