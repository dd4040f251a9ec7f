"""Plants (configuration -> monitored subchannel SNRs), the probe log, and the prober that talks to
the plant as a controller of live equipment must: one outstanding call at a time, timed-out calls
abandoned (cancelled where the plant can be cancelled), nothing queued, every wait logged."""

import dataclasses
import json
import os
import pathlib
import threading
import time
from collections.abc import Callable, Sequence

import equinox as eqx
import jax.numpy as jnp
import numpy as np

import optnet as on


class ProbeFailed(RuntimeError):
    """A probe that raised, timed out or returned NaN/out-of-range readings."""


class PlantUnresponsive(RuntimeError):
    """A call to the plant timed out and did not end within `max_wait` seconds after being
    abandoned (and cancelled, where the plant has a cancel hook). No further call is made: the
    configuration in force is unknown. `best_distances` (Hz) is the best point known, which the
    plant could not be returned to."""

    def __init__(self, message: str, best_distances=None):
        super().__init__(message)
        self.best_distances = best_distances


@eqx.filter_jit
def _reading(superchannel: on.Superchannel, distances):
    # one compiled reading per superchannel structure, shared by every plant
    return superchannel.snr_db(distances)


class ModelPlant:
    """An optnet `Superchannel` standing in for the network.

    **Arguments:**

    - `superchannel`: the model; configurations are its distance vector D (Hz).
    - `noise_db`: standard deviation of zero-mean Gaussian monitoring noise added to every
      reading, dB (0 = exact).
    - `seed`: seed of the monitoring noise.

    `true_snr_db(D)` returns the model's SNRs without monitoring noise (what a noisy reading
    estimates). Readings are jit-compiled (once per superchannel structure).
    """

    def __init__(self, superchannel: on.Superchannel, *, noise_db: float = 0.0, seed: int = 0):
        if not (np.isfinite(noise_db) and noise_db >= 0):
            raise ValueError(f"`noise_db` must be a finite standard deviation >= 0 dB; got {noise_db!r}.")
        self.superchannel = superchannel
        self.noise_db = float(noise_db)
        self._rng = np.random.default_rng(seed)
        self.applied = np.asarray(superchannel.distances)

    @property
    def n_subchannels(self) -> int:
        return self.superchannel.n_subchannels

    def true_snr_db(self, distances) -> np.ndarray:
        """The model's SNRs (dB) at D (Hz), without monitoring noise."""
        return np.asarray(_reading(self.superchannel, jnp.asarray(distances, dtype=float)))

    def apply(self, distances) -> None:
        """Configure the transmitters at D (Hz)."""
        self.applied = np.asarray(distances, dtype=float)

    def __call__(self, distances) -> np.ndarray:
        """Apply D (Hz) and return the monitored SNRs (dB)."""
        self.apply(distances)
        snr = self.true_snr_db(self.applied)
        if self.noise_db:
            snr = snr + self._rng.normal(0.0, self.noise_db, snr.shape)
        return snr


class CallbackPlant:
    """A live network behind user callbacks.

    **Arguments:**

    - `measure`: D (Hz, numpy array) -> per-subchannel SNRs (dB). It must configure the lasers at
      D itself, then wait for the monitoring period and read the receivers: every probe re-applies
      the configuration it wants, so a call abandoned earlier cannot leave the plant elsewhere.
    - `n_subchannels`: N.
    - `apply`: D -> None, configuring without monitoring (default: `measure`, result ignored).
    - `cancel`: called (with no argument) when a call has timed out; it should make the
      outstanding `measure`/`apply` return or raise promptly (abort the equipment command). Without
      it the prober can only wait for the call to end (`max_wait`).
    """

    def __init__(self, measure: Callable[[np.ndarray], Sequence[float]], n_subchannels: int, *,
                 apply: Callable[[np.ndarray], None] | None = None, cancel: Callable[[], None] | None = None):
        self._measure, self._apply, self._cancel = measure, apply, cancel
        self.n_subchannels = int(n_subchannels)

    def apply(self, distances) -> None:
        if self._apply is None:
            self._measure(np.asarray(distances, dtype=float))
        else:
            self._apply(np.asarray(distances, dtype=float))

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel()

    def __call__(self, distances) -> np.ndarray:
        return np.asarray(self._measure(np.asarray(distances, dtype=float)), dtype=float)


@dataclasses.dataclass
class ProbeRecord:
    """One attempt at one probe: configuration D (Hz), readings (dB) or the error, the start time
    and duration of the call (s), and `waited`: seconds spent before it waiting for an abandoned
    (timed-out) call to end."""

    probe: int
    attempt: int
    iteration: int
    kind: str
    distances: list[float]
    snr_db: list[float] | None
    error: str | None
    time: float
    duration: float
    waited: float = 0.0


_LOG_FORMAT = "optnet.feedback.probe-log/1"


@dataclasses.dataclass
class ProbeLog:
    """Every probe attempt of a run, in order, and the settings of the run that wrote it.

    `save`/`load` as JSON; a log with a `path` is saved after every attempt, atomically (written to
    a temporary file, flushed to disk, then renamed over the log), so an interruption at any moment
    leaves the previous complete log. Pass a loaded log back to `run` to resume: it refuses a log of
    a run with other settings, seed or start.
    """

    records: list[ProbeRecord] = dataclasses.field(default_factory=list)
    path: pathlib.Path | None = None
    settings: dict | None = None

    def append(self, record: ProbeRecord) -> None:
        self.records.append(record)
        if self.path is not None:
            self.save(self.path)

    def save(self, path: str | pathlib.Path) -> None:
        path = pathlib.Path(path)
        tmp = path.with_name(path.name + ".tmp")
        text = json.dumps({"format": _LOG_FORMAT, "settings": self.settings,
                           "records": [dataclasses.asdict(r) for r in self.records]})
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | pathlib.Path, *, keep_saving: bool = True) -> "ProbeLog":
        path = pathlib.Path(path)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(
                f"The probe log {path} is truncated or not valid JSON ({e}); it cannot be resumed. Logs written by "
                "optnet are replaced atomically, so this file was cut or edited elsewhere: start a new log."
            ) from None
        if not isinstance(data, dict) or data.get("format") != _LOG_FORMAT:
            raise ValueError(f"{path} is not an optnet probe log (expected format {_LOG_FORMAT!r}).")
        try:
            records = [ProbeRecord(**r) for r in data["records"]]
        except (TypeError, KeyError) as e:
            raise ValueError(f"The probe log {path} has a malformed record ({e}); start a new log.") from None
        return cls(records, path if keep_saving else None, data.get("settings"))

    def bind(self, settings: dict) -> None:
        """Tie the log to a run's `settings`; a log already written by other settings is refused."""
        if self.settings is not None and self.records and self.settings != settings:
            diff = sorted(k for k in settings.keys() | self.settings.keys() if settings.get(k) != self.settings.get(k))
            raise ValueError(
                f"The probe log was written by a run with other settings ({', '.join(diff)} differ); resume with "
                "the same optimiser, start and seed, or start a new log."
            )
        self.settings = settings

    @property
    def n_probes(self) -> int:
        return len({r.probe for r in self.records})

    @property
    def n_failed(self) -> int:
        return sum(r.error is not None for r in self.records)

    @property
    def waited(self) -> float:
        """Seconds spent waiting for abandoned calls to end."""
        return float(sum(r.waited for r in self.records))


class _Call:
    """One call to the plant in its own daemon thread (a hung call never blocks interpreter exit)."""

    def __init__(self, fn, d):
        self.value = self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn, d), daemon=True, name="optnet-plant-call")
        self.thread.start()

    def _run(self, fn, d):
        try:
            self.value = fn(d)
        except BaseException as e:  # handed to the caller
            self.error = e

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


class Prober:
    """Runs probes on a plant with retries, timeouts, reading checks and replay from a log.

    **Arguments:**

    - `plant`: a callable D -> SNRs (dB) that configures D itself, with an `apply(D)` method and
      optionally `cancel()`.
    - `log`: the `ProbeLog` to append to; records already in it are replayed (not re-probed) in
      order, which is how an interrupted run resumes.
    - `retries`: extra attempts after a failed one; then the probe is skipped (returns None).
    - `timeout`: seconds a call may take (None: no limit, the call runs in the caller's thread).
    - `max_wait`: seconds to wait, after a timeout, for the abandoned call to end before the next
      call; longer raises `PlantUnresponsive`.
    - `valid_range`: readings outside (lo, hi) dB, NaN or of the wrong length are failures.

    At most one call is outstanding at any time. A call that times out is abandoned: the plant's
    `cancel()` is called, and the next call starts only once it has ended (the wait is logged), so
    nothing is queued behind it and nothing acts later. Each probe re-applies its configuration.
    """

    def __init__(self, plant, log: ProbeLog | None = None, *, retries: int = 2, timeout: float | None = None,
                 max_wait: float = 60.0, valid_range: tuple[float, float] = (-20.0, 60.0)):
        if timeout is not None and not (np.isfinite(timeout) and timeout > 0):
            raise ValueError(f"`timeout` must be None or > 0 s; got {timeout!r}.")
        if not (np.isfinite(max_wait) and max_wait >= 0):
            raise ValueError(f"`max_wait` must be finite and >= 0 s; got {max_wait!r}.")
        self.plant, self.log = plant, ProbeLog() if log is None else log
        self.retries, self.timeout, self.max_wait, self.valid_range = retries, timeout, max_wait, valid_range
        self._cursor = 0
        self._next_probe = 0
        self._abandoned: _Call | None = None
        self.last_errors: list[str] = []

    @property
    def replaying(self) -> bool:
        return self._cursor < len(self.log.records)

    @property
    def busy(self) -> bool:
        """Whether an abandoned call to the plant is still running."""
        return self._abandoned is not None and self._abandoned.thread.is_alive()

    def _settle(self) -> float:
        """Wait for an abandoned call to end; return the seconds waited."""
        if self._abandoned is None:
            return 0.0
        t0 = time.monotonic()
        self._abandoned.thread.join(self.max_wait)
        if self._abandoned.thread.is_alive():
            raise PlantUnresponsive(
                f"A call to the plant timed out after {self.timeout} s and was still running {self.max_wait} s later "
                "(after its cancel hook, if any); no further call was made, so the configuration in force is unknown."
            )
        self._abandoned = None
        return time.monotonic() - t0

    def _call(self, fn, d):
        if self.timeout is None:
            return fn(d)
        call = _Call(fn, d)
        call.thread.join(self.timeout)
        if call.thread.is_alive():
            self._abandoned = call
            cancel = getattr(self.plant, "cancel", None)
            if cancel is not None:
                try:
                    cancel()
                except Exception:  # a failing cancel hook leaves the wait in `_settle` as the guard
                    pass
            raise ProbeFailed(f"probe timed out after {self.timeout} s (abandoned)")
        return call.result()

    def _check(self, snr, n):
        snr = np.asarray(snr, dtype=float)
        lo, hi = self.valid_range
        if snr.shape != (n,):
            raise ProbeFailed(f"expected {n} readings, got shape {snr.shape}")
        if not np.all(np.isfinite(snr)) or np.any(snr < lo) or np.any(snr > hi):
            raise ProbeFailed(f"readings NaN or outside [{lo}, {hi}] dB: {np.round(snr, 3).tolist()}")
        return snr

    def probe(self, distances, *, iteration: int, kind: str) -> np.ndarray | None:
        """Readings (dB) at D (Hz), or None when every attempt failed. Raises `PlantUnresponsive`
        when an abandoned call does not end within `max_wait`."""
        d = np.asarray(distances, dtype=float)
        index = self._next_probe
        self._next_probe += 1
        self.last_errors = []  # why each attempt of this probe failed
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
            waited = self._settle()
            t0 = time.time()
            try:
                snr = self._check(self._call(self.plant, d), d.shape[0] - 1)
                err = None
            except Exception as e:  # a live plant may raise anything
                snr, err = None, f"{type(e).__name__}: {e}"
            self.log.append(ProbeRecord(index, attempt, iteration, kind, d.tolist(),
                                        None if snr is None else snr.tolist(), err, t0, time.time() - t0, waited))
            self._cursor = len(self.log.records)
            if snr is not None:
                return snr
            self.last_errors.append(err)
        return None

    def apply(self, distances) -> None:
        """Configure D on the plant without reading it (retried, then raised)."""
        for attempt in range(self.retries + 1):
            try:
                self._settle()
                self._call(self.plant.apply, np.asarray(distances, dtype=float))
                return
            except PlantUnresponsive:
                raise
            except Exception:
                if attempt == self.retries:
                    raise
