"""optnet: differentiable optical-network physics in JAX.

The public API is the physics, re-exported in `__init__.pyi` as `from ._fibre import Fibre as Fibre`.
It is loaded on first attribute access (SPEC 1, `lazy_loader`), so that `import optnet` and the
command line's `--help` do not import JAX; `EAGER_IMPORT=1` loads everything at once.
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
__version__ = "0.2.0"
