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


def _stack(modules: list, what: str):
    try:
        return jax.tree.map(lambda *xs: jnp.stack(xs), *modules)
    except ValueError as e:
        raise ValueError(f"All {what} must have the same structure to be stacked.") from e


class GNLink(eqx.Module):
    """Spans, each followed by an amplifier, with optional ROADMs and transceiver noise.

    **Fields:**

    - `spans`: a `Fibre`. Scalar fields mean the same span repeated `n_spans` times (the fast
      path: one span's NLI is computed and reused when the launch power is the same in every
      span); fields with a leading `spans` axis (a list of `Fibre`, or `stack_spans`) give
      individual spans.
    - `amplifiers`: one `Edfa` used after every span, or a list (stacked, one per span).
    - `nli`: the NLI model, `ClosedFormGN()` (default) or `NumericalGN()`.
    - `roadm`: optional `Roadm` (add + drop + express passes of the lightpath).
    - `transceiver`: optional `Transceiver` back-to-back SNR.
    - `n_spans`: number of spans (static).

    Calling the link on a `Spectrum` returns a `LinkResult`.
    """

    spans: Fibre
    amplifiers: Edfa
    nli: AbstractNLIModel
    roadm: Roadm | None
    transceiver: Transceiver | None
    n_spans: int = eqx.field(static=True)
    amplifiers_per_span: bool = eqx.field(static=True)

    def __init__(
        self,
        spans: Fibre | list[Fibre],
        amplifiers: Edfa | list[Edfa] | None = None,
        nli: AbstractNLIModel | None = None,
        roadm: Roadm | None = None,
        transceiver: Transceiver | None = None,
        *,
        n_spans: int | None = None,
    ):
        if isinstance(spans, (list, tuple)):
            spans = stack_spans(list(spans))
        elif not isinstance(spans, Fibre):
            raise TypeError(f"`spans` must be a Fibre or a list of Fibre; got {type(spans).__name__}.")
        ndim = jnp.ndim(spans.length)
        if ndim == 0:
            n_spans = 1 if n_spans is None else n_spans
        elif ndim == 1:
            if n_spans is not None and n_spans != spans.length.shape[0]:
                raise ValueError(f"`n_spans`={n_spans} but `spans` stacks {spans.length.shape[0]} spans.")
            n_spans = spans.length.shape[0]
        else:
            raise ValueError(f"`spans.length` must be a scalar or have shape (spans,); got {jnp.shape(spans.length)}.")
        if not isinstance(n_spans, int) or n_spans < 1:
            raise ValueError(f"`n_spans` must be a positive int; got {n_spans!r}.")
        amplifiers = Edfa.from_db(5.0) if amplifiers is None else amplifiers
        self.amplifiers_per_span = isinstance(amplifiers, (list, tuple))
        if self.amplifiers_per_span:
            if len(amplifiers) != n_spans:
                raise ValueError(f"Got {len(amplifiers)} amplifiers for {n_spans} spans.")
            amplifiers = _stack(list(amplifiers), "amplifiers")
        self.spans = spans
        self.amplifiers = amplifiers
        self.n_spans = n_spans
        self.nli = ClosedFormGN() if nli is None else nli
        self.roadm = roadm
        self.transceiver = transceiver

    @classmethod
    def uniform(cls, fibre: Fibre, n_spans: int, **kwargs) -> "GNLink":
        """`n_spans` identical spans of `fibre`; other arguments as for `GNLink`."""
        if jnp.ndim(fibre.length) != 0:
            raise ValueError("`GNLink.uniform` takes a single span (scalar `length`).")
        return cls(fibre, n_spans=n_spans, **kwargs)

    @property
    def uniform_spans(self) -> bool:
        return jnp.ndim(self.spans.length) == 0

    def stacked_spans(self) -> Fibre:
        """The spans with a leading `spans` axis on every field."""
        return self.spans.stack(self.n_spans) if self.uniform_spans else self.spans

    @eqx.filter_jit
    def __call__(self, spectrum: Spectrum) -> LinkResult:
        spectrum = spectrum.checked()
        f, b = spectrum.frequency, spectrum.symbol_rate
        n = self.n_spans

        def one_span(fibre, amp, p):
            fibre = fibre.checked()
            rho_l = isrs_profile(fibre, f, p, fibre.length[None])[:, 0]
            gain = amp.gain_at(f, rho_l)
            pase = ase_power(amp.nf_at(f), gain, f, b)
            nsr_ase = _safe_ratio(pase, p * rho_l * gain)
            return nsr_ase, self.nli.span(fibre, spectrum, p), gain

        if self.uniform_spans and not self.amplifiers_per_span and spectrum.power.ndim == 1:
            # identical spans and launch powers: one span's budget, repeated (exact)
            out = one_span(self.spans, self.amplifiers, spectrum.power)
            nsr_ase, nli, gain = jax.tree.map(lambda x: jnp.broadcast_to(x, (n,) + x.shape), out)
            power = jnp.broadcast_to(spectrum.power, (n,) + spectrum.power.shape)
        else:
            power = spectrum.span_power(n)
            axes = (None if self.uniform_spans else 0, 0 if self.amplifiers_per_span else None, 0)
            nsr_ase, nli, gain = jax.vmap(one_span, in_axes=axes)(self.spans, self.amplifiers, power)
        eps = coherence_factor(self.stacked_spans(), f, b) if self.nli.coherent else jnp.zeros_like(f)
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
