"""The maintainers' mutation command: the mutator, the equivalent list, the runner, the CLI.

The mutator is tested on small sources, one operator family at a time. The runner is
tested on the real day 1 suite with a handful of mutants (`only=`), so this file takes
a few seconds.
"""

from __future__ import annotations

import ast
import json
import sys
import textwrap

import pytest
from click.testing import CliRunner

from checker.core.catalogue import load_course
from checker.maintainer import mutate
from checker.maintainer.commands import dev, render_day, table_line
from checker.maintainer.mutate import (
    DayReport,
    Equivalent,
    Mutant,
    MutantResult,
    MutationConfigError,
    Settings,
    load_equivalents,
    mutants_of_day,
    mutants_of_source,
    mutate_day,
)
from tests.checker.conftest import with_last_day_unbuilt

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

COURSE = load_course()
DAY1 = COURSE.day(1)
AVAILABLE = [day for day in COURSE.days if day.available]


def mutants(source: str) -> list[Mutant]:
    return mutants_of_source(textwrap.dedent(source))


def changes(source: str) -> dict[str, list[str]]:
    """description -> the changed lines (stripped) of each mutant with that description."""
    found: dict[str, list[str]] = {}
    for mutant in mutants(source):
        added = [
            line[1:].strip()
            for line in mutant.diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")
        ]
        found.setdefault(mutant.description, []).append("\n".join(added))
    return found


# ------------------------------------------------------------------------- the mutator


@pytest.mark.parametrize(
    ("op", "description", "new"),
    [
        ("+", "Add -> Sub", "-"),
        ("-", "Sub -> Add", "+"),
        ("*", "Mult -> Div", "/"),
        ("/", "Div -> Mult", "*"),
        ("//", "FloorDiv -> Div", "/"),
        ("%", "Mod -> FloorDiv", "//"),
        ("**", "Pow -> Mult", "*"),
        ("@", "MatMult -> Mult", "*"),
        ("&", "BitAnd -> BitOr", "|"),
    ],
)
def test_arithmetic_operators_are_swapped_with_a_neighbour(op, description, new):
    found = changes(f"def f(a, b):\n    return a {op} b\n")
    assert found == {description: [f"return a {new} b"]}


def test_augmented_assignments_are_swapped_and_deleted():
    found = changes("def f(x, a):\n    x += a\n    return x\n")
    assert found == {"Add -> Sub": ["x -= a"], "delete statement": ["pass"]}


@pytest.mark.parametrize(
    ("expression", "description"), [("-a", "USub"), ("not a", "Not"), ("~a", "Invert")]
)
def test_unary_minus_not_and_invert_are_removed(expression, description):
    assert changes(f"def f(a):\n    return {expression}\n") == {
        f"remove {description}": ["return a"]
    }


def test_comparisons_are_loosened_and_flipped():
    assert changes("def f(a, b):\n    return a < b\n") == {
        "Lt -> LtE": ["return a <= b"],
        "Lt -> GtE": ["return a >= b"],
    }
    assert changes("def f(a, b):\n    return a == b\n") == {"Eq -> NotEq": ["return a != b"]}
    assert changes("def f(a, b):\n    return a >= b\n") == {
        "GtE -> Gt": ["return a > b"],
        "GtE -> Lt": ["return a < b"],
    }


def test_and_and_or_are_swapped():
    assert changes("def f(a, b):\n    return a and b\n") == {"And -> Or": ["return a or b"]}
    assert changes("def f(a, b):\n    return a or b\n") == {"Or -> And": ["return a and b"]}


def test_constants_move():
    found = changes("def f():\n    return 2, 0, 0.5, 0.0, 0.1, True\n")
    assert found == {
        "2 -> 3": ["return 3, 0, 0.5, 0.0, 0.1, True"],
        "2 -> 0": ["return 0, 0, 0.5, 0.0, 0.1, True"],
        "0 -> 1": ["return 2, 1, 0.5, 0.0, 0.1, True"],  # and never 0 -> 0
        "0.5 -> 0.75": ["return 2, 0, 0.75, 0.0, 0.1, True"],
        "0.0 -> 1.0": ["return 2, 0, 0.5, 1.0, 0.1, True"],
        "0.1 -> 0.15": ["return 2, 0, 0.5, 0.0, 0.15, True"],  # not 0.15000000000000002
        "True -> False": ["return 2, 0, 0.5, 0.0, 0.1, False"],
    }


def test_strings_are_left_alone():
    assert changes("def f():\n    return 'abc', f'{1}'\n") == {}


def test_axis_keepdims_ddof_and_dtype_keywords_change_as_keywords():
    found = changes("def f(x):\n    return g(x, axis=0)\n")
    assert found == {
        "axis=0 -> axis=1": ["return g(x, axis=1)"],
        "axis=0 -> axis=None": ["return g(x, axis=None)"],
    }  # the keyword rule replaces the constant rule: no "0 -> 1" besides
    assert set(changes("def f(x):\n    return g(x, axis=-1)\n")) == {
        "axis=-1 -> axis=0",
        "axis=-1 -> axis=-2",
    }
    assert changes("def f(x):\n    return g(x, keepdims=True)\n") == {
        "keepdims=True -> keepdims=False": ["return g(x, keepdims=False)"]
    }
    assert set(changes("def f(x):\n    return g(x, ddof=1)\n")) == {
        "ddof=1 -> ddof=2",
        "ddof=1 -> ddof=0",
    }
    assert changes("def f(x):\n    return g(x, dtype=np.float64)\n") == {
        "dtype=np.float64 -> dtype=np.float32": ["return g(x, dtype=np.float32)"]
    }


@pytest.mark.parametrize(
    ("call", "description", "new"),
    [
        ("np.max(x)", "max -> min", "np.min(x)"),
        ("x.argmax()", "argmax -> argmin", "x.argmin()"),
        ("np.maximum(x, y)", "maximum -> minimum", "np.minimum(x, y)"),
        ("x.sum()", "sum -> mean", "x.mean()"),
        ("np.mean(x)", "mean -> sum", "np.sum(x)"),
        ("x.std()", "std -> var", "x.var()"),
        ("max(x, y)", "max -> min", "min(x, y)"),
    ],
)
def test_numpy_functions_are_swapped_with_their_partner(call, description, new):
    assert changes(f"def f(x, y):\n    return {call}\n") == {description: [f"return {new}"]}


def test_slice_bounds_and_indices_move_by_one():
    found = changes("def f(a, n):\n    return a[:n], a[n:]\n")
    assert found == {
        "slice upper + 1": ["return a[:n + 1], a[n:]"],
        "slice upper - 1": ["return a[:n - 1], a[n:]"],
        "slice lower + 1": ["return a[:n], a[n + 1:]"],
        "slice lower - 1": ["return a[:n], a[n - 1:]"],
    }
    assert changes("def f(a):\n    return a[0]\n") == {"0 -> 1": ["return a[1]"]}
    assert changes("def f(a):\n    return a[-1]\n") == {
        "remove USub": ["return a[1]"],
        "1 -> 2": ["return a[-2]"],
        "1 -> 0": ["return a[-0]"],
    }


def test_statements_are_deleted_only_inside_functions():
    found = changes(
        """
        LIMIT = g()

        def f(x):
            y = h(x)
            x.sort()
            return y
        """
    )
    assert found == {"delete statement": ["pass", "pass"]}  # y = h(x) and x.sort(), not LIMIT


def test_default_values_are_mutated_but_annotations_never():
    found = changes("def f(x: 5 = 1, *, y: 6 = 2.0) -> 7:\n    return x\n")
    assert set(found) == {"1 -> 2", "1 -> 0", "2.0 -> 3.0"}
    assert all(mutant.function == "f" for mutant in mutants("def f(x=1):\n    return x\n"))


def test_docstrings_are_never_changed():
    source = textwrap.dedent(
        '''
        """Module: a + b, 3 < 4, np.max(x), axis=0."""

        def f(a, b):
            """Return a + b when 3 < 4 (axis=0)."""
            return a + b
        '''
    )
    found = mutants_of_source(source)
    assert found, "the function body still has mutants"
    for mutant in found:
        tree, original = ast.parse(mutant.source), ast.parse(source)
        assert ast.get_docstring(tree) == ast.get_docstring(original)
        assert ast.get_docstring(tree.body[1]) == ast.get_docstring(original.body[1])


def test_an_id_names_the_function_the_line_without_its_comment_and_the_operator():
    source = (
        "def fit_linear_closed_form(X, y):\n"
        "    b = y_mean - x_mean @ w  # dL/db = 0\n"
        "    return b\n"
    )
    ids = {mutant.id for mutant in mutants_of_source(source)}
    assert "fit_linear_closed_form: b = y_mean - x_mean @ w | Sub -> Add #1" in ids
    assert "fit_linear_closed_form: b = y_mean - x_mean @ w | delete statement #1" in ids


def test_ids_count_identical_changes_on_one_line():
    ids = {mutant.id for mutant in mutants("def f(a, b, c):\n    return a - b, b - c\n")}
    assert {
        "f: return a - b, b - c | Sub -> Add #1",
        "f: return a - b, b - c | Sub -> Add #2",
    } <= ids


def test_ids_do_not_change_when_lines_move_or_comments_change():
    source = "def f(a, b):\n    c = a * b  # product\n    return c + 1\n"
    moved = "import os\n\n\n# a new comment\n" + source.replace("# product", "# changed")
    before, after = mutants_of_source(source), mutants_of_source(moved)
    assert [m.id for m in before] == [m.id for m in after]
    assert [m.line + 4 for m in before] == [m.line for m in after]


def test_a_mutant_keeps_comments_and_adds_parentheses_only_where_precedence_needs_them():
    found = changes("@cache\ndef f(a, b):\n    return a / b ** 2  # why\n")
    assert found["Pow -> Mult"] == ["return a / (b * 2)  # why"]
    assert found["Div -> Mult"] == ["return a * b ** 2  # why"]


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_every_mutant_of_the_reference_is_one_tidy_change(day):
    found = mutants_of_day(day)
    assert found
    assert len({m.id for m in found}) == len(found), "mutant ids must be unique"
    for mutant in found:
        compile(mutant.source, mutant.id, "exec")
        assert mutant.diff.count("\n@@ ") == 1, f"{mutant.id} changes more than one place"


# ----------------------------------------------------------------- equivalent mutants


def test_equivalents_load_with_their_reasons(tmp_path):
    path = tmp_path / "equivalent_mutants.toml"
    assert load_equivalents(path) == [], "no file: no equivalents"
    path.write_text('[[equivalent]]\nid = "f: x = 1 | 1 -> 2 #1"\nreason = "x is unused"\n')
    assert load_equivalents(path) == [Equivalent("f: x = 1 | 1 -> 2 #1", "x is unused")]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[equivalent]\nid = 1", "is not valid TOML"),
        ('[[equivalent]]\nid = "a"\n', "entry 1: needs exactly the keys id and reason"),
        ('[[equivalent]]\nid = "a"\nreason = " "\n', "must be non-empty strings"),
        (
            '[[equivalent]]\nid = "a"\nreason = "r"\n[[equivalent]]\nid = "a"\nreason = "r"\n',
            "listed twice",
        ),
        ('[[equivalents]]\nid = "a"\nreason = "r"\n', "unexpected equivalents"),
    ],
)
def test_a_corrupt_equivalents_file_gives_a_clear_error(tmp_path, text, says):
    path = tmp_path / "equivalent_mutants.toml"
    path.write_text(text)
    with pytest.raises(MutationConfigError, match=says) as error:
        load_equivalents(path)
    assert "equivalent_mutants.toml" in str(error.value)


# ---------------------------------------------------------------------------- the runner


def _wrong_mutant() -> Mutant:
    """Deleting the assignment of the closed-form weights: no suite can miss that."""
    found = [
        m
        for m in mutants_of_day(DAY1)
        if m.function == "fit_linear_closed_form"
        and m.description == "delete statement"
        and m.id.split(": ", 1)[1].startswith("w ")
    ]
    assert found, "day 1's reference no longer assigns w in fit_linear_closed_form"
    return found[0]


WRONG = _wrong_mutant()


@pytest.mark.slow
def test_an_obviously_wrong_mutant_is_killed_and_an_equivalent_one_skipped():
    listed = mutants_of_day(DAY1)[0]
    equivalents = [Equivalent(listed.id, "a test"), Equivalent("f: gone | 1 -> 2 #1", "stale")]
    report = mutate_day(DAY1, Settings(jobs=2, only=[WRONG.id, listed.id]), equivalents)
    assert report.problem is None
    assert [(r.mutant.id, r.status) for r in report.results] == [(WRONG.id, "killed")]
    assert report.results[0].killed_by.startswith("tests/days/day01_ml_basics/")
    assert report.equivalent == [equivalents[0]] and report.stale == [equivalents[1]]
    assert (report.mutants, report.killed, report.score, report.ok) == (2, 1, 100.0, True)


@pytest.mark.slow
def test_survivors_and_modules_that_do_not_import_are_told_apart(monkeypatch):
    reference = (mutate.REFERENCE / DAY1.folder / "linear_regression.py").read_text()
    made = [
        Mutant("unchanged", "linear_regression", "<module>", 1, "none", reference, ""),
        Mutant("broken", "linear_regression", "<module>", 1, "none", "1 / 0\n", ""),
    ]
    monkeypatch.setattr(mutate, "mutants_of_day", lambda day: made)
    report = mutate_day(DAY1, Settings(jobs=1), [])
    assert [r.status for r in report.results] == ["survived", "import"]
    assert (report.killed, report.score, report.ok) == (1, 50.0, False)


@pytest.mark.slow
def test_a_mutant_past_the_time_limit_is_stopped_and_counted_as_killed():
    report = mutate_day(DAY1, Settings(jobs=1, only=[WRONG.id], timeout=0.001), [])
    assert [r.status for r in report.results] == ["timeout"]
    assert report.killed == 1


@pytest.mark.slow
def test_seeds_run_the_unmutated_suite():
    report = mutate_day(DAY1, Settings(jobs=2, only=[], seeds=2), [])
    assert [(s.seed, s.passed) for s in report.seeds] == [(0, True), (1, True)]
    assert report.results == [] and report.ok


@pytest.mark.slow
def test_without_fork_a_fresh_interpreter_runs_the_suite():
    report = mutate_day(DAY1, Settings(jobs=1, only=[WRONG.id], fork=False), [])
    assert [r.status for r in report.results] == ["killed"]


# ------------------------------------------------------------------------------ the CLI


@pytest.mark.slow
def test_the_command_prints_json_and_exits_0_when_the_day_is_good_enough():
    result = CliRunner().invoke(dev, ["mutate", "day01", "--only", WRONG.id, "--json"])
    assert result.exit_code == 0, result.output
    (day,) = json.loads(result.output)["days"]
    assert (day["day"], day["mutants"], day["killed"], day["score"]) == ("day01", 1, 1, 100.0)


def test_unknown_and_unbuilt_days_are_usage_errors(monkeypatch):
    monkeypatch.setattr("checker.maintainer.commands.load_course", with_last_day_unbuilt)
    unknown = CliRunner().invoke(dev, ["mutate", "day99"])
    assert unknown.exit_code == 2 and "no day" in unknown.output
    unbuilt = CliRunner().invoke(dev, ["mutate", "day24"])
    assert unbuilt.exit_code == 2 and "not built yet" in unbuilt.output


def test_an_unknown_mutant_id_is_a_usage_error():
    result = CliRunner().invoke(dev, ["mutate", "day01", "--only", "f: nothing | Add -> Sub #1"])
    assert result.exit_code == 2 and "no mutant has the id" in result.output


def test_a_corrupt_equivalents_file_stops_the_command(monkeypatch, tmp_path):
    path = tmp_path / "equivalent_mutants.toml"
    path.write_text("[[equivalent]\n")
    monkeypatch.setattr(mutate, "equivalents_path", lambda day: path)
    result = CliRunner().invoke(dev, ["mutate", "day01"])
    assert result.exit_code == 1 and "is not valid TOML" in result.output


def test_a_survivor_is_printed_with_its_diff_ready_to_paste(tmp_path):
    (survivor,) = [
        m
        for m in mutants_of_source("def f(x):\n    return x + 1\n")
        if m.description == "Add -> Sub"
    ]
    report = DayReport("day01", "day01_ml_basics", [MutantResult(survivor, "survived", 0.1)])
    text = render_day(report)
    assert "-    return x + 1" in text and "+    return x - 1" in text
    pasted = text[text.index("[[equivalent]]") :].replace('reason = ""', 'reason = "why"')
    path = tmp_path / "equivalent_mutants.toml"
    path.write_text(pasted)
    assert load_equivalents(path) == [Equivalent(survivor.id, "why")]
    assert tomllib.loads(pasted)["equivalent"][0]["id"] == survivor.id
    assert "0 killed" in table_line(report) and "0.0%" in table_line(report)
