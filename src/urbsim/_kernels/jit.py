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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba
from numba.core.caching import FunctionCache
from numba.core.runtime import nrt


class _Cache(FunctionCache):
    """numba's cache of one function, loading without refreshing the target context."""

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
