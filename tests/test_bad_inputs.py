"""Bad input across the public API: each value case is refused eagerly (at construction, `ValueError`)
and inside `jax.jit` (the same message from the runtime check), and the message names the argument.
Each family compiles once: the bad value is a traced input of the same shape as the good one."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import JIT_ERRORS


# -- a passive link (FibreSpan + fixed-gain EDFA, ROADM, transceiver) from flat scalar parameters --
LINK = dict(
    frequency=193.5e12, symbol_rate=32e9, power=1e-3, roll_off=0.1, excess_kurtosis=-1.0,
    length=80e3, attenuation=4.6e-5, beta2=-2.17e-26, beta3=1.4e-40, gamma=1.3e-3, ref_frequency=193.5e12,
    raman_slope=2.8e-17, raman_cutoff=15e12, noise_figure=3.2, gain=39.8, tilt=0.0,
    add_drop_loss=63.0, express_loss=63.0, roadm_noise_figure=4.0, transceiver_snr=100.0,
)

# (parameter, bad value, text the message must contain)
LINK_CASES = [
    ("frequency", np.nan, "`frequency` contains NaN"),
    ("frequency", -193.5e12, "`frequency` must be > 0"),
    ("frequency", 193.5, "`frequency` is outside the plausible range"),  # THz for Hz
    ("frequency", 193.5e3, "`frequency` is outside the plausible range"),  # GHz for Hz
    ("symbol_rate", 0.0, "`symbol_rate` must be > 0"),
    ("symbol_rate", np.nan, "`symbol_rate` contains NaN"),
    ("symbol_rate", 32.0, "`symbol_rate` is outside the plausible range"),  # GBd for Bd
    ("symbol_rate", np.inf, "`symbol_rate` contains NaN or inf"),
    ("power", -1e-3, "`power` must be >= 0"),
    ("power", np.nan, "`power` contains NaN"),
    ("power", 3.0, "`power` is outside the plausible range"),  # dBm for W
    ("power", 1e-9, "`power` is outside the plausible range"),
    ("roll_off", 1.5, "`roll_off` must be <= 1"),
    ("roll_off", -0.1, "`roll_off` must be >= 0"),
    ("roll_off", np.nan, "`roll_off` contains NaN"),
    ("excess_kurtosis", -3.0, "`excess_kurtosis` must be >= -1"),
    ("excess_kurtosis", np.nan, "`excess_kurtosis` contains NaN"),
    ("length", np.nan, "`Fibre.length` contains NaN"),
    ("length", 0.0, "`Fibre.length` must be > 0"),
    ("length", -80e3, "`Fibre.length` must be > 0"),
    ("length", 80e6, "`Fibre.length` is outside the plausible range"),
    ("length", 0.08, "`Fibre.length` is outside the plausible range"),
    ("attenuation", 0.2, "`Fibre.attenuation` is outside the plausible range"),  # dB/km for 1/m
    ("attenuation", 0.0, "`Fibre.attenuation` must be > 0"),
    ("attenuation", -4.6e-5, "`Fibre.attenuation` must be > 0"),
    ("attenuation", np.nan, "`Fibre.attenuation` contains NaN"),
    ("beta2", np.nan, "`Fibre.beta2` contains NaN"),
    ("beta2", -21.7, "`Fibre.beta2` is implausibly large"),  # ps^2/km for s^2/m
    ("beta2", np.inf, "`Fibre.beta2` contains NaN or inf"),
    ("beta3", np.nan, "`Fibre.beta3` contains NaN"),
    ("beta3", 0.14, "`Fibre.beta3` is implausibly large"),  # ps^3/km for s^3/m
    ("gamma", -1.3e-3, "`Fibre.gamma` must be >= 0"),
    ("gamma", 1.3, "`Fibre.gamma` is implausibly large"),  # 1/(W km) for 1/(W m)
    ("gamma", np.nan, "`Fibre.gamma` contains NaN"),
    ("ref_frequency", 1550.0, "`Fibre.ref_frequency` is outside the plausible range"),  # nm for Hz
    ("ref_frequency", np.nan, "`Fibre.ref_frequency` contains NaN"),
    ("raman_slope", -2.8e-17, "`TriangularRamanGain.slope` must be >= 0"),
    ("raman_slope", 0.028, "`TriangularRamanGain.slope` is implausibly large"),
    ("raman_slope", np.nan, "`TriangularRamanGain.slope` contains NaN"),
    ("raman_cutoff", 0.0, "`TriangularRamanGain.cutoff` must be > 0"),
    ("raman_cutoff", 15.0, "`TriangularRamanGain.cutoff` is outside the plausible range"),  # THz
    ("noise_figure", 0.5, "`Edfa.noise_figure` must be >= 1"),
    ("noise_figure", np.nan, "`Edfa.noise_figure` contains NaN"),
    ("noise_figure", 1e5, "`Edfa.noise_figure` is outside the plausible range"),
    ("gain", 0.0, "`FixedGain.gain` must be > 0"),
    ("gain", -10.0, "`FixedGain.gain` must be > 0"),
    ("gain", np.nan, "`FixedGain.gain` contains NaN"),
    ("gain", 1e9, "`FixedGain.gain` is outside the plausible range"),
    ("tilt", 1.0, "`FixedGain.tilt` is implausibly large"),  # dB/THz for 1/Hz
    ("tilt", np.nan, "`FixedGain.tilt` contains NaN"),
    ("add_drop_loss", 0.5, "`Roadm.add_drop_loss` must be >= 1"),  # a gain, not a loss
    ("add_drop_loss", np.nan, "`Roadm.add_drop_loss` contains NaN"),
    ("express_loss", 0.0, "`Roadm.express_loss` must be >= 1"),
    ("roadm_noise_figure", 0.9, "`Roadm.noise_figure` must be >= 1"),
    ("roadm_noise_figure", np.nan, "`Roadm.noise_figure` contains NaN"),
    ("transceiver_snr", 0.0, "`Transceiver.snr` must be > 0"),
    ("transceiver_snr", -10.0, "`Transceiver.snr` must be > 0"),
    ("transceiver_snr", np.nan, "`Transceiver.snr` contains NaN"),
]


def _link(p):
    import optnet as on

    f = p["frequency"] * (1 + 3e-4 * jnp.arange(4.0))  # 58 GHz apart at 193.5 THz
    spectrum = on.Spectrum(f, p["symbol_rate"], p["power"], p["roll_off"], p["excess_kurtosis"])
    fibre = on.Fibre(p["length"], p["attenuation"], p["beta2"], p["beta3"], p["gamma"], p["ref_frequency"],
                     on.TriangularRamanGain(p["raman_slope"], p["raman_cutoff"]))
    amp = on.Edfa(p["noise_figure"], on.FixedGain(p["gain"], tilt=p["tilt"]))
    link = on.GNLink(on.FibreSpan(fibre, amp), n_spans=2, roadm=on.Roadm(p["add_drop_loss"], p["express_loss"], p["roadm_noise_figure"]),
                     transceiver=on.Transceiver(p["transceiver_snr"]))
    return link(spectrum).gsnr


@pytest.fixture(scope="module")
def link_kernel():
    return jax.jit(_link)


def test_good_link_parameters_pass(link_kernel):
    good = {k: jnp.asarray(v) for k, v in LINK.items()}
    assert np.all(np.isfinite(_link(good))) and np.all(np.isfinite(link_kernel(good)))


@pytest.mark.parametrize("name, value, message", LINK_CASES, ids=[f"{n}={v}" for n, v, _ in LINK_CASES])
def test_link_value_refused_eagerly_and_under_jit(link_kernel, name, value, message):
    _refused_in_both_modes(_link, link_kernel, LINK, name, value, message)


def _refused_in_both_modes(build, kernel, good, name, value, message):
    """`build` with `name` set to `value` raises `ValueError` eagerly, and the jitted `kernel` raises
    at run time; both messages contain `message`."""
    bad = {k: jnp.asarray(v) for k, v in good.items()} | {name: jnp.asarray(value)}
    with pytest.raises(ValueError) as eager:
        build(bad)
    assert message in str(eager.value)
    with pytest.raises(JIT_ERRORS) as traced:
        jax.block_until_ready(kernel(bad))
    assert message in str(traced.value)


# -- Raman spans: pumps and temperature, through `RamanSpan.solve` (forward pumps: no BVP) --------
RAMAN = dict(pump_frequency=205e12, pump_power=0.2, pump_attenuation=5.8e-5, temperature=300.0, second_pump=206e12)
RAMAN_CASES = [
    ("pump_frequency", np.nan, "`Pumps.frequency` contains NaN"),  # was silently dropped
    ("pump_frequency", 206.0, "`Pumps.frequency` is outside the plausible range"),  # THz for Hz
    ("pump_frequency", 193.6e12, "pump lies inside or below the signal band"),
    ("pump_frequency", 185e12, "pump lies inside or below the signal band"),
    ("pump_power", 0.0, "`Pumps.power` must be > 0"),
    ("pump_power", -0.1, "`Pumps.power` must be > 0"),
    ("pump_power", 500.0, "`Pumps.power` is outside the plausible range"),  # mW for W
    ("pump_attenuation", -5.8e-5, "`Pumps.attenuation` must be > 0"),  # was 3-11 dB of extra gain
    ("pump_attenuation", 0.25, "`Pumps.attenuation` is outside the plausible range"),  # dB/km for 1/m
    ("temperature", -1.0, "`RamanSpan.temperature` must be > 0"),
    ("temperature", 0.0, "`RamanSpan.temperature` must be > 0"),
    ("temperature", np.nan, "`RamanSpan.temperature` contains NaN"),
    ("second_pump", 205e12, "share a frequency"),
]


def _raman(p):
    import optnet as on

    pumps = on.Pumps(jnp.stack([p["pump_frequency"], p["second_pump"]]), p["pump_power"], p["pump_attenuation"])
    span = on.RamanSpan(on.Fibre.from_datasheet(50.0), pumps, on.Pumps(), on.Edfa.from_db(5.0),
                        temperature=p["temperature"], n_z=5)
    spectrum = on.Spectrum(193.5e12 + 50e9 * jnp.arange(4.0), 32e9, 1e-3)
    return on.GNLink(span, nli=on.ModeSumGN())(spectrum).gsnr


@pytest.fixture(scope="module")
def raman_kernel():
    return jax.jit(_raman)


@pytest.mark.parametrize("name, value, message", RAMAN_CASES, ids=[f"{n}={v}" for n, v, _ in RAMAN_CASES])
def test_raman_value_refused_eagerly_and_under_jit(raman_kernel, name, value, message):
    _refused_in_both_modes(_raman, raman_kernel, RAMAN, name, value, message)


# -- modules checked on their own (`module.checked()` under jit) -----------------------------------
def _module_cases():
    import optnet as on

    return [
        (lambda v: on.ConstantPower(v), 0.0, "`ConstantPower.total_power` must be > 0"),
        (lambda v: on.ConstantPower(v), 20.0, "`ConstantPower.total_power` is outside the plausible range"),  # dBm
        (lambda v: on.ConstantPower(v), np.nan, "`ConstantPower.total_power` contains NaN"),
        (lambda v: on.ConstantPsd(v), 0.0, "`ConstantPsd.psd` must be > 0"),
        (lambda v: on.ConstantPsd(v), 1.0, "`ConstantPsd.psd` is outside the plausible range"),
        (lambda v: on.TabulatedRamanGain(jnp.stack([0.0, v, 20e12]), jnp.asarray([0.0, 1e-17, 2e-17])), 25e12,
         "`TabulatedRamanGain.frequency_shift` must be strictly increasing"),
        (lambda v: on.TabulatedRamanGain(jnp.asarray([0.0, 1e12]), jnp.stack([0.0, v])), -1e-17,
         "`TabulatedRamanGain.efficiency` must be >= 0"),
        (lambda v: on.Fibre.from_datasheet(80.0, attenuation_db_km=jnp.asarray([0.2, 0.21]),
                                           attenuation_frequency=jnp.stack([v, 190e12])), 196e12,
         "`Fibre.attenuation_frequency` must be strictly increasing"),
        (lambda v: on.Edfa(jnp.asarray([3.0, 3.2]), frequency=jnp.stack([v, 190e12])), 196e12,
         "`Edfa.frequency` must be strictly increasing"),
        (lambda v: on.FilterCascade(v, (0,)), 37.5, "`FilterCascade.bandwidth` is outside the plausible range"),  # GHz
        (lambda v: on.FilterCascade(37.5e9, (0,), offset=v), 1.5e12, "`FilterCascade.offset` is implausibly large"),
    ]


MODULE_CASE_IDS = ["ConstantPower=0", "ConstantPower=20", "ConstantPower=nan", "ConstantPsd=0", "ConstantPsd=1",
                   "table-descending", "table-negative", "attenuation-table-descending", "nf-table-descending",
                   "filter-bandwidth-GHz", "filter-offset"]


@pytest.mark.parametrize("index", range(len(MODULE_CASE_IDS)), ids=MODULE_CASE_IDS)
def test_module_value_refused_eagerly_and_under_jit(index):
    build, value, message = _module_cases()[index]
    with pytest.raises(ValueError) as eager:
        build(jnp.asarray(value))
    assert message in str(eager.value)
    with pytest.raises(JIT_ERRORS) as traced:
        jax.block_until_ready(jax.jit(lambda v: jax.tree.leaves(build(v).checked())[0])(jnp.asarray(value)))
    assert message in str(traced.value)


# -- types, shapes and static options: refused at construction, naming the argument ----------------
def _structure_cases():
    import optnet as on

    f8 = 193.5e12 + 50e9 * jnp.arange(8.0)
    fibre = on.Fibre.from_datasheet(80.0)
    return [
        (lambda: on.Fibre.from_datasheet("80"), TypeError, "length_km"),
        (lambda: on.GNLink(fibre, nli="numerical"), TypeError, "`nli`"),
        (lambda: on.GNLink(fibre, n_spans=0), ValueError, "`n_spans`"),
        (lambda: on.GNLink([]), ValueError, "`spans`"),
        (lambda: on.GNLink("fibre"), TypeError, "`spans`"),
        (lambda: on.GNLink(fibre, transceiver=on.Transceiver(jnp.full(3, 100.0)))(on.Spectrum(f8, 32e9, 1e-3)),
         ValueError, "`Transceiver.snr`"),
        (lambda: on.GNLink(fibre)(f8), TypeError, "`Spectrum`"),
        (lambda: on.Pumps([205e12, 206e12], [0.1, 0.1, 0.1]), ValueError, "`power`"),
        (lambda: on.Edfa(jnp.asarray([3.0, 3.2, 3.1]), frequency=jnp.asarray([190e12, 196e12])), ValueError, "`noise_figure`"),
        (lambda: on.FixedGain(jnp.asarray([10.0, 11.0]), jnp.asarray([190e12, 193e12, 196e12])), ValueError, "`gain`"),
        (lambda: on.Roadm(63.0, 63.0, 4.0, n_express=-1), ValueError, "`Roadm.n_express`"),
        (lambda: on.Transceiver(jnp.ones((2, 2))), ValueError, "`Transceiver.snr`"),
        (lambda: on.Spectrum(jnp.ones((2, 2)) * 193e12, 32e9, 1e-3), ValueError, "`frequency`"),
        (lambda: on.Spectrum(f8, jnp.full(3, 32e9), 1e-3), ValueError, "`symbol_rate`"),
        (lambda: on.Spectrum(f8, 32e9, jnp.full(5, 1e-3)), ValueError, "`power`"),
        (lambda: on.Spectrum(f8, 32e9, 1e-3, roll_off=jnp.full(3, 0.1)), ValueError, "`roll_off`"),
        (lambda: on.Spectrum(f8[:2] * 0 + 193.5e12, 32e9, 1e-3), ValueError, "overlap"),
        (lambda: on.Spectrum.uniform(0, 50e9), ValueError, "`n_channels`"),
        (lambda: on.Spectrum.uniform(8, 50e9, modulation="QAM17"), ValueError, "modulation"),
        (lambda: on.NumericalGN(n_z=0), ValueError, "`n_z`"),
        (lambda: on.NumericalGN(n_nu=1), ValueError, "`n_nu`"),
        (lambda: on.RamanSpan(fibre, on.Pumps(), on.Pumps(), n_z=1), ValueError, "`RamanSpan.n_z`"),
        (lambda: on.TabulatedRamanGain(jnp.zeros(1), jnp.zeros(1)), ValueError, "2 points"),
        (lambda: on.Fibre.from_datasheet(80.0, effective_area_um2=8e-11), ValueError, "`effective_area_um2`"),
        (lambda: on.Fibre.from_datasheet(80.0, gamma_per_w_km=1.3, effective_area_um2=80.0), ValueError, "not both"),
        (lambda: on.FilterCascade(37.5e9, ()), ValueError, "position"),
        (lambda: on.Superchannel.equidistant(4, 137.5e9, on.FilterCascade(137.5e9, (0,)), n_quad=0), ValueError, "`n_quad`"),
        (lambda: on.shannon_throughput(jnp.ones(3), jnp.full(3, 32e9), fec_overhead=-0.1), ValueError, "`fec_overhead`"),
        (lambda: on.Spectrum.uniform(8, 50e9, power_dbm=40.0), ValueError, "`power`"),
        (lambda: on.Fibre.from_datasheet(80.0, attenuation_db_km=20.0), ValueError, "`Fibre.attenuation`"),
    ]


STRUCTURE_IDS = ["datasheet-str", "nli-str", "n_spans-0", "no-spans", "spans-str", "trx-shape", "call-array",
                 "pump-shapes", "nf-table", "gain-table", "n_express", "trx-2d", "frequency-2d", "symbol-rate-shape",
                 "power-shape", "roll-off-shape", "same-frequency", "no-channels", "modulation", "numerical-n_z",
                 "numerical-n_nu", "raman-n_z", "raman-table", "area-m2", "gamma-and-area", "filters-empty", "n_quad",
                 "fec", "power-dbm-40", "attenuation-20dB"]


@pytest.mark.parametrize("index", range(len(STRUCTURE_IDS)), ids=STRUCTURE_IDS)
def test_structure_refused_naming_the_argument(index):
    from jaxtyping import TypeCheckError

    build, kind, text = _structure_cases()[index]
    with pytest.raises(kind) as err:
        build()
    if isinstance(err.value, TypeCheckError):  # the suite's runtime annotation check came first
        assert text.strip("`").lower() in str(err.value).lower()
    else:
        assert text in str(err.value)


def test_unchecked_lets_exotic_values_through():
    import optnet as on

    with pytest.raises(ValueError, match="plausible"):
        on.Fibre.from_datasheet(80.0, attenuation_db_km=1e-9)
    lossless = on.Fibre.from_datasheet(80.0, attenuation_db_km=1e-9, unchecked=True)
    assert float(lossless.attenuation) > 0
    with pytest.raises(ValueError, match="must be > 0"):  # validity is checked regardless
        on.Fibre.from_datasheet(80.0, attenuation_db_km=-1.0, unchecked=True)


def test_counts():
    """The module holds at least 100 cases (the issue's floor); value cases run in both modes."""
    assert len(LINK_CASES) + len(RAMAN_CASES) + len(MODULE_CASE_IDS) + len(STRUCTURE_IDS) + len(CONFIG_CASES) >= 100
    assert len(_module_cases()) == len(MODULE_CASE_IDS) and len(_structure_cases()) == len(STRUCTURE_IDS)


# -- the CLI and config files: one line on stderr naming the key, exit status 2 ---------------------
CONFIG_CASES = [
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50, "symbol_rate_gbaud": 30}}, "spectrum.symbol_rate_gbaud"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50, "roll_off": 1.5}}, "spectrum.roll_off"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50, "power_dbm": 99}}, "spectrum.power_dbm"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50}, "fibre": {"length_km": -80}}, "fibre.length_km"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50}, "fibre": {"attenuation_db_km": 46.0}}, "fibre.attenuation_db_km"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50}, "n_spans": 0}, "n_spans"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50}, "roadm": {"add_drop_loss_db": -3}}, "roadm.add_drop_loss_db"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50, "modulation": "QAM17"}}, "spectrum.modulation"),
    ({"spectrum": {"n_channels": 8, "spacing_ghz": 50}, "fibre": {"length_km": 10}}, "short spans"),
]


def test_config_files_through_the_cli(tmp_path):
    """Each bad config file: `optnet gsnr --config FILE` exits 2 with one line naming the key."""
    import json
    import subprocess
    import sys

    paths = []
    for k, (config, _) in enumerate(CONFIG_CASES):
        path = tmp_path / f"case{k}.json"
        path.write_text(json.dumps(config))
        paths.append(str(path))
    code = (
        "import contextlib, io, json, sys\n"
        "from optnet.cli import main\n"
        "out = []\n"
        f"for p in {paths!r}:\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        try:\n"
        "            main(['gsnr', '--config', p])\n"
        "            status = 0\n"
        "        except SystemExit as e:\n"
        "            status = e.code\n"
        "    out.append([status, err.getvalue()])\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    results = json.loads(res.stdout.strip().splitlines()[-1])
    for (config, key), (status, stderr) in zip(CONFIG_CASES, results):
        lines = stderr.strip().splitlines()
        assert status == 2 and len(lines) == 1 and key in lines[0], (config, status, stderr)
