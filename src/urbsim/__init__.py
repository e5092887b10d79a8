"""urbsim: agent-based simulation of urban lifestyle-milieu dynamics.

The public API is what this module lists in ``__all__``; everything else is reached through
the layers below, each a folder that says in its docstring what lives there. Imports only
point down the list (a test checks it with import-linter, see ``pyproject.toml``)::

    interfaces   the ``urbsim`` command line, the schema reference, the workshop app
    calibration  fitting and checking the baseline against published figures   (tools)
    experiment   scenarios × design × seeds on Dask into one zarr store         (tools)
    analysis     headline indicators, paired comparisons, stored results
    reference    the same rules with one Mesa agent per household, to read and test against
    engine       UrbanModel (a ``mesa.Model``), households, calendar, recorder, runner
    inputs       parameters, scenario files, milieu sets, cities
    common       the input error, file and table helpers, statistics, memory
    _kernels     numba kernels: one module per rule, pure functions of arrays (private)

Names here are resolved lazily (PEP 562), so ``import urbsim`` and ``urbsim --help`` load no
engine until a name is used::

    import urbsim
    scenario = urbsim.load_scenario("rent_brake")          # a shipped name or a file
    with urbsim.UrbanModel(scenario.params(), seed=1) as model:  # released on leaving
        ds = model.run(20)                               # an xarray.Dataset of one run
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_API = {
    # the model and its reference
    "UrbanModel": "urbsim.engine.model",
    "ReferenceModel": "urbsim.reference",
    "ModelParams": "urbsim.inputs.params",
    # scenarios
    "Scenario": "urbsim.inputs.scenario",
    "load_scenario": ("urbsim.inputs.scenario", "load"),
    "validate_scenario": ("urbsim.inputs.consistency", "validate"),
    "shipped_scenarios": ("urbsim.inputs.scenario", "shipped"),
    # running and comparing
    "run_seeds": "urbsim.engine.runner",
    "headline": "urbsim.analysis.summary",
    "series": "urbsim.analysis.summary",
    "compare": ("urbsim.analysis.compare", "differences"),
    "Difference": "urbsim.analysis.compare",
    "read_result": ("urbsim.analysis.results", "read"),
    "write_result": ("urbsim.analysis.results", "write"),
    # cities and milieu sets
    "City": "urbsim.inputs.city",
    "load_city": "urbsim.inputs.city_files",
    "synthetic_city": ("urbsim.inputs.city_synthetic", "synthetic"),
    "grid_city": ("urbsim.inputs.city_synthetic", "grid"),
    "MilieuSet": "urbsim.inputs.milieus",
    "load_milieus": ("urbsim.inputs.milieus", "load"),
    # errors
    "InputError": "urbsim.common.errors",
}

__all__ = [
    "City",
    "Difference",
    "InputError",
    "MilieuSet",
    "ModelParams",
    "ReferenceModel",
    "Scenario",
    "UrbanModel",
    "compare",
    "grid_city",
    "headline",
    "load_city",
    "load_milieus",
    "load_scenario",
    "read_result",
    "run_seeds",
    "series",
    "shipped_scenarios",
    "synthetic_city",
    "validate_scenario",
    "write_result",
]

if TYPE_CHECKING:
    from urbsim.analysis.compare import Difference
    from urbsim.analysis.compare import differences as compare
    from urbsim.analysis.results import read as read_result
    from urbsim.analysis.results import write as write_result
    from urbsim.analysis.summary import headline, series
    from urbsim.common.errors import InputError
    from urbsim.engine.model import UrbanModel
    from urbsim.engine.runner import run_seeds
    from urbsim.inputs.city import City
    from urbsim.inputs.city_files import load_city
    from urbsim.inputs.city_synthetic import grid as grid_city
    from urbsim.inputs.city_synthetic import synthetic as synthetic_city
    from urbsim.inputs.consistency import validate as validate_scenario
    from urbsim.inputs.milieus import MilieuSet
    from urbsim.inputs.milieus import load as load_milieus
    from urbsim.inputs.params import ModelParams
    from urbsim.inputs.scenario import Scenario
    from urbsim.inputs.scenario import load as load_scenario
    from urbsim.inputs.scenario import shipped as shipped_scenarios
    from urbsim.reference import ReferenceModel


def __getattr__(name: str) -> object:
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'urbsim' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
