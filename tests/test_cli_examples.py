"""The CLI, the JSON link description and the examples run end to end."""

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_cli_gsnr_json_and_plot(tmp_path):
    from typer.testing import CliRunner

    from optnet._cli import app

    cfg = json.loads((ROOT / "optnet" / "data" / "default_link.json").read_text())
    cfg["spectrum"]["n_channels"] = 8
    cfg["transceiver_snr_db"] = 25.0
    cfg["roadm"] = {"add_drop_loss_db": 18.0, "express_loss_db": 18.0, "noise_figure_db": 6.0, "n_express": 1}
    path = tmp_path / "link.json"
    path.write_text(json.dumps(cfg))
    res = CliRunner().invoke(app, ["gsnr", "--config", str(path), "--plot", str(tmp_path / "g.png"),
                                   "--json", str(tmp_path / "o.json"), "--spans", "3"])
    assert res.exit_code == 0, res.output
    assert "8 channels, 3 spans" in res.output
    out = json.loads((tmp_path / "o.json").read_text())
    assert len(out["gsnr_dB"]) == 8 and all(10 < g < 30 for g in out["gsnr_dB"])
    assert (tmp_path / "g.png").stat().st_size > 1000


def test_config_errors(tmp_path):
    from optnet._config import link_from_config

    with pytest.raises(ValueError, match="Unknown link configuration keys"):
        link_from_config({"fibre": {}, "spectrum": {}, "bogus": 1})
    with pytest.raises(ValueError, match="missing the key"):
        link_from_config({"fibre": {}, "spectrum": {}})
    with pytest.raises(ValueError, match="Unknown `nli`"):
        link_from_config({"fibre": {}, "spectrum": {"n_channels": 2, "spacing_ghz": 50}, "nli": "ssfm"})


def test_example_fast():
    res = subprocess.run([sys.executable, str(ROOT / "examples" / "launch_power_optimisation.py"), "--fast"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "Tb/s" in res.stdout


def test_interop_imports():
    import interop

    assert interop.feedback is not None


def test_readme_example_runs():
    """The README's Python example is executed as written."""
    import re

    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "Tb/s" in res.stdout
