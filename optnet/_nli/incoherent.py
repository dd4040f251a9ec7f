"""Incoherent closed-form GN model of Poggiolini (arXiv:1209.0394, Eq. (120)), as GNPy's
`gn_model_analytic` evaluates it."""

import equinox as eqx
import jax.numpy as jnp

from .._profile import AbstractProfile
from .._spectrum import Spectrum
from .base import AbstractNLIModel, ScaledSpan, SpanNLI, asinh_over


class IncoherentGN(AbstractNLIModel):
    """Poggiolini's closed-form incoherent GN model, per channel pair, without ISRS.

    G_NLI,i = (16/27) gamma^2 L_eff^2 / (2 pi |beta2| L_a) G_i sum_j G_j^2 psi_ij, with L_eff =
    (1 - e^(-alpha L))/alpha, L_a = 1/alpha (alpha the power attenuation at channel i), G = P/B the
    channels' flat (rectangular) PSDs, psi_ii = asinh((pi^2/2) L_a |beta2| B_i^2) and, for j != i,
    psi_ij = asinh(pi^2 L_a |beta2| B_i (f_i - f_j + B_j/2)) - asinh(pi^2 L_a |beta2| B_i (f_i - f_j - B_j/2)).
    beta2 is the fibre's at its `ref_frequency` (no beta3), gamma the channel of interest's
    gamma(f_i) for every pair (as Eq. (120) and GNPy take it; `ClosedFormGN` and `NumericalGN` use
    the pair coefficient of `Fibre.gamma_pair`).

    Spans add incoherently and no modulation-format correction is applied (the GN model), as in
    GNPy; both flags can be switched on. Use it to compare with GNPy; `ClosedFormGN` (Semrau et al.)
    adds the ISRS, beta3 and coherent SPM, and `NumericalGN` is exact.

    ??? cite "References"
        P. Poggiolini, "The GN model of non-linear propagation in uncompensated coherent optical
        systems", arXiv:1209.0394 (2012), Eq. (120) (JLT 30(24), 2012); GNPy, `gn_model_analytic`.
    """

    coherent: bool = eqx.field(static=True, default=False)
    modulation_correction: bool = eqx.field(static=True, default=False)

    def span(self, profile: AbstractProfile, spectrum: Spectrum) -> SpanNLI:
        w = ScaledSpan.of(profile.fibre, spectrum)  # THz, ps, km
        a, b, f = w.alpha, w.symbol_rate, w.offset
        l_eff = -jnp.expm1(-a * w.length) / a
        l_a = 1 / a
        beta2 = jnp.abs(w.beta2)
        scale = (16 / 27) * l_eff**2 / (2 * jnp.pi * l_a)  # per channel i
        # psi_ij/|beta2|, finite at zero dispersion
        spm = scale * w.gamma_self**2 * asinh_over(beta2, 0.5 * jnp.pi**2 * l_a * b**2) / b**2
        df = f[:, None] - f[None, :]
        k = jnp.pi**2 * (l_a * b)[:, None]
        psi = asinh_over(beta2, k * (df + 0.5 * b[None, :])) - asinh_over(beta2, k * (df - 0.5 * b[None, :]))
        x = (scale * w.gamma_self**2)[:, None] * psi / b[None, :] ** 2  # the COI's gamma for every pair, as GNPy
        x = jnp.where(jnp.eye(f.shape[0], dtype=bool), 0.0, x)
        p2 = profile.power**2
        zeros = jnp.zeros_like(spm)
        return SpanNLI(spm=spm, xpm=x @ p2, xpm_kurtosis=x @ (spectrum.excess_kurtosis * p2), asymptotic_kurtosis=zeros)
