"""File formats at the edge of optnet: JSON link configurations (validated by pydantic schemas),
GNPy equipment and topology files, and shipped data tables. Imports the physics; never imported by it."""

from typing import TYPE_CHECKING

from ._link_config import (
    ConfigError as ConfigError,
    FibreConfig as FibreConfig,
    LinkConfig as LinkConfig,
    RoadmConfig as RoadmConfig,
    SpectrumConfig as SpectrumConfig,
    default_link_config as default_link_config,
    link_config_schema as link_config_schema,
    link_from_config as link_from_config,
    load_link_config as load_link_config,
)
from ._raman_table import ssmf_raman_gain as ssmf_raman_gain
from ._topologies import SHIPPED as SHIPPED, load_topology as load_topology

if TYPE_CHECKING:  # for type checkers and the API docs; at run time these load on first use
    from ._gnpy import (
        AmplifierDesign as AmplifierDesign,
        AmplifierVariety as AmplifierVariety,
        GnpyEquipment as GnpyEquipment,
        GnpyError as GnpyError,
        GnpyLink as GnpyLink,
        GnpyNetwork as GnpyNetwork,
        GnpySimParams as GnpySimParams,
        load_gnpy_equipment as load_gnpy_equipment,
        load_gnpy_network as load_gnpy_network,
        load_gnpy_sim_params as load_gnpy_sim_params,
        to_gnpy as to_gnpy,
    )
    from ._gnpy_line import GnpyLine as GnpyLine, load_gnpy_link as load_gnpy_link

# GNPy files: loaded on first use, so the CLI's argument checks (which read optnet.io) never import JAX
_GNPY = ("AmplifierDesign", "AmplifierVariety", "GnpyEquipment", "GnpyError", "GnpyLink", "GnpyNetwork", "GnpySimParams",
         "load_gnpy_equipment", "load_gnpy_network", "load_gnpy_sim_params", "to_gnpy")
_GNPY_LINE = ("GnpyLine", "load_gnpy_link")


def __getattr__(name):
    if name in _GNPY:
        from . import _gnpy

        return getattr(_gnpy, name)
    if name in _GNPY_LINE:
        from . import _gnpy_line

        return getattr(_gnpy_line, name)
    raise AttributeError(f"module 'optnet.io' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_GNPY, *_GNPY_LINE])
