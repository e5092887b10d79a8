"""The scenario schema reference (Markdown), generated from the pydantic models themselves.

``urbsim schema > docs/scenario-schema.md`` and ``urbsim schema experiment >
docs/experiment-schema.md`` regenerate the shipped references; a test checks that they are up
to date.
"""

from __future__ import annotations

import types
import typing
from typing import TypeGuard

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from urbsim.common.schema import unwrap
from urbsim.inputs.scenario import Scenario

HEADERS = {
    "scenario": """# Scenario file reference

Generated from the schema by `urbsim schema` (do not edit by hand). A scenario is a TOML file;
every key is optional and takes the default shown. `extends = "baseline.toml"` inherits another
file: tables merge key by key, other values replace. `events.<name>` and `policies.<name>` are
tables keyed by a name of your choice. Check a file with `urbsim validate FILE`.
""",
    "experiment": """# Experiment file reference

Generated from the schema by `urbsim schema experiment` (do not edit by hand). An experiment
file (`experiments/*.toml`) names scenarios, a parameter design, seeds and outputs; run it with
`urbsim experiment FILE` and analyse the store with `urbsim analyze STORE`. `parameters.<key>`
tables are keyed by a dotted scenario key (`"moving.mobility_scale"`, quoted in TOML).
""",
}


def markdown(kind: str = "scenario") -> str:
    """The whole reference of scenario or experiment files."""
    root: type[BaseModel] = Scenario
    if kind == "experiment":
        from urbsim.experiment.spec import Experiment

        root = Experiment
    out = [HEADERS[kind]]
    _section(out, root, "", "Top level")
    return "\n".join(out) + "\n"


def _section(out: list[str], model: type[BaseModel], prefix: str, title: str) -> None:
    rows, subs = [], []
    for name, f in model.model_fields.items():
        key = f"{prefix}{name}"
        ann = unwrap(f.annotation)
        if _is_model(ann):
            subs.append((ann, f"{key}.", f"`[{key}]`"))
        elif typing.get_origin(ann) is dict and _members(typing.get_args(ann)[1]):
            for m in _members(typing.get_args(ann)[1]):
                kind = m.model_fields.get("kind")
                what = f" with `kind = \"{kind.default}\"`" if kind else ""
                subs.append((m, f"{key}.<name>.", f"`[{key}.<name>]`{what}"))
        else:
            rows.append(_row(key, ann, f))
    out += [f"\n## {title}\n", _doc(model), "",
            "| key | type | range | default | description |", "|---|---|---|---|---|", *rows]
    for m, p, t in subs:
        _section(out, m, p, t)


def _row(key: str, ann: object, f: FieldInfo) -> str:
    value = f.get_default(call_default_factory=True)
    default = "required" if value is PydanticUndefined else f"`{_toml(value)}`"
    cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    return (f"| `{key}` | {cell(_type(ann))} | {cell(_range(f))} | {cell(default)} "
            f"| {cell(f.description or '')} |")


def _type(ann: object) -> str:
    ann = unwrap(ann)
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is typing.Literal:
        return " or ".join(f'"{a}"' for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in args)
    if origin is tuple:
        inner = _type(args[0])
        return f"list of {inner}" if args[-1] is Ellipsis else f"list of {len(args)} {inner}"
    if origin is dict:
        return f"table of {_type(args[1])}"
    names: dict[object, str] = {int: "integer", float: "number", str: "string", bool: "boolean",
                                type(None): "none"}
    return names.get(ann, getattr(ann, "__name__", str(ann)))


def _range(f: FieldInfo) -> str:
    text = _bounds(f.metadata)
    ann = f.annotation
    if typing.get_origin(ann) is dict:
        ann = typing.get_args(ann)[1]
        values = _bounds(m for a in typing.get_args(ann)[1:] for m in getattr(a, "metadata", [a]))
        return f"values {values}" if values else ""
    if typing.get_origin(ann) is typing.Annotated:
        return _bounds([*f.metadata, *(m for a in typing.get_args(ann)[1:]
                                        for m in getattr(a, "metadata", [a]))])
    return text


def _bounds(metadata) -> str:
    parts = []
    for m in metadata:
        for cls, attr, sym in ((Ge, "ge", ">="), (Gt, "gt", ">"), (Le, "le", "<="), (Lt, "lt", "<")):
            if isinstance(m, cls):
                parts.append(f"{sym} {_toml(getattr(m, attr))}")
        if isinstance(m, MinLen):
            parts.append(f"length >= {m.min_length}")
        if isinstance(m, MaxLen):
            parts.append(f"length <= {m.max_length}")
    return ", ".join(parts)


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, str):
        return f'"{v}"'
    if v is None:
        return "(none)"
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml(x)}" for k, x in v.items()) + "}"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _doc(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def _is_model(ann: object) -> TypeGuard[type[BaseModel]]:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def _members(ann: object) -> list[type[BaseModel]]:
    ann = unwrap(ann)
    if _is_model(ann):
        return [ann]
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(ann) if _is_model(m := unwrap(a))]
    return []
