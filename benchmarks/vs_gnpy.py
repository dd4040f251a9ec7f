"""optnet on networks imported from GNPy's JSON, against GNPy's own published results.

Per channel: the OSNR (ASE with the transmitter), SNR_NLI and GSNR of GNPy's transmission example
(its expected log, recorded in tests/data/gnpy/transmission_example.json) and of its Raman example
(tests/data/gnpy/raman_example.json, read by `load_gnpy_link`), with GNPy's NLI model
(`IncoherentGN`) and optnet's default (`ClosedFormGN`), and the time of each step.

`--gnpy-python PATH`: a live side-by-side run. gnpy is not a dependency; install it in its own
virtualenv (`python3 -m venv /tmp/gnpyenv && /tmp/gnpyenv/bin/pip install gnpy`) and pass that
Python. Each case runs GNPy's `gnpy-transmission-example` there on GNPy's own example data (its
per-channel table, and the time of `transmission_simulation` alone, best of 3), and optnet reads
the same files with the same `sim_params`: the EDFA example with GNPy's default settings (no
Raman, its analytic GN: `IncoherentGN`), the EDFA example with GNPy's `sim_params.json` (ISRS, its
numerical GGN: `NumericalGN`), and the Raman example (a `RamanFiber`, the same sim_params). Prints
per-channel OSNR, SNR_NLI and GSNR differences and the times. Prints figures; asserts nothing.
"""

import argparse
import copy
import itertools
import json
import pathlib
import re
import subprocess
import tempfile
import time

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402

import optnet as on  # noqa: E402
from optnet.io import load_gnpy_equipment, load_gnpy_network  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[1] / "tests" / "data" / "gnpy"


def db(x):
    return -10 * np.log10(np.asarray(x))


def timed(fn, arg, reps):
    """(result, first call in s, then s per call over `reps` calls) of a jitted `fn(arg)`."""
    t = time.perf_counter()
    res = jax.block_until_ready(fn(arg))
    first = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(reps):
        res = jax.block_until_ready(fn(arg))
    return res, first, (time.perf_counter() - t) / reps


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
        res, t_compile, t_run = timed(jax.jit(lambda lp, g=g: g.network(lp)), lp, 20)
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
    res, _, t_run = timed(jax.jit(lambda lp: g.network(lp)), lp, 20)
    print(f"{g.spectrum.n_channels} lightpaths: {1e3 * t_run:.2f} ms per evaluation; "
          f"GSNR {float(res.gsnr_db.min()):.2f}-{float(res.gsnr_db.max()):.2f} dB")


def raman_example():
    """GNPy's Raman example (a RamanFiber with two backward pumps, then an EDFA) read by
    `load_gnpy_link`, against GNPy's published per-channel output (tests/data/gnpy/raman_example.json)."""
    from optnet.io import load_gnpy_link

    example = json.loads((DATA / "raman_example.json").read_text())
    ref = example["reference"]
    print(f"\n== GNPy's Raman example ({ref['source'][:70]}...)")
    t = time.perf_counter()
    line = load_gnpy_link(example, DATA / "raman_eqpt.json")
    t_read = time.perf_counter() - t
    span, s = line.link.spans, line.spectrum
    res, t_compile, t_run = timed(jax.jit(lambda sp: line.link(sp)), s, 5)
    out = np.asarray(span.solve(s.frequency, s.power, noise_bandwidth=s.symbol_rate).signal[:, -1])
    pch = 10 * np.log10(np.mean(out) * 1e3) - 0.5  # con_out
    print(f"read (with one Raman solve) {t_read:.1f} s, first call {t_compile:.1f} s, then {1e3 * t_run:.0f} ms per "
          f"evaluation of {s.n_channels} channels (NumericalGN)")
    print(f"  fibre output, mean channel power: {pch:.2f} dBm (GNPy {ref['span_pch_out_dbm']}); EDFA gain {-2 - pch:.2f} dB "
          f"(GNPy {ref['edfa_effective_gain_db']}), NF {10 * np.log10(float(span.amplifier.noise_figure)) - 0.5:.2f} dB "
          f"(GNPy {ref['edfa_noise_figure_db']})")
    osnr = db(np.asarray(res.nsr_ase)[-1] + np.asarray(res.nsr_transceiver))
    nli, gsnr = db(np.asarray(res.nsr_nli)[-1]), np.asarray(res.gsnr_db)
    k = np.asarray(ref["computed_channels"]) - 1  # GNPy computed its NLI there and interpolated between
    for name, ours, theirs, idx in (("OSNR ASE", osnr, ref["osnr_ase_signal_bw_db"], slice(None)),
                                    ("SNR NLI (computed channels)", nli, ref["snr_nli_signal_bw_db"], k),
                                    ("GSNR", gsnr, ref["snr_total_signal_bw_db"], slice(None)),
                                    ("GSNR (computed channels)", gsnr, ref["snr_total_signal_bw_db"], k)):
        d = (ours - np.asarray(theirs))[idx]
        print(f"  {name:28s} optnet - GNPy: {d.min():+.2f} to {d.max():+.2f} dB")


# run in gnpy's virtualenv: GNPy's transmission example with --show-channels, timing its
# transmission_simulation (best of 3); prints the example-data folder, the times and GNPy's output
_GNPY_RUN = """
import contextlib, copy, io, json, pathlib, sys, time
import numpy as np
import gnpy
import gnpy.tools.cli_examples as ce
from gnpy.core import science_utils as su
from gnpy.core.elements import RamanFiber
data = pathlib.Path(gnpy.__file__).parent / "example-data"
# a RamanFiber's stimulated Raman scattering as GNPy propagates (the last call: the design's
# estimate comes first): the on-off gain (pumps on over pumps off) and the residual pumps at z = 0
srs, raman = su.RamanSolver.calculate_stimulated_raman_scattering, {}
def capture(spectral_info, fiber):
    out = srs(spectral_info, fiber)
    if isinstance(fiber, RamanFiber):
        off = copy.copy(fiber); del off.raman_pumps
        n = spectral_info.number_of_channels
        raman.update(on_off_gain_db=(10 * np.log10(out.power_profile[:n, -1] / srs(spectral_info, off).power_profile[:n, -1])).tolist(),
                     pump_residual_w=out.power_profile[n:, 0].tolist())
    return out
su.RamanSolver.calculate_stimulated_raman_scattering = staticmethod(capture)
run, times = ce.transmission_simulation, []
def timed(*a, **k):
    for _ in range(3):
        t = time.perf_counter(); out = run(*a, **k); times.append(time.perf_counter() - t)
    return out
ce.transmission_simulation = timed
args = [str(data / sys.argv[1]), "-e", str(data / "eqpt_config.json"), "--show-channels"]
if len(sys.argv) > 2:
    args += ["--sim-params", str(data / sys.argv[2])]
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    try:
        ce.transmission_main_example(args)
    except SystemExit:
        pass
print(data); print(min(times)); print(json.dumps(raman)); print(buf.getvalue())
"""
_CHANNEL_ROW = re.compile(r"^\s+(\d+)\s+([\d.]+)\s+(-?[\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", re.M)


def live(gnpy_python):
    """GNPy (in its own virtualenv) and optnet side by side on GNPy's example data."""
    from optnet.io import load_gnpy_link, load_gnpy_network

    examples = pathlib.Path(subprocess.run([gnpy_python, "-c", "import gnpy, pathlib; print(pathlib.Path(gnpy.__file__).parent)"],
                                           capture_output=True, text=True, check=True).stdout.strip()) / "example-data"
    # GNPy's EDFA example with a second span and amplifier (a line); the first amplifier plain, or
    # tilted and attenuated
    tmp = pathlib.Path(tempfile.mkdtemp())
    two, tilted = tmp / "edfa_example_two_spans.json", tmp / "edfa_example_tilted.json"
    for path, operational in ((two, {}), (tilted, {"tilt_target": -2.0, "out_voa": 1.5})):
        example = json.loads((examples / "edfa_example_network.json").read_text())
        span, amp = (copy.deepcopy(e) for e in example["elements"] if e["uid"] in ("Span1", "Edfa1"))
        span["uid"], amp["uid"] = "Span2", "Edfa2"
        next(e for e in example["elements"] if e["uid"] == "Edfa1")["operational"].update(operational)
        example["elements"] += [span, amp]
        example["connections"] = [{"from_node": a, "to_node": b} for a, b in itertools.pairwise(
            ["Site_A", "Span1", "Edfa1", "Span2", "Edfa2", "Site_B"])]
        path.write_text(json.dumps(example))
    lines = (str(two), str(tilted))
    cases = (("EDFA example, GNPy's default settings", "edfa_example_network.json", None),
             ("EDFA example, ISRS + numerical GGN", "edfa_example_network.json", "sim_params.json"),
             ("EDFA example, two spans, ISRS + numerical GGN", str(two), "sim_params.json"),
             ("EDFA example, two spans, the first amplifier's tilt_target -2 dB, out_voa 1.5 dB", str(tilted), None),
             ("Raman example (RamanFiber)", "raman_edfa_example_network.json", "sim_params.json"))
    for name, topology, sim in cases:
        out = subprocess.run([gnpy_python, "-c", _GNPY_RUN, topology] + ([sim] if sim else []), capture_output=True, text=True,
                             check=True).stdout
        folder, t_gnpy, raman, table = out.split("\n", 3)
        folder = pathlib.Path(folder)
        ref = np.asarray(_CHANNEL_ROW.findall(table), float)  # channel, THz, dBm, OSNR, SNR_NLI, GSNR
        sim_params = json.loads((folder / sim).read_text()) if sim else {}
        computed = np.asarray(sim_params.get("nli_params", {}).get("computed_channels", ref[:, 0]), int) - 1
        t = time.perf_counter()
        if "raman" in topology or topology in lines:
            line = load_gnpy_link(folder / topology, folder / "eqpt_config.json", sim_params=sim_params)
            t_read = time.perf_counter() - t
            res, t_compile, t_run = timed(jax.jit(lambda sp, line=line: line.link(sp)), line.spectrum, 5)
            ase = np.asarray(res.nsr_ase)[-1]
            nli_nsr = np.asarray(res.nsr_nli)[-1]
        if "raman" in topology:
            span, s, raman = line.link.spans, line.spectrum, json.loads(raman)
            on_off = -db(span.on_off_gain(s.frequency, s.power)) - np.asarray(raman["on_off_gain_db"])
            residual = -db(np.asarray(span.solve(s.frequency, s.power, noise_bandwidth=s.symbol_rate).backward_pump[:, 0])
                          / np.asarray(raman["pump_residual_w"]))
        elif topology not in lines:
            g = load_gnpy_network(folder / topology, folder / "eqpt_config.json", sim_params=sim_params)
            t_read = time.perf_counter() - t
            res, t_compile, t_run = timed(jax.jit(lambda lp, g=g: g.network(lp)), g.lightpaths(), 5)
            ase, nli_nsr = np.asarray(res.nsr_ase), np.asarray(res.nsr_nli)
        ours = (db(ase + np.asarray(res.nsr_transceiver)), db(nli_nsr), np.asarray(res.gsnr_db))
        print(f"\n== live: {name} ({len(ref)} channels)")
        print(f"  GNPy transmission_simulation {1e3 * float(t_gnpy):.1f} ms; optnet {1e3 * t_run:.2f} ms per evaluation "
              f"(read {t_read:.1f} s, first call {t_compile:.1f} s); GNPy / optnet {float(t_gnpy) / t_run:.0f}x")
        for label, x, col in (("OSNR ASE", ours[0], 3), ("SNR NLI", ours[1], 4), ("GSNR", ours[2], 5)):
            d = x - ref[:, col]
            print(f"  {label:8s} optnet - GNPy: all channels {d.min():+.3f} to {d.max():+.3f} dB; "
                  f"at GNPy's computed NLI channels {d[computed].min():+.3f} to {d[computed].max():+.3f} dB")
        if "raman" in topology:
            print(f"  Raman on-off gain (pumps on over off) optnet - GNPy: {on_off.min():+.3f} to {on_off.max():+.3f} dB; "
                  f"residual pumps at z = 0: {', '.join(f'{x:+.3f}' for x in residual)} dB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--gnpy-python", help="a Python with gnpy installed (its own virtualenv): run GNPy side by side")
    args = parser.parse_args()
    main()
    raman_example()
    if args.gnpy_python:
        live(args.gnpy_python)
