"""The Gymnasium wrapper shared by the continuous-control environments: an abstract env over a
pure-JAX core (`reset(key, params)`, `step(key, state, action, params)`) with a `Box` action."""

import abc

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np


class AbstractCoreEnv(gymnasium.Env, abc.ABC):
    """Subclasses set `params`, `action_space`, `observation_space`, `_reset` and `_step` (the
    jitted core functions) and `action_unit` (named in errors)."""

    metadata = {"render_modes": []}
    action_unit: str = ""
    state = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._key = jax.random.PRNGKey(int(self.np_random.integers(0, 2**31 - 1)))
        self._key, sub = jax.random.split(self._key)
        obs, self.state = self._reset(sub, self.params)
        return np.asarray(obs), {}

    def step(self, action):
        if self.state is None:
            raise RuntimeError("Call `reset()` before `step()`.")
        action = np.asarray(action, np.float32)
        if action.shape != self.action_space.shape or not np.all(np.isfinite(action)):
            raise ValueError(f"`action` must be {self.action_space.shape[0]} finite {self.action_unit}; got shape {action.shape}.")
        self._key, sub = jax.random.split(self._key)
        obs, self.state, reward, done, info = self._step(sub, self.state, jnp.asarray(action), self.params)
        return np.asarray(obs), float(reward), False, bool(done), {k: float(v) for k, v in info.items()}
