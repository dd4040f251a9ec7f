"""Launch-power control on a loaded network: per-lightpath launch powers in, monitored GSNRs and a
throughput or margin reward out; a pure-JAX core (`power_reset`, `power_step`) and `LaunchPowerEnv`."""

import equinox as eqx
import gymnasium
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

import optnet as on

from ._core_env import AbstractCoreEnv

POWER_REWARDS = ("throughput", "min_margin")
GSNR_BOUNDS_DB = (-10.0, 40.0)  # the observation's GSNR range


class LaunchPowerParams(eqx.Module):
    """A loaded network and the control settings.

    **Fields:** `network`, `lightpaths` (routes and slots fixed; their powers are the action),
    `threshold_db` (required SNR of each lightpath's format, dB), `noise_db` (standard deviation of
    the GSNR monitors, dB), and static: `low_dbm`, `high_dbm` (action bounds, dBm per lightpath),
    `start_dbm` (the launch power at reset), `horizon` (steps per episode), `reward`, `gradients`
    (differentiable transitions: False stops gradients through the step), `max_per_link`.
    """

    network: on.Network
    lightpaths: on.Lightpaths
    threshold_db: Float[Array, " lightpaths"]
    noise_db: Float[Array, ""]
    low_dbm: float = eqx.field(static=True)
    high_dbm: float = eqx.field(static=True)
    start_dbm: float = eqx.field(static=True)
    horizon: int = eqx.field(static=True)
    reward: str = eqx.field(static=True)
    gradients: bool = eqx.field(static=True)
    max_per_link: int = eqx.field(static=True)

    @property
    def n(self) -> int:
        return self.lightpaths.capacity


class LaunchPowerState(eqx.Module):
    """Launch powers (W), the last monitored GSNRs (dB) and the step count."""

    power: Float[Array, " lightpaths"]
    gsnr_db: Float[Array, " lightpaths"]
    steps: Int[Array, ""]
    active: Bool[Array, " lightpaths"]


def launch_power_params(
    network: on.Network, *, requests: int = 24, seed: int = 0, bit_rate_gbps: tuple = (50, 150),
    low_dbm: float = -4.0, high_dbm: float = 8.0, start_dbm: float = 2.0, horizon: int = 16,
    reward: str = "throughput", noise_db: float = 0.0, gradients: bool = False,
) -> LaunchPowerParams:
    """Load `network` with `requests` incremental requests (bit rates uniform in `bit_rate_gbps`
    Gb/s) placed by KSP-FF (k = 3, formats by the reach table, whose required SNR at a pre-FEC BER
    of 2e-2 is each lightpath's threshold), and control their powers."""
    if reward not in POWER_REWARDS:
        raise ValueError(f"`reward` must be one of {POWER_REWARDS}; got {reward!r}.")
    if not -20.0 <= low_dbm < high_dbm <= 20.0:
        raise ValueError(f"`low_dbm` < `high_dbm` are launch powers in dBm within [-20, 20]; got {low_dbm}, {high_dbm}.")
    if not low_dbm <= start_dbm <= high_dbm:
        raise ValueError(f"`start_dbm` must lie within [`low_dbm`, `high_dbm`]; got {start_dbm}.")
    if not (isinstance(horizon, int) and horizon >= 1):
        raise ValueError(f"`horizon` must be a positive int; got {horizon!r}.")
    if not 0.0 <= noise_db <= 10.0:
        raise ValueError(f"`noise_db` is the monitors' standard deviation in dB, within [0, 10]; got {noise_db}.")
    topo = network.topology
    paths = on.k_shortest_paths(topo, 3)
    traffic = on.incremental_requests(jax.random.PRNGKey(seed), requests, topo.n_nodes, bit_rate_gbps=bit_rate_gbps)
    placed = on.ksp_first_fit(paths, traffic, network.n_links, network.grid)
    keep = np.flatnonzero(np.asarray(placed.accepted))
    if keep.size == 0:
        raise ValueError("No request could be routed; lower `bit_rate_gbps` or use a larger grid.")
    lp = jax.tree.map(lambda x: x[keep], placed.lightpaths(paths, traffic, power=float(on.dbm_to_watt(start_dbm))))
    row = np.asarray(paths.pair(traffic.source, traffic.destination))[keep]
    bps = np.asarray(paths.bits_per_symbol)[row, np.asarray(placed.path)[keep]]
    threshold_db = 10 * np.log10([on.required_snr(int(b), 2e-2) for b in bps])
    route = np.asarray(lp.route)
    load = np.bincount(route[route >= 0], minlength=network.n_links).max()
    return LaunchPowerParams(
        network, lp, jnp.asarray(threshold_db), jnp.asarray(float(noise_db)), float(low_dbm),
        float(high_dbm), float(start_dbm), horizon, reward, gradients, int(max(8, load)),
    )


def _observe(key, params: LaunchPowerParams, power):
    """Evaluate the network at `power` (W): the monitored GSNR (dB, with noise) and the reward."""
    result = params.network(params.lightpaths.with_power(power), max_per_link=params.max_per_link)
    gsnr_db = jnp.where(result.active, result.gsnr_db, GSNR_BOUNDS_DB[0])
    monitored = gsnr_db + params.noise_db * jax.random.normal(key, gsnr_db.shape, gsnr_db.dtype)
    if params.reward == "throughput":
        reward = result.total_throughput() / 1e12  # Tb/s
    else:
        reward = jnp.min(jnp.where(result.active, gsnr_db - params.threshold_db, jnp.inf))  # dB
    if not params.gradients:
        monitored, reward = jax.lax.stop_gradient((monitored, reward))
    return monitored, reward


def power_observation(state: LaunchPowerState, params: LaunchPowerParams) -> Float[Array, " obs"]:
    """Monitored GSNRs (dB, clipped to `GSNR_BOUNDS_DB`) then launch powers (dBm), float32."""
    gsnr = jnp.clip(state.gsnr_db, *GSNR_BOUNDS_DB)
    dbm = jnp.clip(on.watt_to_dbm(state.power), params.low_dbm, params.high_dbm)
    return jnp.concatenate([gsnr, dbm]).astype(jnp.float32)


def power_reset(key: PRNGKeyArray, params: LaunchPowerParams):
    """Every lightpath at `start_dbm`; returns `(obs, state)`."""
    power = jnp.full(params.n, on.dbm_to_watt(params.start_dbm))
    gsnr_db, _ = _observe(key, params, power)
    state = LaunchPowerState(power, gsnr_db, jnp.int32(0), params.lightpaths.active)
    return power_observation(state, params), state


def power_step(key: PRNGKeyArray, state: LaunchPowerState, action: Float[Array, " lightpaths"], params: LaunchPowerParams):
    """Set the launch powers to `action` (dBm per lightpath, clipped to the bounds); returns
    `(obs, state, reward, done, info)`. Differentiable in `action` with `gradients=True`."""
    dbm = jnp.clip(jnp.asarray(action), params.low_dbm, params.high_dbm)
    power = on.dbm_to_watt(dbm)
    gsnr_db, reward = _observe(key, params, power)
    state = LaunchPowerState(power, gsnr_db, state.steps + 1, state.active)
    done = state.steps >= params.horizon
    return power_observation(state, params), state, reward, done, {"min_gsnr_db": jnp.min(gsnr_db)}


class LaunchPowerEnv(AbstractCoreEnv):
    """Set the launch power of every lightpath of a loaded network, one setting per step.

    - **Action:** `Box(low_dbm, high_dbm, (lightpaths,))`, dBm per lightpath (default [-4, 8]).
    - **Observation:** `Box`: the monitored GSNR of each lightpath in dB (within [-10, 40], with
      Gaussian monitor noise of `noise_db`), then the launch powers in dBm.
    - **Reward:** "throughput": the network's Shannon throughput in Tb/s; "min_margin": the
      smallest GSNR margin over the lightpaths' required SNR, dB.
    - **Episode:** `horizon` steps, then `truncated=True`.

    The load: `requests` incremental requests on `network` (default NSFNET, C band) placed by
    KSP-FF; see `launch_power_params` for the other keywords.
    """

    action_unit = "launch powers in dBm"

    def __init__(self, network: on.Network | None = None, *, topology: str = "nsfnet", **kwargs):
        if network is None:
            from optnet.io import load_topology

            network = on.Network(load_topology(topology))
        self.params = launch_power_params(network, **kwargs)
        n, p = self.params.n, self.params
        self.action_space = gymnasium.spaces.Box(p.low_dbm, p.high_dbm, (n,), np.float32)
        low = np.concatenate([np.full(n, GSNR_BOUNDS_DB[0]), np.full(n, p.low_dbm)]).astype(np.float32)
        high = np.concatenate([np.full(n, GSNR_BOUNDS_DB[1]), np.full(n, p.high_dbm)]).astype(np.float32)
        self.observation_space = gymnasium.spaces.Box(low, high, (2 * n,), np.float32)
        self._reset = eqx.filter_jit(power_reset)
        self._step = eqx.filter_jit(power_step)
