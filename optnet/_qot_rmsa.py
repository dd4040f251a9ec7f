"""QoT-aware routing, modulation and spectrum assignment: KSP-FF whose format and admission come
from the GN-model GSNR of the network with the new lightpath in place."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from ._lightpaths import Lightpaths
from ._network import Network
from ._routing import PathTable, first_fit
from ._throughput import STANDARD_FORMATS, ModulationFormat, required_snr
from ._traffic import Allocation, Requests
from ._units import db_to_linear


class QotAllocation(eqx.Module):
    """Outcome of `qot_first_fit`: the `allocation` (path, slots) of each request, the
    `lightpaths` established (one row per request; blocked rows inactive), each row's `format`
    (index into the formats; -1 blocked), its `threshold` (required SNR, linear, margin excluded)
    and the `evaluations` of the network the request needed."""

    allocation: Allocation
    lightpaths: Lightpaths
    format: Int[Array, " requests"]
    threshold: Float[Array, " requests"]
    evaluations: Int[Array, " requests"]


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

    One jitted `lax.scan` over the requests with a `lax.while_loop` over candidates; each candidate
    tried costs one evaluation of the network. `max_per_link` (static) bounds the lightpaths on one
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
    table = Lightpaths.empty(n_req, paths.links.shape[-1])
    busy = jnp.zeros((n_links + 1, n_slots), bool)  # the last row pads routes
    thresholds = jnp.zeros(n_req)
    candidates = k * n_formats

    def step(carry, r):
        table, busy, thresholds = carry
        row = paths.pair(requests.source[r], requests.destination[r])

        def attempt(c):
            p, f = c // n_formats, c % n_formats
            links = paths.links[row, p]
            rate = requests.bit_rate[r] / (polarisations * bps[f])
            width = (jnp.ceil(rate * (1 + roll_off) / grid.slot_width - 1e-9) + guard).astype(jnp.int32)
            free = ~jnp.any(busy[jnp.where(links >= 0, links, n_links)], axis=0)
            found, slot = first_fit(free, width, grid.band if len(grid.bands) > 1 else None)
            found = found & paths.valid[row, p]
            slot = slot.astype(jnp.int32)
            trial = table.add(r, links, slot, width, power, rate, kurtosis[f])
            gsnr = Network._evaluate(network, trial, max_per_link).gsnr
            others_ok = jnp.all(jnp.where(table.active, gsnr >= thresholds, True))
            ok = found & (gsnr[r] >= threshold[f] * margin) & others_ok
            return ok, trial, links, slot, width

        def cond(state):
            c, ok = state[0], state[1]
            return (~ok) & (c < candidates)

        def body(state):
            c = state[0]
            ok, trial, links, slot, width = attempt(c)
            return c + 1, ok, trial, links, slot, width

        init = (jnp.int32(0), jnp.bool_(False), table, paths.links[row, 0], jnp.int32(0), jnp.int32(1))
        tried, ok, trial, links, slot, width = jax.lax.while_loop(cond, body, init)
        c = tried - 1
        table = jax.tree.map(lambda new, old: jnp.where(ok, new, old), trial, table)
        s = jnp.arange(n_slots)
        window = ok & (s >= slot) & (s < slot + width)
        rows = jnp.where(links >= 0, links, n_links + 1)
        busy = busy.at[rows].set(busy[jnp.where(links >= 0, links, n_links)] | window, mode="drop")
        f = c % n_formats
        thresholds = thresholds.at[r].set(jnp.where(ok, threshold[f], 0.0))
        out = (ok, jnp.where(ok, c // n_formats, -1), jnp.where(ok, slot, -1), jnp.where(ok, width, 0),
               jnp.where(ok, jnp.asarray(order)[f], -1), tried)
        return (table, busy, thresholds), out

    (table, _, thresholds), (ok, p, slot, width, fmt, tried) = jax.lax.scan(
        step, (table, busy, thresholds), jnp.arange(n_req)
    )
    return QotAllocation(Allocation(ok, p, slot, width), table, fmt, thresholds, tried)
