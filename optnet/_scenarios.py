"""Named scenarios used by the CLI, examples and benchmarks."""

from ._amplifier import Edfa
from ._fibre import Fibre
from ._raman import Pumps, RamanSpan
from ._raman_link import RamanLink
from ._spectrum import Spectrum
from ._units import per_m_to_db_per_km


def xlron_pump_scenario(n_channels: int = 90, n_spans: int = 47, power_dbm: float = 0.0) -> tuple[RamanLink, Spectrum]:
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
    return RamanLink(RamanSpan(fibre, Pumps(), pumps), n_spans, amplifier=Edfa.from_db(5.0)), spectrum
