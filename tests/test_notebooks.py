"""The notebooks in ``notebooks/``: committed without outputs, and each one runs from top to
bottom at small sizes (``URBSIM_NOTEBOOK_SMALL=1``, as CI runs them) without an error, gives
plausible values and writes nothing into the repository.

Each notebook is executed in memory (the file on disk is not touched) with nbclient, in a
``python3`` kernel whose working directory is ``notebooks/``. A probe cell appended to the
copy prints a few of the notebook's variables as JSON, which the test checks.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import tomllib
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["01_quickstart.ipynb", "02_policy_comparison.ipynb", "03_sensitivity.ipynb",
            "04_calibration_report.ipynb"]
SIZE_SWITCH = 'SMALL = os.environ.get("URBSIM_NOTEBOOK_SMALL") == "1"'
PROBE_MARK = "URBSIM-PROBE "


def _found() -> list[str]:
    return sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` (relative path -> content hash)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------- probes
def _check_quickstart(v: dict) -> None:
    assert v["seeds"] == [0, 1] and v["steps"] == 5  # small sizes: 2 seeds, 4 years + the start
    assert v["households"] == 2000
    assert 2 < v["moves"] < 20, v          # % of households moving within the city a year
    assert 0.05 < v["d_low"] < 0.8, v      # dissimilarity of the low-status milieus
    assert 40 < v["turnout_election"] < 95, v
    assert v["headline_rows"] == v["headline_finite"] >= 10, v


def _check_policies(v: dict) -> None:
    assert v["seeds"] == [0, 1]
    assert v["policies"] == ["rent_brake", "random_panels"]
    assert v["all_paired"] and v["rows"] > 20
    # the brake does not cap asking rents (``rent_private``); it binds on the rents new tenants
    # sign within four years: private tenants pay less
    assert v["rent_base"] > 0 and v["rent_other"] > 0, v
    assert v["paid_diff"] < 0 and v["paid_other"] < v["paid_base"], v
    # panels are invited in years 1 and 3: acceptance exists only with the policy
    assert v["panel_verdict"] == "only in random_panels", v
    assert 0 < v["panel_acceptance"] < 50, v


def _check_sensitivity(v: dict) -> None:
    # small mode: a tiny Sobol design of 2 parameters, N = 4: 4 x (2 + 2) points, 1 seed
    assert not v["used_shipped_store"]
    assert v["runs"] == v["done"] == 16, v
    assert v["parameters"] == ["moving.mobility_scale", "placement.status_match_width"]
    assert 1.25 <= v["mobility_min"] < v["mobility_max"] <= 2.75, v
    assert v["indices"] == 6, v            # 3 outputs x 2 parameters
    assert all(math.isfinite(x) and x >= 0 for x in v["ST"] + v["ST_conf"]), v
    assert not v["tmp_left"], "the quick store was not removed"


def _check_calibration(v: dict) -> None:
    targets = tomllib.loads((ROOT / "calibration" / "targets.toml").read_text(encoding="utf-8"))
    assert v["targets"] == sorted(targets["targets"]), v
    assert sum(v["verdicts"].values()) == len(targets["targets"])
    assert set(v["verdicts"]) <= {"pass", "FAIL", "gap"}
    assert v["seeds"] == [100, 101] and v["households"] == {
        "baseline": 6000, "random_panels": 6000, "continuous_local": 6000}
    assert 3 < v["tenant_changes"] < 15, v  # % of tenant households a year (published 6.75)
    assert 50 < v["turnout_election"] < 90, v
    assert v["milieu_shares"] == "pass", v  # by construction, at any size


PROBES: dict[str, tuple[str, Callable[[dict], None]]] = {
    "01_quickstart.ipynb": ("""{
        "seeds": ds.seed.values.tolist(), "steps": ds.sizes["step"],
        "households": int(ds.households.isel(seed=0, step=0).sum()),
        "moves": float(mean["moves"]), "d_low": float(mean["d_low"]),
        "turnout_election": float(mean["turnout_election"]),
        "headline_rows": len(headline), "headline_finite": int(headline["mean"].notna().sum())}""",
                            _check_quickstart),
    "02_policy_comparison.ipynb": ("""{
        "seeds": SEEDS, "policies": sorted(set(table.policy), key=POLICIES.index),
        "all_paired": bool(table.paired.all()), "rows": len(table),
        "rent_diff": float(rent["difference"]), "rent_base": float(rent["baseline"]),
        "rent_other": float(rent["policy value"]),
        "paid_diff": float(paid["difference"]), "paid_base": float(paid["baseline"]),
        "paid_other": float(paid["policy value"]),
        "panel_verdict": table[(table.policy == "random_panels")
                               & (table.indicator == "turnout_panel")].verdict.iloc[0],
        "panel_acceptance": float(table[(table.policy == "random_panels")
                                        & (table.indicator == "turnout_panel")]["policy value"].iloc[0])}""",
                                   _check_policies),
    "03_sensitivity.ipynb": ("""{
        "used_shipped_store": tmp is None, "runs": int(ds.status.size),
        "done": int((ds.status == store.DONE).sum()), "parameters": ds.parameter.values.tolist(),
        "mobility_min": float(ds.value.sel(parameter="moving.mobility_scale").min()),
        "mobility_max": float(ds.value.sel(parameter="moving.mobility_scale").max()),
        "indices": len(indices), "ST": indices.ST.tolist(), "ST_conf": indices.ST_conf.tolist(),
        "tmp_left": tmp is not None and Path(tmp.name).exists()}""", _check_sensitivity),
    "04_calibration_report.ipynb": ("""{
        "targets": sorted(table.target), "verdicts": table.verdict.value_counts().to_dict(),
        "seeds": list(cal.config.check.seed_list),
        "households": {k: s.households for k, s in cal.scenarios.items()},
        "tenant_changes": float(table.set_index("target").model["tenant_changes"]),
        "turnout_election": float(table.set_index("target").model["turnout_election"]),
        "milieu_shares": table.set_index("target").verdict["milieu_shares"]}""",
                                    _check_calibration),
}


def _probe_cell(expression: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(
        f"import json as _json\nprint({PROBE_MARK!r} + _json.dumps({expression.strip()}))")


def _probe_values(nb: nbformat.NotebookNode) -> dict:
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next((x for x in out.splitlines() if x.startswith(PROBE_MARK)), None)
    assert line is not None, f"the probe printed no values: {out!r}"
    return json.loads(line[len(PROBE_MARK):])


# ----------------------------------------------------------------------------- tests
def test_exactly_the_four_notebooks():
    assert _found() == EXPECTED
    assert set(PROBES) == set(EXPECTED)


@pytest.mark.parametrize("name", _found())
def test_committed_without_outputs(name):
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [], f"{name}: a cell has outputs: {cell.source[:60]!r}"
        assert cell.execution_count is None, f"{name}: a cell has an execution count"
    assert SIZE_SWITCH in code[0].source, f"{name}: the first code cell must read the size switch"


@pytest.mark.parametrize("name", _found())
def test_runs_at_small_sizes(name, monkeypatch):
    monkeypatch.setenv("URBSIM_NOTEBOOK_SMALL", "1")  # the kernel inherits the environment
    original = (NOTEBOOKS / name).read_bytes()
    before = _snapshot(NOTEBOOKS)
    expression, check = PROBES[name]
    nb = copy.deepcopy(_read(name))
    nb.cells.append(_probe_cell(expression))
    NotebookClient(nb, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    check(_probe_values(nb))
    assert (NOTEBOOKS / name).read_bytes() == original
    assert _snapshot(NOTEBOOKS) == before, "executing wrote into notebooks/"
