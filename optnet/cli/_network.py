"""`optnet network-demo` (the `make demo` command): QoT-aware routing on NSFNET, then per-lightpath
launch powers optimised by gradient against the best uniform power."""

import json
import pathlib
import time

import typer

from ._output import console, require_x64


def network_demo(
    out: pathlib.Path = typer.Option(pathlib.Path("demo_out"), help="Folder for the PNG and JSON outputs."),
    topology: str = typer.Option("nsfnet", help="A shipped topology: nsfnet, cost239, usnet, jpn48."),
    requests: int = typer.Option(150, min=1, max=2000, help="Connection requests (100-600 Gb/s), routed in order."),
    steps: int = typer.Option(150, min=1, max=5000, help="Adam steps on the launch powers."),
    learning_rate: float = typer.Option(0.1, min=1e-4, max=10.0, help="Adam learning rate (dB per step scale)."),
    margin_db: float = typer.Option(1.0, min=0.0, max=10.0, help="QoT margin over the format's required SNR (dB)."),
    seed: int = typer.Option(0, help="Seed of the traffic."),
):
    """Route a traffic set on a C-band network by QoT-aware KSP-FF (formats from the GN-model GSNR),
    then maximise the network's Shannon throughput over every lightpath's launch power (with ISRS,
    link by link) and compare with the best uniform launch power."""
    require_x64()
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    import optnet as on
    from optnet.io import load_topology

    from ._plots import plot_network_demo

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    topo = load_topology(topology)
    net = on.Network(topo)
    paths = on.k_shortest_paths(topo, 5)
    traffic = on.incremental_requests(jax.random.PRNGKey(seed), requests, topo.n_nodes, bit_rate_gbps=(100, 600))
    routed = on.qot_first_fit(net, paths, traffic, margin_db=margin_db, max_per_link=64)
    lp = routed.lightpaths
    active = np.asarray(lp.active)
    console.print(f"{topo.name}: {topo.n_nodes} nodes, {topo.n_links} fibres, C band ({net.grid.n_slots} slots); "
                  f"QoT-aware KSP-FF placed {active.sum()} of {requests} requests "
                  f"({int(routed.evaluations.sum())} candidates evaluated)", markup=False)

    def throughput(p):  # Tb/s
        return net(lp.with_power(p)).total_throughput() / 1e12

    # the uniform design: the best common launch power, from a sweep of 31 levels
    levels = jnp.linspace(-4.0, 4.0, 31)
    swept = on.sweep(lambda dbm: throughput(jnp.full(lp.capacity, on.dbm_to_watt(dbm))), levels)
    best = float(levels[int(jnp.argmax(swept))])
    uniform = jnp.full(lp.capacity, on.dbm_to_watt(best))
    # per-lightpath powers in dB about the uniform optimum, bounded to +-6 dB
    res = on.maximise(lambda x: throughput(uniform * 10 ** (0.6 * jnp.tanh(x / 6))), jnp.zeros(lp.capacity),
                      optax.adam(learning_rate), steps=steps)
    optimised = uniform * 10 ** (0.6 * jnp.tanh(res.value / 6))
    before, after = net(lp.with_power(uniform)), net(lp.with_power(optimised))
    margin = [np.where(active, np.asarray(r.gsnr_db) - np.asarray(on.linear_to_db(jnp.maximum(routed.threshold, 1e-30))), np.nan)
              for r in (before, after)]
    t_before, t_after = float(before.total_throughput()) / 1e12, float(after.total_throughput()) / 1e12
    wall = time.perf_counter() - t0
    console.print(
        f"Shannon throughput: uniform {best:+.2f} dBm {t_before:.2f} Tb/s -> per-lightpath powers {t_after:.2f} Tb/s "
        f"({100 * (t_after / t_before - 1):+.2f} %); min margin {np.nanmin(margin[0]):.2f} -> {np.nanmin(margin[1]):.2f} dB; "
        f"launch powers {float(on.watt_to_dbm(optimised[active].min())):+.2f} to {float(on.watt_to_dbm(optimised[active].max())):+.2f} dBm; "
        f"{wall:.1f} s in all; outputs in {out}/",
        markup=False,
    )
    plot_network_demo(out / "network_demo.png", topo, lp, before, after, margin,
                      f"{topo.name}, {active.sum()} lightpaths, C band: uniform {best:+.1f} dBm vs optimised powers")
    (out / "network_demo.json").write_text(json.dumps({
        "topology": topo.name,
        "accepted": int(active.sum()),
        "uniform_power_dBm": best,
        "throughput_Tbps": {"uniform": t_before, "optimised": t_after},
        "history_Tbps": np.asarray(res.history).tolist(),
        "gsnr_dB": {"uniform": np.asarray(before.gsnr_db)[active].tolist(), "optimised": np.asarray(after.gsnr_db)[active].tolist()},
        "launch_power_dBm": np.asarray(on.watt_to_dbm(optimised))[active].tolist(),
    }, indent=1))
