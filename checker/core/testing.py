"""What the day suites use: the implementation under test and learner-facing checks.

    from checker.core.testing import implementation, assert_close, numerical_grad

    attention = implementation("day16_attention.attention")   # resolved at first use

`implementation` is lazy: a stub, a syntax error or a missing function fails the
tests that use it, never the collection of the whole suite. Which tree it resolves
in (exercises, solutions, a submission) is the pytest option `--impl`.

Tolerances live here, once: RTOL for closed forms, GRAD_RTOL for finite differences.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

RTOL = 1e-7  # closed forms and comparisons with a naive implementation, in float64
ATOL = 1e-10  # absolute slack for values that should be 0
GRAD_RTOL = 1e-5  # analytic gradient against central differences
GRAD_ATOL = 1e-7
GRAD_STEP = 1e-5  # central-difference step in float64
PERF_FACTOR = 20.0  # how many times slower than the test's own vectorised version code may be
PERF_FLOOR = 1e-3  # seconds: below this a reference time is timer noise

_resolver: Callable[[str], Any] | None = None  # set by checker.core.plugin for the session


def set_resolver(resolver: Callable[[str], Any] | None) -> Callable[[str], Any] | None:
    """Install how `implementation` modules are found (the plugin does this); returns the
    resolver it replaces."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous


class Implementation:
    """A day module of the tree under test, imported the first time it is used."""

    def __init__(self, module: str):
        self._module = module  # "day16_attention.attention"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if _resolver is None:
            raise RuntimeError(
                "day suites run under llmroad's pytest plugin (-p checker.core.plugin)"
            )
        module = _resolver(self._module)
        try:
            return getattr(module, name)
        except AttributeError:
            raise AttributeError(
                f"{self._module.replace('.', '/')}.py has no function {name!r} — "
                "keep the names from the course (restore the stub if it was renamed)"
            ) from None

    def __repr__(self) -> str:
        return f"implementation({self._module!r})"


def implementation(module: str) -> Implementation:
    return Implementation(module)


def _worst(actual: np.ndarray, expected: np.ndarray) -> str:
    error = np.abs(actual - expected)
    error = np.where(np.isnan(error), np.inf, error)
    index = np.unravel_index(np.argmax(error), error.shape) if error.ndim else ()
    where = f" at index {tuple(int(i) for i in index)}" if error.ndim else ""
    return f"{where}: got {actual[index]!r}, expected {expected[index]!r}"


def assert_shape(actual: Any, shape: tuple[int, ...], what: str) -> None:
    actual_shape = np.shape(actual)
    assert actual_shape == tuple(shape), (
        f"{what} should have shape {tuple(shape)}, got {actual_shape}"
    )


def assert_close(
    actual: Any,
    expected: Any,
    what: str,
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Assert `actual` matches `expected` in shape and value, explaining in words."""
    expected = np.asarray(expected, dtype=float)
    assert actual is not None, f"{what}: got None — did you forget to return it?"
    try:
        actual = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be numbers, got {type(actual).__name__}") from None
    assert_shape(actual, expected.shape, what)
    nan = np.isnan(actual) & ~np.isnan(expected)
    assert not nan.any(), (
        f"{what} contains NaN{_worst(actual, expected)} — look for 0/0, inf - inf or log(0)"
    )
    inf = np.isinf(actual) & ~np.isinf(expected)
    assert not inf.any(), f"{what} overflows to inf{_worst(actual, expected)}"
    close = np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    wrong = int((~close).sum())
    worst = _worst(actual, expected)
    assert not wrong, f"{what} is wrong in {wrong} of {close.size} entries{worst}"


def numerical_grad(f: Callable[[], float], x: np.ndarray, step: float = GRAD_STEP) -> np.ndarray:
    """Central differences of the scalar `f()` with respect to `x`, which f reads and which
    is perturbed in place (and restored). Shape of x."""
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + step
        plus = f()
        x[index] = saved - step
        minus = f()
        x[index] = saved
        grad[index] = (plus - minus) / (2 * step)
    return grad


def assert_grad_close(analytic: Any, f: Callable[[], float], x: np.ndarray, what: str) -> None:
    """Assert an analytic gradient matches central differences of `f` around `x`."""
    expected = numerical_grad(f, x)
    assert np.any(expected != 0), "test bug: the numerical gradient is all zeros"
    assert_close(
        analytic,
        expected,
        f"{what} (compared with central finite differences)",
        rtol=GRAD_RTOL,
        atol=GRAD_ATOL,
    )


def best_seconds(run: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of `repeat` runs: the least disturbed by whatever else the machine does."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def assert_fast_enough(
    learner: Callable[[], object],
    reference: Callable[[], object],
    what: str,
    advice: str,
    factor: float = PERF_FACTOR,
) -> None:
    """Self-calibrated speed check: the learner's code against a straightforward vectorised
    version of the same work, written in the test and timed here on the same machine. The
    bound is generous (PERF_FACTOR, unless a suite says why it needs another), so a
    vectorised solution passes on a slow, busy machine and a Python loop over rows fails
    on a fast one."""
    theirs = max(best_seconds(reference), PERF_FLOOR)
    mine = best_seconds(learner)
    ratio = mine / theirs
    assert ratio <= factor, (
        f"{what} took {mine * 1e3:.0f} ms, {ratio:.0f}× as long as a vectorised version of the "
        f"same work ({theirs * 1e3:.1f} ms); it may take at most {factor:.0f}× — {advice}"
    )
