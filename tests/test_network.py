"""Networks: topologies, lightpaths and their link-by-link GSNR, checked against `GNLink`."""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import JIT_ERRORS

import optnet as on
from optnet.io import SHIPPED, load_topology

GRID = on.SlotGrid.uniform(100)


@pytest.fixture(scope="module")
def nsfnet():
    return load_topology("nsfnet")


@pytest.fixture(scope="module")
def net(nsfnet):
    return on.Network(nsfnet, grid=GRID)


@pytest.fixture(scope="module")
def routed(nsfnet, net):
    """40 lightpaths placed by KSP-FF (incremental loading), 25-400 Gb/s."""
    paths = on.k_shortest_paths(nsfnet, 3)
    req = on.incremental_requests(jax.random.PRNGKey(1), 40, nsfnet.n_nodes, bit_rate_gbps=(25, 400))
    alloc = on.ksp_first_fit(paths, req, nsfnet.n_links, GRID.n_slots)
    return alloc.lightpaths(paths, req)


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_topologies(name):
    topo = load_topology(name)
    facts = {"nsfnet": (14, 22, 21_300), "cost239": (11, 26, 30_090), "usnet": (24, 43, 13_216),
             "jpn48": (48, 82, 18_920), "nsfnet_direct_rsa": (14, 22, 20_800)}[name]
    pairs = topo.n_links // (2 if topo.directed else 1)
    km = sum(topo.length) / 1e3 / (2 if topo.directed else 1)
    assert (topo.n_nodes, pairs, round(km)) == facts
    assert topo.directed == (name != "nsfnet_direct_rsa")
    assert topo.coordinates is not None and len(topo.coordinates) == topo.n_nodes


def test_networkx_and_topohub_constructors(nsfnet):
    again = on.Topology.from_networkx(nsfnet.to_networkx(), name="nsfnet")
    assert sorted(zip(again.source, again.target, again.length)) == sorted(zip(nsfnet.source, nsfnet.target, nsfnet.length))
    g = on.Topology.from_topohub("gabriel/25/0", route_factor=1.5)
    assert g.n_nodes == 25 and g.n_links == 2 * 40
    plain = on.Topology.from_topohub("gabriel/25/0")
    np.testing.assert_allclose(np.array(g.length), 1.5 * np.array(plain.length))
    # a great-circle length from the node positions: Paris-London is 344 km
    import networkx as nx

    graph = nx.Graph()
    graph.add_node("PAR", pos=(2.3522, 48.8566))
    graph.add_node("LON", pos=(-0.1276, 51.5072))
    graph.add_edge("PAR", "LON")
    t = on.Topology.from_networkx(graph, route_factor=1.0)
    assert t.length[0] == pytest.approx(343.6e3, rel=3e-3)


def test_one_hop_lightpaths_match_gnlink(nsfnet, net):
    """Lightpaths sharing one link: the network's GSNR is that link's `GNLink` plus the ROADMs."""
    lp = on.Lightpaths.from_paths(nsfnet, [["WA", "CA1"]] * 4, first_slot=[0, 10, 30, 60], n_slots=3,
                                  grid=GRID, symbol_rate=32e9, power_dbm=[0.0, 1.0, -1.0, 2.0], modulation="16QAM",
                                  max_hops=2)
    result = net(lp)
    link = net.link(nsfnet.link_index("WA", "CA1"))
    spectrum = on.Spectrum(lp.centre_frequency(GRID), 32e9, lp.power, 0.0, on.EXCESS_KURTOSIS["16QAM"])
    expected = 1 / (1 / link(spectrum).gsnr + net.roadm.nsr(spectrum.frequency, 32e9, lp.power))
    np.testing.assert_allclose(result.gsnr, expected, rtol=1e-12)


def test_interferers_differ_link_by_link(nsfnet, net):
    """A two-hop lightpath sees on each link only the lightpaths present there: its NSR is the
    sum of the two links' NSR, each computed by `GNLink` on that link's own channels."""
    lp = on.Lightpaths.from_paths(
        nsfnet, [["WA", "CA1", "CA2"], ["WA", "CA1"], ["CA1", "CA2"], ["UT", "CO"]],
        first_slot=[20, 23, 17, 20], n_slots=3, grid=GRID, symbol_rate=32e9, power_dbm=[1.0, 3.0, 2.0, 0.0],
    )  # the same table shape as above: one compilation
    result = net(lp)
    f = lp.centre_frequency(GRID)
    nsr = 0.0
    for hop, other in (("WA", "CA1"), 1), (("CA1", "CA2"), 2):
        link = net.link(nsfnet.link_index(*hop))
        spectrum = on.Spectrum(f[jnp.array([0, other])], 32e9, lp.power[jnp.array([0, other])])
        nsr = nsr + 1 / link(spectrum).gsnr[0]
    nsr_roadm = net.roadm.path_nsr(f[0], 32e9, lp.power[0], 1)
    np.testing.assert_allclose(result.gsnr[0], 1 / (nsr + nsr_roadm), rtol=1e-12)
    assert result.gsnr[0] < result.gsnr[1]


def test_routed_network_gradient(net, routed):
    """A routed load: finite GSNR, gradient against finite differences, and removing a lightpath
    as a pure function."""
    result = net(routed)
    on_ = np.asarray(routed.active)
    assert on_.sum() > 30
    assert np.all(np.isfinite(np.asarray(result.gsnr_db)[on_])) and np.all(np.asarray(result.gsnr)[~on_] == 0)

    def objective(p):
        return net(routed.with_power(p)).total_throughput() / 1e12

    g = jax.grad(objective)(routed.power)
    assert np.all(np.isfinite(np.asarray(g)))
    i = int(np.flatnonzero(on_)[3])
    h = 1e-6 * routed.power[i]
    fd = (objective(routed.power.at[i].add(h)) - objective(routed.power.at[i].add(-h))) / (2 * h)
    assert g[i] == pytest.approx(float(fd), rel=1e-5)

    removed = routed.remove(i)
    alone = net(removed)
    assert alone.gsnr[i] == 0 and not alone.active[i]
    # the others lose an interferer: none gets worse
    keep = on_.copy()
    keep[i] = False
    assert np.all(np.asarray(alone.gsnr)[keep] >= np.asarray(result.gsnr)[keep] * (1 - 1e-12))


@pytest.mark.slow
def test_routed_network_transforms(net, routed):
    """jit with traced routes (every slot a channel position), filter_grad, vmap over power plans."""
    result = net(routed)
    traced = jax.jit(lambda lp: net(lp).gsnr)(routed)
    np.testing.assert_allclose(traced, result.gsnr, rtol=1e-10)
    g = jax.grad(lambda p: net(routed.with_power(p)).total_throughput())(routed.power)
    g2 = eqx.filter_grad(lambda lp: net(lp).total_throughput())(routed)
    np.testing.assert_allclose(g2.power, g, rtol=1e-10)
    plans = routed.power * jnp.array([[0.5], [1.0], [2.0]])
    batch = jax.vmap(lambda p: net(routed.with_power(p)).gsnr)(plans)
    np.testing.assert_allclose(batch[1], result.gsnr, rtol=1e-10)


def test_batched_link_groups_equal_vmapped(net, routed, monkeypatch):
    """Links mapped in batches (`lax.map`, for memory on large networks) give the vmapped result."""
    import optnet._network as network

    whole = net(routed, max_per_link=32).gsnr
    calls = []
    lax_map = jax.lax.map
    monkeypatch.setattr(network, "_PAIRS_PER_BATCH", 3 * 40 * 40)  # 3 links per batch
    monkeypatch.setattr(jax.lax, "map", lambda *a, **k: calls.append(k) or lax_map(*a, **k))
    batched = net(routed, max_per_link=40).gsnr  # another bound: traced afresh, with the patch
    assert calls and calls[0]["batch_size"] == 3
    np.testing.assert_allclose(batched, whole, rtol=1e-12)


_jitted_gsnr = jax.jit(lambda net, lp: net(lp).gsnr)  # compiled once per shape


def _refused(net, lp, match):
    with pytest.raises(ValueError, match=match):
        net(lp)
    with pytest.raises(JIT_ERRORS, match=match):
        jax.block_until_ready(_jitted_gsnr(net, lp))


def test_bad_lightpaths_refused(nsfnet, net):
    def make(route, first=0, width=3, power=1e-3):
        route = jnp.asarray([route], jnp.int32)
        return on.Lightpaths(route, jnp.array([first]), jnp.array([width]), jnp.array([power]),
                             jnp.array([32e9]), jnp.array([0.0]), jnp.array([True]))

    a, b, c = nsfnet.link_index("WA", "CA1"), nsfnet.link_index("CA1", "CA2"), nsfnet.link_index("UT", "CO")
    _refused(net, make([a, c]), "not a path|do not meet")
    _refused(net, make([a, 999]), "outside 0..43|not a link")
    _refused(net, make([-1, -1]), "empty `route`")
    _refused(net, make([a, b], first=99), "outside the grid")
    _refused(net, make([a, b], power=5.0), "Lightpaths.power")
    back = nsfnet.link_index("CA1", "WA")
    _refused(net, make([a, back]), "visits a node twice")
    two = on.Lightpaths.from_paths(nsfnet, [["WA", "CA1", "CA2"], ["CA1", "CA2"]], [10, 12], 3, grid=GRID)
    with pytest.raises(ValueError, match=r"Lightpaths 0 and 1 overlap on link \d+ \(CA1-CA2\) at slot 12"):
        net(two)
    _refused(net, two, "overlap")
    with pytest.raises(ValueError, match="Unknown node 'XX'"):
        on.Lightpaths.from_paths(nsfnet, [["WA", "XX"]], 0, 3, grid=GRID)
    with pytest.raises(ValueError, match="No link from `WA` to `UT`"):
        on.Lightpaths.from_paths(nsfnet, [["WA", "UT"]], 0, 3, grid=GRID)
    with pytest.raises(ValueError, match="more lightpaths than its `max_per_link`"):
        net(two.remove(0).add(0, two.route[0], 40, 3, 1e-3, 32e9), max_per_link=1)


def test_bad_topologies_refused(tmp_path):
    base = {"name": "t", "nodes": [{"id": 1}, {"id": 2}], "links": [{"source": 1, "target": 2, "length_km": 80}]}
    on.Topology.from_dict(base)
    bad = [
        ({**base, "links": [{"source": 1, "target": 2, "length_km": -5}]}, "links\\[0\\] has length -5 km"),
        ({**base, "links": [{"source": 1, "target": 3, "length_km": 5}]}, "links\\[0\\].target = 3 is not a node id"),
        ({**base, "links": [{"source": 1, "target": 2}]}, "links\\[0\\] needs `length_km`"),
        ({**base, "nodes": [{"id": 1}, {"name": "x"}]}, "nodes\\[1\\] needs an `id`"),
        ({**base, "links": base["links"] * 2}, "given twice"),
        ({"nodes": []}, "lists `nodes` and `links`"),
    ]
    for data, match in bad:
        with pytest.raises(ValueError, match=match):
            on.Topology.from_dict(data)
    path = tmp_path / "broken.json"
    path.write_text("{ not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_topology(path)
    with pytest.raises(ValueError, match="not a shipped one"):
        load_topology("atlantis")
    with pytest.raises(ValueError, match="max_span_length"):
        on.Network(load_topology("nsfnet"), max_span_length=80.0)


def test_first_fit_and_ksp_ff_by_hand():
    """A 3-node line A-B-C with 8 slots: requests of 2 slots (+1 guard) fill the spectrum first
    fit; a request leaving frees its slots."""
    topo = on.Topology.from_dict(json.loads(
        '{"nodes": [{"id": "A"}, {"id": "B"}, {"id": "C"}], "links": ['
        '{"source": "A", "target": "B", "length_km": 100}, {"source": "B", "target": "C", "length_km": 100}]}'
    ))
    paths = on.k_shortest_paths(topo, 2)
    a, b, c = 0, 1, 2
    # 50 Gb/s on 16QAM (200 km): ceil(50/(4 x 12.5)) + 1 = 2 slots
    req = on.Requests(
        jnp.array([a, a, b, a, a]), jnp.array([c, b, c, c, c]), jnp.full(5, 50e9),
        jnp.array([0.1, 0.2, 0.3, 0.4, 3.5]), jnp.array([3.0, 10.0, 10.0, 10.0, 10.0]),
    )
    alloc = on.ksp_first_fit(paths, req, topo.n_links, 8)
    assert alloc.accepted.tolist() == [True, True, True, True, True]
    assert alloc.first_slot.tolist() == [0, 2, 2, 4, 0]  # the last reuses the slots freed at t = 3.1
    assert alloc.n_slots.tolist() == [2, 2, 2, 2, 2]
    full = on.Requests(jnp.array([a] * 5), jnp.array([c] * 5), jnp.full(5, 50e9), jnp.arange(5.0), jnp.full(5, jnp.inf))
    assert on.ksp_first_fit(paths, full, topo.n_links, 8).accepted.tolist() == [True] * 4 + [False]
    np.testing.assert_array_equal(on.first_fit(jnp.array([[1, 0, 1, 1, 0, 1, 1, 1]], bool), 3)[1], [5])


def test_ksp_ff_blocking_nsfnet_250_erlang(nsfnet):
    """KSP-FF k = 5 on NSFNET at 250 Erlang (the benchmark setting): published 2.5e-2, +-10 %
    tie-break spread; one seed of 20,000 requests after 3,000 of warm-up is within +-25 %."""
    paths = on.k_shortest_paths(nsfnet, 5)
    req = on.poisson_requests(jax.random.PRNGKey(7), 23_000, nsfnet.n_nodes, 250.0)
    blocking = float(on.ksp_first_fit(paths, req, nsfnet.n_links, 100).blocking(3000))
    assert 0.75 * 2.5e-2 < blocking < 1.25 * 2.5e-2


@pytest.mark.slow  # 20-30 s; `make demo` runs the same command
def test_network_demo_command(tmp_path):
    """`optnet network-demo` (what `make demo` runs), on a small traffic set."""
    from typer.testing import CliRunner

    from optnet.cli._app import app

    res = CliRunner().invoke(app, ["network-demo", "--out", str(tmp_path), "--requests", "12", "--steps", "3"])
    assert res.exit_code == 0, res.output
    assert "Shannon throughput" in res.output
    data = json.loads((tmp_path / "network_demo.json").read_text())
    assert data["accepted"] == 12 and data["throughput_Tbps"]["optimised"] >= data["throughput_Tbps"]["uniform"] * 0.999
    assert (tmp_path / "network_demo.png").stat().st_size > 10_000


def test_qot_aware_rmsa(nsfnet, net):
    """QoT-aware KSP-FF: every lightpath it keeps meets its format's required SNR once all are in
    place (established ones are protected), denser formats on shorter paths; an impossible margin
    blocks everything."""
    paths = on.k_shortest_paths(nsfnet, 2)
    req = on.incremental_requests(jax.random.PRNGKey(5), 10, nsfnet.n_nodes, bit_rate_gbps=(100, 400))
    q = on.qot_first_fit(net, paths, req, max_per_link=16, margin_db=1.0)
    active = np.asarray(q.lightpaths.active)
    assert active.sum() >= 8 and np.all(np.asarray(q.allocation.accepted) == active)
    gsnr = np.asarray(net(q.lightpaths).gsnr)
    np.testing.assert_allclose(q.gsnr, gsnr, rtol=1e-10)  # its link-by-link updates = a full evaluation
    assert np.all(gsnr[active] >= np.asarray(q.threshold)[active])
    bits = np.array([f.bits_per_symbol for f in on.STANDARD_FORMATS])[np.asarray(q.format)[active]]
    length = np.array([nsfnet.path_length(r[r >= 0]) for r in np.asarray(q.lightpaths.route)[active]])
    assert np.corrcoef(bits, length)[0, 1] < 0  # longer paths, sparser formats
    blocked = on.qot_first_fit(net, paths, req, max_per_link=16, margin_db=60.0)
    assert not np.any(np.asarray(blocked.allocation.accepted))


def test_link_given_span_by_span(nsfnet):
    """A link given span by span (three different spans) gives its `GNLink`'s result, and the
    others keep their even split."""
    k = nsfnet.link_index("WA", "CA1")
    spans = [on.Fibre.from_datasheet(80.0), on.Fibre.from_datasheet(62.0, attenuation_db_km=0.18),
             on.Fibre.from_datasheet(75.0, dispersion_ps_nm_km=16.0)]
    net = on.Network(nsfnet, grid=GRID, spans={("WA", "CA1"): spans})
    other = nsfnet.link_index("CA1", "CA2")
    assert net.n_spans[k] == 3 and net.n_spans[other] == int(np.ceil(nsfnet.length[other] / 80e3))
    lp = on.Lightpaths.from_paths(nsfnet, [["WA", "CA1"]] * 4, first_slot=[0, 10, 30, 60], n_slots=3,
                                  grid=GRID, symbol_rate=32e9, power_dbm=[0.0, 1.0, -1.0, 2.0], modulation="16QAM",
                                  max_hops=2)
    link = on.GNLink([on.FibreSpan(f) for f in spans])
    spectrum = on.Spectrum(lp.centre_frequency(GRID), 32e9, lp.power, 0.0, on.EXCESS_KURTOSIS["16QAM"])
    expected = 1 / (1 / link(spectrum).gsnr + net.roadm.nsr(spectrum.frequency, 32e9, lp.power))
    np.testing.assert_allclose(net(lp).gsnr, expected, rtol=1e-12)
    np.testing.assert_allclose(net.link(k)(spectrum).gsnr, link(spectrum).gsnr, rtol=1e-12)
    with pytest.raises(ValueError, match="restore the launch power"):
        on.Network(nsfnet, spans={k: [on.FibreSpan(spans[0], on.Edfa.from_db(5.0, 16.0))]})


def test_float32_matches_float64(nsfnet, routed):
    """The same routed load in float32: GSNR within 1e-4 dB, gradient within 1e-4 relative."""
    arrays = [np.asarray(x) for x in jax.tree.leaves(routed)]

    def run():
        net = on.Network(nsfnet, grid=GRID)
        lp = jax.tree.unflatten(jax.tree.structure(routed), [
            jnp.asarray(a, jnp.result_type(float)) if a.dtype.kind == "f" else jnp.asarray(a) for a in arrays])
        def throughput(p):  # and the GSNR: one compiled gradient per dtype
            r = net(lp.with_power(p))
            return r.total_throughput() / 1e12, r.gsnr_db

        g, gsnr = jax.jit(jax.grad(throughput, has_aux=True))(lp.power)
        return np.asarray(gsnr, float), np.asarray(g, float), g.dtype

    with jax.enable_x64(False):
        gsnr32, g32, dtype = run()
    gsnr64, g64, _ = run()
    active = np.asarray(routed.active)
    assert dtype == jnp.float32
    np.testing.assert_allclose(gsnr32[active], gsnr64[active], atol=1e-4)
    assert np.all(np.isfinite(g32)) and np.max(np.abs(g32 - g64)) < 1e-4 * np.max(np.abs(g64))
