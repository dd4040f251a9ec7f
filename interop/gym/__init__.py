"""Gymnasium environments on optnet networks: `RMSAEnv` (dynamic RMSA with QoT-aware action
masks), its natively batched `RMSAVectorEnv` and the pure-JAX core they share (`reset`, `step`);
`LaunchPowerEnv` (continuous launch-power control; core `power_reset`, `power_step`). Importing
`interop` registers "optnet/RMSA-v0" and "optnet/LaunchPower-v0"."""

from ._env import RMSAEnv as RMSAEnv, make_network as make_network
from ._launch_power import (
    LaunchPowerEnv as LaunchPowerEnv,
    LaunchPowerParams as LaunchPowerParams,
    LaunchPowerState as LaunchPowerState,
    launch_power_params as launch_power_params,
    power_reset as power_reset,
    power_step as power_step,
)
from ._qot import QotTables as QotTables, qot_tables as qot_tables
from ._rmsa import (
    REASONS as REASONS,
    RMSAParams as RMSAParams,
    RMSAState as RMSAState,
    observation as observation,
    reset as reset,
    rmsa_params as rmsa_params,
    step as step,
)
from ._vector import RMSAVectorEnv as RMSAVectorEnv


def register_envs() -> None:
    """Register the environments with Gymnasium (done on `import interop`)."""
    import gymnasium

    if "optnet/RMSA-v0" not in gymnasium.registry:
        gymnasium.register("optnet/RMSA-v0", entry_point="interop.gym:RMSAEnv", vector_entry_point="interop.gym:RMSAVectorEnv")
    if "optnet/LaunchPower-v0" not in gymnasium.registry:
        gymnasium.register("optnet/LaunchPower-v0", entry_point="interop.gym:LaunchPowerEnv")
