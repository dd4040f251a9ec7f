"""Lumped amplifiers, ROADMs and transceivers: the linear noise sources of a lightpath."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._checks import AbstractValidated, Rules, as_float_array, table_rules, value_rules
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


class AbstractGainControl(AbstractValidated):
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
        if self.frequency is not None and self.frequency.shape != self.gain_value.shape:
            raise ValueError(
                f"`gain` and its `frequency` table must have the same shape; got {self.gain_value.shape} "
                f"and {self.frequency.shape}."
            )

    def rules(self) -> Rules:
        return [
            *value_rules(self.gain_value, "FixedGain.gain", positive=True, plausible=(1e-3, 1e6),
                         hint="the gain is linear (use `FixedGain.from_db` for dB)"),
            *value_rules(self.tilt, "FixedGain.tilt", unit="1/Hz", plausible=(0.0, 1e-11),
                         hint="the tilt is in 1/Hz (use `FixedGain.from_db` for dB/THz)"),
            *value_rules(self.ref_frequency, "FixedGain.ref_frequency", positive=True, unit="Hz",
                         plausible=(1e12, 1e15), hint="frequencies are in Hz"),
            *table_rules(self.frequency, "FixedGain.frequency"),
        ]

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

    def rules(self) -> Rules:
        return value_rules(self.total_power, "ConstantPower.total_power", positive=True, unit="W",
                           plausible=(1e-6, 10.0), hint="the total power is in W (20 dBm is 0.1)")

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        total = jnp.sum(input_power)
        g = self.total_power / jnp.where(total > 0, total, 1.0)
        return jnp.broadcast_to(g, frequency.shape)


class ConstantPsd(AbstractGainControl):
    """Every channel leaves at `psd` x its symbol rate (W/Hz): per-channel output power control."""

    psd: Float[Array, ""]

    def __init__(self, psd: ArrayLike):
        self.psd = as_float_array(psd)

    def rules(self) -> Rules:
        return value_rules(self.psd, "ConstantPsd.psd", positive=True, unit="W/Hz",
                           plausible=(1e-20, 1e-9), hint="the PSD is in W/Hz (1 mW per 32 GHz is 3.1e-14)")

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        used = input_power > 0
        return jnp.where(used, self.psd * symbol_rate / jnp.where(used, input_power, 1.0), 1.0)


class Edfa(AbstractValidated):
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
        if not isinstance(self.control, AbstractGainControl):
            raise TypeError(f"`gain` must be a number, a table or a gain control; got {type(gain).__name__}.")
        if self.noise_figure.ndim > 0 and (self.frequency is None or self.frequency.shape != self.noise_figure.shape):
            raise ValueError(
                f"`noise_figure` and its `frequency` table must have the same shape; got "
                f"{self.noise_figure.shape} and {self.frequency.shape}."
            )

    def rules(self) -> Rules:
        return [
            *value_rules(self.noise_figure, "Edfa.noise_figure", at_least=1.0, plausible=(1.0, 1e3),
                         hint="the noise figure is linear, >= 1 (0 dB); use `Edfa.from_db` for dB"),
            *table_rules(self.frequency, "Edfa.frequency"),
            *self.control.rules(),
        ]

    @classmethod
    def from_db(cls, noise_figure_db: ArrayLike = 5.0, gain_db: "ArrayLike | AbstractGainControl | None" = None,
                frequency: ArrayLike | None = None) -> "Edfa":
        """From NF in dB and gain in dB (a number or table: `FixedGain`), a gain control, or None
        (restore the span loss)."""
        if gain_db is not None and not isinstance(gain_db, AbstractGainControl):
            gain_db = db_to_linear(gain_db)
        return cls(db_to_linear(noise_figure_db), gain_db, frequency)

    def nf_at(self, frequency):
        return interp_spectrum(self.noise_figure, self.frequency, frequency)

    def gain(self, frequency, symbol_rate, input_power, span_transmission):
        """Linear gain per channel (see `control`)."""
        return self.control.gain(frequency, symbol_rate, input_power, span_transmission)


class Roadm(AbstractValidated):
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
        if not isinstance(n_express, int) or isinstance(n_express, bool) or n_express < 0:
            raise ValueError(f"`Roadm.n_express` must be an int >= 0 (express passes); got {n_express!r}.")
        self.n_express = n_express

    def rules(self) -> Rules:
        linear = "losses and noise figures are linear, >= 1 (0 dB); use `Roadm.from_db` for dB"
        return [
            *value_rules(self.add_drop_loss, "Roadm.add_drop_loss", at_least=1.0, plausible=(1.0, 1e6), hint=linear),
            *value_rules(self.express_loss, "Roadm.express_loss", at_least=1.0, plausible=(1.0, 1e6), hint=linear),
            *value_rules(self.noise_figure, "Roadm.noise_figure", at_least=1.0, plausible=(1.0, 1e3), hint=linear),
        ]

    @classmethod
    def from_db(cls, add_drop_loss_db: float = 18.0, express_loss_db: float = 18.0, noise_figure_db: float = 6.0, n_express: int = 0) -> "Roadm":
        return cls(db_to_linear(add_drop_loss_db), db_to_linear(express_loss_db), db_to_linear(noise_figure_db), n_express)

    def nsr(self, frequency, symbol_rate, power):
        """Noise-to-signal ratio added by the ROADMs on the path (per channel)."""
        return self.path_nsr(frequency, symbol_rate, power, self.n_express)

    def path_nsr(self, frequency, symbol_rate, power, n_express):
        """NSR of one add, one drop and `n_express` express passes (an int or an array, e.g. the
        intermediate nodes of each lightpath in a network)."""
        nf = self.noise_figure
        pase = 2 * ase_power(nf, self.add_drop_loss, frequency, symbol_rate)
        pase = pase + n_express * ase_power(nf, self.express_loss, frequency, symbol_rate)
        return pase / power


class Transceiver(AbstractValidated):
    """Back-to-back transceiver SNR.

    **Fields:**

    - `snr`: linear back-to-back SNR (scalar or per channel).
    """

    snr: Float[Array, "*channels"]

    def __init__(self, snr: ArrayLike):
        self.snr = as_float_array(snr)
        if self.snr.ndim > 1:
            raise ValueError(f"`Transceiver.snr` must be a scalar or one value per channel; got shape {self.snr.shape}.")

    def rules(self) -> Rules:
        return value_rules(self.snr, "Transceiver.snr", positive=True, plausible=(1e-3, 1e12),
                           hint="the SNR is linear (use `Transceiver.from_db` for dB)")

    @classmethod
    def from_db(cls, snr_db: ArrayLike = 20.0) -> "Transceiver":
        return cls(db_to_linear(snr_db))
