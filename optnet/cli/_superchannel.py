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
    f_step: float = typer.Option(0.25, min=0.001, max=10.0, help="Laser grid / probe step (GHz)."),
    minibatch: int | None = typer.Option(None, min=1, help="Subchannels probed per iteration (default max(2, N/2); at most N)."),
    noise_db: float = typer.Option(0.0, min=0.0, max=10.0, help="Monitoring noise (std, dB)."),
    seed: int = typer.Option(0, min=0, help="Seed of the monitoring noise and the minibatches."),
    max_iterations: int = typer.Option(80, min=1, help="Iterations of the stochastic subgradient method."),
    out: pathlib.Path = typer.Option(pathlib.Path("superchannel_out"), help="Folder for the PNG, JSON and probe log."),
):
    """Calibrate the model to case 1, then optimise a case's subchannel frequencies with the
    stochastic subgradient method on it (monitoring probes), and compare with brute force."""
    case, objective = case.value, objective.value
    n_sub = _SUBCHANNELS[case]
    if minibatch is not None and minibatch > n_sub:
        raise typer.BadParameter(f"case {case} has {n_sub} subchannels; `--minibatch` must be <= {n_sub}.", param_hint="--minibatch")
    require_x64()
    import jax
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
    alg = fb.StochasticSubgradient(obj, f_step=f_step * 1e9, minibatch=minibatch or max(2, sc.n_subchannels // 2),
                                   max_iterations=max_iterations, seed=seed)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"case {case}: {obj.name}", total=max_iterations)
        result = alg.run(plant, np.asarray(sc.distances), log=fb.ProbeLog(path=out / "probes.json"),
                         callback=lambda it, best, cur: progress.update(task, completed=it, description=f"{obj.name} best {best:.3f} dB"))
    bf = fb.brute_force(fb.ModelPlant(sc), result.distances, objective=obj) if sc.n_subchannels <= 6 else None
    table = Table(title=f"Locatelli case {case}: {obj.name} ({result.n_iterations} iterations, {result.n_probes} probes, {result.stop})")
    table.add_column("subchannel")
    for col in ("f start (GHz)", "f end (GHz)", "SNR start (dB)", "SNR end (dB)"):
        table.add_column(col, justify="right")
    f0 = np.asarray(sc.offsets(sc.distances)) / 1e9
    f1 = np.asarray(sc.offsets(jax.numpy.asarray(result.distances))) / 1e9
    for i in range(sc.n_subchannels):
        table.add_row(str(i + 1), f"{f0[i]:+.2f}", f"{f1[i]:+.2f}", f"{result.start_snr_db[i]:.2f}", f"{result.snr_db[i]:.2f}")
    console.print(table)
    console.print(f"{obj.name}: {result.start_objective:.3f} -> {result.objective:.3f} dB (gain {result.gain:+.3f} dB)"
                  + (f"; brute force +-2 GHz @ 1 GHz: {bf.objective:.3f} dB over {bf.n_points} points" if bf else ""))
    console.print(f"D* = {np.round(result.distances / 1e9, 3).tolist()} GHz")
    summary = {"case": case, "objective": obj.name, "start": result.start_objective, "end": result.objective,
               "distances_ghz": (result.distances / 1e9).tolist(), "snr_db": result.snr_db.tolist(),
               "iterations": result.n_iterations, "probes": result.n_probes,
               "brute_force": None if bf is None else bf.objective}
    (out / "superchannel.json").write_text(json.dumps(summary, indent=2))
    plot_superchannel(sc, result, out / "superchannel.png", f"Locatelli et al. case {case}: {obj.name}, {result.n_probes} probes")
    console.print(f"wrote {out / 'superchannel.png'}, {out / 'superchannel.json'}, {out / 'probes.json'}")
