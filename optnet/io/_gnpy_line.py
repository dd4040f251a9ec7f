"""A GNPy line, the path `gnpy-transmission-example` propagates (the elements between two nodes),
read into an optnet `GNLink`: unlike a `Network`, a link also takes GNPy's `RamanFiber` spans."""

import dataclasses
from collections.abc import Mapping

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._link import GNLink
from .._raman import Pumps, RamanSpan
from .._spectrum import Spectrum
from ._gnpy import (
    AmplifierDesign,
    GnpyEquipment,
    GnpyError,
    GnpySimParams,
    _add_drop_osnr_db,
    _channel_plan,
    _raman_gain,
    _read_graph,
    _receiver_noise,
    _roadm,
    _spans,
    load_gnpy_equipment,
    load_gnpy_sim_params,
)


@dataclasses.dataclass(frozen=True)
class GnpyLine:
    """One line of a GNPy topology as an optnet `GNLink`.

    - `link`: the spans (`FibreSpan`, or `RamanSpan` for a `RamanFiber`), the receiver's added
      noise as the `Transceiver` (SI `tx_osnr`, and the add/drop OSNR at a ROADM end) and, between
      two ROADMs, the `Roadm`.
    - `spectrum`: GNPy's channel plan at the power launched into the first fibre: the SI power (or
      `power_dbm`) less the first span's input loss (`att_in`, `con_in`, `Fused` before it), which
      a Raman span must see (the pumps' depletion and ISRS depend on it).
    - `source`, `target`: the end nodes; `elements`: the uids in between; `auto_amplifiers`: the
      amplifiers GNPy's design rule added; `design`: each span amplifier's `AmplifierDesign`.
    """

    link: GNLink
    spectrum: Spectrum
    source: str
    target: str
    elements: tuple[str, ...]
    auto_amplifiers: tuple[str, ...]
    design: tuple[AmplifierDesign, ...] = ()


def load_gnpy_link(topology, equipment, *, source: str | None = None, target: str | None = None, nli=None,
                   power_dbm: float | int | None = None, amplifiers: str = "gnpy", sim_params=None) -> GnpyLine:
    """Read the line from `source` to `target` (node uids; default: the topology's only line) of a
    GNPy topology with its equipment into a `GnpyLine`. The spans, amplifiers, lumped losses and
    design rules are read as by `load_gnpy_network`; in addition a `RamanFiber` becomes a
    `RamanSpan`:

    - its variety from the equipment's `RamanFiber` entries; its Raman gain from the element's or
      variety's `raman_coefficient` (`g0` in 1/(W m), `frequency_offset`, `reference_frequency`),
      or `raman_efficiency` (GNPy before 2.5: `cr` in 1/(W m) by `frequency_offset`), else GNPy's
      default SSMF coefficient; coefficients scale with the pump frequency and the pair's mode
      overlap, the effective area following GNPy's step-index mode model (`MeasuredRamanGain`);
    - `operational.raman_pumps` (`power` W, `frequency` Hz, `propagation_direction` "coprop" or
      "counterprop"), launched through the fibre's `con_out` (as GNPy's RamanFiber does, for every
      pump) and attenuated by the fibre's loss at their frequency, and
      `operational.temperature` (K) for the spontaneous Raman noise, which the span integrates;
      the coupling conserves power, as GNPy's does (`photon_ratio=False`);
    - the amplifier after it works at GNPy's operating point: in power mode its gain takes the
      mean channel power at the fibre's end, pumps on, to the SI power plus its `delta_p`.

    `amplifiers`: "gnpy" (default) keeps each amplifier at GNPy's flat operating gain, so each span
    is launched at the reference power plus the `delta_p` of the amplifier before it (GNPy's power
    design, see `load_gnpy_network`) and the ISRS tilt accumulates along the line, as in GNPy;
    "restoring" has each amplifier restore every channel's launch power, as a `Network` does.

    Fibres joined by `Fused` elements with no amplifier between are one span, as in GNPy: a
    noiseless splice (an attenuator of the fibre's lumped losses) follows each but the last.

    A line's Raman spans must share the first span's input loss, which the launch power carries
    (see `GnpyLine.spectrum`). `nli`: the NLI model (default `NumericalGN(coherent=False)` with a RamanFiber,
    whose profile is not exponential, else the link's default). `sim_params`: GNPy's Raman flag and
    NLI method, as for `load_gnpy_network` (a RamanFiber needs the flag).
    """
    if amplifiers not in ("gnpy", "restoring"):
        raise ValueError(f"`amplifiers` must be 'gnpy' or 'restoring'; got {amplifiers!r}.")
    eq = equipment if isinstance(equipment, GnpyEquipment) else load_gnpy_equipment(equipment)
    sim = None if sim_params is None else load_gnpy_sim_params(sim_params)
    if nli is None and sim is not None:
        nli = sim.nli()
    g = _read_graph(topology)
    lines = [line for line in g.lines if (source is None or line[0] == source) and (target is None or line[2] == target)]
    if len(lines) != 1:
        known = ", ".join(f"{a} -> {b}" for a, _, b in g.lines)
        raise GnpyError(f"{g.where}: {'no' if not lines else 'more than one'} line "
                        f"{'matches' if source or target else 'in the topology; give `source` and `target`'}"
                        f" (source={source!r}, target={target!r}); the lines: {known}.")
    start, chain, end = lines[0]
    first = next((u for u in chain if g.kind(u) in ("Fiber", "RamanFiber")), None)
    launch_loss_db = 0.0
    if first is not None:
        p = g.elements[first].get("params", {})
        before = chain[:chain.index(first)]
        launch_loss_db = (sum(float(g.elements[u].get("params", {}).get("loss", 1.0)) for u in before if g.kind(u) == "Fused")
                          + float(p.get("att_in", 0.0)) + float(p.get("con_in", eq.span.get("con_in", 0.0))))
    spectrum, _ = _channel_plan(eq, power_dbm)
    spectrum = eqx.tree_at(lambda s: s.power, spectrum, spectrum.power * 10 ** (-launch_loss_db / 10))

    def raman_span(element, fibre, amplifier, launch_dbm, where, con_out_db):
        return _raman_span(element, fibre, amplifier, launch_dbm, spectrum, eq, where, con_out_db)

    spans, auto, booster, design = _spans(chain, g.elements, eq, g.label, power_dbm, g.kind(start) == "Roadm", g.kind(end) == "Roadm",
                                  launch_loss_db=launch_loss_db, raman_span=raman_span,
                                  fixed_gain=amplifiers == "gnpy", raman=None if sim is None else sim.raman)
    ends = {"roadm-add-path": g.kind(start) == "Roadm", "roadm-drop-path": g.kind(end) == "Roadm"}
    roadms = [g.elements[u] for u in (start, end) if g.kind(u) == "Roadm"]
    add_drop = _add_drop_osnr_db(eq, roadms, g.where, tuple(k for k, v in ends.items() if v)) if roadms else ()
    roadm = _roadm(eq, [booster] if booster is not None else []) if all(ends.values()) else None
    if nli is None and any(isinstance(s, RamanSpan) for s in spans):
        nli = GnpySimParams(nli_method="ggn_spectrally_separated").nli()  # GNPy's GGN, as the Raman flag's runs use it
    link = GNLink(list(spans), nli=nli, roadm=roadm, transceiver=_receiver_noise(eq, add_drop))
    return GnpyLine(link, spectrum, start, end, tuple(chain), auto, design)


def _raman_span(element: Mapping, fibre, amplifier, launch_dbm: float, spectrum: Spectrum, eq: GnpyEquipment, where: str,
                con_out_db: float):
    """((NF, gain[, variety, tilt]) -> the `RamanSpan` of a RamanFiber element with that amplifier, its mean
    output power in dBm at the launch power, pumps on)."""
    op = element.get("operational", {})
    if "temperature" not in op:
        raise GnpyError(f"{where}: a RamanFiber needs `operational.temperature` (K).")
    forward, backward = [], []
    for k, pump in enumerate(op.get("raman_pumps", [])):
        if not isinstance(pump, Mapping) or not {"power", "frequency", "propagation_direction"} <= set(pump):
            raise GnpyError(f"{where}: raman_pumps[{k}] needs `power` (W), `frequency` (Hz) and `propagation_direction`.")
        direction = pump["propagation_direction"]
        if direction not in ("coprop", "counterprop"):
            raise GnpyError(f"{where}: raman_pumps[{k}]: `propagation_direction` must be 'coprop' or 'counterprop'; got {direction!r}.")
        (forward if direction == "coprop" else backward).append((float(pump["frequency"]), float(pump["power"])))
    spec = {**eq.raman_fibres[element["type_variety"]], **element.get("params", {})}
    fibre = eqx.tree_at(lambda f: f.raman, fibre, _raman_gain(spec, where))

    # GNPy launches every pump through the fibre's output connector (RamanFiber: power / con_out)

    def pumps(waves):
        if not waves:
            return Pumps()
        f, p = zip(*waves)
        # GNPy attenuates a pump by the fibre's loss at its frequency; a loss table does that already
        attenuation = None if fibre.attenuation_frequency is not None else [float(jnp.mean(fibre.attenuation))] * len(f)
        return Pumps(f, [x * 10 ** (-con_out_db / 10) for x in p], attenuation)

    def span(nf_db, gain_db, *variety_and_tilt):
        return RamanSpan(fibre, pumps(forward), pumps(backward), amplifier(nf_db, gain_db, *variety_and_tilt),
                         spontaneous=True, temperature=float(op["temperature"]), photon_ratio=False)

    power = jnp.full(spectrum.n_channels, 1e-3 * 10 ** (launch_dbm / 10))
    # compiled once (eagerly, the solve dispatches its many small steps one by one)
    out = eqx.filter_jit(lambda sp: sp.solve(spectrum.frequency, power).signal[:, -1])(dataclasses.replace(span(0.0, 0.0), spontaneous=False))
    return span, float(10 * np.log10(np.mean(np.asarray(out)) * 1e3))
