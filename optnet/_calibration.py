"""Fit a superchannel model's few free parameters to monitored SNRs (digital-twin calibration)."""

import abc
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float

from ._checks import as_float_array
from ._results import RESULTS
from ._superchannel import Superchannel

class AbstractCalibrationParameter(eqx.Module):
    """A model parameter `calibrate` can fit, as an O(1) value (for conditioning) applied to a
    `Superchannel`; `initial` is where the fit starts (0: the model as given)."""

    initial: eqx.AbstractVar[float]
    name: eqx.AbstractClassVar[str]

    @abc.abstractmethod
    def apply(self, superchannel: Superchannel, value) -> Superchannel:
        """`superchannel` with this parameter set to `value`."""


class PowerOffset(AbstractCalibrationParameter):
    """Common launch-power offset, dB (absorbs transmitter losses). The SNR is not monotonic in
    launch power, so a power fit has two roots (ASE- or NLI-limited): start it on the side you
    believe with `initial`."""

    initial: float = 0.0
    name: ClassVar[str] = "power"

    def apply(self, superchannel, value):
        return eqx.tree_at(lambda t: t.power, superchannel, superchannel.power * 10 ** (value / 10))


class IsiScale(AbstractCalibrationParameter):
    """Natural log of a factor on the ISI weight."""

    initial: float = 0.0
    name: ClassVar[str] = "isi_scale"

    def apply(self, superchannel, value):
        return eqx.tree_at(lambda t: t.isi_scale, superchannel, superchannel.isi_scale * jnp.exp(value))


class TransceiverFloor(AbstractCalibrationParameter):
    """Offset of the transceiver SNR floor, dB."""

    initial: float = 0.0
    name: ClassVar[str] = "transceiver_snr"

    def apply(self, superchannel, value):
        return eqx.tree_at(lambda t: t.transceiver_snr, superchannel, superchannel.transceiver_snr * 10 ** (value / 10))


class FilterOffset(AbstractCalibrationParameter):
    """Common shift of the filter centres, GHz (misalignment)."""

    initial: float = 0.0
    name: ClassVar[str] = "filter_offset"

    def apply(self, superchannel, value):
        return eqx.tree_at(lambda t: t.filters.offset, superchannel, superchannel.filters.offset + 1e9 * value)


_PARAMETERS = {cls.name: cls() for cls in (PowerOffset, IsiScale, TransceiverFloor, FilterOffset)}


class Calibration(eqx.Module):
    """Result of `calibrate`.

    **Fields:**

    - `superchannel`: the model with the fitted parameters applied.
    - `parameters`: fitted values by name: `power` (dB offset), `isi_scale` (ln factor),
      `transceiver_snr` (dB offset), `filter_offset` (GHz).
    - `residual_db`: model minus measurement at the calibration points, dB, shape `(points, sub)`.
    - `anchor_residual_db`: the same for each of `calibrate`'s `anchors`, dB.
    - `result`: the `RESULTS` of the least-squares solve.
    """

    superchannel: Superchannel
    parameters: dict
    residual_db: Float[Array, "points sub"]
    anchor_residual_db: tuple[Array, ...]
    result: RESULTS

    @property
    def rms_db(self) -> Float[Array, ""]:
        return jnp.sqrt(jnp.mean(self.residual_db**2))


def apply_parameters(superchannel: Superchannel, parameters: dict) -> Superchannel:
    """`superchannel` with calibration `parameters` (as in `Calibration.parameters`) applied."""
    for name, value in parameters.items():
        superchannel = _PARAMETERS[name].apply(superchannel, value)
    return superchannel


def calibrate(
    superchannel: Superchannel,
    measured_snr_db: ArrayLike,
    distances: ArrayLike | None = None,
    *,
    fit: tuple[AbstractCalibrationParameter, ...] = (PowerOffset(), IsiScale(), FilterOffset()),
    solver: optx.AbstractLeastSquaresSolver = optx.LevenbergMarquardt(rtol=1e-8, atol=1e-8),
    max_steps: int = 200,
    throw: bool = True,
    anchors: tuple[tuple[Superchannel, ArrayLike], ...] = (),
) -> Calibration:
    """Fit `fit` parameters so the model's SNRs (dB) match `measured_snr_db` in least squares.

    **Arguments:**

    - `superchannel`: the model; its other parameters stay fixed.
    - `measured_snr_db`: monitored SNRs, dB, shape `(sub,)` or `(points, sub)`.
    - `distances`: the D (Hz) of each measurement, shape `(gaps,)` or `(points, gaps)`;
      default the model's own `distances`.
    - `fit`: the parameters to fit, each with its starting value: `PowerOffset`, `IsiScale`,
      `TransceiverFloor`, `FilterOffset`. With only an equidistant measurement, fit at most as
      many parameters as the data can separate.
    - `solver`: an optimistix least-squares solver (default Levenberg-Marquardt).
    - `anchors`: other set-ups sharing the fitted parameters, as `(superchannel, measured_snr_db)`
      pairs measured at each one's own `distances`; their residuals join the fit. A back-to-back
      measurement pins the transceiver floor (`TransceiverFloor`) that way.

    **Returns:** a `Calibration`.
    """
    if not fit or not all(isinstance(f, AbstractCalibrationParameter) for f in fit):
        raise TypeError(
            "`fit` must be a non-empty tuple of calibration parameters (PowerOffset(), IsiScale(), "
            f"TransceiverFloor(), FilterOffset()); got {fit!r}."
        )
    if len({f.name for f in fit}) != len(fit):
        raise ValueError(f"`fit` names a parameter twice: {[f.name for f in fit]}.")
    measured = jnp.atleast_2d(as_float_array(measured_snr_db))
    d = superchannel.distances if distances is None else as_float_array(distances)
    d = jnp.broadcast_to(jnp.atleast_2d(d), (measured.shape[0], superchannel.n_subchannels + 1))
    if measured.shape[-1] != superchannel.n_subchannels:
        raise ValueError(
            f"`measured_snr_db` has {measured.shape[-1]} values per point; the superchannel has "
            f"{superchannel.n_subchannels} subchannels."
        )
    measured = eqx.error_if(measured, jnp.any(~jnp.isfinite(measured)), "`measured_snr_db` holds NaN or inf.")

    anchored = []
    for k, (sc, snr) in enumerate(anchors):
        if not isinstance(sc, Superchannel):
            raise TypeError(f"`anchors[{k}]` must be a (Superchannel, measured_snr_db) pair; got {type(sc).__name__}.")
        snr = as_float_array(snr)
        if snr.shape != (sc.n_subchannels,):
            raise ValueError(f"`anchors[{k}]` has {snr.shape} SNRs for a superchannel of {sc.n_subchannels} subchannels.")
        anchored.append((sc, eqx.error_if(snr, jnp.any(~jnp.isfinite(snr)), f"`anchors[{k}]` holds NaN or inf.")))

    def residuals(theta):
        sc = apply_parameters(superchannel, theta)
        main = jax.vmap(sc.snr_db)(d) - measured
        return main, tuple(apply_parameters(a, theta).snr_db() - snr for a, snr in anchored)

    def residual(theta, args):
        return residuals(theta)

    y0 = {f.name: jnp.asarray(f.initial, measured.dtype) for f in fit}
    sol = optx.least_squares(residual, solver, y0, max_steps=max_steps, throw=throw)
    fitted = apply_parameters(superchannel, sol.value)
    main, extra = residuals(sol.value)
    return Calibration(fitted, sol.value, main, extra, RESULTS.promote(sol.result))
