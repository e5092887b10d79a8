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
import sys

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


KEEP_FREED = 256 * 2**20
"""Bytes of freed memory a process that runs many models keeps for its next runs
(:func:`reuse_freed_memory`)."""


def reuse_freed_memory() -> bool:
    """Let this process reuse the memory its runs free, instead of handing it back to the
    system and faulting fresh pages in for the next run (glibc's ``malloc`` only; elsewhere
    nothing changes). Whether it was set.

    glibc serves an allocation above its mmap threshold (dynamic, from 128 kB) with pages of
    its own, returned when freed, and returns freed memory at the top of its heap beyond the
    trim threshold; the next run's first write to each page is then a page fault, which on
    the benchmark VMs cost more than the large Schelling run's steps themselves. Here the
    threshold is 32 MB (a household attribute of 1M households is 8 MB) and up to
    :data:`KEEP_FREED` of freed memory stays. urbsim's run processes set it (the command line,
    the workers of :func:`urbsim.engine.runner.worker_pool` and of a sweep, the workshop's run
    process); a script running many models may call it too, and should close each model
    (:meth:`urbsim.engine.world.World.close`).
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only here: validating a scenario needs this module, not ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    return bool(mallopt(m_mmap_threshold, 32 * 2**20)) & bool(mallopt(m_trim_threshold,
                                                                      KEEP_FREED))


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
