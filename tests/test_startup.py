"""Start-up: what a run imports before its first step, Mesa's deferred ``__init__``, and where
numba keeps its cache. Each check runs in a fresh process and looks at ``sys.modules``; none
times anything (``python -m benchmarks.startup`` does)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

STEP = """
import json, sys
from urbsim.inputs.consistency import prepare
from urbsim.engine import runner
from urbsim.analysis import export, results  # what `urbsim run` imports before it runs
scn, _ = prepare("baseline", 600, 1)
runner.simulate(scn, 0, 1)
print(json.dumps(sorted(sys.modules)))
"""
NOT_FOR_A_STEP = ("mesa.discrete_space", "mesa.space", "mesa.batchrunner", "mesa.datacollection",
                  "mesa.visualization", "mesa.experimental.continuous_space",
                  "mesa.experimental.meta_agents", "tqdm", "networkx", "zarr", "scipy.stats", "holoviews",
                  "hvplot", "panel", "bokeh", "dask", "distributed", "optuna", "SALib", "rich",
                  "typer", "scipy.spatial._kdtree", "scipy.spatial.transform", "numpy.f2py.f2py2e",
                  "numpy.testing._private", "scipy.sparse.linalg", "scipy.sparse.csgraph._laplacian",
                  "scipy.linalg._basic", "numba.np.polynomial.polynomial_functions",
                  "numba.typed.dictimpl", "numba.misc.gdb_hook", "numba.cpython.printimpl", "psutil")
"""Imported by none of the code a step runs (numpy's and scipy's deferred parts: their
packages are in ``sys.modules``, their ``__init__`` not run; numba's compiler rules, which
loading cached kernels does not install; psutil, where ``/proc/meminfo`` tells the memory)."""


@pytest.fixture(scope="module", autouse=True)
def cached_kernels() -> None:
    """A step's kernels in numba's cache before a test looks at what a step imports (compiling
    them, in a fresh clone, imports numba's compiler, which loading them does not)."""
    _printed(STEP)


def _printed(code: str, **env: str) -> list:
    """What ``code``, run in a fresh process, prints as JSON on its last line."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


def test_a_step_imports_only_what_it_needs():
    modules = _printed(STEP)
    assert "urbsim.engine.model" in modules and "mesa.model" in modules
    assert _loaded(modules, NOT_FOR_A_STEP) == []


def test_a_step_imports_the_benchmarks_floor():
    """The start-up benchmark's floor (its measure 4) is what a step does import."""
    from benchmarks.startup import FLOOR_MODULES

    assert "scipy.spatial._qhull" in FLOOR_MODULES and "mesa.model" in FLOOR_MODULES
    assert _loaded(_printed(STEP), FLOOR_MODULES) == list(FLOOR_MODULES)


def test_a_step_does_not_import_xarray_or_run_pandas():
    modules = _printed(STEP)
    assert "pandas" in modules  # bound by Mesa's data recorders, its __init__ not run
    assert _loaded(modules, ("xarray", "pandas.core", "pyarrow")) == []


def test_pandas_deferred_works_whichever_way_it_is_first_used():
    code = """
import json, sys
import urbsim.engine
from pandas.api.types import is_integer_dtype  # a submodule first: the __init__ runs first
import pandas, pandas.api.types, pandas.core.frame
import xarray
same = [pandas.api.types.is_integer_dtype is is_integer_dtype,
        pandas.core.frame.DataFrame is pandas.DataFrame,
        sys.modules["pandas.api.types"].__spec__.name == "pandas.api.types",
        sys.modules["pandas.api.types"].__spec__.origin == pandas.api.types.__file__]
frame = xarray.DataArray([1.5, 2.5], dims="x").to_pandas()
print(json.dumps(same + [float(frame.sum()), "__getattr__" in vars(pandas)]))
"""
    assert _printed(code) == [True, True, True, True, 4.0, False]
    code = ("import json, urbsim.engine, pandas; "
            "print(json.dumps([pandas.__version__ > '2', int(pandas.Series([1, 2]).sum())]))")
    assert _printed(code) == [True, 3]
    code = ("import importlib, json, urbsim.engine, pandas.io.json._json as j; f = j.read_json; "
            "print(json.dumps(importlib.reload(j).read_json is not f))")
    assert _printed(code) is True  # a reload runs the module's code again


def test_numpy_and_scipy_parts_deferred_work_when_used():
    """What :mod:`urbsim.inputs` defers runs its ``__init__`` when a name of it is read or (but
    for the submodules a run imports alone) a submodule of it is imported, after a step as
    before one;
    ``import numpy.f2py as f2py`` gets the package numpy binds (numpy's own lazy loader
    imports it that way: without the binding it would recurse)."""
    code = """
import json, sys
from urbsim.inputs.consistency import prepare
from urbsim.engine import runner
scn, _ = prepare("baseline", 600, 1)
runner.simulate(scn, 0, 1)
deferred = [n for n in ("numpy.f2py", "numpy.testing", "scipy.spatial", "scipy.sparse.csgraph",
                        "scipy.linalg") if "__getattr__" in vars(sys.modules[n])]
from scipy.spatial.distance import cdist  # a submodule first (scipy.stats' way): the __init__ first
import numpy as np, numpy.f2py as f2py, scipy.spatial, scipy.stats
from scipy.sparse.csgraph import laplacian, dijkstra
from scipy.sparse.linalg import spsolve
import scipy.linalg, scipy.sparse as sp
from urbsim.inputs.city import dijkstra as city_dijkstra
from urbsim.inputs.city_synthetic import Delaunay
print(json.dumps([deferred, f2py is np.f2py is sys.modules["numpy.f2py"], callable(f2py.run_main),
                  float(np.ma.masked_array([1.0, 2.0], mask=[0, 1]).sum()),
                  np.testing.assert_equal(1, 1),
                  int(scipy.spatial.cKDTree([[0, 0], [2, 2]]).query([2, 1])[1]),
                  Delaunay is scipy.spatial.Delaunay, float(cdist([[0, 0]], [[3, 4]])[0, 0]),
                  bool(scipy.stats.norm.cdf(0) == 0.5), city_dijkstra is dijkstra,
                  laplacian(np.array([[0.0, 1.0], [1.0, 0.0]])).tolist(),
                  spsolve(sp.csc_array(np.eye(2) * 2), np.ones(2)).tolist(),
                  float(scipy.linalg.norm([3.0, 4.0])), float(scipy.linalg.det(np.eye(3)))]))
"""
    assert _printed(code) == [["numpy.f2py", "numpy.testing", "scipy.spatial", "scipy.sparse.csgraph",
                               "scipy.linalg"], True, True, 1.0, None, 1, True, 5.0, True, True,
                              [[1.0, -1.0], [-1.0, 1.0]], [0.5, 0.5], 5.0, 1.0]


LOGGING = """
import json, logging, sys
{first}
import mesa.model, mesa.mesa_logging as ml
messages = []
handler = logging.Handler(logging.DEBUG)
handler.emit = lambda record: messages.append(record.getMessage().split(" with ")[0])
ml.get_rootlogger().addHandler(handler)
ml.get_rootlogger().setLevel(logging.DEBUG)
mesa.model.Model(rng=1)
print(json.dumps([sorted(ml._module_loggers), messages]))
"""


def test_cached_kernels_load_without_the_compiler_and_numba_still_compiles():
    """Kernels load from numba's cache without numba's compiler rules
    (:mod:`urbsim._kernels.jit`); numba then compiles as before, here a function that calls a
    kernel so loaded (numba links the kernel's cached code into it)."""
    code = """
import json, sys
import numba, numpy as np
from urbsim._kernels import rng
loaded = rng.uniforms(1, 2, 3, 4, 1)
prepared = "numba.typed.dictimpl" in sys.modules

@numba.njit
def user(x):
    return np.sort(x)[::-1].cumsum() + rng.uniforms(1, 2, 3, 3, 1)

got = user(np.array([1.0, 3.0, 2.0])) - loaded[:3]
print(json.dumps([prepared, got.tolist(), "numba.typed.dictimpl" in sys.modules,
                  rng.uniforms._cache_hits[rng.uniforms.signatures[0]]]))
"""
    prepared, got, prepared_after, hits = _printed(code)
    assert (prepared, prepared_after, hits) == (False, True, 1)
    assert got == pytest.approx([3.0, 5.0, 6.0], abs=1e-12)


def test_a_failed_light_load_loads_as_numba_does():
    """Should loading without numba's compiler rules fail (a numba release that needs more),
    the kernel loads from the cache as numba loads it, context refreshed, nothing compiled."""
    code = """
import json, sys
from urbsim._kernels import jit
class Broken:
    class rtsys:
        @staticmethod
        def initialize(ctx):
            raise RuntimeError("light load")
jit.nrt = Broken
from urbsim._kernels import rng
got = rng.uniforms(1, 2, 3, 4, 1)
print(json.dumps([got.tolist(), "numba.typed.dictimpl" in sys.modules,
                  rng.uniforms._cache_hits[rng.uniforms.signatures[0]]]))
"""
    got, prepared, hits = _printed(code)
    assert (prepared, hits) == (True, 1)
    assert got == _printed("import json; from urbsim._kernels import rng; "
                           "print(json.dumps(rng.uniforms(1, 2, 3, 4, 1).tolist()))")


def test_the_command_line_skips_pydantics_plugin_scan_unless_asked():
    code = """
import json, os
os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None) if {user!r} is None else os.environ.update(
    PYDANTIC_DISABLE_PLUGINS={user!r})
import urbsim.interfaces.cli, urbsim.inputs.params
from pydantic.plugin import _loader
print(json.dumps([os.environ["PYDANTIC_DISABLE_PLUGINS"], _loader._plugins is None]))
"""
    assert _printed(code.format(user=None)) == ["__all__", True]  # entry points never scanned
    assert _printed(code.format(user="none")) == ["none", False]  # the user's choice: scanned


def test_every_kernel_is_compiled_by_urbsims_njit():
    import importlib
    import pkgutil

    from numba.core.registry import CPUDispatcher

    import urbsim._kernels as kernels
    from urbsim._kernels import jit

    found = {f"{m.name}.{name}": type(obj._cache).__name__
             for m in pkgutil.iter_modules(kernels.__path__)
             for name, obj in vars(importlib.import_module(f"urbsim._kernels.{m.name}")).items()
             if isinstance(obj, CPUDispatcher) and obj.__module__.endswith("." + m.name)}
    assert len(found) > 40 and "choice.relocate" in found
    assert {k for k, v in found.items() if v != jit._Cache.__name__} == set()


def test_mesa_logging_by_frame_names_as_mesa_does():
    """The loggers and the messages of Mesa's logging helpers are the same whether they find
    their caller by :func:`inspect.stack` (Mesa imported first) or by frame (urbsim first)."""
    mesa_own = _printed(LOGGING.format(first="import mesa"))
    by_frame = _printed(LOGGING.format(first="import urbsim.engine, inspect; "
                                             "inspect.stack = inspect.getouterframes = None"))
    assert by_frame == mesa_own
    assert "mesa.model" in mesa_own[0] and mesa_own[1] == ["calling Model.__init__"]


def test_the_command_line_imports_no_engine_for_help():
    modules = _printed("import json, sys; import urbsim.interfaces.cli; "
                       "print(json.dumps(sorted(sys.modules)))")
    assert _loaded(modules, ("numpy", "numba", "pandas", "xarray", "mesa", "pydantic", "rich",
                             "urbsim.engine", "urbsim.inputs")) == []


def test_mesa_runs_its_init_when_a_name_of_it_is_used():
    code = """
import json, sys
import urbsim.engine.model
import mesa
before = "mesa.discrete_space" in sys.modules
from mesa import Agent, DataCollector
import mesa.batchrunner
from mesa.experimental import continuous_space
print(json.dumps([before, "mesa.discrete_space" in sys.modules, Agent is mesa.agent.Agent,
                  isinstance(mesa.__version__, str), "__getattr__" in vars(mesa),
                  continuous_space.__name__, "__getattr__" in vars(mesa.experimental)]))
"""
    assert _printed(code) == [False, True, True, True, False,
                              "mesa.experimental.continuous_space", False]


def test_mesa_imported_first_is_left_alone():
    code = ("import mesa, urbsim.engine.model, sys; "
            "assert 'mesa.discrete_space' in sys.modules and mesa.Model is mesa.model.Model")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


CACHE = """
import json, os, urbsim._kernels as k
from numba.core import config
first = os.environ.get("NUMBA_CACHE_DIR")
k._writable = lambda path: False  # as in a read-only install run by a user without a home
k._cache_dir()
path = os.environ.get("NUMBA_CACHE_DIR")
mode = oct(os.stat(path).st_mode & 0o777) if os.path.isdir(path) else None
print(json.dumps([first, path, config.CACHE_DIR, mode]))
"""


def test_numba_cache_falls_back_to_a_private_directory(tmp_path):
    first, path, numba_dir, mode = _printed(CACHE, TMPDIR=str(tmp_path), NUMBA_CACHE_DIR="")
    assert not first  # the source tree's __pycache__ is writable: nothing set on import
    assert path == numba_dir and path.startswith(str(tmp_path / "urbsim-numba-"))
    assert mode == "0o700"


def test_numba_cache_dir_set_by_the_user_is_kept(tmp_path):
    first, path, numba_dir, _ = _printed(CACHE, TMPDIR=str(tmp_path),
                                         NUMBA_CACHE_DIR=str(tmp_path / "mine"))
    assert first == path == numba_dir == str(tmp_path / "mine")


STALE = """
import json, numpy as np
from urbsim._kernels import fenwick
tree = fenwick.build(np.arange(6))
s = fenwick.build.stats
print(json.dumps([tree.tolist(), sum(s.cache_hits.values()), sum(s.cache_misses.values())]))
"""


def test_a_kernel_is_compiled_again_when_any_kernel_module_changes(tmp_path):
    import shutil

    import urbsim._kernels as k

    src = tmp_path / "src" / "urbsim"
    shutil.copytree(os.path.dirname(k.__file__), src / "_kernels",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (src / "__init__.py").write_text("")
    env = {"PYTHONPATH": str(tmp_path / "src"), "NUMBA_CACHE_DIR": ""}
    first = _printed(STALE, **env)
    assert first[1:] == [0, 1]  # compiled and cached
    assert _printed(STALE, **env)[1:] == [1, 0]  # loaded
    rng = src / "_kernels" / "rng.py"  # another module than fenwick's own
    rng.write_text(rng.read_text() + "\n# edited\n")
    again = _printed(STALE, **env)
    assert again[1:] == [0, 1] and again[0] == first[0]  # stale: compiled again


def test_the_startup_benchmark_runs():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, "-m", "benchmarks.startup", "--repeat", "1",
                        "--households", "2000"], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr
    assert "first step done" in r.stdout and "urbsim --help" in r.stdout
    assert "floor: import numba, mesa.model" in r.stdout


def test_the_startup_timeline_times_each_phase():
    from benchmarks.startup import timeline

    phases = timeline(2000)
    assert [k.split(" (")[0] for k, _ in phases][-2:] == ["build the model", "the first step"]
    assert len(phases) == 6 and all(t > 0 for _, t in phases)


def test_the_startup_comparison_with_a_commit_runs(capsys):
    """``python -m benchmarks.against REV --startup``, both sides this tree (a worktree of
    another commit would compile every kernel first)."""
    from pathlib import Path

    from benchmarks.against import _startup

    src = Path(__file__).resolve().parents[1] / "src"
    assert _startup({"before": src, "now": src}, "before", 1) == 0
    out = capsys.readouterr().out
    assert "round 1: import numpy, numba" in out and "now" in out
    assert "to its first step, median of 1: before" in out and "import numpy, numba)" in out
