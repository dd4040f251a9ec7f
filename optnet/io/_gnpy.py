"""GNPy's equipment library and topology JSON read into optnet: fibre and amplifier varieties with
GNPy's noise-figure models, transceivers, span rules, and the element graph turned into a `Network`
of ROADM/terminal nodes joined by chains of fibre spans. No dependency on gnpy itself.

GNPy's units at this edge: dB, dBm, km (or `length_units`), dispersion in s/m^2, gamma in 1/(W m),
effective area in m^2, frequencies in Hz."""

import dataclasses
import importlib.resources
import json
import math
import pathlib
import warnings
from collections.abc import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._amplifier import Edfa, Roadm, Transceiver
from .._fibre import Fibre
from .._gain_tilt import DynamicGainTilt
from .._grid import SlotGrid
from .._lightpaths import Lightpaths
from .._network import Network
from .._raman_gain import MeasuredRamanGain, TabulatedRamanGain, TriangularRamanGain
from .._span import FibreSpan
from .._spectrum import Spectrum
from .._topology import Topology
from .._units import SPEED_OF_LIGHT, per_m_to_db_per_km, watt_to_dbm
from ._raman_table import ssmf_raman_gain

ELEMENT_TYPES = ("Transceiver", "Roadm", "Fiber", "RamanFiber", "Edfa", "Fused")
NF_MODELS = ("variable_gain", "fixed_gain", "openroadm", "advanced_model", "dual_stage")
# GNPy amplifier models optnet does not read (GNPy 3.0): an equipment file may list them; an
# element that uses one is refused
_GNPY_ONLY_MODELS = ("openroadm_preamp", "openroadm_booster", "multi_band")
_DELTA_P_DB = 5.0  # GNPy's variable-gain model: power difference between its two coils, dB
_N2 = 2.6e-20  # m^2/W, GNPy's default nonlinear index when a fibre gives an effective area
# GNPy's mode model of a step-index fibre, for the effective area at any frequency
# (gnpy.core.parameters.FiberParams: core radius, core index)
_CORE_RADIUS, _CORE_INDEX = 4.2e-6, 1.468
_AREA_GRID = np.linspace(150e12, 250e12, 101)  # Hz, where the mode area is tabulated: every channel and pump in practice
NLI_METHODS = {"gn_model_analytic": "IncoherentGN", "ggn_spectrally_separated": "NumericalGN"}


class GnpyError(ValueError):
    """A GNPy file optnet cannot read: the message names the file, the element (uid and type) or
    the equipment variety, and what to change."""


def _read(source, what: str) -> tuple[dict, pathlib.Path | None]:
    if isinstance(source, Mapping):
        return dict(source), None
    path = pathlib.Path(source)
    try:
        text = path.read_text()
    except OSError as e:
        raise GnpyError(f"GNPy {what} file {path}: {e.strerror or e}.") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise GnpyError(f"GNPy {what} file {path} is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}.") from None
    if not isinstance(data, dict):
        raise GnpyError(f"GNPy {what} file {path}: expected a JSON object at the top level.")
    return data, path


def _db(x):
    return 10.0 ** (np.asarray(x, dtype=float) / 10.0)


def _to_db(x):
    return 10.0 * np.log10(x)


@dataclasses.dataclass(frozen=True)
class AmplifierVariety:
    """An `Edfa` variety of GNPy's equipment library.

    - `name`: its `type_variety`; `model`: the NF model (`type_def`): "variable_gain",
      "fixed_gain", "openroadm", "advanced_model" or "dual_stage".
    - `gain_min`, `gain_flatmax`, `p_max`: dB, dB, dBm.
    - `parameters`: the model's own numbers (`nf_min`/`nf_max`, `nf0`, `nf_coef`, `nf_fit_coeff`,
      `preamp_variety`/`booster_variety`).
    - `allowed_for_design`: whether automatic design may place it.
    - `spectrum`: GNPy's spectral model of the variety, on a frequency grid shared by the
      equipment's varieties: `frequency` (Hz), `dgt` (its dynamic gain tilt), `gain_ripple` and
      `nf_ripple` (dB), and the amplifier band `f_min`, `f_max` (Hz); from its configuration file
      (`default_config_from_json`, `advanced_config_from_json`) or GNPy's default.
    """

    name: str
    model: str
    gain_min: float
    gain_flatmax: float
    p_max: float
    parameters: dict
    allowed_for_design: bool
    spectrum: dict | None = None


@dataclasses.dataclass(frozen=True)
class GnpyEquipment:
    """GNPy's equipment library (`eqpt_config.json`).

    - `amplifiers`: `AmplifierVariety` by `type_variety`.
    - `fibres`, `raman_fibres`: the `Fiber` and `RamanFiber` varieties (GNPy's keys and units).
    - `transceivers`: `Transceiver` varieties with their `mode` lists.
    - `span`, `roadm`, `si`: the first `Span`, `Roadm` and `SI` entries (design rules, ROADM
      parameters, default spectrum).
    - `unsupported`: varieties of GNPy models optnet does not read (`openroadm_preamp`,
      `openroadm_booster`, `multi_band`), by name: an element that uses one is refused.
    """

    amplifiers: dict[str, AmplifierVariety]
    fibres: dict[str, dict]
    raman_fibres: dict[str, dict]
    transceivers: dict[str, dict]
    span: dict
    roadm: dict
    si: dict
    unsupported: dict[str, str] = dataclasses.field(default_factory=dict)

    def amplifier(self, name: str, where: str) -> AmplifierVariety:
        if name in self.unsupported:
            raise GnpyError(f"{where}: Edfa type_variety `{name}` has GNPy's type_def `{self.unsupported[name]}`, which optnet "
                            f"does not model (it reads {', '.join(NF_MODELS)}).")
        if name not in self.amplifiers:
            raise GnpyError(f"{where}: Edfa type_variety `{name}` is not in the equipment library (known: {sorted(self.amplifiers)}).")
        return self.amplifiers[name]

    def noise_figure_db(self, variety: str | AmplifierVariety, gain_db: float | int, input_power_dbm: float | int = -20.0) -> float:
        """NF (dB) of an amplifier variety operated at `gain_db`, GNPy's models:

        - variable_gain: two coils with a mid-stage VOA, NF = nf1 + nf2/g1a, where nf1, nf2 and
          the coils' power step delta_p are fitted so the NF is nf_min at gain_flatmax and nf_max
          at gain_min, and the first stage's net gain is g1a = G - delta_p - max(gain_flatmax - G, 0);
        - fixed_gain: nf0;
        - openroadm: from the incremental OSNR polynomial in the input power per 50 GHz channel
          (`input_power_dbm`): NF = P_in - OSNR_inc + 58 dB (h f 12.5 GHz is -58 dBm);
        - advanced_model: polynomial `nf_fit_coeff` in min(G - gain_flatmax, 0);
        - dual_stage: the preamp at its gain_flatmax, the booster at the rest, cascaded as
          NF = NF1 + NF2/G1 (GNPy's ASE is NF G h f B, without Friis's -1).

        Below gain_min the input is padded: NF += gain_min - G (not for dual_stage's preamp).

        ??? cite "References"
            GNPy documentation, "Amplifier models and configuration" (oopt-gnpy,
            `amplifier_models_description.rst`); H. T. Friis, Proc. IRE 32(7), 1944.
        """
        v = variety if isinstance(variety, AmplifierVariety) else self.amplifier(variety, "noise_figure_db")
        p = v.parameters
        if v.model == "dual_stage":
            pre = self.amplifier(p["preamp_variety"], f"dual_stage `{v.name}`")
            boost = self.amplifier(p["booster_variety"], f"dual_stage `{v.name}`")
            g1 = pre.gain_flatmax
            f1 = _db(self.noise_figure_db(pre, g1, input_power_dbm))
            f2 = _db(self.noise_figure_db(boost, gain_db - g1, input_power_dbm + g1))
            return float(_to_db(f1 + f2 / _db(g1)))  # GNPy's cascade (its ASE is NF G h f B, no -1)
        pad = max(v.gain_min - gain_db, 0.0)
        g = gain_db + pad
        if v.model == "variable_gain":
            nf1, nf2, delta_p = _variable_gain_coils(v)
            g1a = g - delta_p - max(v.gain_flatmax - g, 0.0)
            nf = float(_to_db(_db(nf1) + _db(nf2) / _db(g1a)))
        elif v.model == "fixed_gain":
            nf = float(p["nf0"])
        elif v.model == "openroadm":
            a, b, c, d = p["nf_coef"]
            p_in = input_power_dbm
            osnr = a * p_in**3 + b * p_in**2 + c * p_in + d
            nf = p_in - osnr + 58.0  # GNPy rounds -10 log10(h f 12.5 GHz / 1 mW) = 57.95 dB to 58
        else:  # advanced_model: the fit in the gain below gain_flatmax (0 above it)
            nf = float(np.polyval(np.asarray(p["nf_fit_coeff"], dtype=float), min(g - v.gain_flatmax, 0.0)))
        return nf + pad


def _variable_gain_coils(v: AmplifierVariety) -> tuple[float, float, float]:
    """GNPy's two-coil fit of a variable-gain EDFA: the coil NFs nf1, nf2 (dB) and the power step
    delta_p between the coils (dB) that give nf_min at gain_flatmax and nf_max at gain_min, from
    nf_{min,max} = nf1 + nf2/g1a_{min,max} with g1a = G - delta_p - (gain_flatmax - G)."""
    nf_min, nf_max = float(v.parameters["nf_min"]), float(v.parameters["nf_max"])
    delta_p = _DELTA_P_DB
    g1a_min = v.gain_min - (v.gain_flatmax - v.gain_min) - delta_p
    g1a_max = v.gain_flatmax - delta_p
    with np.errstate(invalid="ignore", divide="ignore"):  # unphysical inputs give NaN, refused below
        nf2 = float(_to_db((_db(nf_min) - _db(nf_max)) / (1 / _db(g1a_max) - 1 / _db(g1a_min))))
        nf1 = float(_to_db(_db(nf_min) - _db(nf2) / _db(g1a_max)))
    if np.isfinite(nf1 + nf2) and not nf1 + 0.3 < nf2 < nf1 + 2:
        # the second coil is kept 0.3-2 dB noisier than the first; delta_p then follows
        nf2 = float(np.clip(nf2, nf1 + 0.3, nf1 + 2))
        g1a_max = float(_to_db(_db(nf2) / (_db(nf_min) - _db(nf1))))
        delta_p = v.gain_flatmax - g1a_max
        g1a_min = v.gain_min - (v.gain_flatmax - v.gain_min) - delta_p
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = bool(nf1 >= 4 and 1 < delta_p < 11)
        ok = ok and abs(float(_to_db(_db(nf1) + _db(nf2) / _db(g1a_min))) - nf_max) < 0.01
    if not ok:
        raise GnpyError(
            f"Edfa type_variety `{v.name}`: nf_min {nf_min} dB, nf_max {nf_max} dB and gains {v.gain_min}-{v.gain_flatmax} dB "
            f"give no physical two-coil amplifier (coil NFs {nf1:.2f}/{nf2:.2f} dB, step {delta_p:.2f} dB): revise them."
        )
    return nf1, nf2, delta_p


def _require(entry: Mapping, keys, where: str):
    missing = [k for k in keys if k not in entry]
    if missing:
        raise GnpyError(f"{where}: missing {', '.join(f'`{k}`' for k in missing)}.")


def _ripple_db(config: Mapping) -> float:
    """The largest gain or NF ripple (dB) of a GNPy amplifier configuration."""
    values = [abs(float(x)) for k in ("gain_ripple", "nf_ripple") for x in np.ravel(config.get(k, [0.0]))]
    return max(values, default=0.0)


def _default_edfa_config() -> dict:
    """GNPy's default EDFA configuration (`DEFAULT_EDFA_CONFIG`: its dynamic gain tilt curve, no
    ripple), shipped as `optnet/data/gnpy_default_edfa_config.json`."""
    return json.loads(importlib.resources.files("optnet").joinpath("data/gnpy_default_edfa_config.json").read_text())


def _spectral_config(config: Mapping, where: str) -> dict:
    """An amplifier configuration's tables (`dgt`, `gain_ripple`, `nf_ripple`) with the frequencies
    GNPy spreads each over (evenly over [f_min, f_max], Hz)."""
    f_min, f_max = float(config.get("f_min", 191.275e12)), float(config.get("f_max", 196.125e12))
    if not f_max > f_min:
        raise GnpyError(f"{where}: its configuration's band [f_min, f_max] = [{f_min:g}, {f_max:g}] Hz is empty.")
    tables = {k: np.atleast_1d(np.asarray(config.get(k, [0.0]), float)) for k in ("dgt", "gain_ripple", "nf_ripple")}
    for k, t in tables.items():
        if t.ndim != 1 or not np.all(np.isfinite(t)):
            raise GnpyError(f"{where}: its configuration's `{k}` must be a list of finite numbers.")
    grids = [np.linspace(f_min, f_max, len(t)) for t in tables.values()]
    return {"f_min": f_min, "f_max": f_max, "tables": tables, "grids": grids}


def _on_grid(config: dict, grid) -> dict:
    """`_spectral_config`'s tables interpolated on `grid` (Hz; GNPy clamps outside the band)."""
    out = {k: np.interp(grid, g, t) for (k, t), g in zip(config["tables"].items(), config["grids"])}
    return {"frequency": grid, "f_min": config["f_min"], "f_max": config["f_max"], **out}


def load_gnpy_equipment(source) -> GnpyEquipment:
    """Read GNPy's equipment library (a path to `eqpt_config.json` or its parsed dict).

    `advanced_model` varieties take `nf_fit_coeff` from their `advanced_config_from_json` file
    (next to the equipment file) or inline. Each variety's spectral model (dynamic gain tilt, gain
    and NF ripple) comes from its configuration file or GNPy's default: a line read with GNPy's
    operating gains (`load_gnpy_link(..., amplifiers="gnpy")`) applies it (`DynamicGainTilt`);
    elsewhere the amplifiers are flat, and a variety with ripple warns where a topology uses it."""
    data, path = _read(source, "equipment")
    where = f"GNPy equipment {path or '(dict)'}"
    amplifiers, unsupported, configs = {}, {}, {}
    for i, e in enumerate(data.get("Edfa", [])):
        _require(e, ["type_variety"], f"{where}: Edfa entry {i}")
        name = e["type_variety"]
        model = e.get("type_def", "advanced_model" if "advanced_config_from_json" in e else "variable_gain")
        here = f"{where}: Edfa `{name}`"
        if model in _GNPY_ONLY_MODELS:  # refused where an element uses it
            unsupported[name] = model
            continue
        if model not in NF_MODELS:
            raise GnpyError(f"{here}: unknown type_def `{model}` (GNPy's models: {', '.join(NF_MODELS)}).")
        needs = {"variable_gain": ["nf_min", "nf_max", "gain_flatmax", "gain_min"], "fixed_gain": ["nf0", "gain_flatmax"],
                 "openroadm": ["nf_coef", "gain_flatmax"], "advanced_model": ["gain_flatmax"],
                 "dual_stage": ["preamp_variety", "booster_variety"]}[model]
        _require(e, needs, here)
        params = dict(e)
        config = _default_edfa_config()
        if model == "advanced_model" and "nf_fit_coeff" not in params:
            if "advanced_config_from_json" not in e or path is None:
                raise GnpyError(f"{here}: an advanced_model needs `nf_fit_coeff` inline or an `advanced_config_from_json` file.")
            config, _ = _read(path.parent / e["advanced_config_from_json"], f"amplifier `{name}` advanced config")
            _require(config, ["nf_fit_coeff"], f"{here}: {e['advanced_config_from_json']}")
            params["nf_fit_coeff"] = config["nf_fit_coeff"]
        elif "default_config_from_json" in e and path is not None and (path.parent / e["default_config_from_json"]).is_file():
            config = _read(path.parent / e["default_config_from_json"], f"amplifier `{name}` config")[0]
        params["ripple_db"] = _ripple_db(config)
        configs[name] = _spectral_config(config, here)
        amplifiers[name] = AmplifierVariety(name, model, float(e.get("gain_min", 0.0)), float(e.get("gain_flatmax", 0.0)),
                                            float(e.get("p_max", 23.0)), params, bool(e.get("allowed_for_design", False)))
    # the varieties' tables on one grid (the union of theirs: exact for piecewise-linear tables), so
    # that the amplifiers of a line stack
    grid = np.unique(np.concatenate([f for c in configs.values() for f in c["grids"]])) if configs else None
    amplifiers = {n: dataclasses.replace(v, spectrum=_on_grid(configs[n], grid)) for n, v in amplifiers.items()}

    def varieties(kind):
        out = {}
        for i, e in enumerate(data.get(kind, [])):
            _require(e, ["type_variety"], f"{where}: {kind} entry {i}")
            out[e["type_variety"]] = dict(e)
        return out

    fibres, raman_fibres, transceivers = varieties("Fiber"), varieties("RamanFiber"), varieties("Transceiver")
    for name, f in {**fibres, **raman_fibres}.items():
        _require(f, ["dispersion"], f"{where}: Fiber `{name}`")
        if "gamma" not in f and "effective_area" not in f:
            raise GnpyError(f"{where}: Fiber `{name}`: give `gamma` (1/(W m)) or `effective_area` (m^2).")
    first = {k: (data.get(k) or data.get(alt) or [{}])[0] for k, alt in (("Span", "Spans"), ("Roadm", "Roadms"), ("SI", "SI"))}
    eq = GnpyEquipment(amplifiers, fibres, raman_fibres, transceivers, first["Span"], first["Roadm"], first["SI"], unsupported)
    for v in amplifiers.values():  # every model must evaluate (catches dangling dual-stage varieties)
        eq.noise_figure_db(v, v.gain_flatmax if v.model != "dual_stage" else max(v.gain_min, 20.0))
    return eq


@dataclasses.dataclass(frozen=True)
class GnpyLink:
    """One directed link found in a GNPy topology: its end nodes, the element uids along it, the
    spans built from them, the uids of amplifiers that automatic design added, the variety of
    the booster after its source ROADM (if any) and the design of each span's amplifier."""

    source: str
    target: str
    elements: tuple[str, ...]
    spans: tuple[FibreSpan, ...]
    auto_amplifiers: tuple[str, ...]
    booster: AmplifierVariety | None = None
    design: tuple["AmplifierDesign", ...] = ()


@dataclasses.dataclass(frozen=True)
class AmplifierDesign:
    """The amplifier after one span as GNPy's design sets it (`set_egress_amplifier`): its `uid`
    (`<fibre uid>-amplifier` where design added it), its `variety`, its operating `gain_db` (the
    span loss plus the change of delta_p, or `gain_target` in gain mode) and `delta_p_db`, its
    output power per channel relative to the reference power (given, or designed), dB."""

    uid: str
    variety: str
    gain_db: float
    delta_p_db: float


@dataclasses.dataclass(frozen=True)
class GnpyNetwork:
    """A GNPy topology read into optnet.

    - `network`: the `Network` (nodes: `Roadm` and `Transceiver` elements; links: the fibre
      chains between them).
    - `spectrum`: the equipment's `SI` spectrum (`Spectrum`).
    - `links`: a `GnpyLink` per network link, in the topology's link order.
    - `equipment`: the `GnpyEquipment` used.
    """

    network: Network
    spectrum: Spectrum
    links: tuple[GnpyLink, ...]
    equipment: GnpyEquipment

    def lightpaths(self, path=None) -> Lightpaths:
        """Every channel of `spectrum` as a lightpath along `path` (node names; default: the
        network's only link, or its first), at the spectrum's powers and symbol rates."""
        top, grid = self.network.topology, self.network.grid
        if path is None:
            path = (top.nodes[top.source[0]], top.nodes[top.target[0]])
        spacing = float(self.spectrum.frequency[1] - self.spectrum.frequency[0]) if self.spectrum.n_channels > 1 else grid.slot_width
        width = int(round(spacing / grid.slot_width))
        first = np.round((np.asarray(self.spectrum.frequency) - 0.5 * spacing - grid.bands[0][0]) / grid.slot_width).astype(int)
        n = self.spectrum.n_channels
        return Lightpaths.from_paths(top, [path] * n, first, width, grid=grid,
                                     power_dbm=np.asarray(watt_to_dbm(self.spectrum.power)),
                                     symbol_rate=np.asarray(self.spectrum.symbol_rate))


def _length_m(params: Mapping, where: str) -> float:
    units = params.get("length_units", "km")
    if units not in ("km", "m"):
        raise GnpyError(f"{where}: `length_units` must be 'km' or 'm'; got {units!r}.")
    return float(params["length"]) * (1e3 if units == "km" else 1.0)


@dataclasses.dataclass(frozen=True)
class GnpySimParams:
    """GNPy's simulation switches (its `sim_params.json`; GNPy's defaults when it is not given).

    - `raman`: `raman_params.flag`. True: Raman scattering in every fibre (the ISRS tilt, and a
      `RamanFiber`'s pumps) with the variety's Raman coefficient (see `load_gnpy_link`); False
      (GNPy's default): none, and a `RamanFiber` is refused (GNPy would ignore its pumps).
    - `nli_method`: `nli_params.method`: "gn_model_analytic" (GNPy's default; optnet's
      `IncoherentGN`) or "ggn_spectrally_separated" (GNPy's numerical GGN; optnet's
      `NumericalGN(coherent=False)`: spans add incoherently, as in GNPy; it integrates every
      channel pair, without GNPy's far-channel shortcut).
    """

    raman: bool = False
    nli_method: str = "gn_model_analytic"

    def nli(self):
        """optnet's NLI model for `nli_method`."""
        from .. import IncoherentGN, NumericalGN

        return IncoherentGN() if self.nli_method == "gn_model_analytic" else NumericalGN(coherent=False)


def load_gnpy_sim_params(source) -> GnpySimParams:
    """Read GNPy's `sim_params.json` (a path or parsed dict) into `GnpySimParams`."""
    if isinstance(source, GnpySimParams):
        return source
    if not isinstance(source, (str, pathlib.Path, Mapping)):
        raise GnpyError(f"`sim_params` must be a path to GNPy's sim_params.json, a dict or a GnpySimParams; got {type(source).__name__}.")
    data, path = _read(source, "sim_params")
    where = f"GNPy sim_params{f' file {path}' if path else ''}"
    raman = data.get("raman_params", {}).get("flag", False)
    method = data.get("nli_params", {}).get("method", "gn_model_analytic")
    if not isinstance(raman, bool):
        raise GnpyError(f"{where}: `raman_params.flag` must be true or false; got {raman!r}.")
    if method not in NLI_METHODS:
        raise GnpyError(f"{where}: `nli_params.method` must be one of {sorted(NLI_METHODS)}; got {method!r}.")
    return GnpySimParams(raman, method)


def _fibre(element: Mapping, eq: GnpyEquipment, where: str, input_loss_db: float, raman: bool | None = None) -> Fibre:
    """The optnet `Fibre` of a GNPy Fiber element behind a lumped loss of `input_loss_db` (its
    `att_in`, `con_in` and any `Fused` before it). The loss lowers the power launched into the
    fibre, so the NLI it generates relative to the signal scales as gamma^2 P^2: the fibre's gamma
    is divided by that loss (linear), which is exact for the NLI; the amplifier's NF carries the
    loss for the ASE (see `load_gnpy_network`). `raman` (GNPy's `raman_params.flag`): True, the
    variety's Raman coefficient (`_raman_gain`); False, no Raman scattering; None, optnet's default
    triangular gain."""
    variety = element.get("type_variety")
    kind = element.get("type", "Fiber")
    library = eq.raman_fibres if kind == "RamanFiber" else eq.fibres
    if variety is None:
        raise GnpyError(f"{where}: no `type_variety` (a {kind} names one of the equipment's {kind} varieties).")
    if variety not in library:
        raise GnpyError(f"{where}: {kind} type_variety `{variety}` is not in the equipment library (known: {sorted(library)}).")
    spec = {**library[variety], **element.get("params", {})}
    _require(spec, ["length", "loss_coef"], where)
    length = _length_m(spec, where)
    loss = spec["loss_coef"]
    if isinstance(loss, Mapping):  # a per-frequency table {"value": dB/km, "frequency": Hz}
        attenuation, frequency = np.asarray(loss["value"], dtype=float), np.asarray(loss["frequency"], dtype=float)
    else:
        attenuation, frequency = float(loss), None
    scale = 10 ** (-input_loss_db / 10)
    dispersion = float(spec["dispersion"]) * 1e6  # s/m^2 -> ps/(nm km)
    ref = float(spec.get("ref_wavelength", 1550e-9)) * 1e9  # nm
    # dispersion_slope in s/m^3 (= 1e-3 ps/(nm^2 km)); without one GNPy takes beta3 = 0, i.e. S = -2 D/lambda
    slope = float(spec["dispersion_slope"]) * 1e-3 if "dispersion_slope" in spec else -2 * dispersion / ref
    # gamma(f) = 2 pi n2 f/(c A(f)) with GNPy's mode model of A(f) (a given `gamma` fixes the area at
    # the reference wavelength, which the table includes: `to_gnpy` writes gamma there)
    grid = np.union1d(_AREA_GRID, [SPEED_OF_LIGHT / (ref * 1e-9)])
    kwargs = {"effective_area_um2": _mode_area(spec)(grid) * 1e12, "effective_area_frequency": grid,
              "n2": float(spec.get("n2", _N2)) * scale}
    if raman is not None:
        kwargs["raman"] = _raman_gain(spec, where) if raman else TriangularRamanGain(0.0)
    return Fibre.from_datasheet(length / 1e3, attenuation_db_km=attenuation, dispersion_ps_nm_km=dispersion,
                                slope_ps_nm2_km=slope, ref_wavelength_nm=ref, attenuation_frequency=frequency, **kwargs)


def _mode_area(spec: Mapping):
    """A fibre variety's effective area (m^2) as a function of frequency (Hz): GNPy's step-index
    mode model (`FiberParams.effective_area_scaling`), its index contrast set by the variety's
    `effective_area` (or `gamma`, through gamma = 2 pi n2/(lambda A)) at the reference wavelength.
    Far below the reference frequency, where the model's V number nears 1 and its area diverges
    (GNPy's gives NaN there), the area is held at 10 times the reference area."""
    ref_wavelength = float(spec.get("ref_wavelength", 1550e-9))
    if "effective_area" in spec:
        area = float(spec["effective_area"])
    else:
        area = 2 * math.pi * float(spec.get("n2", _N2)) / (ref_wavelength * float(spec["gamma"]))
    f_ref = SPEED_OF_LIGHT / ref_wavelength
    contrast = 0.5 * (SPEED_OF_LIGHT / (2 * math.pi * f_ref * _CORE_RADIUS * _CORE_INDEX)
                      * math.exp(math.pi * _CORE_RADIUS**2 / area)) ** 2

    def mode_area(f):
        v = 2 * math.pi * np.asarray(f, float) / SPEED_OF_LIGHT * _CORE_RADIUS * _CORE_INDEX * np.sqrt(2 * contrast)
        return math.pi * _CORE_RADIUS**2 / np.maximum(np.log(v), math.pi * _CORE_RADIUS**2 / (10 * area))

    return mode_area


def _raman_gain(spec: Mapping, where: str):
    """GNPy's Raman gain of a fibre variety (see `load_gnpy_link`)."""
    if "raman_efficiency" in spec:  # GNPy < 2.5: the efficiency itself, 1/(W m)
        eff = spec["raman_efficiency"]
        if not isinstance(eff, Mapping) or not {"cr", "frequency_offset"} <= set(eff):
            raise GnpyError(f"{where}: `raman_efficiency` needs `cr` (1/(W m)) and `frequency_offset` (Hz).")
        return TabulatedRamanGain(np.asarray(eff["frequency_offset"], float), np.asarray(eff["cr"], float))
    mode_area, grid = _mode_area(spec), _AREA_GRID
    coefficient = spec.get("raman_coefficient")
    if coefficient is None:  # GNPy's default: its SSMF coefficient g0 A_overlap, measured at a reference pump
        return ssmf_raman_gain(jnp.asarray(mode_area(grid)), jnp.asarray(grid))
    if not isinstance(coefficient, Mapping) or not {"g0", "frequency_offset", "reference_frequency"} <= set(coefficient):
        raise GnpyError(f"{where}: `raman_coefficient` needs `g0` (1/(W m)), `frequency_offset` (Hz) and "
                        "`reference_frequency` (Hz).")
    offset = np.asarray(coefficient["frequency_offset"], float)
    f_pump = float(coefficient["reference_frequency"])
    # g0 is per unit overlap area: g0 x A_overlap(Stokes wave, pump) is the coefficient in m/W
    overlap = 0.5 * (mode_area(f_pump - offset) + mode_area(f_pump))
    gamma_raman = np.asarray(coefficient["g0"], float) * overlap
    return MeasuredRamanGain(offset, gamma_raman, f_pump, mode_area(grid), grid)


@dataclasses.dataclass(frozen=True)
class _Graph:
    """A GNPy topology's element graph: the elements by uid, the nodes (ROADMs, and transceivers
    not on a ROADM's add/drop) and the lines between them as (start node, element uids, end node)."""

    data: dict
    where: str
    elements: dict
    nodes: list
    lines: list

    def kind(self, uid):
        return self.elements[uid]["type"]

    def label(self, uid):
        return f"{self.where}: element `{uid}` ({self.kind(uid)})"


def _read_graph(topology) -> _Graph:
    data, path = _read(topology, "topology")
    where = f"GNPy topology {path or '(dict)'}"
    _require(data, ["elements", "connections"], where)
    elements = {}
    for i, e in enumerate(data["elements"]):
        if not isinstance(e, Mapping) or "uid" not in e or "type" not in e:
            raise GnpyError(f"{where}: element {i} needs a `uid` and a `type`.")
        if e["type"] not in ELEMENT_TYPES:
            raise GnpyError(f"{where}: element `{e['uid']}` has unknown type `{e['type']}` (GNPy's types: {', '.join(ELEMENT_TYPES)}).")
        if e["uid"] in elements:
            raise GnpyError(f"{where}: element uid `{e['uid']}` is used twice.")
        elements[e["uid"]] = e
    succ: dict[str, list[str]] = {u: [] for u in elements}
    for i, c in enumerate(data["connections"]):
        for end in ("from_node", "to_node"):
            if c.get(end) not in elements:
                raise GnpyError(f"{where}: connection {i} ({c.get('from_node')} -> {c.get('to_node')}): "
                                f"`{end}` `{c.get(end)}` is not an element of the topology (dangling connection).")
        succ[c["from_node"]].append(c["to_node"])
    g = _Graph(data, where, elements, [], [])
    kind, label = g.kind, g.label
    neighbours = {u: set(succ[u]) for u in elements}
    for u in elements:
        for v in succ[u]:
            neighbours[v].add(u)
    add_drop = {u for u in elements if kind(u) == "Transceiver" and neighbours[u]
                and all(kind(v) == "Roadm" for v in neighbours[u])}
    g.nodes.extend(u for u in elements if kind(u) in ("Roadm", "Transceiver") and u not in add_drop)
    if len(g.nodes) < 2:
        raise GnpyError(f"{where}: a network needs at least two Roadm or Transceiver elements; found {len(g.nodes)}.")
    for start in g.nodes:
        for first in succ[start]:
            if kind(first) in ("Roadm", "Transceiver"):
                continue  # an add/drop connection inside a site
            chain, uid = [], first
            while kind(uid) not in ("Roadm", "Transceiver"):
                chain.append(uid)
                nxt = succ[uid]
                if len(nxt) != 1:
                    raise GnpyError(f"{label(uid)}: a line element needs exactly one outgoing connection; it has {len(nxt)}"
                                    + (" (the line is dangling)." if not nxt else "."))
                uid = nxt[0]
                if uid in chain:
                    raise GnpyError(f"{label(uid)}: the line loops back on itself.")
            g.lines.append((start, chain, uid))
    return g


def load_gnpy_network(topology, equipment, *, nli=None, power_dbm: float | int | None = None, sim_params=None) -> GnpyNetwork:
    """Read a GNPy topology (path or parsed dict) with its equipment (`GnpyEquipment`, a path or a
    dict) into an optnet `Network`.

    Nodes are the `Roadm` and `Transceiver` elements; each chain of `Fused`, `Fiber` and `Edfa`
    elements from one node to the next is a directed link, one `FibreSpan` per `Fiber`:
    - lumped losses: `Fused` elements and a fibre's `att_in`, `con_in` before it, `con_out` (and
      the span rules' `EOL` unless a `Fused` element follows, as in GNPy) and `Fused` elements
      after it. Both count in the amplifier's NF (an
      attenuator before an amplifier multiplies its NF); the input loss also divides the fibre's
      gamma, which is exact for the NLI (it scales as gamma^2 P^2 relative to the signal);
    - the `Edfa` after a fibre sets the span's NF, from its variety's model at GNPy's operating
      gain: in power mode (the equipment's `Span.power_mode`, default true) the span loss plus
      the change of the amplifiers' `operational.delta_p` (their output power offset, dB); in
      gain mode its `gain_target`. Every span is launched at the SI power: a non-zero `delta_p`
      sets the amplifier's NF but not the next span's launch power (`load_gnpy_link` launches
      each span at the SI power plus the delta_p before it, as GNPy does);
    - GNPy's amplifier design (`set_egress_amplifier`): an amplifier without `delta_p` gets
      GNPy's `target_power` from the loss of the span it feeds (0.3 dB per dB above 20 dB, rounded
      and clipped to `Span.delta_power_range_db`; 0 without that range); an output above the
      variety's p_max lowers delta_p and the gain (in gain mode too); a fibre with no amplifier after it gets GNPy's
      `select_edfa` variety (see docs/from_gnpy.md). The designs are in `GnpyLink.design`, the
      added uids in `GnpyLink.auto_amplifiers`.

    A booster (an `Edfa` right after a `Roadm`, before the line's first fibre) sets the NF of the
    network's `Roadm` (see `GnpyLink.booster`). The network's `Transceiver` SNR sums, as GNPy's
    receiver does, the SI `tx_osnr` and, with ROADMs, the add and drop paths' OSNR (each in 0.1 nm;
    see `_add_drop_osnr_db`). Refused with a clear error: `RamanFiber` elements (a `Network`'s spans
    are passive; read such a line with `load_gnpy_link`), fibres spliced by `Fused` elements with
    no amplifier between (`load_gnpy_link` reads them) and amplifiers before the first fibre after
    a `Transceiver`.

    `sim_params` (GNPy's `sim_params.json`, a path, a dict or `GnpySimParams`): GNPy's Raman flag
    and NLI method, to match a GNPy run: without the flag (GNPy's default) the fibres have no
    Raman scattering, with it they take the variety's Raman coefficient; the NLI model is the
    method's (unless `nli` is given). Without `sim_params`, the fibres take optnet's default
    triangular Raman gain (the ISRS tilt) and `nli` the network's default.
    """
    eq = equipment if isinstance(equipment, GnpyEquipment) else load_gnpy_equipment(equipment)
    sim = None if sim_params is None else load_gnpy_sim_params(sim_params)
    if nli is None and sim is not None:
        nli = sim.nli()
    g = _read_graph(topology)
    elements, kind, label, nodes, where, data = g.elements, g.kind, g.label, g.nodes, g.where, g.data
    links = []
    for start, chain, end in g.lines:
        links.append(GnpyLink(start, end, tuple(chain), *_spans(chain, elements, eq, label, power_dbm, kind(start) == "Roadm",
                                                                 kind(end) == "Roadm", raman=None if sim is None else sim.raman)))
    if not links:
        raise GnpyError(f"{where}: no fibre line joins two Roadm or Transceiver elements.")
    names = tuple(nodes)
    coordinates = []
    for u in nodes:
        loc = elements[u].get("metadata", {}).get("location", {})
        coordinates.append((float(loc.get("longitude", 0.0)), float(loc.get("latitude", 0.0))))
    top = Topology(data.get("network_name", "gnpy"), names, tuple(coordinates),
                   tuple(names.index(l.source) for l in links), tuple(names.index(l.target) for l in links),
                   tuple(float(sum(s.fibre.length for s in l.spans)) for l in links))
    spectrum, grid = _channel_plan(eq, power_dbm)
    has_roadm = any(kind(u) == "Roadm" for u in nodes)
    roadms = [elements[u] for u in nodes if kind(u) == "Roadm"]
    tx = _receiver_noise(eq, _add_drop_osnr_db(eq, roadms, where) if has_roadm else ())
    links = _common_structure(links)
    first = links[0].spans[0]
    network = Network(top, fibre=first.fibre, amplifier=first.amplifier, nli=nli, transceiver=tx, grid=grid,
                      roadm=_roadm(eq, [l.booster for l in links if l.booster is not None]) if has_roadm else _no_roadm(),
                      spans={k: list(l.spans) for k, l in enumerate(links)})
    return GnpyNetwork(network, spectrum, tuple(links), eq)


def _spans(chain, elements, eq: GnpyEquipment, label, power_dbm, from_roadm: bool, to_roadm: bool,
           launch_loss_db: float = 0.0, raman_span=None, fixed_gain: bool = False, raman: bool | None = None):
    """The spans of a line (see `load_gnpy_network`). `launch_loss_db`: an input loss already taken
    out of the launch power (a line read by `load_gnpy_link`); each span's own input loss is
    counted beyond it. `raman_span(element, fibre, amplifier, launch power dBm, where, output
    connector loss dB)`: builds the span of a `RamanFiber` (its pumps launched through that loss)
    and returns it with its mean output power in dBm (None: RamanFiber refused).
    `fixed_gain`: each amplifier keeps GNPy's flat operating gain (the next span launched at the
    reference power plus its delta_p) instead of restoring the launch power. `raman`: GNPy's Raman
    flag (see `_fibre`; None: optnet's default gain, RamanFiber spans allowed)."""
    fibres, booster, pending_db, i = [], None, 0.0, 0
    launch_dbm = (eq.si.get("power_dbm", 0.0) if power_dbm is None else power_dbm) - launch_loss_db
    # first pass: each fibre with its lumped losses, its loss (a RamanFiber's net loss at the
    # reference power, pumps on, as GNPy estimates it for design) and the amplifier after it
    while i < len(chain):
        uid = chain[i]
        e = elements[uid]
        if e["type"] == "Fused":
            pending_db += float(e.get("params", {}).get("loss", 1.0))
            i += 1
            continue
        if e["type"] == "Edfa":  # before the line's first fibre: a booster
            if not from_roadm or fibres or booster is not None:
                raise GnpyError(f"{label(uid)}: an amplifier before a line's first fibre is read only as the "
                                "booster right after a Roadm (not after a Transceiver, nor two of them).")
            if "type_variety" not in e:
                raise GnpyError(f"{label(uid)}: no `type_variety` (an Edfa names one of the equipment's Edfa varieties).")
            if _operational(e, label(uid))[1]:
                raise GnpyError(f"{label(uid)}: a booster's `operational.out_voa` is not read (its ROADM's noise is modelled "
                                "at the ROADM's output power): set it to 0 or remove it.")
            booster = eq.amplifier(e["type_variety"], label(uid))
            i += 1
            continue
        p = e.get("params", {})
        input_db = pending_db + float(p.get("att_in", 0.0)) + float(p.get("con_in", eq.span.get("con_in", 0.0)))
        # GNPy's add_connector_loss: the span rules' EOL margin joins con_out unless a Fused follows
        fused_next = i + 1 < len(chain) and elements[chain[i + 1]]["type"] == "Fused"
        output_db = float(p.get("con_out", eq.span.get("con_out", 0.0))) + (0.0 if fused_next else float(eq.span.get("EOL", 0.0)))
        pending_db = 0.0
        raman_fibre = e["type"] == "RamanFiber"
        if raman_fibre and raman is False:
            raise GnpyError(f"{label(uid)}: the sim_params' `raman_params.flag` is false, so GNPy would ignore this "
                            "RamanFiber's pumps: set the flag to true.")
        if raman_fibre and (raman_span is None or abs(input_db - launch_loss_db) > 1e-12):
            raise GnpyError(f"{label(uid)}: " + ("a Network's spans are passive fibre spans; read a line with RamanFiber "
                            "elements with `load_gnpy_link` (an optnet GNLink)." if raman_span is None else
                            f"its input loss ({input_db:g} dB) differs from the line's first span ({launch_loss_db:g} dB): "
                            "optnet launches a line's Raman spans at one power."))
        # the span is launched at the power before its input loss, which scales gamma; with
        # restoring amplifiers every span is launched at the line's launch power, which already
        # lost `launch_loss_db`, and so is the first span with flat gains
        model_input_db = input_db - (launch_loss_db if not fixed_gain or not fibres else 0.0)
        if raman_fibre and model_input_db > 1e-12:
            raise GnpyError(f"{label(uid)}: with flat amplifier gains only the line's first RamanFiber may have an input "
                            f"loss ({input_db:g} dB here): the pumps must see the power inside the fibre.")
        fibre = _fibre(e, eq, label(uid), model_input_db, raman)
        i += 1
        fused_after, connector_db = i, output_db  # the fibre's own output connector (and EOL)
        while i < len(chain) and elements[chain[i]]["type"] == "Fused":
            output_db += float(elements[chain[i]].get("params", {}).get("loss", 1.0))
            i += 1
        # fibres joined by Fused elements with no amplifier between are one span in GNPy
        spliced = i > fused_after and i < len(chain) and elements[chain[i]]["type"] in ("Fiber", "RamanFiber")
        if spliced and (not fixed_gain or raman_fibre or elements[chain[i]]["type"] == "RamanFiber"):
            raise GnpyError(f"{label(uid)}: spliced to `{chain[i]}` by Fused elements with no amplifier between (one span "
                            "in GNPy). " + ("Only passive fibres can be spliced." if fixed_gain else
                            "A Network's spans each end in an amplifier: read the line with `load_gnpy_link`, or put "
                            "an Edfa between them."))
        fibre_db = float(np.mean(per_m_to_db_per_km(fibre.attenuation))) * float(fibre.length) / 1e3
        loss_db = input_db + fibre_db + output_db
        span = None
        if raman_fibre:  # the span's net loss at the launch power, pumps on (GNPy's RamanFiber output power)
            span, out_dbm = raman_span(e, fibre, lambda nf, gain, *extra, out=output_db: _amplifier(nf + out, gain, fixed_gain, *extra),
                                       launch_dbm, label(uid), connector_db)
            loss_db = launch_loss_db + launch_dbm - out_dbm + output_db
        amp = None
        if i < len(chain) and elements[chain[i]]["type"] == "Edfa":
            amp = chain[i]
            if "type_variety" not in elements[amp]:
                raise GnpyError(f"{label(amp)}: no `type_variety` (an Edfa names one of the equipment's Edfa varieties).")
            i += 1
        tilt_db, voa_db = _operational(elements[amp], label(amp), tilt=fixed_gain) if amp is not None else (0.0, 0.0)
        fibres.append({"uid": uid, "fibre": fibre, "raman_span": span, "loss_db": loss_db,
                       "lumped_db": model_input_db + output_db, "amp": amp, "spliced": spliced, "tilt_db": tilt_db,
                       "voa_db": voa_db})
    if not fibres:
        raise GnpyError(f"{label(chain[0])}: the line has no Fiber.")
    # the spans as GNPy designs them: each group of spliced fibres ends in its amplifier
    groups, start = [], 0
    for k, f in enumerate(fibres):
        if not f["spliced"]:
            groups.append(fibres[start:k + 1])
            start = k + 1
    # second pass: GNPy's amplifier design (set_egress_amplifier): each amplifier's output offset
    # delta_p (given, else from the loss of the span it feeds), its variety (given, else designed)
    # and its operating gain
    power_mode = eq.span.get("power_mode", True)
    pref_dbm = eq.si.get("power_dbm", 0.0) if power_dbm is None else power_dbm
    pref_total_dbm = pref_dbm + 10 * math.log10(_channel_plan(eq, power_dbm)[0].n_channels)
    spans, auto, design, previous_dp, previous_voa = [], [], [], 0.0, 0.0
    for k, group in enumerate(groups):
        *joined, f = group
        loss_db = sum(g["loss_db"] for g in group)
        amp = elements[f["amp"]] if f["amp"] is not None else None
        where = label(f["amp"]) if amp is not None else label(f["uid"])
        operational = (amp.get("operational") or {}) if amp is not None else {}
        # GNPy's output VOA (set_egress_amplifier): delta_p is the power before it, the next span
        # is launched out_voa lower, and the next amplifier's gain makes it up
        voa = f["voa_db"]
        if power_mode:
            given = operational.get("delta_p")
            if given is not None:
                dp = float(given)
            else:  # the span it feeds; a Roadm at the end: 0; a Transceiver: a span of no loss
                next_loss = sum(g["loss_db"] for g in groups[k + 1]) if k + 1 < len(groups) else (None if to_roadm else 0.0)
                dp = _target_delta_p(eq, next_loss, where) + voa
            gain_db = loss_db + dp - previous_dp + previous_voa
        else:
            gain_db = float(operational.get("gain_target") or loss_db)
            dp = previous_dp - previous_voa + gain_db - loss_db
        if amp is not None:
            uid, variety = f["amp"], eq.amplifier(amp["type_variety"], where)
            reduction = min(0.0, variety.p_max - (pref_total_dbm + dp))
            if power_mode and variety.parameters.get("out_voa_auto") and operational.get("out_voa") is None:
                raise GnpyError(f"{where}: Edfa variety `{variety.name}` has `out_voa_auto`, GNPy's automatic output "
                                "VOA, which optnet's design does not replicate: give the element an `operational.out_voa`.")
        else:
            uid, (variety, reduction) = f"{f['uid']}-amplifier", _select_amplifier(eq, gain_db, pref_total_dbm + dp, where)
            auto.append(uid)
        # GNPy lowers the output power an amplifier cannot reach (in either mode)
        dp, gain_db = dp + reduction, gain_db + reduction
        design.append(AmplifierDesign(uid, variety.name, gain_db, dp))
        if variety.parameters.get("ripple_db", 0.0) > 0.0 and not fixed_gain:
            warnings.warn(f"{where}: Edfa variety `{variety.name}` has gain or NF ripple of up to "
                          f"{variety.parameters['ripple_db']:.2f} dB in its GNPy configuration; optnet's import "
                          "models it flat (its mean NF and gain): read the line with `amplifiers=\"gnpy\"` for GNPy's "
                          "spectra.", stacklevel=3)
        nf = eq.noise_figure_db(variety, gain_db, pref_dbm + previous_dp - previous_voa - loss_db)
        # the VOA attenuates the ASE with the signal: NF' G' - 1 = (NF G - 1) / V at G' = G / V, so
        # NF' = NF + (V - 1) / G (at the operating gain G: a DGT's spectrum moves it by ~0.01 dB)
        nf = 10 * math.log10(10 ** (nf / 10) + (10 ** (voa / 10) - 1) / 10 ** (gain_db / 10))
        # a splice takes its fibre's lumped losses out of the power and adds no noise (NF G = 1)
        spans.extend(FibreSpan(g["fibre"], Edfa.from_db(g["lumped_db"], -g["lumped_db"])) for g in joined)
        # the lumped losses around the fibre are attenuators before the amplifier for its ASE; a
        # span models its fibre alone (its input loss scales gamma; the launch loss is in the launch
        # power), so a flat gain leaves them out: the next span starts at the reference power
        # plus delta_p
        model_gain_db = gain_db - f["lumped_db"] - voa
        if f["raman_span"] is not None:
            spans.append(f["raman_span"](nf, model_gain_db, variety, f["tilt_db"], voa))
        else:
            spans.append(FibreSpan(f["fibre"], _amplifier(nf + f["lumped_db"], model_gain_db, fixed_gain, variety, f["tilt_db"], voa)))
        previous_dp, previous_voa = dp, voa
    return tuple(spans), tuple(auto), booster, tuple(design)


def _operational(element: Mapping, where: str, tilt: bool = False) -> tuple[float, float]:
    """An Edfa element's operational `tilt_target` and `out_voa` (dB; the VOA >= 0). A non-zero
    tilt is refused unless `tilt` (a line read with GNPy's operating gains applies it through the
    variety's dynamic gain tilt)."""
    op = element.get("operational") or {}
    values = []
    for key in ("tilt_target", "out_voa"):
        value = op.get(key)
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise GnpyError(f"{where}: `operational.{key}` must be a number (dB); got {value!r}.")
        values.append(float(value or 0.0))
    tilt_db, voa_db = values
    if tilt_db and not tilt:
        raise GnpyError(f"{where}: `operational.tilt_target` = {tilt_db!r} asks for a gain tilt, which GNPy applies through "
                        "its dynamic gain tilt at its operating gains: read the line with `load_gnpy_link(..., "
                        "amplifiers=\"gnpy\")`, or set it to 0. (A Network's amplifiers restore the launch power.)")
    if not voa_db >= 0:
        raise GnpyError(f"{where}: `operational.out_voa` must be a number >= 0 (dB, an output attenuator); got {voa_db!r}.")
    return tilt_db, voa_db


def _amplifier(nf_db: float, gain_db: float, fixed_gain: bool, variety: AmplifierVariety | None = None,
               tilt_db: float = 0.0, voa_db: float = 0.0) -> Edfa:
    """An EDFA of NF `nf_db`: restoring the launch power, or at GNPy's operating gain `gain_db`;
    with the `variety`, its gain and NF spectra are GNPy's (`DynamicGainTilt` at GNPy's
    `tilt_target` `tilt_db`, the NF ripple added to `nf_db`, its p_max less the output VOA
    `voa_db` that `gain_db` includes), else flat."""
    if not fixed_gain:
        return Edfa.from_db(nf_db)
    if variety is None or variety.spectrum is None:
        return Edfa.from_db(nf_db, gain_db)
    sp = variety.spectrum
    control = DynamicGainTilt.from_db(gain_db, variety.gain_flatmax, sp["frequency"], sp["dgt"], sp["gain_ripple"], tilt_db,
                                      sp["f_min"], sp["f_max"], variety.p_max - voa_db)
    if not np.any(sp["nf_ripple"]):
        return Edfa.from_db(nf_db, control)
    return Edfa.from_db(nf_db + sp["nf_ripple"], control, sp["frequency"])


def _round2float(x: float, step: float) -> float:
    """GNPy's `round2float`: `x` rounded to a multiple of `step` (itself rounded to 0.1 dB)."""
    step = round(step, 1)
    return round(round(x / step) * step, 1) if step >= 0.01 else round(x, 2)


def _target_delta_p(eq: GnpyEquipment, loss_db: float | None, where: str) -> float:
    """GNPy's `target_power` (Auge, Curri, Le Rouzic, "Open design for multi-vendor optical
    networks", OFC 2019, Eq. 4): the output offset (dB) of an amplifier feeding a span of
    `loss_db`, 0.3 dB per dB above 20 dB, rounded and clipped to the equipment's
    `Span.delta_power_range_db` [low, high, step]; 0 before a Roadm (`loss_db` None) or without a
    range (GNPy would fail)."""
    if loss_db is None:
        return 0.0
    rng = eq.span.get("delta_power_range_db")
    if rng is None:
        return 0.0
    if not (isinstance(rng, (list, tuple)) and len(rng) == 3):
        raise GnpyError(f"{where}: the equipment's `Span.delta_power_range_db` must be [low, high, step] (dB); got {rng!r}.")
    low, high, step = (float(x) for x in rng)
    loss_db = round(loss_db, 4)  # a float32 fibre's loss is off by ~1e-5 dB: not enough to move a rounding
    return min(high, max(low, _round2float((loss_db - 20.0) * 0.3, step)))


def _select_amplifier(eq: GnpyEquipment, gain_db: float, power_dbm: float, where: str) -> tuple[AmplifierVariety, float]:
    """GNPy's `select_edfa`: among the `allowed_for_design` varieties (Raman ones excluded), those
    whose gain_min is at least 3 dB under `gain_db`, then those that reach the total output power
    `power_dbm` (dBm) within p_max and gain_flatmax plus the span rules' `target_extended_gain`
    (else the most powerful, within 0.3 dB), the one of lowest NF at `gain_db` (GNPy evaluates it
    at 0 dBm into 88 channels). Returns it and the power reduction (dB, <= 0) it forces."""
    allowed = [v for v in eq.amplifiers.values() if v.allowed_for_design and not v.parameters.get("raman", False)]
    if not allowed:
        raise GnpyError(f"{where}: no amplifier follows this fibre and no Edfa variety is `allowed_for_design`.")
    extended = float(eq.span.get("target_extended_gain", 2.5))
    pin = power_dbm - gain_db
    power = {v.name: min(pin + v.gain_flatmax + extended, v.p_max) - power_dbm for v in allowed}
    nf = {v.name: eq.noise_figure_db(v, gain_db, -10 * math.log10(88)) for v in allowed}
    candidates = [v for v in allowed if gain_db + 3 - v.gain_min > 0] or allowed
    reach = [v for v in candidates if power[v.name] > 0]
    if not reach:
        best = max(power[v.name] for v in candidates)
        reach = [v for v in candidates if power[v.name] - best > -0.3]
    chosen = min(reach, key=lambda v: nf[v.name])
    return chosen, min(power[chosen.name], 0.0)


def _common_structure(links: list[GnpyLink]) -> list[GnpyLink]:
    """Give every fibre the same table layout, so the spans of the network stack: gamma as a table
    (a constant one where GNPy gives `gamma`) and, when any fibre has a per-frequency loss, every
    loss on that fibre's frequency grid."""
    fibres = [s.fibre for l in links for s in l.spans]
    loss_grid = next((np.asarray(f.attenuation_frequency) for f in fibres if f.attenuation_frequency is not None), None)
    gamma_grid = next((np.asarray(f.gamma_frequency) for f in fibres if f.gamma_frequency is not None), None)

    def fix(f: Fibre) -> Fibre:
        if gamma_grid is not None:
            g = np.asarray(f.gamma)
            g = np.full(gamma_grid.shape, float(g)) if f.gamma_frequency is None else np.interp(gamma_grid, np.asarray(f.gamma_frequency), g)
            f = eqx.tree_at(lambda x: (x.gamma, x.gamma_frequency), f, (jnp.asarray(g), jnp.asarray(gamma_grid)),
                            is_leaf=lambda x: x is None)
        if loss_grid is not None:
            a = np.asarray(f.attenuation)
            a = np.full(loss_grid.shape, float(a)) if f.attenuation_frequency is None else np.interp(loss_grid, np.asarray(f.attenuation_frequency), a)
            f = eqx.tree_at(lambda x: (x.attenuation, x.attenuation_frequency), f, (jnp.asarray(a), jnp.asarray(loss_grid)),
                            is_leaf=lambda x: x is None)
        return f

    return [dataclasses.replace(l, spans=tuple(FibreSpan(fix(s.fibre), s.amplifier) for s in l.spans)) for l in links]


def _roadm(eq: GnpyEquipment, boosters: list[AmplifierVariety]) -> Roadm:
    """GNPy's ROADM is passive, and the booster after it (or the next preamp) compensates its loss.
    optnet's `Roadm` is that loss with the compensating amplifier's NF: GNPy's
    `gain_mode_default_loss` (20 dB unless given), and the boosters' NF at that gain (their mean,
    linear, as one `Roadm` serves every node), or 6 dB without boosters."""
    loss = float(eq.roadm.get("gain_mode_default_loss", 20.0))
    nf = 6.0
    if boosters:
        nf = float(_to_db(np.mean([_db(eq.noise_figure_db(v, loss)) for v in boosters])))
    return Roadm.from_db(loss, loss, nf)


def _channel_plan(eq: GnpyEquipment, power_dbm) -> tuple[Spectrum, SlotGrid]:
    """GNPy's channels from the `SI` entry (`create_input_spectral_information`: f_min + k spacing for
    k = 0 .. floor((f_max - f_min) / spacing), GNPy's `automatic_nch`) at `power_dbm` (default the
    SI power), and a slot grid holding them."""
    si = eq.si
    _require(si, ["f_min", "f_max", "baud_rate", "spacing"], "equipment `SI`")
    spacing = float(si["spacing"])
    n = int(math.floor((si["f_max"] - si["f_min"]) / spacing + 1e-9)) + 1
    power = si.get("power_dbm", 0.0) if power_dbm is None else power_dbm
    spectrum = Spectrum.uniform(n, spacing, centre=si["f_min"] + 0.5 * (n - 1) * spacing,
                                symbol_rate=si["baud_rate"], power_dbm=power, roll_off=si.get("roll_off", 0.0))
    slot = 12.5e9 if abs(spacing / 12.5e9 - round(spacing / 12.5e9)) < 1e-9 else spacing
    return spectrum, SlotGrid(((si["f_min"] - 0.5 * spacing, int(round(n * spacing / slot))),), slot)


def _receiver_noise(eq: GnpyEquipment, add_drop_db) -> Transceiver | None:
    """The receiver's added noise as one `Transceiver` SNR: the SI `tx_osnr` and the given add/drop
    OSNRs, each in 0.1 nm (12.5 GHz), scaled to the symbol rate and summed as 1/OSNR (GNPy's
    `Transceiver.update_snr`); None without any."""
    osnr_db = ([eq.si["tx_osnr"]] if "tx_osnr" in eq.si else []) + list(add_drop_db)
    if not osnr_db:
        return None
    return Transceiver(1.0 / (eq.si["baud_rate"] / 12.5e9 * sum(10 ** (-x / 10) for x in osnr_db)))


def _add_drop_osnr_db(eq: GnpyEquipment, roadms: list[dict], where: str, paths=("roadm-add-path", "roadm-drop-path")) -> list[float]:
    """The OSNRs (dB in 0.1 nm) of the add and the drop path, as GNPy's receiver sums them
    (`topology.request.propagate`, `Transceiver.update_snr`): for each path type, the `roadm-osnr`
    of the first profile of that type in the equipment's `roadm-path-impairments` if there is one,
    else `add_drop_osnr` + 10 log10 2 (so add and drop together count `add_drop_osnr` once). An
    element's `params.add_drop_osnr` overrides the equipment's; optnet's `Network` has one
    transceiver SNR, so the ROADMs must agree. Express-path OSNRs, which GNPy counts at every ROADM
    passed, are refused. `paths`: the path types counted (a line from a transceiver to a ROADM has
    a drop path only)."""
    first = {}
    for profile in eq.roadm.get("roadm-path-impairments") or []:
        for key in ("roadm-add-path", "roadm-drop-path", "roadm-express-path"):
            if key in profile and key not in first:
                first[key] = profile[key]
    if any(e.get("roadm-osnr") is not None for e in first.get("roadm-express-path", [])):
        raise GnpyError("equipment `Roadm`: an express-path `roadm-osnr` counts at every ROADM passed, which optnet's "
                        "ROADM model does not read; remove it or fold it into the ROADM noise figure.")
    values = {float(r.get("params", {}).get("add_drop_osnr", eq.roadm.get("add_drop_osnr", math.inf))) for r in roadms}
    if len(values) > 1:
        raise GnpyError(f"{where}: the Roadm elements' `add_drop_osnr` differ ({sorted(values)}); optnet's Network has one "
                        f"transceiver SNR for every lightpath.")
    default = values.pop() + 10 * math.log10(2)
    out = []
    for key in paths:
        if key not in first:
            out.append(default)
            continue
        osnr = {e.get("roadm-osnr") for e in first[key]} - {None}
        if len(osnr) > 1:
            raise GnpyError(f"equipment `Roadm`: the `{key}` `roadm-osnr` differs between frequency ranges "
                            f"({sorted(osnr)}); optnet reads one value per path.")
        out += [float(v) for v in osnr]
    return [x for x in out if not math.isinf(x)]


def _no_roadm() -> Roadm:
    return Roadm(1.0, 1.0, 1.0)  # terminals joined directly: no ROADM noise (NF 0 dB, no loss)


def to_gnpy(network: Network, spectrum: Spectrum) -> tuple[dict, dict]:
    """An optnet `Network` and its `Spectrum` as GNPy topology and equipment JSON (dicts, to
    `json.dump`), so the network reads back with `load_gnpy_network` (or into GNPy).

    Nodes become `Roadm` elements (`Transceiver` elements when the network's ROADMs add no noise);
    each span a `Fiber` of its own variety (loss, length, dispersion and slope at its reference
    wavelength, gamma there) followed by an `Edfa` of a `fixed_gain` variety at the span's NF;
    the spectrum the `SI` entry (its transceiver SNR as `tx_osnr`). A ROADM is GNPy's
    `gain_mode_default_loss` and a `fixed_gain` booster at its NF after it on every link. A gamma
    that varies with frequency is written at the reference wavelength only; GNPy (and the import)
    scale it across the band with GNPy's mode model of the effective area.
    """
    top = network.topology
    roadm = network.roadm
    noiseless = roadm is None or float(roadm.noise_figure * roadm.add_drop_loss) <= 1.0 + 1e-12
    node_type = "Transceiver" if noiseless else "Roadm"
    elements = []
    for name, (lon, lat) in zip(top.nodes, top.coordinates or [(0.0, 0.0)] * top.n_nodes):
        elements.append({"uid": name, "type": node_type, "metadata": {"location": {"longitude": lon, "latitude": lat}}})
    connections, fibres, amplifiers = [], [], []
    if not noiseless:  # the ROADM's compensating amplifier, as a booster after it on every link
        amplifiers.append({"type_variety": "optnet roadm booster", "type_def": "fixed_gain", "gain_min": 0,
                           "gain_flatmax": 40, "p_max": 30, "nf0": float(10 * np.log10(float(roadm.noise_figure))),
                           "allowed_for_design": False})
    for k in range(top.n_links):
        src, dst = top.nodes[top.source[k]], top.nodes[top.target[k]]
        previous, j = src, 0
        if not noiseless:
            booster = f"{src}->{dst} booster"
            elements.append({"uid": booster, "type": "Edfa", "type_variety": "optnet roadm booster"})
            connections.append({"from_node": src, "to_node": booster})
            previous = booster
        for kind, count in enumerate(network.span_counts[k]):
            span = jax.tree.map(lambda x, k=k, kind=kind: x[k, kind], network.span)
            for _ in range(count):
                f, uid = span.fibre, f"{src}->{dst} span {j}"
                lam = SPEED_OF_LIGHT / float(f.ref_frequency)
                d = -2 * np.pi * SPEED_OF_LIGHT * float(f.beta2) / lam**2
                s = (float(f.beta3) * (2 * np.pi * SPEED_OF_LIGHT) ** 2 / lam**2 - 2 * lam * d) / lam**2
                gamma = float(np.interp(float(f.ref_frequency), np.asarray(f.gamma_frequency), np.asarray(f.gamma))) \
                    if f.gamma_frequency is not None else float(f.gamma)
                fibres.append({"type_variety": uid, "dispersion": d, "dispersion_slope": s, "gamma": gamma,
                               "ref_wavelength": lam, "pmd_coef": 0.0})
                loss = np.asarray(per_m_to_db_per_km(f.attenuation))
                loss_coef = float(loss) if f.attenuation_frequency is None else {
                    "value": loss.tolist(), "frequency": np.asarray(f.attenuation_frequency).tolist()}
                elements.append({"uid": uid, "type": "Fiber", "type_variety": uid,
                                 "params": {"length": float(f.length) / 1e3, "length_units": "km", "loss_coef": loss_coef,
                                            "att_in": 0, "con_in": 0, "con_out": 0}})
                nf_db = float(10 * np.log10(np.mean(np.asarray(span.amplifier.noise_figure))))
                amp = f"{uid} amplifier"
                amplifiers.append({"type_variety": amp, "type_def": "fixed_gain", "gain_min": 0, "gain_flatmax": 40,
                                   "p_max": 30, "nf0": nf_db, "allowed_for_design": False})
                elements.append({"uid": amp, "type": "Edfa", "type_variety": amp, "operational": {"delta_p": 0}})
                connections += [{"from_node": previous, "to_node": uid}, {"from_node": uid, "to_node": amp}]
                previous, j = amp, j + 1
        connections.append({"from_node": previous, "to_node": dst})
    freq = np.asarray(spectrum.frequency)
    spacing = float(freq[1] - freq[0]) if freq.size > 1 else float(spectrum.symbol_rate[0])
    baud = float(np.asarray(spectrum.symbol_rate)[0])
    si = {"f_min": float(freq[0]), "f_max": float(freq[-1]), "spacing": spacing, "baud_rate": baud,
          "roll_off": float(np.asarray(spectrum.roll_off)[0]),
          "power_dbm": float(watt_to_dbm(np.mean(np.asarray(spectrum.power))))}
    if network.transceiver is not None:
        si["tx_osnr"] = float(10 * np.log10(np.mean(np.asarray(network.transceiver.snr)))) + 10 * math.log10(baud / 12.5e9)
    equipment = {"Edfa": amplifiers, "Fiber": fibres,
                 "Span": [{"power_mode": True, "max_length": 150, "length_units": "km", "max_loss": 28, "padding": 10,
                           "EOL": 0, "con_in": 0, "con_out": 0}],
                 # the add/drop OSNR is in `tx_osnr` (optnet's one transceiver SNR): 200 dB here adds nothing
                 "Roadm": [{"gain_mode_default_loss": 0.0 if noiseless else float(10 * np.log10(float(roadm.add_drop_loss))),
                            "target_pch_out_db": -20.0, "add_drop_osnr": 200.0, "pmd": 0.0, "pdl": 0.0,
                            "restrictions": {"preamp_variety_list": [], "booster_variety_list": []},
                            "roadm-path-impairments": []}],
                 "SI": [si], "Transceiver": []}
    return {"network_name": top.name, "elements": elements, "connections": connections}, equipment
