"""Lumped amplifiers, ROADMs and transceivers: the linear noise sources of a lightpath."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._checks import as_float_array, check_eager, check_traced, concrete
from ._fibre import interp_spectrum
from ._units import _DB, PLANCK, db_to_linear


def ase_power(noise_figure, gain, frequency, bandwidth):
    """ASE power (W, both polarisations) in `bandwidth` Hz at the output of an amplifier.

    P_ASE = (NF G - 1) h f B, i.e. 2 n_sp (G - 1) h f B with NF = 1/G + 2 n_sp (1 - 1/G).

    ??? cite "References"
        E. Desurvire, *Erbium-Doped Fiber Amplifiers*, Wiley 1994, Ch. 2; the optical NF definition of
        IEC 61290-3 (shot-noise-limited input).
    """
    return (noise_figure * gain - 1.0) * PLANCK * frequency * bandwidth


class AbstractGainControl(eqx.Module):
    """How a lumped amplifier sets its per-channel gain from what arrives at its input."""

    @abc.abstractmethod
    def gain(
        self,
        frequency: Float[Array, " channels"],
        symbol_rate: Float[Array, " channels"],
        input_power: Float[Array, " channels"],
        span_transmission: Float[Array, " channels"],
    ) -> Float[Array, " channels"]:
        """Linear gain per channel, given the input power (W) and the span's transmission rho_i(L)."""

    @property
    def restores_launch_power(self) -> bool:
        """True if the output equals the span's launch power channel by channel (then identical spans
        see identical launch powers and the link computes one span's budget for all)."""
        return False


class RestoreLoss(AbstractGainControl):
    """Gain that exactly restores each channel's launch power: G_i = 1/rho_i(L) (loss and ISRS)."""

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        return 1.0 / span_transmission

    @property
    def restores_launch_power(self) -> bool:
        return True


class FixedGain(AbstractGainControl):
    """Fixed gain with optional linear tilt and a ripple table: the spectrum of a gain-controlled EDFA.

    G(f) = gain(f) exp(tilt (f - ref_frequency)), gain(f) interpolated (linear units) in a table.

    **Fields:**

    - `gain`: linear gain, a scalar or values at `frequency` (ripple).
    - `frequency`: Hz, the table's frequencies, or None.
    - `tilt`: slope of ln G in 1/Hz (`from_db` takes dB/THz).
    - `ref_frequency`: Hz, where the tilt is zero.
    """

    gain_value: Float[Array, "*table"]
    frequency: Float[Array, "*table"] | None
    tilt: Float[Array, ""]
    ref_frequency: Float[Array, ""]

    def __init__(self, gain: ArrayLike, frequency: ArrayLike | None = None, tilt: ArrayLike = 0.0,
                 ref_frequency: ArrayLike = 193.5e12):
        self.gain_value = as_float_array(gain)
        self.frequency = None if frequency is None else as_float_array(frequency)
        self.tilt = as_float_array(tilt)
        self.ref_frequency = as_float_array(ref_frequency)
        check_eager(self.gain_value, "gain", positive=True)
        check_eager(self.tilt, "tilt")
        if self.frequency is not None and self.frequency.shape != self.gain_value.shape:
            raise ValueError(
                f"`gain` and its `frequency` table must have the same shape; got {self.gain_value.shape} "
                f"and {self.frequency.shape}."
            )

    @classmethod
    def from_db(cls, gain_db: ArrayLike, frequency: ArrayLike | None = None, tilt_db_per_thz: ArrayLike = 0.0,
                ref_frequency: ArrayLike = 193.5e12) -> "FixedGain":
        """From gain in dB (scalar or table at `frequency`, Hz) and tilt in dB/THz."""
        return cls(db_to_linear(gain_db), frequency, jnp.asarray(tilt_db_per_thz, dtype=float) / (_DB * 1e12),
                   ref_frequency)

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        g = interp_spectrum(self.gain_value, self.frequency, frequency)
        return g * jnp.exp(self.tilt * (frequency - self.ref_frequency))


class ConstantPower(AbstractGainControl):
    """Automatic power control: the total output power is `total_power` (W), flat gain over channels."""

    total_power: Float[Array, ""]

    def __init__(self, total_power: ArrayLike):
        self.total_power = as_float_array(total_power)
        check_eager(self.total_power, "total_power", positive=True)

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        total = jnp.sum(input_power)
        g = self.total_power / jnp.where(total > 0, total, 1.0)
        return jnp.broadcast_to(g, frequency.shape)


class ConstantPsd(AbstractGainControl):
    """Every channel leaves at `psd` x its symbol rate (W/Hz): per-channel output power control."""

    psd: Float[Array, ""]

    def __init__(self, psd: ArrayLike):
        self.psd = as_float_array(psd)
        check_eager(self.psd, "psd", positive=True)

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        used = input_power > 0
        return jnp.where(used, self.psd * symbol_rate / jnp.where(used, input_power, 1.0), 1.0)


class Edfa(eqx.Module):
    """Erbium-doped fibre amplifier after a span.

    **Fields:**

    - `noise_figure`: linear (>= 1); a scalar or values at `frequency` (NF spectrum).
    - `frequency`: Hz, table for an NF spectrum, or None for a flat NF. Tables are interpolated
      linearly in linear units.
    - `control`: how the gain is set: `RestoreLoss()` (default: every channel leaves at its launch
      power), `FixedGain`, `ConstantPower` or `ConstantPsd`.

    `Edfa(nf, gain=g, frequency=f)` with an array `gain` is `FixedGain(g, f)`.
    """

    noise_figure: Float[Array, "*table"]
    frequency: Float[Array, "*table"] | None
    control: AbstractGainControl

    def __init__(self, noise_figure: ArrayLike = 10 ** 0.5, gain: "ArrayLike | AbstractGainControl | None" = None,
                 frequency: ArrayLike | None = None):
        self.noise_figure = as_float_array(noise_figure)
        self.frequency = None if frequency is None else as_float_array(frequency)
        if gain is None:
            gain = RestoreLoss()
        elif not isinstance(gain, AbstractGainControl):
            gain = FixedGain(gain, frequency if jnp.ndim(gain) else None)
        self.control = gain
        check_eager(self.noise_figure, "noise_figure")
        nf = concrete(self.noise_figure)
        if nf is not None and nf.size and (nf < 1).any():
            raise ValueError(f"EDFA noise figure must be >= 0 dB (linear >= 1); got {nf.min():.4g} (linear).")

    @classmethod
    def from_db(cls, noise_figure_db: ArrayLike = 5.0, gain_db: "ArrayLike | AbstractGainControl | None" = None,
                frequency: ArrayLike | None = None) -> "Edfa":
        """From NF in dB and gain in dB (a number or table: `FixedGain`), a gain control, or None
        (restore the span loss)."""
        if gain_db is not None and not isinstance(gain_db, AbstractGainControl):
            gain_db = db_to_linear(gain_db)
        return cls(db_to_linear(noise_figure_db), gain_db, frequency)

    def nf_at(self, frequency):
        nf = interp_spectrum(self.noise_figure, self.frequency, frequency)
        return eqx.error_if(nf, jnp.any(nf < 1.0) | jnp.any(~jnp.isfinite(nf)), "EDFA noise figure must be >= 0 dB.")

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        """Linear gain per channel (see `control`)."""
        return self.control.gain(frequency, symbol_rate, input_power, span_transmission)


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
