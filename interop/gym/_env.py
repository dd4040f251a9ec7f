"""`RMSAEnv`: the RMSA core as a Gymnasium environment (one network, one request per step)."""

import functools

import gymnasium
import jax
import jax.numpy as jnp
import numpy as np

import optnet as on

from . import _rmsa
from ._host import POLLS, to_host
from ._packing import Packing
from ._phase import Phases
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


# The params travel packed, one buffer per dtype (see `Packing`), the state and the key as one
# vector of 32-bit words, and the step's outputs as one vector of the state's float dtype: a jitted
# call on CPU costs microseconds per buffer.
@functools.lru_cache(maxsize=32)
def _jitted(params_packing: Packing, carry: Packing):
    """The jitted reset and step of environments with these packings (one pair per shape, built
    once: static jit arguments would be hashed on every call). `carry` packs `(state, key)`."""

    @jax.jit
    def reset(key, params_buffers):
        params = params_packing.unpack(params_buffers)
        key, sub = on.split_key(key)
        obs, state = _rmsa.reset(sub, params)
        return carry.to_words(carry.pack((state, key))), jnp.concatenate([obs.astype(state.time.dtype), state.mask.astype(state.time.dtype)])

    @jax.jit
    def step(words, action, params_buffers):
        run = Phases()  # each phase its own kernel sequence: 3-4x faster for one env on CPU
        params = run.bind(params_packing.unpack(params_buffers), params_packing, params_buffers)
        buffers = carry.from_words(words)
        state, key = run.bind(carry.unpack(buffers), carry, buffers)
        key, sub = on.split_key(key)
        # the core's observation is left unused (XLA drops its phase): the outputs' phase observes
        _, state, reward, done, info = _rmsa.step(sub, state, action, params, run=run)
        info = {k: info[k] for k in _INT_INFO + _FLOAT_INFO}
        return carry.to_words(run.packed((state, key))), run(_observed_outputs, state, reward, done, info, params)

    return reset, step


def _observed_outputs(state, reward, done, info, params):
    """The observation and `_outputs` in one phase."""
    return _outputs(_rmsa.observation(state, params), state, reward, done, info)


def _outputs(obs, state, reward, done, info):
    """The step's outputs but the state, as one vector of the state's float dtype."""
    dtype = state.time.dtype
    return jnp.concatenate([obs.astype(dtype), state.mask.astype(dtype), _info_vector(info, reward, done, dtype)])


def _info_vector(info, reward, done, dtype):
    """The scalars of a step as `dtype` along a last axis (the ints are small; the bit rate in Gb/s,
    exact), placed by selects on an index vector: one kernel (a stack of them is a kernel per
    scalar on CPU)."""
    info = dict(info, bit_rate=info["bit_rate"] / 1e9)
    values = [info[k] for k in _INT_INFO + _FLOAT_INFO] + [reward, done]
    index = jnp.arange(len(values))
    return sum(jnp.where(index == i, jnp.asarray(v, dtype)[..., None], jnp.zeros((), dtype)) for i, v in enumerate(values))


def _info_dict(vector: np.ndarray) -> dict:
    """`_info_vector` back as a dict (last axis; the leading axes are kept)."""
    n = len(_INT_INFO)
    info = {k: vector[..., i].astype(np.int64) for i, k in enumerate(_INT_INFO)}
    info["accepted"] = info["accepted"].astype(bool)
    info.update({k: vector[..., n + i].astype(np.float64) for i, k in enumerate(_FLOAT_INFO)})
    info["bit_rate"] = info["bit_rate"] * 1e9
    return info


_INT_INFO = ("source", "destination", "accepted", "reason", "path", "first_slot", "n_slots", "format")
_FLOAT_INFO = ("margin_db", "bit_rate", "arrival", "holding", "blocking", "bit_rate_blocking")
_N_INFO = len(_INT_INFO) + len(_FLOAT_INFO) + 2  # + reward, done


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
        packing = Packing.of(self.params)
        self._params_buffers = packing.pack(self.params)
        state = jax.eval_shape(lambda key: _rmsa.reset(key, self.params)[1], jax.random.PRNGKey(0))
        self._carry = Packing.of((state, jax.ShapeDtypeStruct((2,), jnp.uint32)))  # the state and the key
        self._reset_fn, self._step_fn = _jitted(packing, self._carry)
        self._n_obs, self._n_actions = self.params.obs_size, self.params.n_actions
        self._polls = POLLS if self.params.qot_mode == "reach" else 0  # see `to_host`
        # each action as a device scalar, made once: a NumPy scalar argument is copied to the
        # device on every call, which costs 10 µs
        self._actions = list(jax.device_put(np.arange(self._n_actions, dtype=np.int32)))
        self._state = None  # the state's and the key's words (`Packing.to_words`), on the device
        self._mask = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        key = jax.random.PRNGKey(int(self.np_random.integers(0, 2**31 - 1)))
        self._state, out = self._reset_fn(key, self._params_buffers)
        out = to_host(out, self._polls)
        n_obs = self._n_obs
        self._mask = out[n_obs:].astype(bool)
        return out[:n_obs].astype(np.float32), {"action_mask": self._mask.copy()}

    @property
    def state(self) -> _rmsa.RMSAState:
        """The current `RMSAState` (the functional core's)."""
        if self._state is None:
            raise RuntimeError("Call `reset()` first.")
        return self._carry.unpack(self._carry.from_words(self._state))[0]

    def step(self, action):
        if self._state is None:
            raise RuntimeError("Call `reset()` before `step()`.")
        if not (isinstance(action, (int, np.integer)) or (isinstance(action, np.ndarray) and action.shape == ()
                                                          and np.issubdtype(action.dtype, np.integer))) or not 0 <= action < self._n_actions:
            raise ValueError(f"`action` must be an int in [0, {self._n_actions}); got {action!r}.")
        self._state, out = self._step_fn(self._state, self._actions[action], self._params_buffers)
        out = to_host(out, self._polls)
        n_obs, n_actions = self._n_obs, self._n_actions
        self._mask = out[n_obs:n_obs + n_actions].astype(bool)
        tail = out[n_obs + n_actions:]
        values = tail.tolist()  # Python scalars at once (per-key numpy conversions cost more than the step)
        info = {k: int(v) for k, v in zip(_INT_INFO, values)}
        info["accepted"] = bool(info["accepted"])
        info.update(zip(_FLOAT_INFO, values[len(_INT_INFO):]))
        info["bit_rate"] *= 1e9
        info["reason_text"] = REASONS[info["reason"]]
        info["action_mask"] = self._mask.copy()
        return out[:n_obs].astype(np.float32), float(tail[-2]), False, bool(tail[-1]), info

    def action_masks(self) -> np.ndarray:
        """The feasible actions for the current request (bool, `(n_actions,)`)."""
        if self._mask is None:
            raise RuntimeError("Call `reset()` first.")
        return self._mask.copy()
