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
    return fb.StochasticSubgradient(objective, f_step=f_step, minibatch=m, max_iterations=kw.pop("max_iterations", 80), **kw).run(plant, start)


def main(fast: bool = False):
    t0 = time.time()
    sc, cal = osc.calibrated_locatelli_superchannel(1)
    print(f"calibration ({time.time() - t0:.1f} s incl. compile): {({k: round(float(v), 3) for k, v in cal.parameters.items()})}")
    print("  case 1 equidistant SNR [dB]:", np.round(np.asarray(sc.snr_db()), 2), "paper:", osc.LOCATELLI_CASE1_SNR_DB)
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
    print(f"\n== monitoring noise 0.1 dB, Obj#1, {n_seeds} seeds (true objective at the returned point)")
    gaps = []
    for seed in range(n_seeds):
        r = ssg(fb.ModelPlant(sc, noise_db=0.1, seed=seed), d0, fb.MEAN_SNR, 0.25e9, minibatch=2, seed=seed)
        gaps.append(ref["mean SNR"] - float(np.mean(np.asarray(sc.snr_db(r.distances)))))
    print(f"gap [dB]: median {np.median(gaps):.3f}, max {np.max(gaps):.3f}")
    print("\n== trends across cases (model optimum via the subgradient, f_step 0.25 GHz; paper gains in brackets)")
    paper = {1: (0.36, 1.19), 2: (0.48, 1.23), 3: (0.88, 2.04), 4: (0.18, 0.97), 5: (0.50, 1.91), 6: (0.37, 1.11),
             7: (0.04, 0.15), 8: (0.12, 0.73), 9: (0.00, 0.11), "N6": (0.29, 1.67), "N8": (0.18, 1.33), "N10": (0.06, 1.19)}
    cases = [1, 5, 7, "N6"] if fast else list(paper)
    for case in cases:
        s = on.apply_parameters(osc.locatelli_superchannel(case), cal.parameters)
        p = fb.ModelPlant(s)
        e = np.asarray(s.snr_db())
        g1 = ssg(p, np.asarray(s.distances), fb.MEAN_SNR, 0.25e9).gain
        g2 = ssg(p, np.asarray(s.distances), fb.MIN_SNR, 0.25e9).gain
        print(f"case {case!s:4s}: eq mean {e.mean():.2f} min {e.min():.2f} dB; Obj#1 gain {g1:+.2f} ({paper[case][0]:+.2f}), "
              f"Obj#2 gain {g2:+.2f} ({paper[case][1]:+.2f})")
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
