"""interop.feedback against plants that misbehave: hang once, hang forever, hang on the final
re-apply, answer slowly; the probe log's atomic writes and the refusal of foreign or cut logs."""

import json
import threading
import time

import numpy as np
import pytest

import optnet.scenarios as osc
from interop import feedback as fb


@pytest.fixture(scope="module")
def model():
    sc = osc.locatelli_superchannel(1, transceiver_snr=10 ** 2.0)
    plant = fb.ModelPlant(sc)
    plant(sc.distances)  # compiled before any timeout runs
    return sc, np.asarray(sc.distances), plant


def optimiser(**kw):
    # a fixed number of iterations, so a run is a deterministic sequence of probes
    return fb.StochasticSubgradient(fb.MEAN_SNR, f_step=0.5e9, max_iterations=6, patience=100, **kw)


class Hanging:
    """A live plant (the model behind callbacks) whose chosen calls hang until released, `hang`
    seconds pass, or the controller cancels them (then they raise, as an aborted command)."""

    def __init__(self, model, hang_on=(), hang=None, delay=0.0):
        self.model = model
        self.hang_on, self.hang, self.delay = set(hang_on), hang, delay
        self.calls, self.cancelled = 0, threading.Event()
        self.lock = threading.Lock()

    def measure(self, d):
        with self.lock:
            self.calls += 1
            call = self.calls
        if call in self.hang_on:
            if self.cancelled.wait(self.hang):
                self.cancelled.clear()
                raise RuntimeError("command aborted")
        time.sleep(self.delay)
        return self.model(d)

    def plant(self, cancel=False, n=4):
        return fb.CallbackPlant(self.measure, n, cancel=self.cancelled.set if cancel else None)


@pytest.fixture(scope="module")
def reference(model):
    sc, d0, plant = model
    return optimiser().run(plant, d0)


def assert_quiet_after_return(hanging, result, wait=0.4):
    calls = hanging.calls
    time.sleep(wait)
    assert hanging.calls == calls  # nothing queued runs later
    assert np.allclose(hanging.model.applied, result.distances)  # left at the best point


def test_hangs_once(model, reference):
    sc, d0, plant = model
    h = Hanging(plant, hang_on=[4], hang=0.8)
    r = optimiser(timeout=0.2).run(h.plant(), d0, minimum=sc.minimum_distances())
    assert np.allclose(r.distances, reference.distances) and r.objective == reference.objective
    assert r.n_failed == 1 and "timed out" in r.log.records[3].error
    assert 0.4 < r.waited < 1.5 and r.log.records[4].waited == r.waited  # the wait is logged
    assert r.verified and h.calls == len(r.log.records)
    assert_quiet_after_return(h, r)


def test_hangs_forever_is_cancelled(model, reference):
    sc, d0, plant = model
    h = Hanging(plant, hang_on=[4])
    r = optimiser(timeout=0.2).run(h.plant(cancel=True), d0, minimum=sc.minimum_distances())
    assert np.allclose(r.distances, reference.distances) and r.n_failed == 1 and r.waited < 0.5
    assert_quiet_after_return(h, r)


def test_hangs_forever_without_cancel(model):
    sc, d0, plant = model
    h = Hanging(plant, hang_on=[4])
    with pytest.raises(fb.PlantUnresponsive, match="configuration in force is unknown") as err:
        optimiser(timeout=0.2, max_wait=0.3).run(h.plant(), d0, minimum=sc.minimum_distances())
    assert err.value.best_distances is not None and h.calls == 4  # no call after the hung one
    time.sleep(0.3)
    assert h.calls == 4
    h.cancelled.set()  # end the hung thread


@pytest.mark.parametrize("cancel", [False, True])
def test_hangs_on_the_final_reapply(model, reference, cancel):
    sc, d0, plant = model
    final = sum(rec.kind != "final" for rec in reference.log.records) + 1
    h = Hanging(plant, hang_on=[final], hang=0.6)
    r = optimiser(timeout=0.2).run(h.plant(cancel=cancel), d0, minimum=sc.minimum_distances())
    assert r.log.records[-2].kind == r.log.records[-1].kind == "final" and r.log.records[-2].error
    assert np.allclose(r.distances, reference.distances) and r.verified
    assert np.allclose(r.final_snr_db, r.snr_db)
    assert_quiet_after_return(h, r)


def test_slow_within_timeout(model, reference):
    sc, d0, plant = model
    h = Hanging(plant, delay=0.01)
    r = optimiser(timeout=0.5).run(h.plant(), d0, minimum=sc.minimum_distances())
    assert np.allclose(r.distances, reference.distances) and r.n_failed == 0 and r.waited == 0
    assert_quiet_after_return(h, r, wait=0.05)


def test_log_is_atomic_and_refuses_foreign_or_cut_logs(model, tmp_path, monkeypatch):
    sc, d0, plant = model
    path = tmp_path / "probes.json"
    r = optimiser(seed=3).run(plant, d0, log=fb.ProbeLog(path=path))
    saved = path.read_text()

    def interrupted(fd):  # the process dies while the next save is being written
        raise KeyboardInterrupt

    monkeypatch.setattr("os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        r.log.save(path)
    monkeypatch.undo()
    assert path.read_text() == saved and len(fb.ProbeLog.load(path).records) == len(r.log.records)
    with pytest.raises(ValueError, match="seed differ"):
        optimiser(seed=4).run(plant, d0, log=fb.ProbeLog.load(path))
    with pytest.raises(ValueError, match="start differ"):
        optimiser(seed=3).run(plant, fb.shift(d0, 0, 1e9), log=fb.ProbeLog.load(path))
    cut = tmp_path / "cut.json"
    cut.write_text(saved[: len(saved) // 2])
    with pytest.raises(ValueError, match="truncated"):
        fb.ProbeLog.load(cut)
    other = tmp_path / "other.json"
    other.write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="not an optnet probe log"):
        fb.ProbeLog.load(other)
    resumed = optimiser(seed=3).run(plant, d0, log=fb.ProbeLog.load(path))
    assert np.allclose(resumed.distances, r.distances)


def test_process_exits_while_a_call_hangs(tmp_path):
    # a hung call runs in a daemon thread: the interpreter exits once the optimiser has given up
    import subprocess
    import sys

    script = tmp_path / "hung.py"
    script.write_text(
        "import time\n"
        "import numpy as np\n"
        "from interop import feedback as fb\n"
        "def measure(d):\n"
        "    if d[0] > 17.2e9:\n"
        "        time.sleep(1e6)\n"
        "    return np.array([14.0, 16.0, 16.0, 14.0]) + d[:4] / 1e12\n"
        "try:\n"
        "    fb.StochasticSubgradient(f_step=0.5e9, timeout=0.2, max_wait=0.2).run(\n"
        "        fb.CallbackPlant(measure, 4), np.array([17, 34.5, 34.5, 34.5, 17]) * 1e9)\n"
        "except fb.PlantUnresponsive as e:\n"
        "    print('unresponsive', e.best_distances[0])\n"
    )
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.startswith("unresponsive 17000000000.0"), res.stderr
