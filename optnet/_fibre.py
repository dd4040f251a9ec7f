"""Optical fibre span: loss, dispersion, Kerr nonlinearity and Raman gain."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._checks import AbstractValidated, Rules, as_float_array, concrete, stack_modules, table_rules, value_rules
from ._raman_gain import AbstractRamanGain, TriangularRamanGain
from ._units import SPEED_OF_LIGHT, db_per_km_to_per_m, dispersion_to_beta, wavelength_to_frequency

_BETA3_SCALE = 2 * np.pi * 1e12  # beta3 (s^3/m) -> change of beta2 per THz (s^2/m)


def interp_spectrum(values: Array, table_frequency: Array | None, frequency: Array) -> Array:
    """`values` at `frequency`: broadcast if scalar, else linear interpolation in a frequency table."""
    if table_frequency is None or jnp.ndim(values) == 0:
        return jnp.broadcast_to(values, frequency.shape)
    return jnp.interp(frequency, table_frequency, values)


class Fibre(AbstractValidated):
    """A fibre span. Every array field may carry a leading `spans` axis (see `GNLink`).

    **Fields:**

    - `length`: m.
    - `attenuation`: power attenuation alpha in 1/m; a scalar, or values at `attenuation_frequency`.
    - `attenuation_frequency`: Hz, table of frequencies for a per-frequency `attenuation`, or None.
    - `beta2`: group-velocity dispersion in s^2/m at `ref_frequency`.
    - `beta3_thz`: 2 pi beta3 x 1 THz in s^2/m, the change of beta2 per THz (beta3 in s^3/m at
      `ref_frequency` is the property `beta3`). Stored this way because beta3 ~ 1e-40 s^3/m is
      subnormal in float32 and XLA flushes it to zero; the constructor takes `beta3` in SI.
    - `ref_frequency`: Hz, where beta2 and beta3 are given.
    - `gamma`: nonlinear coefficient in 1/(W m); a scalar, or values at `gamma_frequency` (from an
      effective area that varies with frequency, gamma = 2 pi n2 f/(c A_eff(f)); see
      `from_datasheet(effective_area_um2=...)`). With a table, the XPM of channel k on channel i
      uses gamma_ik = 2 pi n2 f_i/(c A_ik) with the pair overlap area A_ik = (A_i + A_k)/2, i.e.
      gamma_ik = 2 f_i/(f_i/gamma_i + f_k/gamma_k) (`gamma_pair`).
    - `gamma_frequency`: Hz, table of frequencies for a per-frequency `gamma`, or None.
    - `raman`: Raman gain efficiency model (triangular slope, tabulated spectrum, measured
      coefficient scaled by frequency and overlap area, or a coupling matrix).

    - `unchecked`: skip the plausible-range checks (static), for exotic studies.

    Use `Fibre.from_datasheet` for dB/km, ps/nm/km and 1/W/km inputs. Plausible ranges (outside
    them a unit slip is likely and construction raises): length 1 m-1,000 km, attenuation
    1e-6-1e-3 1/m (0.004-4.3 dB/km), |beta2| <= 1e-24 s^2/m, |beta3| <= 1e-37 s^3/m, gamma <= 0.1
    1/(W m), frequencies 1-1,000 THz.
    """

    length: Float[Array, ""]
    attenuation: Float[Array, "*table"]
    beta2: Float[Array, ""]
    beta3_thz: Float[Array, ""]
    gamma: Float[Array, "*gtable"]
    ref_frequency: Float[Array, ""]
    raman: AbstractRamanGain
    attenuation_frequency: Float[Array, "*table"] | None
    gamma_frequency: Float[Array, "*gtable"] | None
    unchecked: bool = eqx.field(static=True)

    def __init__(
        self,
        length: ArrayLike,
        attenuation: ArrayLike,
        beta2: ArrayLike,
        beta3: ArrayLike,
        gamma: ArrayLike,
        ref_frequency: ArrayLike,
        raman: AbstractRamanGain | None = None,
        attenuation_frequency: ArrayLike | None = None,
        gamma_frequency: ArrayLike | None = None,
        *,
        unchecked: bool = False,
    ):
        self.unchecked = unchecked
        self.length = as_float_array(length, "length")
        self.attenuation = as_float_array(attenuation, "attenuation")
        self.beta2 = as_float_array(beta2, "beta2")
        # scale in float64 when the value is concrete, so float32 keeps it (see `beta3_thz`)
        b3 = concrete(beta3)
        scaled = _BETA3_SCALE * (b3.astype(np.float64) if b3 is not None else beta3)
        self.beta3_thz = as_float_array(scaled)
        self.gamma = as_float_array(gamma, "gamma")
        self.ref_frequency = as_float_array(ref_frequency, "ref_frequency")
        self.raman = TriangularRamanGain() if raman is None else raman
        self.attenuation_frequency = (
            None if attenuation_frequency is None else as_float_array(attenuation_frequency)
        )
        if self.attenuation_frequency is not None and (
            self.attenuation_frequency.shape != self.attenuation.shape or self.attenuation.ndim < 1
        ):
            raise ValueError(
                "A per-frequency `attenuation` needs `attenuation_frequency` of the same shape; got "
                f"{self.attenuation.shape} and {self.attenuation_frequency.shape}."
            )
        self.gamma_frequency = None if gamma_frequency is None else as_float_array(gamma_frequency)
        if self.gamma_frequency is not None and (
            self.gamma_frequency.shape != self.gamma.shape or self.gamma.ndim < 1
        ):
            raise ValueError(
                "A per-frequency `gamma` needs `gamma_frequency` of the same shape; got "
                f"{self.gamma.shape} and {self.gamma_frequency.shape}."
            )

    def rules(self) -> Rules:
        plausible = not self.unchecked
        rules = [
            *value_rules(self.length, "Fibre.length", positive=True, unit="m",
                         plausible=(1.0, 1e6) if plausible else None,
                         hint="lengths are in m (80 km is 80e3; `Fibre.from_datasheet` takes km)"),
            *value_rules(self.attenuation, "Fibre.attenuation", positive=True, unit="1/m",
                         plausible=(1e-6, 1e-3) if plausible else None,
                         hint="attenuation is in 1/m (0.2 dB/km is 4.6e-5; `from_datasheet` takes dB/km)"),
            *value_rules(self.beta2, "Fibre.beta2", unit="s^2/m", plausible=(0.0, 1e-24) if plausible else None,
                         hint="beta2 is in s^2/m (-21.7 ps^2/km is -2.17e-26)"),
            *value_rules(self.beta3_thz, "Fibre.beta3", unit="(x 2 pi 1e12) s^3/m",
                         plausible=(0.0, _BETA3_SCALE * 1e-37) if plausible else None,
                         hint="beta3 is in s^3/m (0.14 ps^3/km is 1.4e-40)"),
            *value_rules(self.gamma, "Fibre.gamma", nonnegative=True, unit="1/(W m)",
                         plausible=(0.0, 0.1) if plausible else None,
                         hint="gamma is in 1/(W m) (1.3 1/(W km) is 1.3e-3)"),
            *value_rules(self.ref_frequency, "Fibre.ref_frequency", positive=True, unit="Hz",
                         plausible=(1e12, 1e15) if plausible else None,
                         hint="frequencies are in Hz (193.5 THz is 193.5e12)"),
            *table_rules(self.attenuation_frequency, "Fibre.attenuation_frequency"),
            *table_rules(self.gamma_frequency, "Fibre.gamma_frequency"),
        ]
        if isinstance(self.raman, AbstractValidated):
            rules += self.raman.rules()
        return rules

    @classmethod
    def from_datasheet(
        cls,
        length_km: float = 100.0,
        *,
        attenuation_db_km: ArrayLike = 0.2,
        dispersion_ps_nm_km: float = 17.0,
        slope_ps_nm2_km: float = 0.067,
        gamma_per_w_km: float | None = None,
        effective_area_um2: ArrayLike | None = None,
        effective_area_frequency: ArrayLike | None = None,
        n2: float = 2.6e-20,
        raman_slope_per_w_km_thz: float = 0.028,
        raman_cutoff_thz: float = 15.0,
        raman: AbstractRamanGain | None = None,
        ref_wavelength_nm: float = 1550.0,
        attenuation_frequency: ArrayLike | None = None,
        unchecked: bool = False,
    ) -> "Fibre":
        """A span from datasheet units (km, dB/km, ps/nm/km, ps/nm^2/km, 1/W/km, 1/W/km/THz).

        Defaults are standard single-mode fibre (ITU-T G.652) at 1550 nm, gamma 1.2 1/W/km. Give
        either `gamma_per_w_km` or the effective area `effective_area_um2` (um^2; a scalar, or a
        table at `effective_area_frequency` in Hz) with the nonlinear index `n2` (m^2/W), from
        which gamma(f) = 2 pi n2 f/(c A_eff(f)) is tabulated (as GNPy does).
        """
        for name, value in (("length_km", length_km), ("attenuation_db_km", attenuation_db_km),
                            ("dispersion_ps_nm_km", dispersion_ps_nm_km), ("slope_ps_nm2_km", slope_ps_nm2_km),
                            ("ref_wavelength_nm", ref_wavelength_nm)):
            as_float_array(value, name)
        lam = ref_wavelength_nm * 1e-9
        gamma_frequency = None
        if effective_area_um2 is not None:
            if gamma_per_w_km is not None:
                raise ValueError("Give `gamma_per_w_km` or `effective_area_um2`, not both.")
            area = np.atleast_1d(np.asarray(effective_area_um2, dtype=float)) * 1e-12
            if np.any(area < 1e-12) or np.any(area > 1e-8):
                raise ValueError(
                    f"`effective_area_um2` must be in um^2, between 1 and 10^4 (80 um^2 for SSMF); got {effective_area_um2!r}."
                )
            if effective_area_frequency is None:
                if area.size != 1:
                    raise ValueError("A tabulated `effective_area_um2` needs `effective_area_frequency` (Hz).")
                gamma_frequency = np.asarray([1e14, 3e14])  # gamma is proportional to f at fixed area
                area = np.repeat(area, 2)
            else:
                gamma_frequency = np.asarray(effective_area_frequency, dtype=float)
            gamma = 2 * np.pi * n2 * gamma_frequency / (SPEED_OF_LIGHT * area)
        else:
            gamma = (1.2 if gamma_per_w_km is None else gamma_per_w_km) * 1e-3
        beta2, beta3 = dispersion_to_beta(dispersion_ps_nm_km * 1e-6, slope_ps_nm2_km * 1e3, lam)
        if raman is None:
            raman = TriangularRamanGain(raman_slope_per_w_km_thz * 1e-15, raman_cutoff_thz * 1e12)
        return cls(
            length=length_km * 1e3,
            attenuation=db_per_km_to_per_m(attenuation_db_km),
            beta2=beta2,
            beta3=beta3,
            gamma=gamma,
            ref_frequency=wavelength_to_frequency(lam),
            raman=raman,
            attenuation_frequency=attenuation_frequency,
            gamma_frequency=gamma_frequency,
            unchecked=unchecked,
        )

    def alpha(self, frequency: Float[Array, " channels"]) -> Float[Array, " channels"]:
        """Power attenuation (1/m) at each frequency (Hz)."""
        return interp_spectrum(self.attenuation, self.attenuation_frequency, frequency)

    def gamma_at(self, frequency: Float[Array, " channels"]) -> Float[Array, " channels"]:
        """Nonlinear coefficient (1/(W m)) at each frequency (Hz)."""
        return interp_spectrum(self.gamma, self.gamma_frequency, frequency)

    def gamma_pair(self, frequency: Float[Array, " channels"]) -> Float[Array, "channels channels"]:
        """gamma_ik (1/(W m)) of the nonlinear interaction of channel k on channel i: the scalar
        `gamma`, or with a table 2 f_i/(f_i/gamma_i + f_k/gamma_k) (pair overlap area
        (A_i + A_k)/2, as GNPy uses for Raman; Agrawal, *Nonlinear Fiber Optics*, Sec. 7.1)."""
        n = frequency.shape[0]
        if self.gamma_frequency is None:
            return jnp.broadcast_to(self.gamma, (n, n))
        g = self.gamma_at(frequency)
        rel = frequency / frequency[0]  # ratios only: well scaled in float32
        area = rel / g  # proportional to A_eff
        return 2 * rel[:, None] / (area[:, None] + area[None, :])

    @property
    def beta3(self) -> Float[Array, ""]:
        """Dispersion slope beta3 in s^3/m (subnormal, hence 0, in float32: use `gvd_offset`)."""
        return self.beta3_thz / _BETA3_SCALE

    def gvd_offset(self, offset):
        """Local GVD (s^2/m) at frequency offset `offset` (Hz) from `ref_frequency`:
        beta2 + 2 pi beta3 offset, evaluated without forming beta3 (float32-safe)."""
        # the barrier stops XLA from folding 1e-12 into beta3_thz (recreating the subnormal beta3)
        return self.beta2 + self.beta3_thz * jax.lax.optimization_barrier(offset * 1e-12)

    def beta2_at(self, frequency: Float[Array, " channels"]) -> Float[Array, " channels"]:
        """Local GVD (s^2/m) at each absolute frequency (Hz): beta2 + 2 pi beta3 (f - f_ref)."""
        return self.gvd_offset(frequency - self.ref_frequency)

    def stack(self, n_spans: int) -> "Fibre":
        """`n_spans` copies of this span with a leading `spans` axis on every array field."""
        return jax.tree.map(lambda x: jnp.broadcast_to(x, (n_spans,) + x.shape), self)


def stack_spans(spans: "list[Fibre]") -> Fibre:
    """Stack different fibres (same structure) into one `Fibre` with a leading `spans` axis."""
    return stack_modules(list(spans), "fibres")
