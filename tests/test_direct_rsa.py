"""Direct gradient-based RSA: the straight-through count equals the discrete one, the repair from
no preference is KSP-FF, and the optimiser never ends below its start."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import optnet as on
from optnet.io import load_topology


@pytest.fixture(scope="module")
def problem():
    topo = load_topology("nsfnet_direct_rsa")
    paths = on.k_shortest_paths(topo, 3)
    req = on.incremental_requests(jax.random.PRNGKey(3), 120, topo.n_nodes)
    kspff = on.ksp_first_fit(paths, req, topo.n_links, 8, guard=0)  # 8 slots: about half blocked
    return on.RsaProblem.build(paths, req, topo.n_links, 8), kspff


def test_repair_from_no_preference_is_ksp_ff(problem):
    prob, kspff = problem
    logits = on.first_fit_logits(prob)
    hard = on.accepted_requests(prob, logits)
    np.testing.assert_array_equal(np.asarray(hard, bool), np.asarray(kspff.accepted))
    assert 0.3 * 120 < kspff.accepted.sum() < 0.9 * 120
    # the straight-through count has the same forward value at any temperature
    np.testing.assert_array_equal(on.accepted_requests(prob, logits, temperature=0.3), hard)


def test_straight_through_gradient_is_finite(problem):
    prob, _ = problem
    g = jax.grad(lambda x: jnp.sum(on.accepted_requests(prob, x, temperature=0.5)))(jnp.zeros(prob.shape))
    assert np.all(np.isfinite(np.asarray(g))) and np.any(np.asarray(g) != 0)


@pytest.mark.slow
def test_example_fast_mode():
    """`examples/direct_rsa.py --fast` (200 requests, two short rounds) runs and keeps its promises."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "direct_rsa.py"
    spec = importlib.util.spec_from_file_location("direct_rsa_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    (row,) = example.main(["--fast", "--seeds", "1"])
    # never below the start; from scratch within 3 % of KSP-FF; the gradient alone spreads the
    # all-zero start (every request on one action) over many actions
    assert row["from_ksp_ff"] >= row["ksp_ff"] and row["scratch"] >= 0.97 * row["ksp_ff"]
    assert row["scratch_gradient_only"] > 10
