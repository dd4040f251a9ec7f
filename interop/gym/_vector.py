"""`RMSAVectorEnv`: `num_envs` RMSA environments as one natively batched Gymnasium `VectorEnv`
(the functional core vmapped; one jitted call per step for all of them)."""

import functools

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from . import _rmsa
from ._env import _FLOAT_INFO, _INT_INFO, _params, _spaces


@functools.partial(jax.jit, static_argnums=0)
def _reset_all(params_def, keys, params_leaves):
    params = jax.tree.unflatten(params_def, params_leaves)
    keys, subs = jax.vmap(jax.random.split, out_axes=1)(keys)
    obs, state = jax.vmap(_rmsa.reset, in_axes=(0, None))(subs, params)
    return keys, obs, jax.tree.leaves(state), state.mask


@functools.partial(jax.jit, static_argnums=(0, 1))
def _step_all(params_def, state_def, keys, state_leaves, actions, params_leaves):
    params = jax.tree.unflatten(params_def, params_leaves)
    state = jax.tree.unflatten(state_def, state_leaves)
    keys, step_keys, reset_keys = jax.vmap(lambda k: tuple(jax.random.split(k, 3)))(keys)
    obs, state, reward, done, info = jax.vmap(_rmsa.step, in_axes=(0, 0, 0, None))(step_keys, state, actions, params)

    # same-step autoreset; the envs of one vector env end their episodes together, so the
    # (batched) reset runs only on the steps where one ends
    def restart(_):
        obs0, state0 = jax.vmap(_rmsa.reset, in_axes=(0, None))(reset_keys, params)
        pick = lambda a, b: jnp.where(done.reshape(done.shape + (1,) * (a.ndim - 1)), a, b)
        return pick(obs0, obs), jax.tree.map(pick, state0, state)

    new_obs, state = jax.lax.cond(jnp.any(done), restart, lambda _: (obs, state), None)
    ints = jnp.stack([info[k].astype(jnp.int32) for k in _INT_INFO], axis=1)
    floats = jnp.stack([jnp.asarray(info[k], jnp.float32) for k in _FLOAT_INFO], axis=1)
    return keys, new_obs, obs, jax.tree.leaves(state), state.mask, jnp.asarray(reward, jnp.float32), done, ints, floats


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
        self._params_leaves, self._params_def = jax.tree.flatten(self.params)
        self._state_def = jax.tree.structure(jax.eval_shape(
            lambda key: jax.vmap(_rmsa.reset, in_axes=(0, None))(key, self.params)[1],
            jax.random.split(jax.random.PRNGKey(0), num_envs)))
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
        self._keys, obs, self._state, mask = _reset_all(self._params_def, keys, self._params_leaves)
        self._mask = np.asarray(mask)
        return np.asarray(obs), {"action_mask": self._mask.copy()}

    def step(self, actions):
        if self._state is None:
            raise RuntimeError("Call `reset()` before `step()`.")
        actions = np.asarray(actions)
        if actions.shape != (self.num_envs,) or not np.issubdtype(actions.dtype, np.integer):
            raise ValueError(f"`actions` must be {self.num_envs} ints; got shape {actions.shape}, dtype {actions.dtype}.")
        if np.any((actions < 0) | (actions >= self.single_action_space.n)):
            raise ValueError(f"`actions` must be in [0, {self.single_action_space.n}).")
        out = _step_all(self._params_def, self._state_def, self._keys, self._state, jnp.asarray(actions, jnp.int32), self._params_leaves)
        self._keys, self._state = out[0], out[3]
        obs, final, mask, reward, done, ints, floats = jax.device_get((out[1], out[2], out[4], out[5], out[6], out[7], out[8]))
        self._mask = mask
        infos = {name: ints[:, i] for i, name in enumerate(_INT_INFO)}
        infos["accepted"] = infos["accepted"].astype(bool)
        infos.update({name: floats[:, i] for i, name in enumerate(_FLOAT_INFO)})
        infos["action_mask"] = mask.copy()
        if done.any():
            infos["final_obs"], infos["_final_obs"] = final, done.copy()
        return obs, reward, np.zeros(self.num_envs, bool), done, infos

    def action_masks(self) -> np.ndarray:
        """The feasible actions of each env, `(num_envs, n_actions)`."""
        if self._mask is None:
            raise RuntimeError("Call `reset()` first.")
        return self._mask.copy()
