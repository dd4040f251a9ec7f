"""Exports of optnet models: Gymnasium environments (`interop.gym`, registered as "optnet/RMSA-v0"
when gymnasium is installed) and feedback-loop optimisers (`interop.feedback`).
interop imports optnet, never the reverse."""

import importlib.util

from . import feedback as feedback

if importlib.util.find_spec("gymnasium") is not None:
    from . import gym as gym

    gym.register_envs()
