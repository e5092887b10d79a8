"""Pydantic models from TOML: validation with errors in plain words, naming file and key.

:func:`describe_error` turns pydantic's first error into ``(dotted key, message)``;
:func:`validate` and :func:`load` raise it as one :class:`~urbsim.common.errors.InputError`
line ``file: key: what was expected``. Values are checked strictly: a string is not a number.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails

from urbsim.common.errors import InputError
from urbsim.common.files import read_toml


def validate[M: BaseModel](model: type[M], data: dict,
                           source: object | Callable[[str], object]) -> M:
    """``data`` (parsed TOML) validated strictly as ``model``.

    Args:
        model: the pydantic model.
        data: the parsed file.
        source: the file, for messages; or a function of the dotted key giving the file that
            set it (a scenario's ``extends`` chain).

    Raises:
        InputError: naming the file and the dotted key of the first problem.
    """
    try:
        return model.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as e:
        key, message = describe_error(e, model)
        named = re.match(r"([A-Za-z_][\w.\[\]]*): ", message)
        if named:  # a check across keys names its key first
            key = f"{key}.{named[1]}" if key else named[1]
            message = message[named.end():]
        raise InputError(message, source(key) if callable(source) else source, key) from None


def load[M: BaseModel](model: type[M], path: Path, what: str,
                       renamed: Mapping[str, str] | None = None) -> M:
    """A TOML file validated as ``model``; ``what`` names the file kind in messages
    (``"experiment TOML file"``); ``renamed`` as for :func:`rename`."""
    return validate(model, rename(read_toml(path, what), renamed or {}, path), path)


class DeprecatedKey(FutureWarning):
    """A file states a key under a name that has changed (it still works, for now)."""


def rename(data: dict, renamed: Mapping[str, str], source: object, warn: bool = True) -> dict:
    """``data`` with each deprecated dotted key of ``renamed`` moved to its new name (in the
    same table, at the same place: the order of events and policies is kept), warning with
    :class:`DeprecatedKey` naming ``source``.

    Raises:
        InputError: a table states both the old and the new name.
    """
    for old, new in renamed.items():
        *up, last = old.split(".")
        node: object = data
        for part in up:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or last not in node:
            continue
        leaf = new.rsplit(".", 1)[-1]
        if leaf in node:
            raise InputError(f"states both `{last}` (the old name) and `{leaf}`; keep `{leaf}`",
                             source, old)
        items = [(leaf if k == last else k, v) for k, v in node.items()]
        node.clear()
        node.update(items)
        if warn:
            warnings.warn(DeprecatedKey(f"{source}: {old}: renamed to {new}; the old name will "
                                        "stop working in a later version"), stacklevel=2)
    return data


def describe_error(e: ValidationError, root: type[BaseModel]) -> tuple[str, str]:
    """``(dotted key, message)`` of the first error of validating ``root``, in plain words,
    naming the keys of the others. An unknown key comes first: a typo is the usual cause, and
    the missing key it was meant to be follows from it."""
    errors = sorted(e.errors(include_url=False), key=lambda x: x["type"] != "extra_forbidden")
    key, message = _describe(errors[0], root)
    others = list(dict.fromkeys(k for k in (_walk(x["loc"], root)[0] for x in errors[1:])
                                if k != key))
    if not others and len(errors) > 1:
        others = [key]
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        message += f" (also a problem: {shown})"
    return key, message


def _describe(err: ErrorDetails, root: type[BaseModel]) -> tuple[str, str]:
    """``(dotted key, message)`` of one pydantic error."""
    key, model = _walk(err["loc"], root)
    kind, value = err["type"], err.get("input")
    if kind == "extra_forbidden":
        name = key.rsplit(".", 1)[-1]
        known = list(model.model_fields) if model else []
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        message = f"unknown key; {hint}"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "union_tag_invalid":
        key += ".kind"
        message = f"expected one of {err['ctx']['expected_tags']}, got {err['ctx']['tag']!r}"
    elif kind in ("too_short", "too_long"):
        ctx = err["ctx"]
        bound = (f"at least {ctx['min_length']}" if kind == "too_short"
                 else f"at most {ctx['max_length']}")
        message = f"expected {bound} items, got {ctx['actual_length']}: {short(value)}"
    else:
        message = err["msg"].removeprefix("Value error, ")
        for old, new in _WORDING:
            message = message.replace(old, new)
        if kind != "value_error":
            message += f", got {short(value)}"
    return key, message


_WORDING = (("Input should be", "expected"), ("a valid integer", "an integer"), ("a valid ", "a "),
            ("an object", "a table"), ("dictionary", "table"), ("array", "list"),
            ("greater than or equal to", "a value >="),
            ("less than or equal to", "a value <="), ("greater than", "a value >"),
            ("less than", "a value <"))


def _walk(loc: tuple, root: type[BaseModel]) -> tuple[str, type[BaseModel] | None]:
    """The dotted key of a pydantic error location (union tags dropped), and the model class
    holding its last part."""
    ann: object = root
    parts: list[str] = []
    holder: type[BaseModel] | None = None
    for item in loc:
        ann = unwrap(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            holder = ann
            parts.append(str(item))
            field = ann.model_fields.get(str(item))
            ann = field.annotation if field else None
        elif typing.get_origin(ann) is dict:
            parts.append(str(item))
            ann = typing.get_args(ann)[1]
        elif typing.get_origin(ann) is tuple:
            parts[-1] += f"[{item}]"
            args = typing.get_args(ann)
            ann = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        elif typing.get_origin(ann) in (typing.Union, types.UnionType):
            members = [unwrap(a) for a in typing.get_args(ann)]
            ann = next((m for m in members if isinstance(m, type) and issubclass(m, BaseModel)
                        and _tag(m) == item), None)
        else:
            break
    return ".".join(parts), holder


def file_name(value: str) -> str:
    """``value`` if it can name a file on every system urbsim runs on: no control or format
    characters (newline, escape, NUL, bidi marks), no path separators, not ``.`` or ``..``,
    at most 200 bytes in UTF-8 (file systems allow 255; room is left for suffixes)."""
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValueError(f"expected a name without control characters, got {short(value)}")
    if "/" in value or "\\" in value or (value and not value.strip(".")):
        raise ValueError("expected a name that is not a path (no '/', '\\', '.' or '..'), "
                         f"got {short(value)}")
    if len(value.encode()) > 200:
        raise ValueError(f"expected a name of at most 200 bytes in UTF-8, got "
                         f"{len(value.encode())}")
    return value


Name = Annotated[str, Field(max_length=200), AfterValidator(file_name)]
"""A name that results are stored under (a scenario's, an experiment's): see
:func:`file_name`."""


def unwrap(ann: object) -> object:
    """``X`` of ``Annotated[X, ...]`` (nested), else ``ann``."""
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _tag(model: type[BaseModel]) -> object:
    field = model.model_fields.get("kind")
    return field.default if field else None


def short(value: object) -> str:
    """``repr(value)``, cut to 60 characters (ending in ``...``) for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
