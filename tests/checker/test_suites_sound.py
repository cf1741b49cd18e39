"""Every day-suite test fails on the untouched stubs and passes on the reference.

This is what makes a suite trustworthy: a test that passes on a stub cannot tell a
learner anything, and a test the reference fails is a bug in the course. Both runs go
through the same runner the learner's `llmroad check` uses.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from checker.core.catalogue import load_course
from checker.core.layout import SUITES
from checker.core.runner import RunRequest, run_suites

ROOT = Path(__file__).resolve().parents[2]
AVAILABLE = [day for day in load_course().days if day.available]
# Every built day's suite, twice: more than pytest's default limit for one project test.
pytestmark = pytest.mark.timeout(900)


# A sample of other seeds (7 and 27 once broke day 4); `llmroad dev mutate --seeds 20`
# runs twenty of them for a day.
SEEDS = [7, 27, 2024]


def _run(tree: str, seed: int | None = None):
    extra = [] if seed is None else ["--seed", str(seed)]
    suites = [SUITES / d.folder for d in AVAILABLE]
    result = run_suites(RunRequest(suites=suites, tree=ROOT / tree, extra_args=extra))
    assert not result.problems, "\n".join(result.problems)
    return result.tests


@pytest.fixture(scope="module")
def on_stubs():
    return _run("exercises")


@pytest.fixture(scope="module")
def on_reference() -> dict:
    """seed -> the reference's test outcomes (None: the suites' default seed), two runs at a
    time: each is one pytest child, and the machine has two cores."""
    seeds = [None, *SEEDS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(seeds, pool.map(lambda seed: _run("solutions", seed), seeds)))


@pytest.fixture(scope="module")
def on_solutions(on_reference):
    return on_reference[None]


def test_no_test_passes_on_the_untouched_stubs(on_stubs):
    passing = [t.nodeid for t in on_stubs if t.outcome == "passed"]
    assert not passing, f"these tests pass on a stub, so they check nothing: {passing}"


def test_stubs_fail_as_not_started_not_as_crashes(on_stubs):
    """A stub is a NotImplementedError: the checker must be able to say 'not started'."""
    other = [(t.nodeid, t.outcome, t.message) for t in on_stubs if t.outcome != "todo"]
    assert not other, f"these tests do not reach the stub's NotImplementedError: {other}"


def test_every_test_passes_on_the_reference(on_solutions):
    failing = [(t.nodeid, t.outcome, t.message) for t in on_solutions if t.outcome != "passed"]
    assert not failing, f"the reference fails: {failing}"


def test_every_available_day_has_tests_for_every_task(on_solutions):
    counts = Counter(t.task for t in on_solutions)
    for day in AVAILABLE:
        for task in day.tasks:
            assert counts[task.id] >= 3, f"{task.id} has {counts[task.id]} tests"


def test_the_basics_hold_at_least_a_hundred_tests(on_solutions):
    folders = {d.folder for d in load_course().days if d.section == "basics"}
    basics = [t for t in on_solutions if t.day in folders]
    assert len(basics) >= 100


@pytest.mark.parametrize("seed", SEEDS)
def test_every_test_passes_on_the_reference_for_other_seeds(on_reference, seed):
    failing = [(t.nodeid, t.message) for t in on_reference[seed] if t.outcome != "passed"]
    assert not failing, f"with --seed {seed} the reference fails: {failing}"
