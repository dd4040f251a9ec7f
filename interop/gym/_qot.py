"""The GN model of an optnet `Network` as per-link tables, for per-step QoT masking.

With the launch powers fixed (a power spectral density per slot), a lightpath's NSR on a link is the
ASE and SPM of the lightpath alone plus the XPM of each other lightpath on the link (the closed form's
incoherent pair sum: Semrau et al., JLT 37(9), 2019, Eqs. (10)-(11)). Both are tabulated once from the
network's own NLI model, so an environment step sums table entries instead of re-running the model."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

import optnet as on

# levels of the inverse kernel: 4096 log-spaced values from 1e-12 to 1 (0.7 % apart)
INVERSE_LOG10 = (-12.0, 0.0, 4096)
INVERSE_GRID = np.logspace(*INVERSE_LOG10)


def kernel_level(allowed):
    """The index of the inverse-kernel level at or below `allowed` (int32): -1 below the grid (or
    for `allowed` <= 0), `INVERSE_LOG10[2]` above it."""
    lo, hi, n = INVERSE_LOG10
    level = jnp.floor((jnp.log10(jnp.maximum(allowed, 1e-30)) - lo) / ((hi - lo) / (n - 1)))
    return jnp.clip(level, -1, n).astype(jnp.int32)


def kernel_reach(reach, victim, new, level):
    """How many leading offsets of the kernel row (victim, new) exceed the allowed level `level`
    (`kernel_level`), conservatively: at the grid level at or below what is allowed (so at most
    0.7 % below it); those above the grid's lowest level (1e-12) where it is below the grid, none
    where it is above."""
    n = INVERSE_LOG10[2]
    row = (victim * reach.shape[1] + new) * n  # one flat gather (several index arrays cost more)
    inside = reach.reshape(-1)[row + jnp.clip(level, 0, n - 1)]
    return jnp.where(level >= n, 0, inside)


class QotTables(eqx.Module):
    """Per-link GN-model noise of lightpaths of `d` = 1..D data slots (Gaussian signals, no ISRS
    between lightpaths; see `qot_tables`).

    **Fields:**

    - `base`: NSR (ASE + SPM) of a lightpath of `d` data slots from slot `s`, alone on link `l`,
      `(links + 1, D, slots)`; the last row (padding hops) is 0.
    - `xpm`: NSR that an interferer of `d_i` data slots from slot `s_i` adds to a victim of `d_v`
      data slots from slot `s_v` on link `l`, at `s_v - s_i + slots - 1`, `(links + 1, D, D, 2
      slots - 1)` (a victim's run of first slots is one contiguous run of a row).
    - `kernel`: a per-span XPM kernel by the centres' distance `delta` in half slots,
      non-increasing in `delta`, `(D, D, 2 slots + 1)`;
    - `reach`: its inverse: how many leading `delta` have `kernel > INVERSE_GRID[j]`, `(D, D, J)`;
    - `scale`: the span count of each link (0 for the padding row): `xpm[l] <= scale[l] * kernel` at the same distance,
      an equality for links of one fibre type under the closed form, `(links + 1,)`.
    - `terminal`: NSR of the ROADM passes and the transceiver by hops, `(max hops + 1, D, slots)`.
    - `symbol_rate` (Bd) and `power` (W) of a lightpath of `d` data slots, `(D,)`.
    """

    base: Float[Array, "links_1 widths slots"]
    xpm: Float[Array, "links_1 widths widths differences"]
    kernel: Float[Array, "widths widths offsets"]
    reach: Int[Array, "widths widths levels"]
    scale: Float[Array, " links_1"]
    terminal: Float[Array, "hops_1 widths slots"]
    symbol_rate: Float[Array, " widths"]
    power: Float[Array, " widths"]


def qot_tables(network: on.Network, max_data_slots: int, max_hops: int, *, power_per_slot: float,
               roll_off: float) -> QotTables:
    """Tabulate `network`'s GN model for lightpaths of 1..`max_data_slots` data slots, a lightpath
    of `d` data slots sending `d x slot width/(1 + roll_off)` Bd at `d x power_per_slot` W.

    Each entry comes from `Network.link_budget` (the per-link part of `Network.__call__`): `base`
    with the lightpath alone, `xpm` as the NLI difference that one interferer makes (per link, the
    victim at the grid's lower edge). Neglected: the ISRS power transfer between lightpaths (each table is computed at the
    power of one or two lightpaths), the modulation-format correction (Gaussian signals: the
    NLI is overestimated, a conservative margin) and the frequency dependence of XPM across the
    band (beta3)."""
    grid = network.grid
    n_links, n_slots, d_max = network.n_links, grid.n_slots, max_data_slots
    widths = np.arange(1, d_max + 1)
    rate = widths * grid.slot_width / (1 + roll_off)
    power = widths * power_per_slot
    centres = np.asarray(grid.centres)
    centre = lambda first, d: centres[first] + 0.5 * (d - 1) * grid.slot_width  # of d slots from `first`

    # base: a lightpath of d data slots from slot s alone on each link (s past the grid's end
    # repeats the last that fits; the spectrum check masks those)
    s_grid, d_grid = np.meshgrid(np.arange(n_slots), widths, indexing="ij")  # (S, D)
    s_fit = np.minimum(s_grid, n_slots - d_grid)
    rows = np.broadcast_to(np.arange(n_links)[:, None, None], (n_links,) + s_grid.shape).reshape(-1)
    f = np.broadcast_to(centre(s_fit, d_grid), (n_links,) + s_grid.shape).reshape(-1, 1)
    b = np.broadcast_to(rate[d_grid - 1], (n_links,) + s_grid.shape).reshape(-1, 1)
    p = np.broadcast_to(power[d_grid - 1], (n_links,) + s_grid.shape).reshape(-1, 1)
    ase, nli = _budget(network, rows, f, b, p)
    base = (ase + nli).reshape(n_links, n_slots, d_max).transpose(0, 2, 1)  # (L, D, S)

    # xpm: victim from slot 0 (d_v data slots), an interferer of d_i data slots with its centre
    # delta half slots away: from slot (delta + d_v - d_i)/2, an integer for one parity of delta
    n_off = 2 * n_slots + 1
    dv, di, delta = np.meshgrid(widths, widths, np.arange(n_off), indexing="ij")
    s_i = (delta + dv - di) // 2
    ok = ((delta + dv - di) % 2 == 0) & (delta >= dv + di) & (s_i + di <= n_slots)
    cases = np.argwhere(ok)
    v, i, si = dv[ok], di[ok], s_i[ok]
    m = v.size
    rows = np.repeat(np.arange(n_links), m)
    f = np.tile(np.stack([centre(0, v), centre(si, i)], axis=1), (n_links, 1))
    b = np.tile(np.stack([rate[v - 1], rate[i - 1]], axis=1), (n_links, 1))
    p = np.tile(np.stack([power[v - 1], power[i - 1]], axis=1), (n_links, 1))
    _, nli = _budget(network, rows, f, b, p)
    xpm = np.zeros((n_links, d_max, d_max, n_off))
    alone = _budget(network, rows, f[:, :1], b[:, :1], p[:, :1])[1][:, 0]  # the victim's NLI alone
    xpm[rows, np.tile(cases[:, 0], n_links), np.tile(cases[:, 1], n_links), np.tile(cases[:, 2], n_links)] = np.maximum(nli[:, 0] - alone, 0.0)
    # by first-slot difference: victim (d_v) from slot s_v, interferer (d_i) from s_i, entry s_v - s_i + S - 1
    diff = np.arange(2 * n_slots - 1) - (n_slots - 1)
    delta = np.abs(2 * diff[None, None, :] + widths[:, None, None] - widths[None, :, None])  # (D, D, 2S - 1)
    d = np.arange(d_max)
    by_first = np.where(delta <= 2 * n_slots, xpm[:, d[:, None, None], d[None, :, None], np.minimum(delta, 2 * n_slots)], 0.0)
    # per-span kernel: the largest per-span XPM over the links, so xpm[l] <= n_spans[l] x kernel
    # (an equality for links of one fibre type: the closed form's per-span terms do not depend on
    # the span length), made non-increasing in delta (which also fills the other parity)
    spans = np.asarray(network.n_spans, float)
    kernel = (xpm / spans[:, None, None, None]).max(axis=0)
    kernel = np.maximum.accumulate(kernel[..., ::-1], axis=-1)[..., ::-1]
    reach = np.sum(kernel[..., None, :] > INVERSE_GRID[:, None], axis=-1).astype(np.int32)
    # ROADM passes and transceiver by hops
    f = centre(s_fit, d_grid)
    terminal = []
    for h in range(max_hops + 1):  # a handful of hop counts
        roadm, trx = network.terminal_nsr(jnp.asarray(f), jnp.asarray(rate)[d_grid - 1], jnp.asarray(power)[d_grid - 1], jnp.asarray(max(h, 1)))
        terminal.append(np.asarray(roadm + trx).T)
    pad = lambda x: np.concatenate([x, np.zeros((1,) + x.shape[1:])])
    return QotTables(
        jnp.asarray(pad(np.asarray(base))), jnp.asarray(pad(by_first)), jnp.asarray(kernel), jnp.asarray(reach),
        jnp.asarray(np.append(spans, 0.0)), jnp.asarray(np.stack(terminal)), jnp.asarray(rate), jnp.asarray(power),
    )


@jax.jit
def _budget_jit(network, rows, f, b, p):
    return network.link_budget(rows, f, b, p)


def _budget(network, rows, f, b, p):
    ase, nli = _budget_jit(network, jnp.asarray(rows), jnp.asarray(f), jnp.asarray(b), jnp.asarray(p))
    return np.asarray(ase), np.asarray(nli)
