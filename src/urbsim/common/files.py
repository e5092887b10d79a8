"""Reading text and TOML files with one-line errors, and writing files atomically.

Every reader raises :class:`~urbsim.common.errors.InputError` naming the file, in one line:
a missing file, a directory, a named pipe or device, an unreadable, binary or non-UTF-8
file, a TOML syntax error, nesting deeper than :data:`MAX_DEPTH`.
Every writer goes through :func:`atomic`: a path either keeps what it held or holds the whole
new content, never a part of it.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from urbsim.common.errors import InputError

StrPath = str | os.PathLike[str]


def read_text(path: StrPath, what: str = "UTF-8 text file", missing: str = "") -> str:
    """The content of a UTF-8 text file (a byte-order mark is dropped).

    Args:
        path: the file.
        what: what the file should be, for the messages (``"scenario TOML file"``).
        missing: added to the message for a missing file (e.g. the shipped names).

    Raises:
        InputError: a missing, unreadable, binary or non-UTF-8 file, a directory, a named
            pipe or a device.
    """
    p = regular(path, what, missing)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read: {' '.join(str(e.strerror).split())}", path) from None
    return decode_text(raw, path, what)


def regular(path: StrPath, what: str = "file", missing: str = "") -> Path:
    """``path`` if it is a regular file (or a link to one), checked before anything opens it:
    reading a named pipe waits for a writer and a device may never end.

    Raises:
        InputError: a missing file, a directory, or a named pipe, device or socket.
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"no such file; expected a {what}{missing}", path) from None
    except OSError as e:
        raise InputError(f"cannot read: {' '.join(str(e.strerror).split())}", path) from None
    if stat.S_ISDIR(mode):
        raise InputError(f"is a directory; expected a {what}", path)
    if not stat.S_ISREG(mode):
        kind = ("a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        raise InputError(f"is {kind}, not a regular file; expected a {what}", path)
    return p


def decode_text(raw: bytes, source: object, what: str = "UTF-8 text file") -> str:
    """``raw`` bytes (a file's, or an upload's) as text; a byte-order mark is dropped.

    Raises:
        InputError: binary or non-UTF-8 content, naming ``source``.
    """
    if b"\x00" in raw:
        raise InputError(f"is a binary file, not UTF-8 text; expected a {what}", source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                         f"expected a {what}", source) from None


MAX_DEPTH = 16
"""Tables and lists nested deeper than this are refused (urbsim's files nest at most 5)."""


def parse_toml(text: str, source: object) -> dict:
    """Parsed TOML ``text``; a syntax error, or nesting deeper than :data:`MAX_DEPTH`, raises
    :class:`InputError` naming ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", source) from None
    except RecursionError:  # tomllib parses nested inline tables and arrays recursively
        raise InputError(f"nested too deeply (more than {MAX_DEPTH} levels)", source) from None
    key = _too_deep(data, MAX_DEPTH)
    if key is not None:
        raise InputError(f"nested too deeply (more than {MAX_DEPTH} levels)", source, key)
    return data


def _too_deep(node: object, depth: int, key: str = "") -> str | None:
    """The dotted key where ``node`` nests deeper than ``depth``, or None."""
    items = (node.items() if isinstance(node, dict) else enumerate(node)
             if isinstance(node, list) else ())
    for k, v in items:
        if isinstance(v, dict | list):
            sub = f"{key}.{k}" if key and isinstance(k, str) else f"{key}[{k}]" if key else str(k)
            if depth <= 1:
                return sub
            found = _too_deep(v, depth - 1, sub)
            if found is not None:
                return found
    return None


def read_toml(path: StrPath, what: str = "TOML file", missing: str = "") -> dict:
    """A TOML file, parsed (errors as for :func:`read_text` and :func:`parse_toml`)."""
    return parse_toml(read_text(path, what, missing), path)


def check_target(path: Path, overwrite: bool = False) -> None:
    """Raise :class:`InputError` now if ``path`` could not be written at the end."""
    if path.exists() and not overwrite:
        raise InputError("exists; choose another path or pass --overwrite", path)
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot create files in {parent}", path)
    try:  # the file system may still refuse (read-only, /proc, full): try it
        fd, probe = tempfile.mkstemp(prefix=".urbsim-probe-", dir=parent)
    except OSError as e:
        raise InputError(f"cannot create files in {parent}: {e.strerror}", path) from None
    os.close(fd)
    os.unlink(probe)


def free_path(path: Path) -> Path:
    """``path``, or ``stem-2``, ``stem-3``, ... beside it: the first that does not exist."""
    n, out = 1, path
    while out.exists():
        n += 1
        out = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return out


@contextmanager
def atomic(path: Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path`` to write (a file or a folder such as a zarr store);
    when the block ends without error it takes the place of ``path``.

    A file replaces an existing ``path`` in one rename, so the path always holds the old or
    the new content. A folder cannot be renamed over another: an existing one is moved aside,
    not deleted, until the new one is in place, and put back if the process is interrupted in
    between. On error the temporary is removed and ``path`` is untouched.

    Args:
        path: the target.
        suffix: an extension the temporary name must end with (``".html"`` for writers that
            choose their format by it), when ``path``'s own name does not.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    aside = None
    try:
        target = tmp / (path.name if path.name.endswith(suffix) else path.name + suffix)
        yield target
        if path.is_dir() or (target.is_dir() and path.exists()):
            aside = tmp / "replaced"
            os.replace(path, aside)
        os.replace(target, path)
        aside = None
    finally:
        if aside is not None and not path.exists():  # interrupted in between: put it back
            os.replace(aside, path)
        shutil.rmtree(tmp, ignore_errors=True)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def between(text: str, name: str, content: str, source: object = None) -> str:
    """``text`` with what stands between its ``<!-- name -->`` and ``<!-- end name -->``
    markers replaced by ``content`` (the generated parts of a page).

    Raises:
        InputError: the markers are missing (naming ``source``).
    """
    pattern = re.compile(rf"(<!-- {re.escape(name)} -->\n).*?(<!-- end {re.escape(name)} -->)",
                         re.S)
    if not pattern.search(text):
        raise InputError(f"no '<!-- {name} -->' ... '<!-- end {name} -->' markers", source)
    return pattern.sub(lambda m: m.group(1) + content + m.group(2), text)


def require_between(path: Path, name: str) -> None:
    """Check that ``path`` can be read and has the ``name`` markers, before generating what
    goes between them (:func:`between`'s error otherwise)."""
    between(read_text(path), name, "", path)


def write_between(path: Path, name: str, content: str) -> None:
    """Replace the part of the page at ``path`` between its ``name`` markers (see
    :func:`between`), atomically."""
    write_text(path, between(read_text(path), name, content, path))
