"""Reaching a running Dask scheduler by address, for experiments and the ABC calibration."""

from __future__ import annotations

import gc

from urbsim.common.errors import InputError

TIMEOUT = 5
"""Seconds to wait for a scheduler given by address to answer."""


def client(address: str):
    """A ``distributed.Client`` of the Dask scheduler at ``address``.

    Raises:
        InputError: naming ``address``: it does not parse, or no scheduler answers there
            within :data:`TIMEOUT` seconds.
    """
    from distributed import Client

    try:
        return Client(address, timeout=f"{TIMEOUT}s")
    except (ValueError, TypeError) as e:
        problem = f"not a Dask scheduler address ({e})"
    except Exception as e:  # OSError (refused, timed out), a failed name lookup, ...
        problem = f"no Dask scheduler answers there within {TIMEOUT} s ({type(e).__name__}: {e})"
    # The half-made Client lives on in the error's frames until a cyclic collection, whose
    # finaliser closes it then, wherever that is: inside Dask's start of another cluster, which
    # holds the lock the close waits for (a deadlock, seen in the test suite). Collect it here.
    gc.collect()
    raise InputError(problem, None, f"--scheduler {address}")
