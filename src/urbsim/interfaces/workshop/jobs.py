"""Runs for the workshop app: seeds in a background process, progress, cancel, a shared cache.

A :class:`Job` runs one or more parameter sets over the same seeds in one spawned process
(the server's event loop never runs a model; numba's parallel kernels are never entered from
two threads). The :class:`Runner` keeps a spare process, started when the last job ended,
that has imported urbsim and loaded the kernels while nobody waits (a :class:`Worker`), so
that a Run starts computing at once instead of spending a second or more of its time starting
a process. Finished results go into a cache shared by every session of the server, keyed by
the parameters, seeds and years, so asking again (another session, switching back) is
instant. Two sessions asking for the same run while it is computing share one job; a job is
stopped only when every session that waits for it has cancelled. A run process whose server
is gone (killed, so that no clean-up ran) ends by itself: it looks every second while it
waits, and at every step while it runs.
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
    _worker: Worker | None = field(default=None, repr=False)
    """Held while the job lives: a queue dropped before the process has read it breaks it."""
    _on_end: Any = field(default=None, repr=False)
    """Called once when the job is done, failed or cancelled."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total_steps(self) -> int:
        """Model years to compute: seeds × years of every request."""
        return sum(len(r.seeds) * r.steps for r in self.requests)

    def start(self, worker: Worker | None = None) -> Job:
        """Hand the requests to ``worker`` (default: a new one); the job itself."""
        self._worker = worker = worker or Worker.start()
        self._process, self._queue = worker.process, worker.outbox
        worker.inbox.put(self.requests)
        return self

    def poll(self) -> str:
        """Take in the process's news; the job's :attr:`state`. A job that ended calls its
        ``_on_end`` once, after releasing its lock: the runner's ``submit`` polls a job under
        the runner's lock, and ``_on_end`` takes that lock (called under the job's, the two
        threads could wait for each other for ever)."""
        on_end = None
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
            if self.state != "running":
                self._on_end, on_end = None, self._on_end
            state = self.state
        if on_end is not None:
            on_end()
        return state

    def join(self) -> bool:
        """One more session waits for the job, if it still runs (a session that gave up in
        between may have cancelled it: then ``False``)."""
        with self._lock:
            if self.state != "running":
                return False
            self.waiting += 1
            return True

    def cancel(self) -> None:
        """One waiting session gives up; the process stops when none is left (then
        ``_on_end``, outside the lock as in :meth:`poll`)."""
        with self._lock:
            self.waiting -= 1
            if self.waiting > 0 or self.state != "running":
                return
            self.state = "cancelled"
            assert self._process is not None  # start() has run
            self._process.terminate()
            self._process.join(timeout=5)
            self._on_end, on_end = None, self._on_end
        if on_end is not None:
            on_end()


@dataclass(frozen=True)
class Worker:
    """A spawned run process: it imports urbsim and loads the kernels as it starts, then runs
    the requests it is given (one job) and ends."""

    process: BaseProcess
    inbox: Queue[Any]
    """Takes the job's requests (``None``: end without running)."""
    outbox: Queue[tuple[Any, ...]]
    """Gives the job's news: ``("step",)``, ``("result", key, runs)``, ``("error", text)``,
    ``("end",)``."""

    @classmethod
    def start(cls, ahead: bool = False) -> Worker:
        """Spawn a process that waits for its requests; started ``ahead`` of them, it loads
        the kernels first (else its first run does)."""
        ctx = multiprocessing.get_context("spawn")
        inbox, outbox = ctx.Queue(), ctx.Queue()
        process = ctx.Process(target=_child, args=(inbox, outbox, ahead), daemon=True,
                              name="urbsim-workshop-run")
        process.start()
        return cls(process, inbox, outbox)


class Runner:
    """Starts jobs for sessions, sharing the cache and jobs in progress between them, each in
    the spare :class:`Worker` started when the last job ended."""

    def __init__(self, cache_size: int = 32):
        self.cache = Cache(cache_size)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.RLock()  # a job polled under it may call _replenish
        self._spare: Worker | None = None

    def close(self) -> None:
        """End the spare worker (jobs in progress go on)."""
        if self._spare is not None:
            self._spare.inbox.put(None)
            self._spare.process.join(timeout=60)
            self._spare = None

    def _worker(self) -> Worker:
        """The spare worker, or a new one if there is none (or it died)."""
        worker = self._spare if self._spare is not None and self._spare.process.is_alive() \
            else Worker.start()
        self._spare = None
        return worker

    def _replenish(self) -> None:
        """Start a spare worker for the next job once a job has ended: starting it while a
        job runs would take a core from that job."""
        with self._lock:
            if self._spare is None and not any(j.state == "running" for j in self._jobs.values()):
                self._spare = Worker.start(ahead=True)

    def submit(self, requests: list[Request]) -> Job | None:
        """A job computing what of ``requests`` is not cached (``None``: all cached)."""
        unique = {r.key: r for r in requests}  # e.g. a tried scenario that is the baseline
        todo = [r for r in unique.values() if self.cache.get(r.key) is None]
        if not todo:
            return None
        joint = "+".join(r.key for r in todo)
        with self._lock:
            job = self._jobs.get(joint)
            if job is not None and job.poll() == "running" and job.join():
                return job
            job = self._jobs[joint] = Job(todo, self.cache, _on_end=self._replenish).start(
                self._worker())
            for k in [k for k, j in self._jobs.items() if j.state != "running"]:
                del self._jobs[k]
            return job


ORPHAN_CHECK = 1.0
"""Seconds between a waiting run process's checks that the server is still there (a killed
server's spare would otherwise wait for its requests for ever)."""


def _child(inbox: Queue[Any], q: Queue[tuple[Any, ...]], ahead: bool) -> None:
    """In the background process: get ready (started ``ahead`` of its work: load the kernels
    with a tiny run), then run every request given, reporting each step."""
    import numba

    from urbsim.common.memory import reuse_freed_memory
    from urbsim.engine.runner import run_seeds, warm_up

    reuse_freed_memory()  # a run process runs model after model
    # numba.config sets its options at run time, unseen by type checkers
    numba.set_num_threads(min(os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    if ahead:
        warm_up()
    parent = multiprocessing.parent_process()
    while True:  # the queue never ends by itself: this process holds its writing end too
        try:
            requests = inbox.get(timeout=ORPHAN_CHECK)
            break
        except queue_mod.Empty:
            if parent is not None and not parent.is_alive():
                return  # the server was killed: a spare must not outlive it
    if requests is None:
        return

    def step() -> None:
        if parent is not None and not parent.is_alive():
            q.cancel_join_thread()  # nobody reads the news any more
            raise SystemExit
        q.put(("step",))

    try:
        for r in requests:
            runs = run_seeds(r.params, r.seeds, r.steps, workers=1, on_step=step)
            q.put(("result", r.key, runs))
    except Exception as e:  # reported to the page, which shows it
        q.put(("error", f"{type(e).__name__}: {e}"))
    q.put(("end",))
