"""The gain spectrum of a gain-controlled EDFA from its dynamic gain tilt (DGT): GNPy's amplifier model."""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._amplifier import AbstractGainControl
from ._checks import Rule, Rules, as_float_array, table_rules, value_rules
from ._units import _DB, db_to_linear, dbm_to_watt

_FLAT = 0.05 / _DB  # GNPy: a first estimate within 0.05 dB of flat is returned as is
_TOLERANCE = 1e-11 / _DB  # GNPy's err_tolerance (dB)


class DynamicGainTilt(AbstractGainControl):
    """An EDFA whose gain shape moves along its dynamic gain tilt curve as its gain and tilt are set.

    ln G(f) = ln `ripple`(f) + ln `flat_gain` + `dgt`(f) x s - v: the design gain spectrum
    (`flat_gain` with its `ripple`) plus the DGT curve scaled by s, less a flat attenuation v. The
    first s gives the target `tilt` (the slope of ln G against frequency, fitted over the
    channels, against the DGT curve's); v brings the mean linear gain to `target`; then s is
    moved by one secant step so that the total output over total input power is `target` (capped
    at `max_output_power`). With no ripple and no tilt the gain is `target`, flat.

    R. di Muro, "The Er3+ fiber gain coefficient derived from a dynamic gain tilt technique",
    J. Lightwave Technol. 18(3), 343-347 (2000); the steps of GNPy's `Edfa._gain_profile`, in
    nepers instead of dB.

    **Fields:**

    - `target`: linear, the target gain (total output over total input power).
    - `flat_gain`: linear, the gain at which the design spectrum is flat (GNPy's `gain_flatmax`).
    - `frequency`: Hz, the table of `dgt` and `ripple` (strictly increasing).
    - `dgt`: the DGT curve (dimensionless: ln G changes by dgt x s).
    - `ripple`: linear, the design gain ripple (interpolated in log units, as dB).
    - `tilt`: 1/Hz, the target slope of ln G (GNPy: -tilt_target / (f_max - f_min), in nepers).
    - `max_output_power`: W, total; the gain is capped at this over the input power (inf: none).

    Use `from_db` for GNPy's units (dB, dB across the amplifier band, dBm).
    """

    target: Float[Array, ""]
    flat_gain: Float[Array, ""]
    frequency: Float[Array, " table"]
    dgt: Float[Array, " table"]
    ripple: Float[Array, " table"]
    tilt: Float[Array, ""]
    max_output_power: Float[Array, ""]

    def __init__(self, target: ArrayLike, flat_gain: ArrayLike, frequency: ArrayLike, dgt: ArrayLike,
                 ripple: ArrayLike = 1.0, tilt: ArrayLike = 0.0, max_output_power: ArrayLike = jnp.inf):
        self.target = as_float_array(target, "target")
        self.flat_gain = as_float_array(flat_gain, "flat_gain")
        self.frequency = as_float_array(frequency, "frequency")
        self.dgt = as_float_array(dgt, "dgt")
        self.ripple = jnp.broadcast_to(as_float_array(ripple, "ripple"), self.frequency.shape)
        self.tilt = as_float_array(tilt, "tilt")
        self.max_output_power = as_float_array(max_output_power, "max_output_power")
        if self.frequency.ndim != 1 or self.frequency.shape[0] < 2 or self.dgt.shape != self.frequency.shape:
            raise ValueError(f"`DynamicGainTilt.dgt` and its `frequency` table must be 1-D of the same length >= 2; "
                             f"got {self.dgt.shape} and {self.frequency.shape}.")

    def rules(self) -> Rules:
        linear = "gains are linear (use `DynamicGainTilt.from_db` for dB)"
        return [
            *value_rules(self.target, "DynamicGainTilt.target", positive=True, plausible=(1e-3, 1e6), hint=linear),
            *value_rules(self.flat_gain, "DynamicGainTilt.flat_gain", positive=True, plausible=(1e-3, 1e6), hint=linear),
            *value_rules(self.ripple, "DynamicGainTilt.ripple", positive=True, plausible=(1e-2, 1e2), hint=linear),
            *value_rules(self.dgt, "DynamicGainTilt.dgt", plausible=(0.0, 1e3)),
            *value_rules(self.tilt, "DynamicGainTilt.tilt", unit="1/Hz", plausible=(0.0, 1e-11),
                         hint="the tilt is a slope of ln G in 1/Hz (use `from_db` for dB across the band)"),
            Rule(~(self.max_output_power > 0), "`DynamicGainTilt.max_output_power` must be > 0 W (inf: no cap)."),
            *table_rules(self.frequency, "DynamicGainTilt.frequency"),
        ]

    @classmethod
    def from_db(cls, gain_db: ArrayLike, flat_gain_db: ArrayLike, frequency: ArrayLike, dgt: ArrayLike,
                ripple_db: ArrayLike = 0.0, tilt_db: ArrayLike = 0.0, f_min: ArrayLike | None = None,
                f_max: ArrayLike | None = None, max_output_power_dbm: ArrayLike = jnp.inf) -> "DynamicGainTilt":
        """GNPy's parameters: gains in dB, the ripple in dB, `tilt_db` GNPy's `tilt_target` (dB over the
        amplifier band [`f_min`, `f_max`] Hz, by default the table's ends) and p_max in dBm."""
        f = as_float_array(frequency, "frequency")
        f_min = f[0] if f_min is None else as_float_array(f_min, "f_min")
        f_max = f[-1] if f_max is None else as_float_array(f_max, "f_max")
        return cls(db_to_linear(as_float_array(gain_db, "gain_db")), db_to_linear(as_float_array(flat_gain_db, "flat_gain_db")),
                   f, dgt, db_to_linear(as_float_array(ripple_db, "ripple_db")),
                   -as_float_array(tilt_db, "tilt_db") / _DB / (f_max - f_min),
                   dbm_to_watt(as_float_array(max_output_power_dbm, "max_output_power_dbm")))

    def gain_profile(self, frequency, input_power):
        """ln G per channel (nepers) for channels at `frequency` (Hz) with `input_power` (W each;
        the channels of power 0 are absent: they take no part in the fits and means)."""
        dgt = jnp.interp(frequency, self.frequency, self.dgt)
        on = (input_power > 0).astype(dgt.dtype)
        n = jnp.maximum(jnp.sum(on), 1.0)
        total_in = jnp.sum(input_power)
        total_in = jnp.where(total_in > 0, total_in, 1.0)
        target = jnp.log(jnp.minimum(self.target, self.max_output_power / total_in))  # GNPy's effective gain

        def mean_gain(g):  # total output over total input power (nepers)
            return jnp.log(jnp.sum(input_power * jnp.exp(g)) / total_in)

        df = on * (frequency - jnp.sum(on * frequency) / n)
        spread_f = jnp.sum(df**2)
        # the least-squares slope of the DGT curve over the channels, as numpy's polyfit
        dgt_slope = jnp.sum(df * dgt) / jnp.where(spread_f > 0, spread_f, 1.0)
        s1 = jnp.where(dgt_slope != 0, self.tilt / jnp.where(dgt_slope != 0, dgt_slope, 1.0), 0.0)
        g1 = jnp.interp(frequency, self.frequency, jnp.log(self.ripple)) + jnp.log(self.flat_gain) + dgt * s1
        g2 = g1 - (jnp.log(jnp.sum(on * jnp.exp(g1)) / n) - target)  # less the flat attenuation v
        # one secant step on s: the centre, and points one first-estimate ripple either side
        xc = target - mean_gain(g2)
        spread = jnp.max(jnp.where(on > 0, g1, -jnp.inf)) - jnp.min(jnp.where(on > 0, g1, jnp.inf))
        spread = jnp.where(jnp.isfinite(spread), spread, 0.0)
        safe = jnp.where(spread > _FLAT, spread, 1.0)
        ac, al, ah = (mean_gain(g2 + dgt * x) for x in (xc, xc - safe, xc + safe))
        slope_low, slope_high = (al - ac) / -safe, (ac - ah) / -safe
        s3 = jnp.where(jnp.abs(target - ac) <= _TOLERANCE, xc,
                       jnp.where(target < ac, xc - (ac - target) / slope_low, xc + (target - ac) / slope_high))
        profile = jnp.where(spread <= _FLAT, g2, g2 + dgt * s3)
        return jnp.where(jnp.sum(on) <= 1, target, profile)  # GNPy: one channel takes the gain

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        return jnp.exp(self.gain_profile(frequency, input_power))
