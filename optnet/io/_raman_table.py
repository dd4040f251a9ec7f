"""The measured SSMF Raman gain spectrum shipped as package data."""

import importlib.resources
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # optnet.io loads without JAX (the CLI's argument checks)
    from jaxtyping import ArrayLike



def ssmf_raman_gain(effective_area: "float | ArrayLike | None" = None, area_frequency: "ArrayLike | None" = None):
    """Measured Raman gain of standard single-mode fibre as GNPy uses it: a `MeasuredRamanGain` with
    the coupling of each pair scaled by f_pump/f_ref and divided by the pair overlap area.

    `effective_area` in m^2 (default: the table's reference area, 75.7 um^2), a scalar or values at
    `area_frequency` (Hz). The table is GNPy's default Raman coefficient (Telecom Infra Project,
    BSD-3), measured for a pump at 206.18 THz; see `optnet/data/ssmf_raman_gain.json`.
    """
    import jax.numpy as jnp

    from .. import MeasuredRamanGain

    data = json.loads(importlib.resources.files("optnet").joinpath("data/ssmf_raman_gain.json").read_text())
    area = data["reference_effective_area_m2"] if effective_area is None else effective_area
    return MeasuredRamanGain(
        jnp.asarray(data["frequency_offset_Hz"]), jnp.asarray(data["gamma_raman_m_per_W"]),
        data["reference_frequency_Hz"], jnp.asarray(area), None if area_frequency is None else jnp.asarray(area_frequency),
    )
