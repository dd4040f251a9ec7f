"""The WDM signal: channel grid, symbol rates, launch powers and modulation statistics."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._checks import AbstractValidated, Rule, Rules, as_float_array, broadcast_to_axis, concrete, value_rules
from ._units import dbm_to_watt

# Excess kurtosis Phi = E|x|^4/E^2|x|^2 - 2 of common constellations (Semrau et al., JLT 37(19), 2019, Table I).
EXCESS_KURTOSIS = {
    "BPSK": -1.0,
    "QPSK": -1.0,
    "8QAM": -0.75,
    "16QAM": -0.68,
    "32QAM": -0.69,
    "64QAM": -13.0 / 21.0,
    "256QAM": -0.605,
    "Gaussian": 0.0,
}


def _resolution(frequency):
    """How finely absolute frequencies are resolved in their dtype (Hz): about 16 MHz at 193 THz in
    float32. The overlap checks allow this much, so a grid that fits exactly is not refused for
    rounding (the physics itself works with frequency offsets)."""
    xp = np if isinstance(frequency, np.ndarray) else jnp
    return 4 * xp.finfo(frequency.dtype).eps * xp.max(xp.abs(frequency))


class Spectrum(AbstractValidated):
    """Channels launched into a link.

    **Fields:**

    - `frequency`: channel centre frequencies, Hz (absolute, e.g. 193.5e12).
    - `symbol_rate`: Bd; also the noise and NLI bandwidth of the channel (Nyquist-like spectra).
    - `power`: launch power in W, shape `(channels,)` (same into every span) or `(spans, channels)`
      (a per-span launch profile, e.g. after add/drop). 0 marks an unused slot.
    - `roll_off`: raised-cosine roll-off (dimensionless); used for the overlap check and by the
      numerical GN integral's raised-cosine option.
    - `excess_kurtosis`: Phi of each channel's constellation (0 = Gaussian, -1 = QPSK); see
      `EXCESS_KURTOSIS`.
    - `allow_overlap`: accept channels whose occupied bands overlap (static; default False raises).
      Superchannels packed below Rs(1+a) need it; the GN model then treats each channel as its own
      rectangle of width `symbol_rate`, an approximation for the overlapping part.
    - `unchecked`: skip the plausible-range checks (static; for exotic studies). Values must be
      finite and of the right sign in any case.

    Plausible ranges (outside them a unit slip is likely and construction raises): frequency
    1-1,000 THz, symbol rate 1 MBd-10 TBd, power per channel 1 uW-1 W (0 marks an unused slot).
    """

    frequency: Float[Array, " channels"]
    symbol_rate: Float[Array, " channels"]
    power: Float[Array, "*spans channels"]
    roll_off: Float[Array, " channels"]
    excess_kurtosis: Float[Array, " channels"]
    allow_overlap: bool = eqx.field(static=True)
    unchecked: bool = eqx.field(static=True)

    def __init__(
        self,
        frequency: ArrayLike,
        symbol_rate: ArrayLike,
        power: ArrayLike,
        roll_off: ArrayLike = 0.0,
        excess_kurtosis: ArrayLike = 0.0,
        *,
        allow_overlap: bool = False,
        unchecked: bool = False,
    ):
        self.allow_overlap = allow_overlap
        self.unchecked = unchecked
        self.frequency = as_float_array(frequency, "frequency")
        if self.frequency.ndim != 1 or self.frequency.shape[0] == 0:
            raise ValueError(
                f"`frequency` must be a non-empty 1-D array of channel centres; got shape {self.frequency.shape}."
            )
        n = self.frequency.shape[0]

        def per_channel(x, name):
            return broadcast_to_axis(x, n, name, "channel (like `frequency`)")

        self.symbol_rate = per_channel(symbol_rate, "symbol_rate")
        self.roll_off = per_channel(roll_off, "roll_off")
        self.excess_kurtosis = per_channel(excess_kurtosis, "excess_kurtosis")
        p = as_float_array(power)
        if p.ndim == 0:
            p = jnp.broadcast_to(p, (n,))
        if p.ndim not in (1, 2) or p.shape[-1] != n:
            raise ValueError(
                f"`power` must be a scalar, shape ({n},) or (spans, {n}); got {p.shape}."
            )
        self.power = p

    def rules(self) -> Rules:
        plausible = not self.unchecked
        rules = [
            *value_rules(self.frequency, "frequency", positive=True, unit="Hz",
                         plausible=(1e12, 1e15) if plausible else None,
                         hint="frequencies are in Hz (193.5 THz is 193.5e12)"),
            *value_rules(self.symbol_rate, "symbol_rate", positive=True, unit="Bd",
                         plausible=(1e6, 1e13) if plausible else None,
                         hint="symbol rates are in Bd (32 GBd is 32e9)"),
            *value_rules(self.power, "power", nonnegative=True, unit="W",
                         plausible=(1e-6, 1.0) if plausible else None,
                         hint="powers are in W per channel (0 dBm is 1e-3; see `dbm_to_watt`)"),
            *value_rules(self.roll_off, "roll_off", nonnegative=True, at_most=1.0),
            *value_rules(self.excess_kurtosis, "excess_kurtosis", at_least=-1.0,
                         hint="Phi = E|x|^4/E^2|x|^2 - 2 >= -1 for any constellation (Cauchy-Schwarz); QPSK is -1"),
        ]
        if not self.allow_overlap:
            rules.append(self._overlap_rule())
        return rules

    def _overlap_rule(self) -> Rule:
        f, w = concrete(self.frequency), concrete(self.symbol_rate * (1 + self.roll_off))
        if f is None or w is None:  # traced: the same test in jax.numpy
            order = jnp.argsort(self.frequency)
            fs, ws = self.frequency[order], (self.symbol_rate * (1 + self.roll_off))[order]
            gap = jnp.diff(fs)
            bad = gap < 0.5 * (ws[1:] + ws[:-1]) * (1 - 1e-12) - _resolution(fs)
            return Rule(bad, "Channels overlap in frequency (pass `allow_overlap=True` for super-Nyquist packing).")
        order = np.argsort(f)
        gap = np.diff(f.astype(np.float64)[order])
        half = 0.5 * (w[order][1:] + w[order][:-1]).astype(np.float64)
        bad = gap < half * (1 - 1e-12) - _resolution(f)
        if not np.any(bad):
            return Rule(False, "")
        k = int(np.argmax(half - gap))
        return Rule(True, (
            f"Channels overlap: centres {f[order][k]:.6e} Hz and {f[order][k + 1]:.6e} Hz are "
            f"{gap[k]:.4g} Hz apart but their occupied bandwidths need {half[k]:.4g} Hz "
            "(pass `allow_overlap=True` for super-Nyquist packing)."
        ))

    @classmethod
    def uniform(
        cls,
        n_channels: int,
        spacing: float,
        *,
        centre: float = 193.5e12,
        symbol_rate: float | None = None,
        power_dbm: ArrayLike = 0.0,
        roll_off: float = 0.0,
        modulation: str = "Gaussian",
    ) -> "Spectrum":
        """A fixed grid of `n_channels` every `spacing` Hz centred on `centre` Hz.

        `symbol_rate` defaults to `spacing/(1+roll_off)`; `power_dbm` is per channel, in dBm.
        """
        if n_channels < 1:
            raise ValueError(f"`n_channels` must be >= 1; got {n_channels}.")
        if modulation not in EXCESS_KURTOSIS:
            raise ValueError(f"Unknown modulation {modulation!r}; choose one of {sorted(EXCESS_KURTOSIS)}.")
        # the grid in float64 (numpy), rounded once to the working dtype
        f = centre + spacing * (np.arange(n_channels) - (n_channels - 1) / 2)
        rs = spacing / (1 + roll_off) if symbol_rate is None else symbol_rate
        return cls(f, rs, dbm_to_watt(power_dbm), roll_off, EXCESS_KURTOSIS[modulation])

    @property
    def n_channels(self) -> int:
        return self.frequency.shape[0]

    def span_power(self, n_spans: int) -> Float[Array, "spans channels"]:
        """Launch power into every span, W, shape `(n_spans, channels)`."""
        if self.power.ndim == 1:
            return jnp.broadcast_to(self.power, (n_spans, self.n_channels))
        if self.power.shape[0] != n_spans:
            raise ValueError(
                f"`power` has a per-span profile for {self.power.shape[0]} spans but the link has {n_spans}."
            )
        return self.power


def raised_cosine_spectrum(f, symbol_rate, roll_off):
    """Raised-cosine spectrum H_rc(f) (1 in the flat part, integral = symbol_rate); the RRC pulse
    is its square root, so the matched-filter pair |P(f)|^2 = H_rc(f).

    ??? cite "References"
        J. G. Proakis, M. Salehi, *Digital Communications*, 5th ed., McGraw-Hill 2008, Eq. (9.2-26).
    """
    af = jnp.abs(f)
    lo = 0.5 * (1 - roll_off) * symbol_rate
    hi = 0.5 * (1 + roll_off) * symbol_rate
    width = jnp.maximum(roll_off * symbol_rate, 1e-30)
    mid = 0.5 * (1 + jnp.cos(jnp.pi * jnp.clip(af - lo, 0.0, width) / width))
    return jnp.where(af <= lo, 1.0, jnp.where(af < hi, mid, 0.0))
