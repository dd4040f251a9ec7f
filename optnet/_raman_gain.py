"""Raman gain efficiency of a fibre, g(Δf) in 1/(W m), and the signed coupling matrix it implies."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._checks import AbstractValidated, Rules, as_float_array, table_rules, value_rules


class AbstractRamanGain(AbstractValidated):
    """Raman gain efficiency g(Δf) >= 0 (1/(W m)) for a frequency shift Δf >= 0 (Hz).

    The lower-frequency wave of a pair gains `g(|Δf|) P_other`, the higher-frequency wave loses it.
    """

    @abc.abstractmethod
    def __call__(self, shift: Float[Array, "..."]) -> Float[Array, "..."]:
        """Gain efficiency in 1/(W m) at shift `shift` >= 0 (Hz)."""

    @abc.abstractmethod
    def check(self, shift: Float[Array, "..."]) -> Float[Array, "..."]:
        """Return `shift` with a traced check that the model covers it."""

    def pair_efficiency(self, frequency: Float[Array, " n"]) -> Float[Array, "n n"]:
        """g_ik (1/(W m)) for every pair of waves at `frequency` (Hz), symmetric: by default a
        function of the shift |f_k - f_i| alone."""
        return self(self.check(jnp.abs(frequency[None, :] - frequency[:, None])))


class TriangularRamanGain(AbstractRamanGain):
    """Triangular approximation g(Δf) = C_r Δf for Δf <= cutoff, 0 beyond.

    **Fields:**

    - `slope`: C_r in 1/(W m Hz) (0.028 1/W/km/THz = 2.8e-17).
    - `cutoff`: shift in Hz beyond which the gain is set to 0 (silica peaks near 13-15 THz).

    ??? cite "References"
        Semrau, Killey, Bayvel, "The GN model in the presence of ISRS", JLT 36(14), 2018, Eq. (2);
        Christodoulides & Jander, IEEE PTL 8(12), 1996 (triangular approximation).
    """

    slope: Float[Array, ""]
    cutoff: Float[Array, ""]

    def __init__(self, slope: ArrayLike = 2.8e-17, cutoff: ArrayLike = 15e12):
        self.slope = as_float_array(slope)
        self.cutoff = as_float_array(cutoff)

    def rules(self) -> Rules:
        return [
            *value_rules(self.slope, "TriangularRamanGain.slope", nonnegative=True, unit="1/(W m Hz)",
                         plausible=(0.0, 1e-15), hint="the slope is in 1/(W m Hz) (0.028 1/W/km/THz is 2.8e-17)"),
            *value_rules(self.cutoff, "TriangularRamanGain.cutoff", positive=True, unit="Hz",
                         plausible=(1e11, 1e16), hint="the cutoff is in Hz (15 THz is 15e12)"),
        ]

    def __call__(self, shift):
        return jnp.where(shift <= self.cutoff, self.slope * shift, 0.0)

    def check(self, shift):
        return shift


class TabulatedRamanGain(AbstractRamanGain):
    """Measured gain efficiency spectrum, linearly interpolated.

    **Fields:**

    - `frequency_shift`: increasing shifts in Hz, starting at 0.
    - `efficiency`: g(Δf) in 1/(W m) at those shifts (g_R/A_eff; see `from_gain_coefficient`).

    A shift beyond the table raises an error rather than extrapolating.
    """

    frequency_shift: Float[Array, " table"]
    efficiency: Float[Array, " table"]

    def __init__(self, frequency_shift: ArrayLike, efficiency: ArrayLike):
        self.frequency_shift = as_float_array(frequency_shift)
        self.efficiency = as_float_array(efficiency)
        if self.frequency_shift.ndim != 1 or self.frequency_shift.shape != self.efficiency.shape:
            raise ValueError(
                "`frequency_shift` and `efficiency` must be 1-D arrays of the same length; got "
                f"{self.frequency_shift.shape} and {self.efficiency.shape}."
            )
        if self.frequency_shift.shape[0] < 2:
            raise ValueError("A tabulated Raman gain needs at least 2 points.")

    def rules(self) -> Rules:
        return [
            *table_rules(self.frequency_shift, "TabulatedRamanGain.frequency_shift", nonnegative=True),
            *value_rules(self.efficiency, "TabulatedRamanGain.efficiency", nonnegative=True, unit="1/(W m)"),
        ]

    @classmethod
    def from_gain_coefficient(
        cls, frequency_shift: ArrayLike, gain_coefficient: ArrayLike, effective_area: ArrayLike
    ) -> "TabulatedRamanGain":
        """From a Raman gain coefficient g_R in m/W and an effective area in m^2."""
        return cls(frequency_shift, jnp.asarray(gain_coefficient) / jnp.asarray(effective_area))

    def __call__(self, shift):
        return jnp.interp(shift, self.frequency_shift, self.efficiency)

    def check(self, shift):
        return eqx.error_if(
            shift,
            jnp.any(shift > self.frequency_shift[-1]),
            "Channel/pump frequencies span more than the tabulated Raman gain covers: extend "
            "`TabulatedRamanGain.frequency_shift` or narrow the spectrum.",
        )


class MeasuredRamanGain(AbstractRamanGain):
    """A measured Raman gain coefficient scaled by frequency and mode overlap, as GNPy describes a fibre:

        g(f_i, f_j) = g_R(f_j - f_i) (f_j / f_ref) / A_ij,   A_ij = (A_eff(f_i) + A_eff(f_j))/2,

    for the pair f_i < f_j (the pump at f_j), g_R the coefficient measured for a pump at `ref_frequency`.

    **Fields:**

    - `frequency_shift`: increasing shifts in Hz, from 0.
    - `gain_coefficient`: g_R in m/W at those shifts (g0 x A_overlap of the measurement).
    - `ref_frequency`: Hz, the pump frequency of the measurement.
    - `effective_area`: m^2, a scalar or values at `area_frequency`.
    - `area_frequency`: Hz, table for a per-frequency `effective_area`, or None.

    ??? cite "References"
        GNPy (Telecom Infra Project), `gnpy.core.parameters.FiberParams` and the Raman solver's
        coupling (frequency scaling and overlap area); R. H. Stolen, E. P. Ippen, APL 22, 1973
        (the f_j scaling of the Raman gain coefficient).
    """

    frequency_shift: Float[Array, " table"]
    gain_coefficient: Float[Array, " table"]
    ref_frequency: Float[Array, ""]
    effective_area: Float[Array, "*atable"]
    area_frequency: Float[Array, "*atable"] | None

    def __init__(self, frequency_shift: ArrayLike, gain_coefficient: ArrayLike, ref_frequency: ArrayLike,
                 effective_area: ArrayLike, area_frequency: ArrayLike | None = None):
        self.frequency_shift = as_float_array(frequency_shift)
        self.gain_coefficient = as_float_array(gain_coefficient)
        self.ref_frequency = as_float_array(ref_frequency)
        self.effective_area = as_float_array(effective_area)
        self.area_frequency = None if area_frequency is None else as_float_array(area_frequency)
        if self.frequency_shift.ndim != 1 or self.frequency_shift.shape != self.gain_coefficient.shape:
            raise ValueError("`frequency_shift` and `gain_coefficient` must be 1-D arrays of the same length.")

    def rules(self) -> Rules:
        return [
            *table_rules(self.frequency_shift, "MeasuredRamanGain.frequency_shift", nonnegative=True),
            *value_rules(self.gain_coefficient, "MeasuredRamanGain.gain_coefficient", nonnegative=True, unit="m/W"),
            *value_rules(self.ref_frequency, "MeasuredRamanGain.ref_frequency", positive=True, unit="Hz",
                         plausible=(1e12, 1e15), hint="frequencies are in Hz (206 THz is 206e12)"),
            *value_rules(self.effective_area, "MeasuredRamanGain.effective_area", positive=True, unit="m^2",
                         plausible=(1e-12, 1e-8), hint="the area is in m^2 (80 um^2 is 8e-11)"),
            *table_rules(self.area_frequency, "MeasuredRamanGain.area_frequency"),
        ]

    def __call__(self, shift):
        """g at `shift` for a pump at `ref_frequency` and the mean effective area, 1/(W m)."""
        return jnp.interp(shift, self.frequency_shift, self.gain_coefficient) / jnp.mean(self.effective_area)

    def check(self, shift):
        return eqx.error_if(
            shift, jnp.any(shift > self.frequency_shift[-1]),
            "Channel/pump frequencies span more than the measured Raman gain covers: narrow the spectrum.",
        )

    def pair_efficiency(self, frequency):
        shift = self.check(jnp.abs(frequency[None, :] - frequency[:, None]))
        upper = jnp.maximum(frequency[None, :], frequency[:, None])
        if self.area_frequency is None:
            area = jnp.broadcast_to(self.effective_area, frequency.shape)
        else:
            area = jnp.interp(frequency, self.area_frequency, self.effective_area)
        overlap = 0.5 * (area[None, :] + area[:, None])
        return jnp.interp(shift, self.frequency_shift, self.gain_coefficient) * (upper / self.ref_frequency) / overlap


class RamanCouplingMatrix(AbstractRamanGain):
    """Raman gain efficiencies given directly for a fixed set of waves (e.g. exported from another
    tool): g_ik in 1/(W m) for the pair (f_i, f_k), symmetric, at exactly the frequencies `frequency`.

    **Fields:** `frequency` (Hz, the waves, in any order), `efficiency` (1/(W m), waves x waves).
    The waves a span couples (signals, then pumps) must be these frequencies (within 1 MHz).
    """

    frequency: Float[Array, " waves"]
    efficiency: Float[Array, "waves waves"]

    def __init__(self, frequency: ArrayLike, efficiency: ArrayLike):
        self.frequency = as_float_array(frequency)
        self.efficiency = as_float_array(efficiency)
        n = self.frequency.shape[0] if self.frequency.ndim == 1 else -1
        if self.efficiency.shape != (n, n):
            raise ValueError(f"`efficiency` must have shape (waves, waves) = ({n}, {n}); got {self.efficiency.shape}.")

    def rules(self) -> Rules:
        return value_rules(self.efficiency, "RamanCouplingMatrix.efficiency", nonnegative=True, unit="1/(W m)")

    def __call__(self, shift):
        raise TypeError("A RamanCouplingMatrix has no gain as a function of shift alone; it gives `pair_efficiency`.")

    def check(self, shift):
        return shift

    def pair_efficiency(self, frequency):
        index = jnp.argmin(jnp.abs(frequency[:, None] - self.frequency[None, :]), axis=1)
        miss = jnp.max(jnp.abs(self.frequency[index] - frequency))
        index = eqx.error_if(index, miss > 1e6, "A wave's frequency is not one of the RamanCouplingMatrix's `frequency`.")
        return self.efficiency[index[:, None], index[None, :]]


def raman_coupling(
    gain: AbstractRamanGain, frequency: Float[Array, " n"], photon_ratio: bool = False
) -> Float[Array, "n n"]:
    """Signed coupling M with dP_i/dz = (-alpha_i + sum_k M_ik P_k) P_i for co-propagating waves.

    M_ik = g(f_k - f_i) if f_k > f_i (wave i gains), -(f_i/f_k)^p g(f_i - f_k) otherwise
    (p = 1 with `photon_ratio`, counting photons rather than energy).

    ??? cite "References"
        Semrau et al., JLT 36(14), 2018, Eq. (1); Agrawal, *Nonlinear Fiber Optics*, Eq. (8.1.18).
    """
    df = frequency[None, :] - frequency[:, None]  # f_k - f_i
    g = gain.pair_efficiency(frequency)
    loss = g * (frequency[:, None] / frequency[None, :]) if photon_ratio else g
    return jnp.where(df > 0, g, jnp.where(df < 0, -loss, 0.0))
