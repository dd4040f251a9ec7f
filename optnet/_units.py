"""Physical constants and unit conversions used at the edges of the API (SI inside)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

import scipy.constants

SPEED_OF_LIGHT = scipy.constants.c  # m/s
PLANCK = scipy.constants.h  # J s
BOLTZMANN = scipy.constants.k  # J/K
_DB = 10.0 / math.log(10.0)  # dB per neper of power


def db_to_linear(x_db: ArrayLike) -> Float[Array, "..."]:
    """Power ratio from decibels: `10**(x/10)`."""
    return jnp.power(10.0, jnp.asarray(x_db, dtype=float) / 10.0)


def linear_to_db(x: ArrayLike) -> Float[Array, "..."]:
    """Decibels from a power ratio: `10 log10(x)`."""
    return 10.0 * jnp.log10(jnp.asarray(x, dtype=float))


def dbm_to_watt(p_dbm: ArrayLike) -> Float[Array, "..."]:
    """Power in W from dBm."""
    return 1e-3 * db_to_linear(p_dbm)


def watt_to_dbm(p_w: ArrayLike) -> Float[Array, "..."]:
    """Power in dBm from W."""
    return linear_to_db(jnp.asarray(p_w, dtype=float) / 1e-3)


def db_per_km_to_per_m(a_db_km: ArrayLike) -> Float[Array, "..."]:
    """Power attenuation in 1/m (nepers of power per metre) from dB/km."""
    return jnp.asarray(a_db_km, dtype=float) / (_DB * 1e3)


def per_m_to_db_per_km(a_per_m: ArrayLike) -> Float[Array, "..."]:
    """Attenuation in dB/km from power attenuation in 1/m."""
    return jnp.asarray(a_per_m, dtype=float) * _DB * 1e3


def wavelength_to_frequency(wavelength_m: ArrayLike) -> Float[Array, "..."]:
    """Optical frequency in Hz from vacuum wavelength in m."""
    return SPEED_OF_LIGHT / jnp.asarray(wavelength_m, dtype=float)


def dispersion_to_beta(
    dispersion: ArrayLike, slope: ArrayLike, wavelength: ArrayLike
) -> tuple[Float[ArrayLike, "..."], Float[ArrayLike, "..."]]:
    """Group-velocity dispersion beta2 (s^2/m) and its slope beta3 (s^3/m).

    Computed in numpy float64 for concrete inputs (beta3 is subnormal in float32), in JAX when traced.

    **Arguments:**

    - `dispersion`: D in s/m^2 (17 ps/nm/km = 1.7e-5 s/m^2).
    - `slope`: S in s/m^3 (0.067 ps/nm^2/km = 67 s/m^3).
    - `wavelength`: reference wavelength in m.

    ??? cite "References"
        beta2 = -D lambda^2/(2 pi c), beta3 = lambda^2/(2 pi c)^2 (lambda^2 S + 2 lambda D):
        G. P. Agrawal, *Nonlinear Fiber Optics*, Eq. (1.2.11); Semrau et al., JLT 37(9), 2019, Table I.
    """
    # numpy float64 for concrete inputs: beta3 ~ 1e-40 is subnormal in float32
    xp = jnp if any(isinstance(v, jax.core.Tracer) for v in (dispersion, slope, wavelength)) else np
    d = xp.asarray(dispersion, dtype=float)
    s = xp.asarray(slope, dtype=float)
    lam = xp.asarray(wavelength, dtype=float)
    beta2 = -d * lam**2 / (2 * np.pi * SPEED_OF_LIGHT)
    beta3 = lam**2 / (2 * np.pi * SPEED_OF_LIGHT) ** 2 * (lam**2 * s + 2 * lam * d)
    return xp.asarray(beta2), xp.asarray(beta3)
