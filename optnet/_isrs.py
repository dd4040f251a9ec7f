"""Inter-channel stimulated Raman scattering (ISRS): power profile and tilt of a lumped-amplified span."""

import jax.numpy as jnp
from jaxtyping import Array, Float

from ._fibre import Fibre
from ._raman_gain import raman_coupling
from ._units import _DB


def isrs_rate(fibre: Fibre, frequency: Float[Array, " channels"], power: Float[Array, " channels"]):
    """r_i = sum_k M_ik P_k (1/m): the first-order ISRS gain rate of each channel at z = 0.

    For the triangular gain r_i = -P_tot C_r (f_i - f_mean), f_mean the power-weighted mean frequency,
    so T_i = (a + abar + r_i)^2 is Semrau's (a + abar - P_tot C_r f_i)^2 for a centred spectrum.
    """
    return raman_coupling(fibre.raman, frequency) @ power


def effective_length(alpha, z):
    """L_eff(z) = (1 - exp(-alpha z))/alpha, m."""
    return -jnp.expm1(-alpha * z) / alpha


def effective_length_grid(fibre: Fibre, n: int) -> Float[Array, " z"]:
    """n + 1 points from 0 to the fibre's length (m), equally spaced in effective length L_eff(z)
    for its lowest attenuation: dense where the ISRS factor, a function of L_eff(z), changes."""
    alpha, length = jnp.min(fibre.attenuation), fibre.length
    u = jnp.linspace(0.0, 1.0, n + 1)
    z = -jnp.log1p(-u * -jnp.expm1(-alpha * length)) / alpha
    return z.at[-1].set(length)


def isrs_profile(
    fibre: Fibre,
    frequency: Float[Array, " channels"],
    power: Float[Array, " channels"],
    z: Float[Array, " z"],
) -> Float[Array, "channels z"]:
    """Normalised power profile rho_i(z) = P_i(z)/P_i(0) along a span with ISRS.

    rho_i(z) = exp(-alpha_i z) P_tot exp(r_i L_eff(z)) / sum_k P_k exp(r_k L_eff(z)).
    Exact for the triangular gain without cutoff, uniform loss and no photon-ratio term
    (Semrau et al., JLT 36(14), 2018, Eq. (5)); for other gain spectra it is the first-order
    solution renormalised to conserve total power.

    ??? cite "References"
        D. Semrau, R. I. Killey, P. Bayvel, "The Gaussian noise model in the presence of
        inter-channel stimulated Raman scattering", JLT 36(14), 2018, Eq. (5).
    """
    alpha = fibre.alpha(frequency)
    p_tot = jnp.sum(power)
    alpha_tot = jnp.sum(alpha * power) / jnp.where(p_tot > 0, p_tot, 1.0)
    r = isrs_rate(fibre, frequency, power)
    leff = effective_length(alpha_tot, z)  # (z,)
    x = r[:, None] * leff[None, :]
    x = x - jnp.max(x, axis=0, keepdims=True)  # overflow-safe; cancels in the ratio
    num = jnp.exp(x)
    den = jnp.sum(power[:, None] * num, axis=0) / jnp.where(p_tot > 0, p_tot, 1.0)
    return jnp.exp(-alpha[:, None] * z[None, :]) * num / den[None, :]


def isrs_tilt_db(fibre: Fibre, frequency: Float[Array, " channels"], power: Float[Array, " channels"]):
    """Power transfer between the outermost channels at z = L, dB (exact profile).

    ??? cite "References"
        Semrau et al., JLT 37(9), 2019, Eq. (4) gives the linear estimate 4.343 P_tot C_r L_eff B_tot.
    """
    rho = isrs_profile(fibre, frequency, power, fibre.length[None])[:, 0]
    lo, hi = jnp.argmin(frequency), jnp.argmax(frequency)
    return _DB * jnp.log(rho[lo] / rho[hi])
