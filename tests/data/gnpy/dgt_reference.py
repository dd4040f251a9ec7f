"""How `dgt_reference.json` was made: GNPy 3.0.1's `Edfa` gain profile (its dynamic gain tilt model) for four
amplifiers (tilts, gain ripple, non-flat input powers); run with gnpy installed: `python dgt_reference.py dgt_reference.json`."""
import json, sys
import numpy as np
from pathlib import Path
import gnpy
from gnpy.core.elements import Edfa
from gnpy.core.info import create_arbitrary_spectral_information
from gnpy.tools.json_io import load_equipment
from gnpy.core.parameters import DEFAULT_EDFA_CONFIG
ex = Path(gnpy.__file__).parent / "example-data"
eqpt = load_equipment(ex / "eqpt_config.json")
out = {"gnpy": gnpy.__version__ if hasattr(gnpy, "__version__") else "3.0.1", "cases": []}
rng = np.random.default_rng(0)
freq = 191.35e12 + 50e9 * np.arange(96)
for k, (variety, gain, tilt, ripple, pin_dbm_spread) in enumerate([
        ("std_medium_gain", 20.0, -1.0, False, 0.0), ("std_medium_gain", 18.0, 2.0, True, 1.0),
        ("std_low_gain", 14.0, 0.0, True, 0.5), ("std_medium_gain", 22.0, -3.0, True, 2.0)]):
    params = eqpt["Edfa"][variety].__dict__.copy()
    if ripple:
        params["gain_ripple"] = list(0.3 * np.sin(np.linspace(0, 7, 40)))
        params["nf_ripple"] = list(0.2 * np.cos(np.linspace(0, 5, 40)))
    amp = Edfa(uid=f"amp{k}", params=params, operational={"gain_target": gain, "tilt_target": tilt, "out_voa": 0, "delta_p": None})
    n = 96 if k != 3 else 60
    f = freq[:n] if k != 3 else freq[10:10 + n]
    pin_dbm = -20.0 + pin_dbm_spread * rng.standard_normal(n)
    si = create_arbitrary_spectral_information(f, pch=1e-3 * 10 ** (pin_dbm / 10), baud_rate=32e9, tx_osnr=40.0, slot_width=50e9, roll_off=0.15)
    amp.interpol_params(si)
    out["cases"].append({"variety": variety, "gain_db": gain, "tilt_db": tilt, "gain_flatmax": params["gain_flatmax"],
        "p_max": params["p_max"], "f_min": params["f_min"], "f_max": params["f_max"], "dgt": list(map(float, params["dgt"])),
        "gain_ripple": list(map(float, params["gain_ripple"])), "frequency": list(map(float, f)),
        "input_power": list(map(float, si.pch)), "gain_profile_db": list(map(float, amp.gprofile)),
        "nf_db": list(map(float, np.atleast_1d(amp.nf)))})
json.dump(out, open(sys.argv[1], "w"))
print([ (c["tilt_db"], round(max(c["gain_profile_db"]) - min(c["gain_profile_db"]), 3)) for c in out["cases"]])
