"""Reaching a running Dask scheduler by address, for experiments and the ABC calibration."""

from __future__ import annotations

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
        raise InputError(f"not a Dask scheduler address ({e})", None,
                         f"--scheduler {address}") from None
    except Exception as e:  # OSError (refused, timed out), a failed name lookup, ...
        raise InputError(f"no Dask scheduler answers there within {TIMEOUT} s "
                         f"({type(e).__name__}: {e})", None, f"--scheduler {address}") from None
