"""The docs say what the code does: generated parts are current, every scenario key is
described in the ODD section of the rule that uses it, with a unit, and the site builds with
warnings as errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from urbsim.interfaces import schemadoc

ROOT = Path(__file__).resolve().parents[1]
ODD = (ROOT / "docs" / "odd.md").read_text(encoding="utf-8")
HEADINGS = ["## 1. Purpose and patterns", "## 2. Entities, state variables and scales",
            "## 3. Process overview and scheduling", "## 4. Design concepts",
            "## 5. Initialisation", "## 6. Input data", "## 7. Submodels",
            "### 7.1 Composition", "### 7.2 Satisfaction", "### 7.3 Move decision",
            "### 7.4 Search and choice", "### 7.5 Housing market", "### 7.6 Contracts and KdU",
            "### 7.7 Housing policies", "### 7.8 Turnover and demand", "### 7.9 Participation",
            "## 8. What the model leaves out"]
SECTION = {  # first part of a key -> the section of the rule that uses it
    "households": "5. Initialisation", "milieus": "5. Initialisation",
    "income": "5. Initialisation", "placement": "5. Initialisation",
    "city": "6. Input data", "steps": "6. Input data", "record": "6. Input data",
    "name": "6. Input data",
    "description": "6. Input data", "extends": "6. Input data", "start_year": "6. Input data",
    "satisfaction": "7.2 Satisfaction", "moving": "7.3 Move decision",
    "choice": "7.4 Search and choice", "market": "7.5 Housing market",
    "contracts": "7.6 Contracts and KdU", "kdu": "7.6 Contracts and KdU",
    "policies": "7.7 Housing policies", "turnover": "7.8 Turnover and demand",
    "demand": "7.8 Turnover and demand",
    "participation": "7.9 Participation", "events": "7.9 Participation",
}
EXCEPTIONS = {"satisfaction.ring_weights": "7.1 Composition",
              "income.growth": "7.8 Turnover and demand",
              "city.owner_share": "5. Initialisation",
              "city.social_expiry": "7.5 Housing market",
              "contracts.history_growth": "5. Initialisation"}
"""Keys whose rule is not their table's: the ring weights define the perceived composition;
incomes grow in the turnover phase; owner shares and the contracts' history set up the start;
social bindings end in the market phase."""


def problems(text: str) -> list[str]:
    """What is wrong with the parameter blocks of an ODD text (empty: nothing)."""
    keys = schemadoc.parameters()
    placed = schemadoc.placed(text)
    out = [f"{k}: in no section" for k in keys if k not in placed]
    out += [f"{k}: not a scenario key" for k in placed if k not in keys]
    out += [f"{k}: in {len(p)} blocks" for k, p in placed.items() if len(p) > 1]
    for key, positions in placed.items():
        want = EXCEPTIONS.get(key, SECTION.get(key.split(".")[0], "?"))
        heading = re.findall(r"(?m)^#{2,3} (.+)$", text[:positions[0]])
        if not heading or heading[-1] != want:
            out.append(f"{key}: under {heading[-1] if heading else 'no heading'!r}, "
                       f"expected {want!r}")
    return out


def test_the_odd_has_the_protocol_sections_in_order():
    positions = [ODD.find(f"\n{h}\n") for h in HEADINGS]
    assert -1 not in positions, [h for h, p in zip(HEADINGS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)


def test_every_scenario_key_sits_in_the_section_of_its_rule():
    assert problems(ODD) == []


def test_the_check_fails_when_a_key_leaves_its_section():
    removed = ODD.replace(" moving.forced_rate ", " ", 1)
    assert removed != ODD
    assert problems(removed) == ["moving.forced_rate: in no section"]
    moved = removed.replace("<!-- parameters: participation.", "<!-- parameters: "
                            "moving.forced_rate participation.", 1)
    assert problems(moved) == ["moving.forced_rate: under '7.9 Participation', expected "
                               "'7.3 Move decision'"]


def test_every_scenario_key_has_a_unit_and_a_description():
    for key, (_, f) in schemadoc.parameters().items():
        assert schemadoc.unit(f), f"{key}: no unit"
        assert f.description, f"{key}: no description"


def test_the_generated_docs_are_current():
    r = subprocess.run([sys.executable, ROOT / "scripts" / "docs.py", "--check"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_odd_tables_hold_the_schema_and_the_labels():
    table = ODD[ODD.index("### 7.3 Move decision"):ODD.index("### 7.4")]
    assert "| `moving.max_burden` | rent/income above which a move is forced |" in table
    assert "calibrated" in ODD and "sourced:" in ODD and "prior" in ODD


def test_the_site_builds_with_warnings_as_errors(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # the theme's notice, not a docs warning
    r = subprocess.run([mkdocs, "build", "--strict", "--site-dir", tmp_path / "site"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr[-4000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "UrbanModel" in api and "load_scenario" in api and "expected_steps" in api
    odd = (tmp_path / "site" / "odd" / "index.html").read_text(encoding="utf-8")
    assert "moving.max_burden" in odd


def test_the_readme_is_short_and_maps_the_docs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for page in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / page).is_file(), page


@pytest.mark.parametrize("page", ["getting-started.md"])
def test_python_examples_in_the_docs_run(page, tmp_path):
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    for code in re.findall(r"```python\n(.*?)```", text, re.S):
        r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]


def test_ci_runs_exactly_the_readme_test_command():
    """The README's first lines are the two commands; ``.ci/run`` runs the second."""
    block = (ROOT / "README.md").read_text(encoding="utf-8").split("```bash\n", 1)[1]
    setup_run, tests = (line.split("#")[0].strip() for line in block.splitlines()[:2])
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert setup_run.startswith("bash scripts/setup.sh && ") and "urbsim run" in setup_run
    assert tests.startswith("bash scripts/setup.sh --tests && ") and ci == tests
