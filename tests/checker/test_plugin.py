"""The pytest plugin, tested with pytester: how each outcome is classified and reported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

LEARNER = """
def right(x):
    return x + 1

def wrong(x):
    return x - 1

def stub(x):
    # TODO(5.1): add one
    raise NotImplementedError("5.1 stub: see README.md")

def crash(x):
    return x / 0

def endless(x):
    while True:
        pass
"""

SUITE = """
import pytest
from checker.core.testing import implementation, assert_close

metrics = implementation("day05_metrics.metrics")
broken = implementation("day05_metrics.broken")

@pytest.mark.task("5.1")
@pytest.mark.points(3)
def test_right():
    assert_close(metrics.right(1.0), 2.0, "one plus one")

@pytest.mark.task("5.1")
def test_wrong():
    assert_close(metrics.wrong(1.0), 2.0, "one plus one")

@pytest.mark.task("5.1")
def test_stub():
    metrics.stub(1.0)

@pytest.mark.task("5.1")
def test_crash():
    metrics.crash(1.0)

@pytest.mark.task("5.1")
def test_endless():
    metrics.endless(1.0)

@pytest.mark.task("5.1")
def test_skipped():
    pytest.skip("never in a day suite")

@pytest.mark.task("5.1")
def test_broken_module():
    broken.anything(1.0)

@pytest.mark.task("5.1")
def test_missing_function():
    metrics.renamed(1.0)
"""


_RUN: dict[str, dict] = {}  # one inner pytest run serves every test of this module


@pytest.fixture
def events(pytester: pytest.Pytester, tmp_path: Path) -> dict[str, dict]:
    if not _RUN:
        _RUN.update(_run_fake_suite(pytester, tmp_path))
    return _RUN


def _run_fake_suite(pytester: pytest.Pytester, tmp_path: Path) -> dict[str, dict]:
    tree = tmp_path / "tree" / "day05_metrics"
    tree.mkdir(parents=True)
    (tree / "metrics.py").write_text(textwrap.dedent(LEARNER))
    (tree / "broken.py").write_text("def f(:\n    pass\n")
    suite = pytester.path / "tests" / "days" / "day05_metrics"
    suite.mkdir(parents=True)
    (suite / "test_fake.py").write_text(SUITE)
    report = tmp_path / "report.jsonl"
    pytester.runpytest(
        "-p",
        "checker.core.plugin",
        "--impl",
        str(tmp_path / "tree"),
        "--llmroad-report",
        str(report),
        "--timeout",
        "1",
        "--import-mode=importlib",
    )
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    results = {e["nodeid"].split("::")[-1]: e for e in lines if e["event"] == "result"}
    results["collected"] = next(e for e in lines if e["event"] == "collected")
    return results


def test_a_passing_test_is_passed(events):
    assert events["test_right"]["outcome"] == "passed"


def test_a_wrong_value_is_failed_with_the_assertion_message(events):
    assert events["test_wrong"]["outcome"] == "failed"
    assert "one plus one is 0, expected 2" in events["test_wrong"]["message"]


def test_a_stub_is_todo(events):
    assert events["test_stub"]["outcome"] == "todo"
    assert "5.1 stub: see README.md" in events["test_stub"]["message"]


def test_a_crash_is_an_error_that_points_into_the_learners_file(events):
    event = events["test_crash"]
    assert event["outcome"] == "error"
    assert "ZeroDivisionError" in event["message"] and "metrics.py, line" in event["message"]


def test_an_endless_loop_is_a_timeout(events):
    assert events["test_endless"]["outcome"] == "timeout"


def test_a_skip_never_counts_as_passed(events):
    assert events["test_skipped"]["outcome"] == "error"


def test_a_module_that_does_not_import_fails_only_the_tests_that_use_it(events):
    event = events["test_broken_module"]
    assert event["outcome"] == "error"
    assert "broken.py could not be imported: SyntaxError on line 1" in event["message"]
    assert events["test_right"]["outcome"] == "passed"


def test_a_missing_function_is_named(events):
    assert events["test_missing_function"]["outcome"] == "error"
    assert "has no function 'renamed'" in events["test_missing_function"]["message"]


def test_collection_reports_each_tests_day_task_and_points(events):
    tests = {t["name"]: t for t in events["collected"]["tests"]}
    assert tests["test_right"]["day"] == "day05_metrics"
    assert tests["test_right"]["task"] == "5.1"
    assert tests["test_right"]["points"] == 3 and tests["test_wrong"]["points"] == 1


KINDS_SUITE = """
import pytest

@pytest.mark.task("5.1")
def test_value():
    pass

@pytest.mark.perf
@pytest.mark.task("5.1")
def test_speed():
    pass

@pytest.mark.task("5.1")
@pytest.mark.checks("mistake")
def test_mistake():
    pass

@pytest.mark.task("5.1")
@pytest.mark.checks("inputs")
def test_inputs():
    pass

@pytest.mark.task("5.1")
@pytest.mark.checks("types")
def test_types():
    pass

@pytest.mark.task("5.1")
@pytest.mark.checks("inputs")
def test_inputs_again():
    pass
"""


def test_telling_first_runs_the_kinds_in_the_order_the_checker_shows_them(pytester, tmp_path):
    suite = pytester.path / "tests" / "days" / "day05_metrics"
    suite.mkdir(parents=True)
    (suite / "test_kinds.py").write_text(KINDS_SUITE)
    report = tmp_path / "report.jsonl"
    args = ["-p", "checker.core.plugin", "--import-mode=importlib", "--telling-first"]
    pytester.runpytest(*args, "--impl", str(tmp_path), "--llmroad-report", str(report))
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    ran = [e["nodeid"].split("::")[-1] for e in lines if e["event"] == "result"]
    assert ran == [
        "test_inputs",
        "test_inputs_again",
        "test_types",
        "test_mistake",
        "test_value",
        "test_speed",
    ]
