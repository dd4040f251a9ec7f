"""Spans: a fibre segment and what follows it, each giving its power profile, gain and ASE."""

import abc

import equinox as eqx
from jaxtyping import Array, Float

from ._amplifier import Edfa, ase_power
from ._checks import AbstractValidated, Rules
from ._fibre import Fibre
from ._isrs import isrs_profile
from ._profile import AbstractProfile, IsrsProfile
from ._spectrum import Spectrum


class SpanOutput(eqx.Module):
    """What one span does to the channels launched into it.

    **Fields:**

    - `profile`: the power profile along the fibre (what the NLI model consumes).
    - `transmission`: rho_i(L), the fibre's net power transmission (loss, ISRS, Raman gain), linear.
    - `gain`: gain of the lumped amplifier after the fibre, linear (1 without one).
    - `ase`: ASE power at the span output in each channel's bandwidth, W.
    """

    profile: AbstractProfile
    transmission: Float[Array, " channels"]
    gain: Float[Array, " channels"]
    ase: Float[Array, " channels"]

    @property
    def output_power(self) -> Float[Array, " channels"]:
        """Channel powers at the span output (the next span's launch powers), W."""
        return self.profile.power * self.transmission * self.gain


class AbstractSpan(AbstractValidated):
    """A fibre segment followed by what restores the signal (a lumped amplifier, distributed Raman
    gain, or both). A `GNLink` is a sequence of spans.

    **Fields (every concrete span has them):**

    - `fibre`: the `Fibre` of the segment.
    - `amplifier`: the `Edfa` at the span end, or None.
    """

    fibre: eqx.AbstractVar[Fibre]
    amplifier: eqx.AbstractVar[Edfa | None]

    @abc.abstractmethod
    def propagate(self, spectrum: Spectrum, power: Float[Array, " channels"]) -> SpanOutput:
        """Propagate the channels of `spectrum` launched with `power` (W) through the span."""

    def rules(self) -> Rules:
        return [*self.fibre.rules(), *([] if self.amplifier is None else self.amplifier.rules())]

    def spectrum_rules(self, spectrum: Spectrum) -> Rules:
        """Rules on the channels this span carries (none by default)."""
        return []

    @property
    def restores_launch_power(self) -> bool:
        """True if every channel leaves the span at its launch power (identical spans then see
        identical launch powers)."""
        return self.amplifier is not None and self.amplifier.control.restores_launch_power


class FibreSpan(AbstractSpan):
    """A passive fibre with inter-channel stimulated Raman scattering, followed by a lumped amplifier.

    **Fields:**

    - `fibre`: the `Fibre`.
    - `amplifier`: the `Edfa` after it (default: NF 5 dB, gain restoring each channel's launch power).
    """

    fibre: Fibre
    amplifier: Edfa

    def __init__(self, fibre: Fibre, amplifier: Edfa | None = None):
        if not isinstance(fibre, Fibre):
            raise TypeError(f"`fibre` must be a Fibre; got {type(fibre).__name__}.")
        if amplifier is not None and not isinstance(amplifier, Edfa):
            raise TypeError(f"`amplifier` must be an Edfa or None; got {type(amplifier).__name__}.")
        self.fibre = fibre
        self.amplifier = Edfa.from_db(5.0) if amplifier is None else amplifier

    def propagate(self, spectrum, power):
        fibre = self.fibre
        f, b = spectrum.frequency, spectrum.symbol_rate
        t = isrs_profile(fibre, f, power, fibre.length[None])[:, 0]
        gain = self.amplifier.gain(f, b, power * t, t)
        ase = ase_power(self.amplifier.nf_at(f), gain, f, b)
        return SpanOutput(IsrsProfile(fibre, power, f), t, gain, ase)
