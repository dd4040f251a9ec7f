"""QoT-aware routing, modulation and spectrum assignment: KSP-FF whose format and admission come
from the GN-model GSNR of the network with the new lightpath in place."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from ._lightpaths import Lightpaths
from ._network import Network, link_nsr
from ._routing import PathTable, first_fit
from ._throughput import STANDARD_FORMATS, ModulationFormat, required_snr
from ._traffic import Allocation, Requests
from ._units import db_to_linear


class QotAllocation(eqx.Module):
    """Outcome of `qot_first_fit`: the `allocation` (path, slots) of each request, the
    `lightpaths` established (one row per request; blocked rows inactive), each row's `format`
    (index into the formats; -1 blocked), its `threshold` (required SNR, linear, margin excluded),
    the candidates each request tried (`evaluations`) and the final `gsnr` (linear) of every row."""

    allocation: Allocation
    lightpaths: Lightpaths
    format: Int[Array, " requests"]
    threshold: Float[Array, " requests"]
    evaluations: Int[Array, " requests"]
    gsnr: Float[Array, " requests"]


def qot_first_fit(
    network: Network,
    paths: PathTable,
    requests: Requests,
    *,
    power: float = 1e-3,
    formats: tuple[ModulationFormat, ...] = STANDARD_FORMATS,
    ber: float = 2e-2,
    margin_db: float = 1.0,
    roll_off: float = 0.1,
    guard: int = 1,
    polarisations: int = 2,
    max_per_link: int | None = None,
) -> QotAllocation:
    """Route `requests` in arrival order (incremental loading: lightpaths stay), each by QoT-aware
    KSP-FF: the candidate paths in the `PathTable`'s order, and on each the formats from densest to
    sparsest. A format needs symbol rate R_s = bit rate/(polarisations x bits per symbol) and
    ceil(R_s (1 + roll_off)/slot width) + `guard` slots, placed first fit. The candidate is taken
    if the GN-model GSNR of the new lightpath (every lightpath launched at `power` W) meets the
    format's required SNR at the pre-FEC `ber` plus `margin_db`, and every lightpath already
    established still meets its own format's requirement; else the next candidate is tried.

    One jitted `lax.scan` over the requests with a `lax.while_loop` over candidates; a candidate
    re-evaluates only the links of its path (the others are unchanged), with the NLI of each
    link from the channels on it. `max_per_link` (static) bounds the lightpaths on one
    link (default: the slot count, or the number of requests if smaller)."""
    grid = network.grid
    n_req = requests.n_requests
    k = paths.k
    n_formats = len(formats)
    order = sorted(range(n_formats), key=lambda i: -formats[i].bits_per_symbol)  # densest first
    bps = jnp.asarray([formats[i].bits_per_symbol for i in order], float)
    kurtosis = jnp.asarray([formats[i].excess_kurtosis for i in order], float)
    threshold = jnp.asarray([required_snr(formats[i].bits_per_symbol, ber) for i in order])
    margin = db_to_linear(margin_db)
    if max_per_link is None:
        max_per_link = min(grid.n_slots, n_req)
    return _run(network, paths, requests, power, bps, kurtosis, threshold, margin, roll_off, guard, polarisations,
                max_per_link, k, n_formats, tuple(order))


@eqx.filter_jit
def _run(network, paths, requests, power, bps, kurtosis, threshold, margin, roll_off, guard, polarisations,
         max_per_link, k, n_formats, order):
    grid = network.grid
    n_req = requests.n_requests
    n_links, n_slots = network.n_links, grid.n_slots
    hops = paths.links.shape[-1]
    band = grid.band if len(grid.bands) > 1 else None
    # state: the lightpaths, which lightpath starts at each slot of each link (-1: none; row
    # n_links is a sink for padded hops), each such lightpath's NSR on that link (ASE + NLI), the
    # ROADM and transceiver NSR of each lightpath, and each lightpath's required SNR
    state = (Lightpaths.empty(n_req, hops), jnp.full((n_links + 1, n_slots), -1, jnp.int32),
             jnp.zeros((n_links + 1, n_slots)), jnp.zeros(n_req), jnp.zeros(n_req),
             jnp.zeros((n_links + 1, n_slots), bool))  # the last: occupied slots
    candidates = k * n_formats

    def gsnr_of(table, nsr, fixed):
        valid = (table.route >= 0) & table.active[:, None]
        on_route = nsr[jnp.where(valid, table.route, n_links), table.first_slot[:, None]]
        total = jnp.sum(jnp.where(valid, on_route, 0.0), axis=-1) + fixed
        return jnp.where(table.active, 1.0 / jnp.where(table.active, total, 1.0), 0.0)

    def step(state, r):
        table, owner, nsr, fixed, thresholds, busy = state
        row = paths.pair(requests.source[r], requests.destination[r])

        def attempt(c):
            p, f = c // n_formats, c % n_formats
            links = paths.links[row, p]
            hop = links >= 0
            sink = jnp.where(hop, links, n_links)
            rate = requests.bit_rate[r] / (polarisations * bps[f])
            width = (jnp.ceil(rate * (1 + roll_off) / grid.slot_width - 1e-9) + guard).astype(jnp.int32)
            free = ~jnp.any(busy[sink], axis=0)
            found, slot = first_fit(free, width, band)
            found = found & paths.valid[row, p]
            slot = slot.astype(jnp.int32)
            trial = table.add(r, links, slot, width, power, rate, kurtosis[f])
            # only the links of the new lightpath change: re-evaluate them, with it in place
            new_owner = owner.at[sink, slot].set(jnp.where(hop, r, -1).astype(jnp.int32))
            rows = new_owner[sink]
            rank = jnp.cumsum(rows >= 0, axis=1, dtype=jnp.int32) - 1
            ase, nli = link_nsr(network, trial, rows, rank, jnp.where(hop, links, 0), max_per_link)
            per_slot = jnp.where(rows >= 0, jnp.take_along_axis(ase + nli, jnp.clip(rank, 0, max_per_link - 1), axis=1), 0.0)
            new_nsr = nsr.at[sink].set(per_slot)
            f_r = trial.centre_frequency(grid)[r]
            new_fixed = fixed.at[r].set(sum(network.terminal_nsr(f_r, rate, power, jnp.sum(hop))))
            gsnr = gsnr_of(trial, new_nsr, new_fixed)
            gsnr = eqx.error_if(
                gsnr, found & jnp.any(rank[:, -1] + 1 > max_per_link),
                f"qot_first_fit: a link would carry more than `max_per_link`={max_per_link} lightpaths; raise it.",
            )
            others_ok = jnp.all(jnp.where(table.active, gsnr >= thresholds, True))
            ok = found & (gsnr[r] >= threshold[f] * margin) & others_ok
            window = (jnp.arange(n_slots) >= slot) & (jnp.arange(n_slots) < slot + width)
            new_busy = busy.at[sink].set(busy[sink] | (hop[:, None] & window))
            return ok, (trial, new_owner, new_nsr, new_fixed, new_busy), slot, width

        def cond(carry):
            c, ok = carry[0], carry[1]
            return (~ok) & (c < candidates)

        def body(carry):
            ok, new, slot, width = attempt(carry[0])
            return carry[0] + 1, ok, new, slot, width

        init = (jnp.int32(0), jnp.bool_(False), (table, owner, nsr, fixed, busy), jnp.int32(0), jnp.int32(1))
        tried, ok, new, slot, width = jax.lax.while_loop(cond, body, init)
        c = tried - 1
        table, owner, nsr, fixed, busy = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, (table, owner, nsr, fixed, busy))
        f = c % n_formats
        thresholds = thresholds.at[r].set(jnp.where(ok, threshold[f], 0.0))
        out = (ok, jnp.where(ok, c // n_formats, -1), jnp.where(ok, slot, -1), jnp.where(ok, width, 0),
               jnp.where(ok, jnp.asarray(order)[f], -1), tried)
        return (table, owner, nsr, fixed, thresholds, busy), out

    (table, _, nsr, fixed, thresholds, _), (ok, p, slot, width, fmt, tried) = jax.lax.scan(step, state, jnp.arange(n_req))
    return QotAllocation(Allocation(ok, p, slot, width), table, fmt, thresholds, tried, gsnr_of(table, nsr, fixed))

