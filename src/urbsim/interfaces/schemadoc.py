"""References generated from the pydantic models themselves: the scenario and experiment
file references, and the parameter tables of the model description (docs/odd.md).

``urbsim schema [scenario|experiment]`` prints a file reference; ``scripts/docs.py``
regenerates every generated part of docs/ and ``--check`` (run by the tests) says what is
stale.
"""

from __future__ import annotations

import re
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
file (`experiments/*.toml`) names scenarios, a parameter design, seeds and indicators; run it with
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
            "| key | type | unit | range | default | description |", "|---|---|---|---|---|---|",
            *rows]
    for m, p, t in subs:
        _section(out, m, p, t)


def _row(key: str, ann: object, f: FieldInfo) -> str:
    value = f.get_default(call_default_factory=True)
    default = "required" if value is PydanticUndefined else f"`{_toml(value)}`"
    cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    return (f"| `{key}` | {cell(_type(ann))} | {cell(unit(f))} | {cell(_range(f))} "
            f"| {cell(default)} | {cell(f.description or '')} |")


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


# ----------------------------------------------------------------------------- parameter tables
BLOCK = re.compile(r"(<!-- parameters: (?P<keys>.*?) -->\n).*?(<!-- end parameters -->)", re.S)
"""A generated parameter table in a Markdown page: the keys it lists, then the table."""


def parameters(root: type[BaseModel] = Scenario) -> dict[str, tuple[object, FieldInfo]]:
    """Every key of a scenario file: ``(annotation, field)`` by dotted key, tables of named
    events and policies as ``events.<name>.format`` (the fields of every policy kind)."""
    out: dict[str, tuple[object, FieldInfo]] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, f in model.model_fields.items():
            ann = unwrap(f.annotation)
            if _is_model(ann):
                walk(ann, f"{prefix}{name}.")
            elif typing.get_origin(ann) is dict and _members(typing.get_args(ann)[1]):
                for m in _members(typing.get_args(ann)[1]):
                    walk(m, f"{prefix}{name}.<name>.")
            elif (key := f"{prefix}{name}") in out and typing.get_origin(ann) is typing.Literal:
                # a field every policy kind has with its own values (``kind``): all of them
                seen = typing.get_args(out[key][0])
                both = (*seen, *(a for a in typing.get_args(ann) if a not in seen))
                out[key] = (typing.Literal.__getitem__(both), out[key][1])
            else:
                out.setdefault(key, (ann, f))

    walk(root, "")
    return out


def unit(f: FieldInfo) -> str:
    """The unit a field states in its schema (``json_schema_extra``), or ``""``."""
    extra = f.json_schema_extra
    return str(extra.get("unit", "")) if isinstance(extra, dict) else ""


def label(key: str, labels: dict[str, str]) -> str:
    """Where a parameter's value comes from: ``calibrated``, ``sourced: ...`` or ``prior: ...``
    (``labels`` of the calibration config, by dotted key of the baseline), ``lever`` for what
    a scenario sets per event or policy, ``run setting`` for the run's name, length and recording level."""
    if "<name>" in key:
        return "lever: set per event or policy by the scenario"
    if key in ("name", "description", "extends", "steps", "record"):
        return "run setting"
    if key in labels:
        return labels[key] or "unlabelled"
    kinds = sorted({v for k, v in labels.items() if k.startswith(f"{key}.")})
    return "; ".join(kinds) if kinds else "unlabelled"


def parameter_table(keys: list[str], labels: dict[str, str],
                    baseline: Scenario | None = None) -> str:
    """A Markdown table of the given scenario keys: meaning, unit, default, the value in
    ``baseline`` (default: the shipped baseline), allowed values and label, from the schema."""
    from urbsim.inputs.params import get
    from urbsim.inputs.scenario import load

    known = parameters()
    baseline = baseline or load("baseline")
    rows = ["| parameter | meaning | unit | default | baseline | allowed | label |",
            "|---|---|---|---|---|---|---|"]
    for key in keys:
        if key not in known:
            raise KeyError(f"{key!r} is not a scenario key")
        ann, f = known[key]
        value = f.get_default(call_default_factory=True)
        default = ("required" if value is PydanticUndefined or key.endswith("<name>.kind")
                   else f"`{_toml(value)}`")
        allowed = _range(f) or _type(ann)
        cell = lambda s: str(s).replace("|", "\\|")  # noqa: E731
        try:
            shipped = f"`{_toml(get(baseline, key))}`"
        except KeyError:  # events and policies by name, run settings of other files
            shipped = "–"
        rows.append(f"| `{key}` | {cell(f.description or '')} | {cell(unit(f) or '–')} | "
                    f"{cell(default)} | {cell(shipped)} | {cell(allowed)} | "
                    f"{cell(label(key, labels))} |")
    return "\n".join(rows) + "\n"


def fill(text: str, labels: dict[str, str]) -> str:
    """``text`` with every parameter block's table generated anew (see :data:`BLOCK`)."""
    from urbsim.inputs.scenario import load

    baseline = load("baseline")
    return BLOCK.sub(lambda m: m.group(1) + parameter_table(m.group("keys").split(), labels,
                                                            baseline) + m.group(3), text)


def placed(text: str) -> dict[str, list[int]]:
    """The keys of each parameter block of ``text``, by key: the positions of their blocks."""
    out: dict[str, list[int]] = {}
    for m in BLOCK.finditer(text):
        for key in m.group("keys").split():
            out.setdefault(key, []).append(m.start())
    return out


def variables_table() -> str:
    """The variables a run records each step (:data:`urbsim.engine.recorder.VARIABLES`), as a
    Markdown table."""
    from urbsim.engine.recorder import VARIABLES

    rows = ["| variable | dims (after `seed`, `step`) | dtype | description |", "|---|---|---|---|"]
    for name, (dims, dtype, description) in VARIABLES.items():
        text = description.replace("|", "\\|")
        rows.append(f"| `{name}` | {' × '.join(dims) or '–'} | {dtype} | {text} |")
    return "\n".join(rows) + "\n"


def history_table() -> str:
    """The indicators of an observed history (:data:`urbsim.inputs.history.INDICATORS`), as a
    Markdown table."""
    from urbsim.inputs.history import INDICATORS

    rows = ["| indicator | unit | compared with |", "|---|---|---|"]
    for name, (unit, what) in INDICATORS.items():
        rows.append(f"| `{name}` | {unit} | {what} |")
    return "\n".join(rows) + "\n"
