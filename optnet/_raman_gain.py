"""Raman gain efficiency of a fibre, g(Δf) in 1/(W m), and the signed coupling matrix it implies."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._checks import as_float_array, check_eager, concrete


class AbstractRamanGain(eqx.Module):
    """Raman gain efficiency g(Δf) >= 0 (1/(W m)) for a frequency shift Δf >= 0 (Hz).

    The lower-frequency wave of a pair gains `g(|Δf|) P_other`, the higher-frequency wave loses it.
    """

    @abc.abstractmethod
    def __call__(self, shift: Float[Array, "..."]) -> Float[Array, "..."]:
        """Gain efficiency in 1/(W m) at shift `shift` >= 0 (Hz)."""

    @abc.abstractmethod
    def check(self, shift: Float[Array, "..."]) -> Float[Array, "..."]:
        """Return `shift` with a traced check that the model covers it."""


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
        check_eager(self.slope, "slope", nonnegative=True)
        check_eager(self.cutoff, "cutoff", positive=True)

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
        check_eager(self.frequency_shift, "frequency_shift", nonnegative=True)
        check_eager(self.efficiency, "efficiency", nonnegative=True)
        fs = concrete(self.frequency_shift)
        if fs is not None and (fs.size > 1 and not (fs[1:] > fs[:-1]).all()):
            raise ValueError("`frequency_shift` must be strictly increasing.")

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
    g = gain(gain.check(jnp.abs(df)))
    loss = g * (frequency[:, None] / frequency[None, :]) if photon_ratio else g
    return jnp.where(df > 0, g, jnp.where(df < 0, -loss, 0.0))
