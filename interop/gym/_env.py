"""`RMSAEnv`: the RMSA core as a Gymnasium environment (one network, one request per step)."""

import functools

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np

import optnet as on

from . import _rmsa
from ._rmsa import REASONS, RMSAParams


def make_network(topology: "str | on.Topology" = "nsfnet", *, n_slots: int = 100, max_span_length: float = 80e3) -> on.Network:
    """The default network of the environments: `topology` (a shipped name, a JSON path or a
    `Topology`) with `n_slots` slots of 12.5 GHz and spans of at most `max_span_length` m."""
    from optnet.io import load_topology

    topo = topology if isinstance(topology, on.Topology) else load_topology(topology)
    return on.Network(topo, grid=on.SlotGrid.uniform(n_slots), max_span_length=max_span_length)


def _params(network, topology, n_slots, max_span_length, kwargs) -> RMSAParams:
    if network is None:
        network = make_network(topology, n_slots=n_slots, max_span_length=max_span_length)
    elif not isinstance(network, on.Network):
        raise TypeError(f"`network` must be an optnet Network; got {type(network).__name__}.")
    return _rmsa.rmsa_params(network, **kwargs)


def _spaces(params: RMSAParams):
    obs = gymnasium.spaces.Box(0.0, 1.0, (params.obs_size,), np.float32)
    return obs, gymnasium.spaces.Discrete(params.n_actions)


# The params and the state travel as flat leaf lists: jit's C++ path flattens lists fast, while
# flattening Equinox modules is Python work on every call.
@functools.partial(jax.jit, static_argnums=0)
def _reset_flat(params_def, key, params_leaves):
    params = jax.tree.unflatten(params_def, params_leaves)
    key, sub = jax.random.split(key)
    obs, state = _rmsa.reset(sub, params)
    return key, obs, jax.tree.leaves(state), state.mask


@functools.partial(jax.jit, static_argnums=(0, 1))
def _step_flat(params_def, state_def, key, state_leaves, action, params_leaves):
    params = jax.tree.unflatten(params_def, params_leaves)
    state = jax.tree.unflatten(state_def, state_leaves)
    key, sub = jax.random.split(key)
    obs, state, reward, done, info = _rmsa.step(sub, state, action, params)
    ints = jnp.stack([info[k].astype(jnp.int32) for k in _INT_INFO] + [done.astype(jnp.int32)])
    floats = jnp.stack([jnp.asarray(info[k], jnp.float32) for k in _FLOAT_INFO] + [jnp.asarray(reward, jnp.float32)])
    return key, obs, jax.tree.leaves(state), state.mask, ints, floats


_INT_INFO = ("accepted", "reason", "path", "first_slot", "n_slots", "format")
_FLOAT_INFO = ("margin_db", "bit_rate", "blocking", "bit_rate_blocking")


def state_structure(params: RMSAParams):
    """The tree structure of the state of environments with `params`."""
    return jax.tree.structure(jax.eval_shape(lambda key: _rmsa.reset(key, params)[1], jax.random.PRNGKey(0)))


class RMSAEnv(gymnasium.Env):
    """Dynamic routing, modulation and spectrum assignment on an optnet network, one connection
    request per step.

    - **Traffic:** Poisson arrivals at `load` Erlang, holding times exponential (truncated below
      twice the mean) and bit rates uniform over the integers of `bit_rate_gbps` (Gb/s), node pairs
      uniform: the RMSA benchmark setting (`optnet.poisson_requests`).
    - **Action:** `Discrete(k x slots + 1)`: `p x slots + s` places the request on candidate path `p`
      (of the `k` shortest) from slot `s`; the last action rejects it.
    - **Format:** with `qot_mode="gn"`, the densest of `formats` whose GSNR (the network's GN model,
      launch power `power_per_slot` W per slot) meets the required SNR at the pre-FEC `ber` plus
      `margin_db`, and that leaves every established lightpath above its own threshold; with
      `qot_mode="reach"`, the path's format from the reach table (`ModulationTable.deeprmsa()`).
    - **Mask:** `info["action_mask"]` and `action_masks()` (the sb3-contrib convention): True where
      the placement is feasible (spectrum and QoT); reject is always allowed. A masked-out action
      blocks the request, with the reason in `info["reason"]` (never an exception).
    - **Reward** (`reward`): "accepted" +1/-1, "bit_rate" +-(bit rate / highest bit rate), "margin"
      (GN mode) 1 - exp(-extra margin in dB) if accepted, -1 if blocked.
    - **Observation:** `Box(0, 1, (obs_size,), float32)`; see `interop.gym.observation`.
    - **Episode:** `episode_length` requests, then `truncated=True` (never `terminated`).

    Give a `network` (an `optnet.Network`), or a `topology` name with `n_slots` and
    `max_span_length` (m). Other keywords: see `rmsa_params`.
    """

    metadata = {"render_modes": []}

    def __init__(self, network: on.Network | None = None, *, topology: str = "nsfnet", n_slots: int = 100,
                 max_span_length: float = 80e3, **kwargs):
        self.params = _params(network, topology, n_slots, max_span_length, kwargs)
        self.observation_space, self.action_space = _spaces(self.params)
        self._params_leaves, self._params_def = jax.tree.flatten(self.params)
        self._state_def = state_structure(self.params)
        self._state = None
        self._key = None
        self._mask = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        key = jax.random.PRNGKey(int(self.np_random.integers(0, 2**31 - 1)))
        key, obs, leaves, mask = _reset_flat(self._params_def, key, self._params_leaves)
        self._key, self._state = key, leaves
        self._mask = np.asarray(mask)
        return np.asarray(obs), {"action_mask": self._mask.copy()}

    @property
    def state(self) -> _rmsa.RMSAState:
        """The current `RMSAState` (the functional core's)."""
        if self._state is None:
            raise RuntimeError("Call `reset()` first.")
        return jax.tree.unflatten(self._state_def, self._state)

    def step(self, action):
        if self._state is None:
            raise RuntimeError("Call `reset()` before `step()`.")
        if not (np.ndim(action) == 0 and np.issubdtype(np.asarray(action).dtype, np.integer) and 0 <= action < self.action_space.n):
            raise ValueError(f"`action` must be an int in [0, {self.action_space.n}); got {action!r}.")
        key, obs, leaves, mask, ints, floats = _step_flat(
            self._params_def, self._state_def, self._key, self._state, np.int32(action), self._params_leaves)
        self._key, self._state = key, leaves
        obs, mask, ints, floats = jax.device_get((obs, mask, ints, floats))
        self._mask = mask
        info = {name: int(v) for name, v in zip(_INT_INFO, ints)}
        info["accepted"] = bool(info["accepted"])
        info.update({name: float(v) for name, v in zip(_FLOAT_INFO, floats)})
        info["reason_text"] = REASONS[info["reason"]]
        info["action_mask"] = mask.copy()
        return obs, float(floats[-1]), False, bool(ints[-1]), info

    def action_masks(self) -> np.ndarray:
        """The feasible actions for the current request (bool, `(n_actions,)`)."""
        if self._mask is None:
            raise RuntimeError("Call `reset()` first.")
        return self._mask.copy()
