"""Gauss-Legendre quadrature, the one rule every integral in optnet uses."""

import numpy as np
from jaxtyping import Array, Float


def gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """`n` Gauss-Legendre nodes and weights on [0, 1] (numpy float64)."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


def gauss_panels(edges: Float[Array, "*batch p"], n: int):
    """Nodes and weights of `n`-point Gauss-Legendre rules on the consecutive panels
    [edges_i, edges_i+1], flattened over the panels."""
    x, w = gauss_legendre(n)
    a, b = edges[..., :-1, None], edges[..., 1:, None]
    nodes = a + (b - a) * x
    weights = (b - a) * w
    shape = nodes.shape[:-2] + (-1,)
    return nodes.reshape(shape), weights.reshape(shape)
