"""Plants (configuration -> monitored subchannel SNRs), the probe log, and the fault-tolerant prober."""

import concurrent.futures
import dataclasses
import json
import pathlib
import time
from collections.abc import Callable, Sequence

import jax.numpy as jnp
import numpy as np

import optnet as on


class ProbeFailed(RuntimeError):
    """A probe that raised, timed out or returned NaN/out-of-range readings."""


class ModelPlant:
    """An optnet `Superchannel` standing in for the network.

    **Arguments:**

    - `superchannel`: the model; configurations are its distance vector D (Hz).
    - `noise_db`: standard deviation of zero-mean Gaussian monitoring noise added to every
      reading, dB (0 = exact).
    - `seed`: seed of the monitoring noise.
    """

    def __init__(self, superchannel: on.Superchannel, *, noise_db: float = 0.0, seed: int = 0):
        self.superchannel = superchannel
        self.noise_db = float(noise_db)
        self._rng = np.random.default_rng(seed)
        self.applied = np.asarray(superchannel.distances)

    @property
    def n_subchannels(self) -> int:
        return self.superchannel.n_subchannels

    def apply(self, distances) -> None:
        """Configure the transmitters at D (Hz)."""
        self.applied = np.asarray(distances, dtype=float)

    def __call__(self, distances) -> np.ndarray:
        """Apply D (Hz) and return the monitored SNRs (dB)."""
        self.apply(distances)
        snr = np.asarray(self.superchannel.snr_db(jnp.asarray(self.applied)))
        if self.noise_db:
            snr = snr + self._rng.normal(0.0, self.noise_db, snr.shape)
        return snr


class CallbackPlant:
    """A live network behind user callbacks.

    **Arguments:**

    - `measure`: D (Hz, numpy array) -> per-subchannel SNRs (dB); it configures the lasers, waits
      for the monitoring period and reads the receivers.
    - `n_subchannels`: N.
    - `apply`: D -> None, configuring without monitoring (default: `measure`, result ignored).
    """

    def __init__(self, measure: Callable[[np.ndarray], Sequence[float]], n_subchannels: int, *,
                 apply: Callable[[np.ndarray], None] | None = None):
        self._measure, self._apply = measure, apply
        self.n_subchannels = int(n_subchannels)

    def apply(self, distances) -> None:
        if self._apply is None:
            self._measure(np.asarray(distances, dtype=float))
        else:
            self._apply(np.asarray(distances, dtype=float))

    def __call__(self, distances) -> np.ndarray:
        return np.asarray(self._measure(np.asarray(distances, dtype=float)), dtype=float)


@dataclasses.dataclass
class ProbeRecord:
    """One attempt at one probe: configuration D (Hz), readings (dB) or the error, timing (s)."""

    probe: int
    attempt: int
    iteration: int
    kind: str
    distances: list[float]
    snr_db: list[float] | None
    error: str | None
    time: float
    duration: float


@dataclasses.dataclass
class ProbeLog:
    """Every probe attempt of a run, in order; `save`/`load` as JSON; pass it back to resume."""

    records: list[ProbeRecord] = dataclasses.field(default_factory=list)
    path: pathlib.Path | None = None

    def append(self, record: ProbeRecord) -> None:
        self.records.append(record)
        if self.path is not None:
            self.save(self.path)

    def save(self, path: str | pathlib.Path) -> None:
        path = pathlib.Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps([dataclasses.asdict(r) for r in self.records]))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | pathlib.Path, *, keep_saving: bool = True) -> "ProbeLog":
        path = pathlib.Path(path)
        records = [ProbeRecord(**r) for r in json.loads(path.read_text())]
        return cls(records, path if keep_saving else None)

    @property
    def n_probes(self) -> int:
        return len({r.probe for r in self.records})

    @property
    def n_failed(self) -> int:
        return sum(r.error is not None for r in self.records)


class Prober:
    """Runs probes on a plant with retries, timeouts, reading checks and replay from a log.

    **Arguments:**

    - `plant`: a callable D -> SNRs (dB) with an `apply(D)` method.
    - `log`: the `ProbeLog` to append to; records already in it are replayed (not re-probed) in
      order, which is how an interrupted run resumes.
    - `retries`: extra attempts after a failed one; then the probe is skipped (returns None).
    - `timeout`: seconds a probe may take (None: no limit). A timed-out call keeps running in its
      worker thread; its result is discarded.
    - `valid_range`: readings outside (lo, hi) dB, NaN or of the wrong length are failures.
    """

    def __init__(self, plant, log: ProbeLog | None = None, *, retries: int = 2, timeout: float | None = None,
                 valid_range: tuple[float, float] = (-20.0, 60.0)):
        self.plant, self.log = plant, ProbeLog() if log is None else log
        self.retries, self.timeout, self.valid_range = retries, timeout, valid_range
        self._cursor = 0
        self._next_probe = 0
        self._pool = None

    @property
    def replaying(self) -> bool:
        return self._cursor < len(self.log.records)

    def _call(self, d):
        if self.timeout is None:
            return self.plant(d)
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        future = self._pool.submit(self.plant, d)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            raise ProbeFailed(f"probe timed out after {self.timeout} s") from None

    def _check(self, snr, n):
        snr = np.asarray(snr, dtype=float)
        lo, hi = self.valid_range
        if snr.shape != (n,):
            raise ProbeFailed(f"expected {n} readings, got shape {snr.shape}")
        if not np.all(np.isfinite(snr)) or np.any(snr < lo) or np.any(snr > hi):
            raise ProbeFailed(f"readings NaN or outside [{lo}, {hi}] dB: {np.round(snr, 3).tolist()}")
        return snr

    def probe(self, distances, *, iteration: int, kind: str) -> np.ndarray | None:
        """Readings (dB) at D (Hz), or None when every attempt failed."""
        d = np.asarray(distances, dtype=float)
        index = self._next_probe
        self._next_probe += 1
        self.last_errors: list[str] = []  # why each attempt of this probe failed
        for attempt in range(self.retries + 1):
            if self.replaying:
                rec = self.log.records[self._cursor]
                if rec.probe != index or rec.attempt != attempt or not np.allclose(rec.distances, d, rtol=0, atol=1.0):
                    raise ValueError(
                        f"The probe log does not match this run at record {self._cursor} (probe {index}, "
                        f"attempt {attempt}): resume with the same start, settings and seed."
                    )
                self._cursor += 1
                if rec.error is None:
                    return np.asarray(rec.snr_db)
                self.last_errors.append(rec.error)
                continue
            t0 = time.time()
            try:
                snr = self._check(self._call(d), d.shape[0] - 1)
                err = None
            except (ProbeFailed, Exception) as e:  # a live plant may raise anything
                snr, err = None, f"{type(e).__name__}: {e}"
            self.log.append(ProbeRecord(index, attempt, iteration, kind, d.tolist(),
                                        None if snr is None else snr.tolist(), err, t0, time.time() - t0))
            self._cursor = len(self.log.records)
            if snr is not None:
                return snr
            self.last_errors.append(err)
        return None

    def apply(self, distances) -> None:
        """Configure D on the plant (best effort: a failing apply is retried, then raised)."""
        for attempt in range(self.retries + 1):
            try:
                self.plant.apply(np.asarray(distances, dtype=float))
                return
            except Exception:
                if attempt == self.retries:
                    raise
