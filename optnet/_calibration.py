"""Fit a superchannel model's few free parameters to monitored SNRs (digital-twin calibration)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float

from ._checks import as_float_array
from ._results import RESULTS
from ._superchannel import Superchannel

# name -> (initial value, apply(superchannel, value) -> superchannel); values are O(1) for conditioning
_PARAMETERS = {
    # common launch-power offset in dB (absorbs transmitter losses)
    "power": (0.0, lambda s, v: eqx.tree_at(lambda t: t.power, s, s.power * 10 ** (v / 10))),
    # ln of the ISI weight
    "isi_scale": (0.0, lambda s, v: eqx.tree_at(lambda t: t.isi_scale, s, s.isi_scale * jnp.exp(v))),
    # transceiver floor offset in dB
    "transceiver_snr": (0.0, lambda s, v: eqx.tree_at(lambda t: t.transceiver_snr, s, s.transceiver_snr * 10 ** (v / 10))),
    # common filter-centre shift in GHz (misalignment)
    "filter_offset": (0.0, lambda s, v: eqx.tree_at(lambda t: t.filters.offset, s, s.filters.offset + 1e9 * v)),
}


class Calibration(eqx.Module):
    """Result of `calibrate`.

    **Fields:**

    - `superchannel`: the model with the fitted parameters applied.
    - `parameters`: fitted values by name: `power` (dB offset), `isi_scale` (ln factor),
      `transceiver_snr` (dB offset), `filter_offset` (GHz).
    - `residual_db`: model minus measurement at the calibration points, dB, shape `(points, sub)`.
    - `result`: the `RESULTS` of the least-squares solve.
    """

    superchannel: Superchannel
    parameters: dict
    residual_db: Float[Array, "points sub"]
    result: RESULTS

    @property
    def rms_db(self) -> Float[Array, ""]:
        return jnp.sqrt(jnp.mean(self.residual_db**2))


def apply_parameters(superchannel: Superchannel, parameters: dict) -> Superchannel:
    """`superchannel` with calibration `parameters` (as in `Calibration.parameters`) applied."""
    for name, value in parameters.items():
        superchannel = _PARAMETERS[name][1](superchannel, value)
    return superchannel


def calibrate(
    superchannel: Superchannel,
    measured_snr_db: ArrayLike,
    distances: ArrayLike | None = None,
    *,
    fit: tuple[str, ...] = ("power", "isi_scale", "filter_offset"),
    initial: dict | None = None,
    solver: optx.AbstractLeastSquaresSolver = optx.LevenbergMarquardt(rtol=1e-8, atol=1e-8),
    max_steps: int = 200,
    throw: bool = True,
) -> Calibration:
    """Fit `fit` parameters so the model's SNRs (dB) match `measured_snr_db` in least squares.

    **Arguments:**

    - `superchannel`: the model; its other parameters stay fixed.
    - `measured_snr_db`: monitored SNRs, dB, shape `(sub,)` or `(points, sub)`.
    - `distances`: the D (Hz) of each measurement, shape `(gaps,)` or `(points, gaps)`;
      default the model's own `distances`.
    - `fit`: names from `power`, `isi_scale`, `transceiver_snr`, `filter_offset`. With only an
      equidistant measurement, fit at most as many parameters as the data can separate.
    - `initial`: starting values by name (default 0 for each: the model as given). The SNR is not
      monotonic in launch power, so a `power` fit has two roots (ASE- or NLI-limited); start on
      the side you believe.
    - `solver`: an optimistix least-squares solver (default Levenberg-Marquardt).

    **Returns:** a `Calibration`.
    """
    unknown = [f for f in fit if f not in _PARAMETERS]
    if unknown or not fit:
        raise ValueError(f"`fit` must name some of {sorted(_PARAMETERS)}; got {fit!r}.")
    measured = jnp.atleast_2d(as_float_array(measured_snr_db))
    d = superchannel.distances if distances is None else as_float_array(distances)
    d = jnp.broadcast_to(jnp.atleast_2d(d), (measured.shape[0], superchannel.n_subchannels + 1))
    if measured.shape[-1] != superchannel.n_subchannels:
        raise ValueError(
            f"`measured_snr_db` has {measured.shape[-1]} values per point; the superchannel has "
            f"{superchannel.n_subchannels} subchannels."
        )
    measured = eqx.error_if(measured, jnp.any(~jnp.isfinite(measured)), "`measured_snr_db` holds NaN or inf.")

    def residual(theta, args):
        sc = apply_parameters(superchannel, theta)
        return jax.vmap(sc.snr_db)(d) - measured

    initial = {} if initial is None else initial
    y0 = {name: jnp.asarray(initial.get(name, _PARAMETERS[name][0]), measured.dtype) for name in fit}
    sol = optx.least_squares(residual, solver, y0, max_steps=max_steps, throw=throw)
    fitted = apply_parameters(superchannel, sol.value)
    return Calibration(fitted, sol.value, residual(sol.value, None), RESULTS.promote(sol.result))
