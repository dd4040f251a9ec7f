"""Dynamic RMSA as pure JAX functions with gymnax-style signatures: `reset(key, params)` and
`step(key, state, action, params)`, jit-compiled and vmappable. `RMSAEnv` and `RMSAVectorEnv`
wrap them as Gymnasium environments."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray, UInt32

import optnet as on

from ._phase import inline
from ._qot import QotTables, kernel_level, kernel_reach, qot_tables

QOT_MODES = ("gn", "reach")
REWARDS = ("accepted", "bit_rate", "margin")
# what happened to a request (`info["reason"]`)
REASONS = (
    "accepted",
    "rejected by the agent",
    "spectrum: the slots are not free on every link of the path (or leave the grid or a band)",
    "QoT: the new lightpath's GSNR would be below its format's threshold plus the margin",
    "QoT: an established lightpath would fall below its format's threshold",
    "no such path: the request's node pair has fewer candidate paths",
    "the lightpath table is full (raise `capacity`)",
)
_OK, _REJECT, _SPECTRUM, _QOT, _OTHERS, _NO_PATH, _FULL = range(7)
_CHUNK = 64  # lightpaths visited at once by the "gn" mask
N_PATH_FEATURES = 7


class RMSAParams(eqx.Module):
    """Everything an RMSA environment needs besides its state (see `rmsa_params`).

    **Fields:** `paths` (the `PathTable`), `load` (Erlang), `band` (band index per slot, or None),
    `qot` (GN-model tables in "gn" mode, else None), `threshold` (required SNR per format, linear,
    densest first), `bits_per_symbol` (per format), `margin` (linear), plus static settings:
    `longest` (the longest candidate path, m),
    `qot_mode`, `reward`, `n_links`, `n_slots`, `slot_width` (Hz), `bit_rate_gbps` (range),
    `max_width` (the most slots a request can take, guard included, when it fits),
    `guard` (slots), `roll_off`, `polarisations`, `episode_length` (requests), `capacity`
    (lightpath table rows, "gn" mode), `observe_spectrum`.
    """

    paths: on.PathTable
    load: Float[Array, ""]
    band: Int[Array, " slots"] | None
    qot: QotTables | None
    threshold: Float[Array, " formats"]
    bits_per_symbol: Int[Array, " formats"]
    margin: Float[Array, ""]
    longest: float = eqx.field(static=True)
    qot_mode: str = eqx.field(static=True)
    reward: str = eqx.field(static=True)
    n_links: int = eqx.field(static=True)
    n_slots: int = eqx.field(static=True)
    slot_width: float = eqx.field(static=True)
    bit_rate_gbps: tuple[int, int] = eqx.field(static=True)
    guard: int = eqx.field(static=True)
    roll_off: float = eqx.field(static=True)
    polarisations: int = eqx.field(static=True)
    episode_length: int = eqx.field(static=True)
    capacity: int = eqx.field(static=True)
    observe_spectrum: bool = eqx.field(static=True)
    max_width: int = eqx.field(static=True)

    @property
    def k(self) -> int:
        return self.paths.k

    @property
    def n_nodes(self) -> int:
        return self.paths.n_nodes

    @property
    def n_actions(self) -> int:
        """k x slots placements plus the reject action (the last)."""
        return self.k * self.n_slots + 1

    @property
    def obs_size(self) -> int:
        return 2 * self.n_nodes + 1 + self.k * N_PATH_FEATURES + (self.k * self.n_slots if self.observe_spectrum else 0)


class LightpathTable(eqx.Module):
    """The lightpaths in service ("gn" mode): a fixed-capacity table (inactive rows are free).
    `links` marks each one's links, one bit per link (see `_link_bits`)."""

    route: Int[Array, "capacity hops"]
    links: UInt32[Array, "capacity words"]
    first_slot: Int[Array, " capacity"]
    data_slots: Int[Array, " capacity"]
    departure: Float[Array, " capacity"]
    threshold: Float[Array, " capacity"]
    terminal: Float[Array, " capacity"]
    active: Bool[Array, " capacity"]


class RMSAState(eqx.Module):
    """The state of one environment: time (in mean holding times), the request to serve, the
    spectrum (`busy_until`: the departure time of each slot's holder, per link), the lightpaths and
    the per-link NSR field ("gn" mode: ASE and SPM plus the XPM of the lightpaths present, for every
    victim width and first slot), the candidates of the current request, and counters."""

    time: Float[Array, ""]
    source: Int[Array, ""]
    destination: Int[Array, ""]
    bit_rate: Float[Array, ""]
    holding: Float[Array, ""]
    busy_until: Float[Array, "links_1 slots"]
    lightpaths: LightpathTable | None
    field: Float[Array, "links_1 widths slots"] | None
    mask: Bool[Array, " actions"]
    choice: Int[Array, "k slots"]
    reason: Int[Array, "k slots"]
    margin_db: Float[Array, "k slots"]
    free: Bool[Array, "k slots"]
    features: Float[Array, "k features"]
    steps: Int[Array, ""]
    accepted: Int[Array, ""]
    bits_requested: Float[Array, ""]
    bits_accepted: Float[Array, ""]


def rmsa_params(
    network: on.Network,
    *,
    k: int = 5,
    load: float = 250.0,
    qot_mode: str = "gn",
    reward: str = "accepted",
    bit_rate_gbps: tuple = (25, 100),
    episode_length: int = 1000,
    guard: int = 1,
    power_per_slot: float = 0.3e-3,
    formats: tuple = ("BPSK", "QPSK", "8QAM", "16QAM"),
    ber: float = 2e-2,
    margin_db: float = 1.0,
    roll_off: float = 0.1,
    polarisations: int = 2,
    capacity: int | None = None,
    observe_spectrum: bool = True,
    modulations: on.ModulationTable | None = None,
    path_order: str = "resources",
) -> RMSAParams:
    """Parameters of an RMSA environment on `network` (see `RMSAEnv` for their meaning)."""
    if qot_mode not in QOT_MODES:
        raise ValueError(f"`qot_mode` must be one of {QOT_MODES}; got {qot_mode!r}.")
    if reward not in REWARDS:
        raise ValueError(f"`reward` must be one of {REWARDS}; got {reward!r}.")
    if reward == "margin" and qot_mode != "gn":
        raise ValueError("`reward='margin'` needs the GSNR: use `qot_mode='gn'`.")
    if not (isinstance(load, (int, float)) and 0 < load < 1e6):
        raise ValueError(f"`load` is in Erlang and must be positive; got {load!r}.")
    lo, hi = bit_rate_gbps
    if not (isinstance(lo, int) and isinstance(hi, int) and 0 < lo <= hi <= 10_000):
        raise ValueError(f"`bit_rate_gbps` is an inclusive (low, high) range of integers in Gb/s (25 Gb/s is 25); got {bit_rate_gbps!r}.")
    if not (isinstance(episode_length, int) and episode_length >= 1):
        raise ValueError(f"`episode_length` must be a positive int; got {episode_length!r}.")
    if not (isinstance(guard, int) and guard >= 0):
        raise ValueError(f"`guard` must be a non-negative int (slots); got {guard!r}.")
    if not 1e-7 <= power_per_slot <= 1e-1:
        raise ValueError(f"`power_per_slot` is in W per slot (0.3 mW is 0.3e-3); got {power_per_slot!r}.")
    if not 0 <= margin_db < 30:
        raise ValueError(f"`margin_db` must be in [0, 30) dB; got {margin_db!r}.")
    grid = network.grid
    paths = on.k_shortest_paths(network.topology, k, order=path_order, modulations=modulations)
    names = {f.name: f for f in on.STANDARD_FORMATS}
    unknown = [f for f in formats if f not in names]
    if unknown or not formats:
        raise ValueError(f"`formats` are names among {tuple(names)}; got {formats!r}.")
    chosen = sorted((names[f] for f in formats), key=lambda f: -f.bits_per_symbol)  # densest first
    bps = np.asarray([f.bits_per_symbol for f in chosen])
    threshold = np.asarray([on.required_snr(int(b), ber) for b in bps])
    qot = None
    if capacity is None:  # the mean number in service (load x mean holding) + 6 standard deviations
        m = load * (1 - 3 * math.exp(-2)) / (1 - math.exp(-2))
        capacity = 64 * math.ceil((m + 6 * math.sqrt(m) + 8) / 64)
    if qot_mode == "gn":
        d_max = _data_slots(hi * 1e9, int(bps.min()), grid.slot_width, roll_off, polarisations)
        if d_max + guard > grid.n_slots:
            raise ValueError(f"A {hi} Gb/s request needs {d_max + guard} slots at the sparsest format; the grid has {grid.n_slots}.")
        qot = qot_tables(network, int(d_max), paths.links.shape[-1], power_per_slot=power_per_slot, roll_off=roll_off)
    band = jnp.asarray(grid.band) if len(grid.bands) > 1 else None
    if qot_mode == "gn":
        max_width = int(d_max) + guard
    else:  # the sparsest format any candidate path reaches with (none: nothing fits)
        reached = np.asarray(paths.bits_per_symbol)[np.asarray(paths.valid)]
        reached = reached[reached > 0]
        max_width = math.ceil(hi * 1e9 / (reached.min() * grid.slot_width) - 1e-9) + guard if reached.size else 1
    return RMSAParams(
        paths, jnp.asarray(float(load)), band, qot, jnp.asarray(threshold), jnp.asarray(bps, jnp.int32),
        jnp.asarray(10 ** (margin_db / 10)), float(max(np.max(np.asarray(paths.length)), 1.0)), qot_mode, reward, network.n_links, grid.n_slots,
        float(grid.slot_width), (lo, hi), guard, float(roll_off), polarisations, episode_length, int(capacity),
        observe_spectrum, max_width,
    )


def _data_slots(bit_rate, bits_per_symbol, slot_width, roll_off, polarisations):
    """Data slots of a lightpath: ceil(R_b (1 + roll-off)/(polarisations x bits per symbol x slot
    width)); it sends (data slots x slot width)/(1 + roll-off) Bd."""
    x = bit_rate * (1 + roll_off) / (polarisations * bits_per_symbol * slot_width)
    if isinstance(x, float):
        return math.ceil(x - 1e-9)
    return jnp.ceil(x - 1e-9).astype(jnp.int32)


# --- the functional core -------------------------------------------------------------------------


def reset(key: PRNGKeyArray, params: RMSAParams) -> tuple[Float[Array, " obs"], RMSAState]:
    """An empty network and the first request (at time 0 + an exponential gap)."""
    n_links, n_slots = params.n_links, params.n_slots
    dtype = params.load.dtype
    lightpaths = field = None
    if params.qot_mode == "gn":
        c, hops = params.capacity, params.paths.links.shape[-1]
        lightpaths = LightpathTable(
            jnp.full((c, hops), -1, jnp.int32), jnp.zeros((c, _words(n_links)), jnp.uint32), jnp.zeros(c, jnp.int32), jnp.ones(c, jnp.int32),
            jnp.zeros(c, dtype), jnp.zeros(c, dtype), jnp.zeros(c, dtype), jnp.zeros(c, bool),
        )
        field = params.qot.base.astype(dtype)  # the links' NSR tables with no lightpath: ASE and SPM alone
    k = params.k
    zero = jnp.zeros((), dtype)
    state = RMSAState(
        zero, jnp.int32(0), jnp.int32(0), zero, zero, jnp.zeros((n_links + 1, n_slots), dtype), lightpaths, field,
        jnp.zeros(params.n_actions, bool), jnp.zeros((k, n_slots), jnp.int32), jnp.zeros((k, n_slots), jnp.int32),
        jnp.zeros((k, n_slots), dtype), jnp.zeros((k, n_slots), bool), jnp.zeros((k, N_PATH_FEATURES), dtype),
        jnp.int32(0), jnp.int32(0), zero, zero,
    )
    state = _next_request(key, state, params)
    return observation(state, params), state


def step(key: PRNGKeyArray, state: RMSAState, action: Int[Array, ""], params: RMSAParams, *, run=inline):
    """Serve the current request with `action` (a placement index path x slots + first slot, or
    the last index: reject), then draw the next request. Returns `(obs, state, reward, done,
    info)`; an action outside the mask blocks the request (`info["reason"]` says why). `run(f,
    *args)` runs each phase (decide, serve, draw, evaluate the candidates, observe): inline by default;
    `RMSAEnv` runs each as its own kernel sequence (`Phases`)."""
    decision = run(_decide, state, jnp.asarray(action), params)
    state, reward, done, info = run(_serve, state, decision, params)
    state = _next_request(key, state, params, run)
    return run(observation, state, params), state, reward, done, dict(info, action_mask=state.mask)


def _serve(state: RMSAState, decision, params: RMSAParams):
    """Place (or block) the current request as `_decide`d: the new state, the reward, whether the
    episode is done, and the step's info."""
    ok, reject, p, s, fmt, links, width, data, margin_db = decision
    reason = jnp.where(reject, _REJECT, state.reason[p, s])
    state = _place(state, params, ok, links, s, width, data, fmt)
    reward = _reward(params, ok, state.bit_rate, margin_db)
    state = eqx.tree_at(
        lambda x: (x.steps, x.accepted, x.bits_requested, x.bits_accepted),
        state,
        (state.steps + 1, state.accepted + ok, state.bits_requested + state.bit_rate,
         state.bits_accepted + jnp.where(ok, state.bit_rate, 0.0)),
    )
    info = {
        "source": state.source, "destination": state.destination, "arrival": state.time, "holding": state.holding,
        "accepted": ok, "reason": reason.astype(jnp.int32), "path": jnp.where(ok, p, -1),
        "first_slot": jnp.where(ok, s, -1), "n_slots": jnp.where(ok, width, 0),
        "format": jnp.where(ok, fmt, -1), "margin_db": margin_db, "bit_rate": state.bit_rate,
        "blocking": 1.0 - state.accepted / jnp.maximum(state.steps, 1),
        "bit_rate_blocking": 1.0 - state.bits_accepted / jnp.maximum(state.bits_requested, 1.0),
    }
    return state, reward, state.steps >= params.episode_length, info


def _decide(state: RMSAState, action, params: RMSAParams):
    """What `action` asks for: whether it is feasible and a placement, its path, first slot,
    format, path links, width and data slots, and its margin (dB)."""
    n_slots = params.n_slots
    action = jnp.clip(action.astype(jnp.int32), 0, params.n_actions - 1)
    reject = action == params.n_actions - 1
    p = jnp.where(reject, 0, action // n_slots)
    s = jnp.where(reject, 0, action % n_slots)
    ok = state.mask[action] & ~reject
    fmt = state.choice[p, s]
    row = params.paths.pair(state.source, state.destination)
    links = params.paths.links[row, p]
    width, data = _width(state.bit_rate, fmt, row, p, params)
    return ok, reject, p, s, fmt, links, width, data, jnp.where(ok, state.margin_db[p, s], 0.0)


def _width(bit_rate, fmt, row, p, params):
    """(slots incl. guard, data slots) of format `fmt` ("gn": index into the formats; "reach": the
    path's reach format)."""
    if params.qot_mode == "gn":
        data = _data_slots(bit_rate, params.bits_per_symbol[jnp.maximum(fmt, 0)], params.slot_width, params.roll_off, params.polarisations)
        data = jnp.minimum(data, params.qot.power.shape[0])
        return data + params.guard, data
    width = on.slots_needed(bit_rate, params.paths.bits_per_symbol[row, p], slot_width=params.slot_width, guard=params.guard)
    return width, width - params.guard


def _reward(params, ok, bit_rate, margin_db):
    """accepted: +1/-1; bit_rate: +-(bit rate / the highest bit rate); margin: 1 - exp(-extra
    margin in dB) if accepted (0 at the threshold plus margin, -> 1 with ample margin), else -1."""
    if params.reward == "accepted":
        return jnp.where(ok, 1.0, -1.0)
    if params.reward == "bit_rate":
        x = bit_rate / (params.bit_rate_gbps[1] * 1e9)
        return jnp.where(ok, x, -x)
    return jnp.where(ok, 1.0 - jnp.exp(-jnp.maximum(margin_db, 0.0)), -1.0)


def _place(state: RMSAState, params: RMSAParams, ok, links, s, width, data, fmt) -> RMSAState:
    """Establish the lightpath (if `ok`): its slots busy until its departure; in "gn" mode also
    its row in the table and its XPM on the other lightpaths of its links."""
    n_links, n_slots = params.n_links, params.n_slots
    depart = state.time + state.holding
    hop = links >= 0
    rows = jnp.where(hop & ok, links, n_links + 1)  # dropped unless placed
    slots = jnp.arange(n_slots)
    window = (slots >= s) & (slots < s + width)
    busy = state.busy_until.at[rows].set(jnp.where(window, depart, state.busy_until[jnp.minimum(rows, n_links)]), mode="drop")
    state = eqx.tree_at(lambda x: x.busy_until, state, busy)
    if params.qot_mode != "gn":
        return state
    table = state.lightpaths
    free_row = jnp.argmin(table.active)
    put = lambda a, v: a.at[free_row].set(jnp.where(ok, v, a[free_row]))
    table = LightpathTable(
        put(table.route, links), put(table.links, _link_bits(links, n_links)), put(table.first_slot, s), put(table.data_slots, data), put(table.departure, depart),
        put(table.threshold, params.threshold[jnp.maximum(fmt, 0)]), put(table.terminal, params.qot.terminal[jnp.sum(hop), data - 1, s]),
        put(table.active, True),
    )
    field = _add_xpm(params, state.field, jnp.where(ok, links, -1)[None], s[None], data[None], 1.0)
    return eqx.tree_at(lambda x: (x.lightpaths, x.field), state, (table, field))


def _words(n_links):
    """32-bit words for one bit per link."""
    return -(-n_links // 32)


def _link_bits(links, n_links):
    """One bit per link of each route (`links` (..., hops), -1 padded, distinct), `(..., words)`
    uint32: bit `l % 32` of word `l // 32`."""
    bit = jnp.left_shift(jnp.uint32(1), (links & 31).astype(jnp.uint32))
    word = links >> 5  # -1 (padding) matches no word
    return jnp.stack([jnp.sum(jnp.where(word == w, bit, jnp.uint32(0)), axis=-1, dtype=jnp.uint32)
                      for w in range(_words(n_links))], axis=-1)


def _at(x, *index):
    """x[index] for one index array per axis (broadcast), as one flat gather (XLA's CPU gathers
    with several index arrays cost an order of magnitude more)."""
    index = jnp.broadcast_arrays(*index)
    flat = jnp.ravel_multi_index(index, x.shape, mode="clip")
    return x.reshape(-1)[flat]


def _add_xpm(params, field, routes, first, data, sign):
    """`field` plus `sign` x the XPM of lightpaths (`routes` (m, hops), -1 padded or all -1 for
    none; `first`, `data` (m,)) on every victim width and slot of their links."""
    n_links, n_slots = params.n_links, params.n_slots
    d_max = params.qot.power.shape[0]
    widths = jnp.arange(d_max)
    rows = jnp.where(routes >= 0, routes, n_links)[:, :, None]  # (m, hops, 1)
    # the victims of width w on link l from slot 0 up: one contiguous run of the table's row
    # (l, w, d) from first-slot difference -first (one gather of whole runs)
    row = (rows * d_max + widths) * d_max + (data - 1)[:, None, None]  # (m, hops, D)
    start = row * (2 * n_slots - 1) + (n_slots - 1) - first[:, None, None]
    add = _runs(params.qot.xpm.reshape(-1), start, n_slots)  # (m, hops, D, S)
    # added row by row (a scatter of whole rows: under vmap 2x faster than a one-hot product);
    # padding hops point past the last row and are dropped
    target = jnp.where(routes >= 0, routes, n_links + 1).reshape(-1)
    return field.at[target].add(sign * add.reshape(target.shape[0], d_max, n_slots), mode="drop")


def _runs(x, start, size):
    """`x[start : start + size]` for every entry of `start` (1-D `x`, in bounds), `start.shape +
    (size,)`: one gather of contiguous runs."""
    dims = jax.lax.GatherDimensionNumbers(offset_dims=(start.ndim,), collapsed_slice_dims=(), start_index_map=(0,))
    return jax.lax.gather(x, start[..., None], dims, (size,), mode=jax.lax.GatherScatterMode.PROMISE_IN_BOUNDS)


def _departures(state: RMSAState, params: RMSAParams, now) -> RMSAState:
    """Release the lightpaths that left by `now` ("gn" mode; their slots free themselves by time)."""
    if params.qot_mode != "gn":
        return state
    per_pass = 4

    def release(carry):
        table, field = carry
        leaving = table.active & (table.departure <= now)
        idx = jnp.nonzero(leaving, size=per_pass, fill_value=params.capacity)[0]
        live = idx < params.capacity
        j = jnp.minimum(idx, params.capacity - 1)
        routes = jnp.where(live[:, None], table.route[j], -1)
        field = _add_xpm(params, field, routes, table.first_slot[j], table.data_slots[j], -1.0)
        table = eqx.tree_at(lambda t: t.active, table, table.active.at[idx].set(False, mode="drop"))
        return table, field

    def pending(carry):
        return jnp.any(carry[0].active & (carry[0].departure <= now))

    carry = release((state.lightpaths, state.field))
    table, field = jax.lax.while_loop(pending, release, carry)
    # the XPM removed is the XPM added (the same table entries), so the field returns to its base up
    # to rounding (a clamp here would cost a pass over the whole field per step)
    return eqx.tree_at(lambda x: (x.lightpaths, x.field), state, (table, field))


def _next_request(key, state: RMSAState, params: RMSAParams, run=inline) -> RMSAState:
    """Draw the next request, release what left before it, and evaluate its candidates."""
    return run(_candidates, run(_draw, key, state, params), params)


def _draw(key, state: RMSAState, params: RMSAParams) -> RMSAState:
    """The next request (the RMSA benchmark's traffic law, `optnet.poisson_requests`); the
    lightpaths that left before it released."""
    r = on.poisson_requests(key, 1, params.n_nodes, 1.0, bit_rate_gbps=params.bit_rate_gbps)
    now = state.time + r.arrival[0] / params.load
    state = eqx.tree_at(
        lambda x: (x.time, x.source, x.destination, x.bit_rate, x.holding), state,
        (now.astype(state.time.dtype), r.source[0].astype(jnp.int32), r.destination[0].astype(jnp.int32),
         r.bit_rate[0].astype(state.time.dtype), r.holding[0].astype(state.time.dtype)),
    )
    return _departures(state, params, now)


def _candidates(state: RMSAState, params: RMSAParams) -> RMSAState:
    """The feasible placements of the current request (mask), their format, why the others fail,
    the GSNR margin and the per-path features."""
    n_links, n_slots, k = params.n_links, params.n_slots, params.k
    row = params.paths.pair(state.source, state.destination)
    links = params.paths.links[row]  # (k, hops)
    valid = params.paths.valid[row]
    rows = jnp.where(links >= 0, links, n_links)
    free = jnp.all(state.busy_until[rows] <= state.time, axis=1)  # (k, S)
    dtype = state.time.dtype
    if params.qot_mode == "reach":
        width = on.slots_needed(state.bit_rate, params.paths.bits_per_symbol[row], slot_width=params.slot_width, guard=params.guard)
        ok = on.free_blocks(free, width, params.band, max_width=params.max_width) & valid[:, None]
        choice = jnp.zeros((k, n_slots), jnp.int32)
        margin_db = jnp.zeros((k, n_slots), dtype)
        reason = jnp.where(ok, _OK, _SPECTRUM)
        best_width = width
    else:
        ok, choice, reason, margin_db, best_width = _qot_candidates(state, params, links, valid, free)
    reason = jnp.where(valid[:, None], reason, _NO_PATH)
    mask = jnp.concatenate([ok.reshape(-1), jnp.ones(1, bool)])
    n_ok = jnp.sum(ok, axis=1)
    first = jnp.min(jnp.where(ok, jnp.arange(n_slots), n_slots), axis=1)  # a min-reduce: an argmax is a slower pair reduction on CPU
    hops = params.paths.hops[row]
    max_hops = params.paths.links.shape[-1]
    length = params.paths.length[row] / params.longest
    best_margin = jnp.max(jnp.where(ok, margin_db, 0.0), axis=1) if params.qot_mode == "gn" else jnp.zeros(k, dtype)  # reach: no margins
    features = jnp.stack([
        valid.astype(dtype), hops / max_hops, length, jnp.minimum(best_width / n_slots, 1.0) * valid, n_ok / n_slots,
        first / n_slots, jnp.clip(best_margin / 10.0, 0.0, 1.0),
    ], axis=1).astype(dtype)
    return eqx.tree_at(lambda x: (x.mask, x.choice, x.reason, x.margin_db, x.free, x.features), state,
                       (mask, choice, reason.astype(jnp.int32), margin_db.astype(dtype), free & valid[:, None], features))


def _qot_candidates(state: RMSAState, params: RMSAParams, links, valid, free):
    """"gn" mode: for each path, format (densest first) and first slot, whether the slots are free,
    the new lightpath meets its threshold plus margin and every established lightpath still meets
    its own; the densest feasible format of each placement."""
    q, table = params.qot, state.lightpaths
    n_links, n_slots, k = params.n_links, params.n_slots, params.k
    d_max = q.power.shape[0]
    data = jnp.minimum(_data_slots(state.bit_rate, params.bits_per_symbol, params.slot_width, params.roll_off, params.polarisations), d_max)  # (F,)
    width = data + params.guard
    n_formats = data.shape[0]
    spectrum = on.free_blocks(free[:, None, :], jnp.broadcast_to(width, (k, n_formats)), params.band, max_width=params.max_width)  # (k, F, S)
    # summed over each path's links: rows of S slots gathered (one index per row) and added hop by hop
    rows = jnp.where(links >= 0, links, n_links)  # (k, hops); the padding row is 0
    per_hop = state.field.reshape(-1, n_slots)[rows[:, :, None] * d_max + (data - 1)[None, None, :]]  # (k, hops, F, S)
    hops = jnp.sum(links >= 0, axis=1)
    nsr = q.terminal.reshape(-1, n_slots)[hops[:, None] * d_max + (data - 1)[None, :]]  # (k, F, S)
    for h in range(links.shape[1]):
        nsr = nsr + per_hop[:, h]
    snr_ok = nsr * params.threshold[None, :, None] * params.margin <= 1.0
    margin_db = -10.0 * jnp.log10(nsr * params.threshold[None, :, None] * params.margin)
    # established lightpaths: each keeps NSR <= 1/threshold. Along path p, a new lightpath adds
    # sum over shared links of xpm <= (shared scale) x kernel(d_M, d_new, delta), non-increasing in
    # delta: the forbidden centres lie within a radius of each lightpath
    t_rows = jnp.where(table.route >= 0, table.route, n_links)
    idx = (t_rows, table.data_slots[:, None] - 1, table.first_slot[:, None])
    per_hop = _at(state.field, *idx)  # (C, hops)
    own = table.terminal
    for h in range(per_hop.shape[1]):  # hop by hop (a reduction here is a slow kernel)
        own = own + per_hop[:, h]
    slack = jnp.where(table.active, 1.0 / jnp.where(table.active, table.threshold, 1.0) - own, jnp.inf)
    # only the lightpaths that share a link with one of the paths constrain them (their link bits
    # meet): visited in chunks of `_CHUNK` (by their rank among those; usually one chunk, under
    # vmap the most any env needs)
    path_bits = _link_bits(links, n_links)  # (k, words)
    relevant = jnp.any((jnp.bitwise_or.reduce(path_bits, axis=0)[None, :] & table.links) != 0, axis=-1) & table.active  # (C,)
    hop_word, hop_bit = links >> 5, (links & 31).astype(jnp.uint32)  # (k, hops)
    hop_scale = q.scale[jnp.where(links >= 0, links, n_links)]  # (k, hops); the padding link's is 0
    rank = jax.lax.associative_scan(jnp.add, relevant.astype(jnp.int32)) - 1  # (C,); log depth (XLA CPU cumsum is a reduce-window)
    n_chunks = (jnp.sum(relevant) + _CHUNK - 1) // _CHUNK
    capacity = table.active.shape[0]
    row = (jnp.arange(k)[:, None, None] * n_formats + jnp.arange(n_formats)[None, None, :]) * n_slots  # (k, 1, F)

    def chunk(carry):
        j, ends = carry
        slot = rank - j * _CHUNK
        take = relevant & (slot >= 0) & (slot < _CHUNK)
        idx = jnp.full(_CHUNK, capacity, jnp.int32).at[jnp.where(take, slot, _CHUNK)].set(jnp.arange(capacity, dtype=jnp.int32), mode="drop")
        live = idx < capacity
        c = jnp.minimum(idx, capacity - 1)  # (M,)
        d_m = table.data_slots[c]
        # the span count of the links each path shares with each lightpath: the path's hops whose
        # bit the lightpath has
        bits = table.links[c]  # (M, words)
        shared = jnp.zeros((k, _CHUNK), hop_scale.dtype)  # (k, M); hop by hop (a reduction here is a slow kernel)
        for h in range(hop_bit.shape[1]):
            word = bits[None, :, 0]
            for w in range(1, bits.shape[-1]):
                word = jnp.where(hop_word[:, None, h] == w, bits[None, :, w], word)
            shared = shared + hop_scale[:, None, h] * ((word >> hop_bit[:, None, h]) & 1).astype(hop_scale.dtype)
        allowed = jax.lax.stop_gradient(slack[c] / jnp.where(shared > 0, shared, 1.0))  # the mask is discrete
        # (k, M, F): the offsets at which the kernel exceeds what the lightpath allows
        level = kernel_level(jnp.where(shared > 0, allowed, jnp.inf))
        radius = kernel_reach(q.reach, (d_m - 1)[None, :, None], (data - 1)[None, None, :], level[:, :, None])
        centre = (2 * table.first_slot[c] + d_m)[None, :, None] - data[None, None, :]  # 2 s_new + d_new at delta 0
        # the new first slots strictly inside (centre -+ radius)/2, by integer shifts (floor and ceil of a half)
        lo = ((centre - radius) >> 1) + 1
        hi = -((-(centre + radius)) >> 1) - 1
        hit = live[None, :, None] & (radius > 0) & (lo <= hi) & (hi >= 0) & (lo < n_slots)
        # the union of the forbidden intervals: the furthest end among intervals starting at or
        # before each slot (one flat scatter-max, then a prefix max) reaches the slot or not
        ends = ends.at[(row + jnp.clip(lo, 0, n_slots - 1)).reshape(-1)].max(jnp.where(hit, hi, -1).reshape(-1))
        return j + 1, ends

    _, ends = jax.lax.while_loop(lambda carry: carry[0] < n_chunks, chunk,
                                 (jnp.int32(0), jnp.full(k * n_formats * n_slots, -1, jnp.int32)))
    reach = jax.lax.associative_scan(jnp.maximum, ends.reshape(k, n_formats, n_slots), axis=-1)
    others_ok = reach < jnp.arange(n_slots)
    room = ~jnp.all(table.active)
    feasible = spectrum & snr_ok & others_ok & valid[:, None, None] & room  # (k, F, S)
    ok = jnp.any(feasible, axis=1)
    choice = jnp.where(ok, jnp.argmax(feasible, axis=1), 0).astype(jnp.int32)
    reason = jnp.where(ok, _OK, jnp.where(~jnp.any(spectrum, axis=1), _SPECTRUM,
                       jnp.where(~jnp.any(spectrum & snr_ok, axis=1), _QOT, jnp.where(room, _OTHERS, _FULL))))
    margin = jnp.take_along_axis(margin_db, choice[:, None, :], axis=1)[:, 0]
    best_width = jnp.where(jnp.any(ok, axis=1), width[jnp.argmax(jnp.any(feasible, axis=2), axis=1)], width[-1])
    return ok, choice, reason, jnp.where(ok, margin, 0.0), best_width


def observation(state: RMSAState, params: RMSAParams) -> Float[Array, " obs"]:
    """The observation (float32, each entry in [0, 1]): source and destination one-hot, bit rate /
    the highest, per candidate path the `N_PATH_FEATURES` features (path exists, hops / max hops,
    length / the longest candidate, slots of the densest feasible format / slots, feasible first
    slots / slots, lowest feasible first slot / slots (1: none), best GSNR margin / 10 dB) and, with
    `observe_spectrum`, the free slots of each path (1 where a slot is free on all its links)."""
    n = params.n_nodes
    parts = [
        jax.nn.one_hot(state.source, n), jax.nn.one_hot(state.destination, n),
        (state.bit_rate / (params.bit_rate_gbps[1] * 1e9))[None], state.features.reshape(-1),
    ]
    if params.observe_spectrum:
        parts.append(state.free.reshape(-1))
    return jnp.concatenate([jnp.asarray(x, jnp.float32).reshape(-1) for x in parts])
