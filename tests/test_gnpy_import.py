"""optnet.io.gnpy: GNPy's equipment library and topology JSON (fixtures in GNPy's schema, written for
these tests) read into an optnet Network; GNPy's amplifier NF models; errors naming the element."""

import copy
import itertools
import json
import math
import pathlib

import numpy as np
import pytest

DATA = pathlib.Path(__file__).parent / "data" / "gnpy"


@pytest.fixture(scope="module")
def equipment():
    from optnet.io import load_gnpy_equipment

    return load_gnpy_equipment(DATA / "eqpt_config.json")


def test_noise_figure_models(equipment):
    eq = equipment
    # variable gain: nf_min at gain_flatmax, nf_max at gain_min (the two-coil fit reproduces both ends)
    v = eq.amplifiers["var_low"]
    assert eq.noise_figure_db(v, v.gain_flatmax) == pytest.approx(6.5, abs=1e-9)
    assert eq.noise_figure_db(v, v.gain_min) == pytest.approx(11.0, abs=1e-9)
    assert eq.noise_figure_db(v, 6.0) == pytest.approx(11.0 + 2.0, abs=1e-9)  # padded below gain_min
    assert eq.noise_figure_db("var_low", 15) > eq.noise_figure_db("var_low", 16) > eq.noise_figure_db("var_low", 17)
    assert eq.noise_figure_db("fixed", 20.5) == 5.5 and eq.noise_figure_db("fixed", 18) == pytest.approx(7.5)
    # advanced model: the polynomial in G - gain_flatmax, read from its advanced_config_from_json file
    coeff = json.loads((DATA / "advanced_nf.json").read_text())["nf_fit_coeff"]
    assert eq.noise_figure_db("poly", 20) == pytest.approx(np.polyval(coeff, -5.0))
    assert eq.noise_figure_db("poly", 27) == pytest.approx(np.polyval(coeff, 0.0))  # flat above gain_flatmax
    # OpenROADM: NF = P_in - OSNR_inc(P_in) + 58 dB (-10 log10(h f 12.5 GHz / 1 mW), rounded as GNPy does)
    a, b, c, d = eq.amplifiers["oroadm"].parameters["nf_coef"]
    p = -20.0
    assert eq.noise_figure_db("oroadm", 20, p) == pytest.approx(p - (a * p**3 + b * p**2 + c * p + d) + 58.0)
    assert abs(10 * math.log10(6.62607015e-34 * 193.4e12 * 12.5e9 / 1e-3) + 58.0) < 0.06
    # dual stage: the preamp at its gain_flatmax, the booster at the rest, NF1 + NF2/G1
    f1, g1 = 10 ** (eq.noise_figure_db("var_medium", 26) / 10), 10 ** 2.6
    f2 = 10 ** (eq.noise_figure_db("var_low", 4) / 10)
    assert eq.noise_figure_db("medium+low", 30) == pytest.approx(10 * math.log10(f1 + f2 / g1))


def test_point_to_point(equipment):
    from optnet.io import load_gnpy_network

    g = load_gnpy_network(DATA / "p2p.json", equipment)
    (link,) = g.links
    assert (link.source, link.target) == ("Site_A", "Site_B") and link.elements == ("Span1", "Edfa1", "Fused1", "Span2", "Edfa2")
    s1, s2 = link.spans
    # span 1: 80 km x 0.2 dB/km between 0.5 dB connectors; span 2: 1 dB fused before 100 km x 0.22 dB/km.
    # The lumped losses multiply the amplifier's NF (attenuators before it) and the input loss divides
    # gamma (the power launched into the fibre is lower)
    for span, km, fibre_db, before, after, variety in ((s1, 80, 16.0, 0.5, 0.5, "var_low"), (s2, 100, 22.0, 1.0, 0.0, "medium+low")):
        assert float(span.fibre.length) == km * 1e3
        loss = float(np.mean(span.fibre.attenuation)) * float(span.fibre.length) * 10 / math.log(10)
        assert loss == pytest.approx(fibre_db)
        total = fibre_db + before + after
        nf = 10 * math.log10(float(span.amplifier.noise_figure))
        assert nf == pytest.approx(equipment.noise_figure_db(variety, total, -total) + before + after)
    # gamma(f) = 2 pi n2 f/(c A(f)), A(f) from GNPy's mode model: SSMF's given gamma and LEAF's
    # effective area hold at the reference wavelength (1550 nm); each divided by the input loss
    f = 2.99792458e8 / 1550e-9
    gamma_at = lambda fibre, x: float(np.interp(x, fibre.gamma_frequency, fibre.gamma))
    assert gamma_at(s1.fibre, f) == pytest.approx(1.27e-3 * 10 ** -0.05, rel=1e-12)
    gamma_leaf = 2 * np.pi * 2.6e-20 * f / (2.99792458e8 * 72e-12)
    assert gamma_at(s2.fibre, f) == pytest.approx(gamma_leaf * 10 ** -0.1, rel=1e-12)
    # the mode confines better at higher frequency: gamma grows faster than f (about 3 % per 10 THz)
    assert 1.01 < (gamma_at(s1.fibre, 196e12) / 196) / (gamma_at(s1.fibre, 186e12) / 186) < 1.1
    # GNPy's channel plan: f_min + k spacing, k = 0 .. 75; the transmitter OSNR in 0.1 nm
    assert g.spectrum.n_channels == 76 and float(g.spectrum.frequency[0]) == 191.35e12
    assert 10 * np.log10(float(g.network.transceiver.snr)) == pytest.approx(40 - 10 * np.log10(32 / 12.5))
    res = g.network(g.lightpaths())
    gsnr = np.asarray(res.gsnr_db)
    assert gsnr.shape == (76,) and np.all(np.isfinite(gsnr)) and 15 < gsnr.min() < gsnr.max() < 30


def test_large_effective_area_fibre():
    """A 300 um^2 fibre: GNPy's mode model diverges well below the reference frequency (its V
    number nears 1); the import holds the area there and the network evaluates."""
    from optnet.io import load_gnpy_network

    eq = json.loads((DATA / "eqpt_config.json").read_text())
    eq["Fiber"][1]["effective_area"] = 300e-12
    eq["Edfa"] = [e for e in eq["Edfa"] if e["type_variety"] != "poly"]  # no advanced config file beside a dict
    g = load_gnpy_network(_topology(), eq)
    fibre = g.links[0].spans[1].fibre
    assert np.all(np.isfinite(np.asarray(fibre.gamma))) and np.all(np.isfinite(np.asarray(g.network(g.lightpaths()).gsnr_db)))


def test_gnpy_transmission_example(equipment):
    """GNPy's own expected output for its transmission example (the fixture cites it): the NF of
    its variable-gain model, the OSNR and the GSNR, with GNPy's NLI model (IncoherentGN) and with
    optnet's default closed form (Semrau et al.)."""
    from optnet.io import load_gnpy_network

    data = json.loads((DATA / "transmission_example.json").read_text())
    ref = data["reference"]
    assert equipment.noise_figure_db("var_low", 15.0) == pytest.approx(ref["noise_figure_db"], abs=0.005)
    import optnet as on

    # GNPy's published figures are rounded to 0.01 dB, and optnet's ASE ((NF G - 1) h f B) is 0.02 dB
    # below GNPy's (NF G h f B) at this gain: the GSNR is up to 0.015 dB above GNPy's with its model
    for nli, tolerance in ((on.IncoherentGN(), 0.015), (on.ClosedFormGN(), 0.1)):  # GNPy's model, then Semrau's
        g = load_gnpy_network(data, equipment, nli=nli)
        res = g.network(g.lightpaths())
        osnr = -10 * np.log10(np.asarray(res.nsr_ase) + np.asarray(res.nsr_transceiver))
        assert np.mean(osnr) == pytest.approx(ref["osnr_ase_signal_bw_db"], abs=0.05)
        assert np.mean(np.asarray(res.gsnr_db)) == pytest.approx(ref["snr_total_signal_bw_db"], abs=tolerance)

    # GNPy's own default simulation settings (no sim_params file: no Raman flag, its analytic GN):
    # the same figures with no ISRS tilt, so the OSNR follows the ASE's h f alone across the band
    g = load_gnpy_network(data, equipment, sim_params={})
    assert isinstance(g.network.nli, on.IncoherentGN)
    res = g.network(g.lightpaths())
    osnr = -10 * np.log10(np.asarray(res.nsr_ase) + np.asarray(res.nsr_transceiver))
    assert np.mean(osnr) == pytest.approx(ref["osnr_ase_signal_bw_db"], abs=0.05)
    assert np.mean(np.asarray(res.gsnr_db)) == pytest.approx(ref["snr_total_signal_bw_db"], abs=0.015)
    ase_db, f = -10 * np.log10(np.asarray(res.nsr_ase)), np.asarray(g.spectrum.frequency)
    np.testing.assert_allclose(ase_db - ase_db[0], -10 * np.log10(f / f[0]), atol=1e-6)


def test_sim_params_as_gnpy(equipment, tmp_path):
    """GNPy's sim_params: the Raman flag gives every fibre GNPy's Raman coefficient (the ISRS tilt
    favours the low frequencies), or none; the NLI method picks the model; bad values and a
    RamanFiber without the flag are refused by name."""
    import optnet as on
    from optnet.io import (
        GnpyError,
        load_gnpy_link,
        load_gnpy_network,
        load_gnpy_sim_params,
    )

    data = json.loads((DATA / "transmission_example.json").read_text())
    sim = {"raman_params": {"flag": True}, "nli_params": {"method": "ggn_spectrally_separated"}}
    (tmp_path / "sim_params.json").write_text(json.dumps(sim))
    params = load_gnpy_sim_params(tmp_path / "sim_params.json")
    assert params.raman and isinstance(params.nli(), on.NumericalGN)
    with_isrs = load_gnpy_network(data, equipment, sim_params=params, nli=on.IncoherentGN())  # an explicit nli wins
    assert isinstance(with_isrs.network.nli, on.IncoherentGN)
    assert isinstance(with_isrs.links[0].spans[0].fibre.raman, on.MeasuredRamanGain)
    without = load_gnpy_network(data, equipment, sim_params={})
    assert float(without.links[0].spans[0].fibre.raman(13e12)) == 0.0  # no Raman scattering

    def osnr(g):
        res = g.network(g.lightpaths())
        return -10 * np.log10(np.asarray(res.nsr_ase) + np.asarray(res.nsr_transceiver))

    tilt = osnr(with_isrs) - osnr(without)  # ISRS moves power from the high to the low frequencies
    assert tilt[0] > 0.1 and tilt[-1] < -0.1
    for bad, message in (({"raman_params": {"flag": "yes"}}, "`raman_params.flag` must be true or false"),
                         ({"nli_params": {"method": "ssfm"}}, "`nli_params.method` must be one of")):
        with pytest.raises(GnpyError, match=message):
            load_gnpy_sim_params(bad)
    with pytest.raises(GnpyError, match="element `Span1` \\(RamanFiber\\): the sim_params' `raman_params.flag` is false"):
        load_gnpy_link(DATA / "raman_example.json", DATA / "raman_eqpt.json", sim_params={})


def test_ring_with_roadms_and_automatic_design(equipment):
    from optnet.io import load_gnpy_network

    g = load_gnpy_network(DATA / "ring.json", equipment)
    top = g.network.topology
    assert top.nodes == ("roadm A", "roadm B", "roadm C")  # the add/drop transceivers are not network nodes
    assert top.n_links == 6 and all(len(l.spans) == 2 for l in g.links)
    auto = [l for l in g.links if l.auto_amplifiers]
    assert len(auto) == 1 and (auto[0].source, auto[0].target) == ("roadm C", "roadm A")
    # the designed amplifier: the allowed variety whose gain range holds the 12 dB span loss
    nf = 10 * math.log10(float(auto[0].spans[1].amplifier.noise_figure))
    assert nf == pytest.approx(equipment.noise_figure_db("var_low", 12.0, -12.0))
    assert auto[0].auto_amplifiers == ("fiber (C->A)-1-amplifier",)
    res = g.network(g.lightpaths(["roadm A", "roadm B", "roadm C"]))
    assert np.all(np.asarray(res.nsr_roadm) > 0) and np.all(np.isfinite(np.asarray(res.gsnr_db)))
    # the boosters after roadm A set the ROADMs' NF: var_medium at the 20 dB default ROADM loss
    assert [l.booster.name for l in g.links if l.booster] == ["var_medium", "var_medium"]
    roadm = g.network.roadm
    assert 10 * np.log10(float(roadm.add_drop_loss)) == pytest.approx(20.0)
    assert 10 * np.log10(float(roadm.noise_figure)) == pytest.approx(equipment.noise_figure_db("var_medium", 20.0))


def _line(lengths_km, power_dbm=0.0):
    """Transceiver A -> fibre -> Edfa (var_low, no delta_p) -> ... -> Transceiver B, in GNPy's
    schema, with GNPy's default span rule delta_power_range_db = [-2, 3, 0.5]."""
    elements = [{"uid": "A", "type": "Transceiver"}, {"uid": "B", "type": "Transceiver"}]
    chain = ["A"]
    for k, km in enumerate(lengths_km, 1):
        elements += [{"uid": f"F{k}", "type": "Fiber", "type_variety": "SSMF",
                      "params": {"length": km, "loss_coef": 0.2, "length_units": "km", "con_in": 0.5, "con_out": 0.5}},
                     {"uid": f"E{k}", "type": "Edfa", "type_variety": "var_low", "operational": {}}]
        chain += [f"F{k}", f"E{k}"]
    chain.append("B")
    topology = {"elements": elements, "connections": [{"from_node": a, "to_node": b} for a, b in itertools.pairwise(chain)]}
    eq = json.loads((DATA / "eqpt_config.json").read_text())
    eq["Edfa"] = [a for a in eq["Edfa"] if "advanced_config_from_json" not in a]  # a file beside the fixture
    eq["Span"][0]["delta_power_range_db"] = [-2, 3, 0.5]
    eq["SI"][0]["power_dbm"] = power_dbm
    return topology, eq


def test_power_design_as_gnpy():
    """GNPy's power design (set_egress_amplifier, target_power): an amplifier without delta_p gets
    0.3 dB per dB of the next span's loss above 20 dB, rounded to the step and clipped to the range
    (a Transceiver next counts as a span of no loss), its gain the span loss plus the change of
    delta_p, less what p_max cannot reach. GNPy's own expected design of its EDFA example network
    (tests/data/convert/edfa_example_network_autodesign_expected.json, oopt-gnpy commit 8ebed58:
    80 km at 0.2 dB/km with 0.5 dB connectors, then an EDFA before Site_B) is delta_p = -2 dB and a
    gain of 15 dB."""
    from optnet.io import load_gnpy_equipment, load_gnpy_network

    design = lambda t, e: [(d.uid, d.variety, round(d.gain_db, 9), round(d.delta_p_db, 9))
                           for d in load_gnpy_network(t, load_gnpy_equipment(e)).links[0].design]
    assert design(*_line([80])) == [("E1", "var_low", 15.0, -2.0)]  # GNPy's expected file
    # spans of 21, 26 and 13 dB: E1 feeds 26 dB (+1.8 -> 2.0), E2 feeds 13 dB (-2.1 -> -2), E3 the receiver (-2)
    assert design(*_line([100, 125, 60])) == [("E1", "var_low", 23.0, 2.0), ("E2", "var_low", 22.0, -2.0),
                                              ("E3", "var_low", 13.0, -2.0)]
    # at 4 dBm into 76 channels (22.8 dBm in all) E1's 2 dB would need 24.8 dBm > p_max = 23 dBm
    reduced = design(*_line([100, 125, 60], power_dbm=4.0))
    cut = 23.0 - (4.0 + 10 * np.log10(76) + 2.0)
    assert reduced[0][2:] == pytest.approx((23.0 + cut, 2.0 + cut), abs=1e-9)
    assert reduced[1][2:] == pytest.approx((26.0 - 2.0 - (2.0 + cut), -2.0), abs=1e-9)
    # no delta_power_range_db (the fixture's equipment): no power design, every delta_p 0
    assert [d.delta_p_db for d in load_gnpy_network(DATA / "p2p.json", DATA / "eqpt_config.json").links[0].design] == [0.0, 0.0]


def test_designed_variety_as_gnpy_select_edfa(equipment):
    """GNPy's select_edfa on the fixture's two allowed varieties (var_medium: gain 15-26 dB,
    var_low: 8-16 dB, both p_max 23 dBm; target_extended_gain 2.5 dB): a gain_min at least 3 dB
    under the gain, then the output power within reach (p_max, gain_flatmax + 2.5 dB), else the
    most powerful; the lowest NF among the rest."""
    from optnet.io._gnpy import _select_amplifier

    total = 10 * np.log10(76)  # dBm: 0 dBm into 76 channels

    def pick(gain):
        variety, cut = _select_amplifier(equipment, gain, total, "here")
        return variety.name, round(cut, 9)

    assert pick(12.0) == ("var_low", 0.0)  # var_medium's gain_min (15 dB) is not 3 dB under 12 dB
    assert pick(20.0) == ("var_medium", 0.0)  # var_low cannot reach the power: 18.8 - 20 + 16 + 2.5 < 18.8 dBm
    # both qualify at 14 dB: the lower NF (var_medium is padded below its gain_min)
    assert equipment.noise_figure_db("var_low", 14.0, -19.4) < equipment.noise_figure_db("var_medium", 14.0, -19.4)
    assert pick(14.0) == ("var_low", 0.0)
    # at 30 dB neither reaches: the most powerful, var_medium, 1.5 dB short (26 + 2.5 - 30 dB)
    assert pick(30.0) == ("var_medium", -1.5)


def test_line_launches_each_span_at_its_delta_p():
    """With GNPy's flat gains (`load_gnpy_link`'s default), the span after an amplifier is launched
    at the reference power plus its delta_p (the mean power, before the span's input loss)."""
    from optnet.io import load_gnpy_link

    line = load_gnpy_link(*_line([100, 125, 60]))
    r = line.link(line.spectrum)
    launched = 10 * np.log10(np.mean(np.asarray(r.span_power), axis=1) * 1e3)
    np.testing.assert_allclose(launched, [-0.5, 2.0, -2.0], atol=0.02)  # the first span after its 0.5 dB connector
    with pytest.raises(ValueError, match="`amplifiers` must be 'gnpy' or 'restoring'"):
        load_gnpy_link(*_line([80]), amplifiers="flat")


def test_spliced_fibres_are_one_span_in_a_line():
    """Two fibres joined by a Fused element with no amplifier between are one span, as in GNPy:
    its amplifier's gain covers both (27 dB + delta_p -2 dB before the receiver), the splice adds
    no noise, so the ASE is that of one fibre with the same total loss, and the second fibre is
    launched at the power left after the first and the splice."""
    from optnet.io import load_gnpy_equipment, load_gnpy_link

    def line(spliced):
        topology, eq = _line([60, 60] if spliced else [120])
        if spliced:  # F1 -> Fused (1 dB) -> F2 -> E2
            topology["elements"] = [e for e in topology["elements"] if e["uid"] != "E1"] + [
                {"uid": "S", "type": "Fused", "params": {"loss": 1.0}}]
            topology["connections"] = [c for c in topology["connections"] if "E1" not in (c["from_node"], c["to_node"])] + [
                {"from_node": "F1", "to_node": "S"}, {"from_node": "S", "to_node": "F2"}]
        else:  # the same 27 dB: 2.5 dB of connectors after the 120 km
            topology["elements"][2]["params"]["con_out"] = 2.5
        return load_gnpy_link(topology, load_gnpy_equipment(eq))

    a, b = line(True), line(False)
    assert [(d.uid, round(d.gain_db, 9), d.delta_p_db) for d in a.design] == [("E2", 25.0, -2.0)]
    assert [(d.uid, round(d.gain_db, 9)) for d in b.design] == [("E1", 25.0)] and a.link.n_spans == 2
    ra, rb = a.link(a.spectrum), b.link(b.spectrum)
    # to 0.02 dB: the ISRS tilt at the amplifier differs a little between the two power profiles
    np.testing.assert_allclose(np.asarray(ra.nsr_ase)[-1], np.asarray(rb.nsr_ase)[-1], rtol=5e-3)
    second = 10 * np.log10(np.mean(np.asarray(ra.span_power)[1]) * 1e3)
    assert second == pytest.approx(0.0 - (0.5 + 12.0 + 0.5 + 1.0), abs=0.02)
    assert np.all(np.asarray(ra.nsr_ase)[0] < 1e-12)  # the splice adds no noise


def test_add_drop_osnr_as_gnpy_receiver_sums_it():
    """GNPy's receiver adds 1/OSNR of the transmitter and of the add and drop paths (each in 0.1 nm,
    scaled to the symbol rate): add and drop are `add_drop_osnr` + 3.01 dB each unless a
    `roadm-path-impairments` profile sets them; a network without ROADMs has the transmitter only."""
    from optnet.io import GnpyError, load_gnpy_network

    eqpt = json.loads((DATA / "eqpt_config.json").read_text())
    eqpt["Edfa"] = [e for e in eqpt["Edfa"] if e["type_def"] != "advanced_model"]  # its file is relative to DATA
    ratio = 32e9 / 12.5e9  # SI baud rate / 0.1 nm

    def snr_db(eq, topology="ring.json"):
        return 10 * math.log10(float(load_gnpy_network(DATA / topology, eq).network.transceiver.snr))

    # tx_osnr 40 dB, add_drop_osnr 38 dB (GNPy: 41.01 dB at add and at drop)
    assert snr_db(eqpt) == pytest.approx(-10 * math.log10(ratio * (10**-4.0 + 2 * 10 ** -((38 + 10 * math.log10(2)) / 10))), abs=1e-9)
    profiled = copy.deepcopy(eqpt)
    band = {"lower-frequency": 191.3e12, "upper-frequency": 196.1e12}
    profiled["Roadm"][0]["roadm-path-impairments"] = [
        {"roadm-path-impairments-id": 0, "roadm-express-path": [{"frequency-range": band, "roadm-maxloss": 16.5}]},
        {"roadm-path-impairments-id": 1, "roadm-add-path": [{"frequency-range": band, "roadm-osnr": 41}]},
        {"roadm-path-impairments-id": 2, "roadm-add-path": [{"frequency-range": band, "roadm-osnr": 20}]},  # not the first
    ]  # no drop-path profile: the drop path keeps add_drop_osnr + 3.01 dB
    assert snr_db(profiled) == pytest.approx(
        -10 * math.log10(ratio * (10**-4.0 + 10**-4.1 + 10 ** -((38 + 10 * math.log10(2)) / 10))), abs=1e-9)
    profiled["Roadm"][0]["roadm-path-impairments"][0]["roadm-express-path"][0]["roadm-osnr"] = 35
    with pytest.raises(GnpyError, match="express-path `roadm-osnr`"):
        snr_db(profiled)
    assert snr_db(eqpt, "p2p.json") == pytest.approx(40 - 10 * math.log10(ratio), abs=1e-9)  # no ROADM: no add/drop
    ring = json.loads((DATA / "ring.json").read_text())
    ring["elements"][0].setdefault("params", {})["add_drop_osnr"] = 30
    with pytest.raises(GnpyError, match="add_drop_osnr` differ"):
        load_gnpy_network(ring, eqpt)


@pytest.fixture(scope="module")
def raman_line():
    from optnet.io import load_gnpy_link

    return load_gnpy_link(DATA / "raman_example.json", DATA / "raman_eqpt.json")


def test_raman_fiber_line(raman_line):
    """GNPy's Raman example (a RamanFiber with two counter-propagating pumps, then an EDFA in power
    mode): the span, its pumps and temperature, the launch power behind con_in, and an EDFA NF
    padded below its gain range (the Raman gain leaves it less than gain_min to make up)."""
    import optnet as on

    line = raman_line
    span = line.link.spans
    assert isinstance(span, on.RamanSpan) and line.elements == ("Span1", "Fused1", "Edfa1")
    assert np.allclose(np.asarray(span.backward.frequency), [205e12, 201e12]) and span.forward.n == 0
    # launched through con_out (0.5 dB), as GNPy's RamanFiber does: 200 and 206 mW in the fibre
    assert np.allclose(np.asarray(span.backward.power), np.array([224.403e-3, 231.135e-3]) * 10**-0.05)
    assert np.allclose(np.asarray(span.backward.power), [200e-3, 206e-3], rtol=1e-5)
    assert float(span.temperature) == 283.0 and span.spontaneous
    alpha = 0.2 / (10 * math.log10(math.e)) / 1e3  # the pumps see the fibre's 0.2 dB/km
    assert np.allclose(np.asarray(span.pump_attenuation(span.backward)), alpha)
    s = line.spectrum
    assert s.n_channels == 76 and np.allclose(10 * np.log10(np.asarray(s.power) * 1e3), -0.5)  # con_in 0.5 dB
    assert 10 * np.log10(float(span.amplifier.noise_figure)) > 11.0 + 0.5  # nf_max at gain_min, + pad, + con_out


@pytest.mark.slow  # about 40 s: three Raman solves and a NumericalGN link
def test_raman_fiber_line_operating_point_and_gsnr(raman_line):
    """The EDFA's NF at GNPy's operating point (the mean channel power at the fibre's end, pumps on,
    taken to the SI power + delta_p); the on-off gain (pumps on over pumps off) and the residual
    pump powers at z = 0 within 0.1 dB of GNPy 3.0.1's Raman solver on this span (recorded in the
    fixture); GSNR against GNPy's published output for this network within 0.5 dB (a GNPy version
    that is not recorded; the gap is in the Raman gain, see docs/from_gnpy.md)."""
    from optnet.io import load_gnpy_equipment

    line = raman_line
    span, s = line.link.spans, line.spectrum
    profile = span.solve(s.frequency, s.power, noise_bandwidth=s.symbol_rate)
    out = np.asarray(profile.signal[:, -1])
    gnpy = json.loads((DATA / "raman_example.json").read_text())["gnpy_3_0_1_raman"]
    on_off_db = 10 * np.log10(np.asarray(span.on_off_gain(s.frequency, s.power)))
    assert np.max(np.abs(on_off_db - np.asarray(gnpy["on_off_gain_db"]))) < 0.1
    residual_db = 10 * np.log10(np.asarray(profile.backward_pump[:, 0]) / np.asarray(gnpy["pump_residual_w"]))
    assert np.max(np.abs(residual_db)) < 0.1
    out_dbm = 10 * np.log10(np.mean(out) * 1e3) - 0.5  # con_out
    gain = -2.0 - out_dbm  # to the SI power (0 dBm) + delta_p (-2 dB)
    nf = load_gnpy_equipment(DATA / "raman_eqpt.json").noise_figure_db("std_low_gain", gain, out_dbm)
    assert 10 * np.log10(float(span.amplifier.noise_figure)) == pytest.approx(nf + 0.5, abs=1e-9)  # + con_out
    gsnr = np.asarray(line.link(s).gsnr_db)
    ref = json.loads((DATA / "raman_example.json").read_text())["reference"]
    assert np.max(np.abs(gsnr - np.asarray(ref["snr_total_signal_bw_db"]))) < 0.5


@pytest.mark.slow  # 15 s; test_raman_fiber_line covers the line reader
def test_line_of_passive_spans_equals_the_network():
    """A Fiber-only line read by `load_gnpy_link` with restoring amplifiers (the first span's input
    loss in the launch power) gives the network's GSNR (input losses as scaled gamma and NF) to
    0.03 dB: the line evaluates the ISRS at the power inside the fibre, the network at the launch
    power."""
    from optnet.io import GnpyError, load_gnpy_link, load_gnpy_network

    eq = DATA / "eqpt_config.json"
    line = load_gnpy_link(DATA / "p2p.json", eq, amplifiers="restoring")
    net = load_gnpy_network(DATA / "p2p.json", eq)
    assert (line.source, line.target) == ("Site_A", "Site_B") and line.elements == net.links[0].elements
    a = np.asarray(line.link(line.spectrum).gsnr_db)
    b = np.asarray(net.network(net.lightpaths()).gsnr_db)
    assert np.max(np.abs(a - b)) < 0.03
    with pytest.raises(GnpyError, match="more than one line"):
        load_gnpy_link(DATA / "ring.json", eq)
    with pytest.raises(GnpyError, match="no line matches"):
        load_gnpy_link(DATA / "ring.json", eq, source="roadm A", target="nowhere")


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["elements"][1]["operational"].pop("temperature"), "needs `operational.temperature`"),
    (lambda t: t["elements"][1]["operational"]["raman_pumps"][0].update(propagation_direction="both"), "'coprop' or 'counterprop'"),
    (lambda t: t["elements"][1]["operational"]["raman_pumps"][0].pop("power"), "raman_pumps\\[0\\] needs `power`"),
    (lambda t: t["elements"][1].update(type_variety="LEAF"), "RamanFiber type_variety `LEAF`"),
])
def test_raman_fiber_errors_name_the_element(edit, message):
    from optnet.io import GnpyError, load_gnpy_link

    topology = json.loads((DATA / "raman_example.json").read_text())
    edit(topology)
    with pytest.raises(GnpyError, match=f"element `Span1` \\(RamanFiber\\).*{message}"):
        load_gnpy_link(topology, DATA / "raman_eqpt.json")


def _topology():
    return json.loads((DATA / "p2p.json").read_text())


def test_amplifier_ripple_warns(tmp_path):
    """An advanced_model variety whose configuration has gain or NF ripple: read (its mean NF), and
    a topology that uses it warns that the import models it flat."""
    from optnet.io import load_gnpy_equipment, load_gnpy_network

    config = json.loads((DATA / "advanced_nf.json").read_text()) | {"nf_ripple": [0.0, 0.3, -0.1], "gain_ripple": [0.0, 0.05, 0.0]}
    (tmp_path / "advanced_nf.json").write_text(json.dumps(config))
    (tmp_path / "eqpt.json").write_text((DATA / "eqpt_config.json").read_text())
    assert load_gnpy_equipment(tmp_path / "eqpt.json").amplifiers["poly"].parameters["ripple_db"] == pytest.approx(0.3)
    topology = _topology()
    topology["elements"][2]["type_variety"] = "poly"
    with pytest.warns(UserWarning, match="element `Edfa1` \\(Edfa\\): Edfa variety `poly` has gain or NF ripple of up to 0.30 dB"):
        load_gnpy_network(topology, tmp_path / "eqpt.json")


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["elements"].append({"uid": "X", "type": "Splitter"}), "element `X` has unknown type `Splitter`"),
    (lambda t: t["elements"][1].pop("type_variety"), "element `Span1` \\(Fiber\\): no `type_variety`"),
    (lambda t: t["elements"][2].update(type_variety="nope"), "element `Edfa1` \\(Edfa\\): Edfa type_variety `nope`"),
    (lambda t: t["elements"][4].update(type_variety="G.654"), "element `Span2` \\(Fiber\\): Fiber type_variety `G.654`"),
    (lambda t: t["connections"].append({"from_node": "Edfa2", "to_node": "Ghost"}), "`to_node` `Ghost` is not an element"),
    (lambda t: t["connections"].pop(), "element `Edfa2` \\(Edfa\\): .* \\(the line is dangling\\)"),
    (lambda t: t["elements"].append(copy.deepcopy(t["elements"][1])), "uid `Span1` is used twice"),
    (lambda t: t["elements"][1].update(type="RamanFiber"), "element `Span1` \\(RamanFiber\\): a Network's spans are passive"),
    (lambda t: t["elements"].__setitem__(1, {"uid": "Span1", "type": "Edfa", "type_variety": "var_low"}),
     "element `Span1` \\(Edfa\\): an amplifier before a line's first fibre is read only as the booster right after a Roadm"),
    (lambda t: t["elements"][1]["params"].update(length_units="miles"), "`length_units` must be 'km' or 'm'"),
    (lambda t: t["elements"][2].setdefault("operational", {}).update(tilt_target=-1.5),
     "element `Edfa1` \\(Edfa\\): `operational.tilt_target` = -1.5 asks for a gain tilt"),
    (lambda t: t["elements"][2].setdefault("operational", {}).update(out_voa=-2),
     "element `Edfa1` \\(Edfa\\): `operational.out_voa` must be a number >= 0"),
    (lambda t: (t["elements"].pop(2), t.update(connections=[c for c in t["connections"] if c["from_node"] not in ("Span1", "Edfa1")]
                                              + [{"from_node": "Span1", "to_node": "Fused1"}])),
     "element `Span1` \\(Fiber\\): spliced to `Span2` by Fused elements with no amplifier between .* `load_gnpy_link`"),
])
def test_topology_errors_name_the_element(equipment, edit, message):
    from optnet.io import GnpyError, load_gnpy_network

    t = _topology()
    edit(t)
    with pytest.raises(GnpyError, match=message):
        load_gnpy_network(t, equipment)


def test_file_errors(equipment, tmp_path):
    from optnet.io import GnpyError, load_gnpy_equipment, load_gnpy_network

    bad = tmp_path / "topology.json"
    bad.write_text('{"elements": [')
    with pytest.raises(GnpyError, match="topology.json is not valid JSON"):
        load_gnpy_network(bad, equipment)
    with pytest.raises(GnpyError, match="missing.json"):
        load_gnpy_network(tmp_path / "missing.json", equipment)
    def load_edited(edit):  # the equipment file edited, beside its advanced-model file
        eq = json.loads((DATA / "eqpt_config.json").read_text())
        edit(eq)
        (tmp_path / "advanced_nf.json").write_text((DATA / "advanced_nf.json").read_text())
        (tmp_path / "eqpt.json").write_text(json.dumps(eq))
        return load_gnpy_equipment(tmp_path / "eqpt.json")

    with pytest.raises(GnpyError, match="Edfa `var_medium`: unknown type_def `magic`"):
        load_edited(lambda eq: eq["Edfa"][0].update(type_def="magic"))
    # GNPy 3.0's models that optnet does not read load (GNPy's default equipment lists them), and
    # an element that uses one is refused
    eq = load_edited(lambda eq: eq["Edfa"].append({"type_variety": "pre", "type_def": "openroadm_preamp"}))
    assert eq.unsupported == {"pre": "openroadm_preamp"}
    t = _topology()
    t["elements"][2]["type_variety"] = "pre"
    with pytest.raises(GnpyError, match="element `Edfa1` \\(Edfa\\): Edfa type_variety `pre` has GNPy's type_def `openroadm_preamp`"):
        load_gnpy_network(t, eq)
    with pytest.raises(GnpyError, match="dual_stage `medium\\+low`: Edfa type_variety `missing_amp`"):
        load_edited(lambda eq: eq["Edfa"][5].update(booster_variety="missing_amp"))
    with pytest.raises(GnpyError, match="Fiber `SSMF`: give `gamma`"):
        load_edited(lambda eq: eq["Fiber"][0].pop("gamma"))
    with pytest.raises(GnpyError, match="Edfa type_variety `var_low`: nf_min 3.0 dB, nf_max 20.0 dB .* give no physical two-coil amplifier"):
        load_edited(lambda eq: eq["Edfa"][1].update(nf_min=3.0, nf_max=20.0))
    with pytest.raises(GnpyError, match="Edfa `poly`: an advanced_model needs `nf_fit_coeff`"):
        load_gnpy_equipment(json.loads((DATA / "eqpt_config.json").read_text()))  # a dict: no file to follow


def test_round_trip_through_gnpy_json(equipment):
    """Import, write back to GNPy's JSON, import again: the same network, spans and GSNRs."""
    import jax

    from optnet.io import load_gnpy_network, to_gnpy

    g = load_gnpy_network(DATA / "ring.json", equipment)
    topology, eqpt = to_gnpy(g.network, g.spectrum)
    json.dumps(topology), json.dumps(eqpt)  # plain JSON
    back = load_gnpy_network(topology, eqpt)
    assert back.network.topology.nodes == g.network.topology.nodes
    assert back.network.topology.length == pytest.approx(g.network.topology.length)
    for a, b in zip(jax.tree.leaves(g.network.span), jax.tree.leaves(back.network.span)):
        assert np.allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=0)
    path = ["roadm A", "roadm B", "roadm C"]
    assert np.allclose(np.asarray(g.network(g.lightpaths(path)).gsnr_db), np.asarray(back.network(back.lightpaths(path)).gsnr_db), atol=1e-9)


@pytest.mark.slow  # 15 s; test_round_trip_through_gnpy_json covers the same calls
def test_example_from_gnpy(capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("from_gnpy", DATA.parents[2] / "examples" / "from_gnpy.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    gsnr, difference = example.main(fast=True)
    assert np.all(np.isfinite(np.asarray(gsnr))) and difference < 1e-9
    assert "three-ROADM ring: 3 nodes, 6 links, 76 channels" in capsys.readouterr().out


def test_dynamic_gain_tilt_as_gnpy():
    """`DynamicGainTilt` gives GNPy 3.0.1's EDFA gain profile (its dynamic gain tilt model: tilts of
    -3 to 2 dB, gain ripple, input powers spread by up to 2 dB, 60 and 96 channels, absent channels
    ignored;
    tests/data/gnpy/dgt_reference.py made the reference), and a gradient that finite differences
    confirm; with no tilt and no ripple the gain is flat at the target."""
    import jax
    import jax.numpy as jnp

    import optnet as on

    ref = json.loads((DATA / "dgt_reference.json").read_text())

    @jax.jit
    def profile_db(tilt_db, case, grid, dgt, ripple, f, p):
        control = on.DynamicGainTilt.from_db(case["gain_db"], case["gain_flatmax"], grid, dgt, ripple, tilt_db,
                                             case["f_min"], case["f_max"], case["p_max"])
        return control.gain_profile(f, p) * 10 / np.log(10)

    for k, case in enumerate(ref["cases"]):
        grids = [np.linspace(case["f_min"], case["f_max"], len(case[k])) for k in ("dgt", "gain_ripple")]
        grid = np.union1d(*grids)
        dgt, ripple = (np.interp(grid, g, case[k]) for g, k in zip(grids, ("dgt", "gain_ripple")))
        f, p = np.asarray(case["frequency"]), np.asarray(case["input_power"])
        n = f.size  # GNPy's 60-channel case padded to 96 channels with absent ones (power 0): one shape
        f, p = np.append(f, 196.0e12 + 50e9 * np.arange(96 - n)), np.append(p, np.zeros(96 - n))
        scalars = {k: float(case[k]) for k in ("gain_db", "gain_flatmax", "f_min", "f_max", "p_max")}
        args = (scalars, grid, dgt, ripple, f, p)
        np.testing.assert_allclose(profile_db(case["tilt_db"], *args)[:n], case["gain_profile_db"], atol=1e-9)
        if k == 1:  # tilt and ripple
            weights = np.linspace(-1, 1, f.size)
            grad = jax.grad(lambda t: jnp.sum(profile_db(t, *args) * weights))(case["tilt_db"])
            h = 1e-4
            fd = np.sum((profile_db(case["tilt_db"] + h, *args) - profile_db(case["tilt_db"] - h, *args)) * weights) / (2 * h)
            np.testing.assert_allclose(grad, fd, rtol=1e-6)
    flat = on.DynamicGainTilt.from_db(17.0, 20.0, grid, dgt)
    np.testing.assert_allclose(flat.gain_profile(jnp.asarray(f), jnp.asarray(p)) * 10 / np.log(10), 17.0, atol=1e-12)


def test_tilted_attenuated_amplifier_in_a_line():
    """A line read at GNPy's gains applies an amplifier's `tilt_target` through its variety's dynamic
    gain tilt and its output VOA as GNPy's design does (set_egress_amplifier). E1 at tilt -2 dB
    (GNPy's sign: the gain rises with frequency), delta_p 1 dB, out_voa 2 dB:
    - the next span is launched about 1.5 dB higher at the top of the band than at the bottom,
      against the flat amplifier's line (where the first span's SRS tilts it by -0.65 dB; the DGT
      scaling's secant step keeps part of the target tilt, as GNPy's own profile does);
    - delta_p is the power before the VOA: the next span is launched at -1 dB (the mean power
      before its input connector, as `test_line_launches_each_span_at_its_delta_p`), and the next
      amplifier's gain makes the 2 dB up.
    A Network (amplifiers that restore the launch power) refuses the tilt, naming the element."""
    from optnet.io import GnpyError, load_gnpy_equipment, load_gnpy_link, load_gnpy_network

    def launch(line):
        power = np.asarray(line.link(line.spectrum).span_power)
        f = np.asarray(line.spectrum.frequency) / 1e12
        tilt = np.polyfit(f, 10 * np.log10(power[1] / power[0]), 1)[0] * (f[-1] - f[0])
        return tilt, 10 * np.log10(np.mean(power, axis=1) * 1e3)

    topology, eq = _line([80, 80])
    topology["elements"][3]["operational"] = {"tilt_target": -2.0, "delta_p": 1.0, "out_voa": 2.0}  # E1
    line, plain = load_gnpy_link(topology, eq), load_gnpy_link(*_line([80, 80]))
    (tilt, launched), (flat_tilt, _) = launch(line), launch(plain)
    assert 1.2 < tilt - flat_tilt < 1.9 and -1.0 < flat_tilt < -0.3
    np.testing.assert_allclose(launched, [-0.5, -1.0], atol=0.02)
    (first, second), (first0, second0) = line.design, plain.design
    assert first.delta_p_db == 1.0 and second.gain_db == pytest.approx(second0.gain_db + 2.0 + (first0.delta_p_db - 1.0))
    with pytest.raises(GnpyError, match="`E1`.*tilt_target"):
        load_gnpy_network(topology, load_gnpy_equipment(eq))
