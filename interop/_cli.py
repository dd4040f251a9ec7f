"""The full `optnet` command line: optnet's commands plus the feedback-loop `superchannel` command
(it lives here because interop imports optnet, never the reverse)."""

import json
import pathlib

import typer
from rich.progress import Progress
from rich.table import Table

from optnet._cli import app, console


@app.command("superchannel")
def superchannel_cmd(
    case: str = typer.Option("1", help="Locatelli et al. case: 1-9 (Table 1) or N6/N8/N10 (Table 4)."),
    objective: str = typer.Option("min", help="'mean' (Obj#1) or 'min' (Obj#2)."),
    f_step: float = typer.Option(0.25, help="Laser grid / probe step, GHz."),
    minibatch: int | None = typer.Option(None, help="Subchannels probed per iteration (default max(2, N/2))."),
    noise_db: float = typer.Option(0.0, help="Monitoring noise (std, dB)."),
    seed: int = typer.Option(0),
    max_iterations: int = typer.Option(80),
    out: pathlib.Path = typer.Option(pathlib.Path("superchannel_out"), help="Folder for the PNG, JSON and probe log."),
):
    """Calibrate the model to case 1, then optimise a case's subchannel frequencies with the
    stochastic subgradient method on it (monitoring probes), and compare with brute force."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import numpy as np

    import optnet as on
    from interop import feedback as fb

    key = int(case) if case.isdigit() else case
    _, cal = on.calibrated_locatelli_superchannel(1)
    sc = on.apply_parameters(on.locatelli_superchannel(key), cal.parameters)
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
    for col in ("f start [GHz]", "f end [GHz]", "SNR start [dB]", "SNR end [dB]"):
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
    _plot(sc, result, out / "superchannel.png")
    console.print(f"wrote {out / 'superchannel.png'}, {out / 'superchannel.json'}, {out / 'probes.json'}")


def _plot(sc, result, path):
    import matplotlib

    matplotlib.use("Agg")
    import jax.numpy as jnp
    import matplotlib.pyplot as plt
    import numpy as np

    import optnet as on

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.plot(result.history, label="best")
    a1.plot(result.current, alpha=0.6, label="iterate")
    a1.set_xlabel("iteration")
    a1.set_ylabel("objective [dB]")
    a1.legend()
    half = 0.5 * float(sc.bandwidth) + 40e9
    f = jnp.linspace(-half, half, 2000)
    a2.plot(f / 1e9, 10 * np.log10(np.asarray(sc.filters.power_response(f)) + 1e-12), "k", label="filter cascade")
    for d, style, name in ((sc.distances, ":", "start"), (jnp.asarray(result.distances), "-", "optimised")):
        for i, x in enumerate(np.asarray(sc.offsets(d))):
            psd = on.raised_cosine_spectrum(f - x, sc.symbol_rate[i], sc.roll_off[i])
            a2.plot(f / 1e9, 10 * np.log10(np.asarray(psd) + 1e-12), style, color=f"C{i}", label=name if i == 0 else None)
    a2.set_ylim(-30, 3)
    a2.set_xlabel("offset from f_sc [GHz]")
    a2.set_ylabel("[dB]")
    a2.legend(loc="lower center")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
