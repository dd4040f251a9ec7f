"""The measured SSMF Raman gain spectrum shipped as package data."""

import importlib.resources
import json



def ssmf_raman_gain(effective_area: float | None = None):
    """Measured Raman gain efficiency of standard single-mode fibre, g(df) = g_R(df)/A_eff in 1/(W m).

    `effective_area` in m^2 (default: the table's reference area, 75.7 um^2). The table is GNPy's
    default Raman coefficient (Telecom Infra Project, BSD-3), measured for a pump at 206.18 THz;
    see `optnet/data/ssmf_raman_gain.json`.
    """
    data = json.loads(importlib.resources.files("optnet").joinpath("data/ssmf_raman_gain.json").read_text())
    area = data["reference_effective_area_m2"] if effective_area is None else effective_area
    if not area > 0:
        raise ValueError(f"`effective_area` must be > 0 m^2; got {area!r}.")
    if area > 1e-6:
        raise ValueError(f"`effective_area`={area!r} m^2 is implausible: give it in m^2 (80 um^2 = 8e-11 m^2).")
    import jax.numpy as jnp

    from .. import TabulatedRamanGain

    shift = jnp.asarray(data["frequency_offset_Hz"])
    return TabulatedRamanGain.from_gain_coefficient(shift, jnp.asarray(data["gamma_raman_m_per_W"]), area)
