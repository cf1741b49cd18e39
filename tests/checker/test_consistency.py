"""The catalogue, the two trees and the suites agree (like rustlings' `dev check`)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from checker.core.catalogue import load_course

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course()
AVAILABLE = [day for day in COURSE.days if day.available]
MODULES = [(day, module) for day in AVAILABLE for module in day.modules]


def _functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _task_markers(path: Path) -> list[tuple[str, str | None]]:
    """(test name, task id or None) for every test function of a suite file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            tasks = [
                d.args[0].value
                for d in node.decorator_list
                if isinstance(d, ast.Call) and ast.unparse(d.func) == "pytest.mark.task"
            ]
            found.append((node.name, tasks[0] if tasks else None))
    return found


def _suite_tests(day) -> list[tuple[str, str | None]]:
    return [
        t
        for path in sorted((ROOT / "tests/days" / day.folder).glob("test_*.py"))
        for t in _task_markers(path)
    ]


def test_days_are_numbered_1_to_24_with_unique_folders():
    assert [day.number for day in COURSE.days] == list(range(1, 25))
    assert len({day.folder for day in COURSE.days}) == 24
    for day in COURSE.days:
        assert re.fullmatch(rf"day{day.number:02d}_[a-z0-9_]+", day.folder), day.folder
        assert day.section in {s.id for s in COURSE.sections}
        assert day.post_url.endswith(f"-{day.number:02d}/")


def test_prerequisites_are_earlier_days():
    """The runner orders suites by day so a prerequisite is judged before the days on it."""
    for day in COURSE.days:
        for folder in day.requires:
            assert COURSE.day_of_folder(folder).number < day.number, (day.id, folder)


def test_task_ids_follow_the_day_and_count_up():
    for day in AVAILABLE:
        assert 3 <= len(day.tasks) <= 7, f"{day.id} should have 3–7 tasks"
        assert [t.id for t in day.tasks] == [
            f"{day.number}.{k}" for k in range(1, len(day.tasks) + 1)
        ]
        for task in day.tasks:
            assert len(task.hints) >= 2, f"{task.id} needs hints from gentle to explicit"


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_every_title_and_hint_exists_in_english_and_japanese(day):
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for task in day.tasks:
        for what, text in [
            ("title", task.title),
            *((f"hint {i + 1}", h) for i, h in enumerate(task.hints)),
        ]:
            assert text["en"].strip() and not japanese.search(text["en"]), (
                f"{task.id} {what}: the English text is missing or not English"
            )
            assert japanese.search(text["ja"]), f"{task.id} {what}: the Japanese text is missing"
            assert "placeholder" not in text["en"] + text["ja"], f"{task.id} {what}"


def test_post_titles_are_the_posts_own():
    """The catalogue names each post exactly as the series' summary lists it."""
    table = ROOT.parent / "shared" / "CURRICULUM.md"
    if not table.exists():  # a clone without the team's shared folder: the catalogue stands
        table = None
    for day in COURSE.days:
        assert f"{day.number}日目]" in day.post_title, day.post_title
    if table:
        text = table.read_text(encoding="utf-8")
        for day in COURSE.days:
            assert f"| {day.number} | {day.post_title} |" in text, day.post_title


def test_trees_hold_exactly_the_catalogued_days():
    folders = {day.folder for day in AVAILABLE}
    for tree in ("exercises", "solutions"):
        present = {
            p.name for p in (ROOT / tree).iterdir() if p.is_dir() and p.name.startswith("day")
        }
        assert present == folders, f"{tree}/ should hold exactly {sorted(folders)}"
    suites = {
        p.name for p in (ROOT / "tests/days").iterdir() if p.is_dir() and p.name.startswith("day")
    }
    assert suites == folders


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_both_trees_have_the_same_python_files(day):
    def files(tree):
        return sorted(p.relative_to(ROOT / tree) for p in (ROOT / tree / day.folder).rglob("*.py"))

    assert files("exercises") == files("solutions")


@pytest.mark.parametrize(("day", "module"), MODULES, ids=lambda x: getattr(x, "id", x))
def test_stub_and_solution_signatures_and_docstrings_are_identical(day, module):
    stub = _functions(ROOT / "exercises" / day.folder / f"{module}.py")
    solution = _functions(ROOT / "solutions" / day.folder / f"{module}.py")
    assert stub.keys() == solution.keys(), "both trees define the same functions"
    for name in stub:
        assert ast.unparse(stub[name].args) == ast.unparse(solution[name].args), name
        assert ast.unparse(stub[name].returns or ast.Constant(None)) == ast.unparse(
            solution[name].returns or ast.Constant(None)
        ), name
        assert ast.get_docstring(stub[name]) == ast.get_docstring(solution[name]), name


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_stubs_are_a_docstring_a_todo_and_not_implemented(day):
    for task in day.tasks:
        path = ROOT / "exercises" / day.folder / f"{task.module}.py"
        source = path.read_text(encoding="utf-8")
        functions = _functions(path)
        for name in task.functions:
            assert name in functions, f"{task.id}: {name} is missing from {path.name}"
            node = functions[name]
            assert ast.get_docstring(node), f"{name} needs its contract as a docstring"
            body = node.body[1:]  # after the docstring
            assert len(body) == 1 and isinstance(body[0], ast.Raise), (
                f"{name}: stub body is one raise"
            )
            raised = ast.unparse(body[0].exc)
            assert raised.startswith("NotImplementedError(") and f"'{task.id} " in raised, raised
            lines = source.splitlines()[node.lineno - 1 : node.end_lineno]
            assert any(f"# TODO({task.id}):" in line for line in lines), (
                f"{name} needs TODO({task.id})"
            )


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_every_task_has_at_least_three_tests_and_every_test_a_task(day):
    tests = _suite_tests(day)
    untagged = [name for name, task in tests if task is None]
    assert not untagged, f"tests without @pytest.mark.task: {untagged}"
    known = {task.id for task in day.tasks}
    strangers = [(name, task) for name, task in tests if task not in known]
    assert not strangers, f"tests marked with another day's or an unknown task: {strangers}"
    for task in day.tasks:
        count = sum(t == task.id for _, t in tests)
        assert count >= 3, f"{task.id} has {count} tests; every task needs at least three"


def test_suites_reach_the_code_only_through_the_harness():
    for path in (ROOT / "tests/days").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                assert not any(n.split(".")[0] in {"exercises", "solutions"} for n in names), path


def test_day_modules_import_other_days_only_relatively():
    for tree in ("exercises", "solutions"):
        for path in (ROOT / tree).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    assert node.module.split(".")[0] not in {"exercises", "solutions", "checker"}, (
                        path
                    )
                if isinstance(node, ast.Import):
                    assert not any(
                        a.name.split(".")[0] in {"exercises", "solutions", "checker"}
                        for a in node.names
                    ), path


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_each_day_imports_only_the_days_it_declares(day):
    allowed = set(COURSE.day(day.number).requires) | {day.folder}
    for path in (ROOT / "solutions" / day.folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module:
                assert node.module.split(".")[0] in allowed, (
                    f"{path.name} imports {node.module}; add it to {day.id}'s requires"
                )


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_readme_teaches_every_task_in_japanese_and_english(day):
    readme = (ROOT / "exercises" / day.folder / "README.md").read_text(encoding="utf-8")
    post = f"## この日の記事 / The post this day follows\n\n[{day.post_title}]({day.post_url})"
    assert post in readme, f"the README names the blog post it follows, under one heading:\n{post}"
    assert re.search(r"[\u3040-\u30ff]", readme), "the README has a Japanese part"
    for task in day.tasks:
        assert re.search(rf"^## {re.escape(task.id)} ", readme, re.M), (
            f"README heading for {task.id}"
        )


def test_day01_writes_the_residual_one_way():
    """r = X @ w + b - y (prediction minus target) throughout day 1: its docstrings once
    used the other sign for 1.3 than for 1.4."""
    folder = "day01_ml_basics"
    trees = [ROOT / tree / folder / "linear_regression.py" for tree in ("exercises", "solutions")]
    for path in [*trees, ROOT / "exercises" / folder / "README.md"]:
        text = path.read_text(encoding="utf-8")
        assert "y - (X @ w + b)" not in text and "r = X @ w + b - y" in text, path


def _mark_args(node: ast.FunctionDef, mark: str) -> list:
    """The first argument of each `@pytest.mark.<mark>(...)` on a test."""
    return [
        d.args[0].value
        for d in node.decorator_list
        if isinstance(d, ast.Call) and ast.unparse(d.func) == f"pytest.mark.{mark}" and d.args
    ]


# An argument annotated so is one the learner's code could change in place.
MUTABLE = re.compile(r"ndarray|list|dict", re.IGNORECASE)


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_every_task_checks_its_types_and_every_input_it_could_change(day):
    """DESIGN.md: every task checks what it returns, and that its inputs come back
    unchanged wherever it takes an array, a list or a dict."""
    checks: dict[str, set[str]] = {task.id: set() for task in day.tasks}
    for path in sorted((ROOT / "tests/days" / day.folder).glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                for task in _mark_args(node, "task"):
                    checks.setdefault(task, set()).update(_mark_args(node, "checks"))
    for task in day.tasks:
        assert "types" in checks[task.id], f"{task.id} has no @pytest.mark.checks('types') test"
        functions = _functions(ROOT / "solutions" / day.folder / f"{task.module}.py")
        changeable = [
            f"{name}({arg.arg})"
            for name in task.functions
            for arg in functions[name].args.args + functions[name].args.kwonlyargs
            if arg.annotation is not None and MUTABLE.search(ast.unparse(arg.annotation))
        ]
        assert not changeable or "inputs" in checks[task.id], (
            f"{task.id} takes {', '.join(changeable)} but has no "
            "@pytest.mark.checks('inputs') test that they come back unchanged"
        )
