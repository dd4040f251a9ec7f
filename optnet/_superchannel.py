"""A superchannel inside a cascade of super-Gaussian superfilters: per-subchannel SNR vs placement.

Noise-like terms are integrated against each subchannel's matched RRC filter; the filter cascade's
effect on the subchannel itself is folded at the symbol rate (signal amplitude h0 and ISI power).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._checks import AbstractValidated, Rule, Rules, as_float_array, broadcast_to_axis, enforce, readable_errors, value_rules
from ._link import GNLink
from ._quadrature import gauss_panels
from ._spectrum import EXCESS_KURTOSIS, Spectrum, raised_cosine_spectrum
from ._units import dbm_to_watt, linear_to_db

_LN2 = float(np.log(2.0))


class FilterCascade(AbstractValidated):
    """K super-Gaussian superfilters, |H_k(f)|^2 = 2^-(|2(f - f_c - offset_k)/B_k|^(2 m_k)).

    **Fields:**

    - `bandwidth`: 3-dB bandwidth B_k of each filter, Hz.
    - `offset`: centre offset of each filter from the superchannel centre, Hz (misalignment).
    - `order`: super-Gaussian order m_k (3.5 for a typical WSS: |2f/B|^7 in power).
    - `position`: static; filter k sits after `position[k]` spans (after that span's EDFA);
      0 places it before the first span (the only choice back-to-back).

    Filters are zero-phase: their field response is the square root of the power response.

    ??? cite "References"
        F. Locatelli et al., "Feedback-based channel frequency optimization in superchannels",
        JOCN 2022, Sec. 4 (3.5th-order super-Gaussian superfilters).
    """

    bandwidth: Float[Array, " filters"]
    offset: Float[Array, " filters"]
    order: Float[Array, " filters"]
    position: tuple[int, ...] = eqx.field(static=True)

    def __init__(self, bandwidth: ArrayLike, position: tuple[int, ...] | list[int], *, offset: ArrayLike = 0.0, order: ArrayLike = 3.5):
        position = tuple(int(p) for p in position)
        k = len(position)
        if k == 0:
            raise ValueError("A FilterCascade needs at least one filter (`position` is empty).")
        if any(p < 0 for p in position):
            raise ValueError(f"Filter positions must be >= 0 spans; got {position}.")
        self.position = position

        def per_filter(x, name):
            return broadcast_to_axis(x, k, name, "filter")

        self.bandwidth = per_filter(bandwidth, "bandwidth")
        self.offset = per_filter(offset, "offset")
        self.order = per_filter(order, "order")

    def rules(self) -> Rules:
        return [
            *value_rules(self.bandwidth, "FilterCascade.bandwidth", positive=True, unit="Hz", plausible=(1e8, 1e13),
                         hint="bandwidths are in Hz (37.5 GHz is 37.5e9)"),
            *value_rules(self.order, "FilterCascade.order", positive=True),
            *value_rules(self.offset, "FilterCascade.offset", unit="Hz", plausible=(0.0, 1e12),
                         hint="offsets are in Hz (1 GHz is 1e9)"),
        ]

    @classmethod
    def evenly(cls, bandwidth: ArrayLike, n_filters: int, n_spans: int, **kwargs) -> "FilterCascade":
        """`n_filters` filters spread evenly over `n_spans` spans (the last one after the last span);
        back-to-back (`n_spans` = 0) puts them all at position 0."""
        if n_filters < 1:
            raise ValueError(f"`n_filters` must be >= 1; got {n_filters}.")
        pos = [round((k + 1) * n_spans / n_filters) for k in range(n_filters)]
        return cls(bandwidth, pos, **kwargs)

    @property
    def n_filters(self) -> int:
        return len(self.position)

    def log_power_response(self, frequency: Float[Array, "*shape"]) -> Float[Array, "*shape filters"]:
        """ln |H_k(f)|^2 of every filter at offsets `frequency` (Hz) from the superchannel centre."""
        x = 2 * (frequency[..., None] - self.offset) / self.bandwidth
        return -_LN2 * (x * x) ** self.order

    def power_response(self, frequency, *, after_span: int | None = None):
        """|H(f)|^2 of the filters a signal (None) or the noise added after span `after_span` crosses."""
        lp = self.log_power_response(frequency)
        if after_span is not None:
            lp = lp * jnp.asarray([p >= after_span for p in self.position], lp.dtype)
        return jnp.exp(jnp.sum(lp, axis=-1))


class SuperchannelBudget(eqx.Module):
    """The noise budget of every subchannel (all ratios linear, relative to the received signal).

    **Fields:**

    - `frequency`: subchannel centres, Hz.
    - `signal_gain`: h0^2, the power of the main tap after filters and matched filter (1 = no loss).
    - `nsr_ase`, `nsr_nli`: ASE and NLI noise power over signal power (after filtering).
    - `nsr_crosstalk`: linear crosstalk from the other subchannels.
    - `nsr_isi`: intersymbol interference from the filter cascade (times `isi_scale`).
    - `nsr_transceiver`: 1/SNR_TRX.
    """

    frequency: Float[Array, " sub"]
    signal_gain: Float[Array, " sub"]
    nsr_ase: Float[Array, " sub"]
    nsr_nli: Float[Array, " sub"]
    nsr_crosstalk: Float[Array, " sub"]
    nsr_isi: Float[Array, " sub"]
    nsr_transceiver: Float[Array, " sub"]

    @property
    def snr(self) -> Float[Array, " sub"]:
        """Per-subchannel SNR (linear): 1/SNR = sum of the terms."""
        return 1.0 / (self.nsr_ase + self.nsr_nli + self.nsr_crosstalk + self.nsr_isi + self.nsr_transceiver)

    @property
    def snr_db(self) -> Float[Array, " sub"]:
        return linear_to_db(self.snr)


class Superchannel(AbstractValidated):
    """N subchannels in one superfilter, received by coherent receivers with RRC filters.

    1/SNR_n = 1/SNR_ASE + 1/SNR_NLI + 1/SNR_XT + 1/SNR_ISI + 1/SNR_TRX, each term per subchannel and
    differentiable with respect to the distances and powers.

    **Fields:**

    - `distances`: D = [d_1 ... d_{N+1}], Hz: filter edge to first centre, centre spacings, last
      centre to filter edge (Locatelli et al. Sec. 2); sum(D) = `bandwidth`.
    - `centre`: superchannel (nominal filter) centre frequency f_sc, Hz.
    - `bandwidth`: allocated bandwidth BW_sc, Hz.
    - `symbol_rate`: Bd per subchannel; `roll_off`: RRC roll-off of the transmitters.
    - `receiver_roll_off`: roll-off of the receivers' RRC filters (default: matched, = `roll_off`);
      every choice has its 3-dB point at Rs/2, so 0 is an ideal Rs/2 low-pass filter.
    - `power`: launch power per subchannel into the line, W (an *effective* power after the
      transmitter's losses once calibrated).
    - `excess_kurtosis`: constellation Phi per subchannel (NLI modulation-format correction).
    - `filters`: the superfilter cascade (`FilterCascade`).
    - `line`: the spans, EDFAs and NLI model (`GNLink`), or None back-to-back.
    - `transceiver_snr`: SNR_TRX floor (linear).
    - `isi_scale`: weight of the folded-spectrum ISI (1 = an unequalised symbol-spaced receiver).
    - `min_edge`, `min_spacing`: lower bounds on d_1, d_{N+1} and on the centre spacings, Hz
      (Locatelli et al. Eq. (5): Rs/4 and Rs/2); used by the optimisers.
    - `n_quad`: static Gauss-Legendre nodes per panel of the spectral integrals.

    ??? cite "References"
        F. Locatelli et al., "Feedback-based channel frequency optimization in superchannels",
        JOCN 2022, Eqs. (1)-(5); folded spectrum and matched filter: Proakis & Salehi, *Digital
        Communications*, 5th ed., Sec. 9.2; ASE/NLI: optnet's `GNLink` (Semrau et al. 2019).
    """

    distances: Float[Array, " gaps"]
    centre: Float[Array, ""]
    symbol_rate: Float[Array, " sub"]
    roll_off: Float[Array, " sub"]
    receiver_roll_off: Float[Array, " sub"]
    power: Float[Array, " sub"]
    excess_kurtosis: Float[Array, " sub"]
    filters: FilterCascade
    line: GNLink | None
    transceiver_snr: Float[Array, ""]
    isi_scale: Float[Array, ""]
    min_edge: Float[Array, ""]
    min_spacing: Float[Array, ""]
    n_quad: int = eqx.field(static=True)

    def __init__(
        self,
        distances: ArrayLike,
        filters: FilterCascade,
        line: GNLink | None = None,
        *,
        centre: ArrayLike = 193.1e12,
        symbol_rate: ArrayLike = 32e9,
        roll_off: ArrayLike = 0.1,
        receiver_roll_off: ArrayLike | None = None,
        power: ArrayLike = 1e-3,
        excess_kurtosis: ArrayLike = -1.0,
        transceiver_snr: ArrayLike = 1e3,
        isi_scale: ArrayLike = 1.0,
        min_edge: ArrayLike | None = None,
        min_spacing: ArrayLike | None = None,
        n_quad: int = 24,
    ):
        self.distances = as_float_array(distances)
        if self.distances.ndim != 1 or self.distances.shape[0] < 2:
            raise ValueError(
                f"`distances` must be a 1-D array of N+1 >= 2 gaps (Hz); got shape {self.distances.shape}."
            )
        n = self.distances.shape[0] - 1

        def per_sub(x, name):
            return broadcast_to_axis(x, n, name, "subchannel")

        if not isinstance(filters, FilterCascade):
            raise TypeError(f"`filters` must be a FilterCascade; got {type(filters).__name__}.")
        if line is not None and not isinstance(line, GNLink):
            raise TypeError(f"`line` must be a GNLink or None (back-to-back); got {type(line).__name__}.")
        n_spans = 0 if line is None else line.n_spans
        if max(filters.position) > n_spans:
            raise ValueError(f"A filter sits after span {max(filters.position)} but the line has {n_spans} spans.")
        self.filters, self.line = filters, line
        self.centre = as_float_array(centre)
        self.symbol_rate = per_sub(symbol_rate, "symbol_rate")
        self.roll_off = per_sub(roll_off, "roll_off")
        self.receiver_roll_off = self.roll_off if receiver_roll_off is None else per_sub(receiver_roll_off, "receiver_roll_off")
        self.power = per_sub(power, "power")
        self.excess_kurtosis = per_sub(excess_kurtosis, "excess_kurtosis")
        self.transceiver_snr = as_float_array(transceiver_snr)
        self.isi_scale = as_float_array(isi_scale)
        rs = jnp.min(self.symbol_rate)
        self.min_edge = as_float_array(rs / 4 if min_edge is None else min_edge)
        self.min_spacing = as_float_array(rs / 2 if min_spacing is None else min_spacing)
        self.n_quad = n_quad
        if n_quad < 1:
            raise ValueError(f"`n_quad` must be >= 1 (quadrature nodes per panel); got {n_quad}.")

    def rules(self) -> Rules:
        return [
            *value_rules(self.distances, "distances", positive=True, unit="Hz", plausible=(1e6, 1e13),
                         hint="distances are in Hz (16 GHz is 16e9)"),
            *value_rules(self.symbol_rate, "symbol_rate", positive=True, unit="Bd", plausible=(1e6, 1e13),
                         hint="symbol rates are in Bd (32 GBd is 32e9)"),
            *value_rules(self.power, "power", positive=True, unit="W", plausible=(1e-6, 1.0),
                         hint="powers are in W per subchannel (0 dBm is 1e-3)"),
            *value_rules(self.roll_off, "roll_off", nonnegative=True, at_most=1.0),
            *value_rules(self.receiver_roll_off, "receiver_roll_off", nonnegative=True, at_most=1.0),
            *value_rules(self.excess_kurtosis, "excess_kurtosis", at_least=-1.0,
                         hint="Phi = E|x|^4/E^2|x|^2 - 2 >= -1 for any constellation (Cauchy-Schwarz); QPSK is -1"),
            *value_rules(self.transceiver_snr, "transceiver_snr", positive=True, plausible=(1e-3, 1e12),
                         hint="the SNR is linear"),
            *value_rules(self.isi_scale, "isi_scale", nonnegative=True),
            *self.filters.rules(),
        ]

    @classmethod
    def equidistant(cls, n_subchannels: int, bandwidth: float, filters: FilterCascade, line: GNLink | None = None, *,
                    spacing: float | None = None, power_dbm: ArrayLike = 0.0, modulation: str = "QPSK",
                    **kwargs) -> "Superchannel":
        """N subchannels every `spacing` Hz (default BW/N), centred in `bandwidth` Hz, the rest split
        equally between the two edge gaps (the paper's D_eq); `power_dbm` per subchannel."""
        if n_subchannels < 1:
            raise ValueError(f"`n_subchannels` must be >= 1; got {n_subchannels}.")
        if modulation not in EXCESS_KURTOSIS:
            raise ValueError(f"Unknown modulation {modulation!r}; choose one of {sorted(EXCESS_KURTOSIS)}.")
        s = bandwidth / n_subchannels if spacing is None else spacing
        edge = 0.5 * (bandwidth - (n_subchannels - 1) * s)
        if edge <= 0:
            raise ValueError(f"{n_subchannels} subchannels every {s:.4g} Hz do not fit in {bandwidth:.4g} Hz.")
        d = np.full(n_subchannels + 1, s)
        d[0] = d[-1] = edge
        return cls(d, filters, line, power=dbm_to_watt(power_dbm), excess_kurtosis=EXCESS_KURTOSIS[modulation], **kwargs)

    # -- geometry -------------------------------------------------------------------------------
    @property
    def n_subchannels(self) -> int:
        return self.distances.shape[0] - 1

    @property
    def bandwidth(self) -> Float[Array, ""]:
        """BW_sc = sum(D), Hz."""
        return jnp.sum(self.distances)

    def offsets(self, distances: Float[Array, " gaps"] | None = None) -> Float[Array, " sub"]:
        """Subchannel centres relative to f_sc, Hz: -BW/2 + cumsum(D)[:N]."""
        d = self.distances if distances is None else distances
        return -0.5 * jnp.sum(d) + jnp.cumsum(d)[:-1]

    def frequencies(self, distances: Float[Array, " gaps"] | None = None) -> Float[Array, " sub"]:
        """Absolute subchannel centre frequencies, Hz."""
        return self.centre + self.offsets(distances)

    def distances_from(self, frequency: Float[Array, " sub"]) -> Float[Array, " gaps"]:
        """D of centre frequencies `frequency` (Hz) inside this superchannel's BW_sc."""
        edges = jnp.stack([self.centre - 0.5 * self.bandwidth, self.centre + 0.5 * self.bandwidth])
        return jnp.diff(jnp.concatenate([edges[:1], frequency, edges[1:]]))

    def minimum_distances(self) -> Float[Array, " gaps"]:
        """Lower bound of each d_n (Eq. (5)), Hz."""
        n = self.n_subchannels
        inner = jnp.full((n + 1,), self.min_spacing)
        return inner.at[0].set(self.min_edge).at[-1].set(self.min_edge)

    def feasible(self, distances: Float[Array, "*batch gaps"]) -> Array:
        """Whether D satisfies the minimum distances (Eq. (5)); the sum is kept by construction."""
        return jnp.all(distances >= self.minimum_distances() * (1 - 1e-9), axis=-1)

    def with_distances(self, distances: ArrayLike) -> "Superchannel":
        d = as_float_array(distances)
        if d.shape != self.distances.shape:
            raise ValueError(f"`distances` must have shape {self.distances.shape}; got {d.shape}.")
        return eqx.tree_at(lambda s: s.distances, self, d)

    # -- physics --------------------------------------------------------------------------------
    @readable_errors
    @eqx.filter_jit
    def budget(self, distances: Float[Array, " gaps"] | None = None) -> SuperchannelBudget:
        """Noise budget of every subchannel at `distances` (Hz; default: `self.distances`)."""
        d = self.distances if distances is None else distances
        self, d = enforce((self, d), [
            *self.rules(),
            *value_rules(d, "distances", positive=True, unit="Hz"),
            Rule(jnp.abs(jnp.sum(d) - jnp.sum(self.distances)) > 1e-6 * jnp.sum(self.distances),
                 "`distances` must sum to the superchannel bandwidth BW_sc (Eq. (4))."),
        ])
        x0 = self.offsets(d)  # (N,) centres relative to f_sc
        rs, a, arx, p = self.symbol_rate, self.roll_off, self.receiver_roll_off, self.power
        q = self.n_quad
        half = 0.5 * rs[:, None]
        # -- the receiver's band: Gauss-Legendre panels between every kink of the TX and RX spectra
        kinks = jnp.stack([1 + a, 1 - a, 1 + arx, 1 - arx], axis=-1)
        band = jnp.sort(jnp.concatenate([-kinks, kinks], axis=-1), axis=-1)
        band = jnp.clip(band, -(1 + arx)[:, None], (1 + arx)[:, None]) * half
        y, wy = gauss_panels(band, q)  # (N, 7q), baseband offsets
        hrx = raised_cosine_spectrum(y, rs[:, None], arx[:, None])  # |P_rx|^2
        lp = self.filters.log_power_response(x0[:, None] + y)  # (N, 7q, K)
        h2_all = jnp.exp(jnp.sum(lp, axis=-1))
        # crosstalk: interferer m's RC spectrum through n's receiver filter and the cascade
        dx = x0[None, :] - x0[:, None]  # (n, m): f_m - f_n
        htx_m = raised_cosine_spectrum(y[:, None, :] - dx[:, :, None], rs[None, :, None], a[None, :, None])
        xt = jnp.einsum("nq,nmq,nq->nm", wy * hrx, htx_m, h2_all) * (p / rs)[None, :]
        xt = jnp.where(jnp.eye(self.n_subchannels, dtype=bool), 0.0, xt)
        # -- folded spectrum at the symbol rate: G(f) = P_tx(f) P_rx(f) H(f_n + f), folded over k = -1, 0, 1
        fold_edges = jnp.sort(jnp.concatenate([-jnp.stack([jnp.ones_like(a), 1 - a, 1 - arx], -1),
                                               jnp.stack([jnp.ones_like(a), 1 - a, 1 - arx], -1)], -1), -1) * half
        z, wz = gauss_panels(fold_edges, q)

        def g(shift):
            zz = z + shift * rs[:, None]
            field = jnp.exp(0.5 * jnp.sum(self.filters.log_power_response(x0[:, None] + zz), axis=-1))
            pulse = raised_cosine_spectrum(zz, rs[:, None], a[:, None]) * raised_cosine_spectrum(zz, rs[:, None], arx[:, None])
            return jnp.sqrt(pulse) * field

        fold = g(-1.0) + g(0.0) + g(1.0)
        h0 = jnp.sum(wz * fold, axis=-1) / rs
        energy = jnp.sum(wz * fold**2, axis=-1) / rs
        isi = jnp.maximum(energy - h0**2, 0.0)
        signal = p * h0**2
        zeros = jnp.zeros_like(rs)
        nsr_ase = nsr_nli = zeros
        if self.line is not None:
            spec = Spectrum(self.centre + x0, rs, p, a, self.excess_kurtosis, allow_overlap=True)
            res = self.line(spec)

            def increments(c):  # noise added in each span, relative to P_n in bandwidth R_n
                return jnp.diff(c, axis=0, prepend=jnp.zeros_like(c[:1]))

            mask = jnp.asarray(
                [[float(pos >= j) for pos in self.filters.position] for j in range(1, self.line.n_spans + 1)],
                lp.dtype,
            )  # (spans, K): filters crossed by noise born in span j
            w_after = jnp.einsum("nq,nq,snq->sn", wy, hrx, jnp.exp(jnp.einsum("nqk,sk->snq", lp, mask))) / rs
            nsr_ase = jnp.sum(increments(res.nsr_ase) * w_after, axis=0) * p / signal
            nsr_nli = jnp.sum(increments(res.nsr_nli) * w_after, axis=0) * p / signal
        return SuperchannelBudget(
            frequency=self.centre + x0,
            signal_gain=h0**2,
            nsr_ase=nsr_ase,
            nsr_nli=nsr_nli,
            nsr_crosstalk=jnp.sum(xt, axis=1) / signal,
            nsr_isi=self.isi_scale * p * isi / signal,
            nsr_transceiver=jnp.broadcast_to(1.0 / self.transceiver_snr, rs.shape),
        )

    def snr(self, distances: Float[Array, " gaps"] | None = None) -> Float[Array, " sub"]:
        """Per-subchannel SNR (linear) at `distances` (Hz; default `self.distances`)."""
        return self.budget(distances).snr

    def snr_db(self, distances: Float[Array, " gaps"] | None = None) -> Float[Array, " sub"]:
        """Per-subchannel SNR in dB at `distances`."""
        return self.budget(distances).snr_db


def mean_snr_db(snr_db: Float[Array, "*batch sub"]) -> Float[Array, "*batch"]:
    """Obj#1: mean subchannel SNR in dB (Locatelli et al. Eq. (2))."""
    return jnp.mean(snr_db, axis=-1)


def min_snr_db(snr_db: Float[Array, "*batch sub"]) -> Float[Array, "*batch"]:
    """Obj#2: minimum subchannel SNR in dB (Locatelli et al. Eq. (3))."""
    return jnp.min(snr_db, axis=-1)


def soft_min_snr_db(snr_db: Float[Array, "*batch sub"], temperature: float = 0.1) -> Float[Array, "*batch"]:
    """Smooth Obj#2: -T log sum exp(-SNR_dB/T), a lower bound within T ln N of the minimum (dB)."""
    return -temperature * jax.nn.logsumexp(-snr_db / temperature, axis=-1)
