"""Superchannel feedback optimisation on the model calibrated to Locatelli et al. case 1: accuracy
against brute force, random starts, monitoring noise, trends across the paper's cases, probe counts
of the stochastic subgradient vs the digital twin, and model speed. Prints figures; asserts nothing."""

import argparse
import time

import jax

jax.config.update("jax_enable_x64", True)
import numpy as np  # noqa: E402

import optnet as on  # noqa: E402

import optnet.scenarios as osc  # noqa: E402
from interop import feedback as fb  # noqa: E402


def ssg(plant, start, objective, f_step, **kw):
    sc = plant.superchannel
    m = kw.pop("minibatch", max(2, sc.n_subchannels // 2))
    return fb.StochasticSubgradient(objective, f_step=f_step, minibatch=m, max_iterations=kw.pop("max_iterations", 300), **kw).run(plant, start)


def main(fast: bool = False):
    t0 = time.time()
    sc, cal = osc.calibrated_locatelli_superchannel(1)
    print(f"calibration ({time.time() - t0:.1f} s incl. compile): {({k: round(float(v), 3) for k, v in cal.parameters.items()})}")
    print("  case 1 equidistant SNR [dB]:", np.round(np.asarray(sc.snr_db()), 2), "paper:", osc.LOCATELLI_CASE1_SNR_DB)
    case7 = np.asarray(on.apply_parameters(osc.locatelli_superchannel(7), cal.parameters).snr_db())
    print(f"  case 7 equidistant SNR [dB]: {np.round(case7, 2)}, mean {case7.mean():.3f} (paper {osc.LOCATELLI_FLOOR_DB})")
    plant = fb.ModelPlant(sc)
    d0 = np.asarray(sc.distances)
    ref = {}
    print("\n== case 1: stochastic subgradient vs brute force (+-2 GHz @ 1 GHz around its result)")
    for obj in (fb.MEAN_SNR, fb.MIN_SNR):
        for fs in (0.25e9, 0.5e9):
            r = ssg(plant, d0, obj, fs, minibatch=2)
            bf = fb.brute_force(plant, r.distances, objective=obj)
            h = np.array(r.history)
            reach = int(np.argmax(h >= bf.objective - 0.05)) if (h >= bf.objective - 0.05).any() else None
            ref[obj.name] = max(ref.get(obj.name, -1e9), bf.objective, r.objective)
            print(f"{obj.name:8s} f_step {fs / 1e9:.2f} GHz: {r.start_objective:.2f} -> {r.objective:.3f} dB "
                  f"(gain {r.gain:+.2f}), brute force {bf.objective:.3f} (worst {bf.worst_objective:.2f}), "
                  f"{r.n_iterations} it ({r.stop}), within 0.05 dB at it {reach}, {r.n_probes} probes; "
                  f"D* = {np.round(r.distances / 1e9, 2)} GHz, SNR = {np.round(r.snr_db, 2)}")
    n_starts = 4 if fast else 10
    rng = np.random.default_rng(1)
    print(f"\n== {n_starts} random +-2 GHz starts (f_step 0.25 GHz)")
    for obj in (fb.MEAN_SNR, fb.MIN_SNR):
        ok = []
        for i in range(n_starts):
            start = d0.copy()
            for k, m in enumerate(rng.integers(-2, 3, sc.n_subchannels)):
                start = fb.shift(start, k, m * 1e9)
            r = ssg(plant, start, obj, 0.25e9, minibatch=2, seed=i)
            ok.append(ref[obj.name] - r.objective)
        print(f"{obj.name}: gap to optimum [dB] {np.round(ok, 3)}; within 0.1 dB: {sum(g <= 0.1 for g in ok)}/{n_starts}")
    n_seeds = 5 if fast else 20
    print(f"\n== monitoring noise 0.1 dB, Obj#1, f_step 0.25 GHz, {n_seeds} seeds (true objective at the returned point)")
    for name, kw in (("probe = move = 0.25 GHz", {}), ("probe 0.75 GHz", {"probe_step": 0.75e9}),
                     ("probe 0.5 GHz, 2 readings", {"probe_step": 0.5e9, "readings": 2}),
                     ("probe 0.25 GHz, 4 readings", {"readings": 4})):
        gaps, probes = [], []
        for seed in range(n_seeds):
            noisy = fb.ModelPlant(sc, noise_db=0.1, seed=seed)
            r = ssg(noisy, d0, fb.MEAN_SNR, 0.25e9, minibatch=2, seed=seed, **kw)
            gaps.append(ref["mean SNR"] - float(np.mean(noisy.true_snr_db(r.distances))))
            probes.append(r.n_probes)
        print(f"{name:28s} gap [dB]: median {np.median(gaps):.3f}, max {np.max(gaps):.3f}; readings median {np.median(probes):.0f}")
    print("\n== every case: equidistant SNRs, subgradient gains (Tables 2-3: f_step 0.25 GHz, M = 2; Table 4: 0.5 GHz,"
          " M = N/2), the model's continuous optimum (optimise_model); paper in brackets")
    paper = {1: (15.12, 13.15, 0.36, 1.19), 2: (15.65, 13.63, 0.48, 1.23), 3: (15.40, 13.74, 0.88, 2.04),
             4: (15.30, 13.21, 0.18, 0.97), 5: (8.56, 6.19, 0.50, 1.91), 6: (21.25, 18.97, 0.37, 1.11),
             7: (23.29, 23.04, 0.04, 0.15), 8: (20.92, 18.68, 0.12, 0.73), 9: (22.86, 22.55, 0.00, 0.11),
             "N6": (None, 11.90, 0.29, 1.67), "N8": (None, 13.07, 0.18, 1.33), "N10": (None, 13.11, 0.06, 1.19)}
    cases = [1, 5, 7, "N6"] if fast else list(paper)
    for case in cases:
        s = on.apply_parameters(osc.locatelli_superchannel(case), cal.parameters)
        p = fb.ModelPlant(s)
        e = np.asarray(s.snr_db())
        fs = 0.25e9 if isinstance(case, int) else 0.5e9
        r1, r2 = (ssg(p, np.asarray(s.distances), o, fs) for o in (fb.MEAN_SNR, fb.MIN_SNR))
        m1, m2 = (fb.optimise_model(s, o) for o in (fb.MEAN_SNR, fb.MIN_SNR))
        pm, pn, g1, g2 = paper[case]
        print(f"case {case!s:4s}: eq mean {e.mean():.2f} ({pm}) min {e.min():.2f} ({pn}) dB; "
              f"Obj#1 {r1.gain:+.2f} ({g1:+.2f}; model opt {m1.objective - e.mean():+.2f}, {r1.n_probes} readings), "
              f"Obj#2 {r2.gain:+.2f} ({g2:+.2f}; model opt {m2.objective - e.min():+.2f}, {r2.n_iterations} it, "
              f"{r2.n_probes} readings)", flush=True)
    print("\n== Table 4 setting (Obj#2, f_step 0.5 GHz, M = N/2) over minibatch seeds")
    for case in ["N10"] if fast else ["N6", "N8", "N10"]:
        s = on.apply_parameters(osc.locatelli_superchannel(case), cal.parameters)
        runs = [ssg(fb.ModelPlant(s), np.asarray(s.distances), fb.MIN_SNR, 0.5e9, seed=seed) for seed in range(5)]
        print(f"case {case}: gains {[round(r.gain, 2) for r in runs]} dB, iterations {[r.n_iterations for r in runs]}, "
              f"readings {[r.n_probes for r in runs]}")
    print("\n== probes to reach the optimum (case 1, within 0.05 dB)")
    for name, obj in (("mean", fb.MEAN_SNR), ("min", fb.MIN_SNR)):
        r = ssg(plant, d0, obj, 0.25e9, minibatch=2)
        h = np.array(r.history)
        it = int(np.argmax(h >= ref[obj.name] - 0.05))
        probes = sum(1 for rec in r.log.records if rec.iteration <= it)
        twin = fb.digital_twin(plant, osc.locatelli_superchannel(1), d0, objective=obj, f_step=0.25e9, fit=(on.PowerOffset(initial=-10.0), on.IsiScale(), on.FilterOffset()))
        print(f"{obj.name}: subgradient {probes} probes ({it} iterations); digital twin {twin.n_probes} probes "
              f"reaching {twin.objective:.3f} dB (optimum {ref[obj.name]:.3f})")
    print("\n== speed (case 1 model, this CPU)")
    f = jax.jit(lambda d: sc.snr_db(d))
    t = time.time(); jax.block_until_ready(f(sc.distances)); tc = time.time() - t
    t = time.time()
    for _ in range(100):
        jax.block_until_ready(f(sc.distances))
    print(f"SNR of one D: {1e3 * (time.time() - t) / 100:.2f} ms (compile {tc:.2f} s)")
    t = time.time()
    for _ in range(100):
        plant(d0)
    print(f"ModelPlant reading (jitted, numpy in and out): {1e3 * (time.time() - t) / 100:.2f} ms")
    g = jax.jit(jax.grad(lambda d: on.soft_min_snr_db(sc.snr_db(d))))
    t = time.time(); jax.block_until_ready(g(sc.distances)); tc = time.time() - t
    t = time.time()
    for _ in range(100):
        jax.block_until_ready(g(sc.distances))
    print(f"gradient: {1e3 * (time.time() - t) / 100:.2f} ms (compile {tc:.2f} s)")
    batch = jax.numpy.stack([sc.distances] * 625)
    v = jax.jit(jax.vmap(lambda d: sc.snr_db(d)))
    jax.block_until_ready(v(batch)); t = time.time(); jax.block_until_ready(v(batch))
    print(f"625 D vmapped (one brute-force grid): {1e3 * (time.time() - t):.1f} ms")

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--fast", action="store_true")
    main(ap.parse_args().fast)
