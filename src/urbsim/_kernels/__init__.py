"""Numba kernels: pure functions of arrays and scalars, one module per rule of the model.

No kernel reads a global or Python state; random numbers come from :mod:`.rng`, keyed on
(seed, step, stream, household, draw), so results do not depend on the number of threads.
The arrays a kernel takes come bundled in named records (:mod:`.records`: the households, the
housing, the perceived composition, the milieus' preferences, each rule's settings); every
kernel documents each argument's shape, dtype and whether it reads or writes it.

Every kernel is compiled once into numba's cache (``cache=True``) and loaded from there by
later processes, without preparing numba's compiler (:mod:`.jit`). Numba keeps that cache in
``NUMBA_CACHE_DIR`` if set, else in ``__pycache__`` beside this file, else (a read-only
install) in the user's cache directory (``$XDG_CACHE_HOME/numba``, ``~/.cache/numba``). Where
none of these can be written (say a service account without a home), importing a kernel would
fail; this package then sets ``NUMBA_CACHE_DIR`` to a private directory of the user's under the
system's temporary directory before any kernel is defined (:func:`_cache_dir`).

Layer 1 of 6, beside :mod:`urbsim.common`: imports nothing of urbsim but other kernels.
"""

from __future__ import annotations

import os


def _writable(path: str) -> bool:
    """Whether numba can keep its cache in ``path`` (its own test: make it, write a file)."""
    import tempfile

    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError:
        return False
    return True


def _private(path: str) -> bool:
    """Whether ``path`` is a directory only this user can write (cache files are pickles)."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    st = os.lstat(path)
    own = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return own and os.path.isdir(path) and not os.path.islink(path) and not st.st_mode & 0o022


def _cache_dir() -> None:
    """Set ``NUMBA_CACHE_DIR`` where numba would find no place for its cache: neither a
    user's setting, nor a writable ``__pycache__`` here, nor a writable user cache directory.
    The fallback is ``<tmp>/urbsim-numba-<uid>`` (made private; a fresh temporary directory if
    that one is not the user's alone), inherited by worker processes."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    if _writable(os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")):
        return
    from numba.misc.appdirs import AppDirs  # what numba's user-wide cache locator uses

    if _writable(AppDirs(appname="numba", appauthor=False).user_cache_dir):
        return
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"urbsim-numba-{getattr(os, 'getuid', os.getpid)()}")
    if not _private(path):
        path = tempfile.mkdtemp(prefix="urbsim-numba-")
    os.environ["NUMBA_CACHE_DIR"] = path
    from numba.core import config

    config.reload_config()  # numba read its environment when imported


_cache_dir()
