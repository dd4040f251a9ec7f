import pytest
"""Sharded sweeps: 8 simulated CPU devices in one process, and two processes on localhost joined by
`jax.distributed` (CPU collectives), each giving the unsharded result."""

import os
import pathlib
import socket
import subprocess
import sys

import numpy as np

WORKER = pathlib.Path(__file__).parent / "scripts" / "sweep_worker.py"


def _env(devices: int) -> dict:
    return {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}", "JAX_PLATFORMS": "cpu"}


def _check(out):
    data = np.load(out)
    np.testing.assert_allclose(data["sharded"], data["plain"], rtol=1e-12)
    return data


@pytest.mark.slow
def test_sweep_over_eight_devices(tmp_path):
    out = tmp_path / "one.npz"
    subprocess.run([sys.executable, str(WORKER), str(out)], env=_env(8), check=True, timeout=300)
    data = _check(out)
    assert data["devices"] == 8 and data["sharded"].shape == (11, 4)


def test_sweep_over_two_processes(tmp_path):
    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    out = tmp_path / "two.npz"
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), str(out), str(i), "2", str(port)], env=_env(2),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for i in range(2)
    ]
    logs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), "\n".join(logs)[-3000:]
    data = _check(out)
    assert data["devices"] == 4 and data["processes"] == 2
