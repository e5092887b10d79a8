"""Scenario files: TOML validated against the parameter schema, with ``extends`` inheritance.

A scenario is a :class:`~urbsim.params.ModelParams` plus what to run (:class:`Scenario`).
A file may say ``extends = "baseline.toml"`` (relative to itself) and then state only what
differs: tables merge key by key, any other value (numbers, strings, lists) replaces the
inherited one. Events and policies are tables keyed by name, so a scenario adds an event by a
new name, changes an inherited one by naming it, and switches one off with
``enabled = false``. New names come after the inherited ones, which keeps the inherited events'
random streams (common random numbers, see :mod:`urbsim.kernels.rng`).

Paths in a file (``extends``, ``milieus`` unless a shipped name, ``city.nodes``, ``city.edges``,
``city.geojson``) are relative to that file; ``extends = "baseline"`` (a bare name, no such file
beside it) names a shipped scenario, so a file that builds on one runs from any folder.
:func:`loads` reads a scenario from text (an upload), where no file path is accepted. Values are
checked strictly: a string is not a number, a number is not a string.

Every problem raises :class:`~urbsim.errors.InputError` as one line
``file: dotted.key: what was expected``, naming the file in the ``extends`` chain that set the
key.
"""

from __future__ import annotations

import difflib
import json
import tomllib
import types
import typing
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from urbsim.errors import InputError
from urbsim.params import ModelParams

PATH_KEYS = (("extends",), ("milieus",), ("city", "nodes"), ("city", "edges"), ("city", "geojson"))
"""Keys whose string values are paths relative to the file that states them."""


class Scenario(ModelParams):
    """A scenario file: model parameters, plus its name, question and run length."""

    name: str = Field("", max_length=200, description="short name (default: the file name; "
                                                      "not inherited)")
    description: str = Field("", max_length=5000, description="what the scenario changes, in a "
                                                              "sentence (not inherited)")
    extends: str | None = Field(None, description="scenario file this one builds on (relative "
                                                  "path, or the bare name of a shipped scenario "
                                                  "such as \"baseline\"); it then states only "
                                                  "what differs")
    steps: int = Field(20, ge=1, le=1000, description="years to simulate (`--steps` overrides)")

    _origins: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> str:
        """The file this scenario was loaded from."""
        return self._origins.get("", "<scenario>")

    def origin(self, key: str | None) -> str:
        """The file that set a dotted ``key`` (or a table above it), else :attr:`path`."""
        return _origin(self._origins, key or "")

    def stated_in(self, key: str) -> str | None:
        """The file that states ``key`` itself (not a table above it), if any."""
        return self._origins.get(key)

    def params(self) -> ModelParams:
        """The model parameters alone (without name, description, extends and steps)."""
        return ModelParams.model_validate(self.model_dump(include=set(ModelParams.model_fields)))


def shipped_dir() -> Path:
    """The shipped scenarios: the repository's ``scenarios/`` (source checkouts and editable
    installs) or the copy packaged into the wheel."""
    repo = Path(__file__).resolve().parents[2] / "scenarios"
    return repo if repo.is_dir() else Path(str(resources.files("urbsim") / "scenarios"))


def shipped() -> list[str]:
    """The names of the shipped scenarios."""
    return sorted(p.stem for p in shipped_dir().glob("*.toml"))


def resolve(name_or_path: str | Path, base: Path = Path()) -> Path:
    """A scenario path relative to ``base``; a bare name such as ``baseline`` that names no
    file there means the shipped scenario."""
    p = base / name_or_path
    ship = shipped_dir() / f"{name_or_path}.toml"
    return ship if p.suffix == "" and not p.exists() and ship.is_file() else p


def locate(name: str, base: Path, source: str | Path, key: str) -> Path:
    """The scenario a file refers to by ``name``: a path relative to ``base`` (the referring
    file's folder), or the name of a shipped scenario.

    Raises:
        InputError: neither exists (naming ``source`` and ``key``, and the shipped names).
    """
    target = resolve(name, base)
    if not target.is_file():
        raise InputError(f"no such scenario file or shipped scenario {name!r} (shipped: "
                         f"{', '.join(shipped())})", source, key)
    return target


def load(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Raises:
        InputError: an unreadable file, a TOML syntax error, an ``extends`` loop, an unknown
            key (with a suggestion), a wrong type or an out-of-range value.
    """
    path = resolve(path)
    return _validate(*_read_chain(path, ()), str(path), path.stem)


def loads(text: str, source: str) -> Scenario:
    """A scenario from TOML text (an uploaded file named ``source``), parsed in memory.

    No file path is taken from the text: ``extends`` must name a shipped scenario
    (``"baseline"`` or ``"baseline.toml"``), ``milieus`` a shipped set, and a city cannot be
    loaded from files.

    Raises:
        InputError: naming ``source`` (or the shipped file at fault) and the key.
    """
    from urbsim.milieus import available

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", source) from None
    city = data.get("city")
    for key in ("nodes", "edges", "geojson"):
        if isinstance(city, dict) and key in city:
            raise InputError("city files cannot be given here: upload a scenario of the "
                             "default city", source, f"city.{key}")
    milieus = data.get("milieus")
    if milieus is not None and milieus not in available():
        raise InputError(f"expected a shipped milieu set ({', '.join(available())}), got "
                         f"{_short(milieus)}", source, "milieus")
    parent = data.pop("extends", None)
    origins = dict.fromkeys(_flatten(data), source)
    if parent is not None:
        name = parent.removesuffix(".toml") if isinstance(parent, str) else None
        if name not in shipped():
            raise InputError(f"expected the name of a shipped scenario ({', '.join(shipped())}), "
                             f"got {_short(parent)}", source, "extends")
        base, inherited = _read_chain(shipped_dir() / f"{name}.toml", ())
        data, origins = _merge(base, data), inherited | origins
    return _validate(data, origins, source, Path(source).stem)


def _validate(data: dict, origins: dict[str, str], source: str, stem: str) -> Scenario:
    """The merged ``data`` of a chain whose top file is ``source``, as a :class:`Scenario`."""
    for key, default in (("name", stem), ("description", "")):  # not inherited
        if origins.get(key) != source:
            data[key] = default
    try:
        scn = Scenario.model_validate_json(json.dumps(data, default=str), strict=True)
    except ValidationError as e:
        key, message = describe_error(e, Scenario)
        raise InputError(message, _origin(origins | {"": source}, key), key) from None
    scn._origins = origins | {"": source}
    return scn


def check(scn: Scenario, steps: int | None = None) -> None:
    """Check a scenario against its milieu set and city (names of milieus, districts,
    neighbourhoods, channels; households against dwellings), and that a run of ``steps`` steps
    (default: the scenario's) fits in memory. Builds the city, not a model."""
    from urbsim import resources, world
    from urbsim.cityio import load_city
    from urbsim.milieus import available
    from urbsim.milieus import load as load_milieus

    for key in ("milieus", "city.nodes", "city.edges", "city.geojson"):
        value = scn.milieus if key == "milieus" else getattr(scn.city, key[5:])
        if value is not None and value not in available() and not Path(value).is_file():
            shipped = f" or a shipped set ({', '.join(available())})" if key == "milieus" else ""
            raise InputError(f"no such file: {value}; expected a file{shipped}",
                             scn.origin(key), key)
    try:
        ms = load_milieus(scn.milieus)
        city = load_city(scn.households, scn.city)
        world.check(scn, ms, city)
        slots = int(city.capacity.sum())
        if scn.households > slots:
            raise InputError(f"expected at most {slots:,} (the dwellings of the city), "
                             f"got {scn.households:,}", None, "households")
        resources.check(scn.households, city.n, len(ms), steps or scn.steps)
    except InputError as e:
        if e.source is None:
            raise InputError(e.message, scn.origin(e.key), e.key) from None
        raise


def validate(path: str | Path) -> Scenario:
    """:func:`load` then :func:`check`: everything short of running."""
    scn = load(path)
    check(scn)
    return scn


# ----------------------------------------------------------------------------- reading
def _read_chain(path: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[str, str]]:
    """The merged data of ``path`` and its ancestors, and the file that set each key."""
    if any(path.resolve() == p.resolve() for p in chain):
        loop = " -> ".join(p.name for p in (*chain, path))
        raise InputError(f"`extends` loop: {loop}", chain[-1], "extends")
    data = read_toml(path)
    for keys in PATH_KEYS:
        _resolve_path(data, keys, path.parent)
    own = _flatten(data)
    parent = data.pop("extends", None)
    if parent is None:
        return data, dict.fromkeys(own, str(path))
    if not isinstance(parent, str):
        raise InputError(f"expected a file name, got {parent!r}", path, "extends")
    ppath = Path(parent)
    if not ppath.is_file():
        what = "a directory" if ppath.is_dir() else "no such file"
        raise InputError(f"{what}: {parent}; expected a scenario file (relative to this one)",
                         path, "extends")
    base, origins = _read_chain(ppath, (*chain, path))
    return _merge(base, data), origins | dict.fromkeys(own, str(path))


def read_toml(path: Path, what: str = "scenario TOML file") -> dict:
    """Parse a TOML file; a missing, unreadable, binary or malformed file raises
    :class:`InputError` saying it expected ``what``."""
    if path.is_dir():
        raise InputError(f"is a directory; expected a {what}", path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        names = "" if what != "scenario TOML file" else f" (shipped: {', '.join(shipped())})"
        raise InputError(f"no such file; expected a {what}{names}", path) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", path) from None
    if b"\x00" in raw:
        raise InputError(f"is a binary file; expected a {what}", path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text (byte {e.start}); expected a {what}", path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"TOML syntax error: {e}", path) from None


def _resolve_path(data: dict, keys: tuple[str, ...], base: Path) -> None:
    *up, last = keys
    node = data
    for k in up:
        node = node.get(k)
        if not isinstance(node, dict):
            return
    value = node.get(last)
    if not isinstance(value, str):
        return
    if keys == ("milieus",):
        from urbsim.milieus import available
        if value in available():
            return
    node[last] = str(resolve(value, base) if keys == ("extends",) else base / value)


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _flatten(data: dict, prefix: str = "") -> list[str]:
    keys = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        keys.append(key)
        if isinstance(v, dict):
            keys += _flatten(v, key + ".")
    return keys


def _origin(origins: dict[str, str], key: str) -> str:
    """The file that set ``key`` or the nearest table above it (``origins[""]``: the top file)."""
    parts = key.replace("[", ".[").split(".")
    for n in range(len(parts), 0, -1):
        if (k := ".".join(parts[:n])) in origins:
            return origins[k]
    return origins[""]


# ----------------------------------------------------------------------------- errors
def describe_error(e: ValidationError, root: type[BaseModel]) -> tuple[str, str]:
    """``(dotted key, message)`` of the first error of validating ``root``, in plain words."""
    err = e.errors(include_url=False)[0]
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
        message = f"expected {bound} items, got {ctx['actual_length']}: {_short(value)}"
    else:
        message = err["msg"].removeprefix("Value error, ")
        for old, new in _WORDING:
            message = message.replace(old, new)
        if kind != "value_error":
            message += f", got {_short(value)}"
    more = len(e.errors()) - 1
    return key, message + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


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


def unwrap(ann: object) -> object:
    """``X`` of ``Annotated[X, ...]`` (nested), else ``ann``."""
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _tag(model: type[BaseModel]) -> object:
    field = model.model_fields.get("kind")
    return field.default if field else None


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
