"""The stochastic subgradient method with finite-difference monitoring probes (Locatelli et al.)."""

import dataclasses
import math
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

import optnet as on

from ._plant import PlantUnresponsive, ProbeLog, Prober


@dataclasses.dataclass(frozen=True)
class Objective:
    """What the optimisers maximise, as a function of the per-subchannel SNRs (dB).

    - `value`: the objective reported and kept (dB).
    - `direction`: `direction(snr_db, temperature)`, a smooth surrogate whose finite differences
      steer the moves (default: `value`); it helps where `value` has ties and kinks (the min).
    - `temperatures`: the surrogate's smoothing stages, dB, from wide to narrow: the feedback
      optimiser moves to the next stage each time it stalls, and stops when it stalls on the last.
    - `model`: a differentiable JAX version for gradient ascent on a model (`optimise_model`).
    """

    name: str
    value: Callable[[np.ndarray], float]
    direction: Callable[[np.ndarray, float], float] | None = None
    model: Callable | None = None
    temperatures: tuple[float, ...] = (0.0,)

    def steer(self, snr_db, stage: int = 0) -> float:
        if self.direction is None:
            return float(self.value(snr_db))
        return float(self.direction(snr_db, self.temperatures[stage]))


def _soft_min(snr_db, temperature):
    # log-sum-exp soft minimum, -T ln sum exp(-s/T): within T ln N below the minimum
    s = np.asarray(snr_db)
    m = s.min()
    return float(m - temperature * np.log(np.sum(np.exp(-(s - m) / temperature))))


# Locatelli et al. Eq. (2) and Eq. (3).
MEAN_SNR = Objective("mean SNR", lambda s: float(np.mean(s)), model=lambda s: jnp.mean(s))
# Obj#2 steers on a soft minimum annealed from 0.2 to 0.02 dB (smoothing of a max-min objective,
# Nesterov, Math. Program. 103, 2005): the wide stage gives the subchannels next to the worst one a
# difference, so centres that must shift together do; the model optimiser uses 0.02 dB.
MIN_SNR = Objective("min SNR", lambda s: float(np.min(s)), _soft_min, model=lambda s: on.soft_min_snr_db(s, 0.02),
                    temperatures=(0.2, 0.02))


def objective_from(name: "str | Objective") -> Objective:
    if isinstance(name, Objective):
        return name
    table = {"mean": MEAN_SNR, "obj1": MEAN_SNR, "min": MIN_SNR, "obj2": MIN_SNR}
    if name not in table:
        raise ValueError(f"Unknown objective {name!r}; use 'mean', 'min' or an Objective.")
    return table[name]


def shift(distances, n: int, step: float) -> np.ndarray:
    """D with subchannel n's centre moved by `step` Hz: d_n += step, d_{n+1} -= step (Eq. (6))."""
    d = np.array(distances, dtype=float)
    d[n] += step
    d[n + 1] -= step
    return d


def feasible(distances, minimum) -> bool:
    """Eq. (5): every d_n at or above its minimum (the sum, Eq. (4), is kept by `shift`)."""
    return bool(np.all(np.asarray(distances) >= np.asarray(minimum) - 1.0))


@dataclasses.dataclass
class FeedbackResult:
    """Outcome of a feedback optimisation.

    - `distances`, `snr_db`, `objective`: the best configuration found (Hz), its readings (dB,
      averaged over every reading of it) and objective (dB); this is what the plant is left at.
    - `final_snr_db`: the reading taken after re-applying the best point on return (dB), and
      `verified`: whether it agrees with `snr_db` within `verify_tolerance` on every subchannel.
    - `start_distances`, `start_snr_db`, `start_objective`: the starting point.
    - `history`: the highest best-point estimate reached by each iteration (dB; never falls: under
      monitoring noise re-readings may revise the best point's estimate, and `objective`, down);
      `current`: objective of the iterate; `trajectory`: the best D (Hz) after each iteration.
    - `n_iterations`, `n_probes` (monitoring readings taken, each a monitoring period on a live
      plant), `n_failed` (failed attempts), `waited` (s spent waiting for abandoned calls).
    - `stop`: why it stopped; `log`: every probe attempt.
    """

    distances: np.ndarray
    snr_db: np.ndarray
    objective: float
    final_snr_db: np.ndarray | None
    verified: bool
    start_distances: np.ndarray
    start_snr_db: np.ndarray
    start_objective: float
    history: list[float]
    current: list[float]
    trajectory: list[np.ndarray]
    n_iterations: int
    n_probes: int
    n_failed: int
    waited: float
    stop: str
    log: ProbeLog

    @property
    def gain(self) -> float:
        return self.objective - self.start_objective


@dataclasses.dataclass(frozen=True)
class StochasticSubgradient:
    """Stochastic subgradient ascent with monitoring probes (Locatelli et al., JOCN 2022, Sec. 3).

    Each iteration draws M subchannels, probes each moved by `probe_step` (one-sided difference,
    Eq. (6); backwards if forwards is infeasible), moves each probed subchannel one laser-grid step
    `f_step` along its difference and monitors the new point. If that joint move lowers the
    objective, it steps to the best single probe that raised it (already monitored), else restarts
    from the best point seen. Readings of a configuration seen again are averaged, and the best
    point is chosen on those averages (monitoring noise).

    It stops when the best improved by less than `tolerance` over the last `patience` iterations
    on the objective's last smoothing stage, or after `max_iterations`. On return the best point is
    re-applied and verified by a reading.

    **Fields:**

    - `objective`: `MEAN_SNR` (Obj#1), `MIN_SNR` (Obj#2) or any `Objective`.
    - `f_step`: move step, Hz (the laser grid: 0.25, 0.5 or 1 GHz in the paper).
    - `probe_step`: probe step, Hz, a multiple of `f_step` (default `f_step`). A larger probe than
      move lifts the finite difference above monitoring noise while keeping the fine grid.
    - `readings`: monitoring readings averaged per probe (noise; each costs a monitoring period).
    - `minibatch`: M subchannels per iteration.
    - `tolerance`: dB. `patience`: iterations; None scales it with the number of subchannels N as
      max(10, ceil(2.5 N)): the worst subchannel of a min objective is freed only by a chain of
      moves across its neighbours. `max_iterations`.
    - `deadband`: |difference| in dB below which a subchannel does not move (noise guard).
    - `seed`: the minibatch draws.
    - `restart`: restart from the best point (re-monitoring it) when the objective falls.
    - `confirm`: at the end, re-monitor the three leading configurations this many times each and
      keep the best average (for noisy monitoring; 0 = off).
    - `retries`, `timeout`, `max_wait`, `valid_range`: fault handling of each probe (see `Prober`).
    - `verify_tolerance`: dB, for `FeedbackResult.verified`.

    ??? cite "References"
        F. Locatelli et al., "Feedback-based channel frequency optimization in superchannels",
        JOCN 2022, Eqs. (4)-(8); N. Z. Shor, *Nondifferentiable Optimization and Polynomial
        Problems*, Springer 1998.
    """

    objective: Objective = MEAN_SNR
    f_step: float = 0.25e9
    probe_step: float | None = None
    readings: int = 1
    minibatch: int = 2
    tolerance: float = 0.01
    patience: int | None = None
    max_iterations: int = 100
    deadband: float = 0.0
    seed: int = 0
    restart: bool = True
    confirm: int = 0
    retries: int = 2
    timeout: float | None = None
    max_wait: float = 60.0
    valid_range: tuple[float, float] = (-20.0, 60.0)
    verify_tolerance: float = 0.5

    def settings(self, start) -> dict:
        """What a probe log is tied to: every field (the objective by name) and the start (Hz)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["objective"] = self.objective.name
        out["valid_range"] = list(self.valid_range)
        out["start"] = np.asarray(start, dtype=float).tolist()
        return out

    def _check(self, d, n, minimum):
        if not (np.isfinite(self.f_step) and self.f_step > 0):
            raise ValueError(f"`f_step` must be a finite step > 0 Hz (0.25 GHz is 0.25e9); got {self.f_step!r}.")
        if self.probe_step is not None:
            ratio = self.probe_step / self.f_step if np.isfinite(self.probe_step) else np.nan
            if not (ratio >= 1 and abs(ratio - round(ratio)) < 1e-9):
                raise ValueError(
                    f"`probe_step` must be a whole multiple (>= 1) of `f_step` ({self.f_step:g} Hz), so probes stay "
                    f"on the laser grid; got {self.probe_step!r}."
                )
        if not (np.isfinite(self.tolerance) and self.tolerance >= 0):
            raise ValueError(f"`tolerance` must be finite and >= 0 dB; got {self.tolerance!r}.")
        if self.max_iterations < 1 or (self.patience is not None and self.patience < 1) or self.retries < 0:
            raise ValueError("`max_iterations` and `patience` must be >= 1 and `retries` >= 0.")
        if self.readings < 1:
            raise ValueError(f"`readings` must be >= 1 per probe; got {self.readings}.")
        if not np.all(np.isfinite(d)):
            raise ValueError("`start` contains NaN or inf; give finite distances in Hz.")
        if not feasible(d, minimum):
            raise ValueError("The start violates the minimum distances (Eq. (5)).")
        if not 1 <= self.minibatch <= n:
            raise ValueError(f"`minibatch` must be in [1, {n}]; got {self.minibatch}.")

    def run(self, plant, start, *, minimum=None, log: ProbeLog | None = None,
            callback: Callable[[int, float, float], None] | None = None) -> FeedbackResult:
        """Optimise `plant` from D = `start` (Hz).

        **Arguments:**

        - `plant`: callable D -> SNRs (dB) with `apply(D)` (`ModelPlant`, `CallbackPlant`).
        - `start`: starting D, Hz, shape (N+1,).
        - `minimum`: lower bounds of D (Eq. (5)), Hz; default from the plant's superchannel, else 0.
        - `log`: a `ProbeLog`; records in it are replayed first (resume after an interruption).
        - `callback`: called as `callback(iteration, best, current)` after every iteration.

        On return the plant is at the best configuration, verified by a reading, and no call to
        it is outstanding. On an exception it is re-set to the best point first, except after
        `PlantUnresponsive` (which carries the best point).
        """
        d = np.asarray(start, dtype=float)
        n = d.shape[0] - 1
        if minimum is None:
            sc = getattr(plant, "superchannel", None)
            minimum = np.zeros(n + 1) if sc is None else np.asarray(sc.minimum_distances())
        minimum = np.asarray(minimum, dtype=float)
        self._check(d, n, minimum)
        log = ProbeLog() if log is None else log
        log.bind(self.settings(d))
        prober = Prober(plant, log, retries=self.retries, timeout=self.timeout, max_wait=self.max_wait,
                        valid_range=self.valid_range)
        rng = np.random.default_rng(self.seed)
        obj, step = self.objective, self.f_step
        probe_step = step if self.probe_step is None else self.probe_step
        patience = max(10, math.ceil(2.5 * n)) if self.patience is None else self.patience
        # every reading is averaged into its configuration's estimate (configurations lie on the
        # laser grid, so revisits are exact): under monitoring noise this undoes the winner's curse
        stats: dict[tuple, list] = {}  # configuration -> [D, sum of readings, count]

        def measure(d, it, kind):
            total, count = 0.0, 0
            for _ in range(self.readings):
                r = prober.probe(d, iteration=it, kind=kind)
                if r is not None:
                    total, count = total + r, count + 1
            if count == 0:
                return None
            acc = stats.setdefault(tuple(np.round(d / (step / 8)).astype(int)), [d, 0.0, 0])
            acc[1] = acc[1] + total
            acc[2] += count
            return acc[1] / acc[2]

        def best_by(f):
            d, total, count = max(stats.values(), key=lambda a: f(a[1] / a[2]))
            return d, total / count, f(total / count)

        s0 = measure(d, 0, "start")
        if s0 is None:
            reasons = "; ".join(f"attempt {k + 1}: {e}" for k, e in enumerate(prober.last_errors))
            raise RuntimeError(
                f"Every attempt to monitor the starting configuration failed ({reasons}); nothing was changed."
            )
        stage = 0

        def steer(s):
            return obj.steer(s, stage)

        # the iterate follows the steering surrogate; `best` is the best true objective seen
        best = (d, s0, obj.value(s0))
        cur = (d, s0, steer(s0))
        history, current, trajectory = [best[2]], [best[2]], [best[0]]
        stop, it, since = "max_iterations", 0, 0  # `since`: iterations on this smoothing stage
        try:
            for it in range(1, self.max_iterations + 1):
                d, s, _ = cur
                h = steer(s)
                batch = [int(k) for k in rng.choice(n, size=self.minibatch, replace=False)]
                diff, probed = {}, {}
                for k in batch:
                    sign = 1.0
                    dp = shift(d, k, probe_step)
                    if not feasible(dp, minimum):
                        sign, dp = -1.0, shift(d, k, -probe_step)
                        if not feasible(dp, minimum):
                            continue
                    sp = measure(dp, it, "probe")
                    if sp is None:
                        continue  # skipped after retries
                    diff[k] = sign * (steer(sp) - h)
                    probed[k] = (sign, sp)
                dn, moved = d, []
                for k in batch:
                    if k in diff and abs(diff[k]) > self.deadband:
                        cand = shift(dn, k, step * np.sign(diff[k]))
                        if feasible(cand, minimum):
                            dn, moved = cand, moved + [k]
                if moved:
                    k = moved[0]
                    if len(moved) == 1 and np.sign(diff[k]) == probed[k][0] and probe_step == step:
                        sn = probed[k][1]  # that configuration was just monitored
                    else:
                        sn = measure(dn, it, "move")
                    if sn is not None:
                        hn = steer(sn)
                        up = [k for k in probed if steer(probed[k][1]) > max(h, hn)]
                        if hn < h and up:
                            # the joint move fell but a single probe rose: step to the best such probe
                            # (already monitored, so free), as a backtracking line search would
                            k = max(up, key=lambda k: steer(probed[k][1]))
                            cur = (shift(d, k, probed[k][0] * probe_step), probed[k][1], steer(probed[k][1]))
                        elif hn < h and self.restart:
                            # the objective fell: restart from the best point, re-monitored
                            pivot = best_by(steer)
                            sp = measure(pivot[0], it, "restart")
                            cur = pivot if sp is None else (pivot[0], sp, steer(sp))
                        else:
                            cur = (dn, sn, hn)
                best = best_by(obj.value)
                history.append(max(history[-1], best[2]))
                current.append(obj.value(cur[1]))
                trajectory.append(best[0])
                since += 1
                if callback is not None:
                    callback(it, best[2], current[-1])
                if since >= patience and history[-1] - history[-1 - patience] < self.tolerance:
                    if stage + 1 == len(obj.temperatures):
                        stop = "converged"
                        break
                    stage, since = stage + 1, 0  # stalled: narrow the surrogate and go on from the best point
                    cur = best_by(steer)
            if self.confirm:
                # re-monitor the leading configurations and keep the best average (noisy plants)
                leaders = sorted(stats.values(), key=lambda a: obj.value(a[1] / a[2]), reverse=True)[:3]
                for d_top, _, _ in leaders:
                    for _ in range(self.confirm):
                        measure(d_top, it, "confirm")
                best = best_by(obj.value)
            # leave the plant at the best point and read it back (a probe re-applies its configuration)
            final = prober.probe(best[0], iteration=it, kind="final")
        except PlantUnresponsive as e:
            e.best_distances = best[0]
            raise
        except BaseException:
            prober.apply(best[0])  # never leave the plant worse than the best known point
            raise
        if final is None:
            prober.apply(best[0])
            stop += "; the final reading failed (best point applied, not verified)"
        verified = final is not None and bool(np.all(np.abs(final - best[1]) <= self.verify_tolerance))
        return FeedbackResult(
            distances=best[0], snr_db=best[1], objective=best[2], final_snr_db=final, verified=verified,
            start_distances=np.asarray(start, dtype=float), start_snr_db=s0, start_objective=history[0],
            history=history, current=current, trajectory=trajectory, n_iterations=it, n_probes=sum(r.error is None for r in log.records),
            n_failed=log.n_failed, waited=log.waited, stop=stop, log=log,
        )
