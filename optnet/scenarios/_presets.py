"""Named scenarios used by the CLI, examples and benchmarks."""

import functools

import jax.numpy as jnp

from .._amplifier import Edfa
from .._calibration import Calibration, FilterOffset, IsiScale, PowerOffset, TransceiverFloor, apply_parameters, calibrate
from .._fibre import Fibre
from .._link import GNLink
from .._raman import Pumps, RamanSpan
from .._nli import ModeSumGN, NumericalGN
from .._spectrum import Spectrum
from .._superchannel import FilterCascade, Superchannel
from .._units import per_m_to_db_per_km
from ..io import ssmf_raman_gain


def xlron_pump_scenario(n_channels: int = 90, n_spans: int = 47, power_dbm: float = 0.0) -> tuple[GNLink, Spectrum]:
    """XLRON's 'Gerard 2025 recreation' preset: 5 backward pumps (200.5-211.1 THz, 275-50 mW), C+L
    signals over 9 THz centred on 190.5 THz, 100 km spans, C_r 1e-17 1/(W m Hz), alpha 3.68e-5 1/m,
    gamma 0.9 1/W/km, D 21 ps/nm/km. The span count and launch power are not published; 47 spans at
    0 dBm/ch reproduce XLRON's starting throughput (70.2 Tb/s)."""
    fibre = Fibre.from_datasheet(
        100.0, attenuation_db_km=per_m_to_db_per_km(3.68e-5), dispersion_ps_nm_km=21.0,
        gamma_per_w_km=0.9, raman_slope_per_w_km_thz=0.01,
    )
    pumps = Pumps([200.5e12, 203.1e12, 205.7e12, 208.4e12, 211.1e12], [0.275, 0.180, 0.119, 0.077, 0.050])
    spacing = 9e12 / n_channels
    spectrum = Spectrum.uniform(n_channels, spacing, centre=190.5e12, symbol_rate=0.96 * spacing, power_dbm=power_dbm)
    return GNLink.uniform(RamanSpan(fibre, Pumps(), pumps, Edfa.from_db(5.0)), n_spans, nli=ModeSumGN()), spectrum


# Locatelli et al., JOCN 2022, Table 1 (cases 1-9) and Table 4 (N = 6/8/10):
# (subchannels, modulation, roll-off, spans, filters, BW_sc in GHz)
LOCATELLI_CASES = {
    1: (4, "QPSK", 0.10, 2, 2, 137.5),
    2: (4, "16QAM", 0.10, 2, 2, 137.5),
    3: (4, "QPSK", 0.10, 2, 2, 150.0),
    4: (4, "QPSK", 0.15, 2, 2, 137.5),
    5: (4, "QPSK", 0.10, 10, 5, 137.5),
    6: (4, "QPSK", 0.10, 0, 1, 137.5),
    7: (4, "QPSK", 0.10, 0, 1, 200.0),
    8: (4, "QPSK", 0.15, 0, 1, 137.5),
    9: (4, "QPSK", 0.15, 0, 1, 200.0),
    "N6": (6, "QPSK", 0.10, 2, 2, 200.0),
    "N8": (8, "QPSK", 0.10, 2, 2, 275.0),
    "N10": (10, "QPSK", 0.10, 2, 2, 340.0),
}
# Case 1's reported SNR_SC(D_eq) (Sec. 4) and case 7's equidistant mean SNR (Table 2: back-to-back
# with a 200 GHz filter, where filtering and crosstalk are negligible): the calibration targets.
LOCATELLI_CASE1_SNR_DB = (13.55, 16.86, 16.91, 13.15)
LOCATELLI_FLOOR_DB = 23.29


def locatelli_superchannel(case: int | str = 1, **kwargs) -> Superchannel:
    """A superchannel set-up of Locatelli et al. (JOCN 2022), equidistant, uncalibrated.

    Cases 1-9 are Table 1 (32 GBd every 34.5 GHz, 0 dBm per subchannel, 80 km SSMF spans of 0.2 dB/km and
    16.7 ps/nm/km, EDFA NF 5.5 dB, 3.5th-order super-Gaussian superfilters, 193.1 THz); "N6", "N8",
    "N10" are the Table 4 set-ups. The transceiver floor starts at case 7's equidistant SNR (the
    calibration lowers the noise it stands for by the receiver's own ISI); the receivers are the
    paper's Rs/2 (16 GHz) low-pass filters, i.e. `receiver_roll_off=0`. Keyword arguments go to
    `Superchannel` (e.g. `transceiver_snr`, `isi_scale`).
    """
    if case not in LOCATELLI_CASES:
        raise ValueError(f"Unknown Locatelli case {case!r}; choose one of {list(LOCATELLI_CASES)}.")
    n, modulation, roll_off, n_spans, n_filters, bw_ghz = LOCATELLI_CASES[case]
    line = None
    if n_spans:
        fibre = Fibre.from_datasheet(80.0, attenuation_db_km=0.2, dispersion_ps_nm_km=16.7, gamma_per_w_km=1.3)
        line = GNLink.uniform(fibre, n_spans, amplifier=Edfa.from_db(5.5))
    filters = FilterCascade.evenly(bw_ghz * 1e9, n_filters, n_spans)
    kwargs = {"transceiver_snr": 10 ** (LOCATELLI_FLOOR_DB / 10), "roll_off": roll_off, "receiver_roll_off": 0.0, **kwargs}
    return Superchannel.equidistant(
        n, bw_ghz * 1e9, filters, line, spacing=34.5e9, power_dbm=0.0, modulation=modulation, **kwargs
    )


@functools.lru_cache(maxsize=8)
def _locatelli_calibration(kwargs: tuple) -> Calibration:
    floor = jnp.full(4, LOCATELLI_FLOOR_DB)
    return calibrate(
        locatelli_superchannel(1, **dict(kwargs)), jnp.asarray(LOCATELLI_CASE1_SNR_DB),
        fit=(PowerOffset(initial=-10.0), IsiScale(), FilterOffset(), TransceiverFloor()),
        anchors=((locatelli_superchannel(7, **dict(kwargs)), floor),),
    )


def calibrated_locatelli_superchannel(case: int | str = 1, **kwargs) -> tuple[Superchannel, Calibration]:
    """`locatelli_superchannel(case)` with the effective launch power, ISI scale, filter offset and
    transceiver floor fitted (Levenberg-Marquardt) to case 1's reported equidistant SNRs and to case
    7's equidistant mean (`LOCATELLI_FLOOR_DB`, back-to-back with a 200 GHz filter) at once, so the
    floor is what is left of case 7's SNR after the model's own ISI; returns the model and the
    `Calibration`. The power fit starts on the ASE-limited side (-10 dB). The fit is a pure function
    of the keyword arguments, so it runs once per process for each hashable set of them."""
    key = tuple(sorted(kwargs.items()))
    try:
        cal = _locatelli_calibration(key)
    except TypeError:  # unhashable keyword values (arrays): fit without the memo
        cal = _locatelli_calibration.__wrapped__(key)
    return apply_parameters(locatelli_superchannel(case, **kwargs), cal.parameters), cal


def raman_demo_scenario(n_channels: int = 40, n_spans: int = 20, power_dbm: float = 3.0) -> tuple[GNLink, Spectrum]:
    """The `make demo` link: C+L signals over 9.6 THz centred on 190.8 THz, `n_spans` x 100 km SSMF
    with the measured SSMF Raman gain table (`optnet.io.ssmf_raman_gain`), four backward pumps
    (201-209 THz, 120/90/70/40 mW: more power in the lower pumps, as usual for backward pumping)
    and a 5 dB EDFA restoring each channel after every span. The NLI is the
    numerical GN integral over the ODE profile, so gradients are exact end to end."""
    fibre = Fibre.from_datasheet(100.0, attenuation_db_km=0.19, dispersion_ps_nm_km=17.0, gamma_per_w_km=1.3,
                                 raman=ssmf_raman_gain())
    pumps = Pumps([201.0e12, 203.5e12, 206.0e12, 208.5e12], [0.12, 0.09, 0.07, 0.04])
    spacing = 9.6e12 / n_channels
    spectrum = Spectrum.uniform(n_channels, spacing, centre=190.8e12, symbol_rate=0.9 * spacing, power_dbm=power_dbm)
    span = RamanSpan(fibre, Pumps(), pumps, Edfa.from_db(5.0), n_z=33)
    return GNLink.uniform(span, n_spans, nli=NumericalGN(n_z=32, n_nu=24)), spectrum
