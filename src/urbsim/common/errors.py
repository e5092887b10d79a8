"""The one error type for bad input: it names the file and the key, in one line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (a file, a key or a value), reported as ``file: key: message``.

    Args:
        message: what was expected, in plain words.
        source: the file (or other origin) the value came from, if any.
        key: the dotted path of the offending key, if any.
    """

    def __init__(self, message: str, source: object = None, key: str | None = None) -> None:
        self.message, self.source, self.key = message, source, key
        super().__init__(": ".join(printable(str(p)) for p in (source, key, message) if p))


def printable(text: str) -> str:
    r"""``text`` with control and format characters escaped (``\n``, ``\x1b``, ``\u202e``):
    a message stays one line, and a file name cannot move the terminal's cursor."""
    import unicodedata

    return "".join(c.encode("unicode_escape").decode() if unicodedata.category(c) in ("Cc", "Cf")
                   else c for c in text)


class InputWarning(UserWarning):
    """Input the model accepts by a stated rule, reported as one line ``file: key: what was
    done`` (e.g. a neighbourhood that touches no other, joined to its nearest)."""
