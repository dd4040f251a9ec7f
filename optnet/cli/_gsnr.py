"""`optnet gsnr` and `optnet launch-power-demo`: per-channel budgets of a link in JSON."""

import json
import pathlib
import time

import typer

from ._output import console, link_table, require_x64


def gsnr(
    config: pathlib.Path | None = typer.Option(None, "--config", "-c", help="JSON link description (default: embedded C-band link); see the docs' config page."),
    spans: int | None = typer.Option(None, min=1, help="Override the number of spans."),
    power_dbm: float | None = typer.Option(None, "--power-dbm", min=-60.0, max=40.0, help="Override the launch power per channel (dBm)."),
    plot: pathlib.Path | None = typer.Option(None, help="Save a PNG of GSNR and every noise term against frequency."),
    json_out: pathlib.Path | None = typer.Option(None, "--json", help="Save the per-channel results as JSON."),
    quiet: bool = typer.Option(False, help="Print only the summary line."),
):
    """Per-channel GSNR, OSNR, ASE and NLI of a link described by a JSON file."""
    from optnet.io import default_link_config, load_link_config

    raw = default_link_config() if config is None else config
    cfg = load_link_config(raw)  # validated before any computation
    if spans is not None:
        cfg = cfg.model_copy(update={"n_spans": spans})
    if power_dbm is not None:
        cfg = cfg.model_copy(update={"spectrum": cfg.spectrum.model_copy(update={"power_dbm": power_dbm})})
    require_x64()
    import numpy as np

    link, spectrum = cfg.build()
    r = link(spectrum)
    if not quiet:
        console.print(link_table(r, cfg.description))
    thr = float(np.sum(r.throughput())) / 1e12
    console.print(
        f"{spectrum.n_channels} channels, {link.n_spans} spans: mean GSNR {float(np.mean(r.gsnr_db)):.2f} dB, "
        f"min {float(np.min(r.gsnr_db)):.2f} dB, Shannon throughput {thr:.2f} Tb/s",
        markup=False,
    )
    if plot is not None:
        from ._plots import plot_budget

        plot_budget(r, plot, f"{cfg.description}\n{link.n_spans} spans, {spectrum.n_channels} channels")
        console.print(f"plot saved to {plot}", markup=False)
    if json_out is not None:
        import optnet as on

        json_out.write_text(json.dumps({
            "frequency_Hz": np.asarray(r.frequency).tolist(),
            "power_W": np.asarray(r.power).tolist(),
            "ase_W": np.asarray(r.ase_power).tolist(),
            "nli_W": np.asarray(r.nli_power).tolist(),
            "gsnr_dB": np.asarray(r.gsnr_db).tolist(),
            "osnr_0.1nm_dB": np.asarray(on.linear_to_db(r.osnr())).tolist(),
        }, indent=1))


def launch_power_demo(
    out: pathlib.Path = typer.Option(pathlib.Path("demo_out"), help="Folder for the demo's outputs."),
    steps: int = typer.Option(60, min=1, help="Adam steps."),
):
    """GSNR of the embedded C-band link, then gradient-based per-channel launch-power optimisation."""
    require_x64()
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    import optnet as on
    from optnet.io import default_link_config, link_from_config

    from ._plots import plot_launch_powers

    out.mkdir(parents=True, exist_ok=True)
    link, spectrum = link_from_config(default_link_config())
    t0 = time.perf_counter()
    r0 = link(spectrum)
    jax.block_until_ready(r0.gsnr)
    console.print(f"compiled + evaluated the link in {time.perf_counter() - t0:.2f} s", markup=False)

    def throughput(p_dbm):
        return jnp.sum(link(eqx.tree_at(lambda s: s.power, spectrum, on.dbm_to_watt(p_dbm))).throughput()) / 1e12

    res = on.maximise(throughput, jnp.full(spectrum.n_channels, 1.0), optax.adam(0.1), steps=steps)
    r1 = link(eqx.tree_at(lambda s: s.power, spectrum, on.dbm_to_watt(res.value)))
    console.print(link_table(r1, "after optimisation"))
    plot_launch_powers(r0, r1, out / "launch_powers.png", "C-band 80 x 50 GHz, 10 x 100 km SSMF: Shannon throughput")
    t_before, t_after = float(np.sum(r0.throughput())) / 1e12, float(np.sum(r1.throughput())) / 1e12
    console.print(
        f"Shannon throughput {t_before:.3f} -> {t_after:.3f} Tb/s; min GSNR {float(np.min(r0.gsnr_db)):.2f} -> "
        f"{float(np.min(r1.gsnr_db)):.2f} dB; outputs in {out}/",
        markup=False,
    )
    (out / "demo.json").write_text(json.dumps({
        "throughput_Tbps_history": np.asarray(res.history).tolist(),
        "launch_power_dBm": np.asarray(res.value).tolist(),
        "gsnr_dB_before": np.asarray(r0.gsnr_db).tolist(),
        "gsnr_dB_after": np.asarray(r1.gsnr_db).tolist(),
    }, indent=1))
