"""`optnet superchannel`: calibrate the superchannel model, then place its subchannels with the
feedback optimiser of `interop.feedback` on a model plant (imported only when the command runs)."""

import enum
import json
import pathlib

import typer

from ._output import console, require_x64

# Locatelli et al., JOCN 2022: Table 1 cases 1-9 have 4 subchannels; Table 4 has N = 6, 8, 10. Kept
# here (and checked against `optnet.scenarios.LOCATELLI_CASES` in the tests) so arguments are
# validated without importing JAX.
_SUBCHANNELS = {**{str(k): 4 for k in range(1, 10)}, "N6": 6, "N8": 8, "N10": 10}
Case = enum.Enum("Case", {k: k for k in _SUBCHANNELS}, type=str)
Objective = enum.Enum("Objective", {"mean": "mean", "min": "min"}, type=str)


def superchannel(
    case: Case = typer.Option("1", help="Locatelli et al. case: 1-9 (Table 1) or N6/N8/N10 (Table 4)."),
    objective: Objective = typer.Option("min", help="'mean' (Obj#1) or 'min' (Obj#2)."),
    f_step: float = typer.Option(0.25, min=0.001, max=10.0, help="Laser grid / move step (GHz)."),
    probe_step: float | None = typer.Option(None, min=0.001, max=10.0, help="Probe step (GHz), a multiple of --f-step (default --f-step; larger helps under monitoring noise)."),
    readings: int = typer.Option(1, min=1, max=100, help="Monitoring readings averaged per probe."),
    minibatch: int | None = typer.Option(None, min=1, help="Subchannels probed per iteration (default max(2, N/2); at most N)."),
    noise_db: float = typer.Option(0.0, min=0.0, max=10.0, help="Monitoring noise (std, dB)."),
    seed: int = typer.Option(0, min=0, help="Seed of the monitoring noise and the minibatches."),
    max_iterations: int = typer.Option(80, min=1, help="Iterations of the stochastic subgradient method."),
    out: pathlib.Path = typer.Option(pathlib.Path("superchannel_out"), help="Folder for the PNG, JSON and probe log."),
):
    """Calibrate the model to case 1 (and case 7's floor), then optimise a case's subchannel
    frequencies with the stochastic subgradient method on it (monitoring probes), and compare with
    brute force. With --noise-db the model's true SNRs are shown next to the noisy estimates."""
    case, objective = case.value, objective.value
    n_sub = _SUBCHANNELS[case]
    if minibatch is not None and minibatch > n_sub:
        raise typer.BadParameter(f"case {case} has {n_sub} subchannels; `--minibatch` must be <= {n_sub}.", param_hint="--minibatch")
    if probe_step is not None and (abs(probe_step / f_step - round(probe_step / f_step)) > 1e-9 or probe_step < f_step):
        raise typer.BadParameter(f"must be a whole multiple of --f-step ({f_step} GHz); got {probe_step}.", param_hint="--probe-step")
    require_x64()
    import jax.numpy as jnp
    import numpy as np

    import optnet as on
    import optnet.scenarios as osc
    from interop import feedback as fb  # the feedback optimisers live in interop (they import optnet)

    from rich.progress import Progress
    from rich.table import Table

    from ._plots import plot_superchannel

    key = int(case) if case.isdigit() else case
    _, cal = osc.calibrated_locatelli_superchannel(1)
    sc = on.apply_parameters(osc.locatelli_superchannel(key), cal.parameters)
    obj = fb.objective_from(objective)
    plant = fb.ModelPlant(sc, noise_db=noise_db, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    alg = fb.StochasticSubgradient(obj, f_step=f_step * 1e9, probe_step=None if probe_step is None else probe_step * 1e9,
                                   readings=readings, minibatch=minibatch or max(2, sc.n_subchannels // 2),
                                   max_iterations=max_iterations, seed=seed)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"case {case}: {obj.name}", total=max_iterations)
        result = alg.run(plant, np.asarray(sc.distances), log=fb.ProbeLog(path=out / "probes.json"),
                         callback=lambda it, best, cur: progress.update(task, completed=it, description=f"{obj.name} best {best:.3f} dB"))
    truth = plant.true_snr_db(result.start_distances), plant.true_snr_db(result.distances)
    bf = fb.brute_force(fb.ModelPlant(sc), result.distances, objective=obj) if sc.n_subchannels <= 6 else None
    table = Table(title=f"Locatelli case {case}: {obj.name}, f_step {f_step:g} GHz ({result.n_iterations} iterations, "
                        f"{result.n_probes} readings, {result.stop})")
    table.add_column("subchannel")
    columns = ["f start (GHz)", "f end (GHz)", "SNR start (dB)", "SNR end (dB)"]
    if noise_db:
        columns = ["f start (GHz)", "f end (GHz)", "SNR start est. (dB)", "SNR start true (dB)", "SNR end est. (dB)", "SNR end true (dB)"]
    for col in columns:
        table.add_column(col, justify="right")
    f0 = np.asarray(sc.offsets(jnp.asarray(result.start_distances))) / 1e9
    f1 = np.asarray(sc.offsets(jnp.asarray(result.distances))) / 1e9
    for i in range(sc.n_subchannels):
        snrs = ([result.start_snr_db[i], truth[0][i], result.snr_db[i], truth[1][i]] if noise_db
                else [result.start_snr_db[i], result.snr_db[i]])
        table.add_row(str(i + 1), f"{f0[i]:+.2f}", f"{f1[i]:+.2f}", *(f"{v:.2f}" for v in snrs))
    console.print(table)
    true_start, true_end = obj.value(truth[0]), obj.value(truth[1])
    console.print(f"{obj.name}: {result.start_objective:.3f} -> {result.objective:.3f} dB (gain {result.gain:+.3f} dB)"
                  + (f"; true (model): {true_start:.3f} -> {true_end:.3f} dB (gain {true_end - true_start:+.3f} dB)" if noise_db else "")
                  + (f"; brute force +-2 GHz @ 1 GHz: {bf.objective:.3f} dB over {bf.n_points} points" if bf else ""))
    console.print(f"D* = {np.round(result.distances / 1e9, 3).tolist()} GHz; final reading "
                  f"{'verified' if result.verified else 'NOT verified'}")
    summary = {"case": case, "objective": obj.name, "f_step_ghz": f_step, "probe_step_ghz": probe_step or f_step,
               "readings_per_probe": readings, "noise_db": noise_db,
               "start": result.start_objective, "end": result.objective, "start_true": true_start, "end_true": true_end,
               "distances_ghz": (result.distances / 1e9).tolist(), "snr_db": result.snr_db.tolist(),
               "snr_true_db": truth[1].tolist(), "final_snr_db": None if result.final_snr_db is None else result.final_snr_db.tolist(),
               "verified": result.verified, "iterations": result.n_iterations, "probes": result.n_probes, "stop": result.stop,
               "brute_force": None if bf is None else bf.objective}
    (out / "superchannel.json").write_text(json.dumps(summary, indent=2))
    plot_superchannel(sc, result, out / "superchannel.png", obj,
                      f"Locatelli et al. case {case}: {obj.name}, f_step {f_step:g} GHz, {result.n_probes} readings"
                      + (f", noise {noise_db:g} dB" if noise_db else ""), true_snr_db=plant.true_snr_db if noise_db else None)
    console.print(f"wrote {out / 'superchannel.png'}, {out / 'superchannel.json'}, {out / 'probes.json'}")
