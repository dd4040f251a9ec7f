"""Exports of optnet models: Gymnasium environments and feedback-loop optimisers (to come)."""

import optnet as optnet
