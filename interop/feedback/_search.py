"""Reference and model-based optimisers: brute-force grid, optax on the model, digital twin."""

import dataclasses
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax

import optnet as on

from ._plant import ModelPlant, ProbeLog, Prober
from ._subgradient import MEAN_SNR, Objective, feasible, objective_from, shift


@dataclasses.dataclass
class GridResult:
    """Brute force: best and worst configuration on the grid (Hz, dB) and the points evaluated."""

    distances: np.ndarray
    snr_db: np.ndarray
    objective: float
    worst_objective: float
    n_points: int


MAX_GRID_POINTS = 200_000
"""Largest grid `brute_force` evaluates (5^7 = 78,125 points fit; 5^8 = 390,625 do not)."""


def brute_force(plant, centre, *, objective: "str | Objective" = MEAN_SNR, span: float = 2e9, step: float = 1e9,
                minimum=None) -> GridResult:
    """Exhaustive search: every subchannel centre moved by -span..+span in `step` (Hz) around D =
    `centre` (Locatelli et al. Sec. 4: +-2 GHz at 1 GHz, (1 + 4)^N points), infeasible points
    skipped. A noise-free `ModelPlant` is evaluated in one vmapped batch; any other plant is
    probed point by point."""
    objective = objective_from(objective)
    centre = np.asarray(centre, dtype=float)
    n = centre.shape[0] - 1
    if minimum is None:
        sc = getattr(plant, "superchannel", None)
        minimum = np.zeros(n + 1) if sc is None else np.asarray(sc.minimum_distances())
    if not (np.isfinite(step) and step > 0 and np.isfinite(span) and span >= 0):
        raise ValueError(f"`step` must be > 0 Hz and `span` >= 0 Hz; got step={step!r}, span={span!r}.")
    offsets = np.arange(-span, span + 0.5 * step, step)
    points = len(offsets) ** n
    if points > MAX_GRID_POINTS:
        raise ValueError(
            f"The grid has {len(offsets)}^{n} = {points:,} points (limit {MAX_GRID_POINTS:,}): use a coarser `step`, "
            "a smaller `span`, or the subgradient optimiser."
        )
    moves = np.array(list(itertools.product(offsets, repeat=n)))  # (P, N) centre shifts
    shifts = np.zeros((len(moves), n + 1))
    shifts[:, :n] += moves
    shifts[:, 1:] -= moves
    grid = centre[None, :] + shifts
    grid = grid[np.all(grid >= minimum[None, :] - 1.0, axis=1)]
    if isinstance(plant, ModelPlant) and plant.noise_db == 0:
        snr = np.asarray(jax.vmap(plant.superchannel.snr_db)(jnp.asarray(grid)))
    else:
        snr = np.stack([plant(g) for g in grid])
    values = np.array([objective.value(s) for s in snr])
    i = int(np.argmax(values))
    return GridResult(grid[i], snr[i], float(values[i]), float(values.min()), len(grid))


def _distances(theta, superchannel: on.Superchannel):
    # D = D_min + (BW - sum D_min) softmax(theta): Eqs. (4)-(5) hold by construction
    dmin = superchannel.minimum_distances()
    return dmin + (superchannel.bandwidth - jnp.sum(dmin)) * jax.nn.softmax(theta)


def _theta(distances, superchannel: on.Superchannel):
    slack = jnp.maximum(distances - superchannel.minimum_distances(), 1e-3)
    return jnp.log(slack / jnp.sum(slack))


@dataclasses.dataclass
class ModelOptimum:
    """Result of `optimise_model`: D (Hz), model SNRs (dB), objective (dB) and its trace."""

    distances: np.ndarray
    snr_db: np.ndarray
    objective: float
    trace: np.ndarray


def optimise_model(superchannel: on.Superchannel, objective: Objective = MEAN_SNR, *, start=None, steps: int = 300,
                   optimiser: optax.GradientTransformation | None = None) -> ModelOptimum:
    """Gradient ascent (optax) on the differentiable model of `objective` (`MEAN_SNR`: Obj#1;
    `MIN_SNR`: Obj#2 through a log-sum-exp soft minimum). D stays feasible by construction
    (softmax of the slack above the Eq. (5) minima). The default optimiser is Adam with a cosine
    decay from 0.05 over `steps`."""
    if not isinstance(objective, Objective) or objective.model is None:
        raise TypeError(f"`objective` must be an Objective with a `model` (MEAN_SNR, MIN_SNR); got {objective!r}.")
    # a decaying step settles on the kinks of a (soft) minimum that a constant Adam step circles
    optimiser = optax.adam(optax.cosine_decay_schedule(0.05, steps)) if optimiser is None else optimiser
    start = superchannel.distances if start is None else jnp.asarray(start)

    def model(theta):
        return objective.model(superchannel.snr_db(_distances(theta, superchannel)))

    result = on.maximise(model, _theta(start, superchannel), optimiser, steps=steps)
    theta, trace = result.value, result.history
    d = _distances(theta, superchannel)
    snr = np.asarray(superchannel.snr_db(d))
    value = objective.value(snr)
    return ModelOptimum(np.asarray(d), snr, value, np.asarray(trace))


def snap(distances, start, f_step: float) -> np.ndarray:
    """Round the subchannel centres of D to the laser grid: `start`'s centres + multiples of `f_step`."""
    d, s = np.asarray(distances, dtype=float), np.asarray(start, dtype=float)
    moves = np.round((np.cumsum(d)[:-1] - np.cumsum(s)[:-1]) / f_step) * f_step
    out = s.copy()
    out[:-1] += moves
    out[1:] -= moves
    return out


@dataclasses.dataclass
class TwinResult:
    """Digital-twin optimisation: the calibrated model, its optimum, and what the plant measured."""

    calibration: on.Calibration
    model: ModelOptimum
    distances: np.ndarray
    snr_db: np.ndarray
    objective: float
    start_objective: float
    n_probes: int
    log: ProbeLog


def digital_twin(plant, twin: on.Superchannel, start, *, objective: Objective = MEAN_SNR, f_step: float = 0.5e9,
                 fit: tuple[on.AbstractCalibrationParameter, ...] = (on.PowerOffset(), on.IsiScale(), on.FilterOffset()),
                 probe_shift: float = 2e9, log: ProbeLog | None = None, **optimise_kwargs) -> TwinResult:
    """Calibrate `twin` from a few plant probes, optimise it, apply its optimum once.

    Probes: the start, then each edge subchannel moved inwards by `probe_shift` Hz (they expose
    the filter/ISI slope); the twin's `fit` parameters are least-squares fitted to all readings,
    the model optimum is snapped to the `f_step` laser grid and monitored. The plant is left at the
    better of the start and that point (re-applied and read when that is the start).
    """
    if not isinstance(objective, Objective):
        raise TypeError(f"`objective` must be an Objective (MEAN_SNR, MIN_SNR); got {objective!r}.")
    objective_fn = objective
    start = np.asarray(start, dtype=float)
    n = start.shape[0] - 1
    prober = Prober(plant, log)
    points = [start]
    for k, sgn in ((0, 1.0), (n - 1, -1.0)):
        d = shift(start, k, sgn * probe_shift)
        if feasible(d, twin.minimum_distances()):
            points.append(d)
    readings = [prober.probe(d, iteration=0, kind="calibrate") for d in points]
    if readings[0] is None:
        raise RuntimeError("Every attempt to monitor the starting configuration failed; nothing was changed.")
    keep = [i for i, r in enumerate(readings) if r is not None]
    cal = on.calibrate(twin.with_distances(start), np.stack([readings[i] for i in keep]),
                       np.stack([points[i] for i in keep]), fit=fit)
    opt = optimise_model(cal.superchannel, objective, start=start, **optimise_kwargs)
    d = snap(opt.distances, start, f_step)
    s = prober.probe(d, iteration=1, kind="apply")
    h0 = objective_fn.value(readings[0])
    if s is None or objective_fn.value(s) < h0:
        # back to the start, verified by a reading (a probe re-applies its configuration)
        d, s = start, readings[0]
        prober.probe(d, iteration=2, kind="final")
    return TwinResult(cal, opt, d, s, objective_fn.value(s), h0, prober.log.n_probes, prober.log)
