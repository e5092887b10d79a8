"""Running an experiment on Dask: a ``LocalCluster`` by default, or any cluster by address.

The client submits runs in batches (:data:`BATCH_SECONDS` of runs per task; at most a few
tasks per worker thread at a time, so its memory stays flat whatever the size of the sweep);
each worker runs a batch's runs one after the other and writes each into the store as soon as
it is done (:mod:`urbsim.experiment.worker`); the client only records failures. A run that
raises is retried (``retries``), then recorded as failed with its error while the sweep goes
on; a task whose worker dies is rescheduled by Dask on another worker (its runs already done
are written again, with the same bytes). Starting again resumes: runs already done are
skipped. Progress is reported per run, as each task comes back.

The cluster is reached (or started) before the store is created, so a scheduler address that
is malformed or where no scheduler answers is an :class:`~urbsim.common.errors.InputError`
naming it, and leaves nothing behind. The local cluster serves its dashboards (and health
checks) on the loopback address only unless ``dashboard_address`` says otherwise; its worker
processes leave Ctrl-C to the client, which stops them (:func:`urbsim.experiment.worker.dask_setup`).

Workers use one Dask thread each and an explicit number of numba threads (local workers also
start with ``NUMBA_NUM_THREADS``, so numba starts no more threads than that). Local workers
preload :mod:`urbsim.experiment.worker`: they import the model and load the kernels from
numba's cache while they start, so the first run of a worker costs what the others do, and
stop without Python's last garbage collections over all that (a second or more per worker).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from urbsim.common.scheduler import client as scheduler_client
from urbsim.experiment import store, worker
from urbsim.experiment.plan import Plan

LOOPBACK = "127.0.0.1:0"
"""The local cluster's dashboard address by default: this machine only, a free port."""


@dataclass
class Outcome:
    """What a sweep did."""

    total: int
    """Runs of the plan."""
    skipped: int
    """Runs already done in the store (not run again)."""
    done: int = 0
    """Runs done by this sweep."""
    failed: int = 0
    """Runs that failed in this sweep (after their retries)."""
    torn: int = 0
    """Runs found done but torn (checksum) when resuming, and run again."""
    seconds: float = 0.0
    """Wall time of the runs (0 when none was left to do)."""
    failures: list[tuple[tuple[int, int, int], str]] = field(default_factory=list)
    """``((scenario, design point, seed), error)`` of every failed run."""
    tasks: int = 0
    """Dask tasks the runs were batched into (:data:`BATCH_SECONDS`)."""


@dataclass(frozen=True)
class Start:
    """Reported once the store is ready and the cluster is up."""

    total: int
    """Runs of the plan."""
    skipped: int
    """Runs already done in the store."""
    resumed: bool
    """Whether an existing store is resumed."""
    workers: int
    """Dask workers (0 when no run is left to do)."""
    dashboard: str | None
    """Link to Dask's dashboard (None unless asked for)."""
    torn: int = 0
    """Runs found done but torn (checksum), to be run again."""


def run(plan: Plan, path: Path, *, workers: int | None = None, scheduler: str | None = None,
        threads: int | None = None, overwrite: bool = False, retries: int = 2,
        dashboard: bool = False, dashboard_address: str = LOOPBACK,
        on_start: Callable[[Start], None] | None = None,
        on_progress: Callable[[int, int], None] | None = None) -> Outcome:
    """Run (or resume) every run of ``plan`` not yet done in the store at ``path``.

    Args:
        plan: the experiment, resolved into runs.
        path: the store (a zarr directory); created, or resumed if it holds this plan's store.
        workers: local worker processes (default: one per core); ignored with ``scheduler``.
        scheduler: address of a running Dask scheduler (``tcp://host:8786``); its workers
            must see ``path`` (a shared file system).
        threads: numba threads per worker (default: cores // workers locally, 1 on a cluster).
        overwrite: start a new store even if ``path`` holds one.
        retries: further attempts of a run that raised, before it is recorded as failed.
        dashboard: serve Dask's dashboard (its link goes to ``on_start``).
        dashboard_address: where the local cluster's scheduler serves its dashboard and
            health checks (default: this machine only, a free port).
        on_start: called once with the :class:`Start` when the store is ready and the
            cluster is up (also when no run is left to do).
        on_progress: called with (runs done, runs failed) for every run, as its task comes
            back (:data:`BATCH_SECONDS`).

    Returns:
        What the sweep did: runs skipped, done and failed, and the failures' errors.

    Raises:
        InputError: a store of another experiment at ``path``; a ``scheduler`` address that
            does not parse or where no scheduler answers (nothing is created then).
    """
    resumed = path.exists() and not overwrite
    local = scheduler is None
    workers = workers or os.cpu_count() or 1
    threads = threads or (max(1, (os.cpu_count() or 1) // workers) if local else 1)
    if resumed:  # checked before any cluster starts: a wrong store is refused at once
        store.attach(path, plan)
        store.tidy(path)
        state = store.status(path)
        torn = set(store.verify(path, plan.digest, plan.spec.output.variable_names,
                                [idx for idx in plan.runs() if state[idx] == store.DONE]))
        todo = [idx for idx in plan.runs() if state[idx] != store.DONE or idx in torn]
        for idx in todo:  # failed and torn runs are cleared: a success leaves no trace
            if state[idx] != store.PENDING:
                store.mark(path, plan.digest, idx, store.PENDING)
    else:
        todo, torn = list(plan.runs()), set()
    out = Outcome(plan.total, plan.total - len(todo), torn=len(torn))
    t0 = time.perf_counter()
    if not todo:
        if on_start is not None:
            on_start(Start(plan.total, out.skipped, resumed, 0, None, out.torn))
        return out
    with connect(workers, scheduler, threads, dashboard, dashboard_address) as client:
        if not resumed:  # once the cluster is reached: a bad address leaves no store
            store.create(path, plan)
        nthreads = sum(client.nthreads().values()) or 1
        if on_start is not None:
            on_start(Start(plan.total, out.skipped, resumed, len(client.nthreads()),
                           client.dashboard_link if dashboard else None, out.torn))
        _submit_all(client, plan, path, todo, retries, threads, nthreads, out, on_progress)
        store.tidy(path)  # every task came back: a killed worker's temporary file is litter
    out.seconds = time.perf_counter() - t0
    return out


BATCH_SECONDS = 1.0
"""About how long one task runs. Runs are batched into tasks of about this many seconds, timed
by the runs done so far (one run per task until the first are done), so that Dask's own cost
per task (scheduling, messages, the client's loop: milliseconds of CPU, taken from the same
cores as the runs) is paid about once a second rather than once per run. The last tasks of a
sweep are smaller (at most 1/(2 × threads) of the runs not yet submitted), so that the workers
finish together. Each run is in the store as soon as it is done, and reported (``on_progress``)
when its task comes back."""


def _submit_all(client, plan: Plan, path: Path, todo: list, retries: int, threads: int,
                nthreads: int, out: Outcome, on_progress) -> None:
    """Run ``todo`` in batches (:func:`urbsim.experiment.worker.execute_batch`), at most
    ``2 * nthreads + 2`` tasks at a time, and record every run's outcome in ``out``.

    A run that raised (after its retries, in its worker) is marked failed in the store here.
    A task that failed as a whole (its worker died too often, say) has its runs not done
    (in the store) submitted again one per task, so that a failure stays with its run."""
    from distributed import as_completed

    params = list(plan.scenarios.values())
    spec = plan.spec.output
    window = 2 * nthreads + 2
    pending = collections.deque(todo)
    batches: dict[str, list[tuple[int, int, int]]] = {}
    timed = [0.0, 0]  # seconds and number of the runs reported so far
    queue = as_completed()

    def size() -> int:
        if not timed[1]:
            return 1
        per_run = max(timed[0] / timed[1], 1e-6)
        return max(1, min(int(BATCH_SECONDS / per_run), len(pending) // (2 * nthreads)))

    def submit(batch: list[tuple[int, int, int]]) -> None:
        runs = [(idx, plan.overrides(idx[1]), int(plan.seeds[idx[2]])) for idx in batch]
        i, j, k = batch[0]
        name = f"urbsim-run-{i}-{j}-{k}" + (f"-{len(batch)}" if len(batch) > 1 else "")
        f = client.submit(worker.execute_batch, str(path), plan.digest, runs,
                          {idx[0]: params[idx[0]] for idx in batch}, plan.steps,
                          spec.indicators, spec.variable_names, threads, spec.record, retries,
                          key=f"{name}-{plan.digest}", retries=retries, pure=False)
        batches[f.key] = batch
        queue.add(f)
        out.tasks += 1

    def report(idx: tuple[int, int, int], error: str) -> None:
        if error:
            store.mark(path, plan.digest, idx, store.FAILED, error)
            out.failed += 1
            out.failures.append((idx, error))
        else:
            out.done += 1
        if on_progress is not None:
            on_progress(out.done, out.failed)

    def lost(batch: list[tuple[int, int, int]], error: str) -> None:
        """Runs of a task that did not report them: done if the store says so, else run
        again one per task (or failed, if the task held that run alone)."""
        if len(batch) == 1:
            report(batch[0], error)
            return
        state = store.status(path)
        for idx in batch:
            if state[idx] == store.DONE:
                report(idx, "")
            else:
                submit([idx])

    def fill() -> None:
        while pending and len(batches) < window:
            n = min(size(), len(pending))
            submit([pending.popleft() for _ in range(n)])

    fill()
    try:
        for future in queue:
            batch = batches.pop(future.key)
            try:
                results = future.result()
            except Exception as error:  # the task failed, or its result was lost
                lost(batch, f"{type(error).__name__}: {error}")
            else:
                for idx, seconds, message in results:
                    timed[0] += seconds
                    timed[1] += 1
                    report(idx, message)
                if len(results) < len(batch):  # not expected: only a cancelled task stops
                    lost(batch[len(results):], "RuntimeError: the task stopped early")
            fill()
    except BaseException:
        client.cancel(list(queue.futures))
        raise


QUIET = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
         "distributed.admin.system-monitor.interval": "2s",
         "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask settings of the local cluster: runs are long CPU-bound tasks, and Dask's sampling
profiler (every 10 ms) and event-loop checks (every 20 ms) took the GIL from them often enough
to slow runs by ~10 % (benchmarks/experiment.py); Dask's low threshold for giving freed memory
back to the system (64 KiB) made runs ~1 % slower than in a plain process, which keeps the C
library's own. Set them in your own Dask config for a cluster given by ``--scheduler``."""


@contextlib.contextmanager
def connect(workers: int, scheduler: str | None, threads: int, dashboard: bool = False,
            dashboard_address: str = LOOPBACK) -> Iterator:
    """A Dask client: to ``scheduler`` (:func:`client`), or to a new ``LocalCluster`` of
    ``workers`` processes with one Dask thread and at most ``threads`` numba threads each,
    its dashboard served at ``dashboard_address`` (closed on exit)."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with scheduler_client(scheduler) as c:
            yield c
        return
    import dask

    with dask.config.set(QUIET), LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=dashboard_address, scheduler_kwargs={"dashboard": dashboard},
            env={"NUMBA_NUM_THREADS": str(threads)}, preload=[worker.__name__],
            silence_logs=logging.CRITICAL) as cluster, Client(cluster) as c:
        yield c

