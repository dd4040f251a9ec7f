"""Raman pump control on a Raman-amplified link: pump powers in, per-channel GSNRs and the link's
throughput out; a pure-JAX core (`pumps_reset`, `pumps_step`) and `RamanPumpEnv`."""

import equinox as eqx
import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray

import optnet as on

from ._core_env import AbstractCoreEnv
from ._launch_power import GSNR_BOUNDS_DB


class RamanPumpParams(eqx.Module):
    """A Raman link, its channels and the control settings.

    **Fields:** `link` (a `GNLink` of `RamanSpan`s; its pump powers are the action), `spectrum`,
    and static: `min_power`, `max_power` (action bounds, W per pump), `horizon` (steps per
    episode), `gradients` (differentiable transitions; False stops gradients).
    """

    link: on.GNLink
    spectrum: on.Spectrum
    min_power: float = eqx.field(static=True)
    max_power: float = eqx.field(static=True)
    horizon: int = eqx.field(static=True)
    gradients: bool = eqx.field(static=True)

    @property
    def n_pumps(self) -> int:
        return self.link.spans.forward.n + self.link.spans.backward.n


class RamanPumpState(eqx.Module):
    """Pump powers (W, forward then backward), the GSNRs (dB) and the step count."""

    power: Float[Array, " pumps"]
    gsnr_db: Float[Array, " channels"]
    steps: Int[Array, ""]


def _with_pumps(params: RamanPumpParams, power):
    n_fwd = params.link.spans.forward.n
    return eqx.tree_at(lambda l: (l.spans.forward.power, l.spans.backward.power), params.link, (power[:n_fwd], power[n_fwd:]))


def _evaluate(params: RamanPumpParams, power):
    """GSNR (dB) per channel and the Shannon throughput (Tb/s) with the pumps at `power` (W)."""
    result = _with_pumps(params, power)(params.spectrum)
    gsnr_db, reward = result.gsnr_db, on.total_throughput_tbps(_with_pumps(params, power), params.spectrum)
    if not params.gradients:
        gsnr_db, reward = jax.lax.stop_gradient((gsnr_db, reward))
    return gsnr_db, reward


def pumps_observation(state: RamanPumpState, params: RamanPumpParams) -> Float[Array, " obs"]:
    """GSNR per channel (dB, clipped to [-10, 40]) then the pump powers (W), float32."""
    return jnp.concatenate([jnp.clip(state.gsnr_db, *GSNR_BOUNDS_DB), state.power]).astype(jnp.float32)


def pumps_reset(key: PRNGKeyArray, params: RamanPumpParams):
    """The link's own pump powers (clipped to the bounds); returns `(obs, state)`."""
    spans = params.link.spans
    power = jnp.clip(jnp.concatenate([spans.forward.power, spans.backward.power]), params.min_power, params.max_power)
    gsnr_db, _ = _evaluate(params, power)
    state = RamanPumpState(power, gsnr_db, jnp.int32(0))
    return pumps_observation(state, params), state


def pumps_step(key: PRNGKeyArray, state: RamanPumpState, action: Float[Array, " pumps"], params: RamanPumpParams):
    """Set the pump powers to `action` (W, clipped to the bounds); returns `(obs, state, reward,
    done, info)`, the reward the link's Shannon throughput in Tb/s."""
    power = jnp.clip(jnp.asarray(action), params.min_power, params.max_power)
    gsnr_db, reward = _evaluate(params, power)
    state = RamanPumpState(power, gsnr_db, state.steps + 1)
    return pumps_observation(state, params), state, reward, state.steps >= params.horizon, {"min_gsnr_db": jnp.min(gsnr_db)}


class RamanPumpEnv(AbstractCoreEnv):
    """Set the pump powers of a Raman-amplified link, one setting per step.

    - **Action:** `Box(min_power, max_power, (pumps,))`, W per pump (forward pumps first; default
      1 mW to 0.2 W).
    - **Observation:** the GSNR of every channel in dB (within [-10, 40]), then the pump powers (W).
    - **Reward:** the link's Shannon throughput, Tb/s.
    - **Episode:** `horizon` steps, then `truncated=True`.

    Default link: `optnet.scenarios.raman_demo_scenario(n_channels, n_spans)` (backward-pumped
    SSMF spans); or give `link` and `spectrum`.
    """

    action_unit = "pump powers in W"

    def __init__(self, link: on.GNLink | None = None, spectrum: on.Spectrum | None = None, *, n_channels: int = 16,
                 n_spans: int = 2, min_power: float = 1e-3, max_power: float = 0.2, horizon: int = 8, gradients: bool = False):
        if (link is None) != (spectrum is None):
            raise ValueError("Give both `link` and `spectrum`, or neither.")
        if link is None:
            import optnet.scenarios as osc

            link, spectrum = osc.raman_demo_scenario(n_channels, n_spans)
        if not isinstance(link.spans, on.RamanSpan):
            raise TypeError("`link` must be a GNLink of RamanSpan spans (its pumps are the action).")
        if not 0 < min_power < max_power <= 5.0:
            raise ValueError(f"`min_power` < `max_power` are pump powers in W within (0, 5]; got {min_power}, {max_power}.")
        if not (isinstance(horizon, int) and horizon >= 1):
            raise ValueError(f"`horizon` must be a positive int; got {horizon!r}.")
        self.params = RamanPumpParams(link, spectrum, float(min_power), float(max_power), horizon, gradients)
        n, c = self.params.n_pumps, spectrum.frequency.shape[0]
        self.action_space = gymnasium.spaces.Box(min_power, max_power, (n,), np.float32)
        low = np.concatenate([np.full(c, GSNR_BOUNDS_DB[0]), np.full(n, min_power)]).astype(np.float32)
        high = np.concatenate([np.full(c, GSNR_BOUNDS_DB[1]), np.full(n, max_power)]).astype(np.float32)
        self.observation_space = gymnasium.spaces.Box(low, high, (c + n,), np.float32)
        self._reset, self._step = eqx.filter_jit(pumps_reset), eqx.filter_jit(pumps_step)
