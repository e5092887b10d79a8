"""An experiment file resolved into runs: scenarios × design points × seeds.

Run ``(i, j, k)`` is scenario ``i`` with design point ``j`` and seed ``k``. Seeds come from
the experiment's ``root_seed`` through ``numpy.random.SeedSequence`` (spawn key ``(0, k)``;
the design's own random numbers use ``(1,)``), and seed ``k`` is the same in every scenario
and design point: common random numbers, so that differences between scenarios or points
are little disturbed by noise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from urbsim.common import schema
from urbsim.common.errors import InputError
from urbsim.common.recording import recorded_steps
from urbsim.experiment import design
from urbsim.experiment.spec import RENAMED, Experiment
from urbsim.inputs import consistency
from urbsim.inputs import scenario as sc
from urbsim.inputs.params import ModelParams, digest_dump, get, update

FORMAT = "urbsim-experiment/2"
"""Store layout version; part of the digest."""


@dataclass(frozen=True, eq=False)
class Plan:
    """A validated experiment, ready to run."""

    path: Path
    spec: Experiment
    scenarios: dict[str, ModelParams]
    steps: int
    values: np.ndarray
    """Design points × parameters (one empty row without a design)."""
    unit: np.ndarray | None
    """The design points in the unit hypercube (lhs, sobol, morris)."""
    seeds: np.ndarray
    coords: dict
    """Coordinates of the kept variables (neighbourhood, milieu, ...), from the first scenario."""
    names: tuple[str, ...] = ()
    """The varied parameters' dotted keys, in design column order (a posterior design's
    come from its file)."""

    @property
    def name(self) -> str:
        """The experiment's name (default: its file name)."""
        return self.spec.name

    @property
    def parameters(self) -> tuple[str, ...]:
        """The varied parameters' dotted keys, in design column order."""
        return self.names or tuple(self.spec.parameters)

    @property
    def baseline(self) -> str:
        """The name of the scenario the others are compared with (default: the first)."""
        return self.spec.baseline or next(iter(self.scenarios))

    @property
    def shape(self) -> tuple[int, int, int]:
        """(scenarios, design points, seeds)."""
        return len(self.scenarios), len(self.values), len(self.seeds)

    @property
    def total(self) -> int:
        """The number of runs: scenarios × design points × seeds."""
        return int(np.prod(self.shape))

    def runs(self) -> Iterator[tuple[int, int, int]]:
        """Every run, seed by seed (a sweep stopped early has whole replications)."""
        ns, nd, nr = self.shape
        for k in range(nr):
            for j in range(nd):
                for i in range(ns):
                    yield i, j, k

    def overrides(self, j: int) -> dict[str, float | int]:
        """The parameter values of design point ``j`` by dotted key."""
        integer = {k for k, p in self.spec.parameters.items() if p.integer}
        return {key: int(v) if key in integer else float(v) for key, v in
                zip(self.parameters, self.values[j], strict=True)}

    def params(self, i: int, j: int) -> ModelParams:
        """The model parameters of scenario ``i`` at design point ``j``."""
        return update(list(self.scenarios.values())[i], self.overrides(j))

    @property
    def recorded(self) -> np.ndarray:
        """The steps each run keeps (:func:`urbsim.engine.recorder.recorded_steps`)."""
        return recorded_steps(self.spec.output.record, self.steps)

    @property
    def digest(self) -> str:
        """Hash of everything that determines the runs' results: a store made for another
        digest is not resumed."""
        blob = json.dumps({
            "format": FORMAT, "steps": self.steps, "parameters": self.parameters,
            "scenarios": {k: digest_dump(p) for k, p in self.scenarios.items()},
            "values": self.values.tolist(), "seeds": self.seeds.tolist(),
            "indicators": self.spec.output.indicators,
            "fields": self.spec.output.variable_names,  # the key of format 2: digests stay
        } | ({"record": self.spec.output.record} if self.spec.output.record != 1 else {}),
            sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def seeds(root_seed: int, n: int) -> np.ndarray:
    """The run seeds of replications ``0 .. n-1``."""
    return np.array([np.random.SeedSequence(root_seed, spawn_key=(0, k)).generate_state(1)[0]
                     for k in range(n)], dtype=np.int64)


def bootstrap_seed(root_seed: int) -> int:
    """The seed of the analysis's bootstrap intervals (SALib's Sobol and Morris): the root
    seed itself, except for 0, which SALib's Sobol analysis takes for "unseeded" (it then drew
    from numpy's global state, so that the intervals of an experiment with the default
    ``root_seed = 0`` changed with whatever ran before in the process): for it, a number
    from ``SeedSequence(0, spawn_key=(2,))``."""
    return root_seed or int(np.random.SeedSequence(0, spawn_key=(2,)).generate_state(1)[0])


def load(path: str | Path) -> Plan:
    """Read and check an experiment file, its scenarios and its design.

    Raises:
        InputError: naming the experiment file and key, or the scenario file at fault.
    """
    path = Path(path)
    spec = schema.load(Experiment, path, "experiment TOML file", RENAMED)
    if not spec.name:
        try:
            spec = spec.model_copy(update={"name": schema.file_name(path.stem)})
        except ValueError as e:
            raise InputError(f"{e} (from the file name: set `name`)", path, "name") from None
    scenarios = _scenarios(path, spec)
    if spec.baseline is not None and spec.baseline not in scenarios:
        raise InputError(f"not one of the scenarios ({', '.join(scenarios)})", path, "baseline")
    first = next(iter(scenarios.values()))
    steps = spec.steps or first.steps
    params = {name: s.params() for name, s in scenarios.items()}
    design_seed = int(np.random.SeedSequence(spec.root_seed, spawn_key=(1,)).generate_state(1)[0])
    names = list(spec.parameters)
    unit = design.unit(spec.design, names, design_seed)
    if unit is not None:
        values = design.scale(spec.parameters, unit)
    elif spec.design.method == "grid":
        values = design.grid(spec.parameters)
    elif spec.design.method == "posterior":
        from urbsim.analysis.robust import draws

        assert spec.design.file is not None and spec.design.samples is not None
        table = draws(path.parent / spec.design.file, spec.design.samples, design_seed)
        names, values = list(table.columns), table.to_numpy(float)
    else:
        values = np.zeros((1, 0))
    _check_values(path, spec, params, names, values)
    return Plan(path, spec, params, steps, values, unit, seeds(spec.root_seed, spec.seeds),
                _field_coords(path, spec, params), tuple(names))


def _scenarios(path: Path, spec: Experiment) -> dict[str, sc.Scenario]:
    out: dict[str, sc.Scenario] = {}
    for i, name in enumerate(spec.scenarios):
        scn = sc.load(sc.locate(name, path.parent, path, f"scenarios[{i}]"))
        if spec.households is not None:
            scn = scn.model_copy(update={"households": spec.households})
        consistency.check(scn, spec.steps)
        if scn.name in out:
            raise InputError(f"a second scenario named {scn.name!r}", path, f"scenarios[{i}]")
        out[scn.name] = scn
    return out


def _check_values(path: Path, spec: Experiment, params: dict[str, ModelParams],
                  names: list[str], values: np.ndarray) -> None:
    """Every varied key exists and is a number in every scenario, and the smallest and the
    largest value of the design are valid there."""
    for j, key in enumerate(names):
        p = spec.parameters.get(key)
        where = f"parameters.{key}" if p is not None else f"design.file: {key}"
        for name, base in params.items():
            try:
                current = get(base, key)
            except KeyError:
                raise InputError(f"no such parameter in scenario {name!r}", path,
                                 where) from None
            if isinstance(current, bool) or not isinstance(current, int | float):
                raise InputError(f"not a number in scenario {name!r} (it is "
                                 f"{type(current).__name__}); only numbers can be varied", path,
                                 where)
            for v in (values[:, j].min(), values[:, j].max()):
                try:
                    update(base, {key: int(v) if p is not None and p.integer else float(v)})
                except ValidationError as e:
                    _, message = schema.describe_error(e, ModelParams)
                    raise InputError(f"value {v:g} is not valid in scenario {name!r}: "
                                     f"{message}", path, where) from None


def _field_coords(path: Path, spec: Experiment, params: dict[str, ModelParams]) -> dict:
    if not spec.output.variable_names:
        return {}
    import xarray as xr

    from urbsim.engine.world import coords
    from urbsim.inputs.city_files import load_city
    from urbsim.inputs.milieus import load as load_milieus

    out: dict = {}
    for i, p in enumerate(params.values()):
        c = coords(load_city(p.households, p.city), load_milieus(p.milieus))
        if i > 0 and not xr.Dataset(coords=c).identical(xr.Dataset(coords=out)):
            raise InputError("its city or milieus differ from the first scenario's, so variables "
                             "cannot share a store; keep indicators only (output.variables = [])",
                             path, f"scenarios[{i}]")
        out = c
    return out
