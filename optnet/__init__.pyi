"""The public physics API of optnet (the `from ._x import Foo as Foo` re-exports; loaded lazily by
`__init__.py`, read as is by type checkers)."""

from ._amplifier import (
    AbstractGainControl as AbstractGainControl,
    ConstantPower as ConstantPower,
    ConstantPsd as ConstantPsd,
    Edfa as Edfa,
    FixedGain as FixedGain,
    RestoreLoss as RestoreLoss,
    Roadm as Roadm,
    Transceiver as Transceiver,
    ase_power as ase_power,
)
from ._ansatz import ansatz as ansatz, fit_ansatz as fit_ansatz
from ._fibre import Fibre as Fibre, stack_spans as stack_spans
from ._gain_tilt import DynamicGainTilt as DynamicGainTilt
from ._isrs import (
    effective_length as effective_length,
    isrs_profile as isrs_profile,
    isrs_rate as isrs_rate,
    isrs_tilt_db as isrs_tilt_db,
)
from ._link import GNLink as GNLink, LinkResult as LinkResult
from ._nli import (
    AbstractNLIModel as AbstractNLIModel,
    ClosedFormGN as ClosedFormGN,
    IncoherentGN as IncoherentGN,
    NumericalGN as NumericalGN,
    ModeSumGN as ModeSumGN,
    SpanNLI as SpanNLI,
    link_function as link_function,
)
from ._pump_optimisation import (
    PumpOptimisation as PumpOptimisation,
    optimise_pumps as optimise_pumps,
    random_pump_search as random_pump_search,
    total_throughput_tbps as total_throughput_tbps,
)
from ._raman import (
    Pumps as Pumps,
    RamanProfile as RamanProfile,
    RamanSpan as RamanSpan,
    hybrid_noise_figure as hybrid_noise_figure,
)
from ._raman_bvp import (
    AbstractBVPSolver as AbstractBVPSolver,
    NewtonBVP as NewtonBVP,
    TNCBVP as TNCBVP,
    relaxation_guess as relaxation_guess,
)
from ._results import RESULTS as RESULTS
from ._profile import (
    AbstractProfile as AbstractProfile,
    AnsatzProfile as AnsatzProfile,
    IsrsProfile as IsrsProfile,
    SampledProfile as SampledProfile,
)
from ._span import AbstractSpan as AbstractSpan, FibreSpan as FibreSpan, SpanOutput as SpanOutput
from ._superchannel import (
    FilterCascade as FilterCascade,
    Superchannel as Superchannel,
    SuperchannelBudget as SuperchannelBudget,
    mean_snr_db as mean_snr_db,
    min_snr_db as min_snr_db,
    soft_min_snr_db as soft_min_snr_db,
)
from ._optimise import Maximisation as Maximisation, maximise as maximise
from ._calibration import (
    AbstractCalibrationParameter as AbstractCalibrationParameter,
    Calibration as Calibration,
    FilterOffset as FilterOffset,
    IsiScale as IsiScale,
    PowerOffset as PowerOffset,
    TransceiverFloor as TransceiverFloor,
    apply_parameters as apply_parameters,
    calibrate as calibrate,
)
from ._raman_gain import (
    AbstractRamanGain as AbstractRamanGain,
    MeasuredRamanGain as MeasuredRamanGain,
    RamanCouplingMatrix as RamanCouplingMatrix,
    TabulatedRamanGain as TabulatedRamanGain,
    TriangularRamanGain as TriangularRamanGain,
    raman_coupling as raman_coupling,
)
from ._spectrum import EXCESS_KURTOSIS as EXCESS_KURTOSIS, Spectrum as Spectrum, raised_cosine_spectrum as raised_cosine_spectrum
from ._throughput import (
    STANDARD_FORMATS as STANDARD_FORMATS,
    ModulationFormat as ModulationFormat,
    format_throughput as format_throughput,
    required_snr as required_snr,
    shannon_throughput as shannon_throughput,
)
from ._units import (
    BOLTZMANN as BOLTZMANN,
    PLANCK as PLANCK,
    SPEED_OF_LIGHT as SPEED_OF_LIGHT,
    db_per_km_to_per_m as db_per_km_to_per_m,
    db_to_linear as db_to_linear,
    dbm_to_watt as dbm_to_watt,
    dispersion_to_beta as dispersion_to_beta,
    linear_to_db as linear_to_db,
    per_m_to_db_per_km as per_m_to_db_per_km,
    watt_to_dbm as watt_to_dbm,
    wavelength_to_frequency as wavelength_to_frequency,
)

__version__: str
from ._grid import SlotGrid as SlotGrid
from ._lightpaths import Lightpaths as Lightpaths
from ._network import Network as Network, NetworkResult as NetworkResult
from ._topology import Topology as Topology
from ._routing import (
    ModulationTable as ModulationTable,
    PathTable as PathTable,
    first_fit as first_fit,
    free_blocks as free_blocks,
    k_shortest_paths as k_shortest_paths,
    slots_needed as slots_needed,
)
from ._traffic import (
    Allocation as Allocation,
    Requests as Requests,
    incremental_requests as incremental_requests,
    ksp_first_fit as ksp_first_fit,
    poisson_requests as poisson_requests,
)
from ._random import random_bits as random_bits, split_key as split_key
from ._sweep import sweep as sweep
from ._qot_rmsa import QotAllocation as QotAllocation, qot_first_fit as qot_first_fit
from ._direct_rsa import DirectRsaResult as DirectRsaResult, RsaProblem as RsaProblem, direct_rsa as direct_rsa, first_fit_logits as first_fit_logits, accepted_requests as accepted_requests
