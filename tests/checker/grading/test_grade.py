"""checker.grading.grade: one submission's failure is its own status, only the course's
tests and points count, names are taken safely, and a rerun reuses exactly the grades
whose submission has not changed."""

from __future__ import annotations

import json
import os
import shutil

from checker.core.i18n import set_language
from checker.grading.exports import write_all
from checker.grading.grade import cache_name, find_submissions, grade_all, submission_notes
from tests.checker.grading.corpus import (
    CRASHED,
    DAY,
    EXPECTED,
    OK,
    REFERENCE,
    SETTINGS,
    points,
)


def test_a_grader_failure_costs_one_submission_not_the_class(tmp_path, monkeypatch):
    from checker.grading import grade as grading

    def broken(request):
        raise KeyError("a report the grader could not make sense of")

    monkeypatch.setattr(grading, "run_suites", broken)
    shutil.copytree(REFERENCE, tmp_path / "honest" / "exercises" / DAY)
    blank = [
        grading.TestOutcome(nodeid="t::a", name="a", day=DAY, task="5.2", points=2, perf=False)
    ]
    grade = grading.grade_one("honest", tmp_path / "honest", SETTINGS, blank)
    assert grade.status == CRASHED and "KeyError" in grade.detail
    assert grade.score == 0 and grade.max_score == 2


def test_only_the_courses_own_tests_and_points_count():
    from checker.grading.grade import TestOutcome, _reconcile

    blank = [
        TestOutcome("t::a", "a", DAY, "5.1", 1, False),
        TestOutcome("t::b", "b", DAY, "5.2", 2, False),
    ]
    ran = [
        TestOutcome("t::a", "a", DAY, "5.9", 100, False, outcome="passed", message=""),
        TestOutcome("t::forged", "forged", DAY, "5.2", 100, False, outcome="passed"),
    ]
    tests = _reconcile(ran, blank)
    assert [(t.nodeid, t.task, t.points, t.outcome) for t in tests] == [
        ("t::a", "5.1", 1, "passed"),
        ("t::b", "5.2", 2, "error"),
    ]
    assert tests[1].message == "the test did not run"


def test_a_second_run_reuses_every_grade(graded):
    again = grade_all(graded.submissions, graded.out, SETTINGS, jobs=2)
    assert again.reused == len(EXPECTED)
    assert [(g.student, g.status, g.score) for g in again.grades] == [
        (g.student, g.status, g.score) for g in graded.grades.grades
    ]


def test_a_changed_submission_is_graded_again(graded, tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("honest", "sys_exit"):
        shutil.copytree(graded.submissions / student, submissions / student)
        (out / ".grading").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(
            graded.out / ".grading" / cache_name(student), out / ".grading" / cache_name(student)
        )
    assert grade_all(submissions, out, SETTINGS, jobs=1).reused == 2
    shutil.copyfile(
        REFERENCE / "metrics.py", submissions / "sys_exit" / "exercises" / DAY / "metrics.py"
    )  # the student fixed it
    fixed = grade_all(submissions, out, SETTINGS, jobs=1)
    assert fixed.reused == 1
    assert [(g.student, g.status, g.score) for g in fixed.grades] == [
        ("honest", OK, points(graded)),
        ("sys_exit", OK, points(graded)),
    ]


def test_a_retargeted_link_or_resplit_files_are_graded_again(graded, tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    day = submissions / "linker" / "exercises" / DAY
    shutil.copytree(REFERENCE, day)
    (day / "real.py").write_text((REFERENCE / "metrics.py").read_text())
    (day / "stub.py").write_text(
        (REFERENCE.parents[1] / "exercises" / DAY / "metrics.py").read_text()
    )
    (day / "metrics.py").unlink()
    (day / "metrics.py").symlink_to("real.py")
    first = grade_all(submissions, out, SETTINGS, jobs=1)
    assert first.grades[0].score == points(graded)
    (day / "metrics.py").unlink()
    (day / "metrics.py").symlink_to("stub.py")  # now a stub: the old grade must not stay
    again = grade_all(submissions, out, SETTINGS, jobs=1)
    assert again.reused == 0 and again.grades[0].score == 0


def test_names_that_collide_keep_their_whole_entry_name(tmp_path):
    for name in ("carol", "dave"):
        shutil.copytree(REFERENCE, tmp_path / name / "exercises" / DAY)
    (tmp_path / "carol.zip").write_bytes(b"")
    (tmp_path / ".DS_Store").write_bytes(b"")
    found = [student for student, _ in find_submissions(tmp_path)]
    assert found == ["carol/", "carol.zip", "dave"]
    notes = submission_notes(tmp_path)
    assert any(".DS_Store" in n for n in notes) and any("carol.zip" in n for n in notes)


def test_grading_in_japanese_writes_japanese_messages(graded, tmp_path, monkeypatch):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded.submissions / "sys_exit", submissions / "sys_exit")
    shutil.copytree(graded.submissions / "empty", submissions / "empty")
    monkeypatch.setenv("LLMROAD_LANG", "ja")
    previous = set_language(None)
    try:
        grades = grade_all(submissions, out, SETTINGS, jobs=1)
        write_all(grades, out)
    finally:
        set_language(None if previous == "en" and "LLMROAD_LANG" not in os.environ else previous)
    data = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    students = {s["student"]: s for s in data["students"]}
    assert "空" in students["empty"]["detail"]
    lost = [t["message"] for t in students["sys_exit"]["tests"] if t["task"] == "5.2"]
    assert all("sys.exit" in m and "return" in m and "値" in m for m in lost), lost
    results = json.loads((out / "empty" / "results.json").read_text(encoding="utf-8"))
    assert "点" in results["output"] and "空" in results["output"]
    assert all(s["status"] in (OK, "invalid submission") for s in students.values())
    assert set(EXPECTED) >= set(students) and CRASHED not in {
        s["status"] for s in students.values()
    }
