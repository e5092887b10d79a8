"""Memory a run needs, checked before it starts: a model too large for the machine fails with
one clear line instead of being killed by the system halfway.

The estimate is deliberately on the safe side, a first run included: numba then compiles
the kernels, which takes memory until they are cached (200,000 households on 300
neighbourhoods over 8 steps peaked at 513 MB with a cold cache, 345 MB with a warm one).
1M households on 1,000 neighbourhoods over 50 steps peak at 448 MB warm; the estimate is
0.9 GB (tests/test_memory.py checks it against a measured peak). ``URBSIM_MEMORY`` (e.g. ``8GB``,
``512MB``) caps what urbsim may assume is available, for shared machines; otherwise it is what
the system reports as available.
"""

from __future__ import annotations

import os
import re

from urbsim.common.errors import InputError

BASE = 500 * 2**20
"""Interpreter, numpy, numba, Mesa, xarray and the kernels: about 300 MB measured with a warm
numba cache, up to about 470 MB while a first run compiles them."""
PER_HOUSEHOLD = 200
"""Bytes per household slot: nine 8-byte attributes and a flag, plus the step's temporaries
(satisfaction, move flags, random keys, participation outcomes), with room for slot growth."""
PER_CELL_STEP = 8 * 16
"""Bytes recorded per step for each neighbourhood × milieu (composition, participants and
reached per format) and neighbourhood × segment (dwellings, vacancies, rents), with the copy
made when the run becomes a dataset."""


def estimate(households: int, neighbourhoods: int, milieus: int, steps: int) -> int:
    """Bytes one run needs at most (a safe upper estimate)."""
    cells = neighbourhoods * (milieus + 4)
    return BASE + PER_HOUSEHOLD * households + 2 * PER_CELL_STEP * cells * (steps + 1)


def available() -> int:
    """Bytes the machine can give now (``URBSIM_MEMORY`` caps it)."""
    free = _reported()
    cap = os.environ.get("URBSIM_MEMORY")
    return min(free, parse(cap)) if cap else free


def _reported(meminfo: str = "/proc/meminfo") -> int:
    """The system's available memory: on Linux ``MemAvailable`` of ``/proc/meminfo``, which is
    what psutil reports there, read without importing psutil (0.02 s of a cold start);
    elsewhere psutil's ``virtual_memory().available``."""
    try:
        with open(meminfo, "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    import psutil

    return int(psutil.virtual_memory().available)


def parse(text: str) -> int:
    """``"8GB"``, ``"512 MB"``, ``"1.5G"``, ``"2000000000"`` as bytes."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([kmgt]?)i?b?\s*", text.lower())
    if not m:
        raise InputError(f"expected a size such as 8GB or 512MB, got {text!r}", "URBSIM_MEMORY")
    return int(float(m.group(1)) * 1024 ** " kmgt".index(m.group(2) or " "))


def check(households: int, neighbourhoods: int, milieus: int, steps: int,
          source: str | None = None) -> None:
    """Raise :class:`InputError` (key ``households``) when a run would not fit in memory."""
    need, have = estimate(households, neighbourhoods, milieus, steps), available()
    if need > have:
        raise InputError(f"{households:,} households over {steps} steps need about "
                         f"{_gb(need)} of memory, and {_gb(have)} is available; use fewer "
                         f"households (or set URBSIM_MEMORY if more is free)", source, "households")


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GB"
