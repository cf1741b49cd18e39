"""What the day suites use: the implementation under test and learner-facing checks.

    from checker.core.testing import implementation, assert_close, msg

    attention = implementation("day16_attention.attention")   # resolved at first use

`implementation` is lazy: a stub, a syntax error or a missing function fails the
tests that use it, never the collection of the whole suite. Which tree it resolves
in (exercises, solutions, a submission) is the pytest option `--impl`.

Every check here phrases its part of a failure in the chosen language (checker.core.i18n);
a test's own sentence is one `msg(en=..., ja=...)`. Numbers are shown as numbers
(`1.1154`, never `np.float64(1.1153846153846154)`).

Tolerances live here, once: RTOL for closed forms, GRAD_RTOL for finite differences.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from checker.core.i18n import msg

__all__ = [
    "ATOL",
    "GRAD_RTOL",
    "RTOL",
    "assert_array",
    "assert_close",
    "assert_fast_enough",
    "assert_grad_close",
    "assert_inputs_unchanged",
    "assert_not_mistake",
    "assert_scalar",
    "assert_shape",
    "assert_tuple",
    "implementation",
    "msg",
    "num",
    "numerical_grad",
]

RTOL = 1e-7  # closed forms and comparisons with a naive implementation, in float64
ATOL = 1e-10  # absolute slack for values that should be 0
GRAD_RTOL = 1e-5  # analytic gradient against central differences
GRAD_ATOL = 1e-7
GRAD_STEP = 1e-5  # central-difference step in float64
PERF_FACTOR = 20.0  # how many times slower than the test's own vectorised version code may be
PERF_FLOOR = 1e-3  # seconds: below this a reference time is timer noise
PERF_RUNS = 3  # timed runs, each on inputs of its own; the fastest counts

_resolver: Callable[[str], Any] | None = None  # set by checker.core.plugin for the session


def set_resolver(resolver: Callable[[str], Any] | None) -> Callable[[str], Any] | None:
    """Install how `implementation` modules are found (the plugin does this); returns the
    resolver it replaces."""
    global _resolver
    previous, _resolver = _resolver, resolver
    return previous


class Implementation:
    """A day module of the tree under test, imported the first time a test uses it.

    Only public names resolve: pytest and other tools probe module-level objects for
    private attributes (`_mock_name`, `__test__`) while collecting, and that must never
    import the learner's code before the days it builds on have been judged."""

    def __init__(self, module: str):
        self._module = module  # "day16_attention.attention"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if _resolver is None:
            raise RuntimeError("day suites run under llmroad's pytest plugin")
        module = _resolver(self._module)
        try:
            return getattr(module, name)
        except AttributeError:
            path = self._module.replace(".", "/") + ".py"
            raise AttributeError(
                msg(
                    en=f"{path} has no function {name!r}: keep the names from the course "
                    "(restore the stub if it was renamed)",
                    ja=f"{path} に関数 {name!r} がありません。関数名はコースのままにしてください"
                    "(名前を変えたならスタブから戻しましょう)",
                )
            ) from None

    def __repr__(self) -> str:
        return f"implementation({self._module!r})"


def implementation(module: str) -> Implementation:
    return Implementation(module)


# ------------------------------------------------------------------ how numbers are shown


def num(value: Any) -> str:
    """A number or a small array as a person writes it: 1.1154, 3, nan, [0.5 0.25]."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=6, threshold=12, edgeitems=3, separator=", ")
    return repr(value)


def _told_apart(actual: Any, expected: Any) -> tuple[str, str]:
    """Both numbers as num() writes them, with more digits where six would show the same
    number twice ('-0.391391, expected -0.391391' says nothing)."""
    got, want = num(actual), num(expected)
    if got == want and isinstance(actual, float | np.floating):
        digits = next((d for d in range(7, 18) if f"{actual:.{d}g}" != f"{expected:.{d}g}"), 17)
        got, want = f"{float(actual):.{digits}g}", f"{float(expected):.{digits}g}"
    return got, want


def _ja(what: str) -> str:
    """`what` before a Japanese particle: a space after a code name (`X_train は`), none
    after Japanese (`勾配は`), as Japanese technical writing spaces them."""
    return what + (" " if what and what[-1].isascii() else "")


def _type_name(value: Any) -> str:
    return type(value).__name__ if not isinstance(value, np.ndarray) else f"ndarray {value.dtype}"


# ------------------------------------------------------------------ what was returned


def assert_shape(actual: Any, shape: tuple[int, ...], what: str) -> None:
    actual_shape = np.shape(actual)
    assert actual_shape == tuple(shape), msg(
        en=f"{what} should have shape {tuple(shape)}, got {actual_shape}",
        ja=f"{_ja(what)}の形は {tuple(shape)} のはずですが、{actual_shape} でした",
    )


def assert_array(
    actual: Any, shape: tuple[int, ...], what: str, dtype: Any = np.float64
) -> np.ndarray:
    """`actual` is an np.ndarray of `shape` and `dtype` (None: any dtype), as a docstring
    promises; checked in the day that returns it, so a later day never pays for it."""
    assert actual is not None, msg(
        en=f"{what} is None: did you forget to return it?",
        ja=f"{_ja(what)}が None です。return を忘れていませんか?",
    )
    assert isinstance(actual, np.ndarray), msg(
        en=f"{what} should be a NumPy array (np.ndarray), got {_type_name(actual)}: build it "
        "with NumPy operations, or wrap it in np.asarray(...)",
        ja=f"{_ja(what)}は NumPy 配列 (np.ndarray) のはずですが、{_type_name(actual)} でした。"
        "NumPy の演算で作るか、np.asarray(...) で包みましょう",
    )
    assert_shape(actual, shape, what)
    if dtype is not None:
        want = np.dtype(dtype)
        assert actual.dtype == want, msg(
            en=f"{what} should have dtype {want}, got {actual.dtype}"
            + (
                ": compute in float64 (np.asarray(x, dtype=float) converts the input)"
                if want == np.float64
                else ""
            ),
            ja=f"{_ja(what)}の dtype は {want} のはずですが、{actual.dtype} でした"
            + (
                "。float64 で計算しましょう(np.asarray(x, dtype=float) で入力を変換できます)"
                if want == np.float64
                else ""
            ),
        )
    return actual


def assert_scalar(actual: Any, what: str, kind: type = float) -> Any:
    """`actual` is a single Python number of `kind` (float or int; NumPy's float64 counts
    as a float, since it is one), not an array, a list or None."""
    ok = isinstance(actual, kind) and not isinstance(actual, bool)
    if kind is int:
        ok = isinstance(actual, int | np.integer) and not isinstance(actual, bool)
    assert ok, msg(
        en=f"{what} should be a single Python {kind.__name__}, got {_type_name(actual)}"
        + (f" of shape {np.shape(actual)}" if np.ndim(actual) else "")
        + f": return {kind.__name__}(value)",
        ja=f"{_ja(what)}は Python の {kind.__name__} ひとつのはずですが、{_type_name(actual)}"
        + (f"(形 {np.shape(actual)})" if np.ndim(actual) else "")
        + f" でした。{kind.__name__}(値) を返しましょう",
    )
    return actual


def assert_tuple(result: Any, count: int, what: str, names: str) -> tuple:
    """`result` is a tuple of `count` values (`names`, as the docstring lists them,
    e.g. "(out, cache)"); returns it."""
    assert isinstance(result, tuple) and len(result) == count, msg(
        en=f"{what} should return a tuple {names}, got {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, tuple | list) else ""),
        ja=f"{_ja(what)}はタプル {names} を返すはずですが、{type(result).__name__}"
        + (f"(長さ {len(result)})" if isinstance(result, tuple | list) else "")
        + " でした",
    )
    return result


# ------------------------------------------------------------------ values


def _first_wrong(actual: np.ndarray, expected: np.ndarray, wrong: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(wrong)[0]) if wrong.ndim else ()


def _mismatch(what: str, actual: np.ndarray, expected: np.ndarray, wrong: np.ndarray) -> str:
    """'x is 1.1154, expected 1.0' for one number; for an array, how many entries are
    wrong and the first of them."""
    index = _first_wrong(actual, expected, wrong)
    got, want = _told_apart(actual[index], expected[index])
    if actual.size == 1:
        return msg(
            en=f"{what} is {got}, expected {want}",
            ja=f"{_ja(what)}は {got} ですが、正しくは {want} です",
        )
    count, size = int(wrong.sum()), wrong.size
    return msg(
        en=f"{what} is wrong in {count} of {size} entries; the first is at index {index}: "
        f"{got}, expected {want}",
        ja=f"{_ja(what)}の {size} 個中 {count} 個が違います。最初は添字 {index} で、{got} ですが"
        f"正しくは {want} です",
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
    assert actual is not None, msg(
        en=f"{what}: got None — did you forget to return it?",
        ja=f"{what}: None が返りました。return を忘れていませんか?",
    )
    try:
        actual = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(
            msg(
                en=f"{what} should be numbers, got {type(actual).__name__}",
                ja=f"{_ja(what)}は数値のはずですが、{type(actual).__name__} でした",
            )
        ) from None
    assert_shape(actual, expected.shape, what)
    nan = np.isnan(actual) & ~np.isnan(expected)
    assert not nan.any(), msg(
        en=f"{what} contains NaN (first at index {_first_wrong(actual, expected, nan)}): "
        "look for 0/0, inf - inf or log(0)",
        ja=f"{_ja(what)}に NaN があります(最初は添字 {_first_wrong(actual, expected, nan)})。"
        "0/0、inf - inf、log(0) がないか探しましょう",
    )
    inf = np.isinf(actual) & ~np.isinf(expected)
    assert not inf.any(), msg(
        en=f"{what} overflows to inf (first at index {_first_wrong(actual, expected, inf)}): "
        "look for exp of a large number",
        ja=f"{_ja(what)}が inf にあふれています(最初は添字 {_first_wrong(actual, expected, inf)})。"
        "大きな数の exp がないか探しましょう",
    )
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True)
    assert not wrong.any(), _mismatch(what, actual, expected, wrong)


def assert_not_mistake(
    actual: Any,
    mistaken: Any,
    message: str,
    *,
    correct: Any = None,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Fail with `message`, which names a common mistake, when `actual` is what that
    mistake computes (`mistaken`, worked out in the test). Anything else passes here:
    other tests judge whether the value is right. Given the `correct` value, a mistake
    that happens to give it on this data is not named (there is nothing to tell apart)."""
    if correct is not None and np.shape(mistaken) == np.shape(correct):
        if np.allclose(mistaken, correct, rtol=max(rtol, 1e-6), atol=atol):
            return
    try:
        actual = np.asarray(actual, dtype=float)
        mistaken = np.asarray(mistaken, dtype=float)
    except (TypeError, ValueError):
        return
    if actual.shape == mistaken.shape and np.allclose(actual, mistaken, rtol=rtol, atol=atol):
        raise AssertionError(message)


def assert_inputs_unchanged(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call `function(*args, **kwargs)` and assert it changed none of its arguments in
    place; returns what it returned. Array arguments are compared exactly."""
    before = copy.deepcopy((args, kwargs))
    result = function(*args, **kwargs)
    names = _argument_names(function, len(args))
    named = [(names[i], a, b) for i, (a, b) in enumerate(zip(args, before[0]))]
    named += [(k, kwargs[k], before[1][k]) for k in kwargs]
    for name, after, original in named:
        assert _same(after, original), msg(
            en=f"{getattr(function, '__name__', 'the function')} changed its argument {name} "
            "in place: compute new arrays instead of writing into the inputs "
            "(x -= m changes the caller's array; x = x - m does not)",
            ja=f"{getattr(function, '__name__', '関数')} が引数 {name} をその場で書き換えました。"
            "入力に書き込まず、新しい配列を作りましょう"
            "(x -= m は呼び出し側の配列を変えます。x = x - m なら変えません)",
        )
    return result


def _argument_names(function: Callable, count: int) -> list[str]:
    """The names of the first `count` positional parameters ('#1', '#2', … where the
    signature cannot be read, as for a function run in the grader's worker)."""
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"#{i + 1}" for i in range(count)]


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    if isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    return a == b


# ------------------------------------------------------------------ gradients


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
    # A test's own data must make the loss depend on x, for any seed of the suites.
    assert np.any(expected != 0), "test bug: the numerical gradient is all zeros"
    assert_close(
        analytic,
        expected,
        msg(
            en=f"{what} (compared with central finite differences)",
            ja=f"{what}(中心差分による数値微分との比較)",
        ),
        rtol=GRAD_RTOL,
        atol=GRAD_ATOL,
    )


# ------------------------------------------------------------------ speed


def timed_call(function: Callable, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """(result, seconds) of one call. Under grading the learner's function runs in a worker
    process, which times the call itself, so the trip across the process boundary is
    never counted."""
    timed = getattr(function, "timed", None)
    if timed is not None:
        return timed(*args, **kwargs)
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def assert_fast_enough(
    learner: Callable,
    reference: Callable,
    inputs: Callable[[int], tuple | dict],
    what: str,
    advice: str,
    factor: float = PERF_FACTOR,
    runs: int = PERF_RUNS,
) -> None:
    """Self-calibrated speed check: the learner's function against a straightforward
    vectorised version of the same work, written in the test and timed here on the same
    machine. Run k of `runs` calls both on `inputs(k)` (positional arguments as a tuple, or
    keyword arguments as a dict), inputs of its own, so remembering
    an earlier answer gains nothing; the fastest run of each counts. The bound is generous
    (PERF_FACTOR, unless a suite says why it needs another), so a vectorised solution
    passes on a slow, busy machine and a Python loop over rows fails on a fast one.
    The test checks a value of the learner's function besides: speed alone earns nothing."""
    mine = theirs = float("inf")
    for k in range(runs):
        given = inputs(k)
        args, kwargs = ((), given) if isinstance(given, dict) else (given, {})
        theirs = min(theirs, timed_call(reference, *args, **kwargs)[1])
        mine = min(mine, timed_call(learner, *args, **kwargs)[1])
    theirs = max(theirs, PERF_FLOOR)
    ratio = mine / theirs
    assert ratio <= factor, msg(
        en=f"{what} took {mine * 1e3:.0f} ms, {ratio:.0f}× as long as the test's own version of "
        f"the same work ({theirs * 1e3:.1f} ms); it may take at most {factor:.0f}×. {advice}",
        ja=f"{_ja(what)}に {mine * 1e3:.0f} ms かかりました。同じ計算をするテスト側の版"
        f"({theirs * 1e3:.1f} ms)の {ratio:.0f} 倍で、上限は {factor:.0f} 倍です。{advice}",
    )
