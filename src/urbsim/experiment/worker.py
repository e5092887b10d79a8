"""What runs on a Dask worker: runs into their regions of the store, and the warm-up.

A task runs a batch of runs one after the other (:func:`execute_batch`); each run is written
into its region of the store as soon as it is done (:func:`execute`), tried again on the spot
if it raises, and reported with its own outcome, so that a batch is only a way of paying Dask's
cost per task once for several runs.

Runs within a worker process are serialised by a lock, because numba's parallel kernels must
not be entered from two Python threads at once (a cluster started with several threads per
worker stays safe). numba's thread count is a per-thread setting, so each run sets it in the
thread that runs it.

This module is also a Dask preload: a worker started with it (``LocalCluster(preload=...)``,
or ``dask worker --preload urbsim.experiment.worker`` on a cluster) imports the model and
loads every kernel from numba's cache while it starts, so that its first run costs no more
than the others.
"""

from __future__ import annotations

import atexit
import gc
import logging
import signal
import threading
import time
from pathlib import Path

import numpy as np

from urbsim.common.memory import reuse_freed_memory
from urbsim.common.recording import Level
from urbsim.experiment import store
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import FORMATS, ModelParams, update

_LOCK = threading.Lock()

Run = tuple[tuple[int, int, int], dict, int]
"""A run of a batch: its index ``(scenario, design point, seed)``, the parameter values of its
design point by dotted key, and its seed."""

Result = tuple[tuple[int, int, int], float, str]
"""What became of a run of a batch: its index, the seconds it took (its attempts, written
into the store), and ``""`` or the error of its last attempt (``"Type: message"``)."""


def execute(path: str, digest: str, index: tuple[int, int, int], params: ModelParams,
            overrides: dict, seed: int, steps: int, indicators: tuple[str, ...],
            variables: tuple[str, ...], threads: int, record: Level = 1
            ) -> tuple[int, int, int]:
    """One run with ``threads`` numba threads, recorded at level ``record``, written into
    its region of the store."""
    import numba

    from urbsim.analysis.summary import indicators as compute
    from urbsim.engine import runner

    with _LOCK:
        # numba.config sets its options at run time, unseen by type checkers
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
        model = runner.simulate(update(params, overrides) if overrides else params, seed, steps,
                                record=record)
    with model:
        data = model.recorded()
        values = compute(data, model.milieus.codes, SEGMENTS, FORMATS)
    store.write_run(Path(path), digest, index, np.stack([values[k] for k in indicators]),
                    {f: data[f] for f in variables})
    return index


def execute_batch(path: str, digest: str, runs: list[Run], params: dict[int, ModelParams],
                  steps: int, indicators: tuple[str, ...], variables: tuple[str, ...],
                  threads: int, record: Level = 1, retries: int = 0) -> list[Result]:
    """Runs one after the other (:func:`execute`: each is in the store when the next starts).

    Args:
        path: the store.
        digest: the experiment's digest (:func:`urbsim.experiment.store.write_run`).
        runs: the runs, in order; run ``(i, j, k)`` takes scenario ``params[i]``.
        params: the model parameters of the scenarios the runs use, by scenario index.
        steps: steps of every run.
        indicators: the indicators kept, in the store's order.
        variables: the recorded variables kept.
        threads: numba threads of every run.
        record: the recording level of every run.
        retries: further attempts of a run that raised, at once in this worker, before its
            error is reported (the next run is tried all the same).

    Returns:
        A :data:`Result` per run, in order; fewer only when the task was cancelled by its
        client (a stopped sweep), which checks between runs.
    """
    out: list[Result] = []
    for index, overrides, seed in runs:
        if _cancelled():
            break
        t = time.perf_counter()
        error = ""
        for _ in range(retries + 1):
            try:
                execute(path, digest, index, params[index[0]], overrides, seed, steps,
                        indicators, variables, threads, record)
            except Exception as e:
                error = f"{type(e).__name__}: {e}"
            else:
                error = ""
                break
        out.append((index, time.perf_counter() - t, error))
    return out


def _cancelled() -> bool:
    """Whether the Dask task running this code was cancelled (False outside a Dask task)."""
    try:
        from distributed import get_worker
        from distributed.worker import thread_state

        task = get_worker().state.tasks.get(thread_state.key)
    except (ImportError, ValueError, AttributeError):
        return False
    return task is not None and task.state == "cancelled"


def warm_up() -> None:
    """Import the model and load every kernel (:func:`urbsim.engine.runner.warm_up`)."""
    from urbsim.engine import runner

    with _LOCK:
        runner.warm_up()


def dask_setup(worker) -> None:
    """Dask's preload hook (called with the starting worker): warm it up before it takes runs.

    A worker process under a nanny ignores SIGINT: Ctrl-C at a terminal reaches every process
    of the group, and its nanny (in the client, for the local cluster) stops it cleanly, where
    the interrupt would print a traceback of the worker's event loop. A failing warm-up does
    not stop the worker: the same error then fails its runs, where it is retried and recorded
    in the store with the run it belongs to.

    At exit, the worker freezes Python's garbage collector: the interpreter's last collections
    would otherwise walk every object of the model's imports (a second or more, under load)
    while the client waits for its workers to stop."""
    if worker.nanny is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(gc.freeze)
    reuse_freed_memory()  # a worker runs model after model
    try:
        warm_up()
    except Exception as e:
        logging.getLogger(__name__).warning("urbsim warm-up failed: %s: %s", type(e).__name__, e)
