"""The stochastic subgradient method with finite-difference monitoring probes (Locatelli et al.)."""

import dataclasses
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

import optnet as on

from ._plant import ProbeLog, Prober


@dataclasses.dataclass(frozen=True)
class Objective:
    """What the optimisers maximise, as a function of the per-subchannel SNRs (dB).

    - `value`: the objective reported and kept (dB).
    - `direction`: the function whose finite differences steer the moves (default `value`); a
      smooth surrogate helps where `value` has ties (the min).
    - `model`: a differentiable JAX version for gradient ascent on a model (`optimise_model`).
    """

    name: str
    value: Callable[[np.ndarray], float]
    direction: Callable[[np.ndarray], float] | None = None
    model: Callable | None = None

    def steer(self, snr_db) -> float:
        return float((self.direction or self.value)(snr_db))


def _soft_min(snr_db, temperature=0.02):
    s = np.asarray(snr_db)
    m = s.min()
    return float(m - temperature * np.log(np.sum(np.exp(-(s - m) / temperature))))


# Locatelli et al. Eq. (2) and Eq. (3).
MEAN_SNR = Objective("mean SNR", lambda s: float(np.mean(s)), model=lambda s: jnp.mean(s))
# the model optimiser uses a log-sum-exp soft minimum of width 0.02 dB
MIN_SNR = Objective("min SNR", lambda s: float(np.min(s)), _soft_min, model=lambda s: on.soft_min_snr_db(s, 0.02))


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

    - `distances`, `snr_db`, `objective`: the best configuration found (Hz), its readings (dB)
      and objective (dB); this is what the plant is left at.
    - `start_distances`, `start_snr_db`, `start_objective`: the starting point.
    - `history`: best objective after each iteration (dB); `current`: objective of the iterate.
    - `n_iterations`, `n_probes` (distinct configurations monitored), `n_failed` (failed attempts).
    - `stop`: why it stopped; `log`: every probe attempt.
    """

    distances: np.ndarray
    snr_db: np.ndarray
    objective: float
    start_distances: np.ndarray
    start_snr_db: np.ndarray
    start_objective: float
    history: list[float]
    current: list[float]
    n_iterations: int
    n_probes: int
    n_failed: int
    stop: str
    log: ProbeLog

    @property
    def gain(self) -> float:
        return self.objective - self.start_objective


@dataclasses.dataclass(frozen=True)
class StochasticSubgradient:
    """Stochastic subgradient ascent with monitoring probes (Locatelli et al., JOCN 2022, Sec. 3).

    Each iteration draws M subchannels, probes each moved by `f_step` (one-sided difference,
    Eq. (6); backwards if forwards is infeasible), moves each probed subchannel one laser-grid step
    along its difference, monitors the new point, keeps the best point seen and restarts from it
    when the objective falls. Readings of a configuration seen again are averaged, so the best
    point is chosen on averaged estimates (monitoring noise). It stops when the best improved by less than `tolerance` over the
    last `patience` iterations, or after `max_iterations`.

    **Fields:**

    - `objective`: `MEAN_SNR` (Obj#1), `MIN_SNR` (Obj#2) or any `Objective`.
    - `f_step`: probe and move step, Hz (the laser grid: 0.25, 0.5 or 1 GHz in the paper).
    - `minibatch`: M subchannels per iteration.
    - `tolerance`: dB; `patience`: iterations; `max_iterations`.
    - `deadband`: |difference| in dB below which a subchannel does not move (noise guard).
    - `seed`: the minibatch draws.
    - `restart`: restart from the best point (re-monitoring it) when the objective falls.
    - `confirm`: at the end, re-monitor the three leading configurations this many times each and
      keep the best average (for noisy monitoring; 0 = off).
    - `retries`, `timeout`, `valid_range`: fault handling of each probe (see `Prober`).

    ??? cite "References"
        F. Locatelli et al., "Feedback-based channel frequency optimization in superchannels",
        JOCN 2022, Eqs. (4)-(8); N. Z. Shor, *Nondifferentiable Optimization and Polynomial
        Problems*, Springer 1998.
    """

    objective: Objective = MEAN_SNR
    f_step: float = 0.25e9
    minibatch: int = 2
    tolerance: float = 0.01
    patience: int = 10
    max_iterations: int = 100
    deadband: float = 0.0
    seed: int = 0
    restart: bool = True
    confirm: int = 0
    retries: int = 2
    timeout: float | None = None
    valid_range: tuple[float, float] = (-20.0, 60.0)

    def run(self, plant, start, *, minimum=None, log: ProbeLog | None = None,
            callback: Callable[[int, float, float], None] | None = None) -> FeedbackResult:
        """Optimise `plant` from D = `start` (Hz).

        **Arguments:**

        - `plant`: callable D -> SNRs (dB) with `apply(D)` (`ModelPlant`, `CallbackPlant`).
        - `start`: starting D, Hz, shape (N+1,).
        - `minimum`: lower bounds of D (Eq. (5)), Hz; default from the plant's superchannel, else 0.
        - `log`: a `ProbeLog`; records in it are replayed first (resume after an interruption).
        - `callback`: called as `callback(iteration, best, current)` after every iteration.

        The plant is left at the best configuration on return *and* on any exception.
        """
        d = np.asarray(start, dtype=float)
        n = d.shape[0] - 1
        if minimum is None:
            sc = getattr(plant, "superchannel", None)
            minimum = np.zeros(n + 1) if sc is None else np.asarray(sc.minimum_distances())
        minimum = np.asarray(minimum, dtype=float)
        if not (np.isfinite(self.f_step) and self.f_step > 0):
            raise ValueError(f"`f_step` must be a finite step > 0 Hz (0.25 GHz is 0.25e9); got {self.f_step!r}.")
        if not (np.isfinite(self.tolerance) and self.tolerance >= 0):
            raise ValueError(f"`tolerance` must be finite and >= 0 dB; got {self.tolerance!r}.")
        if self.max_iterations < 1 or self.patience < 1 or self.retries < 0:
            raise ValueError("`max_iterations` and `patience` must be >= 1 and `retries` >= 0.")
        if not np.all(np.isfinite(d)):
            raise ValueError("`start` contains NaN or inf; give finite distances in Hz.")
        if not feasible(d, minimum):
            raise ValueError("The start violates the minimum distances (Eq. (5)).")
        if not 1 <= self.minibatch <= n:
            raise ValueError(f"`minibatch` must be in [1, {n}]; got {self.minibatch}.")
        prober = Prober(plant, log, retries=self.retries, timeout=self.timeout, valid_range=self.valid_range)
        rng = np.random.default_rng(self.seed)
        obj, step = self.objective, self.f_step
        # every reading is averaged into its configuration's estimate (configurations lie on the
        # laser grid, so revisits are exact): under monitoring noise this undoes the winner's curse
        stats: dict[tuple, list] = {}  # configuration -> [D, sum of readings, count]

        def measure(d, it, kind):
            r = prober.probe(d, iteration=it, kind=kind)
            if r is None:
                return None
            acc = stats.setdefault(tuple(np.round(d / (step / 8)).astype(int)), [d, 0.0, 0])
            acc[1] = acc[1] + r
            acc[2] += 1
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
        # the iterate follows the steering surrogate; `best` is the best true objective seen
        best = (d, s0, obj.value(s0))
        cur = (d, s0, obj.steer(s0))
        history, current = [best[2]], [best[2]]
        stop, it = "max_iterations", 0
        try:
            for it in range(1, self.max_iterations + 1):
                d, _, h = cur
                batch = [int(k) for k in rng.choice(n, size=self.minibatch, replace=False)]
                diff, probed = {}, {}
                for k in batch:
                    sign = 1.0
                    dp = shift(d, k, step)
                    if not feasible(dp, minimum):
                        sign, dp = -1.0, shift(d, k, -step)
                        if not feasible(dp, minimum):
                            continue
                    sp = measure(dp, it, "probe")
                    if sp is None:
                        continue  # skipped after retries
                    diff[k] = sign * (obj.steer(sp) - h)
                    probed[k] = (sign, sp)
                dn, moved = d, []
                for k in batch:
                    if k in diff and abs(diff[k]) > self.deadband:
                        cand = shift(dn, k, step * np.sign(diff[k]))
                        if feasible(cand, minimum):
                            dn, moved = cand, moved + [k]
                if moved:
                    k = moved[0]
                    if len(moved) == 1 and np.sign(diff[k]) == probed[k][0]:
                        sn = probed[k][1]  # that configuration was just monitored
                    else:
                        sn = measure(dn, it, "move")
                    if sn is not None:
                        hn = obj.steer(sn)
                        pivot = best_by(obj.steer)
                        if hn < h and self.restart:
                            # the objective fell: restart from the best point, re-monitored
                            sp = measure(pivot[0], it, "restart")
                            cur = pivot if sp is None else (pivot[0], sp, obj.steer(sp))
                        else:
                            cur = (dn, sn, hn)
                best = best_by(obj.value)
                history.append(best[2])
                current.append(obj.value(cur[1]))
                if callback is not None:
                    callback(it, best[2], current[-1])
                if it >= self.patience and history[-1] - history[-1 - self.patience] < self.tolerance:
                    stop = "converged"
                    break
            if self.confirm:
                # re-monitor the leading configurations and keep the best average (noisy plants)
                leaders = sorted(stats.values(), key=lambda a: obj.value(a[1] / a[2]), reverse=True)[:3]
                for d_top, _, _ in leaders:
                    for _ in range(self.confirm):
                        measure(d_top, it, "confirm")
                best = best_by(obj.value)
        except BaseException:
            prober.apply(best[0])  # never leave the plant worse than the best known point
            raise
        prober.apply(best[0])
        return FeedbackResult(
            distances=best[0], snr_db=best[1], objective=best[2],
            start_distances=np.asarray(start, dtype=float), start_snr_db=s0, start_objective=history[0],
            history=history, current=current, n_iterations=it, n_probes=prober.log.n_probes,
            n_failed=prober.log.n_failed, stop=stop, log=prober.log,
        )
