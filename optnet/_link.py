"""A point-to-point lightpath: spans, amplifiers, ROADMs and transceivers, giving per-channel GSNR."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._amplifier import Edfa, Roadm, Transceiver, ase_power
from ._fibre import Fibre, stack_spans
from ._isrs import isrs_profile
from ._nli import AbstractNLIModel, ClosedFormGN, accumulate, coherence_factor
from ._spectrum import Spectrum
from ._throughput import format_throughput, shannon_throughput
from ._units import linear_to_db


def _safe_ratio(num, den):
    """num/den, +inf where den == 0 (unused slots), with finite gradients elsewhere."""
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), jnp.inf)


class LinkResult(eqx.Module):
    """Per-channel noise budget of a link. Noise-to-signal ratios (NSR) are linear.

    **Fields:**

    - `frequency` (Hz), `symbol_rate` (Bd), `power` (W, launch into span 1).
    - `nsr_ase`, `nsr_nli`: cumulative NSR at the end of each span, shape `(spans, channels)`.
    - `nsr_roadm`, `nsr_transceiver`: NSR of the ROADMs and the transceiver, per channel.
    - `eta`: NLI coefficient at the link end, 1/W^2 (P_NLI = eta P_1^3).
    - `eta_spm_span`, `nsr_xpm_span`: per-span SPM coefficient (1/W^2) and XPM NSR, `(spans, channels)`.
    - `eps`: SPM coherence factor per channel.
    - `gain`: amplifier gain after each span, linear, `(spans, channels)`.
    """

    frequency: Float[Array, " channels"]
    symbol_rate: Float[Array, " channels"]
    power: Float[Array, " channels"]
    nsr_ase: Float[Array, "spans channels"]
    nsr_nli: Float[Array, "spans channels"]
    nsr_roadm: Float[Array, " channels"]
    nsr_transceiver: Float[Array, " channels"]
    eta: Float[Array, " channels"]
    eta_spm_span: Float[Array, "spans channels"]
    nsr_xpm_span: Float[Array, "spans channels"]
    eps: Float[Array, " channels"]
    gain: Float[Array, "spans channels"]

    @property
    def gsnr_per_span(self) -> Float[Array, "spans channels"]:
        """GSNR (linear) if the channels were dropped after each span (ROADM and TRX included)."""
        return 1.0 / (self.nsr_ase + self.nsr_nli + self.nsr_roadm + self.nsr_transceiver)

    @property
    def gsnr(self) -> Float[Array, " channels"]:
        """Generalised SNR at the link end (linear)."""
        return self.gsnr_per_span[-1]

    @property
    def gsnr_db(self) -> Float[Array, " channels"]:
        return linear_to_db(self.gsnr)

    @property
    def snr_ase(self) -> Float[Array, " channels"]:
        return 1.0 / self.nsr_ase[-1]

    @property
    def snr_nli(self) -> Float[Array, " channels"]:
        return 1.0 / self.nsr_nli[-1]

    @property
    def ase_power(self) -> Float[Array, " channels"]:
        """ASE power (W) in the channel bandwidth, referred to the launch power."""
        return self.nsr_ase[-1] * self.power

    @property
    def nli_power(self) -> Float[Array, " channels"]:
        """NLI power (W) in the channel bandwidth, referred to the launch power."""
        return self.nsr_nli[-1] * self.power

    def throughput(self, *, fec_overhead: float = 0.0) -> Float[Array, " channels"]:
        """Shannon net bit rate per channel, bit/s (zero for unused slots)."""
        return shannon_throughput(self.gsnr, self.symbol_rate, fec_overhead=fec_overhead)

    def format_throughput(self, **kwargs) -> Float[Array, " channels"]:
        """Bit rate per channel of the densest admissible modulation format; see `format_throughput`."""
        return format_throughput(self.gsnr, self.symbol_rate, **kwargs)


def _stack_like(module, n_spans: int, what: str):
    if isinstance(module, (list, tuple)):
        if len(module) != n_spans:
            raise ValueError(f"Got {len(module)} {what} for {n_spans} spans.")
        return jax.tree.map(lambda *xs: jnp.stack(xs), *module)
    return jax.tree.map(lambda x: jnp.broadcast_to(x, (n_spans,) + x.shape), module)


class GNLink(eqx.Module):
    """Spans, each followed by an amplifier, with optional ROADMs and transceiver noise.

    **Fields:**

    - `spans`: a `Fibre` whose array fields have a leading `spans` axis (build with `GNLink.uniform`,
      a list of `Fibre`, or `Fibre.stack`).
    - `amplifiers`: `Edfa` with a leading `spans` axis (one after each span).
    - `nli`: the NLI model, `ClosedFormGN()` (default) or `NumericalGN()`.
    - `roadm`: optional `Roadm` (add + drop + express passes of the lightpath).
    - `transceiver`: optional `Transceiver` back-to-back SNR.

    Calling the link on a `Spectrum` returns a `LinkResult`.
    """

    spans: Fibre
    amplifiers: Edfa
    nli: AbstractNLIModel
    roadm: Roadm | None
    transceiver: Transceiver | None

    def __init__(
        self,
        spans: Fibre | list[Fibre],
        amplifiers: Edfa | list[Edfa] | None = None,
        nli: AbstractNLIModel | None = None,
        roadm: Roadm | None = None,
        transceiver: Transceiver | None = None,
    ):
        if isinstance(spans, (list, tuple)):
            spans = stack_spans(list(spans))
        elif not isinstance(spans, Fibre):
            raise TypeError(f"`spans` must be a Fibre or a list of Fibre; got {type(spans).__name__}.")
        elif jnp.ndim(spans.length) == 0:
            spans = spans.stack(1)
        if jnp.ndim(spans.length) != 1:
            raise ValueError(f"`spans.length` must have shape (spans,); got {jnp.shape(spans.length)}.")
        n = spans.length.shape[0]
        self.spans = spans
        self.amplifiers = _stack_like(Edfa.from_db(5.0) if amplifiers is None else amplifiers, n, "amplifiers")
        self.nli = ClosedFormGN() if nli is None else nli
        self.roadm = roadm
        self.transceiver = transceiver

    @classmethod
    def uniform(cls, fibre: Fibre, n_spans: int, **kwargs) -> "GNLink":
        """`n_spans` identical spans of `fibre`; other arguments as for `GNLink`."""
        if not isinstance(n_spans, int) or n_spans < 1:
            raise ValueError(f"`n_spans` must be a positive int; got {n_spans!r}.")
        return cls(fibre.stack(n_spans), **kwargs)

    @property
    def n_spans(self) -> int:
        return self.spans.length.shape[0]

    @eqx.filter_jit
    def __call__(self, spectrum: Spectrum) -> LinkResult:
        spectrum = spectrum.checked()
        spans = jax.vmap(Fibre.checked)(self.spans)
        f, b, kurt = spectrum.frequency, spectrum.symbol_rate, spectrum.excess_kurtosis
        power = spectrum.span_power(self.n_spans)

        def one_span(fibre, amp, p):
            rho_l = isrs_profile(fibre, f, p, fibre.length[None])[:, 0]
            gain = amp.gain_at(f, rho_l)
            pase = ase_power(amp.nf_at(f), gain, f, b)
            nsr_ase = _safe_ratio(pase, p * rho_l * gain)
            return nsr_ase, self.nli.span(fibre, f, b, p, kurt), gain

        nsr_ase, nli, gain = jax.vmap(one_span)(spans, self.amplifiers, power)
        eps = coherence_factor(spans, f, b) if self.nli.coherent else jnp.zeros_like(f)
        nsr_nli = accumulate(self.nli, nli, power, eps)
        p1 = power[0]
        zeros = jnp.zeros_like(f)
        nsr_roadm = zeros if self.roadm is None else _safe_ratio(self.roadm.nsr(f, b, 1.0), p1)
        nsr_trx = zeros if self.transceiver is None else jnp.broadcast_to(1.0 / self.transceiver.snr, f.shape)
        return LinkResult(
            frequency=f,
            symbol_rate=b,
            power=p1,
            nsr_ase=jnp.cumsum(nsr_ase, axis=0),
            nsr_nli=nsr_nli,
            nsr_roadm=nsr_roadm,
            nsr_transceiver=nsr_trx,
            eta=_safe_ratio(nsr_nli[-1], p1**2),
            eta_spm_span=nli.spm,
            nsr_xpm_span=nli.xpm,
            eps=eps,
            gain=gain,
        )

    def gsnr(self, spectrum: Spectrum) -> Float[Array, " channels"]:
        """GSNR (linear) at the link end; shorthand for `self(spectrum).gsnr`."""
        return self(spectrum).gsnr
