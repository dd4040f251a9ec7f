"""KSP-FF (k = 5) service blocking on NSFNET in the DeepRMSA benchmark setting (directed fibres,
100 slots of 12.5 GHz, 1 guard slot, 25-100 Gb/s, truncated exponential holding, paths tried in
order of spectral resources), against the published figures. Each load runs `--seeds` seeds of
`--requests` requests after a warm-up of 3,000; the table gives the mean and its 95 % interval
(Student t over seeds). Options: `--order hops|length|resources`. Run
`python benchmarks/blocking.py [--seeds 10] [--requests 40000]`."""

import argparse
import time

import jax
import numpy as np
from scipy import stats

import optnet as on
from optnet.io import load_topology

PUBLISHED = {190: 2.1e-3, 210: 6.2e-3, 230: 1.4e-2, 250: 2.5e-2, 270: 3.9e-2}
SPREAD = {190: 0.20, 210: 0.13, 230: 0.09, 250: 0.06, 270: 0.05}  # tie-break spread (1 sd), README
WARMUP = 3000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40_000)
    parser.add_argument("--order", default="resources")
    args = parser.parse_args()
    topo = load_topology("nsfnet")
    paths = on.k_shortest_paths(topo, 5, order=args.order)
    n = args.requests + WARMUP
    print(f"NSFNET, KSP-FF k=5, order={args.order}, {args.seeds} seeds x {args.requests} requests")
    print(f"{'load [E]':>8} {'optnet':>10} {'95% interval':>22} {'published':>10} {'ratio':>6} {'req/s':>8}")
    for load, published in PUBLISHED.items():
        values, rate = [], []
        for seed in range(args.seeds):
            req = on.poisson_requests(jax.random.PRNGKey(seed), n, topo.n_nodes, float(load))
            jax.block_until_ready(req)
            t0 = time.perf_counter()
            alloc = on.ksp_first_fit(paths, req, topo.n_links, 100)
            values.append(float(alloc.blocking(WARMUP)))
            rate.append(n / (time.perf_counter() - t0))
        v = np.asarray(values)
        half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else np.nan
        print(f"{load:>8} {v.mean():>10.2e} {f'[{v.mean() - half:.2e}, {v.mean() + half:.2e}]':>22} "
              f"{published:>10.1e} {v.mean() / published:>6.2f} {np.median(rate):>8.0f}")


if __name__ == "__main__":
    main()
