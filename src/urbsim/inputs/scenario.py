"""Scenario files: TOML validated against the parameter schema, with ``extends`` inheritance.

A scenario is a :class:`~urbsim.inputs.params.ModelParams` plus what to run (:class:`Scenario`).
A file may say ``extends = "baseline.toml"`` (relative to itself) and then state only what
differs: tables merge key by key, any other value (numbers, strings, lists) replaces the
inherited one. Events and policies are tables keyed by name, so a scenario adds an event by a
new name, changes an inherited one by naming it, and switches one off with
``enabled = false``. New names come after the inherited ones, which keeps the inherited events'
random streams (common random numbers, see :mod:`urbsim._kernels.rng`).

Paths in a file (``extends``, ``milieus`` unless a shipped name, ``city.nodes``, ``city.edges``,
``city.polygons``, ``city.district_table``) are relative to that file; ``extends =
"baseline"`` (a bare name, no such file beside it) names a shipped scenario, so a file that
builds on one runs from any folder.
:func:`loads` reads a scenario from text (an upload), where no file path is accepted. Values are
checked strictly: a string is not a number, a number is not a string.

Every problem raises :class:`~urbsim.common.errors.InputError` as one line
``file: dotted.key: what was expected``, naming the file in the ``extends`` chain that set the
key.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pydantic import Field, PrivateAttr

from urbsim.common import schema
from urbsim.common.errors import InputError
from urbsim.common.files import parse_toml, read_toml
from urbsim.common.recording import Checked
from urbsim.common.schema import Name, short
from urbsim.inputs.milieus import available
from urbsim.inputs.params import REMOVED_KINDS, ModelParams

PATH_KEYS = (("extends",), ("milieus",), ("city", "nodes"), ("city", "edges"), ("city", "polygons"),
             ("city", "district_table"))
"""Keys whose string values are paths relative to the file that states them."""

RENAMED = {"policies.new_construction": "policies.social_quota",
           "policies.unlock": "policies.unlock_underused"}
"""Tables of shipped scenarios renamed to match their files: a file that still names the old
table (to change the inherited policy) keeps working, with a
:class:`~urbsim.common.schema.DeprecatedKey` warning."""

RENAMED_KEYS = {"city.geojson": "city.polygons", "city.geojson_scale": "city.polygon_scale"}
"""Keys renamed when polygons learnt coordinate systems and GeoPackage: a file that still
states them keeps working, with a warning (and, without ``geojson_scale``, its old default:
planar coordinates in km)."""


class Scenario(ModelParams):
    """A scenario file: model parameters, plus its name, question and run length."""

    name: Name = Field("", description="short name (default: the file name; not "
                                       "inherited); it names the results' files",
                      json_schema_extra={"unit": "name"})
    description: str = Field("", max_length=5000, description="what the scenario changes, in a "
                                                              "sentence (not inherited)",
                             json_schema_extra={"unit": "text"})
    extends: str | None = Field(None, description="scenario file this one builds on (relative "
                                                  "path, or the bare name of a shipped scenario "
                                                  "such as \"baseline\"); it then states only "
                                                  "what differs",
                                   json_schema_extra={"unit": "path or name"})
    steps: int = Field(20, ge=1, le=1000, description="years to simulate (`--steps` overrides)",
                       json_schema_extra={"unit": "years"})
    record: Checked = Field(
        1, description="which steps the results keep: every k-th step (1: every step; step 0 "
                       "and the last always), or \"final\" for the last step only; indicators "
                       "are computed for kept steps only, and a kept step holds what recording "
                       "every step would hold for it (`--record` overrides)",
        json_schema_extra={"unit": "steps or \"final\""})

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
        """The model parameters alone (without name, description, extends, steps and
        record)."""
        return ModelParams.model_validate(self.model_dump(include=set(ModelParams.model_fields)))


def shipped_dir() -> Path:
    """The shipped scenarios: the repository's ``scenarios/`` (source checkouts and editable
    installs) or the copy packaged into the wheel."""
    repo = Path(__file__).resolve().parents[3] / "scenarios"
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


def _hint(name: str) -> str:
    """``; did you mean 'rent_brake'?`` for a near miss of a shipped name, else the list of
    shipped names."""
    import difflib

    names = shipped()
    close = difflib.get_close_matches(name.replace("-", "_").lower(), names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f" (shipped: {', '.join(names)})"


def locate(name: str, base: Path, source: str | Path, key: str) -> Path:
    """The scenario a file refers to by ``name``: a path relative to ``base`` (the referring
    file's folder), or the name of a shipped scenario.

    Raises:
        InputError: neither exists (naming ``source`` and ``key``, and the shipped names).
    """
    target = resolve(name, base)
    if not target.is_file():
        raise InputError(f"no such scenario file or shipped scenario {name!r}{_hint(name)}",
                         source, key)
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
    data = parse_toml(text, source)
    city = data.get("city")
    for key in ("nodes", "edges", "polygons", "geojson", "district_table"):
        if isinstance(city, dict) and key in city:
            raise InputError("city files cannot be given here: upload a scenario of the "
                             "default city", source, f"city.{key}")
    milieus = data.get("milieus")
    if milieus is not None and milieus not in available():
        raise InputError(f"expected a shipped milieu set ({', '.join(available())}), got "
                         f"{short(milieus)}", source, "milieus")
    parent = data.pop("extends", None)
    if parent is None:
        return _validate(data, dict.fromkeys(_flatten(data), source), source, Path(source).stem)
    name = parent.removesuffix(".toml") if isinstance(parent, str) else None
    if name not in shipped():
        raise InputError(f"expected the name of a shipped scenario ({', '.join(shipped())}), "
                         f"got {short(parent)}", source, "extends")
    base, inherited = _read_chain(shipped_dir() / f"{name}.toml", ())
    data = _inherit(base, data, source)
    origins = inherited | dict.fromkeys(_flatten(data), source)
    return _validate(_merge(base, data), origins, source, Path(source).stem)


def _validate(data: dict, origins: dict[str, str], source: str, stem: str) -> Scenario:
    """The merged ``data`` of a chain whose top file is ``source``, as a :class:`Scenario`."""
    origins = origins | {"": source}
    for key, default in (("name", stem), ("description", "")):  # not inherited
        if origins.get(key) != source:
            data[key], origins[key] = default, source
    policies = data.get("policies")
    for name, policy in (policies.items() if isinstance(policies, dict) else ()):
        kind = policy.get("kind") if isinstance(policy, dict) else None
        if isinstance(kind, str) and kind in REMOVED_KINDS:
            key = f"policies.{name}.kind"
            raise InputError(f"{kind!r} was removed: {REMOVED_KINDS[kind]}",
                             _origin(origins, key), key)
    scn = schema.validate(Scenario, data, lambda key: _origin(origins, key))
    scn._origins = origins
    return scn


# ----------------------------------------------------------------------------- reading
def _read_chain(path: Path, chain: tuple[Path, ...]) -> tuple[dict, dict[str, str]]:
    """The merged data of ``path`` and its ancestors, and the file that set each key."""
    if any(path.resolve() == p.resolve() for p in chain):
        loop = " -> ".join(p.name for p in (*chain, path))
        raise InputError(f"`extends` loop: {loop}", chain[-1], "extends")
    data = read_toml(path, "scenario TOML file", _hint(path.stem))
    city = data.get("city")
    planar = isinstance(city, dict) and "geojson" in city and "geojson_scale" not in city
    data = schema.rename(data, RENAMED_KEYS, path)
    if planar:
        data["city"].setdefault("polygon_scale", 1.0)
    for keys in PATH_KEYS:
        _resolve_path(data, keys, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, dict.fromkeys(_flatten(data), str(path))
    if not isinstance(parent, str):
        raise InputError(f"expected a file name, got {parent!r}", path, "extends")
    ppath = Path(parent)
    if not ppath.is_file():
        what = "a directory" if ppath.is_dir() else "no such file"
        raise InputError(f"{what}: {parent}; expected a scenario file (relative to this one)",
                         path, "extends")
    base, origins = _read_chain(ppath, (*chain, path))
    data = _inherit(base, data, path)
    return _merge(base, data), origins | dict.fromkeys(["extends", *_flatten(data)], str(path))


def _inherit(base: dict, data: dict, source: object) -> dict:
    """``data`` of a file that extends ``base``, with each old table name of :data:`RENAMED`
    that it uses to change an inherited table (the base has the new name, not the old)
    moved to the new name, with a warning; names of the file's own choosing stay."""
    renamed = {old: new for old, new in RENAMED.items()
               if _has(data, old) and _has(base, new) and not _has(base, old)}
    return schema.rename(data, renamed, source) if renamed else data


def _has(data: dict, dotted: str) -> bool:
    node: object = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _resolve_path(data: dict, keys: tuple[str, ...], base: Path) -> None:
    *up, last = keys
    node = data
    for k in up:
        child = node.get(k)
        if not isinstance(child, dict):
            return
        node = child
    value = node.get(last)
    if not isinstance(value, str):
        return
    if keys == ("milieus",) and value in available():
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
