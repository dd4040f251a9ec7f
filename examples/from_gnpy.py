"""Bring a GNPy network to optnet: read GNPy's equipment library and topology JSON, evaluate every
channel's GSNR along a path, take the gradient of the mean GSNR with respect to the launch powers,
and write the network back to GNPy's JSON.

Run `python examples/from_gnpy.py [EQUIPMENT TOPOLOGY]` (default: the GNPy-format fixtures in
tests/data/gnpy, a three-ROADM ring); add `--fast` for the smoke run the tests use.
"""

import json
import pathlib
import sys
import tempfile

import equinox as eqx
import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)
import optnet as on  # noqa: E402
from optnet.io import load_gnpy_equipment, load_gnpy_network, to_gnpy  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "gnpy"


def main(equipment=DATA / "eqpt_config.json", topology=DATA / "ring.json", fast: bool = False):
    eq = load_gnpy_equipment(equipment)
    g = load_gnpy_network(topology, eq)
    top = g.network.topology
    print(f"{top.name}: {top.n_nodes} nodes, {top.n_links} links, {g.spectrum.n_channels} channels")
    for link in g.links:
        nfs = [f"{10 * jnp.log10(s.amplifier.noise_figure):.2f}" for s in link.spans]
        extra = f" (designed: {', '.join(link.auto_amplifiers)})" if link.auto_amplifiers else ""
        print(f"  {link.source} -> {link.target}: {len(link.spans)} spans, NF {nfs} dB{extra}")
    path = [top.nodes[top.source[0]], top.nodes[top.target[0]]]
    if not fast and top.n_links > 1:
        nxt = next((k for k in range(top.n_links) if top.nodes[top.source[k]] == path[-1] and top.nodes[top.target[k]] != path[0]), None)
        if nxt is not None:
            path.append(top.nodes[top.target[nxt]])
    lightpaths = g.lightpaths(path)
    gsnr = g.network(lightpaths).gsnr_db
    print(f"path {' -> '.join(path)}: GSNR {float(gsnr.min()):.2f} to {float(gsnr.max()):.2f} dB")

    def mean_gsnr(p_dbm):
        lp = eqx.tree_at(lambda l: l.power, lightpaths, on.dbm_to_watt(p_dbm))
        return jnp.mean(g.network(lp).gsnr_db)

    p0 = on.watt_to_dbm(lightpaths.power)
    grad = jax.grad(mean_gsnr)(p0)
    print(f"d(mean GSNR)/d(launch power): {float(grad.sum()):+.3f} dB/dB (all channels together)")
    topology_json, equipment_json = to_gnpy(g.network, g.spectrum)
    out = pathlib.Path(tempfile.mkdtemp(prefix="optnet_gnpy_"))
    (out / "topology.json").write_text(json.dumps(topology_json, indent=1))
    (out / "eqpt_config.json").write_text(json.dumps(equipment_json, indent=1))
    back = load_gnpy_network(out / "topology.json", out / "eqpt_config.json")
    same = float(jnp.max(jnp.abs(back.network(back.lightpaths(path)).gsnr_db - gsnr)))
    print(f"written back to {out}; read again, the GSNRs differ by {same:.1e} dB")
    return gsnr, same


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--fast"]
    main(*(pathlib.Path(a) for a in args[:2]), fast="--fast" in sys.argv)
