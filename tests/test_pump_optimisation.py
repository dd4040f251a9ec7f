"""Pump optimisation: improves the objective, respects bounds and budget; CLI and example run."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import optax
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _link():
    import optnet as on

    fibre = on.Fibre.from_datasheet(80.0)
    span = on.RamanSpan(fibre, on.Pumps(), on.Pumps([205e12, 206.5e12], [0.05, 0.05]), on.Edfa.from_db(5.0), n_z=41)
    return on.GNLink.uniform(span, 3, nli=on.ModeSumGN()), on.Spectrum.uniform(8, 400e9, symbol_rate=300e9, power_dbm=2.0)


@pytest.mark.slow  # 50 s; `make demo` runs the joint pump and launch-power optimisation
def test_optimise_pumps_improves_and_respects_constraints():
    import optnet as on

    link, s = _link()
    res = on.optimise_pumps(link, s, steps=4, optimiser=optax.adam(0.2), min_power=0.01, max_power=0.08, total_power=0.12)
    hist = np.asarray(res.history)
    assert hist[-1] > hist[0]
    p = np.asarray(res.backward_power)
    assert np.all((p >= 0.01 - 1e-12) & (p <= 0.08 + 1e-12))
    assert p.sum() <= 0.12 + 1e-12
    assert abs(float(on.total_throughput_tbps(res.link, s)) - float(res.history[-1])) < 1e-9


@pytest.mark.slow
def test_optimise_pumps_without_budget():
    import optnet as on

    link, s = _link()
    res = on.optimise_pumps(link, s, steps=3, optimiser=optax.adam(0.2), min_power=0.01, max_power=0.12)
    assert float(res.history[-1]) > float(res.history[0])
    assert np.all(np.asarray(res.backward_power) <= 0.12 + 1e-12)


@pytest.mark.slow  # 40 s; `make demo-raman` runs the joint optimisation
def test_optimise_pump_frequencies_and_launch_powers():
    """Pump frequencies (bounded shift) and launch powers (bounded dB change) optimised jointly."""
    import optnet as on

    link, s = _link()
    res = on.optimise_pumps(link, s, steps=3, optimiser=optax.adam(0.2), total_power=0.12,
                            frequencies=True, max_frequency_shift=0.5e12, launch_powers=True, max_launch_change_db=1.0)
    assert float(res.history[-1]) > float(res.history[0])
    shift = np.asarray(res.link.spans.backward.frequency - link.spans.backward.frequency)
    assert np.all(np.abs(shift) <= 0.5e12 + 1.0) and np.any(shift != 0)
    change_db = 10 * np.log10(np.asarray(res.spectrum.power / s.power))
    assert np.all(np.abs(change_db) <= 1.0 + 1e-9) and np.any(change_db != 0)
    assert abs(float(on.total_throughput_tbps(res.link, res.spectrum)) - float(res.history[-1])) < 1e-9


def test_optimise_pumps_errors():
    import optnet as on

    link, s = _link()
    with pytest.raises(ValueError, match="min_power"):
        on.optimise_pumps(link, s, min_power=0.5, max_power=0.1)
    with pytest.raises(ValueError, match="cannot hold"):
        on.optimise_pumps(link, s, total_power=1e-4)
    no_pumps = on.GNLink.uniform(on.RamanSpan(on.Fibre.from_datasheet(80.0), on.Pumps(), on.Pumps()), 2)
    with pytest.raises(ValueError, match="no pumps"):
        on.optimise_pumps(no_pumps, s)


@pytest.mark.slow
def test_cli_optimise_pumps(tmp_path):
    from typer.testing import CliRunner

    from optnet.cli import app

    # the surrogate gradient keeps the test's compile short; `make demo` runs the exact one
    res = CliRunner().invoke(app, ["optimise-pumps", "--out", str(tmp_path), "--steps", "2", "--channels", "8",
                                   "--spans", "2", "--no-exact"])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "pump_optimisation.json").read_text())
    assert len(out["throughput_Tbps"]) == 3 and len(out["pump_power_W_after"]) == 4
    assert sum(out["pump_power_W_after"]) <= 0.32 + 1e-9  # the budget holds
    assert out["throughput_Tbps"][-1] > out["throughput_Tbps"][0]
    assert (tmp_path / "pump_optimisation.png").stat().st_size > 1000


@pytest.mark.slow
def test_pump_example_fast():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "pump_optimisation.py"), "--fast"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "Tb/s" in res.stdout


def test_random_pump_search_baseline():
    """The random-search baseline draws from the same space: budget and frequency window respected,
    the best design's objective is what `history` says, and the history never falls. (A closed-form
    objective keeps the test free of the link's compile time; the CLI runs the throughput one.)"""
    import jax
    import jax.numpy as jnp

    import optnet as on

    def objective(link, spectrum):  # prefers equal pumps near 60 mW and a lower second pump frequency
        b = link.spans.backward
        return -jnp.sum((b.power - 0.06) ** 2) - 1e-26 * (b.frequency[1] - 205.5e12) ** 2

    link, s = _link()
    res = on.random_pump_search(link, s, 6, key=jax.random.key(1), total_power=0.12, frequencies=True,
                                max_frequency_shift=1e12, objective=objective)
    hist = np.asarray(res.history)
    assert hist.shape == (7,) and np.all(np.diff(hist) >= 0) and hist[-1] > hist[0]
    assert float(np.sum(res.backward_power)) <= 0.12 + 1e-12
    shift = np.asarray(res.link.spans.backward.frequency - link.spans.backward.frequency)
    assert np.all(np.abs(shift) <= 1e12)
    assert abs(float(objective(res.link, s)) - hist[-1]) < 1e-15
    with pytest.raises(ValueError, match="evaluations"):
        on.random_pump_search(link, s, 0)
