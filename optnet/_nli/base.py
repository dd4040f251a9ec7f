"""Interface of the per-span NLI models and the multi-span accumulation they share."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._atan import atan
from .._fibre import Fibre
from .._profile import AbstractProfile
from .._spectrum import Spectrum


class SpanNLI(eqx.Module):
    """NLI of one span, normalised so that powers enter explicitly (with a leading `spans` axis:
    of several spans, or their sums).

    **Fields:**

    - `spm`: eta_SPM,i in 1/W^2 (SCI); NSR_SPM = spm * P_i^2.
    - `xpm`: sum_k X_ik P_k^2, the XCI noise-to-signal ratio (dimensionless).
    - `xpm_kurtosis`: sum_k Phi_k X_ik P_k^2 (for the single-span modulation-format term).
    - `asymptotic_kurtosis`: sum_k Phi_k A_ik P_k^2 (the many-span modulation-format term, per span).
    """

    spm: Float[Array, "*spans channels"]
    xpm: Float[Array, "*spans channels"]
    xpm_kurtosis: Float[Array, "*spans channels"]
    asymptotic_kurtosis: Float[Array, "*spans channels"]


class AbstractNLIModel(eqx.Module):
    """A GN-type model of nonlinear interference in one span; see `combine` for many spans.

    **Fields (every concrete model has them):**

    - `coherent`: add SPM coherently over spans (n^(1+eps)); False gives incoherent accumulation.
    - `modulation_correction`: apply the excess-kurtosis correction (Semrau et al., JLT 37(19), 2019).

    Both are static (control flags, not parameters), so plain `jax.jit`/`jax.grad` work on modules
    holding a model.
    """

    coherent: eqx.AbstractVar[bool]
    modulation_correction: eqx.AbstractVar[bool]

    @abc.abstractmethod
    def span(self, profile: AbstractProfile, spectrum: Spectrum) -> SpanNLI:
        """NLI coefficients of one span whose channels (frequencies, symbol rates and formats from
        `spectrum`) have the power profile `profile` (which carries the fibre and the launch power)."""


# The NLI formulas are evaluated in THz, ps, km and W. They are dimensionally consistent and
# THz x ps = 1, so eta comes out in 1/W^2 as in SI, while every intermediate stays O(1): in SI,
# phi a (2a + abar) ~ 1e-33 and its square (in the backward pass) underflows float32.
_THZ = 1e-12  # Hz -> THz
_PS2_PER_KM = 1e27  # s^2/m -> ps^2/km
_PER_KM = 1e3  # 1/m -> 1/km
_KM = 1e-3  # m -> km


def _barrier(tree):
    """Stop XLA from folding the unit factors into later constants: it reassociates products, and
    beta3 (9e-28 s^2/m per THz) times 1e-12 is subnormal in float32 and flushed to zero."""
    return jax.lax.optimization_barrier(tree)


class ScaledSpan(eqx.Module):
    """One span and the channels in the NLI models' working units (THz, ps, km, W).

    **Fields:** `offset` (THz from the fibre's `ref_frequency`), `symbol_rate` (THz), `alpha`
    (1/km, per channel), `gamma` (1/(W km), pair coefficients gamma_ik, see `Fibre.gamma_pair`),
    `length` (km), `beta2` (ps^2/km), `beta3` (ps^2/km per THz, i.e. 2 pi beta3 x 1 THz).
    """

    offset: Float[Array, " channels"]
    symbol_rate: Float[Array, " channels"]
    alpha: Float[Array, " channels"]
    gamma: Float[Array, "channels channels"]
    length: Float[Array, ""]
    beta2: Float[Array, ""]
    beta3: Float[Array, ""]

    @classmethod
    def of(cls, fibre: Fibre, spectrum: Spectrum) -> "ScaledSpan":
        return _barrier(cls(
            offset=(spectrum.frequency - fibre.ref_frequency) * _THZ,
            symbol_rate=spectrum.symbol_rate * _THZ,
            alpha=fibre.alpha(spectrum.frequency) * _PER_KM,
            gamma=fibre.gamma_pair(spectrum.frequency) * _PER_KM,
            length=fibre.length * _KM,
            beta2=fibre.beta2 * _PS2_PER_KM,
            beta3=fibre.beta3_thz * _PS2_PER_KM,
        ))

    @property
    def gamma_self(self) -> Float[Array, " channels"]:
        """gamma_ii (1/(W km)), the SPM coefficient of each channel."""
        return jnp.diagonal(self.gamma)

    def gvd(self, offset):
        """Local GVD (ps^2/km) at `offset` (THz from the reference frequency)."""
        return self.beta2 + self.beta3 * offset


class FibreSummary(eqx.Module):
    """Per-span fibre data the multi-span accumulation needs (each with a leading `spans` axis).

    **Fields:** `alpha` (1/m, spans x channels), `beta2` (s^2/m), `beta3_thz` (s^2/m per THz),
    `ref_frequency` (Hz), `length` (m).
    """

    alpha: Float[Array, "*spans channels"]
    beta2: Float[Array, "*spans"]
    beta3_thz: Float[Array, "*spans"]
    ref_frequency: Float[Array, "*spans"]
    length: Float[Array, "*spans"]

    @classmethod
    def of(cls, fibre: Fibre, frequency) -> "FibreSummary":
        """The summary of one span (no `spans` axis; stacked by the link's scan)."""
        return cls(fibre.alpha(frequency), fibre.beta2, fibre.beta3_thz, fibre.ref_frequency, fibre.length)


# Below this span loss the closed forms' L -> infinity frequency integrals cost more than 0.2 dB of
# NLI (ClosedFormGN against NumericalGN: 0.16-0.21 dB at 10 dB, 0.27-0.36 dB at 8 dB, 31 dB at 0.1 km).
MIN_SPAN_LOSS_DB = 10.0


def refuse_short_spans(x, span: ScaledSpan, model: str, min_loss_db: float = MIN_SPAN_LOSS_DB):
    """`x` with a check that the fibre loss of `span` is at least `min_loss_db` (use the result)."""
    if min_loss_db <= 0:
        return x
    loss_db = (10 / jnp.log(10)) * span.alpha * span.length
    return eqx.error_if(
        x, jnp.any(loss_db < min_loss_db * (1 - 1e-6)),
        f"{model}: a span loss below {min_loss_db:g} dB (Fibre.length x attenuation) is outside the "
        "closed form's L >> 1/alpha domain; use NumericalGN() (exact at any length) for short spans, or "
        f"{model}(min_span_loss_db=0.0) to accept the closed form's overestimate of their NLI.",
    )


def _sinc_like(f, series, dseries, df):
    """g(x) = f(x)/x with g(0) = 1, and a custom derivative: one array in the backward pass
    instead of both sides of a `where` (2.5x cheaper gradients on N x N channel pairs)."""

    # f and df are finite at 0, so they take x itself and only the divisor is guarded: with x
    # guarded before f, XLA splits the N x N expression into several materialised passes (5x slower)
    @jax.custom_jvp
    def g(x):
        small = jnp.abs(x) < 1e-4
        return jnp.where(small, series(x), f(x) / jnp.where(small, 1.0, x))

    @g.defjvp
    def g_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        value = g(x)
        small = jnp.abs(x) < 1e-2  # the direct form cancels below this
        return value, jnp.where(small, dseries(x), (df(x) - value) / jnp.where(small, 1.0, x)) * t

    return g


# asinh(x)/x = 1 - x^2/6 + 3x^4/40 - ..., atan(x)/x = 1 - x^2/3 + x^4/5 - ... (Taylor series)
_asinhc = _sinc_like(jnp.arcsinh, lambda x: 1 - x**2 / 6 + 3 * x**4 / 40,
                     lambda x: -x / 3 + 3 * x**3 / 10 - 15 * x**5 / 56 + 35 * x**7 / 144,
                     lambda x: 1 / jnp.sqrt(1 + x**2))
_atanc = _sinc_like(atan, lambda x: 1 - x**2 / 3 + x**4 / 5,
                    lambda x: -2 * x / 3 + 4 * x**3 / 5 - 6 * x**5 / 7 + 8 * x**7 / 9,
                    lambda x: 1 / (1 + x**2))


def asinh_over(phi, c):
    """asinh(phi c)/phi, and its limit c at phi = 0 (zero dispersion), with finite gradients."""
    return c * _asinhc(phi * c)


def atan_over(phi, c):
    """atan(phi c)/phi, and its limit c at phi = 0 (zero dispersion), with finite gradients."""
    return c * _atanc(phi * c)


def coherence_factor(spans: FibreSummary, frequency, symbol_rate) -> Float[Array, " channels"]:
    """Coherence factor eps_i of SPM accumulation over spans.

    eps = (3/10) ln(1 + (6/a)/(L_s asinh((pi^2/2)|beta2_i| B^2/a))), with alpha, beta and span
    length averaged over the spans (as in the authors' code); evaluated in THz, ps and km.

    ??? cite "References"
        P. Poggiolini, "The GN model of non-linear propagation in uncompensated coherent optical
        systems", JLT 30(24), 2012, Eq. (22); beta3 extension as in Semrau et al., JLT 37(9), 2019.
    """
    alpha, offset, beta2, beta3, ls, b = _barrier((
        spans.alpha.mean(axis=0) * _PER_KM,
        (frequency - jnp.mean(spans.ref_frequency)) * _THZ,
        jnp.mean(spans.beta2) * _PS2_PER_KM,
        jnp.mean(spans.beta3_thz) * _PS2_PER_KM,
        jnp.mean(spans.length) * _KM,
        symbol_rate * _THZ,
    ))
    beta = beta2 + beta3 * offset
    x = (jnp.pi**2 / 2) * jnp.abs(beta) * b**2 / alpha
    # eps <= 1 (fully coherent: the fields of n spans add, NLI ~ n^2); the formula diverges as the
    # dispersion goes to 0, where that limit applies
    ratio = (6.0 / alpha) / (ls * jnp.maximum(jnp.arcsinh(x), 1e-30))
    return jnp.minimum(0.3 * jnp.log1p(ratio), 1.0)


def asymptotic_kurtosis_term(span: ScaledSpan, leff2) -> Float[Array, "channels channels"]:
    """A_ik of the many-span modulation-format term (diagonal 0), 1/W^2; `span` in working units and
    `leff2` = (L_eff,k)^2 in km^2.

    A_ik = (32/27)(gamma^2/B_k) (5/3) pi (L_eff,k)^2 / (|phi| B_k^2) [(2|df| - B_k) ln((2|df| - B_k)/(2|df| + B_k)) + 2 B_k],
    phi = 4 pi^2 (beta2 + pi beta3 (f_i + f_k)) L_s, with L_eff,k = int_0^inf rho_k dz.

    The prefactor (5/3) pi is the one that makes the per-span asymptotic term of a lossless link
    equal (5/6) Phi times the far-channel single-span XPM, i.e. independent of how the link is split
    into spans; (5/3) pi/3 would not (see docs/gn_model.md).

    ??? cite "References"
        D. Semrau, E. Sillekens, R. I. Killey, P. Bayvel, "A modulation format correction formula for
        the Gaussian noise model in the presence of ISRS", JLT 37(19), 2019, Eq. (16).
    """
    fo = span.offset
    n = fo.shape[0]
    eye = jnp.eye(n, dtype=bool)
    df = jnp.abs(fo[None, :] - fo[:, None])
    phi = 4 * jnp.pi**2 * span.gvd(0.5 * (fo[None, :] + fo[:, None])) * span.length
    # floored: the term is asymptotic in the accumulated dispersion and bounded in `accumulate`
    phi = jnp.where(eye, 1.0, jnp.maximum(jnp.abs(phi), 1e-12))
    bk = span.symbol_rate[None, :]
    # (2|df| - B_k) ln(.) -> 0 as channels touch (2|df| = B_k, a superchannel at its minimum
    # spacing); overlapping channels (allow_overlap) are outside the formula's domain and take
    # that touching limit
    lo = jnp.where(eye, 3 * bk, jnp.maximum(2 * df - bk, 0.0))
    hi = 2 * df + bk
    positive = lo > 0
    bracket = jnp.where(positive, lo * jnp.log(jnp.where(positive, lo, 1.0) / jnp.where(eye, 1.0, hi)), 0.0) + 2 * bk
    a = (32 / 27) * span.gamma**2 / bk * (5 / 3) * jnp.pi * leff2[None, :] / (phi * bk**2) * bracket
    return jnp.where(eye, 0.0, a)


def combine(model: AbstractNLIModel, sums: SpanNLI, n, eps):
    """NLI noise-to-signal ratio after `n` spans from the sums over those spans of each span's terms
    (`sums.spm` holding eta_SPM,j P_j^2). For `n` identical spans with the same launch power the
    sums are `n` times one span's terms.

    eta_n P_1^2 = sum_{j<=n} [(P_j)^2 eta_SPM,j n^eps + XPM_j] + Phi-terms, the coherent-SPM rule of
    the authors' code applied at every span count n; the modulation-format terms use span averages,
    reducing to Eq. (16) of Semrau et al. (JLT 37(19), 2019) for identical spans.
    """
    spm = sums.spm * n**eps if model.coherent else sums.spm
    total = spm + sums.xpm
    if model.modulation_correction:
        single = (5 / 6) * sums.xpm_kurtosis / n
        n_tilde = jnp.where(n > 1, n, 0.0)
        correction = single + n_tilde * sums.asymptotic_kurtosis / n
        # The many-span term of Eq. (16) is asymptotic in the accumulated dispersion (it scales as
        # 1/(|beta2| L)); with little dispersion (short or dispersion-shifted spans) it can exceed
        # the XCI it corrects and make the NLI negative. A correction never removes more than the
        # Gaussian XCI it corrects: bounded there, the corrected XCI is >= 0.
        total = total + jnp.maximum(correction, -sums.xpm)
    return total
