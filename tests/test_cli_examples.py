"""The CLI, the JSON link description and the examples run end to end."""

import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_cli_gsnr_json_and_plot(tmp_path):
    from typer.testing import CliRunner

    from optnet.cli import app

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
    """Unknown, misspelt (nested) and missing keys and wrong types name the key path."""
    from optnet.io import ConfigError, link_from_config

    with pytest.raises(ConfigError, match="`bogus`: unknown key"):
        link_from_config({"spectrum": {"n_channels": 2, "spacing_ghz": 50}, "bogus": 1})
    with pytest.raises(ConfigError, match="`spectrum.symbol_rate_gbaud`: unknown key"):
        link_from_config({"spectrum": {"n_channels": 2, "spacing_ghz": 50, "symbol_rate_gbaud": 30}})
    with pytest.raises(ConfigError, match="`spectrum`: missing key"):
        link_from_config({"fibre": {}})
    with pytest.raises(ConfigError, match="`spectrum.spacing_ghz`: missing key"):
        link_from_config({"spectrum": {"n_channels": 2}})
    with pytest.raises(ConfigError, match="`nli`"):
        link_from_config({"spectrum": {"n_channels": 2, "spacing_ghz": 50}, "nli": "ssfm"})
    with pytest.raises(ConfigError, match="`fibre.length_km`"):
        link_from_config({"fibre": {"length_km": "far"}, "spectrum": {"n_channels": 2, "spacing_ghz": 50}})
    with pytest.raises(ConfigError, match="`fibre.attenuation_db_km`"):  # a unit slip (1/m given as dB/km)
        link_from_config({"fibre": {"attenuation_db_km": 46.0}, "spectrum": {"n_channels": 2, "spacing_ghz": 50}})
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        link_from_config(bad)


def test_config_schema_and_default_file():
    from optnet.io import default_link_config, link_config_schema, load_link_config

    schema = link_config_schema()
    assert schema["additionalProperties"] is False and "spectrum" in schema["required"]
    cfg = load_link_config(default_link_config())
    link, spectrum = cfg.build()
    assert link.n_spans == cfg.n_spans and spectrum.n_channels == cfg.spectrum.n_channels


BAD_ARGS = [
    (["superchannel", "--case", "12"], "--case"),
    (["superchannel", "--objective", "max"], "--objective"),
    (["superchannel", "--f-step", "-0.5"], "--f-step"),
    (["superchannel", "--case", "N6", "--minibatch", "9"], "--minibatch"),
    (["superchannel", "--probe-step", "0.3"], "--probe-step"),
    (["optimise-pumps", "--steps", "0"], "--steps"),
    (["optimise-pumps", "--learning-rate", "-1"], "--learning-rate"),
    (["gsnr", "--spans", "0"], "--spans"),
    (["gsnr", "--config", "missing.json"], "missing.json"),
    (["gsnr", "--power-dbm", "99"], "--power-dbm"),
    (["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize("args, names", BAD_ARGS)
def test_cli_bad_input_exits_2_with_one_line_before_computing(args, names):
    """Each user error: exit status 2, one line on stderr naming the argument, JAX never imported."""
    code = (
        "import sys\n"
        "from optnet.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as e:\n"
        "    print('jax' in sys.modules, e.code)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.split() == ["False", "2"], (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("optnet: error:") and names in lines[0], res.stderr


def test_cli_version_help_and_module():
    import optnet

    res = subprocess.run([sys.executable, "-m", "optnet", "--version"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.strip() == f"optnet {optnet.__version__}"
    res = subprocess.run([sys.executable, "-m", "optnet", "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "optimise-pumps" in res.stdout and "superchannel" in res.stdout


def test_superchannel_cli_knows_every_case():
    import optnet.scenarios as osc
    from optnet.cli._superchannel import _SUBCHANNELS

    assert _SUBCHANNELS == {str(k): v[0] for k, v in osc.LOCATELLI_CASES.items()}


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


def test_config_modulations_match_the_physics():
    import optnet as on
    from optnet.io._link_config import MODULATIONS

    assert set(MODULATIONS) == set(on.EXCESS_KURTOSIS)
