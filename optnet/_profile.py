"""Power profiles along a span: what every NLI model consumes."""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._ansatz import ansatz, fit_ansatz, modes
from ._fibre import Fibre
from ._isrs import effective_length_grid, isrs_profile, isrs_rate


class AbstractProfile(eqx.Module):
    """Normalised power profile rho_i(z) = P_i(z)/P_i(0) of each channel along one span.

    Every NLI model takes a profile through the same three views: samples on a z grid
    (`NumericalGN`), a sum of exponential modes (`ModeSumGN`), and the first-order ISRS rate of a
    lumped-amplified span (`ClosedFormGN`).

    **Fields (every concrete profile has them):**

    - `fibre`: the span's `Fibre` (no `spans` axis).
    - `power`: launch power of each channel into the span, W.
    """

    fibre: eqx.AbstractVar[Fibre]
    power: eqx.AbstractVar[Float[Array, " channels"]]

    @abc.abstractmethod
    def samples(self, n_z: int) -> tuple[Float[Array, " z"], Float[Array, "channels z"]]:
        """(z in m, rho) on a grid of about `n_z` segments from 0 to the span length."""

    @abc.abstractmethod
    def modes(self) -> tuple[Float[Array, "channels modes"], Float[Array, "channels modes"]]:
        """Amplitudes A_l and rates x_l (1/m) with rho_i(z) = sum_l A_il exp(-x_il z)."""

    @abc.abstractmethod
    def isrs_rate(self) -> Float[Array, " channels"]:
        """r_i (1/m) of the linearised lumped-span profile rho = e^{-a z}(1 + r L_eff(z))."""

    def mode_samples(self, z: Float[Array, " z"]) -> Float[Array, "channels z"]:
        """The mode representation evaluated on `z` (m)."""
        amp, rate = self.modes()
        return jnp.sum(amp[:, :, None] * jnp.exp(-rate[:, :, None] * z[None, None, :]), axis=1)


class IsrsProfile(AbstractProfile):
    """The profile of a passive fibre with inter-channel stimulated Raman scattering.

    Samples are the ISRS profile (`isrs_profile`: exact for the triangular gain); the modes and the
    rate are its first-order (linearised) form rho = e^{-a z}(1 + r L_eff(z)),
    i.e. A = (1 + r/a, -r/a) and x = (a, 2a).

    ??? cite "References"
        Semrau, Killey, Bayvel, JLT 36(14), 2018, Eq. (5); linearisation: Semrau et al.,
        JLT 37(9), 2019, Eq. (5).

    **Fields:** `fibre`, `power` (W), `frequency` (Hz, channel centres).
    """

    fibre: Fibre
    power: Float[Array, " channels"]
    frequency: Float[Array, " channels"]

    def samples(self, n_z):
        # equally spaced in L_eff: the ISRS factor is a function of L_eff(z), the loss exact
        z = effective_length_grid(self.fibre, n_z)
        return z, isrs_profile(self.fibre, self.frequency, self.power, z)

    def isrs_rate(self):
        return isrs_rate(self.fibre, self.frequency, self.power)

    def modes(self):
        a = self.fibre.alpha(self.frequency)
        k = self.isrs_rate() / a
        return jnp.stack([1 + k, -k], axis=-1), jnp.stack([a, 2 * a], axis=-1)


class AnsatzProfile(AbstractProfile):
    """A profile given by the 5-parameter Raman ansatz (`ansatz`), e.g. a published fit.

    **Fields:** `fibre`, `power` (W), `params` (channels x 5: C_f, a_f, C_b, a_b, a in 1/m).
    """

    fibre: Fibre
    power: Float[Array, " channels"]
    params: Float[Array, "channels 5"]

    def samples(self, n_z):
        z = jnp.linspace(0.0, 1.0, n_z + 1) * self.fibre.length
        return z, ansatz(self.params, z, self.fibre.length)

    def modes(self):
        return modes(self.params, self.fibre.length)

    def isrs_rate(self):
        raise TypeError(
            "A Raman-amplified profile has no lumped-span ISRS rate: use ModeSumGN or NumericalGN, "
            "not ClosedFormGN, for Raman spans."
        )


class SampledProfile(AbstractProfile):
    """A profile sampled along z (e.g. the Raman ODE's), with a first guess for its ansatz fit.

    `modes` fits the 5-parameter ansatz by Levenberg-Marquardt (`fit_ansatz`, differentiated
    implicitly) and raises if the fit misses the samples by more than `fit_tolerance` (dB).

    **Fields:** `fibre`, `power` (W), `z` (m), `rho` (channels x z), `fit_init` (channels x 5,
    1/m), `fit_tolerance` (dB).
    """

    fibre: Fibre
    power: Float[Array, " channels"]
    z: Float[Array, " z"]
    rho: Float[Array, "channels z"]
    fit_init: Float[Array, "channels 5"]
    fit_tolerance: float = eqx.field(static=True, default=1.0)

    def samples(self, n_z):
        return self.z, self.rho

    def fitted(self) -> AnsatzProfile:
        """The ansatz fitted to the samples (checked: raises if the fit is off by > `fit_tolerance` dB)."""
        params, err, _ = fit_ansatz(self.z, self.rho, self.fibre.length, self.fit_init)
        # LM often stops on its step budget near a good fit (the ansatz is not exact), so the
        # check is on the fit's error, which is what the NLI depends on
        params = eqx.error_if(
            params, ~jnp.all(err <= self.fit_tolerance),
            "The Raman profile ansatz fit misses the ODE profile by more than `fit_tolerance` dB: "
            "ModeSumGN would be inaccurate; use NumericalGN for this span.",
        )
        return AnsatzProfile(self.fibre, self.power, params)

    def modes(self):
        return self.fitted().modes()

    def isrs_rate(self):
        return self.fitted().isrs_rate()
