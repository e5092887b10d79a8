"""What the batch scripts share (``housing.py``, ``sorting.py``, ``participation.py``): their
command-line options, running configurations over seeds, the 95 % t-interval of their tables
and writing them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from urbsim.common.errors import InputError
from urbsim.common.files import require_between, write_between
from urbsim.common.stats import half_width


def parser(doc: str, what: str) -> argparse.ArgumentParser:
    """A parser with the size of the runs (120,000 households, 10 seeds, 20 years, 2 workers)
    and ``--out FILE``, which writes ``what`` into that file's markers."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=120_000)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, help=f"write the {what} into this file's markers")
    return ap


def parse(ap: argparse.ArgumentParser, argv: list[str] | None,
          markers: str) -> argparse.Namespace:
    """The options; a ``--out`` file without the ``markers`` is a usage error (exit 2) before
    any run."""
    a = ap.parse_args(argv)
    if a.out is not None:
        try:
            require_between(a.out, markers)
        except InputError as e:
            ap.error(str(e))
    return a


def interval(x: np.ndarray) -> tuple[float, float]:
    """Mean and half-width of the 95 % t-interval over seeds (NaN with one value)."""
    x = np.asarray(x, dtype=float)
    if len(x) < 2:
        return float(x.mean()), np.nan
    return float(x.mean()), float(half_width(x.std(ddof=1), len(x)))


def run_all(run: Callable, configs: Mapping[str, object], a: argparse.Namespace) -> dict:
    """``run(config, households, seed, steps)`` for every configuration and seed, in
    ``a.workers`` processes: ``{name: [result of seed 0, seed 1, ...]}``."""
    with ProcessPoolExecutor(a.workers) as pool:
        futures = {(c, s): pool.submit(run, v, a.households, s, a.steps)
                   for c, v in configs.items() for s in range(a.seeds)}
        return {c: [futures[(c, s)].result() for s in range(a.seeds)] for c in configs}


def emit(text: str, a: argparse.Namespace, markers: str) -> None:
    """Print the table, and write it into the ``markers`` of ``--out`` if given."""
    sys.stdout.write(text)
    if a.out is not None:
        write_between(a.out, markers, text)
