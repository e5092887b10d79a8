"""The command-line options the batch scripts share (``housing.py``, ``sorting.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from urbsim.common.errors import InputError
from urbsim.common.files import require_between


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
