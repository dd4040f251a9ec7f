"""Exports of optnet models: feedback-loop optimisers (`interop.feedback`); Gymnasium environments to come."""

import optnet as optnet

from . import feedback as feedback
