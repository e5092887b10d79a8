"""Results that do not depend on the machine: the model computes exponentials, logarithms,
powers and angles through the C library (:mod:`urbsim._kernels.libm`), never with numpy's
loops, which differ in the last bit between CPUs with AVX-512 and without."""

from __future__ import annotations

import ast
import ctypes
import ctypes.util
from pathlib import Path

import numpy as np
import pytest

import urbsim
from urbsim._kernels import libm

CPU_DEPENDENT = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "power",
                 "float_power", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2",
                 "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "hypot", "cbrt",
                 "logaddexp", "logaddexp2"}
"""numpy's float64 functions with loops of their own for AVX-512 (its SIMD code or SVML)."""

SRC = Path(urbsim.__file__).parent


def test_no_module_of_the_model_calls_numpys_cpu_dependent_functions():
    calls = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "_kernels":  # numba compiles these to the C library's
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in ("np", "numpy")
                    and node.func.attr in CPU_DEPENDENT):
                calls.append(f"{path.relative_to(SRC)}:{node.lineno} np.{node.func.attr}")
    assert not calls, "use urbsim._kernels.libm (or math for a scalar): " + ", ".join(calls)


X = np.random.default_rng(7).standard_normal(2_000) * 20
CASES = [(libm.exp, "exp", (X / 10,)), (libm.log, "log", (np.abs(X),)),
         (libm.log1p, "log1p", (np.abs(X),)), (libm.sin, "sin", (X,)), (libm.cos, "cos", (X,)),
         (libm.power, "pow", (np.abs(X), X / 20)), (libm.arctan2, "atan2", (X, X[::-1])),
         (libm.hypot, "hypot", (X, X[::-1]))]


@pytest.mark.parametrize("ours, name, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_each_function_is_the_c_librarys(ours, name, args):
    c_library = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name)
    c_library.restype = ctypes.c_double
    c_library.argtypes = [ctypes.c_double] * len(args)
    got = ours(*args)
    assert got.dtype == np.float64 and got.shape == args[0].shape
    assert [c_library(*v) for v in zip(*args, strict=True)] == got.tolist()
    assert ours(*(float(a[3]) for a in args)) == c_library(*(float(a[3]) for a in args))


@pytest.mark.skipif(np._core._multiarray_umath.__cpu_features__.get("AVX512F", False),
                    reason="numpy computes these with its own AVX-512 code on this machine")
@pytest.mark.parametrize("ours, _, args", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_without_avx512_numpy_gives_the_same_bits(ours, _, args):
    theirs = getattr(np, ours.__name__)(*args)
    assert np.array_equal(ours(*args).view(np.int64), theirs.view(np.int64))


def test_shapes_broadcasting_and_special_values():
    assert libm.exp(np.zeros((2, 3))).shape == (2, 3)
    assert libm.power(0.5, np.arange(3)).tolist() == [1.0, 0.5, 0.25]
    assert libm.power(np.array([[2.0], [3.0]]), np.array([1.0, 2.0])).tolist() == [[2, 4], [3, 9]]
    got = libm.log(np.array([0.0, -1.0, np.inf, np.nan]))
    assert got[0] == -np.inf and np.isnan(got[1]) and got[2] == np.inf and np.isnan(got[3])
    assert libm.exp(-np.inf) == 0.0 and isinstance(libm.exp(1.0), float)
