"""A point-to-point lightpath: a sequence of spans, ROADMs and a transceiver, giving per-channel GSNR."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._amplifier import Edfa, Roadm, Transceiver
from ._checks import Rules, enforce, readable_errors, stack_modules
from ._fibre import Fibre
from ._nli import AbstractNLIModel, ClosedFormGN
from ._nli.base import FibreSummary, SpanNLI, coherence_factor, combine
from ._span import AbstractSpan, FibreSpan
from ._spectrum import Spectrum
from ._throughput import format_throughput, shannon_throughput
from ._units import linear_to_db


def _safe_ratio(num, den):
    """num/den, +inf where den == 0 (unused slots), with finite gradients elsewhere."""
    ok = den > 0
    return jnp.where(ok, num / jnp.where(ok, den, 1.0), jnp.inf)


class LinkResult(eqx.Module):
    """Per-channel noise budget of a link. Noise-to-signal ratios (NSR) are linear.

    **Fields and views:**

    - `frequency` (Hz), `symbol_rate` (Bd), `power` (W, launch into span 1).
    - `gsnr`: generalised SNR at the link end (linear): 1/(NSR_ASE + NSR_NLI + NSR_ROADM + NSR_TRX).
    - `span_power`: launch power into each span, W, `(spans, channels)` (carried span to span).
    - `nsr_ase`, `nsr_nli`: cumulative NSR at the end of each span, shape `(spans, channels)`.
    - `nsr_roadm`, `nsr_transceiver`: NSR of the ROADMs and the transceiver, per channel.
    - `eta`: NLI coefficient at the link end, 1/W^2 (P_NLI = eta P_1^3).
    - `eta_spm_span`, `nsr_xpm_span`: per-span SPM coefficient (1/W^2) and XPM NSR, `(spans, channels)`.
    - `eps`: SPM coherence factor per channel.
    - `gain`: lumped amplifier gain after each span, linear, `(spans, channels)` (1 without one).

    The per-span and per-channel terms are stored packed (`per_span`, `per_channel`) and read as
    views: a jitted call pays per output buffer (about 4 us each on CPU), more than the terms cost.
    """

    frequency: Float[Array, " channels"]
    symbol_rate: Float[Array, " channels"]
    power: Float[Array, " channels"]
    gsnr: Float[Array, " channels"]
    per_span: Float[Array, "6 spans channels"]
    per_channel: Float[Array, "4 channels"]

    @classmethod
    def pack(cls, frequency, symbol_rate, power, gsnr, *, span_power, nsr_ase, nsr_nli, eta_spm_span,
             nsr_xpm_span, gain, nsr_roadm, nsr_transceiver, eta, eps) -> "LinkResult":
        """A result from its terms, each as documented above."""
        per_span = jnp.stack([span_power, nsr_ase, nsr_nli, eta_spm_span, nsr_xpm_span, gain])
        return cls(frequency, symbol_rate, power, gsnr, per_span, jnp.stack([nsr_roadm, nsr_transceiver, eta, eps]))

    span_power = property(lambda self: self.per_span[..., 0, :, :], doc="Launch power into each span, W.")
    nsr_ase = property(lambda self: self.per_span[..., 1, :, :], doc="Cumulative ASE NSR after each span.")
    nsr_nli = property(lambda self: self.per_span[..., 2, :, :], doc="Cumulative NLI NSR after each span.")
    eta_spm_span = property(lambda self: self.per_span[..., 3, :, :], doc="Per-span SPM coefficient, 1/W^2.")
    nsr_xpm_span = property(lambda self: self.per_span[..., 4, :, :], doc="Per-span XPM NSR.")
    gain = property(lambda self: self.per_span[..., 5, :, :], doc="Lumped amplifier gain after each span, linear.")
    nsr_roadm = property(lambda self: self.per_channel[..., 0, :], doc="NSR of the ROADM passes.")
    nsr_transceiver = property(lambda self: self.per_channel[..., 1, :], doc="NSR of the transceiver.")
    eta = property(lambda self: self.per_channel[..., 2, :], doc="NLI coefficient at the link end, 1/W^2.")
    eps = property(lambda self: self.per_channel[..., 3, :], doc="SPM coherence factor per channel.")

    # Properties index from the end (`[..., -1, :]`), so they also work on a batch of results
    # (a vmapped link call gives every field a leading batch axis).

    @property
    def gsnr_per_span(self) -> Float[Array, "spans channels"]:
        """GSNR (linear) if the channels were dropped after each span (ROADM and TRX included)."""
        extra = (self.nsr_roadm + self.nsr_transceiver)[..., None, :]
        return 1.0 / (self.nsr_ase + self.nsr_nli + extra)

    @property
    def gsnr_db(self) -> Float[Array, " channels"]:
        """GSNR at the link end, dB (the field `gsnr` is linear)."""
        return linear_to_db(self.gsnr)

    @property
    def snr_ase(self) -> Float[Array, " channels"]:
        return 1.0 / self.nsr_ase[..., -1, :]

    @property
    def snr_nli(self) -> Float[Array, " channels"]:
        return 1.0 / self.nsr_nli[..., -1, :]

    @property
    def ase_power(self) -> Float[Array, " channels"]:
        """ASE power (W) in the channel bandwidth, referred to the launch power."""
        return self.nsr_ase[..., -1, :] * self.power

    @property
    def nli_power(self) -> Float[Array, " channels"]:
        """NLI power (W) in the channel bandwidth, referred to the launch power."""
        return self.nsr_nli[..., -1, :] * self.power

    def osnr(self, reference_bandwidth: float = 12.5e9) -> Float[Array, " channels"]:
        """OSNR (linear) in `reference_bandwidth` Hz (12.5 GHz: 0.1 nm at 1550 nm): the signal over
        the ASE of the line amplifiers and ROADMs (NLI and transceiver noise excluded), as an OSA or
        GNPy's `OSNR ASE (0.1nm)` reports it."""
        return self.symbol_rate / (reference_bandwidth * (self.nsr_ase[..., -1, :] + self.nsr_roadm))

    def throughput(self, *, fec_overhead: float = 0.0) -> Float[Array, " channels"]:
        """Shannon net bit rate per channel, bit/s (zero for unused slots)."""
        return shannon_throughput(self.gsnr, self.symbol_rate, fec_overhead=fec_overhead)

    def format_throughput(self, **kwargs) -> Float[Array, " channels"]:
        """Bit rate per channel of the densest admissible modulation format; see `format_throughput`."""
        return format_throughput(self.gsnr, self.symbol_rate, **kwargs)


def _as_span(span) -> AbstractSpan:
    if isinstance(span, Fibre):
        return FibreSpan(span)
    if not isinstance(span, AbstractSpan):
        raise TypeError(f"`spans` must hold spans (FibreSpan, RamanSpan) or Fibre; got {type(span).__name__}.")
    return span


def _span_count(span: AbstractSpan) -> int | None:
    """Spans stacked in `span` (leading axis), or None for a single span."""
    ndim = jnp.ndim(span.fibre.length)
    if ndim == 0:
        return None
    if ndim == 1:
        return span.fibre.length.shape[0]
    raise ValueError(f"`fibre.length` must be a scalar or have shape (spans,); got {jnp.shape(span.fibre.length)}.")


class _SpanBudget(eqx.Module):
    nsr_ase: Array
    nli: SpanNLI
    gain: Array
    power: Array
    fibre: FibreSummary


def _terms(budget: _SpanBudget) -> tuple[Array, SpanNLI]:
    """The per-span terms that add over spans: the ASE NSR and the NLI terms (SPM times P^2)."""
    nli = budget.nli
    return budget.nsr_ase, SpanNLI(nli.spm * budget.power**2, nli.xpm, nli.xpm_kurtosis, nli.asymptotic_kurtosis)


class GNLink(eqx.Module):
    """A lightpath: spans (each a fibre and what follows it), optional ROADMs and a transceiver.

    The channel powers are carried from span to span: each span's launch power is the previous
    span's output (its fibre's transmission times its amplifier's gain), unless the spectrum
    prescribes a launch power per span (`Spectrum.power` of shape `(spans, channels)`).

    **Fields:**

    - `spans`: one span (a `FibreSpan`, `RamanSpan`, ...), or a tuple of segments. A segment is a
      single span repeated (see `n_spans`) or spans stacked along a leading axis. When the
      amplifiers restore the launch power, a repeated span's budget is computed once and reused
      (exact); any other segment is scanned span by span (memory independent of the span count).
    - `nli`: the NLI model, `ClosedFormGN()` (default), `ModeSumGN()` or `NumericalGN()`.
    - `roadm`: optional `Roadm` (add + drop + express passes of the lightpath).
    - `transceiver`: optional `Transceiver` back-to-back SNR.
    - `counts`: spans in each segment (static); `n_spans` is their sum.

    Calling the link on a `Spectrum` returns a `LinkResult`.
    """

    spans: AbstractSpan | tuple[AbstractSpan, ...]
    nli: AbstractNLIModel
    roadm: Roadm | None
    transceiver: Transceiver | None
    counts: tuple[int, ...] = eqx.field(static=True)
    stacked: tuple[bool, ...] = eqx.field(static=True)

    def __init__(
        self,
        spans: "AbstractSpan | Fibre | list[AbstractSpan | Fibre] | tuple[AbstractSpan | Fibre, ...]",
        *,
        n_spans: int | None = None,
        nli: AbstractNLIModel | None = None,
        roadm: Roadm | None = None,
        transceiver: Transceiver | None = None,
    ):
        if isinstance(spans, (list, tuple)):
            if n_spans is not None:
                raise ValueError("`n_spans` repeats a single span; give either a list of spans or one span and `n_spans`.")
            if len(spans) == 0:
                raise ValueError("`spans` is empty: a link needs at least one span.")
            items = [_as_span(s) for s in spans]
            if any(_span_count(s) is not None for s in items):
                raise ValueError("A list of spans takes single spans (scalar `fibre.length`), not stacked ones.")
            groups: list[list[AbstractSpan]] = []
            for s in items:  # consecutive spans of the same structure form one stacked segment
                if groups and jax.tree.structure(groups[-1][0]) == jax.tree.structure(s):
                    groups[-1].append(s)
                else:
                    groups.append([s])
            segments = [g[0] if len(g) == 1 else stack_modules(g, "spans of a segment") for g in groups]
            counts = tuple(len(g) for g in groups)
            stacked = tuple(len(g) > 1 for g in groups)
        else:
            span = _as_span(spans)
            count = _span_count(span)
            if count is None:
                count = 1 if n_spans is None else n_spans
            elif n_spans is not None and n_spans != count:
                raise ValueError(f"`n_spans`={n_spans} but `spans` stacks {count} spans.")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"`n_spans` must be a positive int; got {count!r}.")
            segments, counts, stacked = [span], (count,), (_span_count(span) is not None,)
        self.spans = segments[0] if len(segments) == 1 else tuple(segments)
        self.counts = counts
        self.stacked = stacked
        self.nli = ClosedFormGN() if nli is None else nli
        if not isinstance(self.nli, AbstractNLIModel):
            raise TypeError(f"`nli` must be an NLI model (ClosedFormGN, ModeSumGN, NumericalGN); got {type(nli).__name__}.")
        self.roadm = roadm
        self.transceiver = transceiver

    @classmethod
    def uniform(cls, span: "AbstractSpan | Fibre", n_spans: int, *, amplifier: Edfa | None = None, **kwargs) -> "GNLink":
        """`n_spans` identical spans; a `Fibre` becomes `FibreSpan(fibre, amplifier)`. Other
        arguments as for `GNLink`."""
        if isinstance(span, Fibre):
            span = FibreSpan(span, amplifier)
        elif amplifier is not None:
            raise ValueError("`amplifier` goes with a Fibre; a span already holds its amplifier.")
        if _span_count(_as_span(span)) is not None:
            raise ValueError("`GNLink.uniform` takes a single span (scalar `fibre.length`).")
        return cls(span, n_spans=n_spans, **kwargs)

    @property
    def n_spans(self) -> int:
        return sum(self.counts)

    @property
    def segments(self) -> tuple[AbstractSpan, ...]:
        return self.spans if isinstance(self.spans, tuple) else (self.spans,)

    def _segment(self, span, count, stacked, spectrum, power, prescribed):
        """Budgets of one segment's spans, their sums over the segment's first 1..count spans, and
        the power leaving it."""
        f = spectrum.frequency

        def step(span_, p):
            out = span_.propagate(spectrum, p)
            budget = _SpanBudget(
                nsr_ase=_safe_ratio(out.ase, out.output_power),
                nli=self.nli.span(out.profile, spectrum),
                gain=out.gain,
                power=p,
                fibre=FibreSummary.of(span_.fibre, f),
            )
            return budget, out.output_power

        if not stacked and prescribed is None and span.restores_launch_power:
            # identical spans and launch powers: one span's budget, repeated (exact); the running
            # sums are n times it, which XLA prunes to the rows that are used (a cumsum it cannot)
            budget, _ = step(span, power)
            n = jnp.arange(1, count + 1, dtype=power.dtype)[:, None]
            sums = jax.tree.map(lambda x: n * x, _terms(budget))
            return jax.tree.map(lambda x: jnp.broadcast_to(x, (count,) + x.shape), budget), sums, power

        def body(p, xs):
            span_x, p_x = xs
            span_ = span if span_x is None else eqx.combine(span_x, static)
            budget, p_out = step(span_, p if p_x is None else p_x)
            return p_out, budget

        dynamic, static = eqx.partition(span, eqx.is_array) if stacked else (None, None)
        body = jax.checkpoint(body, prevent_cse=False)  # memory O(channels^2), not O(spans channels^2)
        power_out, budget = jax.lax.scan(body, power, (dynamic, prescribed), length=count)
        return budget, jax.tree.map(lambda x: jnp.cumsum(x, axis=0), _terms(budget)), power_out

    def rules(self, spectrum: Spectrum) -> Rules:
        """The input rules of the link's modules and of `spectrum` on it."""
        rules = [*spectrum.rules()]
        for span in self.segments:
            rules += span.rules() + span.spectrum_rules(spectrum)
        for module in (self.roadm, self.transceiver):
            if module is not None:
                rules += module.rules()
        return rules

    @readable_errors
    def __call__(self, spectrum: Spectrum) -> LinkResult:
        """The per-channel noise budget of `spectrum` on this link (jit-compiled once per structure).
        Invalid inputs raise `ValueError` naming the argument, also when they are only known inside
        the computation."""
        return _evaluate(self, spectrum)

    def _evaluate(self, spectrum: Spectrum) -> LinkResult:
        if not isinstance(spectrum, Spectrum):
            raise TypeError(f"A link is called on a `Spectrum`; got {type(spectrum).__name__}.")
        if self.transceiver is not None and self.transceiver.snr.ndim == 1 and self.transceiver.snr.shape[0] != spectrum.n_channels:
            raise ValueError(
                f"`Transceiver.snr` has {self.transceiver.snr.shape[0]} values for {spectrum.n_channels} channels."
            )
        self, spectrum = enforce((self, spectrum), self.rules(spectrum))
        f, b = spectrum.frequency, spectrum.symbol_rate
        n = self.n_spans
        per_span = spectrum.power.ndim == 2
        if per_span:
            spectrum.span_power(n)  # checks the span count
        power = spectrum.power[0] if per_span else spectrum.power
        budgets, sums, start = [], [], 0
        for span, count, stacked in zip(self.segments, self.counts, self.stacked):
            prescribed = spectrum.power[start : start + count] if per_span else None
            budget, segment_sums, power = self._segment(span, count, stacked, spectrum, power, prescribed)
            if sums:  # continue the previous segments' running sums
                segment_sums = jax.tree.map(lambda x, before: x + before[-1], segment_sums, sums[-1])
            budgets.append(budget)
            sums.append(segment_sums)
            start += count
        if len(budgets) > 1:
            budgets = [jax.tree.map(lambda *xs: jnp.concatenate(xs), *budgets)]
            sums = [jax.tree.map(lambda *xs: jnp.concatenate(xs), *sums)]
        budget, (nsr_ase, nli_sums) = budgets[0], sums[0]
        eps = coherence_factor(budget.fibre, f, b) if self.nli.coherent else jnp.zeros_like(f)
        nsr_nli = combine(self.nli, nli_sums, jnp.arange(1, n + 1, dtype=f.dtype)[:, None], eps[None, :])
        # the link end on its own (same values), so that a caller of `.gsnr` alone (and its
        # gradient) never touches the per-span rows
        nli_end = combine(self.nli, jax.tree.map(lambda x: x[-1], nli_sums), jnp.asarray(n, f.dtype), eps)
        p1 = budget.power[0]
        zeros = jnp.zeros_like(f)
        nsr_roadm = zeros if self.roadm is None else _safe_ratio(self.roadm.nsr(f, b, 1.0), p1)
        nsr_trx = zeros if self.transceiver is None else jnp.broadcast_to(1.0 / self.transceiver.snr, f.shape)
        return LinkResult.pack(
            f, b, p1, 1.0 / (nsr_ase[-1] + nli_end + nsr_roadm + nsr_trx),
            span_power=budget.power,
            nsr_ase=nsr_ase,
            nsr_nli=nsr_nli,
            eta_spm_span=budget.nli.spm,
            nsr_xpm_span=budget.nli.xpm,
            gain=budget.gain,
            nsr_roadm=nsr_roadm,
            nsr_transceiver=nsr_trx,
            eta=_safe_ratio(nli_end, p1**2),
            eps=eps,
        )

    def gsnr(self, spectrum: Spectrum) -> Float[Array, " channels"]:
        """GSNR (linear) at the link end; shorthand for `self(spectrum).gsnr`."""
        return self(spectrum).gsnr


# Plain `jax.jit` (every leaf of a link and a spectrum is an array; control values are static
# fields): its C++ dispatch path costs a few microseconds, `eqx.filter_jit` a few hundred.
_evaluate = jax.jit(GNLink._evaluate)
