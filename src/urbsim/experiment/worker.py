"""What runs on a Dask worker: one run into its region of the store, and the warm-up.

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

import logging
import signal
import threading
from pathlib import Path

import numpy as np

from urbsim.common.recording import Level
from urbsim.experiment import store
from urbsim.inputs.milieus import SEGMENTS
from urbsim.inputs.params import FORMATS, ModelParams, update

_LOCK = threading.Lock()


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
    data = model.recorded()
    values = compute(data, model.milieus.codes, SEGMENTS, FORMATS)
    store.write_run(Path(path), digest, index, np.stack([values[k] for k in indicators]),
                    {f: data[f] for f in variables})
    return index


def warm_up() -> None:
    """Import the model and load every kernel (a tiny run of two steps)."""
    from urbsim.engine import runner
    from urbsim.inputs.params import CityParams

    with _LOCK:
        runner.simulate(ModelParams(households=500, city=CityParams(neighbourhoods=10)), 0, 2)


def dask_setup(worker) -> None:
    """Dask's preload hook (called with the starting worker): warm it up before it takes runs.

    A worker process under a nanny ignores SIGINT: Ctrl-C at a terminal reaches every process
    of the group, and its nanny (in the client, for the local cluster) stops it cleanly, where
    the interrupt would print a traceback of the worker's event loop. A failing warm-up does
    not stop the worker: the same error then fails its runs, where it is retried and recorded
    in the store with the run it belongs to."""
    if worker.nanny is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        warm_up()
    except Exception as e:
        logging.getLogger(__name__).warning("urbsim warm-up failed: %s: %s", type(e).__name__, e)
