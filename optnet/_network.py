"""A network of fibre links and ROADMs, and the GSNR of every lightpath routed over it."""

import math
from collections.abc import Mapping, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from ._amplifier import Edfa, Roadm, Transceiver
from ._checks import Rule, Rules, concrete, enforce, readable_errors, settled, stack_modules, value_rules
from ._fibre import Fibre
from ._grid import SlotGrid
from ._lightpaths import Lightpaths
from ._link import GNLink, _safe_ratio
from ._nli import AbstractNLIModel, ClosedFormGN
from ._nli.base import FibreSummary, SpanNLI, coherence_factor, combine
from ._span import FibreSpan
from ._spectrum import Spectrum
from ._throughput import format_throughput, shannon_throughput
from ._topology import Topology
from ._units import linear_to_db

# Links evaluated together (vmapped) hold about this many channel pairs (about 130 MB per N x N
# temporary in float32); more are mapped in batches, so memory stays bounded on larger networks.
# Large: XLA's CPU runtime runs the pair terms about 4x slower per pair inside `lax.map`'s loop
# than vmapped outside it (the 500-node Gabriel graph: 0.86 s with this bound, 2.7 s with 2e6).
_PAIRS_PER_BATCH = 2**25


class NetworkResult(eqx.Module):
    """Per-lightpath noise budget. Noise-to-signal ratios (NSR) are linear; rows of inactive
    lightpaths hold GSNR 0 and NSR 0.

    **Fields:** `gsnr` (linear), `nsr_ase`, `nsr_nli` (summed over the links of the route),
    `nsr_roadm` (add, drop and express passes), `nsr_transceiver`, `frequency` (Hz), `symbol_rate`
    (Bd), `power` (W), `active`.
    """

    gsnr: Float[Array, " lightpaths"]
    nsr_ase: Float[Array, " lightpaths"]
    nsr_nli: Float[Array, " lightpaths"]
    nsr_roadm: Float[Array, " lightpaths"]
    nsr_transceiver: Float[Array, " lightpaths"]
    frequency: Float[Array, " lightpaths"]
    symbol_rate: Float[Array, " lightpaths"]
    power: Float[Array, " lightpaths"]
    active: Bool[Array, " lightpaths"]

    @property
    def gsnr_db(self) -> Float[Array, " lightpaths"]:
        """GSNR in dB (-inf for inactive rows)."""
        return linear_to_db(self.gsnr)

    def throughput(self, *, fec_overhead: float = 0.0) -> Float[Array, " lightpaths"]:
        """Shannon net bit rate of each lightpath, bit/s (0 for inactive rows)."""
        return jnp.where(self.active, shannon_throughput(self.gsnr, self.symbol_rate, fec_overhead=fec_overhead), 0.0)

    def format_throughput(self, **kwargs) -> Float[Array, " lightpaths"]:
        """Bit rate of the densest admissible format per lightpath; see `format_throughput`."""
        return jnp.where(self.active, format_throughput(self.gsnr, self.symbol_rate, **kwargs), 0.0)

    def total_throughput(self, *, fec_overhead: float = 0.0) -> Float[Array, ""]:
        """Network throughput: the sum of the lightpaths' Shannon bit rates, bit/s."""
        return jnp.sum(self.throughput(fec_overhead=fec_overhead))


class Network(eqx.Module):
    """Fibre links between ROADM nodes, on a flexible frequency grid.

    Every link is a sequence of spans, each ending in an EDFA that restores the launch power: by
    default `n_spans` identical spans (the link length split evenly), or the spans given for it.
    A lightpath's GSNR sums, over the links of its route, the ASE and the NLI computed from the
    channels actually present on each link (interferers and the ISRS tilt follow each link's
    load), plus the ROADM passes and the transceiver. Links add
    incoherently; within a link SPM accumulates coherently (as in `GNLink`).

    **Fields:**

    - `topology`: the `Topology` (static).
    - `grid`: the `SlotGrid` (static).
    - `span`: the distinct spans of each link, stacked with leading axes `(links, kinds)` (one kind
      for an evenly split link; links with fewer kinds repeat their first).
    - `span_counts`: how many times each kind occurs on each link, `(links, kinds)` (static; 0 for
      padding). `n_spans` is their sum per link.
    - `nli`: the NLI model (`ClosedFormGN()` by default).
    - `roadm`: the `Roadm` at every node (its `n_express` is unused: a lightpath's express passes
      are its intermediate nodes), or None.
    - `transceiver`: the `Transceiver`, or None.
    """

    topology: Topology = eqx.field(static=True)
    grid: SlotGrid = eqx.field(static=True)
    span: FibreSpan
    span_counts: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    nli: AbstractNLIModel
    roadm: Roadm | None
    transceiver: Transceiver | None

    def __init__(
        self,
        topology: Topology,
        *,
        fibre: Fibre | None = None,
        max_span_length: float = 80e3,
        amplifier: Edfa | None = None,
        grid: SlotGrid | None = None,
        nli: AbstractNLIModel | None = None,
        roadm: Roadm | None = None,
        transceiver: Transceiver | None = None,
        spans: "Mapping[int | tuple, Sequence[FibreSpan | Fibre]] | None" = None,
    ):
        """Split each link of `topology` into the fewest equal spans of at most `max_span_length`
        m of `fibre` (its `length` is replaced; default: SSMF, `Fibre.from_datasheet()`), each
        followed by `amplifier` (default `Edfa` NF 5 dB restoring the launch power). `grid` defaults
        to the C band; `roadm` to `Roadm.from_db()` (18 dB add/drop and express loss, NF 6 dB).

        `spans` gives links span by span: `{link: [FibreSpan or Fibre, ...]}`, the link as its
        index or a `(node, node)` pair. Their amplifiers must restore the launch power, and they
        must have the structure of the default span (same Raman gain model and tables); the
        topology's length of such a link is not used."""
        if not isinstance(topology, Topology):
            raise TypeError(f"`topology` must be a Topology; got {type(topology).__name__}.")
        if not (np.isfinite(max_span_length) and 1e3 <= max_span_length <= 1e6):
            raise ValueError(f"`max_span_length` is in m, between 1 and 1,000 km (80 km is 80e3); got {max_span_length}.")
        fibre = Fibre.from_datasheet() if fibre is None else fibre
        span = FibreSpan(fibre, amplifier)
        if not span.restores_launch_power:
            raise ValueError("A network's amplifiers must restore the launch power (`RestoreLoss`, the default gain control).")
        counts = [[max(1, math.ceil(length / max_span_length - 1e-9))] for length in topology.length]
        custom = {}
        for key, given in (spans or {}).items():
            k = topology.link_index(*key) if isinstance(key, tuple) else int(key)
            if not 0 <= k < topology.n_links:
                raise ValueError(f"`spans`: link {key!r} is not a link of `{topology.name}`.")
            items = [FibreSpan(s, amplifier) if isinstance(s, Fibre) else s for s in given]
            if not items or not all(isinstance(s, FibreSpan) and s.restores_launch_power for s in items):
                raise ValueError(f"`spans[{key!r}]` must be a non-empty list of FibreSpan (or Fibre) whose amplifiers restore the launch power.")
            custom[k], counts[k] = stack_modules(items, "spans of a link"), [1] * len(items)
        width = max(len(c) for c in counts)
        # every link: its even split, as one kind repeated over `width` kinds (counts 0 past the first)
        lengths = np.asarray(topology.length) / np.asarray([c[0] for c in counts])
        stacked = jax.tree.map(lambda x: jnp.broadcast_to(x, (topology.n_links, width) + jnp.shape(x)), span)
        stacked = eqx.tree_at(lambda s: s.fibre.length, stacked, jnp.broadcast_to(jnp.asarray(lengths)[:, None], (topology.n_links, width)))
        for k, kinds in custom.items():  # links given span by span overwrite their row
            n = len(counts[k])
            row = jax.tree.map(lambda x, n=n: jnp.concatenate([x, jnp.broadcast_to(x[:1], (width - n,) + x.shape[1:])]), kinds)
            try:
                stacked = jax.tree.map(lambda a, r, k=k: a.at[k].set(r), stacked, row)
            except ValueError as e:
                raise ValueError(f"`spans[{k}]`: its spans must have the structure of the network's default span.") from e
        self.span = stacked
        self.span_counts = tuple(tuple(c + [0] * (width - len(c))) for c in counts)
        self.topology = topology
        self.grid = SlotGrid.c_band() if grid is None else grid
        self.nli = ClosedFormGN() if nli is None else nli
        self.roadm = Roadm.from_db() if roadm is None else roadm
        self.transceiver = transceiver

    @property
    def n_links(self) -> int:
        return self.topology.n_links

    @property
    def n_spans(self) -> tuple[int, ...]:
        """Spans of each link."""
        return tuple(sum(c) for c in self.span_counts)

    def link(self, index: int) -> GNLink:
        """Link `index` as a `GNLink` (its spans; no ROADM or transceiver)."""
        counts = self.span_counts[index]
        kinds = [jax.tree.map(lambda x: x[index, j], self.span) for j in range(len(counts)) if counts[j]]
        if len(kinds) == 1:
            return GNLink.uniform(kinds[0], counts[0], nli=self.nli)
        return GNLink([s for s, c in zip(kinds, counts) for _ in range(c)], nli=self.nli)

    def rules(self, lightpaths: Lightpaths) -> Rules:
        """The input rules of the network's modules and of `lightpaths` on it."""
        rules = [*self.span.rules()]
        for module in (self.roadm, self.transceiver):
            if module is not None:
                rules += module.rules()
        return rules + _lightpath_rules(self, lightpaths)

    @readable_errors
    def __call__(self, lightpaths: Lightpaths, *, max_per_link: "int | str | tuple[int, ...] | None" = None) -> NetworkResult:
        """The noise budget of every lightpath (jit-compiled once per shape). Invalid lightpaths
        (unknown links, routes that are not paths, slots outside the grid, overlaps on a shared
        link) raise `ValueError`, also under `jax.jit`.

        `max_per_link` (static) bounds the lightpaths on a link: the NLI of a link costs its bound
        squared. An int bounds every link; a tuple gives one bound per link (links are evaluated
        in groups of equal bound); "per_link" takes each link's load rounded up to 2^n or 1.5 x 2^n
        (the least work for fixed routes, e.g. launch-power optimisation; a new compilation when
        a link changes group). The default (None) is the busiest link's load rounded up to a
        power of two when the routes are known here, else the slot count (always enough)."""
        if not isinstance(lightpaths, Lightpaths):
            raise TypeError(f"A network is called on `Lightpaths`; got {type(lightpaths).__name__}.")
        bounds = _bounds(self, lightpaths, max_per_link)
        try:
            return settled(_evaluate(self, lightpaths, bounds))
        except (ValueError, jax.errors.JaxRuntimeError, eqx.EquinoxRuntimeError):
            _diagnose(self, lightpaths)  # a more precise message when the values are known
            raise

    def gsnr(self, lightpaths: Lightpaths, **kwargs) -> Float[Array, " lightpaths"]:
        """GSNR (linear) of each lightpath; shorthand for `self(lightpaths).gsnr`."""
        return self(lightpaths, **kwargs).gsnr

    def terminal_nsr(self, frequency, symbol_rate, power, hops):
        """NSR of the ROADM passes (add, drop, and an express pass at each of the `hops` - 1
        intermediate nodes) and of the transceiver, for lightpaths at `frequency` (Hz),
        `symbol_rate` (Bd) and launch `power` (W); inf where the power is 0."""
        zeros = jnp.zeros_like(jnp.broadcast_arrays(frequency, symbol_rate, power)[0])
        roadm = zeros if self.roadm is None else self.roadm.path_nsr(frequency, symbol_rate, 1.0, jnp.maximum(hops - 1, 0))
        trx = zeros if self.transceiver is None else zeros + 1.0 / self.transceiver.snr
        return _safe_ratio(roadm, power + zeros), trx

    def link_budget(self, links: Int[Array, " rows"], frequency: Float[Array, "rows channels"],
                    symbol_rate: Float[Array, "rows channels"], power: Float[Array, "rows channels"]):
        """ASE and NLI noise-to-signal ratios `(rows, channels)` of Gaussian channels alone on one
        link each: row `r` places the channels `frequency` (Hz), `symbol_rate` (Bd), `power` (W)
        on link `links[r]` (channels of zero power are absent). The per-link part of
        `__call__`, for tabulating a network's noise (no input checks)."""
        links = jnp.asarray(links)
        spectra = _stacked_spectrum(frequency, symbol_rate, power, jnp.zeros_like(power))
        span = jax.tree.map(lambda x: x[links], self.span)
        counts = jnp.asarray(np.asarray(self.span_counts), spectra.power.dtype)[links]
        return _link_budgets(self.nli, span, counts, spectra)

    def _evaluate(self, lightpaths: Lightpaths, bounds: "int | tuple[int, ...]") -> NetworkResult:
        self, lightpaths = enforce((self, lightpaths), self.rules(lightpaths))
        per_link = (bounds,) * self.n_links if isinstance(bounds, int) else bounds
        ase, nli = _route_sums(self, lightpaths, per_link)
        lp = lightpaths
        f, b = lp.centre_frequency(self.grid), lp.symbol_rate
        on = lp.active
        roadm, trx = self.terminal_nsr(f, b, lp.power, lp.hops)
        roadm, trx = jnp.where(on, roadm, 0.0), jnp.where(on, trx, 0.0)
        total = ase + nli + roadm + trx
        gsnr = jnp.where(on, 1.0 / jnp.where(on, total, 1.0), 0.0)
        return NetworkResult(gsnr, ase, nli, roadm, trx, f, b, lp.power, on)


def _bounds(net: Network, lp: Lightpaths, max_per_link) -> "int | tuple[int, ...]":
    """The static per-link bounds of `Network.__call__` (see there)."""
    n_slots = net.grid.n_slots
    if isinstance(max_per_link, int) and not isinstance(max_per_link, bool):
        if max_per_link < 1:
            raise ValueError(f"`max_per_link` must be >= 1; got {max_per_link}.")
        return max_per_link
    if isinstance(max_per_link, tuple):
        if len(max_per_link) != net.n_links or any(not isinstance(k, int) or k < 1 for k in max_per_link):
            raise ValueError(f"`max_per_link` as a tuple needs one positive int per link ({net.n_links}).")
        return max_per_link
    if max_per_link not in (None, "per_link"):
        raise ValueError(f"`max_per_link` must be an int, a tuple of ints, 'per_link' or None; got {max_per_link!r}.")
    known = [concrete(x) for x in (lp.route, lp.active)]
    if any(x is None for x in known):  # traced routes: any load is possible
        return min(n_slots, lp.capacity)
    route, active = known
    links = route[active][route[active] >= 0]
    load = np.bincount(links[links < net.n_links], minlength=net.n_links)

    def rounded(x, fine=False):
        """x rounded up to a power of two, or (`fine`) to 2^n or 1.5 x 2^n; at least 8."""
        p = 1 << (max(int(x), 1) - 1).bit_length()
        if fine and x <= 3 * p // 4:
            p = 3 * p // 4
        return min(n_slots, max(8, p))

    return rounded(load.max()) if max_per_link is None else tuple(rounded(x, fine=True) for x in load)


def _route_sums(net: Network, lp: Lightpaths, bounds: tuple[int, ...]):
    """ASE and NLI noise-to-signal ratios of every lightpath, summed over the links of its route.

    Each link's channel table is compact: its lightpaths in slot order at positions 0..load-1 of
    its bound (empty positions hold zero power). Links of equal bound are evaluated together."""
    n_links, n_slots = net.n_links, net.grid.n_slots
    valid = (lp.route >= 0) & lp.active[:, None]
    link = jnp.where(valid, lp.route, 0)
    slot = jnp.broadcast_to(jnp.clip(lp.first_slot, 0, n_slots - 1)[:, None], lp.route.shape)
    rows = jnp.broadcast_to(jnp.arange(lp.capacity, dtype=jnp.int32)[:, None], lp.route.shape)
    table = jnp.full((n_links, n_slots), -1, jnp.int32)
    table = table.at[jnp.where(valid, link, n_links), slot].set(rows, mode="drop")
    occupied = table >= 0
    rank = jnp.cumsum(occupied, axis=1, dtype=jnp.int32) - 1  # position of each lightpath on its link
    bound = np.asarray(bounds)
    table = eqx.error_if(
        table, jnp.any(rank[:, -1] + 1 > bound),
        "A link carries more lightpaths than its `max_per_link` bound; raise it (or leave it to the default).",
    )
    offset = np.zeros(n_links, np.int64)  # where each link's positions start in the flat results
    ase, nli, start = [], [], 0
    used = np.asarray([sum(c > 0 for c in counts) for counts in net.span_counts])  # kinds of each link
    for k, m in sorted({(int(b), int(u)) for b, u in zip(bounds, used)}):
        members = np.flatnonzero((bound == k) & (used == m))
        offset[members] = start + k * np.arange(members.size)
        start += k * members.size
        a, n = link_nsr(net, lp, table[members], rank[members], members, k, kinds=m)
        ase.append(a.reshape(-1))
        nli.append(n.reshape(-1))
    flat = jnp.where(valid, jnp.asarray(offset)[link] + jnp.maximum(rank[link, slot], 0), 0)

    def over_route(x):
        x = jnp.concatenate(x) if len(x) > 1 else x[0]
        return jnp.sum(jnp.where(valid, x[flat], 0.0), axis=-1)

    return over_route(ase), over_route(nli)


def link_nsr(net: Network, lp: Lightpaths, owner, rank, links, k: int, kinds: int | None = None):
    """ASE and NLI noise-to-signal ratios, `(len(links), k)`, of the channel positions of `links`
    (indices), whose slots hold the lightpaths `owner` (row of the lightpath starting at each slot,
    -1 for none) at positions `rank` (their order on the link), compacted to `k` positions; the
    links' first `kinds` span kinds (default all)."""
    n = owner.shape[0]
    position = jnp.where((owner >= 0) & (rank < k), rank, k)
    compact = jnp.full((n, k), -1, jnp.int32)
    compact = compact.at[jnp.arange(n)[:, None], position].set(owner, mode="drop")
    present = compact >= 0
    index = jnp.maximum(compact, 0)
    dtype = lp.power.dtype
    spectra = _stacked_spectrum(
        # an empty position sits on the lowest slot with zero power: it adds nothing
        jnp.where(present, lp.centre_frequency(net.grid)[index], jnp.asarray(net.grid.centres[0], dtype)),
        jnp.where(present, lp.symbol_rate[index], jnp.asarray(net.grid.slot_width, dtype)),
        jnp.where(present, lp.power[index], 0.0),
        jnp.where(present, lp.excess_kurtosis[index], 0.0),
    )
    width = len(net.span_counts[0])
    kinds = width if kinds is None else kinds
    every = isinstance(links, np.ndarray) and links.size == net.n_links and kinds == width
    span = net.span if every else jax.tree.map(lambda x: x[links, :kinds], net.span)
    counts = jnp.asarray(np.asarray(net.span_counts)[:, :kinds], spectra.power.dtype)[links]
    return _link_budgets(net.nli, span, counts, spectra)


def _stacked_spectrum(frequency, symbol_rate, power, kurtosis) -> Spectrum:
    """A `Spectrum` per link (leading `links` axis), built without the per-channel checks (the
    network checks the lightpaths instead)."""
    return jax.vmap(lambda f, b, p, k: Spectrum(f, b, p, 0.0, k, allow_overlap=True, unchecked=True))(
        frequency, symbol_rate, power, kurtosis
    )


def _link_budgets(model: AbstractNLIModel, span: FibreSpan, counts, spectra: Spectrum):
    """ASE and NLI noise-to-signal ratio of every channel position of the links whose span kinds
    are `span` (leading axes `(links, kinds)`), occurring `counts` times each, and whose channels
    are `spectra`; each `(links, positions)`. The spans restore the launch power, so a link's NLI
    follows from the sums over its spans (see `combine`)."""

    def one(kinds, spectrum, counts):
        f, b, p = spectrum.frequency, spectrum.symbol_rate, spectrum.power

        def per_kind(span):
            out = span.propagate(spectrum, p)
            return _safe_ratio(out.ase, out.output_power), model.span(out.profile, spectrum), FibreSummary.of(span.fibre, f)

        ase, nli, fibre = jax.vmap(per_kind)(kinds)
        n = jnp.sum(counts)

        def total(x):
            return jnp.tensordot(counts, x, axes=1)

        sums = SpanNLI(total(nli.spm) * p**2, total(nli.xpm), total(nli.xpm_kurtosis), total(nli.asymptotic_kurtosis))
        # the span-averaged fibre of the coherence factor (Poggiolini, JLT 30(24), 2012, Eq. (22))
        mean = jax.tree.map(lambda x: (total(x) / n)[None], fibre)
        eps = coherence_factor(mean, f, b) if model.coherent else jnp.zeros_like(f)
        return total(ase), combine(model, sums, n, eps)

    links, positions = spectra.frequency.shape
    batch = max(1, min(links, _PAIRS_PER_BATCH // (positions * positions)))
    if batch >= links:
        return jax.vmap(one)(span, spectra, counts)
    return jax.lax.map(lambda xs: one(*xs), (span, spectra, counts), batch_size=batch)


def _lightpath_rules(net: Network, lp: Lightpaths) -> Rules:
    """Rules on the lightpaths: values, routes that are paths, slots inside the grid, no overlap."""
    topo, grid = net.topology, net.grid
    n_links, n_slots = topo.n_links, grid.n_slots
    on = lp.active
    route, hops = lp.route, lp.route.shape[1]
    valid = route >= 0
    source, target = jnp.asarray(topo.source), jnp.asarray(topo.target)
    link = jnp.clip(route, 0, n_links - 1)
    rules: Rules = [
        *value_rules(jnp.where(on, lp.power, 0.0), "Lightpaths.power", nonnegative=True, unit="W",
                     plausible=(1e-6, 1.0), hint="powers are in W per channel (0 dBm is 1e-3)"),
        *value_rules(jnp.where(on, lp.symbol_rate, 1e9), "Lightpaths.symbol_rate", positive=True, unit="Bd",
                     plausible=(1e6, 1e13), hint="symbol rates are in Bd (32 GBd is 32e9)"),
        *value_rules(jnp.where(on, lp.excess_kurtosis, 0.0), "Lightpaths.excess_kurtosis", at_least=-1.0),
        Rule(on[:, None] & (route >= n_links) | (route < -1),
             f"`Lightpaths.route` holds a link index outside 0..{n_links - 1} (-1 pads)."),
        Rule(on & ~valid[:, 0], "An active lightpath has an empty `route`."),
        Rule(on[:, None] & ~valid[:, :-1] & valid[:, 1:], "`Lightpaths.route`: padding (-1) must come after the links."),
        Rule(on & ((lp.n_slots < 1) | (lp.first_slot < 0) | (lp.first_slot + lp.n_slots > n_slots)),
             f"A lightpath's slots (`first_slot`, `n_slots`) fall outside the grid's {n_slots} slots."),
        Rule(on & (lp.symbol_rate > lp.n_slots * grid.slot_width * (1 + 1e-9)),
             "A lightpath's `symbol_rate` exceeds the width of its slots (`n_slots` x slot width)."),
    ]
    if len(grid.bands) > 1:
        band = jnp.asarray(grid.band)
        first = jnp.clip(lp.first_slot, 0, n_slots - 1)
        last = jnp.clip(lp.first_slot + lp.n_slots - 1, 0, n_slots - 1)
        rules.append(Rule(on & (band[first] != band[last]), "A lightpath's slots straddle two bands of the grid."))
    if hops > 1:
        a, b = link[:, :-1], link[:, 1:]
        both = on[:, None] & valid[:, :-1] & valid[:, 1:]
        if topo.directed:
            joined = target[a] == source[b]
        else:
            joined = (source[a] == source[b]) | (source[a] == target[b]) | (target[a] == source[b]) | (target[a] == target[b])
        rules.append(Rule(both & ~joined, "`Lightpaths.route`: consecutive links do not meet at a node (not a path)."))
        if topo.directed:  # a path visits each node once: its links' source nodes are distinct
            s = jnp.where(valid, source[link], -1 - jnp.arange(hops))
            repeat = jnp.any((s[:, :, None] == s[:, None, :]) & ~jnp.eye(hops, dtype=bool), axis=(1, 2))
            repeat = repeat | jnp.any(valid & (target[link] == source[link[:, :1]]), axis=1)  # back to the start
            rules.append(Rule(on & repeat, "`Lightpaths.route` visits a node twice (not a path)."))
        else:
            same = (link[:, :, None] == link[:, None, :]) & valid[:, :, None] & valid[:, None, :] & ~jnp.eye(hops, dtype=bool)
            rules.append(Rule(on & jnp.any(same, axis=(1, 2)), "`Lightpaths.route` uses a link twice (not a path)."))
    # occupancy of every (link, slot) by +1 at the first slot and -1 past the last, summed
    hop_on = on[:, None] & valid
    rows = jnp.where(hop_on, link, n_links)
    start = jnp.broadcast_to(jnp.clip(lp.first_slot, 0, n_slots)[:, None], route.shape)
    stop = jnp.broadcast_to(jnp.clip(lp.first_slot + lp.n_slots, 0, n_slots)[:, None], route.shape)
    diff = jnp.zeros((n_links, n_slots + 1), jnp.int32)
    diff = diff.at[rows, start].add(1, mode="drop").at[rows, stop].add(-1, mode="drop")
    rules.append(Rule(jnp.cumsum(diff, axis=1) > 1, "Two lightpaths overlap in slots on a shared link."))
    return rules


def _diagnose(net: Network, lp: Lightpaths) -> None:
    """Name the lightpath and link of an overlap or a broken route (values known; numpy)."""
    try:
        route, first, width, on = (np.asarray(x) for x in (lp.route, lp.first_slot, lp.n_slots, lp.active))
    except Exception:
        return
    topo = net.topology
    owner: dict[tuple[int, int], int] = {}
    for i in np.flatnonzero(on):
        links = [int(k) for k in route[i] if k >= 0]
        for k in links:
            if not 0 <= k < topo.n_links:
                raise ValueError(f"Lightpath {i}: link index {k} is not a link of `{topo.name}` (0..{topo.n_links - 1}).")
            for s in range(max(int(first[i]), 0), min(int(first[i] + width[i]), net.grid.n_slots)):
                j = owner.setdefault((k, s), int(i))
                if j != i:
                    a, b = topo.nodes[topo.source[k]], topo.nodes[topo.target[k]]
                    raise ValueError(f"Lightpaths {j} and {i} overlap on link {k} ({a}-{b}) at slot {s}.")


# Plain `jax.jit`, as for `GNLink`: the C++ dispatch path costs microseconds.
_evaluate = jax.jit(Network._evaluate, static_argnums=2)
