"""Lumped amplifiers, ROADMs and transceivers: the linear noise sources of a lightpath."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._checks import as_float_array, check_eager, check_traced, concrete
from ._fibre import interp_spectrum
from ._units import PLANCK, db_to_linear


def ase_power(noise_figure, gain, frequency, bandwidth):
    """ASE power (W, both polarisations) in `bandwidth` Hz at the output of an amplifier.

    P_ASE = (NF G - 1) h f B, i.e. 2 n_sp (G - 1) h f B with NF = 1/G + 2 n_sp (1 - 1/G).

    ??? cite "References"
        E. Desurvire, *Erbium-Doped Fiber Amplifiers*, Wiley 1994, Ch. 2; the optical NF definition of
        IEC 61290-3 (shot-noise-limited input).
    """
    return (noise_figure * gain - 1.0) * PLANCK * frequency * bandwidth


class Edfa(eqx.Module):
    """Erbium-doped fibre amplifier after a span.

    **Fields:**

    - `noise_figure`: linear (>= 1); a scalar or values at `frequency` (NF spectrum).
    - `gain`: linear power gain; None restores every channel's launch power (gain = span loss
      including ISRS); a scalar or values at `frequency` (gain spectrum).
    - `frequency`: Hz, table for NF/gain spectra, or None for flat values. Tables are interpolated
      linearly in linear units.
    """

    noise_figure: Float[Array, "*table"]
    gain: Float[Array, "*table"] | None
    frequency: Float[Array, "*table"] | None

    def __init__(self, noise_figure: ArrayLike = 10 ** 0.5, gain: ArrayLike | None = None, frequency: ArrayLike | None = None):
        self.noise_figure = as_float_array(noise_figure)
        self.gain = None if gain is None else as_float_array(gain)
        self.frequency = None if frequency is None else as_float_array(frequency)
        check_eager(self.noise_figure, "noise_figure")
        nf = concrete(self.noise_figure)
        if nf is not None and nf.size and (nf < 1).any():
            raise ValueError(f"EDFA noise figure must be >= 0 dB (linear >= 1); got {nf.min():.4g} (linear).")
        if self.gain is not None:
            check_eager(self.gain, "gain", positive=True)

    @classmethod
    def from_db(cls, noise_figure_db: ArrayLike = 5.0, gain_db: ArrayLike | None = None, frequency: ArrayLike | None = None) -> "Edfa":
        """From NF and gain in dB (gain None: compensate the span loss)."""
        return cls(db_to_linear(noise_figure_db), None if gain_db is None else db_to_linear(gain_db), frequency)

    def nf_at(self, frequency):
        nf = interp_spectrum(self.noise_figure, self.frequency, frequency)
        return eqx.error_if(nf, jnp.any(nf < 1.0) | jnp.any(~jnp.isfinite(nf)), "EDFA noise figure must be >= 0 dB.")

    def gain_at(self, frequency, span_transmission):
        """Gain per channel; `span_transmission` rho_i(L) is used when the gain is not set."""
        if self.gain is None:
            return 1.0 / span_transmission
        return interp_spectrum(self.gain, self.frequency, frequency)


class Roadm(eqx.Module):
    """A ROADM node as seen by a lightpath: losses compensated by amplifiers of noise figure NF.

    **Fields:**

    - `add_drop_loss`: linear loss of the add or the drop path (>= 1).
    - `express_loss`: linear loss of an express pass (>= 1).
    - `noise_figure`: linear NF of the amplifier that compensates each loss (>= 1).
    - `n_express`: express passes on the path (static int).

    The lightpath sees one add, one drop and `n_express` express passes; each adds
    P_ASE = (NF L - 1) h f B after restoring the channel power.
    """

    add_drop_loss: Float[Array, ""]
    express_loss: Float[Array, ""]
    noise_figure: Float[Array, ""]
    n_express: int = eqx.field(static=True, default=0)

    def __init__(self, add_drop_loss: ArrayLike, express_loss: ArrayLike, noise_figure: ArrayLike, n_express: int = 0):
        self.add_drop_loss = as_float_array(add_drop_loss)
        self.express_loss = as_float_array(express_loss)
        self.noise_figure = as_float_array(noise_figure)
        self.n_express = n_express
        check_eager(self.add_drop_loss, "add_drop_loss", positive=True)
        check_eager(self.express_loss, "express_loss", positive=True)
        check_eager(self.noise_figure, "noise_figure", positive=True)

    @classmethod
    def from_db(cls, add_drop_loss_db: float = 18.0, express_loss_db: float = 18.0, noise_figure_db: float = 6.0, n_express: int = 0) -> "Roadm":
        return cls(db_to_linear(add_drop_loss_db), db_to_linear(express_loss_db), db_to_linear(noise_figure_db), n_express)

    def nsr(self, frequency, symbol_rate, power):
        """Noise-to-signal ratio added by the ROADMs on the path (per channel)."""
        nf = check_traced(self.noise_figure, "ROADM noise_figure", positive=True)
        pase = 2 * ase_power(nf, self.add_drop_loss, frequency, symbol_rate)
        pase = pase + self.n_express * ase_power(nf, self.express_loss, frequency, symbol_rate)
        return pase / power


class Transceiver(eqx.Module):
    """Back-to-back transceiver SNR.

    **Fields:**

    - `snr`: linear back-to-back SNR (scalar or per channel).
    """

    snr: Float[Array, "*channels"]

    def __init__(self, snr: ArrayLike):
        self.snr = as_float_array(snr)
        check_eager(self.snr, "snr", positive=True)

    @classmethod
    def from_db(cls, snr_db: ArrayLike = 20.0) -> "Transceiver":
        return cls(db_to_linear(snr_db))
