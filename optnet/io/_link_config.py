"""Links described in JSON (datasheet units at this edge), validated by a pydantic schema."""

import importlib.resources
import json
import pathlib
from typing import Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

# the schema imports no JAX (the command line validates files before loading the physics); the
# format names are `optnet.EXCESS_KURTOSIS`'s keys (a test checks that they agree)
MODULATIONS = ("BPSK", "QPSK", "8QAM", "16QAM", "32QAM", "64QAM", "256QAM", "Gaussian")


class _Strict(BaseModel):
    # unknown keys are errors: a misspelt key must not silently fall back to a default
    model_config = ConfigDict(extra="forbid", strict=False, validate_default=True)


class FibreConfig(_Strict):
    """One span of fibre, in datasheet units."""

    length_km: float = Field(100.0, gt=0, le=20000, description="span length [km]")
    attenuation_db_km: float = Field(0.2, gt=0, le=10, description="attenuation [dB/km]")
    dispersion_ps_nm_km: float = Field(17.0, ge=-100, le=100, description="chromatic dispersion D [ps/nm/km]")
    slope_ps_nm2_km: float = Field(0.067, ge=-1, le=1, description="dispersion slope S [ps/nm^2/km]")
    gamma_per_w_km: float = Field(1.2, ge=0, le=100, description="nonlinear coefficient [1/W/km]")
    raman_slope_per_w_km_thz: float = Field(0.028, ge=0, le=1, description="triangular Raman gain slope C_r [1/W/km/THz]")
    raman_cutoff_thz: float = Field(15.0, gt=0, le=50, description="Raman gain cutoff shift [THz]")
    ref_wavelength_nm: float = Field(1550.0, ge=1000, le=2000, description="where D and S are given [nm]")


class SpectrumConfig(_Strict):
    """A fixed grid of identical channels."""

    n_channels: int = Field(gt=0, le=10000, description="number of channels")
    spacing_ghz: float = Field(gt=0, le=10000, description="channel spacing [GHz]")
    centre_thz: float = Field(193.5, ge=150, le=250, description="grid centre [THz]")
    symbol_rate_gbd: float | None = Field(None, gt=0, description="symbol rate [GBd] (default spacing/(1+roll_off))")
    power_dbm: float = Field(0.0, ge=-60, le=40, description="launch power per channel [dBm]")
    roll_off: float = Field(0.0, ge=0, le=1, description="raised-cosine roll-off")
    modulation: Literal[MODULATIONS] = Field("Gaussian", description="constellation (sets the excess kurtosis)")


class RoadmConfig(_Strict):
    """ROADM passes of the lightpath."""

    add_drop_loss_db: float = Field(18.0, ge=0, le=60, description="add or drop loss [dB]")
    express_loss_db: float = Field(18.0, ge=0, le=60, description="express loss [dB]")
    noise_figure_db: float = Field(6.0, ge=0, le=30, description="NF of the amplifiers restoring each loss [dB]")
    n_express: int = Field(0, ge=0, description="express passes")


class LinkConfig(_Strict):
    """A link of identical spans with EDFAs: the `optnet gsnr --config` file format."""

    description: str = Field("link", description="shown in tables and plot titles")
    fibre: FibreConfig = Field(default_factory=FibreConfig)
    n_spans: int = Field(1, ge=1, le=10000, description="number of spans")
    edfa_nf_db: float = Field(5.0, ge=0, le=30, description="EDFA noise figure [dB]")
    spectrum: SpectrumConfig
    transceiver_snr_db: float | None = Field(None, gt=0, le=60, description="back-to-back SNR [dB]")
    roadm: RoadmConfig | None = None
    nli: Literal["closed_form", "numerical"] = Field("closed_form", description="NLI model")

    def build(self):
        """The `GNLink` and `Spectrum` this configuration describes."""
        from .. import ClosedFormGN, Edfa, Fibre, GNLink, NumericalGN, Roadm, Spectrum, Transceiver

        fibre = Fibre.from_datasheet(**self.fibre.model_dump())
        sp = self.spectrum
        spectrum = Spectrum.uniform(
            sp.n_channels,
            sp.spacing_ghz * 1e9,
            centre=sp.centre_thz * 1e12,
            symbol_rate=None if sp.symbol_rate_gbd is None else sp.symbol_rate_gbd * 1e9,
            power_dbm=sp.power_dbm,
            roll_off=sp.roll_off,
            modulation=sp.modulation,
        )
        nli = {"closed_form": ClosedFormGN, "numerical": NumericalGN}[self.nli]()
        link = GNLink.uniform(
            fibre,
            self.n_spans,
            amplifier=Edfa.from_db(self.edfa_nf_db),
            nli=nli,
            transceiver=None if self.transceiver_snr_db is None else Transceiver.from_db(self.transceiver_snr_db),
            roadm=None if self.roadm is None else Roadm.from_db(**self.roadm.model_dump()),
        )
        return link, spectrum


class ConfigError(ValueError):
    """A configuration file that does not match its schema; the message names every offending key."""


def _format(e: pydantic.ValidationError, source: str) -> str:
    lines = []
    for err in e.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = {"extra_forbidden": "unknown key", "missing": "missing key"}.get(err["type"], err["msg"])
        lines.append(f"`{path}`: {msg}")
    return f"{source}: " + "; ".join(lines)


def load_link_config(config: "dict | str | pathlib.Path") -> LinkConfig:
    """A validated `LinkConfig` from a dict or a JSON file; raises `ConfigError` naming each bad key path."""
    source = "link configuration"
    if not isinstance(config, dict):
        source = str(config)
        try:
            config = json.loads(pathlib.Path(config).read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"{source}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}).") from None
        except OSError as e:
            raise ConfigError(f"{source}: cannot read it ({e.strerror}).") from None
    try:
        return LinkConfig.model_validate(config)
    except pydantic.ValidationError as e:
        raise ConfigError(_format(e, source)) from None


def default_link_config() -> dict:
    """The embedded demo link (C-band 80 ch, 10 x 100 km SSMF), as a dict."""
    text = importlib.resources.files("optnet").joinpath("data/default_link.json").read_text()
    return json.loads(text)


def link_from_config(config: "dict | str | pathlib.Path"):
    """(GNLink, Spectrum) from a dict or JSON file in the `LinkConfig` format (datasheet units:
    km, dB/km, ps/nm/km, 1/W/km, GHz, THz, dBm); see `optnet/data/default_link.json`."""
    return load_link_config(config).build()


def link_config_schema() -> dict:
    """The JSON schema of the link configuration file."""
    return LinkConfig.model_json_schema()
