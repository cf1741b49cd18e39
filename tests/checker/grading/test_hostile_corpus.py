"""The hostile corpus graded in one run (tests/checker/hostile/README.md): every
submission ends with the right status, detail and score, no honest student is flagged,
the run neither crashes nor leaves a process behind, and the grader's own memory stays
bounded whatever the submissions do."""

from __future__ import annotations

import json

import pytest

from checker.core import isolation
from checker.grading.exports import folder_names
from tests.checker.grading.corpus import (
    CRASHED,
    EXPECTED,
    FULL,
    HOSTILE,
    INVALID,
    NO_5_2,
    OK,
    SETTINGS,
    SKIPPED,
    ZERO,
    fingerprint,
    points,
)

# The grader's own process stays under this, whatever the submissions send it (a 500 MB
# header, a 200 MB result, 8 MB names); no process of the run, trusted or not, goes past
# the worker's memory limit by more than the slack of the interpreter's own start.
GRADER_PEAK_MB = 400
ANY_PROCESS_PEAK_MB = SETTINGS.memory_mb + 128


def test_the_corpus_has_every_case_and_nothing_else(graded):
    assert sorted(g.student for g in graded.grades.grades) == sorted(EXPECTED)
    snippets = {p.stem for p in HOSTILE.glob("*.py")}
    assert snippets <= set(EXPECTED), f"snippets without an expectation: {snippets - set(EXPECTED)}"
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    missing = [case for case in EXPECTED if len(case) < 60 and f"`{case}`" not in readme]
    assert not missing, f"hostile/README.md does not describe {missing}"


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_grades_to_its_status_detail_and_score(graded, confinement, student):
    if student == "ctypes_report" and not confinement["victim survived"]:
        pytest.xfail("below the audit hook, only the kernel can stop this: here it cannot")
    if student == "dir_fd_read" and confinement["facts"].get("sees_course"):
        pytest.xfail("without a file system of its own, only the kernel could stop this")
    status, words, score = EXPECTED[student]
    grade = graded.grade(student)
    tests = "\n".join(f"  {t.task} {t.name}: {t.outcome} {t.message[:200]}" for t in grade.tests)
    shown = (
        f"{student}: {grade.status} {grade.score}/{grade.max_score} ({grade.detail[:300]})\n{tests}"
    )
    allowed = status if isinstance(status, tuple) else (status,)
    assert grade.status in allowed, shown
    if grade.status == allowed[0]:
        assert words.lower() in grade.detail.lower(), shown
    if status == OK and score == FULL:
        assert grade.detail == "", shown
    expected = {FULL: points(graded), ZERO: 0, NO_5_2: points(graded) - points(graded, "5.2")}
    assert grade.score == expected[score], shown
    assert grade.max_score == points(graded), shown
    if score == NO_5_2:  # exactly task 5.2 is lost, every other task is whole
        assert {t.task for t in grade.tests if t.outcome != "passed"} == {"5.2"}, shown


def test_no_honest_student_is_flagged_and_the_run_finishes(graded):
    honest = [s for s, (status, _, score) in EXPECTED.items() if score != ZERO]
    flagged = [s for s in honest if graded.grade(s).status == INVALID]
    assert not flagged
    assert len(graded.grades.grades) == len(EXPECTED)


def test_a_hostile_task_costs_only_its_own_tests(graded):
    for student in ("infinite_loop", "stall_reply"):
        lost = {t.outcome for t in graded.grade(student).tests if t.task == "5.2"}
        assert lost == {"timeout"}, student
    for student in ("os_exit", "segfault"):
        lost = [t for t in graded.grade(student).tests if t.task == "5.2"]
        assert all(t.outcome == "error" and t.crashed for t in lost), student
    for student in ("memory_numpy", "memory_list"):
        # A process at its memory limit usually dies at once, but now and then on a busy
        # machine it is still paging when the call limit strikes: either way each test
        # is lost, none passes, and at least one says it was memory (issue 16).
        lost = [t for t in graded.grade(student).tests if t.task == "5.2"]
        assert all((t.outcome == "error" and t.crashed) or t.outcome == "timeout" for t in lost)
        assert any("memory" in t.message for t in lost), [t.message for t in lost]


def test_a_module_whose_import_never_ends_is_not_imported_again(graded):
    grade = graded.grade("import_loop")
    waited = [t for t in grade.tests if t.seconds >= SETTINGS.timeout]
    assert len(waited) <= 2, [(t.name, t.seconds) for t in waited]  # one per worker, at most
    assert all(t.outcome == "timeout" for t in grade.tests)


def test_nothing_the_learner_sends_grows_the_gradebook(graded):
    grade = graded.grade("huge_exception_name")
    assert max(len(t.message) for t in grade.tests) <= 2100
    assert len(grade.detail) <= 600
    folder = folder_names([grade.student])[grade.student]
    assert (graded.out / folder / "results.json").stat().st_size < 300_000


def test_the_worker_tree_is_limited_in_processes(graded):
    forked = [t for t in graded.grade("fork_ctypes").tests if t.task == "5.2"]
    assert all(t.outcome == "failed" for t in forked), [t.message for t in forked]


def test_no_process_is_left_behind(graded):
    assert graded.left_behind == []


def test_the_graders_own_memory_stays_bounded(graded):
    assert graded.peak_self_mb < GRADER_PEAK_MB, (
        f"the grader peaked at {graded.peak_self_mb:.0f} MB"
    )
    assert graded.peak_children_mb < ANY_PROCESS_PEAK_MB, (
        f"a process of the run peaked at {graded.peak_children_mb:.0f} MB"
    )


def test_the_originals_are_byte_identical_afterwards(graded):
    assert fingerprint(graded.submissions) == graded.before


def test_the_submissions_own_conftest_plugin_ini_and_tests_are_never_loaded(graded):
    grade = graded.grade("stubs_with_conftest")
    assert {t.outcome for t in grade.tests} == {"todo"}
    assert len(grade.tests) == len(graded.grades.blank), "its own tests must not be collected"
    leftovers = list(graded.marker.parent.glob(graded.marker.name + ".*"))
    assert not leftovers, f"a submission's file was loaded: {leftovers}"


def test_refusals_are_named_in_the_tests_messages(graded):
    refused = [t.message for t in graded.grade("kill_parent").tests if t.task == "5.2"]
    assert all("refused" in m for m in refused), refused
    not_graded = graded.grade("zip_bomb").tests
    assert all(t.outcome != "passed" and "not graded" in t.message for t in not_graded)


def test_skipped_entries_and_shared_names_are_said_once(graded):
    notes = "\n".join(graded.grades.notes)
    assert f"skipped {SKIPPED}" in notes
    assert "carol/" in notes and "carol.zip" in notes
    assert SKIPPED not in {g.student for g in graded.grades.grades}


def test_what_does_not_hold_the_worker_is_said_once(graded, confinement):
    note = isolation.probe()
    facts = confinement["facts"]
    notes = graded.grades.notes
    if facts.get("sees_course") or not facts.get("own_pid_namespace"):
        assert any("NOT isolated" in n for n in notes), notes
    if note.get("own_user") is False and __import__("os").geteuid() == 0:
        assert any("grader's own user" in n for n in notes), notes
    assert sum("isolated" in n for n in notes) <= 1
    data = json.loads((graded.out / "grades.json").read_text(encoding="utf-8"))
    assert data["notes"] == notes


def test_a_crash_is_a_status_not_an_invalid_submission(graded):
    for student, (status, _, _) in EXPECTED.items():
        if CRASHED in (status if isinstance(status, tuple) else (status,)):
            assert graded.grade(student).status != INVALID
    assert graded.grade("honest").status == OK
