"""The reference topologies shipped as package data, and topology JSON files."""

import importlib.resources
import json
from pathlib import Path

from .._topology import Topology

SHIPPED = ("nsfnet", "cost239", "usnet", "jpn48", "nsfnet_direct_rsa")
"""Topologies in `optnet/data/topologies/` (sources in its SOURCES.md)."""


def load_topology(name_or_path: str | Path, *, directed: bool | None = None) -> Topology:
    """A shipped topology by name (`SHIPPED`: "nsfnet", "cost239", "usnet", "jpn48",
    "nsfnet_direct_rsa") or a topology JSON file (optnet's format, see `Topology.from_dict`).

    Links are directed fibre pairs (two links per entry) except for "nsfnet_direct_rsa", which the
    direct-RSA experiment uses undirected; `directed` overrides either."""
    if str(name_or_path) in SHIPPED:
        text = importlib.resources.files("optnet").joinpath(f"data/topologies/{name_or_path}.json").read_text()
        default = name_or_path != "nsfnet_direct_rsa"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ValueError(f"No topology {str(name_or_path)!r}: not a shipped one ({', '.join(SHIPPED)}) nor a file.")
        text, default = path.read_text(), True
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{name_or_path}: not valid JSON ({e}).") from None
    return Topology.from_dict(data, directed=default if directed is None else directed)
