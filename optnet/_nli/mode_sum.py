"""Closed-form GN model for profiles that are sums of exponential modes (Raman-amplified spans)."""

import equinox as eqx
import jax
import jax.numpy as jnp

from .._profile import AbstractProfile
from .._spectrum import Spectrum
from .base import (
    _PER_KM,
    AbstractNLIModel,
    ScaledSpan,
    SpanNLI,
    asinh_over,
    asymptotic_kurtosis_term,
    atan_over,
    refuse_short_spans,
    MIN_SPAN_LOSS_DB,
)


def _overlap(amp, rate, length):
    """M_ll' = A_l A_l' (1 - e^{-(x_l + x_l') L})/(x_l + x_l'), -> A_l A_l' L as x_l + x_l' -> 0."""
    s = rate[..., :, None] + rate[..., None, :]
    small = jnp.abs(s * length) < 1e-8
    s_safe = jnp.where(small, 1.0, s)
    w = jnp.where(small, length, -jnp.expm1(-s * length) / s_safe)
    return amp[..., :, None] * amp[..., None, :] * w


class ModeSumGN(AbstractNLIModel):
    """Closed-form SPM/XPM for profiles that are sums of exponential modes (the fitted DRA ansatz,
    or the linearised ISRS profile of a passive span, at its finite length).

    eta_SPM = (4/9)(gamma^2/B_i^2)(pi/phi_i) sum_{l,l'} M_ll' [asinh(phi_i B_i^2/(pi|x_l|)) + asinh(.. x_l' ..)],
    X_ik = (32/27) gamma^2/(B_k phi_ik) sum_{l,l'} M^(k)_ll' [atan(phi_ik B_i/|x_l|) + atan(.. x_l' ..)],
    M_ll' = A_l A_l' (1 - e^{-(x_l + x_l') L})/(x_l + x_l'). For two decaying modes and L -> inf it is
    exactly the closed form of Semrau et al. (JLT 37(9), 2019).

    **Fields:**

    - `coherent`, `modulation_correction`, `min_span_loss_db`: as for `ClosedFormGN` (static).
    - `surrogate_gradient`: stop the gradient at the modes (static, default False). By default the
      gradient is exact: it flows from the SPM/XPM through the modes, the ansatz fit (implicitly, see
      `fit_ansatz`) and the profile into whatever shaped it (Raman pump powers and frequencies,
      launch powers, fibre parameters). The surrogate keeps only the explicit power dependence
      (P^3 scaling, gains, ASE); it is cheaper to differentiate but can point the wrong way where
      NLI matters (benchmarks/raman.py reports the cosine against the exact gradient).

    Like `ClosedFormGN`, it refuses fibre spans with less than 10 dB of loss: its frequency
    integrals assume L >> 1/alpha (on a 100 m passive span it is 11 dB off `NumericalGN`).

    ??? cite "References"
        Our derivation for any sum of exponential modes (docs/raman.md), validated against numerical
        GN integrals; ansatz of H. Buglia et al., JLT 2024 (arXiv 2304.11974).
        Not yet compared with Buglia's published SPM/XPM formulas, which we could not obtain.
    """

    coherent: bool = eqx.field(static=True, default=True)
    modulation_correction: bool = eqx.field(static=True, default=True)
    min_span_loss_db: float = eqx.field(static=True, default=MIN_SPAN_LOSS_DB)
    surrogate_gradient: bool = eqx.field(static=True, default=False)

    def span(self, profile: AbstractProfile, spectrum: Spectrum) -> SpanNLI:
        w = ScaledSpan.of(profile.fibre, spectrum)  # THz, ps, km: O(1) intermediates in float32
        power = profile.power
        fo, b, length = w.offset, w.symbol_rate, w.length
        n = fo.shape[0]
        eye = jnp.eye(n, dtype=bool)
        amp, rate = profile.modes()
        if self.surrogate_gradient:
            amp, rate = jax.lax.stop_gradient((amp, rate))
        amp = refuse_short_spans(amp, w, "ModeSumGN", self.min_span_loss_db)
        rate = rate * _PER_KM
        m = _overlap(amp, rate, length)  # (n, modes, modes), km
        # growing modes are mirrored to the far end (notes Sec. 5.4); the tiny floor keeps asinh/atan
        # finite for an exactly flat (usually empty, A_l = 0) mode
        ax = jnp.maximum(jnp.abs(rate), 1e-12 / length)
        phi = 1.5 * jnp.pi**2 * w.gvd(fo)
        sh = asinh_over(phi[:, None], b[:, None] ** 2 / (jnp.pi * ax))  # (n, modes): asinh(.)/phi, finite at phi = 0
        spm = (4 / 9) * w.gamma_self**2 / b**2 * jnp.pi * jnp.sum(m * (sh[:, :, None] + sh[:, None, :]), axis=(-2, -1))
        phik = 2 * jnp.pi**2 * (fo[None, :] - fo[:, None]) * w.gvd(0.5 * (fo[None, :] + fo[:, None]))
        at = atan_over(phik[:, :, None], b[:, None, None] / ax[None, :, :])  # (i, k, l): atan(.)/phi_ik
        x = (32 / 27) * w.gamma**2 / b[None, :] * jnp.einsum("kab,ika->ik", m, at) * 2  # symmetric in l, l'
        x = jnp.where(eye, 0.0, x)
        p2 = power**2
        small = jnp.abs(rate * length) < 1e-8
        leff = jnp.sum(amp * (-jnp.expm1(-rate * length)) / jnp.where(small, 1.0, rate) + jnp.where(small, amp * length, 0.0), axis=-1)
        asym = asymptotic_kurtosis_term(w, leff**2)
        kurt = spectrum.excess_kurtosis
        return SpanNLI(spm=spm, xpm=x @ p2, xpm_kurtosis=x @ (kurt * p2), asymptotic_kurtosis=asym @ (kurt * p2))
