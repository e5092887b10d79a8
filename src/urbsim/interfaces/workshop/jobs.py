"""Runs for the workshop app: seeds in background processes, progress, cancel, a shared cache.

A :class:`Job` runs one or more parameter sets over the same seeds in a run process (the
server's event loop never runs a model; numba's parallel kernels are never entered from two
threads). The :class:`Runner` keeps a pool of at most ``processes`` run processes
(:class:`Worker`, one per core by default). A run process, once it has imported urbsim and
loaded the kernels, runs job after job; jobs beyond the pool wait their turn, first come first
served. A burst of Runs (a room of ten sessions pressing Run at once) thus shares the cores
between as many processes as there are cores, each started once, instead of starting a process
per Run, all of which would finish late together (``python -m benchmarks.workshop --burst
10``). When no job runs and no run process waits, the runner starts one ahead of the next Run,
loading the kernels while nobody waits, so that a Run starts computing at once. Finished
results go into a cache shared by every session of the server, keyed by the parameters, seeds
and years, so asking again (another session, switching back) is instant. Two sessions asking
for the same run while it is computing or waiting share one job; a job is stopped (its
process ended, a waiting one never started) only when every session that waits for it has
cancelled. A run process whose server is gone (killed, so that no clean-up ran) ends by
itself: it looks every second while it waits, and at every step while it runs.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue as queue_mod
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
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
    """Requests computed one after the other in a run process, once one is free."""

    requests: list[Request]
    """What to compute, in order."""
    cache: Cache
    """Where finished results go."""
    done_steps: int = 0
    """Model years finished so far (of :attr:`total_steps`)."""
    state: str = "running"
    """``running`` (computing, or waiting for a run process: :attr:`queued`), ``done``,
    ``failed`` or ``cancelled``."""
    error: str = ""
    """Why the job failed (empty unless ``failed``)."""
    waiting: int = 1
    """Sessions waiting for the job."""
    _worker: Worker | None = field(default=None, repr=False)
    """The run process computing the job (``None`` while it waits for one)."""
    _finished: bool = field(default=False, repr=False)
    """The run process said the job ended: it is free for another."""
    _on_end: Callable[[Job], None] | None = field(default=None, repr=False)
    """Called once, with the job, when it is done, failed or cancelled."""
    _on_wait: Callable[[], None] | None = field(default=None, repr=False)
    """Called when a waiting job is polled: the runner looks for a free run process."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def total_steps(self) -> int:
        """Model years to compute: seeds × years of every request."""
        return sum(len(r.seeds) * r.steps for r in self.requests)

    @property
    def queued(self) -> bool:
        """Whether the job waits for a free run process."""
        return self.state == "running" and self._worker is None

    def start(self, worker: Worker) -> Job:
        """Hand the requests to ``worker``; the job itself."""
        with self._lock:
            self._worker = worker
        worker.inbox.put(self.requests)
        return self

    def poll(self) -> str:
        """Take in the run process's news; the job's :attr:`state`. A waiting job first lets
        the runner look for a free process. A job that ended calls its ``_on_end`` once,
        after releasing its lock: the runner polls a job under the runner's lock, and
        ``_on_end`` takes that lock (called under the job's, the two threads could wait for
        each other for ever)."""
        if self.queued and self._on_wait is not None:
            self._on_wait()
        on_end = None
        with self._lock:
            worker = self._worker
            while self.state == "running" and worker is not None:
                try:
                    kind, *rest = worker.outbox.get_nowait()
                except queue_mod.Empty:
                    process = worker.process
                    if not process.is_alive() and process.exitcode not in (0, None):
                        self.state, self.error = "failed", (
                            f"the run process stopped (exit code {process.exitcode})")
                    break
                if kind == "step":
                    self.done_steps += 1
                elif kind == "result":
                    self.cache.put(*rest)
                elif kind == "error":  # the process goes on to say "end"
                    self.error = rest[0]
                elif kind == "end":
                    self.state = "failed" if self.error else "done"
                    self._finished = True
            if self.state != "running":
                self._on_end, on_end = None, self._on_end
            state = self.state
        if on_end is not None:
            on_end(self)
        return state

    def join(self) -> bool:
        """One more session waits for the job, if it has not ended (a session that gave up in
        between may have cancelled it: then ``False``)."""
        with self._lock:
            if self.state != "running":
                return False
            self.waiting += 1
            return True

    def cancel(self) -> None:
        """One waiting session gives up; when none is left the job is cancelled: its run
        process ends (a waiting job never starts), then ``_on_end`` outside the lock as in
        :meth:`poll`."""
        with self._lock:
            self.waiting -= 1
            if self.waiting > 0 or self.state != "running":
                return
            self.state = "cancelled"
            if self._worker is not None:
                self._worker.process.terminate()
                self._worker.process.join(timeout=5)
            self._on_end, on_end = None, self._on_end
        if on_end is not None:
            on_end(self)


@dataclass(frozen=True)
class Worker:
    """A spawned run process: it imports urbsim and loads the kernels as it starts, then runs
    the jobs it is given, one after another."""

    process: BaseProcess
    inbox: Queue[Any]
    """Takes each job's requests (``None``: end)."""
    outbox: Queue[tuple[Any, ...]]
    """Gives the news of the job it runs: ``("step",)``, ``("result", key, runs)``,
    ``("error", text)``, then ``("end",)``."""

    @classmethod
    def start(cls, ahead: bool = False) -> Worker:
        """Spawn a process that waits for its jobs; started ``ahead`` of them, it loads the
        kernels first (else its first run does)."""
        ctx = multiprocessing.get_context("spawn")
        inbox, outbox = ctx.Queue(), ctx.Queue()
        process = ctx.Process(target=_child, args=(inbox, outbox, ahead), daemon=True,
                              name="urbsim-workshop-run")
        process.start()
        return cls(process, inbox, outbox)

    def end(self) -> None:
        """Tell the process to end once it waits for a job, and wait for it."""
        self.inbox.put(None)
        self.process.join(timeout=60)


class Runner:
    """Starts jobs for sessions in a pool of at most ``processes`` run processes (default:
    one per core), sharing the cache and jobs in progress between the sessions."""

    def __init__(self, cache_size: int = 32, processes: int | None = None):
        self.cache = Cache(cache_size)
        self.processes = max(1, processes or os.cpu_count() or 1)
        """Run processes at most (each job runs in one; the others wait their turn)."""
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()  # jobs waiting for a run process, in order
        self._idle: list[Worker] = []  # run processes waiting for a job
        self._lock = threading.RLock()  # a job polled under it calls _ended

    def close(self) -> None:
        """End the run processes that wait for a job (jobs in progress go on)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.end()

    def submit(self, requests: list[Request]) -> Job | None:
        """A job computing what of ``requests`` is not cached (``None``: all cached), started
        at once if a run process is free, else queued."""
        unique = {r.key: r for r in requests}  # e.g. a tried scenario that is the baseline
        todo = [r for r in unique.values() if self.cache.get(r.key) is None]
        if not todo:
            return None
        joint = "+".join(r.key for r in todo)
        with self._lock:
            job = self._jobs.get(joint)
            if job is not None and job.poll() == "running" and job.join():
                return job
            job = self._jobs[joint] = Job(todo, self.cache, _on_end=self._ended,
                                          _on_wait=self._advance)
            self._queue.append(job)
            self._advance()
            for k in [k for k, j in self._jobs.items() if j.state != "running"]:
                del self._jobs[k]
            return job

    def place(self, job: Job) -> int:
        """The place of ``job`` in the queue of jobs waiting for a run process (1: next), or
        0 if it does not wait."""
        with self._lock:
            return next((k + 1 for k, j in enumerate(self._queue) if j is job), 0)

    def _advance(self) -> None:
        """Take in the news of the jobs computing (a job that ended frees its process, even
        if no session polls it any more), then start waiting jobs on free processes."""
        with self._lock:
            for job in [j for j in self._jobs.values() if j._worker is not None]:
                job.poll()  # an ended one calls _ended
            self._assign()

    def _ended(self, job: Job) -> None:
        """A job ended: its process, if it finished the job, runs the next waiting one."""
        with self._lock:
            worker = job._worker
            if worker is not None and job._finished and worker.process.is_alive():
                self._idle.append(worker)
            if job in self._queue:  # cancelled while it waited
                self._queue.remove(job)
            self._assign()

    def _assign(self) -> None:
        """Start waiting jobs while a run process is free (an idle one, or a new one while
        the pool is not full); with no job running or waiting, keep one process ready."""
        computing = sum(j.state == "running" and j._worker is not None
                        for j in self._jobs.values())
        self._idle = [w for w in self._idle if w.process.is_alive()]
        while self._queue and (self._idle or computing < self.processes):
            job = self._queue.popleft()
            if job.state != "running":
                continue
            job.start(self._idle.pop() if self._idle else Worker.start())
            computing += 1
        if not computing and not self._idle:  # started while a job runs, it takes a core
            self._idle.append(Worker.start(ahead=True))


ORPHAN_CHECK = 1.0
"""Seconds between a waiting run process's checks that the server is still there (a killed
server's run processes would otherwise wait for jobs for ever)."""


def _child(inbox: Queue[Any], q: Queue[tuple[Any, ...]], ahead: bool) -> None:
    """In the background process: get ready (started ``ahead`` of its work: load the kernels
    with a tiny run), then run each job given, reporting each step, until told to end."""
    import numba

    from urbsim.common.memory import reuse_freed_memory
    from urbsim.engine.runner import run_seeds, warm_up

    reuse_freed_memory()  # a run process runs model after model
    # numba.config sets its options at run time, unseen by type checkers
    numba.set_num_threads(min(os.cpu_count() or 1, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    if ahead:
        warm_up()
    parent = multiprocessing.parent_process()

    def step() -> None:
        if parent is not None and not parent.is_alive():
            q.cancel_join_thread()  # nobody reads the news any more
            raise SystemExit
        q.put(("step",))

    while True:
        try:  # the queue never ends by itself: this process holds its writing end too
            requests = inbox.get(timeout=ORPHAN_CHECK)
        except queue_mod.Empty:
            if parent is not None and not parent.is_alive():
                return  # the server was killed: its run processes must not outlive it
            continue
        if requests is None:
            return
        try:
            for r in requests:
                runs = run_seeds(r.params, r.seeds, r.steps, workers=1, on_step=step)
                q.put(("result", r.key, runs))
        except Exception as e:  # reported to the page, which shows it
            q.put(("error", f"{type(e).__name__}: {e}"))
        q.put(("end",))
