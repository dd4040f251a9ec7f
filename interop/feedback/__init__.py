"""Feedback-loop optimisation of superchannel subchannel frequencies: plants, the stochastic
subgradient method with monitoring probes, brute force and model-based (digital-twin) optimisers."""

from ._plant import (
    CallbackPlant as CallbackPlant,
    ModelPlant as ModelPlant,
    PlantUnresponsive as PlantUnresponsive,
    ProbeFailed as ProbeFailed,
    ProbeLog as ProbeLog,
    ProbeRecord as ProbeRecord,
    Prober as Prober,
)
from ._search import (
    GridResult as GridResult,
    ModelOptimum as ModelOptimum,
    TwinResult as TwinResult,
    brute_force as brute_force,
    digital_twin as digital_twin,
    optimise_model as optimise_model,
    snap as snap,
)
from ._subgradient import (
    MEAN_SNR as MEAN_SNR,
    MIN_SNR as MIN_SNR,
    FeedbackResult as FeedbackResult,
    Objective as Objective,
    StochasticSubgradient as StochasticSubgradient,
    feasible as feasible,
    objective_from as objective_from,
    shift as shift,
)
