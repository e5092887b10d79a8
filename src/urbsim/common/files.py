"""Reading text and TOML files with one-line errors, and writing files atomically.

Every reader raises :class:`~urbsim.common.errors.InputError` naming the file, in one line:
a missing file, a directory, an unreadable, binary or non-UTF-8 file, a TOML syntax error.
Every writer goes through :func:`atomic`: a path either keeps what it held or holds the whole
new content, never a part of it.
"""

from __future__ import annotations

import os
import re
import shutil
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
        InputError: a missing, unreadable, binary or non-UTF-8 file, or a directory.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"is a directory; expected a {what}", path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file; expected a {what}{missing}", path) from None
    except OSError as e:
        raise InputError(f"cannot read: {' '.join(str(e.strerror).split())}", path) from None
    return decode_text(raw, path, what)


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


def parse_toml(text: str, source: object) -> dict:
    """Parsed TOML ``text``; a syntax error raises :class:`InputError` naming ``source``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", source) from None


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
