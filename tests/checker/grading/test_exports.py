"""checker.grading.exports: grades.csv, grades.json and each student's Gradescope
results.json, whatever the students' names."""

from __future__ import annotations

import csv
import json

import pytest

from checker.grading.exports import cell, folder_names
from checker.grading.submissions import shown
from tests.checker.grading.corpus import DAY, EXPECTED, FORMULA, INVALID, LONG, OK, points


def test_grades_csv_has_a_max_row_and_one_row_per_student_sorted(graded):
    with open(graded.out / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    header = list(rows[0])
    assert header == [
        "student",
        "5.1",
        "5.2",
        "5.3",
        "5.4",
        "5.5",
        "day05",
        "total",
        "status",
        "detail",
    ]
    assert rows[0]["student"] == "(max)"
    assert float(rows[0]["total"]) == points(graded)
    assert float(rows[0]["5.2"]) == points(graded, "5.2")
    students = [row["student"] for row in rows[1:]]
    assert students == [cell(s) for s in sorted(EXPECTED)]
    by_student = {row["student"]: row for row in rows[1:]}
    assert float(by_student["honest"]["total"]) == points(graded)
    assert float(by_student["sys_exit"]["5.2"]) == 0
    assert float(by_student["sys_exit"]["5.1"]) == float(rows[0]["5.1"])
    assert by_student["zip_bomb"]["status"] == INVALID


def test_grades_json_holds_every_student_with_tasks_and_tests(graded):
    data = json.loads((graded.out / "grades.json").read_text(encoding="utf-8"))
    assert data["days"] == ["day05"]
    assert data["settings"]["days"] == [DAY]
    students = {s["student"]: s for s in data["students"]}
    assert sorted(students) == sorted(EXPECTED)
    honest = students["honest"]
    assert honest["status"] == OK and honest["score"] == honest["max_score"] == points(graded)
    assert set(honest["tasks"]) == {"5.1", "5.2", "5.3", "5.4", "5.5"}
    assert len(honest["tests"]) == len(graded.grades.blank)
    assert {"nodeid", "task", "points", "outcome", "message", "score"} <= set(honest["tests"][0])
    assert students["infinite_loop"]["tasks"]["5.2"]["score"] == 0


@pytest.mark.parametrize("student", ["honest", "segfault", "read_passwd", "empty"])
def test_each_student_has_gradescope_results(graded, student):
    results = json.loads(
        (graded.out / folder_names([student])[student] / "results.json").read_text(encoding="utf-8")
    )
    assert {"score", "execution_time", "tests"} <= set(results)
    assert results["score"] == graded.grade(student).score
    assert len(results["tests"]) == len(graded.grades.blank)
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(
            test
        )
        assert test["status"] in ("passed", "failed")
    assert sum(t["score"] for t in results["tests"]) == results["score"]


def test_a_formula_in_a_name_is_shown_never_run(graded):
    with open(graded.out / "grades.csv", newline="", encoding="utf-8") as file:
        students = [row["student"] for row in list(csv.DictReader(file))[1:]]
    assert "'" + FORMULA in students
    assert not any(s.startswith(("=", "+", "-", "@")) for s in students)
    assert cell("-1 failed") == "'-1 failed" and cell(3) == 3 and cell("ok") == "ok"


def test_every_student_gets_a_results_folder_of_their_own(graded):
    folders = folder_names([g.student for g in graded.grades.grades])
    assert len({f.casefold() for f in folders.values()}) == len(folders)
    assert folders["honest"] == "honest"
    assert folders["grades.csv"] != "grades.csv"
    assert len(folders[shown(LONG)].encode()) <= 120
    assert (graded.out / "grades.csv").is_file()
    for student, folder in folders.items():
        results = json.loads((graded.out / folder / "results.json").read_text(encoding="utf-8"))
        assert results["score"] == graded.grade(student).score, student
