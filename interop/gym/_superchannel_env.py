"""Superchannel subchannel placement on a plant (the `interop.feedback` interface): distances in,
monitored SNRs out. `SuperchannelEnv` drives any plant (a model or a live network); the pure-JAX
core (`placement_reset`, `placement_step`) is the same environment on an optnet `Superchannel`."""

import equinox as eqx
import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray

import optnet as on

SNR_BOUNDS_DB = (-10.0, 40.0)
PLACEMENT_REWARDS = ("min", "mean")


class PlacementParams(eqx.Module):
    """**Fields:** `superchannel` (the model plant), `start` (the distances at reset, Hz),
    `noise_db` (monitor noise, dB), and static: `max_change` (each subchannel centre may move this
    far, Hz), `horizon`, `reward` ("min" or "mean" SNR, dB)."""

    superchannel: on.Superchannel
    start: Float[Array, " gaps"]
    noise_db: Float[Array, ""]
    max_change: float = eqx.field(static=True)
    horizon: int = eqx.field(static=True)
    reward: str = eqx.field(static=True)


class PlacementState(eqx.Module):
    """The subchannel centre offsets from `start` (Hz), the monitored SNRs (dB), the step count."""

    offsets: Float[Array, " sub"]
    snr_db: Float[Array, " sub"]
    steps: Int[Array, ""]


def _reward(snr_db, kind):
    return jnp.min(snr_db) if kind == "min" else jnp.mean(snr_db)


def distances_of(start, offsets):
    """D with each subchannel centre moved by `offsets` (Hz) from `start`: d_n += m_n - m_{n-1}
    (the moves of Eq. (6) of the feedback method; the sum, the superchannel bandwidth, is kept)."""
    xp = jnp if isinstance(offsets, jax.Array) else np
    m = xp.concatenate([xp.zeros(1), offsets, xp.zeros(1)])
    return start + m[1:] - m[:-1]


def placement_observation(state: PlacementState, params: PlacementParams) -> Float[Array, " obs"]:
    """Monitored SNR per subchannel (dB, clipped to [-10, 40]), then the centre offsets (Hz), float32."""
    return jnp.concatenate([jnp.clip(state.snr_db, *SNR_BOUNDS_DB), state.offsets]).astype(jnp.float32)


def _measure(key, params, distances):
    snr = params.superchannel.snr_db(distances)
    return snr + params.noise_db * jax.random.normal(key, snr.shape, snr.dtype)


def placement_reset(key: PRNGKeyArray, params: PlacementParams):
    n = params.start.shape[0] - 1
    state = PlacementState(jnp.zeros(n, params.start.dtype), _measure(key, params, params.start), jnp.int32(0))
    return placement_observation(state, params), state


def placement_step(key: PRNGKeyArray, state: PlacementState, action: Float[Array, " sub"], params: PlacementParams):
    """Move the subchannel centres to `action` (Hz from the start, clipped to +- `max_change`);
    returns `(obs, state, reward, done, info)` with the min or mean monitored SNR (dB) as reward."""
    m = jnp.clip(jnp.asarray(action), -params.max_change, params.max_change)
    snr = _measure(key, params, distances_of(params.start, m))
    state = PlacementState(m, snr, state.steps + 1)
    return placement_observation(state, params), state, _reward(snr, params.reward), state.steps >= params.horizon, {}


class SuperchannelEnv(gymnasium.Env):
    """Place the subchannels of a superchannel, one configuration per step, on a plant.

    - **Plant:** any `interop.feedback` plant: `ModelPlant` (an optnet `Superchannel`; the default
      is the calibrated-free `locatelli_superchannel(case)` preset) or `CallbackPlant` (a live
      network), so a policy trained on the model can be tried on the network as is.
    - **Action:** the move of each subchannel centre from the configuration at reset (`start`, the
      plant's distance vector D), Hz, within +- `max_change` (default 2 GHz, below half the
      smallest distance): D becomes d_n + m_n - m_{n-1}, so the superchannel bandwidth is kept.
    - **Observation:** the monitored SNR of each subchannel in dB (within [-10, 40]), then the
      moves (Hz).
    - **Reward:** "min" (default) or "mean" subchannel SNR, dB.
    - **Episode:** `horizon` steps, then `truncated=True`.
    """

    metadata = {"render_modes": []}

    def __init__(self, plant=None, *, case: int | str = 1, start=None, max_change: float = 2e9, horizon: int = 16,
                 reward: str = "min"):
        from interop.feedback import ModelPlant

        if plant is None:
            import optnet.scenarios as osc

            plant = ModelPlant(osc.locatelli_superchannel(case))
        if not (callable(plant) and hasattr(plant, "n_subchannels")):
            raise TypeError("`plant` must be an interop.feedback plant (callable on D, with `n_subchannels`).")
        if reward not in PLACEMENT_REWARDS:
            raise ValueError(f"`reward` must be one of {PLACEMENT_REWARDS}; got {reward!r}.")
        if not 1e6 <= max_change <= 1e11:
            raise ValueError(f"`max_change` is in Hz (2 GHz is 2e9); got {max_change!r}.")
        if not (isinstance(horizon, int) and horizon >= 1):
            raise ValueError(f"`horizon` must be a positive int; got {horizon!r}.")
        if start is None:
            start = getattr(plant, "applied", None)
            if start is None:
                raise ValueError("Give `start`, the distances (Hz) at reset, for a plant that does not report them.")
        self.plant = plant
        self.start = np.asarray(start, float)
        if self.start.shape != (plant.n_subchannels + 1,):
            raise ValueError(f"`start` needs {plant.n_subchannels + 1} distances (Hz); got shape {self.start.shape}.")
        if not max_change < 0.5 * self.start.min():
            raise ValueError(f"`max_change` must stay below half the smallest distance ({0.5 * self.start.min():.3g} Hz); got {max_change}.")
        self.max_change, self.horizon, self.reward = float(max_change), horizon, reward
        n = plant.n_subchannels
        self.action_space = gymnasium.spaces.Box(-self.max_change, self.max_change, (n,), np.float32)
        low = np.concatenate([np.full(n, SNR_BOUNDS_DB[0]), np.full(n, -self.max_change)]).astype(np.float32)
        high = np.concatenate([np.full(n, SNR_BOUNDS_DB[1]), np.full(n, self.max_change)]).astype(np.float32)
        self.observation_space = gymnasium.spaces.Box(low, high, (2 * n,), np.float32)
        self._steps = None

    def _observe(self, moves):
        snr = np.clip(np.asarray(self.plant(distances_of(self.start, moves)), float), *SNR_BOUNDS_DB)
        return np.concatenate([snr, moves]).astype(np.float32), snr

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._steps = 0
        return self._observe(np.zeros(self.plant.n_subchannels))[0], {}

    def step(self, action):
        if self._steps is None:
            raise RuntimeError("Call `reset()` before `step()`.")
        action = np.asarray(action, float)
        if action.shape != self.action_space.shape or not np.all(np.isfinite(action)):
            raise ValueError(f"`action` must be {self.action_space.shape[0]} finite centre moves in Hz; got shape {action.shape}.")
        obs, snr = self._observe(np.clip(action, -self.max_change, self.max_change))
        self._steps += 1
        reward = float(snr.min() if self.reward == "min" else snr.mean())
        return obs, reward, False, self._steps >= self.horizon, {"snr_db": snr}

    def functional(self) -> PlacementParams:
        """The params of the pure-JAX core for this env's model plant (`ModelPlant` only)."""
        from interop.feedback import ModelPlant

        if not isinstance(self.plant, ModelPlant):
            raise TypeError("The functional core needs the model: this env's plant is not a ModelPlant.")
        return PlacementParams(self.plant.superchannel, jnp.asarray(self.start), jnp.asarray(self.plant.noise_db),
                               self.max_change, self.horizon, self.reward)
