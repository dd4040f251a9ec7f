"""Builders shared by the tests: the reference cases in tests/data as optnet objects."""

import json
import pathlib

import equinox as eqx
import jax
import numpy as np

# reference data copied into the repository: the project reads nothing outside it
# what a failed runtime check raises under a user's own `jax.jit` (outside optnet's wrappers)
JIT_ERRORS = (ValueError, jax.errors.JaxRuntimeError, eqx.EquinoxRuntimeError)

REFS = pathlib.Path(__file__).resolve().parent / "data"


def load_cases():
    data = json.loads((REFS / "closed_form_cases.json").read_text())
    return data["meta"], {c["id"]: c for c in data["cases"]}


def launch_power(case):
    """Launch power (W) of a case: (channels,) or (spans, channels)."""
    p = case["inputs"]["launch_power_W"]
    if isinstance(p, dict):
        table = json.loads((REFS / "fig8_launch_powers.json").read_text())[p["key"]]
        return np.asarray(table, dtype=float).T  # [channel][span] -> (spans, channels)
    return np.asarray(p, dtype=float)


def build(case, nli=None, power=None, kurtosis=None, n_spans=None):
    """(GNLink, Spectrum) for a reference case of model `isrs_gn_closed_form`."""
    import optnet as on

    i = case["inputs"]
    fibre = on.Fibre(
        length=i["span_length_m"],
        attenuation=i["alpha_Np_per_m"],
        beta2=i["beta2_s2_per_m"],
        beta3=i["beta3_s3_per_m"],
        gamma=i["gamma_per_W_per_m"],
        ref_frequency=i["ref_frequency_Hz"],
        raman=on.TriangularRamanGain(i["Cr_per_W_per_m_per_Hz"], 1e15),  # refs: no cutoff
    )
    nli = nli or on.ClosedFormGN(coherent=i["coherent"])
    link = on.GNLink.uniform(
        fibre, n_spans or i["n_spans"], amplifier=on.Edfa.from_db(i["NF_dB_for_SNR"]), nli=nli
    )
    f = i["ref_frequency_Hz"] + np.asarray(i["f_offset_Hz"])
    phi = np.asarray(i.get("excess_kurtosis_Phi", 0.0) if kurtosis is None else kurtosis)
    spectrum = on.Spectrum(f, i["B_ch_Hz"], launch_power(case) if power is None else power, 0.0, phi)
    return link, spectrum
