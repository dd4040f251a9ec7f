"""optnet on networks imported from GNPy's JSON, against GNPy's own published results.

Per channel: the OSNR (ASE with the transmitter), SNR_NLI and GSNR of GNPy's transmission example
(its expected log, recorded in tests/data/gnpy/transmission_example.json), with GNPy's NLI model
(`IncoherentGN`) and optnet's default (`ClosedFormGN`), and the time of each step. gnpy itself is not
a dependency and is not called: a live side-by-side run needs gnpy in another virtualenv and is not
built yet. Prints figures; asserts nothing.
"""

import json
import pathlib
import time

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402

import optnet as on  # noqa: E402
from optnet.io import load_gnpy_equipment, load_gnpy_network  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "gnpy"


def db(x):
    return -10 * np.log10(np.asarray(x))


def main():
    t = time.perf_counter()
    eq = load_gnpy_equipment(DATA / "eqpt_config.json")
    print(f"equipment read in {1e3 * (time.perf_counter() - t):.1f} ms")
    example = json.loads((DATA / "transmission_example.json").read_text())
    ref = example["reference"]
    print(f"\n== GNPy's transmission example ({ref['source'][:60]}...)")
    for name, nli in (("IncoherentGN (GNPy's model)", on.IncoherentGN()), ("ClosedFormGN (Semrau)", on.ClosedFormGN())):
        t = time.perf_counter()
        g = load_gnpy_network(example, eq, nli=nli)
        t_read = time.perf_counter() - t
        lp = g.lightpaths()
        evaluate = jax.jit(lambda lp, g=g: g.network(lp))
        t = time.perf_counter()
        res = jax.block_until_ready(evaluate(lp))
        t_compile = time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(20):
            res = jax.block_until_ready(evaluate(lp))
        t_run = (time.perf_counter() - t) / 20
        osnr = db(np.asarray(res.nsr_ase) + np.asarray(res.nsr_transceiver))
        nli_db, gsnr = db(res.nsr_nli), np.asarray(res.gsnr_db)
        print(f"{name}: read {1e3 * t_read:.0f} ms, first call {t_compile:.2f} s, then {1e3 * t_run:.2f} ms per "
              f"evaluation of {g.spectrum.n_channels} channels")
        print(f"  mean OSNR {osnr.mean():.3f} dB (GNPy {ref['osnr_ase_signal_bw_db']}), mean GSNR {gsnr.mean():.3f} dB "
              f"(GNPy {ref['snr_total_signal_bw_db']}); SNR_NLI {nli_db.min():.2f}-{nli_db.max():.2f} dB, "
              f"GSNR {gsnr.min():.2f}-{gsnr.max():.2f} dB")
    print("\n== a three-ROADM ring (tests/data/gnpy/ring.json), one lightpath per channel over two links")
    g = load_gnpy_network(DATA / "ring.json", eq)
    lp = g.lightpaths(["roadm A", "roadm B", "roadm C"])
    evaluate = jax.jit(lambda lp: g.network(lp))
    jax.block_until_ready(evaluate(lp))
    t = time.perf_counter()
    for _ in range(20):
        res = jax.block_until_ready(evaluate(lp))
    print(f"{g.spectrum.n_channels} lightpaths: {1e3 * (time.perf_counter() - t) / 20:.2f} ms per evaluation; "
          f"GSNR {float(res.gsnr_db.min()):.2f}-{float(res.gsnr_db.max()):.2f} dB")


if __name__ == "__main__":
    main()
