"""Exports of optnet models: feedback-loop optimisers (`interop.feedback`); Gymnasium environments to come.
interop imports optnet, never the reverse."""

from . import feedback as feedback
