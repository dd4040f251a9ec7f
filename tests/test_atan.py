"""The polynomial arctan of the closed forms (Cephes) against numpy's, in both precisions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from optnet._atan import atan


@pytest.mark.parametrize("dtype, ulps", [(np.float64, 2), (np.float32, 3)])
def test_atan_matches_numpy_to_a_few_ulp(dtype, ulps):
    x = np.concatenate([np.linspace(-5, 5, 20_001), np.logspace(-30, 30, 2_001), -np.logspace(-30, 30, 2_001),
                        [0.0, 0.4142135, 0.66, 2.4142135, 1.0, -1.0]]).astype(dtype)
    got = np.asarray(jax.jit(atan)(jnp.asarray(x)))
    assert got.dtype == dtype
    ref = np.arctan(x.astype(np.float64))
    assert np.all(np.abs(got - ref) <= ulps * np.spacing(np.abs(ref).astype(dtype)).astype(np.float64) + 1e-300)


def test_atan_special_values_and_derivative():
    x = jnp.asarray([0.0, np.inf, -np.inf, np.nan])
    got = np.asarray(atan(x))
    assert got[0] == 0 and got[1] == np.pi / 2 and got[2] == -np.pi / 2 and np.isnan(got[3])
    for v in (-30.0, -0.5, 0.0, 0.3, 0.9, 3.0):
        assert float(jax.grad(atan)(v)) == pytest.approx(1 / (1 + v * v), rel=1e-15)
