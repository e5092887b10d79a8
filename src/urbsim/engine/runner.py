"""Run one parameter set over several seeds, in parallel processes, into one dataset with a
``seed`` dimension.

Each seed is an independent run; the result of a seed does not depend on the number of worker
processes or numba threads (counter-based random numbers), so ``workers`` changes only speed.
Workers are spawned (not forked: numba's thread pools do not survive a fork) and each uses
``cpu_count // workers`` numba threads.
"""

from __future__ import annotations

import os
import queue as queue_mod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING, Any, cast

from urbsim.common.recording import Level
from urbsim.inputs.params import ModelParams

if TYPE_CHECKING:
    import xarray as xr

    from urbsim.engine.model import UrbanModel

_progress: Queue[Any] | None = None  # in a worker: the queue that receives one item per finished step


def simulate(params: ModelParams, seed: int, steps: int,
             on_step: Callable[[], None] | None = None, record: Level = 1) -> UrbanModel:
    """A model after ``steps`` steps recorded at level ``record``; ``on_step`` is called
    after each step. Close it when done (``with simulate(...) as model:``; see
    :meth:`~urbsim.engine.world.World.close`)."""
    from urbsim.engine.model import UrbanModel

    model = UrbanModel(params, seed=seed, expected_steps=steps, record=record)
    for _ in range(steps):
        model.step()
        if on_step is not None:
            on_step()
    return model


def warm_up() -> None:
    """Import the model and load the kernels a run uses (a tiny run of two steps), so that a
    process started ahead of its work does not spend its first run on that."""
    from urbsim.inputs.params import CityParams

    simulate(ModelParams(households=500, city=CityParams(neighbourhoods=10)), 0, 2).close()


def run_one(params: ModelParams, seed: int, steps: int,
            on_step: Callable[[], None] | None = None, record: Level = 1) -> xr.Dataset:
    """One run of ``steps`` steps as a dataset of the steps ``record`` keeps; ``on_step`` is
    called after each step."""
    with simulate(params, seed, steps, on_step, record) as model:
        return model.dataset()


def run_seeds(params: ModelParams, seeds: Sequence[int], steps: int, workers: int = 1,
              on_step: Callable[[], None] | None = None, record: Level = 1) -> xr.Dataset:
    """Runs for each seed, concatenated along a new ``seed`` dimension (in ``seeds`` order),
    of the steps ``record`` keeps.

    Attributes of the runs that differ (``seed``, ``created``) are dropped; ``seeds`` lists
    the seeds. ``on_step`` is called once per finished step of any run.
    """
    seeds = [int(s) for s in seeds]
    workers = max(1, min(workers, len(seeds)))
    if workers == 1:
        runs = [run_one(params, s, steps, on_step, record) for s in seeds]
    else:
        runs = _parallel(params, seeds, steps, workers, on_step, record)
    import xarray as xr  # only now: a run's steps do not need it (nor its start-up time)

    ds = xr.concat(runs, dim=xr.Variable("seed", seeds), combine_attrs="drop_conflicts")
    return ds.assign_attrs(seeds=seeds)


def worker_pool(workers: int, steps_done: Queue[Any] | None = None) -> ProcessPoolExecutor:
    """Spawned worker processes with ``cpu_count // workers`` numba threads each; if given,
    ``steps_done`` (a spawn-context queue) receives an item per finished step of
    :func:`run_one` called with ``on_step=report_step``."""
    threads = max(1, (os.cpu_count() or 1) // workers)
    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                               initializer=_init_worker, initargs=(steps_done, threads))


def _parallel(params: ModelParams, seeds: list[int], steps: int, workers: int,
              on_step: Callable[[], None] | None, record: Level) -> list[xr.Dataset]:
    steps_done = get_context("spawn").Queue()
    with worker_pool(workers, steps_done) as pool:
        futures = {pool.submit(run_one, params, s, steps, report_step, record): i
                   for i, s in enumerate(seeds)}
        runs: list[xr.Dataset | None] = [None] * len(seeds)
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                _drain(steps_done, on_step)
                for f in done:
                    runs[futures[f]] = f.result()
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        _drain(steps_done, on_step)
    return cast("list[xr.Dataset]", runs)  # every future has finished: no None is left


def _drain(q, on_step: Callable[[], None] | None) -> None:
    while True:
        try:
            q.get_nowait()
        except queue_mod.Empty:
            return
        if on_step is not None:
            on_step()


def _init_worker(q: Queue[Any] | None, threads: int) -> None:
    global _progress
    _progress = q
    import numba

    from urbsim.common.memory import reuse_freed_memory

    reuse_freed_memory()  # a worker runs model after model

    # numba.config sets its options at run time, unseen by type checkers
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]


def report_step() -> None:
    """In a worker of :func:`worker_pool`: report one finished step."""
    assert _progress is not None, "report_step needs a worker_pool given steps_done"
    _progress.put(1)
