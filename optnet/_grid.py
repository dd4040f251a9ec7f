"""The flexible frequency grid of a network: slots of fixed width in one or more bands."""

import dataclasses

import numpy as np

# ITU-T G.694.1 flexible grid: 12.5 GHz slots; band edges as commonly deployed (C band 4.8 THz,
# L band 4.8 THz below it with a guard).
SLOT_WIDTH = 12.5e9
C_BAND = (191.325e12, 196.125e12)
L_BAND = (186.025e12, 190.825e12)


@dataclasses.dataclass(frozen=True)
class SlotGrid:
    """Frequency slots, numbered from 0 upwards in frequency (hashable: a static field).

    **Fields:**

    - `bands`: `(lower edge Hz, slot count)` of each band, in increasing frequency.
    - `slot_width`: Hz (12.5 GHz by default, ITU-T G.694.1).

    A lightpath occupies contiguous slots inside one band.
    """

    bands: tuple[tuple[float, int], ...]
    slot_width: float = SLOT_WIDTH

    def __post_init__(self):
        if not self.bands:
            raise ValueError("`SlotGrid.bands` is empty.")
        if not (np.isfinite(self.slot_width) and 1e8 <= self.slot_width <= 1e12):
            raise ValueError(f"`slot_width` is in Hz, between 0.1 and 1000 GHz (12.5 GHz is 12.5e9); got {self.slot_width}.")
        top = -np.inf
        for start, n in self.bands:
            if not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Each band needs a positive slot count; got {n!r}.")
            if not 1e12 <= start <= 1e15:
                raise ValueError(f"Band edges are in Hz (191.3 THz is 191.3e12); got {start}.")
            if start < top - 1e-3 * self.slot_width:
                raise ValueError("`SlotGrid.bands` must be in increasing frequency and must not overlap.")
            top = start + n * self.slot_width

    @classmethod
    def uniform(cls, n_slots: int, *, slot_width: float = SLOT_WIDTH, centre: float = 193.5e12) -> "SlotGrid":
        """`n_slots` slots in one band centred on `centre` Hz (100 slots: the RMSA benchmark setting)."""
        return cls(((centre - 0.5 * n_slots * slot_width, int(n_slots)),), slot_width)

    @classmethod
    def c_band(cls, *, slot_width: float = SLOT_WIDTH) -> "SlotGrid":
        """The C band, 191.325-196.125 THz (384 slots of 12.5 GHz)."""
        return cls(((C_BAND[0], int(round((C_BAND[1] - C_BAND[0]) / slot_width))),), slot_width)

    @classmethod
    def c_plus_l(cls, *, slot_width: float = SLOT_WIDTH) -> "SlotGrid":
        """The L band (186.025-190.825 THz) and the C band: 768 slots of 12.5 GHz."""
        return cls(tuple((lo, int(round((hi - lo) / slot_width))) for lo, hi in (L_BAND, C_BAND)), slot_width)

    @property
    def n_slots(self) -> int:
        return sum(n for _, n in self.bands)

    @property
    def centres(self) -> np.ndarray:
        """Centre frequency of each slot, Hz."""
        return np.concatenate([lo + self.slot_width * (np.arange(n) + 0.5) for lo, n in self.bands])

    @property
    def band(self) -> np.ndarray:
        """The band index of each slot."""
        return np.concatenate([np.full(n, i) for i, (_, n) in enumerate(self.bands)])
