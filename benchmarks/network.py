"""Network benchmarks (post-compile, this machine): GSNR of every lightpath on NSFNET (C band, 200
lightpaths) forward and gradient w.r.t. all launch powers, both per-link bound modes; KSP-FF
requests/s without physics and with the GN QoT check; a sweep of launch-power plans on 1 vs 8
simulated devices; with `--large`, a 500-node Gabriel graph with 20,000 lightpaths.
Run `python benchmarks/network.py [--x64] [--large]`."""

import os
import resource
import subprocess
import sys
import time

if "--devices" in sys.argv:  # the sweep child process: devices must be set before JAX starts
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={sys.argv[sys.argv.index('--devices') + 1]}"

import jax

jax.config.update("jax_enable_x64", "--x64" in sys.argv)
import jax.numpy as jnp

import optnet as on
from optnet.io import load_topology

sys.path.insert(0, os.path.dirname(__file__))
from dispatch import best_of


def nsfnet_lightpaths(n=200):
    topo = load_topology("nsfnet")
    net = on.Network(topo)
    paths = on.k_shortest_paths(topo, 5)
    req = on.incremental_requests(jax.random.PRNGKey(0), n, topo.n_nodes, bit_rate_gbps=(100, 400))
    lp = on.ksp_first_fit(paths, req, topo.n_links, net.grid).lightpaths(paths, req)
    return topo, net, paths, lp


def physics():
    topo, net, paths, lp = nsfnet_lightpaths()
    print(f"NSFNET, C band ({net.grid.n_slots} slots), {int(lp.active.sum())} lightpaths")
    print(f"{'max_per_link':>12} {'compile [s]':>11} {'forward [ms]':>12} {'grad compile [s]':>16} {'gradient [ms]':>13}")
    for mode in (None, "per_link"):
        t0 = time.perf_counter()
        jax.block_until_ready(net(lp, max_per_link=mode).gsnr)
        compile_s = time.perf_counter() - t0
        forward = best_of(lambda: net(lp, max_per_link=mode).gsnr, reps=20)
        grad = jax.jit(jax.grad(lambda p: net(lp.with_power(p), max_per_link=mode).total_throughput()))
        t0 = time.perf_counter()
        jax.block_until_ready(grad(lp.power))
        grad_compile = time.perf_counter() - t0
        gradient = best_of(grad, lp.power, reps=20)
        print(f"{mode!s:>12} {compile_s:>11.2f} {forward:>12.3f} {grad_compile:>16.2f} {gradient:>13.3f}")
    return topo, net, paths


def routing(topo, net, paths):
    req = on.poisson_requests(jax.random.PRNGKey(1), 100_000, topo.n_nodes, 250.0)
    on.ksp_first_fit(paths, req, topo.n_links, 100).accepted.block_until_ready()
    t0 = time.perf_counter()
    on.ksp_first_fit(paths, req, topo.n_links, 100).accepted.block_until_ready()
    print(f"KSP-FF without physics: {100_000 / (time.perf_counter() - t0):,.0f} requests/s (100,000 requests, 250 E)")
    traffic = on.incremental_requests(jax.random.PRNGKey(2), 150, topo.n_nodes, bit_rate_gbps=(100, 600))
    jax.block_until_ready(on.qot_first_fit(net, paths, traffic, max_per_link=32))
    t0 = time.perf_counter()
    q = jax.block_until_ready(on.qot_first_fit(net, paths, traffic, max_per_link=32))
    wall = time.perf_counter() - t0
    print(f"QoT-aware KSP-FF (GN check on every candidate): {150 / wall:,.0f} requests/s, "
          f"{int(q.evaluations.sum()) / wall:,.0f} candidates/s (150 requests, C band)")


def sweep_child():
    topo, net, paths, lp = nsfnet_lightpaths()
    plans = lp.power * jnp.linspace(0.5, 2.0, 64)[:, None]
    fn = lambda p: net(lp.with_power(p), max_per_link=32).total_throughput()
    jax.block_until_ready(on.sweep(fn, plans))
    t0 = time.perf_counter()
    jax.block_until_ready(on.sweep(fn, plans))
    print(f"{jax.device_count():>8} {64 / (time.perf_counter() - t0):>14.1f}")


def large():
    topo = on.Topology.from_topohub("gabriel/500/0", route_factor=2.0)
    grid = on.SlotGrid.c_plus_l()
    t0 = time.perf_counter()
    paths = on.k_shortest_paths(topo, 1)
    print(f"Gabriel 500 nodes ({topo.n_links} fibres, route factor 2), shortest paths of all pairs: {time.perf_counter() - t0:.1f} s")
    req = on.incremental_requests(jax.random.PRNGKey(0), 20_000, topo.n_nodes)
    lp = on.ksp_first_fit(paths, req, topo.n_links, grid, guard=0).lightpaths(paths, req)
    net = on.Network(topo, grid=grid, nli=on.ClosedFormGN(min_span_loss_db=0.0))
    t0 = time.perf_counter()
    jax.block_until_ready(net(lp, max_per_link="per_link").gsnr)
    compile_s = time.perf_counter() - t0
    forward = best_of(lambda: net(lp, max_per_link="per_link").gsnr, reps=1)
    print(f"{int(lp.active.sum())} lightpaths (C+L, {grid.n_slots} slots): compile {compile_s:.1f} s, forward {forward / 1e3:.2f} s, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


def main():
    if "--devices" in sys.argv:
        return sweep_child()
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, {'float64' if jax.config.jax_enable_x64 else 'float32'}")
    topo, net, paths = physics()
    routing(topo, net, paths)
    print(f"{'devices':>8} {'plans/s':>14}  (64 launch-power plans, NSFNET 200 lightpaths)")
    for devices in (1, 8):
        subprocess.run([sys.executable, __file__, "--devices", str(devices)] + [a for a in sys.argv[1:] if a == "--x64"], check=True)
    if "--large" in sys.argv:
        large()


if __name__ == "__main__":
    main()
