"""Direct gradient-based RSA on NSFNET (seed 001's setting): 2,000 incremental requests of one slot
each, 100 slots per link (undirected links), k = 5 candidate paths. The (path, slot) action of
every request is a continuous parameter; Adam climbs the straight-through count of accepted
requests, alternated with a discrete repair (blocked requests move to their first free action),
keeping the best solution seen.

    python examples/direct_rsa.py [--seeds 5] [--fast] [--dynamic]

`--dynamic` uses the 25-100 Gb/s requests of the dynamic setting (reach-table formats, 1 guard
slot) instead of one slot each; `--fast` runs 200 requests and two short rounds (for the tests).
"""

import argparse
import time

import jax

import optnet as on
from optnet.io import load_topology


def run(seed: int, n_requests: int, rounds: int, steps: int, dynamic: bool) -> dict:
    topo = load_topology("nsfnet_direct_rsa")
    paths = on.k_shortest_paths(topo, 5)
    key = jax.random.PRNGKey(seed)
    if dynamic:
        req = on.incremental_requests(key, n_requests, topo.n_nodes, bit_rate_gbps=(25, 100))
        guard = 1
    else:
        req = on.incremental_requests(key, n_requests, topo.n_nodes)
        guard = 0
    kspff = int(on.ksp_first_fit(paths, req, topo.n_links, 100, guard=guard).accepted.sum())
    problem = on.RsaProblem.build(paths, req, topo.n_links, 100, guard=guard)
    t0 = time.perf_counter()
    scratch = on.direct_rsa(problem, rounds=rounds, steps=steps)
    pure = on.direct_rsa(problem, rounds=rounds, steps=steps, repair=False)
    # the KSP-FF solution as soft preferences (small logits), which the gradient can still move
    refined = on.direct_rsa(problem, on.first_fit_logits(problem, scale=0.3), rounds=rounds, steps=steps)
    return {"seed": seed, "ksp_ff": kspff, "scratch": int(scratch.accepted), "scratch_gradient_only": int(pure.accepted),
            "from_ksp_ff": int(refined.accepted), "seconds": time.perf_counter() - t0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--dynamic", action="store_true")
    args = parser.parse_args(argv)
    n, rounds, steps = (200, 2, 3) if args.fast else (2000, 8, 10)
    print(f"{'seed':>4} {'KSP-FF':>7} {'scratch':>8} {'(gradient only)':>15} {'from KSP-FF':>11} {'time [s]':>9}")
    rows = []
    for seed in range(args.seeds):
        r = run(seed, n, rounds, steps, args.dynamic)
        rows.append(r)
        print(f"{r['seed']:>4} {r['ksp_ff']:>7} {r['scratch']:>8} {r['scratch_gradient_only']:>15} {r['from_ksp_ff']:>11} {r['seconds']:>9.1f}")
    return rows


if __name__ == "__main__":
    main()
