"""The decorator every kernel is compiled with: numba's ``njit`` with its disk cache
(``cache=True``), loading cached machine code without preparing the compiler.

Before it loads a cached function, numba refreshes its target context: it imports and installs
every typing and lowering rule it knows (about 0.1 s of a cold process, most of its first
kernel call), which only compiling uses. Loading needs numba's runtime (NRT) and the symbols
numba registers when its modules are imported rather than when its context starts (the hash
secret of :mod:`numba.cpython.hashing`; a parallel kernel starts its threads itself, from the
cache's ``reload_init``). :class:`_Cache` provides these and loads; should a load fail (a numba
release that needs more), it loads as numba does. Compiling (a kernel's first
run on a machine, a new signature, any other numba function of the process) refreshes the
context as before: numba's compiler does so itself.

A cached kernel is stale when any kernel module changed, not only its own: numba stamps each
cache with the source of the kernel's file alone, but a kernel inlines helpers of other
modules (``choice.relocate`` inlines ``satisfaction.utility`` and ``composition.shift``), and
an edit there would leave the old helper in its cached machine code (a wrong result, or in a
read-only install whose cache lives in the user's directory, the last version's rule). The
stamp here is a hash of every kernel module's source (:func:`sources_stamp`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
from numba.core.caching import FunctionCache
from numba.core.runtime import nrt


@functools.cache
def sources_stamp() -> str:
    """SHA-256 of the source of every kernel module (this package's ``*.py``, by name)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class _Cache(FunctionCache):
    """numba's cache of one function, stamped with all kernel sources (:func:`sources_stamp`)
    and loading without refreshing the target context."""

    def __init__(self, py_func: Callable[..., Any]) -> None:
        super().__init__(py_func)
        # numba compares this stamp with the one saved in the cache's index (and saves it
        # there): any kernel module changed, the index is stale
        self._cache_file._source_stamp = sources_stamp()

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        try:
            nrt.rtsys.initialize(target_context)  # what numba's refresh does first (idempotent)
            import numba.cpython.hashing  # noqa: F401  (registers the hash secret's symbols)

            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
        except Exception:  # anything the light load lacks: load as numba does, context refreshed
            return super().load_overload(sig, target_context)


def njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=True, **options)``, its cached machine code loaded by
    :class:`_Cache`."""

    def compile_(func: Callable[..., Any]) -> Any:
        kernel = numba.njit(cache=True, **options)(func)
        kernel._cache = _Cache(kernel.py_func)  # numba's Dispatcher.enable_caching, our class
        return kernel

    return compile_
