"""`optnet optimise-pumps` (the `make demo` command): Raman pumps and launch powers, jointly."""

import json
import pathlib
import time

import typer

from ._output import console, require_x64


def optimise_pumps(
    out: pathlib.Path = typer.Option(pathlib.Path("demo_out"), help="Folder for the PNG and JSON outputs."),
    steps: int = typer.Option(25, min=1, help="Adam steps."),
    channels: int = typer.Option(40, min=2, max=400, help="C+L channels over 9.6 THz."),
    spans: int = typer.Option(20, min=1, max=200, help="Spans of 100 km."),
    learning_rate: float = typer.Option(0.12, min=1e-6, max=10.0, help="Adam learning rate."),
    budget_mw: float | None = typer.Option(None, min=1.0, max=10000.0, help="Total pump power budget (mW; default: the initial total)."),
    launch_powers: bool = typer.Option(True, help="Optimise the per-channel launch powers too."),
    max_launch_change_db: float = typer.Option(6.0, min=0.0, max=20.0, help="Largest change of a launch power (dB)."),
    frequencies: bool = typer.Option(True, help="Optimise the pump frequencies too (each within 2 THz)."),
    exact: bool = typer.Option(True, help="Exact gradient (numerical GN on the ODE profile) or the mode-sum surrogate."),
    baselines: bool = typer.Option(True, help="Also evaluate a uniform-power design and a random search with as many link evaluations as Adam steps."),
):
    """Maximise the Shannon throughput of a Raman-amplified C+L link over its pump powers and
    frequencies (and launch powers) with Adam and exact gradients under a pump-power budget; compare
    with the unoptimised design, a uniform-power design and a random search."""
    require_x64()
    import equinox as eqx
    import numpy as np
    import optax
    from rich.progress import Progress

    import optnet as on
    from optnet.scenarios import raman_demo_scenario

    from ._plots import plot_pump_optimisation

    out.mkdir(parents=True, exist_ok=True)
    link, spectrum = raman_demo_scenario(channels, spans)
    if not exact:
        link = eqx.tree_at(lambda l: l.nli, link, on.ModeSumGN(surrogate_gradient=True))
    budget = float(np.sum(link.spans.backward.power)) if budget_mw is None else budget_mw * 1e-3
    t0 = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("compiling the exact gradient", total=steps)
        res = on.optimise_pumps(
            link, spectrum, steps=steps, total_power=budget, launch_powers=launch_powers, max_launch_change_db=max_launch_change_db,
            frequencies=frequencies,
            optimiser=optax.adam(learning_rate),
            callback=lambda k, v: progress.update(task, advance=1, description=f"Adam: {v:.3f} Tb/s"),
        )
    wall = time.perf_counter() - t0
    compared = {"unoptimised design": float(res.history[0]), f"gradient ({steps} Adam steps)": float(res.history[-1])}
    if baselines:
        n = len(link.spans.backward.power)
        uniform = eqx.tree_at(lambda l: l.spans.backward.power, link, np.full(n, budget / n))
        compared["uniform pump powers"] = float(on.total_throughput_tbps(uniform, spectrum))
        rnd = on.random_pump_search(link, spectrum, steps, total_power=budget, frequencies=frequencies,
                                    launch_powers=launch_powers, max_launch_change_db=max_launch_change_db)
        compared[f"random search ({steps} evaluations)"] = float(rnd.history[-1])
    budgets = eqx.filter_jit(lambda l, s: (l(s), l.spans.on_off_gain(s.frequency, s.power)))
    before, gain_before = budgets(link, spectrum)
    after, gain_after = budgets(res.link, res.spectrum)
    hist = np.asarray(res.history)
    f = np.asarray(spectrum.frequency)
    on_off = [np.asarray(on.linear_to_db(g)) for g in (gain_before, gain_after)]  # pumps on / pumps off
    from rich.table import Table

    table = Table(title="backward pumps")
    for col in ("f before (THz)", "f after (THz)", "before (mW)", "after (mW)"):
        table.add_column(col, justify="right")
    pf, pf1 = np.asarray(link.spans.backward.frequency), np.asarray(res.link.spans.backward.frequency)
    p0, p1 = np.asarray(link.spans.backward.power), np.asarray(res.backward_power)
    for fk, fk1, a, b in zip(pf, pf1, p0, p1):
        table.add_row(f"{fk / 1e12:.2f}", f"{fk1 / 1e12:.2f}", f"{a * 1e3:.1f}", f"{b * 1e3:.1f}")
    console.print(table)
    console.print(
        f"Shannon throughput {hist[0]:.2f} -> {hist[-1]:.2f} Tb/s ({100 * (hist[-1] / hist[0] - 1):+.1f} %), "
        f"min GSNR {float(np.min(before.gsnr_db)):.2f} -> {float(np.min(after.gsnr_db)):.2f} dB, in {steps} steps "
        f"({wall:.1f} s including compilation; {'exact' if exact else 'surrogate'} gradient); outputs in {out}/",
        markup=False,
    )
    best = compared[f"gradient ({steps} Adam steps)"]
    summary = Table(title="total Shannon throughput (same pump-power budget)")
    for col in ("design", "Tb/s", "gradient's gain"):
        summary.add_column(col, justify="right")
    for name, value in compared.items():
        summary.add_row(name, f"{value:.2f}", f"{best - value:+.2f} Tb/s ({100 * (best / value - 1):+.1f} %)")
    console.print(summary)
    title = f"C+L {channels} ch over {spans} x 100 km SSMF, measured Raman gain, {len(pf)} backward pumps"
    plot_pump_optimisation(out / "pump_optimisation.png", title, hist, f, before, after, on_off, pf, p0, p1)
    (out / "pump_optimisation.json").write_text(json.dumps({
        "throughput_Tbps": hist.tolist(),
        "pump_frequency_Hz": pf.tolist(),
        "pump_frequency_Hz_after": pf1.tolist(),
        "pump_power_W_before": p0.tolist(),
        "pump_power_W_after": p1.tolist(),
        "launch_power_W_after": np.asarray(res.spectrum.power).tolist(),
        "gsnr_dB_before": np.asarray(before.gsnr_db).tolist(),
        "gsnr_dB_after": np.asarray(after.gsnr_db).tolist(),
        "on_off_gain_dB_before": on_off[0].tolist(),
        "on_off_gain_dB_after": on_off[1].tolist(),
        "wall_time_s": wall,
        "throughput_Tbps_by_design": compared,
    }, indent=1))
