from .base import AbstractNLIModel as AbstractNLIModel, SpanNLI as SpanNLI
from .base import coherence_factor as coherence_factor
from .closed_form import ClosedFormGN as ClosedFormGN
from .incoherent import IncoherentGN as IncoherentGN
from .mode_sum import ModeSumGN as ModeSumGN
from .numerical import NumericalGN as NumericalGN, link_function as link_function
