"""Runs for the workshop app: seeds in a background process, progress, cancel, a shared cache.

A :class:`Job` runs one or more parameter sets over the same seeds in one spawned process
(the server's event loop never runs a model; numba's parallel kernels are never entered from
two threads). Finished results go into a cache shared by every session of the server, keyed
by the parameters, seeds and years, so asking again (another session, switching back) is
instant. Two sessions asking for the same run while it is computing share one job; a job is
stopped only when every session that waits for it has cancelled.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue as queue_mod
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

import xarray as xr

from urbsim.inputs.params import ModelParams


@dataclass(frozen=True)
class Request:
    """What to run: parameters, seeds and years."""

    params: ModelParams
    seeds: tuple[int, ...]
    steps: int

    @property
    def key(self) -> str:
        """A short hash of the request: equal requests share it (the cache key)."""
        blob = json.dumps([self.params.model_dump(mode="json"), self.seeds, self.steps],
                          sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


@dataclass
class Result:
    """A finished request: the runs (``seed`` dim) and their indicators per step."""

    runs: xr.Dataset
    series: xr.Dataset


class Cache:
    """Finished results by request key, the least recently used dropped beyond ``size``."""

    def __init__(self, size: int = 32):
        self.size = size
        self._items: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Result | None:
        """The result of request ``key``, or None if it is not cached."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: str, runs: xr.Dataset) -> Result:
        """Cache ``runs`` of request ``key`` with their indicators per step; the result."""
        from urbsim.analysis.summary import series

        result = Result(runs, series(runs))
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return result


@dataclass
class Job:
    """Requests computed one after the other in a background process."""

    requests: list[Request]
    """What to compute, in order."""
    cache: Cache
    """Where finished results go."""
    done_steps: int = 0
    """Model years finished so far (of :attr:`total_steps`)."""
    state: str = "running"
    """``running``, ``done``, ``failed`` or ``cancelled``."""
    error: str = ""
    """Why the job failed (empty unless ``failed``)."""
    waiting: int = 1
    """Sessions waiting for the job."""
    _process: BaseProcess | None = field(default=None, repr=False)
    _queue: Queue[tuple[Any, ...]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total_steps(self) -> int:
        """Model years to compute: seeds × years of every request."""
        return sum(len(r.seeds) * r.steps for r in self.requests)

    def start(self) -> Job:
        """Start the background process; the job itself."""
        ctx = multiprocessing.get_context("spawn")
        self._queue = ctx.Queue()
        self._process = ctx.Process(target=_child, args=(self.requests, self._queue), daemon=True,
                                    name="urbsim-workshop-run")
        self._process.start()
        return self

    def poll(self) -> str:
        """Take in the process's news; the job's :attr:`state`."""
        with self._lock:
            while self.state == "running":
                assert self._queue is not None and self._process is not None  # start() has run
                try:
                    kind, *rest = self._queue.get_nowait()
                except queue_mod.Empty:
                    if not self._process.is_alive() and self._process.exitcode not in (0, None):
                        self.state, self.error = "failed", (
                            f"the run process stopped (exit code {self._process.exitcode})")
                    break
                if kind == "step":
                    self.done_steps += 1
                elif kind == "result":
                    self.cache.put(*rest)
                elif kind == "error":
                    self.state, self.error = "failed", rest[0]
                elif kind == "end":
                    self.state = "done"
                    self._process.join(timeout=5)
            return self.state

    def cancel(self) -> None:
        """One waiting session gives up; the process stops when none is left."""
        with self._lock:
            self.waiting -= 1
            if self.waiting > 0 or self.state != "running":
                return
            self.state = "cancelled"
            assert self._process is not None  # start() has run
            self._process.terminate()
            self._process.join(timeout=5)


class Runner:
    """Starts jobs for sessions, sharing the cache and jobs in progress between them."""

    def __init__(self, cache_size: int = 32):
        self.cache = Cache(cache_size)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def submit(self, requests: list[Request]) -> Job | None:
        """A job computing what of ``requests`` is not cached (``None``: all cached)."""
        unique = {r.key: r for r in requests}  # e.g. a tried scenario that is the baseline
        todo = [r for r in unique.values() if self.cache.get(r.key) is None]
        if not todo:
            return None
        joint = "+".join(r.key for r in todo)
        with self._lock:
            job = self._jobs.get(joint)
            if job is not None and job.poll() == "running":
                job.waiting += 1
                return job
            job = self._jobs[joint] = Job(todo, self.cache).start()
            for k in [k for k, j in self._jobs.items() if j.state != "running"]:
                del self._jobs[k]
            return job


def _child(requests: list[Request], q: Queue[tuple[Any, ...]]) -> None:
    """In the background process: run every request, reporting each step."""
    import numba

    from urbsim.engine.runner import run_seeds

    # numba.config sets its options at run time, unseen by type checkers
    numba.set_num_threads(min(os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    try:
        for r in requests:
            runs = run_seeds(r.params, r.seeds, r.steps, workers=1,
                             on_step=lambda: q.put(("step",)))
            q.put(("result", r.key, runs))
    except Exception as e:  # reported to the page, which shows it
        q.put(("error", f"{type(e).__name__}: {e}"))
    q.put(("end",))
