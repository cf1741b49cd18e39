"""Mutation testing of a day's suite: how many single-change mutants of the reference it kills.

A day ships when its suite kills at least 98% of the mutants that change behaviour
(DESIGN.md). This module makes every single-change mutant of a day's reference modules,
runs the day's suite against each, and counts:

- killed: the suite failed (at the first failing test, `-x`), ran past the time limit
  (a hang counts as killed, reported as a timeout), or the module did not even import;
- survived: the whole suite passed, so no test tells this mutant from the reference;
- equivalent: listed with a reason in `tests/days/<folder>/equivalent_mutants.toml`
  (`[[equivalent]] id = "..." reason = "..."`), never run.

The mutator is a small one over the standard library's `ast`, because the well-kept
tools do not fit this course: mutmut and cosmic-ray mutate a package in place and run
one fixed test command over it, while here a day's suite must run with `--impl` against
a *copy* of the whole reference tree (later days import earlier ones relatively), one
private copy per worker, in a warm process that is forked once per mutant.

A mutant is written back by splicing `ast.unparse` of the changed node into the
original source (parenthesised when precedence needs it, and checked by parsing the
result), so comments and line numbers stay and its diff is only the changed line. Its id
does not depend on line numbers:

    "<function>: <the changed node's source line, comment dropped> | <operator> #k"

where k counts identical (function, line, operator) triples, e.g.
`fit_linear_closed_form: b = y_mean - x_mean @ w | Sub -> Add #1`.

Operators: arithmetic and bitwise operators swapped with a neighbour (also in `x += ...`);
unary minus, `not` and `~` removed; comparisons flipped and loosened; `and`/`or`
swapped; constants (an int n to n + 1, and to 0 when n != 0; a float x to 1.5 x, or to
1.0 when x is 0; True/False swapped; since `-1` is minus applied to 1, index and slice
constants move by one this way too); the keyword arguments axis, keepdims, ddof and
dtype; NumPy reductions and their partners swapped (max/min, argmax/argmin, sum/mean,
maximum/minimum, std/var, any/all); slice bounds that are not constants moved by one;
and an assignment, augmented assignment or call statement inside a function deleted
(replaced by `pass`). Default argument values are mutated like any other expression;
docstrings and annotations never are.
"""

from __future__ import annotations

import ast
import compileall
import copy
import difflib
import gc
import importlib
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tokenize
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from py_compile import PycInvalidationMode

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

from checker.core.catalogue import Day
from checker.core.layout import PROJECT_ROOT, REFERENCE, SUITES
from checker.core.runner import read_events

THRESHOLD = 98.0  # percent of non-equivalent mutants a day's suite must kill
TIME_FACTOR, TIME_SLACK = 10.0, 10.0  # a mutant may take 10x the reference's suite + 10 s
BASELINE_LIMIT = 600.0  # seconds the unmutated suite may take
POLL = 0.005  # seconds between looks at the running children
IMPORT_FAILED = 97  # a child's exit code: the mutated module did not import
CHILD_CRASHED = 98  # a child's exit code: the child's own code raised
EQUIVALENTS_FILE = "equivalent_mutants.toml"

# --------------------------------------------------------------------------- the mutator

BINARY_SWAPS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitOr,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
}
COMPARE_SWAPS = {  # loosened or tightened first, then the opposite
    ast.Lt: (ast.LtE, ast.GtE),
    ast.LtE: (ast.Lt, ast.Gt),
    ast.Gt: (ast.GtE, ast.LtE),
    ast.GtE: (ast.Gt, ast.Lt),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
BOOL_SWAPS = {ast.And: ast.Or, ast.Or: ast.And}
REMOVED_UNARY = (ast.USub, ast.Not, ast.Invert)
METHOD_SWAPS = {  # np.max(...) and x.max(...) alike
    "max": "min",
    "min": "max",
    "amax": "amin",
    "amin": "amax",
    "nanmax": "nanmin",
    "nanmin": "nanmax",
    "argmax": "argmin",
    "argmin": "argmax",
    "maximum": "minimum",
    "minimum": "maximum",
    "sum": "mean",
    "mean": "sum",
    "nansum": "nanmean",
    "nanmean": "nansum",
    "std": "var",
    "var": "std",
    "any": "all",
    "all": "any",
}
BUILTIN_SWAPS = {"max": "min", "min": "max", "any": "all", "all": "any"}
DTYPE_SWAPS = {
    "float": "int",
    "int": "float",
    "bool": "int",
    "np.float64": "np.float32",
    "np.float32": "np.float64",
    "np.int64": "np.float64",
    "np.int32": "np.int64",
    "np.bool_": "np.int64",
    "'float64'": "'float32'",
    "'float32'": "'float64'",
    "'int64'": "'float64'",
}
DELETABLE = (ast.Assign, ast.AugAssign, ast.AnnAssign)


@dataclass(frozen=True)
class Mutant:
    """One single-change mutant of a module: its stable id and its whole source."""

    id: str
    module: str  # "linear_regression"
    function: str  # the innermost enclosing function, "<module>" outside any
    line: int  # where the changed node starts in the original (for people, not the id)
    description: str  # "Sub -> Add"
    source: str  # the mutated module
    diff: str  # unified diff of the changed lines


@dataclass
class _Site:
    """Where a node sits in the tree, and what to put there instead."""

    node: ast.AST  # the node replaced (its position is what the splice cuts out)
    replacement: ast.AST
    description: str
    function: str
    holder: ast.AST
    field: str
    index: int | None


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _name(op: ast.AST | type) -> str:
    return op.__name__ if isinstance(op, type) else type(op).__name__


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def _literal(node: ast.AST) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


_NOT_LITERAL = object()


def _number_changes(value: object) -> list[object]:
    """What a number becomes: n + 1 and 0 for an int, 1.5 x (or 1.0 for 0) for a float."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1] + ([0] if value != 0 else [])
    if isinstance(value, float) and math.isfinite(value):
        scaled = float(f"{value * 1.5:.12g}")  # 0.15, not 0.15000000000000002
        return [scaled if value != 0 else 1.0]
    return []


def _keyword_changes(name: str, value: ast.expr) -> list[str] | None:
    """New source texts for the value of keyword `name`; None: mutate it as any expression."""
    literal = _literal(value)
    if name == "axis":
        if literal is None:
            return ["0"]
        if isinstance(literal, tuple):
            return ["None"]
        if isinstance(literal, int) and not isinstance(literal, bool):
            return [repr(v) for v in {0: [1, None], -1: [0, -2]}.get(literal, [literal + 1, None])]
    if name == "keepdims" and isinstance(literal, bool):
        return [repr(not literal)]
    if name == "ddof" and isinstance(literal, int) and not isinstance(literal, bool):
        return [repr(v) for v in _number_changes(literal)]
    if name == "dtype" and ast.unparse(value) in DTYPE_SWAPS:
        return [DTYPE_SWAPS[ast.unparse(value)]]
    return None


class _SiteFinder:
    """Walks a module in source order and lists every place a single change can go."""

    def __init__(self) -> None:
        self.sites: list[_Site] = []
        self.functions: list[str] = []

    @property
    def function(self) -> str:
        return ".".join(self.functions) or "<module>"

    def add(self, node, replacement, description, holder, field, index) -> None:
        self.sites.append(
            _Site(node, replacement, description, self.function, holder, field, index)
        )

    def visit(self, node: ast.AST, holder: ast.AST | None, field: str, index: int | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.visit_field(node.args, "defaults", self.functions + [node.name])
            self.visit_field(node.args, "kw_defaults", self.functions + [node.name])
            self.functions.append(node.name)
            self.visit_body(node)
            self.functions.pop()
        elif isinstance(node, ast.ClassDef | ast.Module):
            self.visit_body(node)
        elif isinstance(node, ast.AnnAssign):  # the annotation is not code
            self.statement_sites(node, holder, field, index)
            if node.value is not None:
                self.visit(node.value, node, "value", None)
        elif isinstance(node, ast.JoinedStr | ast.arg | ast.arguments | ast.Import):
            return  # f-strings, parameters (annotations only) and imports: nothing to change
        elif isinstance(node, ast.keyword) and node.arg in ("axis", "keepdims", "ddof", "dtype"):
            self.keyword_sites(node)
        else:
            self.node_sites(node, holder, field, index)
            for name, value in ast.iter_fields(node):
                self.visit_value(node, name, value)

    def visit_value(self, node: ast.AST, name: str, value: object) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ast.AST):
                    self.visit(item, node, name, i)
        elif isinstance(value, ast.AST):
            self.visit(value, node, name, None)

    def visit_field(self, node: ast.AST, name: str, functions: list[str]) -> None:
        """Default values belong to their function, though they sit outside its body."""
        outer, self.functions = self.functions, functions
        self.visit_value(node, name, getattr(node, name))
        self.functions = outer

    def visit_body(self, node: ast.AST) -> None:
        for i, statement in enumerate(node.body):
            if not (i == 0 and _is_docstring(statement)):
                self.visit(statement, node, "body", i)

    def statement_sites(self, node: ast.stmt, holder, field, index) -> None:
        deletable = isinstance(node, DELETABLE) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        )
        if isinstance(node, ast.AnnAssign) and node.value is None:
            deletable = False  # a bare annotation does nothing to delete
        if self.functions and deletable:
            self.add(node, ast.Pass(), "delete statement", holder, field, index)

    def keyword_sites(self, node: ast.keyword) -> None:
        changes = _keyword_changes(node.arg, node.value)
        if changes is None:
            self.visit(node.value, node, "value", None)
            return
        old = ast.unparse(node.value)
        for text in changes:
            self.add(
                node.value,
                _expr(text),
                f"{node.arg}={old} -> {node.arg}={text}",
                node,
                "value",
                None,
            )

    def node_sites(self, node: ast.AST, holder, field, index) -> None:
        if isinstance(node, ast.stmt):
            self.statement_sites(node, holder, field, index)
        for replacement, description in _changes(node):
            self.add(node, replacement, description, holder, field, index)
        if isinstance(node, ast.Call):
            for replacement, description in _call_changes(node.func):
                self.add(node.func, replacement, description, node, "func", None)
        if isinstance(node, ast.Slice):
            for bound in ("lower", "upper"):
                value = getattr(node, bound)
                if value is not None and _literal(value) is _NOT_LITERAL:
                    for op, sign in ((ast.Add(), "+"), (ast.Sub(), "-")):
                        moved = ast.BinOp(left=value, op=op, right=ast.Constant(value=1))
                        self.add(value, moved, f"slice {bound} {sign} 1", node, bound, None)


def _changes(node: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """The replacements of `node` itself, with their descriptions."""
    if isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in BINARY_SWAPS:
        new = BINARY_SWAPS[type(node.op)]
        yield _with(node, op=new()), f"{_name(node.op)} -> {_name(new)}"
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, REMOVED_UNARY):
        yield node.operand, f"remove {_name(node.op)}"
    elif isinstance(node, ast.BoolOp):
        new = BOOL_SWAPS[type(node.op)]
        yield _with(node, op=new()), f"{_name(node.op)} -> {_name(new)}"
    elif isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            for new in COMPARE_SWAPS.get(type(op), ()):
                ops = [*node.ops[:i], new(), *node.ops[i + 1 :]]
                yield _with(node, ops=ops), f"{_name(op)} -> {_name(new)}"
    elif isinstance(node, ast.Constant) and not isinstance(node.value, str | bytes):
        for value in _number_changes(node.value):
            yield ast.Constant(value=value), f"{node.value!r} -> {value!r}"


def _call_changes(func: ast.expr) -> Iterator[tuple[ast.AST, str]]:
    """np.max -> np.min and its kin, for the function a call names."""
    if isinstance(func, ast.Attribute) and func.attr in METHOD_SWAPS:
        yield _with(func, attr=METHOD_SWAPS[func.attr]), f"{func.attr} -> {METHOD_SWAPS[func.attr]}"
    elif isinstance(func, ast.Name) and func.id in BUILTIN_SWAPS:
        yield _with(func, id=BUILTIN_SWAPS[func.id]), f"{func.id} -> {BUILTIN_SWAPS[func.id]}"


def _with(node: ast.AST, **fields) -> ast.AST:
    changed = copy.copy(node)  # shallow: the children are shared, never changed
    for name, value in fields.items():
        setattr(changed, name, value)
    return changed


def _put(site: _Site, node: ast.AST) -> None:
    if site.index is None:
        setattr(site.holder, site.field, node)
    else:
        getattr(site.holder, site.field)[site.index] = node


def _line_offsets(data: bytes) -> list[int]:
    """The byte offset where each line starts (ast's columns count UTF-8 bytes)."""
    offsets = [0]
    for i, byte in enumerate(data):
        if byte == 0x0A:
            offsets.append(i + 1)
    return offsets


def _splice(data: bytes, offsets: list[int], node: ast.AST, text: str) -> str:
    start = offsets[node.lineno - 1] + node.col_offset
    end = offsets[node.end_lineno - 1] + node.end_col_offset
    return (data[:start] + text.encode() + data[end:]).decode()


def _mutated_source(tree: ast.Module, site: _Site, data: bytes, offsets: list[int]) -> str:
    """The module with the site's change, its formatting and comments kept where possible.

    The change is spliced into the source, then checked: the top-level statement holding
    it must parse to the mutated tree's (parentheses are added when precedence needs them).
    """
    top = next(
        i
        for i, statement in enumerate(tree.body)
        if statement.lineno <= site.node.lineno <= statement.end_lineno
    )
    _put(site, site.replacement)
    try:
        expected = ast.dump(tree.body[top])
    finally:
        _put(site, site.node)
    statement = tree.body[top]
    decorators = getattr(statement, "decorator_list", [])
    first = offsets[min([statement.lineno] + [d.lineno for d in decorators]) - 1]
    last = offsets[statement.end_lineno - 1] + statement.end_col_offset
    text = ast.unparse(site.replacement)
    for candidate in (text, f"({text})"):
        spliced = _splice(data, offsets, site.node, candidate)
        grown = len(spliced.encode()) - len(data)
        try:  # parse only the statement that changed: a module is much slower to parse
            changed = ast.parse(spliced.encode()[first : last + grown]).body
        except SyntaxError:
            continue
        if len(changed) == 1 and ast.dump(changed[0]) == expected:
            return spliced
    _put(site, site.replacement)  # pragma: no cover - no known change needs this
    try:  # pragma: no cover
        return ast.unparse(tree)  # correct, only less tidy: the comments are lost
    finally:  # pragma: no cover
        _put(site, site.node)


def _code_lines(source: str) -> dict[int, str]:
    """Line number -> the line without its comment, stripped."""
    lines = source.splitlines()
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.start[1]
    return {
        number: line[: comments.get(number, len(line))].strip()
        for number, line in enumerate(lines, start=1)
    }


def mutants_of_source(
    source: str, module: str = "module", label: str | None = None
) -> list[Mutant]:
    """Every single-change mutant of one module's source, in source order.

    `label` names the file in the diffs (default: `<module>.py`). Two changes that give
    the same source are one mutant (the first one's id)."""
    tree = ast.parse(source)
    finder = _SiteFinder()
    finder.visit(tree, None, "", None)
    data = source.encode()
    offsets = _line_offsets(data)
    code = _code_lines(source)
    original = source.splitlines()
    label = label or f"{module}.py"
    seen_ids: Counter[tuple[str, str, str]] = Counter()
    seen_sources: set[str] = set()
    mutants = []
    for site in finder.sites:
        line = code[site.node.lineno]
        seen_ids[site.function, line, site.description] += 1
        k = seen_ids[site.function, line, site.description]
        mutated = _mutated_source(tree, site, data, offsets)
        if mutated in seen_sources:
            continue
        seen_sources.add(mutated)
        diff = difflib.unified_diff(
            original, mutated.splitlines(), f"{label}", "mutant", n=0, lineterm=""
        )
        mutants.append(
            Mutant(
                id=f"{site.function}: {line} | {site.description} #{k}",
                module=module,
                function=site.function,
                line=site.node.lineno,
                description=site.description,
                source=mutated,
                diff="\n".join(diff),
            )
        )
    return mutants


def mutants_of_day(day: Day, reference: Path = REFERENCE) -> list[Mutant]:
    """Every single-change mutant of each module of the day in the reference tree."""
    mutants = []
    for module in day.modules:
        path = reference / day.folder / f"{module}.py"
        label = f"solutions/{day.folder}/{module}.py"
        mutants += mutants_of_source(path.read_text(encoding="utf-8"), module, label)
    return mutants


# ------------------------------------------------------------------ equivalent mutants


class MutationConfigError(ValueError):
    """An equivalent_mutants.toml that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Equivalent:
    """A mutant that cannot change behaviour, and why (listed beside the suite)."""

    id: str
    reason: str


def equivalents_path(day: Day) -> Path:
    return SUITES / day.folder / EQUIVALENTS_FILE


def load_equivalents(path: Path) -> list[Equivalent]:
    """The `[[equivalent]]` entries of `path` (none when it does not exist)."""
    if not path.exists():
        return []
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MutationConfigError(f"{shown} is not valid TOML: {error}") from None
    unknown = set(raw) - {"equivalent"}
    if unknown:
        raise MutationConfigError(
            f"{shown}: unexpected {', '.join(sorted(unknown))}; the file holds only "
            '[[equivalent]] entries, each with id = "..." and reason = "..."'
        )
    entries = raw.get("equivalent", [])
    if not isinstance(entries, list):
        raise MutationConfigError(f"{shown}: write each entry as an [[equivalent]] table")
    found: dict[str, Equivalent] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{shown}, entry {number}"
        if set(entry) != {"id", "reason"}:
            raise MutationConfigError(
                f"{where}: needs exactly the keys id and reason, has {', '.join(sorted(entry))}"
            )
        if not all(isinstance(entry[key], str) and entry[key].strip() for key in entry):
            raise MutationConfigError(f"{where}: id and reason must be non-empty strings")
        if entry["id"] in found:
            raise MutationConfigError(f"{where}: {entry['id']!r} is listed twice")
        found[entry["id"]] = Equivalent(entry["id"], entry["reason"].strip())
    return list(found.values())


# ---------------------------------------------------------------------------- results


@dataclass
class MutantResult:
    mutant: Mutant
    status: str  # killed | survived | timeout | import (killed at import)
    seconds: float
    killed_by: str | None = None  # the first failing test, when the suite said so

    @property
    def killed(self) -> bool:
        return self.status != "survived"


@dataclass
class SeedResult:
    seed: int
    failed: list[str]  # node ids of the tests that did not pass
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return not self.failed and not self.timed_out


@dataclass
class DayReport:
    day: str  # "day01"
    folder: str
    results: list[MutantResult] = field(default_factory=list)
    equivalent: list[Equivalent] = field(default_factory=list)  # listed and skipped
    stale: list[Equivalent] = field(default_factory=list)  # listed, matching no mutant
    seeds: list[SeedResult] = field(default_factory=list)
    baseline_seconds: float = 0.0  # the suite on the unmutated reference
    time_limit: float = 0.0  # per mutant
    seconds: float = 0.0  # wall time of the whole measurement
    problem: str | None = None  # why the day could not be measured

    def count(self, status: str) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def mutants(self) -> int:
        return len(self.results) + len(self.equivalent)

    @property
    def killed(self) -> int:
        return sum(result.killed for result in self.results)

    @property
    def survivors(self) -> list[MutantResult]:
        return [result for result in self.results if not result.killed]

    @property
    def score(self) -> float:
        """Killed / (mutants - equivalent), in percent."""
        if self.problem is not None:
            return 0.0
        return 100.0 * self.killed / len(self.results) if self.results else 100.0

    @property
    def seeds_passed(self) -> int:
        return sum(seed.passed for seed in self.seeds)

    @property
    def ok(self) -> bool:
        """The day's suite is good enough to ship: the score and every seed."""
        enough = self.killed * 100 >= THRESHOLD * len(self.results)
        return self.problem is None and enough and self.seeds_passed == len(self.seeds)

    def to_dict(self) -> dict:
        return {
            "day": self.day,
            "folder": self.folder,
            "mutants": self.mutants,
            "killed": self.killed,
            "survived": len(self.survivors),
            "equivalent": len(self.equivalent),
            "timeouts": self.count("timeout"),
            "killed_at_import": self.count("import"),
            "score": round(self.score, 2),
            "ok": self.ok,
            "problem": self.problem,
            "seconds": round(self.seconds, 2),
            "baseline_seconds": round(self.baseline_seconds, 3),
            "time_limit": round(self.time_limit, 1),
            "survivors": [
                {"id": r.mutant.id, "line": r.mutant.line, "diff": r.mutant.diff}
                for r in self.survivors
            ],
            "timed_out": [r.mutant.id for r in self.results if r.status == "timeout"],
            "equivalents": [{"id": e.id, "reason": e.reason} for e in self.equivalent],
            "stale": [e.id for e in self.stale],
            "seeds": [
                {"seed": s.seed, "passed": s.passed, "failed": s.failed, "timed_out": s.timed_out}
                for s in self.seeds
            ],
        }


# ---------------------------------------------------------------------------- running


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@dataclass
class Settings:
    jobs: int = field(default_factory=default_jobs)
    seeds: int = 0  # also run the unmutated suite with seeds 0 .. seeds-1
    only: Collection[str] | None = None  # run only these mutant ids
    limit: int | None = None  # run only the first `limit` mutants (after `only`)
    timeout: float | None = None  # per mutant; default TIME_FACTOR x baseline + TIME_SLACK
    fork: bool = hasattr(os, "fork")  # False: a fresh subprocess per run (slower)


@dataclass(frozen=True)
class SuiteRun:
    """One run of a day's suite on a worker's tree, optionally with one module replaced."""

    key: object
    folder: str
    module: str | None = None
    source: str | None = None
    seed: int | None = None
    stop_first: bool = True
    extra_args: tuple[str, ...] = ()  # more pytest options, e.g. ("--task", "3.1")
    tests: tuple[str, ...] = ()  # only these test ids (default: the day's whole suite)
    lang: str = "en"  # the language of the suite's messages


@dataclass
class SuiteOutcome:
    code: int | None  # None: stopped at the time limit
    seconds: float
    events: list[dict]  # the plugin's report, as checker.core.runner reads it

    @property
    def failed(self) -> list[str]:
        """The tests that did not pass, in the order they ran."""
        return [
            e["nodeid"] for e in self.events if e["event"] == "result" and e["outcome"] != "passed"
        ]


def _pytest_args(run: SuiteRun, tree: Path, report: Path) -> list[str]:
    """The day's suite against `tree`, with the project's config (as the checker runs it)."""
    targets = [str(PROJECT_ROOT / test) for test in run.tests] or [str(SUITES / run.folder)]
    args = [
        *targets,
        "-c",
        str(PROJECT_ROOT / "pyproject.toml"),
        "--rootdir",
        str(PROJECT_ROOT),
        "--impl",
        str(tree),
        "--reference",
        str(tree),  # the whole copy is the reference: no day is swapped in from elsewhere
        "--llmroad-report",
        str(report),
        "-q",
        "--no-header",
        "--tb=native",  # as the checker's runner: the failures' tracebacks are never read
        # The plugin's message is the assertion's own either way; rewriting a suite's asserts
        # took a third of a short run (the child writes no bytecode, so nothing is cached).
        "--assert=plain",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
    ]
    if run.stop_first:
        args.append("-x")
    if run.seed is not None:
        args += ["--seed", str(run.seed)]
    return args + list(run.extra_args)


def _child(tree: str, module: str | None, args: list[str], lang: str = "en") -> int:
    """What a child does: import the mutated module (else IMPORT_FAILED), run the suite."""
    os.chdir(PROJECT_ROOT)
    # A mutant of the same size as the module, written in the same second, would
    # otherwise run from the reference's cached bytecode.
    sys.dont_write_bytecode = True
    import pytest

    from checker.core.i18n import ENV, set_language
    from checker.core.loader import LearnerImportError, load_module

    os.environ[ENV] = set_language(lang)  # also over a choice the forking process made

    if module is not None:
        try:
            load_module(module, Path(tree), Path(tree))  # the suite's session reuses it
        except LearnerImportError:
            return IMPORT_FAILED
    return int(pytest.main(args))


def _warm() -> None:
    """Import in the parent what every forked child needs, so each child starts warm."""
    import _pytest.config
    import _pytest.pytester  # noqa: F401
    import numpy  # noqa: F401

    for plugin in _pytest.config.default_plugins:  # what each new pytest config imports
        importlib.import_module(f"_pytest.{plugin}")
    import pytest  # noqa: F401
    import pytest_timeout  # noqa: F401

    import checker.core.plugin  # noqa: F401
    from checker.core.catalogue import load_course

    load_course()  # cached: the plugin reads it in every child


class _Forked:
    """A child forked from this (warm) process, in a process group of its own."""

    def __init__(self, tree: Path, module: str | None, args: list[str], lang: str) -> None:
        self.pid = os.fork()
        if self.pid == 0:  # the child
            code = CHILD_CRASHED
            try:
                os.setpgid(0, 0)
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                # and the streams a capturing parent (pytest) may have put in their place
                sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
                code = _child(str(tree), module, args, lang)
            except BaseException:  # noqa: B036 - whatever happens, the child must not return
                pass
            finally:
                os._exit(code)
        try:
            os.setpgid(self.pid, self.pid)  # also from here, so a kill never misses the group
        except OSError:
            pass
        self.code: int | None = None

    def poll(self) -> int | None:
        if self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
        return self.code

    def kill(self) -> None:
        if self.code is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                os.kill(self.pid, signal.SIGKILL)
            _, status = os.waitpid(self.pid, 0)
            self.code = os.waitstatus_to_exitcode(status)


class _Spawned:
    """The same child as a fresh interpreter, where fork is unavailable."""

    def __init__(self, tree: Path, module: str | None, args: list[str], lang: str) -> None:
        spec = json.dumps({"tree": str(tree), "module": module, "args": args, "lang": lang})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "checker.maintainer.mutate", spec],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def poll(self) -> int | None:
        return self.process.poll()

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                self.process.kill()
            self.process.wait()


@dataclass
class _Slot:
    """A worker's private copy of the reference tree."""

    tree: Path
    report: Path

    def module_path(self, run: SuiteRun) -> Path:
        return self.tree / run.folder / f"{run.module}.py"


def _make_slots(base: Path, jobs: int) -> list[_Slot]:
    slots = []
    for i in range(jobs):
        tree = base / f"worker{i}" / "tree"
        shutil.copytree(REFERENCE, tree, ignore=shutil.ignore_patterns("__pycache__"))
        # Bytecode checked against the source's hash, not its time and size: the children,
        # which write none, start from it for every module but the one a run replaces.
        compileall.compile_dir(tree, quiet=1, invalidation_mode=PycInvalidationMode.CHECKED_HASH)
        slots.append(_Slot(tree, base / f"worker{i}" / "report.jsonl"))
    return slots


@dataclass
class _Running:
    """A run under way in a slot, and what to put back in the slot when it ends."""

    run: SuiteRun
    slot: _Slot
    child: _Forked | _Spawned
    started: float
    original: str | None  # the module's reference source, while a mutant is in its place

    def restore(self) -> None:
        if self.original is not None:
            self.slot.module_path(self.run).write_text(self.original, encoding="utf-8")


def _start(run: SuiteRun, slot: _Slot, fork: bool) -> _Running:
    original = None
    if run.source is not None:
        original = slot.module_path(run).read_text(encoding="utf-8")
        slot.module_path(run).write_text(run.source, encoding="utf-8")
    slot.report.write_text("")
    module = f"{run.folder}.{run.module}" if run.module else None
    child = (_Forked if fork else _Spawned)(
        slot.tree, module, _pytest_args(run, slot.tree, slot.report), run.lang
    )
    return _Running(run, slot, child, time.monotonic(), original)


def _run_all(
    runs: list[SuiteRun],
    slots: list[_Slot],
    limit: float,
    fork: bool,
    finished: Callable[[SuiteRun, SuiteOutcome], None],
) -> None:
    """Run every run, one per free slot at a time; `finished` hears of each as it ends.

    A run still going after `limit` seconds is killed (its code is None)."""
    pending, free, active = deque(runs), list(slots), []
    try:
        while pending or active:
            while pending and free:
                active.append(_start(pending.popleft(), free.pop(), fork))
            time.sleep(POLL)
            for running in list(active):
                code = running.child.poll()
                elapsed = time.monotonic() - running.started
                if code is None and elapsed <= limit:
                    continue
                if code is None:  # a hang, or just too slow: stop it
                    running.child.kill()
                active.remove(running)
                running.restore()
                free.append(running.slot)
                events = read_events(running.slot.report)
                finished(running.run, SuiteOutcome(code, elapsed, events))
    finally:  # also on Ctrl-C: the children are in groups of their own and would live on
        for running in active:
            running.child.kill()
            running.restore()


def run_forked(runs: list[SuiteRun], jobs: int, limit: float) -> dict[object, SuiteOutcome]:
    """Run each run on a private copy of the reference, `jobs` at a time, each in a child
    forked from this (warmed) process; a run still going after `limit` seconds is stopped.
    Returns each run's outcome by its key. (test_mistakes runs the README's mistakes so.)"""
    fork = hasattr(os, "fork")
    if fork:
        _warm()
    outcomes: dict[object, SuiteOutcome] = {}
    with tempfile.TemporaryDirectory(prefix="llmroad-runs-") as base, _frozen_heap():
        slots = _make_slots(Path(base), max(1, min(jobs, len(runs))))
        _run_all(runs, slots, limit, fork, lambda run, outcome: outcomes.update({run.key: outcome}))
    return outcomes


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep this process's objects out of its forked children's garbage collections (pytest
    collects at the end of every run): a large parent, such as the project's own test
    session, otherwise made each child scan all of it."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _select(mutants: list[Mutant], settings: Settings) -> list[Mutant]:
    if settings.only is not None:
        wanted = set(settings.only)
        mutants = [m for m in mutants if m.id in wanted]
    if settings.limit is not None:
        mutants = mutants[: settings.limit]
    return mutants


def _status(outcome: SuiteOutcome) -> str:
    if outcome.code is None:
        return "timeout"
    if outcome.code == IMPORT_FAILED:
        return "import"
    return "survived" if outcome.code == 0 else "killed"


def _results(to_run: list[Mutant], outcomes: dict[object, SuiteOutcome]) -> list[MutantResult]:
    results = []
    for mutant in to_run:
        outcome = outcomes[mutant.id]
        killer = outcome.failed[0] if outcome.failed else None
        results.append(MutantResult(mutant, _status(outcome), outcome.seconds, killer))
    return results


def _seed_results(seeds: int, outcomes: dict[object, SuiteOutcome]) -> list[SeedResult]:
    results = []
    for seed in range(seeds):
        outcome = outcomes["seed", seed]
        failed = outcome.failed or ([f"pytest exit code {outcome.code}"] if outcome.code else [])
        results.append(SeedResult(seed, failed, timed_out=outcome.code is None))
    return results


def _baseline_problem(outcome: SuiteOutcome) -> str | None:
    """Why the unmutated reference cannot be measured, if it cannot."""
    if outcome.code is None:
        return f"the suite does not finish on the reference within {BASELINE_LIMIT:.0f} s"
    if outcome.code != 0:
        failing = ", ".join(outcome.failed) or f"pytest exit code {outcome.code}"
        return f"the suite does not pass on the reference: {failing}"
    return None


def mutate_day(
    day: Day,
    settings: Settings | None = None,
    equivalents: list[Equivalent] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DayReport:
    """Measure the day's suite: run it against each mutant of the day's reference modules.

    `equivalents` defaults to the suite's equivalent_mutants.toml (MutationConfigError when
    that file is unusable); `progress(done, total)` hears of every finished run."""
    settings = settings or Settings()
    began = time.monotonic()
    if equivalents is None:
        equivalents = load_equivalents(equivalents_path(day))
    every = mutants_of_day(day)
    known = {mutant.id for mutant in every}
    listed = {equivalent.id: equivalent for equivalent in equivalents}
    selected = _select(every, settings)
    report = DayReport(
        day.id,
        day.folder,
        equivalent=[listed[m.id] for m in selected if m.id in listed],
        stale=[equivalent for equivalent in equivalents if equivalent.id not in known],
    )
    to_run = [m for m in selected if m.id not in listed]
    runs = [SuiteRun(m.id, day.folder, m.module, m.source) for m in to_run]
    runs += [
        SuiteRun(("seed", s), day.folder, seed=s, stop_first=False) for s in range(settings.seeds)
    ]
    outcomes: dict[object, SuiteOutcome] = {}

    def finished(run: SuiteRun, outcome: SuiteOutcome) -> None:
        outcomes[run.key] = outcome
        if progress is not None and run.key != "baseline":
            progress(len(outcomes) - 1, len(runs))

    if settings.fork:
        _warm()
    with tempfile.TemporaryDirectory(prefix="llmroad-mutate-") as base:
        slots = _make_slots(Path(base), max(1, min(settings.jobs, len(runs))))
        baseline = SuiteRun("baseline", day.folder, stop_first=False)
        _run_all([baseline], slots[:1], BASELINE_LIMIT, settings.fork, finished)
        report.baseline_seconds = outcomes["baseline"].seconds
        report.problem = _baseline_problem(outcomes["baseline"])
        if report.problem is None:
            report.time_limit = settings.timeout or (
                TIME_FACTOR * report.baseline_seconds + TIME_SLACK
            )
            _run_all(runs, slots, report.time_limit, settings.fork, finished)
            report.results = _results(to_run, outcomes)
            report.seeds = _seed_results(settings.seeds, outcomes)
    report.seconds = time.monotonic() - began
    return report


if __name__ == "__main__":  # a spawned child (where fork is unavailable): see _Spawned
    spec = json.loads(sys.argv[1])
    sys.exit(_child(spec["tree"], spec["module"], spec["args"], spec["lang"]))
