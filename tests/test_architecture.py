"""The shape of the code: layers, the public API, private names, kernel arguments, types.

Each check reads the source or runs a tool; none times anything.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import urbsim

SRC = Path(urbsim.__file__).parent
ROOT = SRC.parents[1]
BIN = Path(sys.executable).parent
MODULES = sorted(SRC.rglob("*.py"))
MAX_KERNEL_ARGS = 15


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(".__init__")


def test_imports_point_down_the_layers():
    r = subprocess.run([BIN / "lint-imports", "--no-cache"], cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0 broken" in r.stdout


def test_every_layer_says_what_lives_there_and_what_it_may_import():
    for pkg in ("_kernels", "common", "inputs", "engine", "reference", "analysis", "calibration",
                "experiment", "interfaces"):
        doc = ast.get_docstring(_tree(SRC / pkg / "__init__.py")) or ""
        assert len(doc) > 80, pkg
        assert "import" in doc, f"{pkg}: say what the layer may import"


def test_no_module_reads_another_modules_private_names():
    bad = []
    for path in MODULES:
        here = _module(path)
        tree = _tree(path)
        imported = {}  # local name -> urbsim module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("urbsim"):
                for a in node.names:
                    target = f"{node.module}.{a.name}"
                    if a.name.startswith("_") and not _is_package(target):
                        bad.append(f"{here}: from {node.module} import {a.name}")
                    imported[a.asname or a.name] = target
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("urbsim"):
                        imported[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in imported and node.attr.startswith("_")
                    and not node.attr.startswith("__") and _is_package(imported[node.value.id])):
                bad.append(f"{here}: {node.value.id}.{node.attr}")
    assert not bad, bad


def _is_package(name: str) -> bool:
    """Whether ``name`` is a module or package of urbsim (``urbsim._kernels`` is one)."""
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def test_the_public_api_resolves_lazily():
    assert urbsim.__all__ == sorted(urbsim._API)
    for name in urbsim.__all__:
        assert getattr(urbsim, name) is not None, name
    with pytest.raises(AttributeError):
        urbsim.no_such_thing  # noqa: B018
    code = ("import sys, urbsim; heavy = [m for m in ('numba', 'xarray', 'mesa', "
            "'urbsim.engine.model') if m in sys.modules]; print(heavy); "
            "urbsim.UrbanModel; print('urbsim.engine.model' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["[]", "True"], out


def _kernels() -> list[tuple[str, ast.FunctionDef]]:
    out = []
    for path in sorted((SRC / "_kernels").glob("*.py")):
        for node in _tree(path).body:
            if isinstance(node, ast.FunctionDef) and any(
                    "njit" in ast.unparse(d) for d in node.decorator_list):
                out.append((f"{path.stem}.{node.name}", node))
    return out


def test_every_kernel_takes_at_most_15_arguments_and_documents_each():
    kernels = _kernels()
    assert len(kernels) > 20
    for name, fn in kernels:
        args = [a.arg for a in fn.args.args]
        assert len(args) <= MAX_KERNEL_ARGS, f"{name} takes {len(args)} arguments"
        if fn.name.startswith("_"):
            continue
        doc = ast.get_docstring(fn) or ""
        assert doc, f"{name} has no docstring"
        if args:
            assert "Args:" in doc, f"{name}: no Args section"
            section = doc.split("Args:", 1)[1]
            for a in args:
                assert f"{a} " in section or f"{a}:" in section, f"{name}: {a} undocumented"


def test_types_check():
    r = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:]


def test_lint_and_docstring_rules_pass():
    r = subprocess.run([BIN / "ruff", "check", "src", "tests", "benchmarks", "scripts"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:]
