"""``urbsim experiment`` as a user runs it: Ctrl-C at a terminal, a bad scheduler address,
progress in a log file, and the local cluster's dashboards (small sweeps, one worker)."""

from __future__ import annotations

import contextlib
import gc
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from distributed import Client

from urbsim.common.errors import InputError
from urbsim.experiment import store, sweep

TINY = 'scenarios = ["baseline"]\nseeds = {seeds}\nsteps = 2\nhouseholds = 500\n'
PROGRESS = re.compile(r"^progress: [\d,]+/[\d,]+ runs done, [\d,]+ failed, \d+:\d\d:\d\d elapsed, "
                      r"ETA (\d+:\d\d:\d\d|unknown)$")


def experiment(tmp_path: Path, seeds: int) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.format(seeds=seeds))
    return path


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "urbsim", "experiment", *args]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def test_ctrl_c_mid_sweep_stops_with_one_message_and_keeps_finished_runs(tmp_path):
    """SIGINT to the whole process group, as a terminal sends it: the client and its local
    workers all get it."""
    out = tmp_path / "s.zarr"
    proc = subprocess.Popen(command(str(experiment(tmp_path, 40)), "--out", str(out),
                                    "--workers", "1"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "status" / "zarr.json").exists() and (
                    store.status(out) == store.DONE).sum() >= 2:
                break
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        _kill_group(proc.pid)
    done = int((store.status(out) == store.DONE).sum())
    assert 2 <= done < 40, f"could not interrupt the sweep midway ({done} of 40 done)"
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Error" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip() and not PROGRESS.match(ln)]
    assert lines[0].startswith("tiny: 40 runs"), err
    assert lines[1:] == [f"interrupted; finished runs are kept in {out}: run the same command "
                         "again to resume"], err


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "127.0.0.1:8786x"])
def test_a_bad_scheduler_address_is_one_line_exit_2_and_leaves_no_store(tmp_path, address):
    address = address.format(port=free_port())
    exp = experiment(tmp_path, 2)
    t0 = time.monotonic()
    r = subprocess.run(command(str(exp), "--out", str(tmp_path / "s.zarr"), "--scheduler",
                               address), capture_output=True, text=True, timeout=60)
    assert time.monotonic() - t0 < 15
    assert r.returncode == 2, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if "error" in ln.lower()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and address in errors[0], r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]  # no store, no temporary


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:{port}", "127.0.0.1:8786x"])
def test_calibrate_abc_names_a_bad_scheduler_address(address):
    from urbsim.calibration import abc

    address = address.format(port=free_port())
    t0 = time.monotonic()
    gc.disable()  # only the collection the error path makes itself
    try:
        before = {id(o) for o in gc.get_objects() if isinstance(o, Client)}
        with pytest.raises(InputError, match=re.escape(address)):
            abc._dask(address)
        left = [o for o in gc.get_objects() if isinstance(o, Client) and id(o) not in before]
    finally:
        gc.enable()
    assert time.monotonic() - t0 < 10
    # no half-made Client left for a later collection to close inside Dask's start of another
    # cluster (which holds the lock its close waits for: a deadlock)
    assert left == []


def test_progress_lines_in_a_log_file(tmp_path):
    """Not a terminal (nohup, a batch scheduler's log): plain lines at the interval asked for."""
    out, log = tmp_path / "s.zarr", tmp_path / "log"
    with log.open("w") as f:
        r = subprocess.run(command(str(experiment(tmp_path, 6)), "--out", str(out), "--workers",
                                   "1", "--progress-interval", "0.5"),
                           stdout=f, stderr=subprocess.STDOUT, timeout=300)
    text = log.read_text()
    assert r.returncode == 0, text
    lines = [ln for ln in text.splitlines() if PROGRESS.match(ln)]
    assert lines, text
    assert "\x1b[" not in text  # no terminal control sequences in a log
    assert "6 runs in" in text.splitlines()[-1]


def test_the_local_cluster_serves_its_dashboards_on_loopback_only():
    def hosts(dask_scheduler=None, dask_worker=None) -> list[str]:
        from distributed.comm.utils import get_tcp_server_addresses

        server = (dask_scheduler or dask_worker).http_server
        return sorted({a[0] for a in get_tcp_server_addresses(server)})

    with sweep.connect(1, None, 1, dashboard=True) as client:
        assert client.run_on_scheduler(hosts) == ["127.0.0.1"]
        assert list(client.run(hosts).values()) == [["127.0.0.1"]]
        assert client.dashboard_link.startswith("http://127.0.0.1:")
    with sweep.connect(1, None, 1, dashboard=True, dashboard_address="0.0.0.0:0") as client:
        assert client.run_on_scheduler(hosts) == ["0.0.0.0"]  # served to the network when asked
