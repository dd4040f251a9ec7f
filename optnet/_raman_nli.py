"""NLI of Raman-amplified spans: the 5-parameter profile ansatz, its fit, and the mode-sum closed form."""

import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, Float

from ._fibre import Fibre
from ._nli.base import AbstractNLIModel, SpanNLI, asymptotic_kurtosis_term
from ._spectrum import Spectrum

_KM = 1e3  # the fit runs in km and 1/km for conditioning


def ansatz(params: Float[Array, "*channels 5"], z: Float[Array, " z"], length) -> Float[Array, "*channels z"]:
    """rho(z) = e^{-a z}[1 - C_f L_f(z) - C_b L_b(z)], params = (C_f, a_f, C_b, a_b, a) in 1/m.

    L_f = (1 - e^{-a_f z})/a_f, L_b = (e^{-a_b (L - z)} - e^{-a_b L})/a_b.

    ??? cite "References"
        H. Buglia et al., "A closed-form expression for the Gaussian noise model in the presence of
        Raman amplification", JLT 2024 (arXiv 2304.11974), Eq. (3) (form as in their ECOC 2022 paper).
    """
    cf, af, cb, ab, a = (params[..., j, None] for j in range(5))
    lf = -jnp.expm1(-af * z) / af
    lb = (jnp.exp(-ab * (length - z)) - jnp.exp(-ab * length)) / ab
    return jnp.exp(-a * z) * (1 - cf * lf - cb * lb)


def modes(params: Float[Array, "*channels 5"], length):
    """Amplitudes A_l and rates x_l with rho(z) = sum_l A_l e^{-x_l z} (exact rewrite of `ansatz`)."""
    cf, af, cb, ab, a = (params[..., j] for j in range(5))
    eb = jnp.exp(-ab * length) / ab
    amp = jnp.stack([1 - cf / af + cb * eb, cf / af, -cb * eb], axis=-1)
    rate = jnp.stack([a, a + af, a - ab], axis=-1)
    return amp, rate


def _overlap(amp, rate, length):
    """M_ll' = A_l A_l' (1 - e^{-(x_l + x_l') L})/(x_l + x_l'), -> A_l A_l' L as x_l + x_l' -> 0."""
    s = rate[..., :, None] + rate[..., None, :]
    small = jnp.abs(s * length) < 1e-8
    s_safe = jnp.where(small, 1.0, s)
    w = jnp.where(small, length, -jnp.expm1(-s * length) / s_safe)
    return amp[..., :, None] * amp[..., None, :] * w


def fit_ansatz(z, rho, length, init, *, solver=None, max_steps: int = 256):
    """Least-squares fit of `ansatz` to each row of rho (linear), vmapped over channels.

    Levenberg-Marquardt (`optimistix`), started at `init` (1/m); inputs and outputs are wrapped in
    `stop_gradient`. The fit is ill-conditioned and often non-unique, so no gradient flows through it.
    Returns (params in 1/m, max |error| in dB, optimistix RESULTS).
    """
    solver = optx.LevenbergMarquardt(rtol=1e-10, atol=1e-12) if solver is None else solver
    z, rho, length, init = jax.lax.stop_gradient((z, rho, length, init))
    zk, lk = z / _KM, length / _KM

    def one(r, p0):
        def residual(p, _):
            return ansatz(p, zk, lk) - r

        sol = optx.least_squares(residual, solver, p0 * _KM, max_steps=max_steps, throw=False)
        return sol.value / _KM, sol.result

    params, result = jax.vmap(one)(rho, init)
    params = jax.lax.stop_gradient(params)
    err = jnp.max(jnp.abs(10 * jnp.log10(jnp.abs(ansatz(params, z, length)) / rho)), axis=-1)
    return params, err, result


class ModeSumGN(AbstractNLIModel):
    """Closed-form SPM/XPM for profiles that are sums of exponential modes (the fitted DRA ansatz).

    eta_SPM = (4/9)(gamma^2/B_i^2)(pi/phi_i) sum_{l,l'} M_ll' [asinh(phi_i B_i^2/(pi|x_l|)) + asinh(.. x_l' ..)],
    X_ik = (32/27) gamma^2/(B_k phi_ik) sum_{l,l'} M^(k)_ll' [atan(phi_ik B_i/|x_l|) + atan(.. x_l' ..)],
    M_ll' = A_l A_l' (1 - e^{-(x_l + x_l') L})/(x_l + x_l'). For two decaying modes and L -> inf it is
    exactly the closed form of Semrau et al. (JLT 37(9), 2019).

    **Fields:** `coherent`, `modulation_correction` as for `ClosedFormGN`.

    ??? cite "References"
        Our derivation for any sum of exponential modes (`shared/physics/closed_form.md` Sec. 5.4),
        validated against numerical GN integrals; ansatz of H. Buglia et al., JLT 2024 (arXiv 2304.11974).
        Not yet compared with Buglia's published SPM/XPM formulas, which we could not obtain.
    """

    coherent: bool = True
    modulation_correction: bool = True

    def span(self, fibre: Fibre, spectrum: Spectrum, power) -> SpanNLI:
        raise TypeError("ModeSumGN needs a profile: use it through `RamanLink` or `from_params`.")

    def from_params(self, fibre: Fibre, spectrum: Spectrum, power, params: Float[Array, "channels 5"]) -> SpanNLI:
        """NLI of one span whose channel profiles follow `ansatz` with `params` (1/m)."""
        f, b = spectrum.frequency, spectrum.symbol_rate
        n = f.shape[0]
        eye = jnp.eye(n, dtype=bool)
        fo = f - fibre.ref_frequency
        g2 = fibre.gamma**2
        length = fibre.length
        amp, rate = modes(params, length)
        m = _overlap(amp, rate, length)  # (n, 3, 3)
        # growing modes are mirrored to the far end (notes Sec. 5.4); the tiny floor keeps asinh/atan
        # finite for an exactly flat (usually empty, A_l = 0) mode
        ax = jnp.maximum(jnp.abs(rate), 1e-12 / length)
        phi = 1.5 * jnp.pi**2 * fibre.gvd_offset(fo)
        arg = phi[:, None] * b[:, None] ** 2 / (jnp.pi * ax)  # (n, 3)
        sh = jnp.arcsinh(arg)
        spm = (4 / 9) * g2 / b**2 * jnp.pi / phi * jnp.sum(m * (sh[:, :, None] + sh[:, None, :]), axis=(-2, -1))
        phik = 2 * jnp.pi**2 * (fo[None, :] - fo[:, None]) * fibre.gvd_offset(0.5 * (fo[None, :] + fo[:, None]))
        phik = jnp.where(eye, 1.0, phik)
        at = jnp.arctan(phik[:, :, None] * b[:, None, None] / ax[None, :, :])  # (i, k, l)
        x = (32 / 27) * g2 / (b[None, :] * phik) * jnp.einsum("kab,ika->ik", m, at) * 2  # symmetric in l, l'
        x = jnp.where(eye, 0.0, x)
        p2 = power**2
        leff = jnp.sum(amp * (-jnp.expm1(-rate * length)) / jnp.where(jnp.abs(rate * length) < 1e-8, 1.0, rate), axis=-1)
        asym = asymptotic_kurtosis_term(fibre, fo, b, leff**2)
        kurt = spectrum.excess_kurtosis
        return SpanNLI(spm=spm, xpm=x @ p2, xpm_kurtosis=x @ (kurt * p2), asymptotic_kurtosis=asym @ (kurt * p2))
