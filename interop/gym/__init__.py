"""Gymnasium environments on optnet networks: `RMSAEnv` (dynamic RMSA with QoT-aware action
masks), its natively batched `RMSAVectorEnv` and the pure-JAX core they share (`reset`, `step`);
and the continuous-control envs `LaunchPowerEnv` (launch powers on a loaded network),
`RamanPumpEnv` (pump powers of a Raman link) and `SuperchannelEnv` (subchannel placement on an
`interop.feedback` plant), each with a pure-JAX core. Importing `interop` registers them as
"optnet/RMSA-v0", "optnet/LaunchPower-v0", "optnet/RamanPumps-v0" and "optnet/Superchannel-v0"."""

from ._env import RMSAEnv as RMSAEnv, make_network as make_network
from ._launch_power import (
    LaunchPowerEnv as LaunchPowerEnv,
    LaunchPowerParams as LaunchPowerParams,
    LaunchPowerState as LaunchPowerState,
    launch_power_params as launch_power_params,
    power_reset as power_reset,
    power_step as power_step,
)
from ._raman_pumps import (
    RamanPumpEnv as RamanPumpEnv,
    RamanPumpParams as RamanPumpParams,
    pumps_reset as pumps_reset,
    pumps_step as pumps_step,
)
from ._superchannel_env import (
    PlacementParams as PlacementParams,
    SuperchannelEnv as SuperchannelEnv,
    distances_of as distances_of,
    placement_reset as placement_reset,
    placement_step as placement_step,
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
    for name, cls in (("LaunchPower", "LaunchPowerEnv"), ("RamanPumps", "RamanPumpEnv"), ("Superchannel", "SuperchannelEnv")):
        if f"optnet/{name}-v0" not in gymnasium.registry:
            gymnasium.register(f"optnet/{name}-v0", entry_point=f"interop.gym:{cls}")
