"""`RMSAVectorEnv`: `num_envs` RMSA environments as one natively batched Gymnasium `VectorEnv`
(the functional core vmapped; one jitted call per step for all of them)."""

import functools

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

import optnet as on

from . import _rmsa
from ._env import _N_INFO, _info_dict, _info_vector, _params, _spaces
from ._packing import Packing


@functools.lru_cache(maxsize=32)
def _jitted(params_packing: Packing, state_packing: Packing):
    """The jitted batched reset and step for these packings (see `_env._jitted`)."""
    return jax.jit(functools.partial(_reset_all, params_packing, state_packing)), jax.jit(functools.partial(_step_all, params_packing, state_packing))


def _reset_all(params_packing, state_packing, keys, params_buffers):
    params = params_packing.unpack(params_buffers)
    keys, subs = jax.vmap(on.split_key, out_axes=1)(keys)
    obs, state = jax.vmap(_rmsa.reset, in_axes=(0, None))(subs, params)
    dtype = state.time.dtype
    return keys, state_packing.pack(state), jnp.concatenate([obs.astype(dtype), state.mask.astype(dtype)], axis=1)


def _step_all(params_packing, state_packing, keys, state_buffers, actions, params_buffers):
    params = params_packing.unpack(params_buffers)
    state = state_packing.unpack(state_buffers)
    keys, step_keys, reset_keys = jax.vmap(lambda k: tuple(on.split_key(k, 3)))(keys)
    obs, state, reward, done, info = jax.vmap(_rmsa.step, in_axes=(0, 0, 0, None))(step_keys, state, actions, params)

    # same-step autoreset; the envs of one vector env end their episodes together, so the
    # (batched) reset runs only on the steps where one ends
    def restart(_):
        obs0, state0 = jax.vmap(_rmsa.reset, in_axes=(0, None))(reset_keys, params)
        pick = lambda a, b: jnp.where(done.reshape(done.shape + (1,) * (a.ndim - 1)), a, b)
        return pick(obs0, obs), jax.tree.map(pick, state0, state)

    new_obs, state = jax.lax.cond(jnp.any(done), restart, lambda _: (obs, state), None)
    dtype = state.time.dtype
    out = jnp.concatenate([new_obs.astype(dtype), state.mask.astype(dtype), _info_vector(info, reward, done, dtype), obs.astype(dtype)], axis=1)
    return keys, state_packing.pack(state), out


class RMSAVectorEnv(gymnasium.vector.VectorEnv):
    """`num_envs` independent `RMSAEnv`s (same keywords) stepped together by one vmapped, jitted
    call. Autoreset: same step (`metadata["autoreset_mode"]`): when an episode ends, the returned
    observation is the first of the next episode, and `infos["final_obs"]` (with `_final_obs`)
    holds the last one. `infos["action_mask"]` and `action_masks()` are `(num_envs, n_actions)`."""

    metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, "render_modes": []}

    def __init__(self, num_envs: int = 1, *, network=None, topology: str = "nsfnet", n_slots: int = 100,
                 max_span_length: float = 80e3, **kwargs):
        if not (isinstance(num_envs, int) and num_envs >= 1):
            raise ValueError(f"`num_envs` must be a positive int; got {num_envs!r}.")
        self.params = _params(network, topology, n_slots, max_span_length, kwargs)
        self.num_envs = num_envs
        self.single_observation_space, self.single_action_space = _spaces(self.params)
        self.observation_space = batch_space(self.single_observation_space, num_envs)
        self.action_space = batch_space(self.single_action_space, num_envs)
        packing = Packing.of(self.params)
        self._params_buffers = packing.pack(self.params)
        self._state_packing = Packing.of(jax.eval_shape(
            lambda key: jax.vmap(_rmsa.reset, in_axes=(0, None))(key, self.params)[1],
            jax.random.split(jax.random.PRNGKey(0), num_envs)))
        self._reset_fn, self._step_fn = _jitted(packing, self._state_packing)
        self._n_obs, self._n_actions = self.params.obs_size, self.params.n_actions
        self._keys = self._state = self._mask = None

    def reset(self, *, seed: "int | list[int] | None" = None, options: dict | None = None):
        if isinstance(seed, (list, tuple)):
            keys = jnp.stack([jax.random.PRNGKey(int(s)) for s in seed])
            if keys.shape[0] != self.num_envs:
                raise ValueError(f"`seed` as a list needs one seed per env ({self.num_envs}); got {len(seed)}.")
            super().reset(seed=int(seed[0]))
        else:
            super().reset(seed=seed)
            keys = jax.random.split(jax.random.PRNGKey(int(self.np_random.integers(0, 2**31 - 1))), self.num_envs)
        self._keys, self._state, out = self._reset_fn(keys, self._params_buffers)
        out = np.asarray(out)
        n_obs = self._n_obs
        self._mask = out[:, n_obs:].astype(bool)
        return out[:, :n_obs].astype(np.float32), {"action_mask": self._mask.copy()}

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("Call `reset()` before `step()`.")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"`actions` must be {self.num_envs} ints; got shape {actions.shape}, dtype {actions.dtype}.")
        if np.any((actions < 0) | (actions >= self.single_action_space.n)):
            raise ValueError(f"`actions` must be in [0, {self.single_action_space.n}).")
        self._keys, self._state, out = self._step_fn(self._keys, self._state, jnp.asarray(actions, jnp.int32), self._params_buffers)
        out = np.asarray(out)
        n_obs, n_actions = self._n_obs, self._n_actions
        obs = out[:, :n_obs].astype(np.float32)
        self._mask = out[:, n_obs:n_obs + n_actions].astype(bool)
        tail = out[:, n_obs + n_actions:n_obs + n_actions + _N_INFO]
        infos = _info_dict(tail)
        infos["action_mask"] = self._mask.copy()
        reward, done = tail[:, -2].astype(np.float32), tail[:, -1].astype(bool)
        if done.any():
            infos["final_obs"], infos["_final_obs"] = out[:, n_obs + n_actions + _N_INFO:].astype(np.float32), done.copy()
        return obs, reward, np.zeros(self.num_envs, bool), done, infos

    def action_masks(self) -> np.ndarray:
        """The feasible actions of each env, `(num_envs, n_actions)`."""
        if self._mask is None:
            raise RuntimeError("Call `reset()` first.")
        return self._mask.copy()
