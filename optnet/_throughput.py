"""Throughput from GSNR: Shannon capacity and modulation-format selection from BER thresholds."""

import math

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float
from scipy.special import erfcinv

from ._spectrum import EXCESS_KURTOSIS
from ._units import db_to_linear


def _check_overhead(fec_overhead, polarisations):
    if not isinstance(polarisations, int) or polarisations not in (1, 2):
        raise ValueError(f"`polarisations` must be 1 or 2; got {polarisations!r}.")
    if not isinstance(fec_overhead, (int, float)) or not 0 <= fec_overhead < 10:
        raise ValueError(f"`fec_overhead` must be a fraction in [0, 10) (0.25 for 25 %); got {fec_overhead!r}.")


def shannon_throughput(
    gsnr: Float[Array, "*channels"],
    symbol_rate: Float[Array, "*channels"],
    *,
    fec_overhead: float = 0.0,
    polarisations: int = 2,
) -> Float[Array, "*channels"]:
    """Net bit rate (bit/s) at the Shannon limit: pol R_s log2(1 + GSNR)/(1 + OH).

    ??? cite "References"
        C. E. Shannon, "A mathematical theory of communication", Bell Syst. Tech. J. 27, 1948, Thm. 17.
    """
    _check_overhead(fec_overhead, polarisations)
    return polarisations * symbol_rate * jnp.log2(1.0 + gsnr) / (1.0 + fec_overhead)


def required_snr(bits_per_symbol: int, ber: float) -> float:
    """Linear SNR (E_s/N_0) at which Gray-coded square M-QAM reaches the pre-FEC `ber`.

    BER = (2/k)(1 - M^-1/2) erfc(sqrt(3 SNR/(2(M - 1)))), so
    SNR = (2(M - 1)/3) erfcinv(k BER/(2(1 - M^-1/2)))^2 (k = log2 M); BPSK: SNR = erfcinv(2 BER)^2.
    Non-square formats (8QAM, 32QAM) use the same expression as an approximation.

    ??? cite "References"
        J. G. Proakis, M. Salehi, *Digital Communications*, 5th ed., Eq. (4.3-30) and (4.3-34).
    """
    if not 0 < ber < 0.5:
        raise ValueError(f"`ber` must be in (0, 0.5); got {ber}.")
    if bits_per_symbol < 1:
        raise ValueError(f"`bits_per_symbol` must be >= 1; got {bits_per_symbol}.")
    if bits_per_symbol == 1:
        return float(erfcinv(2 * ber) ** 2)
    m = 2**bits_per_symbol
    arg = bits_per_symbol * ber / (2 * (1 - 1 / math.sqrt(m)))
    return float(2 * (m - 1) / 3 * erfcinv(arg) ** 2)


class ModulationFormat(eqx.Module):
    """A constellation: `name`, `bits_per_symbol` per polarisation, `excess_kurtosis` Phi."""

    name: str = eqx.field(static=True)
    bits_per_symbol: int = eqx.field(static=True)
    excess_kurtosis: float = eqx.field(static=True)


STANDARD_FORMATS = tuple(
    ModulationFormat(name, bits, EXCESS_KURTOSIS[name])
    for name, bits in [("BPSK", 1), ("QPSK", 2), ("8QAM", 3), ("16QAM", 4), ("32QAM", 5), ("64QAM", 6)]
)


def format_throughput(
    gsnr: Float[Array, "*channels"],
    symbol_rate: Float[Array, "*channels"],
    *,
    formats: tuple[ModulationFormat, ...] = STANDARD_FORMATS,
    ber: float = 2e-2,
    margin_db: float = 0.0,
    fec_overhead: float = 0.0,
    polarisations: int = 2,
) -> Float[Array, "*channels"]:
    """Net bit rate (bit/s) of the densest format whose required SNR (plus margin) the GSNR meets.

    A step function of GSNR: its gradient is zero almost everywhere (use `shannon_throughput` or a
    straight-through estimator to optimise). Channels below every threshold carry 0 bit/s.
    """
    _check_overhead(fec_overhead, polarisations)
    thresholds = jnp.asarray([required_snr(m.bits_per_symbol, ber) for m in formats]) * db_to_linear(margin_db)
    bits = jnp.asarray([m.bits_per_symbol for m in formats], dtype=gsnr.dtype)
    ok = gsnr[..., None] >= thresholds
    best = jnp.max(jnp.where(ok, bits, 0.0), axis=-1)
    return polarisations * symbol_rate * best / (1.0 + fec_overhead)
