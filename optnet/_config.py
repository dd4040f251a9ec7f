"""Links described in JSON (datasheet units at this edge), for the CLI and for users' files."""

import importlib.resources
import json
import pathlib

from ._amplifier import Edfa, Roadm, Transceiver
from ._fibre import Fibre
from ._link import GNLink
from ._nli import ClosedFormGN, NumericalGN
from ._spectrum import Spectrum

_NLI = {"closed_form": ClosedFormGN, "numerical": NumericalGN}


def default_link_config() -> dict:
    """The embedded demo link (C-band 80 ch, 10 x 100 km SSMF)."""
    text = importlib.resources.files("optnet").joinpath("data/default_link.json").read_text()
    return json.loads(text)


def link_from_config(config: dict | str | pathlib.Path) -> tuple[GNLink, Spectrum]:
    """(GNLink, Spectrum) from a dict or JSON file with keys `fibre`, `n_spans`, `edfa_nf_db`,
    `spectrum`, and optional `transceiver_snr_db`, `roadm`, `nli` ("closed_form" or "numerical").

    Units are datasheet units (km, dB/km, ps/nm/km, 1/W/km, GHz, THz, dBm); see
    `optnet/data/default_link.json` for an example.
    """
    if not isinstance(config, dict):
        config = json.loads(pathlib.Path(config).read_text())
    unknown = set(config) - {"description", "fibre", "n_spans", "edfa_nf_db", "spectrum", "transceiver_snr_db", "roadm", "nli"}
    if unknown:
        raise ValueError(f"Unknown link configuration keys: {sorted(unknown)}.")
    try:
        fibre = Fibre.from_datasheet(**config["fibre"])
        sp = config["spectrum"]
        spectrum = Spectrum.uniform(
            int(sp["n_channels"]),
            float(sp["spacing_ghz"]) * 1e9,
            centre=float(sp.get("centre_thz", 193.5)) * 1e12,
            symbol_rate=float(sp["symbol_rate_gbd"]) * 1e9 if sp.get("symbol_rate_gbd") else None,
            power_dbm=float(sp.get("power_dbm", 0.0)),
            roll_off=float(sp.get("roll_off", 0.0)),
            modulation=sp.get("modulation", "Gaussian"),
        )
    except KeyError as e:
        raise ValueError(f"Link configuration is missing the key {e}.") from e
    nli_name = config.get("nli", "closed_form")
    if nli_name not in _NLI:
        raise ValueError(f"Unknown `nli` {nli_name!r}; choose one of {sorted(_NLI)}.")
    trx = config.get("transceiver_snr_db")
    roadm = config.get("roadm")
    link = GNLink.uniform(
        fibre,
        int(config.get("n_spans", 1)),
        amplifier=Edfa.from_db(float(config.get("edfa_nf_db", 5.0))),
        nli=_NLI[nli_name](),
        transceiver=None if trx is None else Transceiver.from_db(float(trx)),
        roadm=None if roadm is None else Roadm.from_db(**roadm),
    )
    return link, spectrum
