"""Paper presets built from the physics API (imported by the CLI, examples and benchmarks; never by
the physics modules)."""

from ._presets import (
    LOCATELLI_CASE1_SNR_DB as LOCATELLI_CASE1_SNR_DB,
    LOCATELLI_CASES as LOCATELLI_CASES,
    LOCATELLI_FLOOR_DB as LOCATELLI_FLOOR_DB,
    calibrated_locatelli_superchannel as calibrated_locatelli_superchannel,
    locatelli_superchannel as locatelli_superchannel,
    raman_demo_scenario as raman_demo_scenario,
    xlron_pump_scenario as xlron_pump_scenario,
)
