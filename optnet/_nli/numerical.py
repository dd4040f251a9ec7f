"""Numerical ISRS GN integrals over the actual power profile: the high-fidelity cross-check."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._isrs import effective_length_grid
from .._profile import AbstractProfile
from .._quadrature import gauss_legendre
from .._spectrum import Spectrum, raised_cosine_spectrum
from .base import _KM, AbstractNLIModel, ScaledSpan, SpanNLI, asymptotic_kurtosis_term


def link_function(rho: Float[Array, " z"], z: Float[Array, " z"], phi: Float[Array, "*p"]) -> Array:
    """F(phi) = int_0^L rho(z) exp(j phi z) dz, integrated exactly for an interpolant of rho.

    Each segment is exponential between its end values when both are positive, else linear, so no
    grid has to resolve the oscillation exp(j phi z).
    """
    dz = jnp.diff(z)
    r0, r1 = rho[:-1], rho[1:]
    pos = (r0 > 0) & (r1 > 0)
    kappa = jnp.where(pos, jnp.log(jnp.where(pos, r0, 1.0) / jnp.where(pos, r1, 1.0)) / dz, 0.0)
    slope = jnp.where(pos, 0.0, (r1 - r0) / dz)
    # int_0^dz (r0 + slope t) exp(-s t) dt with s = kappa - j phi; e1 = (1 - e^{-s dz})/s,
    # e2 = int t e^{-s t} = (e1 - dz e^{-s dz})/s; series for small |s dz|.
    s = kappa - 1j * phi[..., None]
    w = s * dz
    small = jnp.abs(w) < 1e-4
    s_safe = jnp.where(small, 1.0, s)
    ew = jnp.exp(-w)
    e1 = jnp.where(small, dz * (1 - w / 2 + w**2 / 6), -jnp.expm1(-w) / s_safe)
    e2 = jnp.where(small, dz**2 * (0.5 - w / 3 + w**2 / 8), (e1 - dz * ew) / s_safe)
    return jnp.sum(jnp.exp(1j * phi[..., None] * z[:-1]) * (r0 * e1 + slope * e2), axis=-1)


def _lobe_width(alpha, length):
    """The width (1/m) in phi of |F(phi)|^2 that the quadratures map their nodes to: alpha for a
    long span (a Lorentzian), 4/L for a short one (a sinc^2 lobe of width ~ 1/L; 4 is the factor
    with the smallest error on a 5 km span in `benchmarks/numerical_grid.py`, of 1, 2 and 4)."""
    return jnp.sqrt(alpha**2 + (4.0 / length) ** 2)


class NumericalGN(AbstractNLIModel):
    """ISRS GN model by numerical integration over the power profile rho(z) of each channel.

    - XPM: X_ik = (32/27) gamma^2 kappa_k/B_k int s_i(nu) |F_k(c_ik nu)|^2 dnu with
      c_ik = 4 pi^2 (f_k - f_i)(beta2 + pi beta3 (f_i + f_k)), s_i the COI's normalised PSD
      (1 across B_i for rectangular spectra) and kappa_k = int s_k^2/B_k, on a tan-mapped
      Gauss-Legendre grid.
    - SPM: (16/27) gamma^2/B^2 times the integral of s(nu1) s(nu2) s(nu1+nu2) |F_i(4 pi^2 beta_i nu1 nu2)|^2;
      for rectangular spectra (the hexagon |nu1|, |nu2|, |nu1 + nu2| <= B/2) reduced exactly to one
      integral over u = nu1 nu2.
    - F is the link function of the profile (see `link_function`) sampled as the span gives it (the
      ISRS profile of a passive span, the ODE profile of a Raman span) or, with `linearised_profile`,
      the profile's exponential-mode form (for a passive span the first-order profile of the closed form).

    PSDs are evaluated at the channel centre and multiplied by B (the closed-form convention). No
    SPM-domain heuristic and no L -> infinity: this is the reference the closed form approximates.

    **Fields:**

    - `coherent`, `modulation_correction`: as for `ClosedFormGN`.
    - `n_z`: profile segments per span (for a passive span equally spaced in L_eff(z)); `n_nu`:
      quadrature nodes per frequency integral. The defaults (16, 16) are chosen from the error
      table of `benchmarks/numerical_grid.py`: at most 0.023 dB from a 128 x 192 grid on a
      standard span, a 10 THz spectrum with strong ISRS, a 5 km span and an NZ-DSF, and about 7x
      faster than 64 x 48. Raise both for a reference result.
    - `linearised_profile`: use the profile's mode form (for a passive span rho = e^{-a z}(1 + r_i L_eff(z)))
      instead of its samples.
    - `raised_cosine`: use raised-cosine spectra with the spectrum's `roll_off` (default: rectangular).

    ??? cite "References"
        Semrau, Killey, Bayvel, JLT 36(14), 2018, Eqs. (6)-(8) (ISRS GN model);
        Semrau et al., JLT 37(9), 2019, Eqs. (7)-(9) (SPM/XPM split);
        Poggiolini, JLT 30(24), 2012, Eq. (1) (GN reference formula, arbitrary PSDs).
    """

    coherent: bool = eqx.field(static=True, default=True)
    modulation_correction: bool = eqx.field(static=True, default=True)
    n_z: int = eqx.field(static=True, default=16)
    n_nu: int = eqx.field(static=True, default=16)
    linearised_profile: bool = eqx.field(static=True, default=False)
    raised_cosine: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        if not isinstance(self.n_z, int) or self.n_z < 1:
            raise ValueError(f"`n_z` must be an int >= 1 (profile segments per span); got {self.n_z!r}.")
        if not isinstance(self.n_nu, int) or self.n_nu < 2:
            raise ValueError(f"`n_nu` must be an int >= 2 (quadrature nodes); got {self.n_nu!r}.")

    def _grid(self, profile: AbstractProfile):
        if self.linearised_profile:
            z = effective_length_grid(profile.fibre, self.n_z)
            return z, profile.mode_samples(z)
        return profile.samples(self.n_z)

    def _roll_off(self, spectrum):
        return spectrum.roll_off if self.raised_cosine else jnp.zeros_like(spectrum.roll_off)

    def xpm_matrix(self, profile: AbstractProfile, spectrum: Spectrum) -> Float[Array, "channels channels"]:
        """X_ik (1/W^2): XPM on channel i from unit power in channel k; diagonal 0."""
        z, rho = self._grid(profile)
        return self._xpm(profile.fibre, spectrum.frequency, spectrum.symbol_rate, self._roll_off(spectrum), z, rho)

    def _xpm(self, fibre, frequency, b, beta, z, rho):
        n = frequency.shape[0]
        fo = frequency - fibre.ref_frequency
        a = _lobe_width(fibre.alpha(frequency), fibre.length)
        x01, w01 = (jnp.asarray(v, a.dtype) for v in gauss_legendre(self.n_nu))
        kappa = 1.0 - beta / 4  # int s_k^2 dnu / B_k for a raised cosine
        gamma = fibre.gamma_pair(frequency)

        # nu = (a_k/|c|) tan(theta), theta in [0, atan(|c| W_i/(2 a_k))] flattens the Lorentzian.
        def row(i):
            c = 4 * jnp.pi**2 * (fo - fo[i]) * fibre.gvd_offset(0.5 * (fo + fo[i]))
            # floored so that c W/(2 a) >= 1e-9: the zero-dispersion limit (nu = W x/2) without 0/0
            c = jnp.maximum(jnp.where(jnp.arange(n) == i, 1.0, jnp.abs(c)), 2e-9 * a / ((1 + beta[i]) * b[i]))
            tmax = jnp.arctan(c * (1 + beta[i]) * b[i] / (2 * a))  # (k,)
            theta = tmax[:, None] * x01[None, :]  # (k, nu)
            phi = a[:, None] * jnp.tan(theta)
            weight = raised_cosine_spectrum(phi / c[:, None], b[i], beta[i])
            f2 = jnp.abs(jax.vmap(link_function, in_axes=(0, None, 0))(rho, z, phi)) ** 2
            integral = 2 * jnp.sum(w01 * tmax[:, None] * (a / c)[:, None] / jnp.cos(theta) ** 2 * weight * f2, axis=1)
            return jnp.where(jnp.arange(n) == i, 0.0, (32 / 27) * gamma[i] ** 2 * kappa / b * integral)

        # rows in batches of about 2^22 complex samples: few loop steps, bounded memory
        batch = max(1, min(n, 2**22 // (n * self.n_nu * z.shape[0])))
        return jax.lax.map(row, jnp.arange(n), batch_size=batch)

    def _spm(self, fibre, frequency, b, beta, z, rho):
        a = _lobe_width(fibre.alpha(frequency), fibre.length)
        x01, w01 = (jnp.asarray(v, a.dtype) for v in gauss_legendre(self.n_nu))

        # hexagon = int_0^{B^2/4} h(u) w(u) du, w = 2 ln(B^2/4u) + 2 ln(r+/r-) [u < B^2/16],
        # r+- = B/4 +- sqrt(B^2/16 - u): exact for an integrand that depends on nu1 nu2 only.
        def rectangular(rho_i, beta_i, bi, ai, _, gi):
            u0 = bi**2 / 16
            # floored so that the Lorentzian is >= 1e9 x wider than the hexagon at zero dispersion
            kphi = jnp.maximum(4 * jnp.pi**2 * jnp.abs(beta_i), 1e-9 * ai / u0)
            su = ai / kphi  # width of the Lorentzian in u
            t1 = jnp.arctan(u0 / (2 * su))  # piece 1: [0, u0/2], u = su tan(t1 x^2)
            th = t1 * x01**2
            u = jnp.concatenate([su * jnp.tan(th), u0 - 0.5 * u0 * x01**2, u0 + 3 * u0 * x01])
            du = jnp.concatenate([su / jnp.cos(th) ** 2 * t1 * 2 * x01 * w01, u0 * x01 * w01, 3 * u0 * w01])
            root = jnp.sqrt(jnp.clip(u0 - u, 0.0))
            inner = u < u0
            ratio = jnp.where(inner, (bi / 4 + root) / jnp.where(inner, bi / 4 - root, 1.0), 1.0)
            w = 2 * jnp.log(4 * u0 / u) + 2 * jnp.log(ratio)
            h = jnp.abs(link_function(rho_i, z, kphi * u)) ** 2
            return (16 / 27) * gi**2 / bi**2 * jnp.sum(h * w * du)

        # raised cosine: 2-D Gauss-Legendre over the quadrants (+,+) and (+,-) (the others by
        # symmetry), nu = (W/2) x^2 to resolve the ridges along the axes.
        def raised(rho_i, beta_i, bi, ai, ro, gi):
            half = (1 + ro) * bi / 2
            nu = half * x01**2
            dnu = half * 2 * x01 * w01
            n1, n2 = nu[:, None], nu[None, :]
            wgt = dnu[:, None] * dnu[None, :]
            kphi = 4 * jnp.pi**2 * jnp.abs(beta_i)
            h = jnp.abs(link_function(rho_i, z, (kphi * n1 * n2).ravel())).reshape(n1.shape[0], -1) ** 2
            s1 = raised_cosine_spectrum(n1, bi, ro) * raised_cosine_spectrum(n2, bi, ro)
            both = s1 * (raised_cosine_spectrum(n1 + n2, bi, ro) + raised_cosine_spectrum(n1 - n2, bi, ro))
            return (16 / 27) * gi**2 / bi**2 * 2 * jnp.sum(wgt * h * both)

        fn = raised if self.raised_cosine else rectangular
        return jax.vmap(fn)(rho, fibre.beta2_at(frequency), b, a, beta, fibre.gamma_at(frequency))

    def span(self, profile: AbstractProfile, spectrum: Spectrum) -> SpanNLI:
        fibre, power = profile.fibre, profile.power
        z, rho = self._grid(profile)
        frequency, b = spectrum.frequency, spectrum.symbol_rate
        beta = self._roll_off(spectrum)
        x = self._xpm(fibre, frequency, b, beta, z, rho)
        spm = self._spm(fibre, frequency, b, beta, z, rho)
        leff = jax.vmap(lambda r: jnp.real(link_function(r, z, jnp.zeros(()))))(rho)
        p2 = power**2
        phi = spectrum.excess_kurtosis
        asym = asymptotic_kurtosis_term(ScaledSpan.of(fibre, spectrum), (leff * _KM) ** 2)
        return SpanNLI(spm=spm, xpm=x @ p2, xpm_kurtosis=x @ (phi * p2), asymptotic_kurtosis=asym @ (phi * p2))
