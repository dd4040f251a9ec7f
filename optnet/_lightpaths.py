"""Lightpaths as arrays: routes, slots, launch powers and formats of every connection in a network."""

from collections.abc import Sequence

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from ._grid import SlotGrid
from ._spectrum import EXCESS_KURTOSIS
from ._topology import Topology
from ._units import dbm_to_watt


class Lightpaths(eqx.Module):
    """A fixed-capacity table of lightpaths (entries with `active` False are free rows).

    **Fields** (one row per lightpath):

    - `route`: link indices along the path, padded with -1, shape `(lightpaths, max_hops)`.
    - `first_slot`: the lowest grid slot occupied (int).
    - `n_slots`: slots occupied (int), guard band included.
    - `power`: launch power into every span, W.
    - `symbol_rate`: Bd (also the noise and NLI bandwidth).
    - `excess_kurtosis`: Phi of the constellation (0 Gaussian, -1 QPSK; see `EXCESS_KURTOSIS`).
    - `active`: whether the row holds a lightpath.

    Adding or removing a lightpath (`add`, `remove`) returns a new table: a pure function, usable
    under `jax.jit` and in `lax.scan`.
    """

    route: Int[Array, "lightpaths hops"]
    first_slot: Int[Array, " lightpaths"]
    n_slots: Int[Array, " lightpaths"]
    power: Float[Array, " lightpaths"]
    symbol_rate: Float[Array, " lightpaths"]
    excess_kurtosis: Float[Array, " lightpaths"]
    active: Bool[Array, " lightpaths"]

    @classmethod
    def empty(cls, capacity: int, max_hops: int) -> "Lightpaths":
        """A table of `capacity` free rows for routes of up to `max_hops` links."""
        zeros = jnp.zeros(capacity)
        return cls(
            jnp.full((capacity, max_hops), -1, jnp.int32), jnp.zeros(capacity, jnp.int32),
            jnp.ones(capacity, jnp.int32), zeros, jnp.ones(capacity), zeros, jnp.zeros(capacity, bool),
        )

    @classmethod
    def from_paths(
        cls,
        topology: Topology,
        paths: Sequence[Sequence],
        first_slot: "ArrayLike | Sequence[int]",
        n_slots: "ArrayLike | Sequence[int]",
        *,
        grid: SlotGrid,
        power_dbm: "ArrayLike | Sequence[float]" = 0.0,
        symbol_rate: "ArrayLike | Sequence[float] | None" = None,
        modulation: str | Sequence[str] = "Gaussian",
        max_hops: int | None = None,
    ) -> "Lightpaths":
        """Lightpaths from node paths (names or indices). `power_dbm` per lightpath in dBm;
        `symbol_rate` in Bd defaults to the slots' width (`n_slots x slot_width`); `modulation` names
        a format of `EXCESS_KURTOSIS` (one, or one per path)."""
        routes = [topology.route(p) for p in paths]
        n = len(routes)
        if n == 0:
            raise ValueError("`paths` is empty.")
        hops = max(len(r) for r in routes) if max_hops is None else max_hops
        if any(len(r) > hops for r in routes):
            raise ValueError(f"A path has more than `max_hops`={hops} links.")
        route = np.full((n, hops), -1, np.int32)
        for i, r in enumerate(routes):
            route[i, : len(r)] = r
        first = np.broadcast_to(np.asarray(first_slot), (n,)).astype(np.int32)
        width = np.broadcast_to(np.asarray(n_slots), (n,)).astype(np.int32)
        names = [modulation] * n if isinstance(modulation, str) else list(modulation)
        if len(names) != n:
            raise ValueError(f"`modulation` needs one format per path ({n}); got {len(names)}.")
        for m in names:
            if m not in EXCESS_KURTOSIS:
                raise ValueError(f"Unknown modulation {m!r}; choose one of {sorted(EXCESS_KURTOSIS)}.")
        rate = width * grid.slot_width if symbol_rate is None else np.broadcast_to(np.asarray(symbol_rate, float), (n,))
        return cls(
            jnp.asarray(route), jnp.asarray(first), jnp.asarray(width),
            jnp.broadcast_to(dbm_to_watt(jnp.asarray(power_dbm, float)), (n,)), jnp.asarray(rate, float),
            jnp.asarray([EXCESS_KURTOSIS[m] for m in names], float), jnp.ones(n, bool),
        )

    @property
    def capacity(self) -> int:
        return self.route.shape[0]

    @property
    def max_hops(self) -> int:
        return self.route.shape[1]

    @property
    def hops(self) -> Int[Array, " lightpaths"]:
        """Links on each route."""
        return jnp.sum(self.route >= 0, axis=-1)

    def centre_frequency(self, grid: SlotGrid) -> Float[Array, " lightpaths"]:
        """Centre frequency (Hz) of each lightpath's slot range."""
        centres = jnp.asarray(grid.centres)
        first = jnp.clip(self.first_slot, 0, grid.n_slots - 1)
        last = jnp.clip(self.first_slot + self.n_slots - 1, 0, grid.n_slots - 1)
        return 0.5 * (centres[first] + centres[last])

    def add(self, index, route, first_slot, n_slots, power, symbol_rate, excess_kurtosis=0.0) -> "Lightpaths":
        """This table with row `index` set to a new lightpath (`route`: link indices padded with -1
        to `max_hops`; `power` W; `symbol_rate` Bd)."""
        return Lightpaths(
            self.route.at[index].set(jnp.asarray(route, self.route.dtype)),
            self.first_slot.at[index].set(jnp.asarray(first_slot, self.first_slot.dtype)),
            self.n_slots.at[index].set(jnp.asarray(n_slots, self.n_slots.dtype)),
            self.power.at[index].set(power),
            self.symbol_rate.at[index].set(symbol_rate),
            self.excess_kurtosis.at[index].set(excess_kurtosis),
            self.active.at[index].set(True),
        )

    def remove(self, index) -> "Lightpaths":
        """This table with row `index` freed."""
        return eqx.tree_at(lambda t: t.active, self, self.active.at[index].set(False))

    def with_power(self, power: Float[Array, " lightpaths"]) -> "Lightpaths":
        """The same lightpaths launched with `power` (W): the usual optimisation variable."""
        return eqx.tree_at(lambda t: t.power, self, jnp.broadcast_to(power, self.power.shape))
