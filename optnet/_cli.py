"""The `optnet` command line: per-channel GSNR tables and plots."""

import json
import pathlib
import time

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="optnet: differentiable optical-network physics.")
console = Console()


def _run_gsnr(config):
    import jax

    jax.config.update("jax_enable_x64", True)
    import optnet as on
    from ._config import link_from_config

    link, spectrum = link_from_config(config)
    return on, link, spectrum, link(spectrum)


def _table(on, r, title):
    import numpy as np

    t = Table(title=title)
    for col in ("ch", "f [THz]", "P [dBm]", "P_ASE [dBm]", "P_NLI [dBm]", "GSNR [dB]"):
        t.add_column(col, justify="right")
    f, p = np.asarray(r.frequency), np.asarray(on.watt_to_dbm(r.power))
    ase, nli = np.asarray(on.watt_to_dbm(r.ase_power)), np.asarray(on.watt_to_dbm(r.nli_power))
    g = np.asarray(r.gsnr_db)
    for i in range(len(f)):
        t.add_row(str(i), f"{f[i] / 1e12:.4f}", f"{p[i]:.2f}", f"{ase[i]:.2f}", f"{nli[i]:.2f}", f"{g[i]:.2f}")
    return t


def _plot(on, r, path: pathlib.Path, title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    f = np.asarray(r.frequency) / 1e12
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(f, np.asarray(r.gsnr_db), "k.-", label="GSNR")
    ax.plot(f, -np.asarray(on.linear_to_db(r.nsr_ase[-1])), "b--", label="SNR$_{ASE}$")
    ax.plot(f, -np.asarray(on.linear_to_db(r.nsr_nli[-1])), "r--", label="SNR$_{NLI}$")
    ax.set_xlabel("frequency [THz]")
    ax.set_ylabel("SNR [dB]")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@app.command()
def gsnr(
    config: pathlib.Path | None = typer.Option(None, "--config", "-c", help="JSON link description (default: embedded C-band link)."),
    spans: int | None = typer.Option(None, help="Override the number of spans."),
    power_dbm: float | None = typer.Option(None, "--power-dbm", help="Override the launch power per channel, dBm."),
    plot: pathlib.Path | None = typer.Option(None, help="Save a PNG of GSNR, SNR_ASE and SNR_NLI vs frequency."),
    json_out: pathlib.Path | None = typer.Option(None, "--json", help="Save the per-channel results as JSON."),
    quiet: bool = typer.Option(False, help="Print only the summary line."),
):
    """Per-channel GSNR (ASE, NLI) of a link described by options or a JSON file."""
    from ._config import default_link_config

    cfg = default_link_config() if config is None else json.loads(config.read_text())
    if spans is not None:
        cfg["n_spans"] = spans
    if power_dbm is not None:
        cfg["spectrum"]["power_dbm"] = power_dbm
    on, link, spectrum, r = _run_gsnr(cfg)
    import numpy as np

    title = cfg.get("description", "link")
    if not quiet:
        console.print(_table(on, r, title))
    thr = float(np.sum(r.throughput())) / 1e12
    console.print(
        f"[bold]{spectrum.n_channels} channels, {link.n_spans} spans:[/bold] mean GSNR "
        f"{float(np.mean(r.gsnr_db)):.2f} dB, min {float(np.min(r.gsnr_db)):.2f} dB, Shannon throughput {thr:.2f} Tb/s"
    )
    if plot is not None:
        _plot(on, r, plot, title)
        console.print(f"plot saved to {plot}")
    if json_out is not None:
        json_out.write_text(json.dumps({
            "frequency_Hz": np.asarray(r.frequency).tolist(),
            "power_W": np.asarray(r.power).tolist(),
            "ase_W": np.asarray(r.ase_power).tolist(),
            "nli_W": np.asarray(r.nli_power).tolist(),
            "gsnr_dB": np.asarray(r.gsnr_db).tolist(),
        }, indent=1))


@app.command("launch-power-demo")
def demo(out: pathlib.Path = typer.Option(pathlib.Path("demo_out"), help="Folder for the demo's outputs.")):
    """GSNR of the embedded C-band link, then gradient-based launch-power optimisation."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import equinox as eqx
    import jax.numpy as jnp
    import numpy as np
    import optax
    from rich.progress import track

    import optnet as on
    from ._config import default_link_config, link_from_config

    out.mkdir(parents=True, exist_ok=True)
    link, spectrum = link_from_config(default_link_config())
    t0 = time.perf_counter()
    r0 = link(spectrum)
    jax.block_until_ready(r0.gsnr)
    console.print(f"compiled + evaluated the link in {time.perf_counter() - t0:.2f} s")
    console.print(_table(on, r0, "before optimisation (1 dBm/ch flat)"))
    _plot(on, r0, out / "gsnr_before.png", "flat 1 dBm/ch")

    def loss(p_dbm):
        s = eqx.tree_at(lambda s: s.power, spectrum, on.dbm_to_watt(p_dbm))
        return -jnp.sum(link(s).throughput()) / 1e12

    opt = optax.adam(0.1)
    p = jnp.full(spectrum.n_channels, 1.0)
    state = opt.init(p)

    @jax.jit
    def step(p, state):
        value, g = jax.value_and_grad(loss)(p)
        updates, state = opt.update(g, state)
        return optax.apply_updates(p, updates), state, value

    history = []
    for _ in track(range(60), description="Adam on per-channel launch power"):
        p, state, value = step(p, state)
        history.append(-float(value))
    s1 = eqx.tree_at(lambda s: s.power, spectrum, on.dbm_to_watt(p))
    r1 = link(s1)
    console.print(_table(on, r1, "after optimisation"))
    _plot(on, r1, out / "gsnr_after.png", "optimised launch powers")
    t_before, t_after = float(np.sum(r0.throughput())) / 1e12, float(np.sum(r1.throughput())) / 1e12
    console.print(
        f"[bold green]Shannon throughput {t_before:.3f} -> {t_after:.3f} Tb/s[/bold green]; "
        f"min GSNR {float(np.min(r0.gsnr_db)):.2f} -> {float(np.min(r1.gsnr_db)):.2f} dB; outputs in {out}/"
    )
    (out / "demo.json").write_text(json.dumps({
        "throughput_Tbps_history": history,
        "launch_power_dBm": np.asarray(p).tolist(),
        "gsnr_dB_before": np.asarray(r0.gsnr_db).tolist(),
        "gsnr_dB_after": np.asarray(r1.gsnr_db).tolist(),
    }, indent=1))


@app.command("optimise-pumps")
def optimise_pumps_cmd(
    out: pathlib.Path = typer.Option(pathlib.Path("demo_out"), help="Folder for the PNG and JSON outputs."),
    steps: int = typer.Option(30, help="Adam steps."),
    channels: int = typer.Option(90, help="C+L channels over 9 THz."),
    spans: int = typer.Option(47, help="Spans of 100 km (47 reproduce XLRON's 70.2 Tb/s start)."),
    learning_rate: float = typer.Option(0.2, help="Adam learning rate on the pump parameters."),
    budget_mw: float | None = typer.Option(None, help="Total pump power budget, mW (default: the initial total)."),
    exact: bool = typer.Option(False, help="Exact NLI gradient (numerical GN on the ODE profile) instead of the surrogate."),
):
    """Optimise Raman pump powers for throughput (XLRON's 5-pump C+L scenario) with Adam."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import equinox as eqx
    import jax.numpy as jnp
    import numpy as np
    import optax
    from rich.progress import Progress

    import optnet as on

    from ._scenarios import xlron_pump_scenario

    out.mkdir(parents=True, exist_ok=True)
    link, spectrum = xlron_pump_scenario(channels, spans)
    if exact:
        link = eqx.tree_at(lambda l: l.nli, link, on.NumericalGN(n_z=32, n_nu=32))
    budget = float(jnp.sum(link.spans.backward.power)) if budget_mw is None else budget_mw * 1e-3
    t0 = time.perf_counter()
    with Progress(console=console) as progress:
        task = progress.add_task("Adam on pump powers", total=steps)
        res = on.optimise_pumps(
            link, spectrum, steps=steps, total_power=budget, optimiser=optax.adam(learning_rate),
            callback=lambda k, v: progress.update(task, advance=1, description=f"Adam on pump powers: {v:.3f} Tb/s"),
        )
    wall = time.perf_counter() - t0
    before, after = link.spans.solve(spectrum.frequency, spectrum.power), res.link.spans.solve(spectrum.frequency, spectrum.power)
    span_loss_db = np.asarray(on.per_m_to_db_per_km(link.spans.fibre.alpha(spectrum.frequency))) * float(link.spans.fibre.length) / 1e3
    gain_before = np.asarray(on.linear_to_db(before.net_gain)) + span_loss_db  # on-off gain, dB
    gain_after = np.asarray(on.linear_to_db(after.net_gain)) + span_loss_db
    table = Table(title="pump powers")
    table.add_column("f [THz]", justify="right")
    table.add_column("before [mW]", justify="right")
    table.add_column("after [mW]", justify="right")
    for f, p0, p1 in zip(np.asarray(link.spans.backward.frequency), np.asarray(link.spans.backward.power), np.asarray(res.backward_power)):
        table.add_row(f"{f / 1e12:.1f}", f"{p0 * 1e3:.1f}", f"{p1 * 1e3:.1f}")
    console.print(table)
    hist = np.asarray(res.history)
    console.print(f"[bold green]throughput {hist[0]:.3f} -> {hist[-1]:.3f} Tb/s[/bold green] in {steps} steps, "
                  f"{wall:.1f} s including compile; budget {budget * 1e3:.0f} mW; outputs in {out}/")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.plot(hist, "k.-")
    a1.set_xlabel("Adam step")
    a1.set_ylabel("throughput [Tb/s]")
    a1.grid(alpha=0.3)
    f = np.asarray(spectrum.frequency) / 1e12
    a2.plot(f, gain_before, "b.-", label="before")
    a2.plot(f, gain_after, "r.-", label="after")
    a2.set_xlabel("frequency [THz]")
    a2.set_ylabel("on-off Raman gain [dB]")
    a2.legend()
    a2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "pump_optimisation.png", dpi=120)
    plt.close(fig)
    (out / "pump_optimisation.json").write_text(json.dumps({
        "throughput_Tbps": hist.tolist(),
        "pump_frequency_Hz": np.asarray(link.spans.backward.frequency).tolist(),
        "pump_power_W_before": np.asarray(link.spans.backward.power).tolist(),
        "pump_power_W_after": np.asarray(res.backward_power).tolist(),
        "on_off_gain_dB_before": gain_before.tolist(),
        "on_off_gain_dB_after": gain_after.tolist(),
        "wall_time_s": wall,
    }, indent=1))


def main():  # pragma: no cover
    app()
