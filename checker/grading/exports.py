"""Write a class's grades: grades.csv, grades.json, and Gradescope's results.json.

A student's name comes from a submission, so it may be anything: each student's
results.json goes in a folder named safely (see `folder_names`), and every text cell
of the CSV is neutralised against formula injection (a cell a spreadsheet would run,
such as `=HYPERLINK(...)`, starts with a quote instead).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from dataclasses import asdict
from pathlib import Path

from checker.core.catalogue import load_course
from checker.core.i18n import msg
from checker.grading.grade import ClassGrades, Grade

RESERVED = {"grades.csv", "grades.json", ".grading"}  # the gradebook's own names in --out
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula
MAX_FOLDER_BYTES = 100


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 3)


def cell(value: object) -> object:
    """A CSV cell a spreadsheet will show, never run (OWASP's advice: a leading quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def folder_names(students: list[str]) -> dict[str, str]:
    """A folder name for each student's results.json: the name itself when it is a plain,
    short, unreserved name, else its safe characters and a short hash (so that none
    collides with another, with the gradebook's files, or with the file system's limits)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for student in students:
        safe = re.sub(r"[^\w.\-]", "_", student).strip("._") or "student"
        safe = safe.encode()[:MAX_FOLDER_BYTES].decode("utf-8", "ignore")
        if safe != student or safe.casefold() in RESERVED or safe.casefold() in taken:
            tag = hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()[:8]
            safe = f"{safe}-{tag}"
        names[student] = safe
        taken.add(safe.casefold())
    return names


def _task_ids(grades: ClassGrades) -> list[str]:
    return [task.id for day in grades.days for task in day.tasks]


def _csv_row(grade: Grade, tasks: list[str], days: list[str], column: int) -> list:
    """A student's points (column 0: earned, 1: possible) per task, per day, in all."""
    per_task, per_day = grade.by("task"), grade.by("day")
    return [
        cell(grade.student),
        *(_number(per_task.get(t, (0, 0))[column]) for t in tasks),
        *(_number(per_day.get(d, (0, 0))[column]) for d in days),
        _number((grade.score, grade.max_score)[column]),
        grade.status,
        cell(grade.detail),
    ]


def write_csv(grades: ClassGrades, path: Path) -> None:
    """A (max) row, then one row per student (sorted by name): points per task, per day,
    total, status and detail."""
    tasks, days = _task_ids(grades), [d.folder for d in grades.days]
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["student", *tasks, *(d.id for d in grades.days), "total", "status", "detail"]
        )
        writer.writerow(_csv_row(Grade("(max)", "", "", grades.blank, 0), tasks, days, 1))
        writer.writerows(_csv_row(grade, tasks, days, 0) for grade in grades.grades)


def _grade_json(grade: Grade) -> dict:
    return {
        "student": grade.student,
        "status": grade.status,
        "detail": grade.detail,
        "score": _number(grade.score),
        "max_score": _number(grade.max_score),
        "seconds": round(grade.seconds, 3),
        "note": grade.note,
        "tasks": {
            t: {"score": _number(e), "max_score": _number(m)}
            for t, (e, m) in grade.by("task").items()
        },
        "tests": [{**asdict(t), "score": _number(grade.earned(t))} for t in grade.tests],
    }


def write_json(grades: ClassGrades, path: Path) -> None:
    course = load_course()
    data = {
        "course": course.title_en,
        "graded_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "settings": asdict(grades.settings),
        "days": [d.id for d in grades.days],
        "notes": grades.notes,
        "students": [_grade_json(g) for g in grades.grades],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def gradescope_results(grade: Grade) -> dict:
    """Gradescope's autograder results: one entry per test, with the learner's message."""
    course = load_course()
    tests = []
    for test in grade.tests:
        task_name = course.task(test.task)[1].name if test.task else ""
        tests.append(
            {
                "name": f"{test.task} {task_name}: {test.name}",
                "number": test.task or "",
                "score": _number(grade.earned(test)),
                "max_score": _number(test.points),
                "status": "passed" if grade.earned(test) else "failed",
                "output": "" if test.outcome == "passed" else f"[{test.outcome}] {test.message}",
                "visibility": "visible",
            }
        )
    score, most = _number(grade.score), _number(grade.max_score)
    summary = msg(
        en=f"{score}/{most} points; status: {grade.status}",
        ja=f"{score}/{most} 点。状態: {grade.status}",
    )
    details = [d for d in (grade.detail, grade.note) if d]
    return {
        "score": _number(grade.score),
        "execution_time": round(grade.seconds, 2),
        "output": " — ".join([summary, *details]),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def write_gradescope(grade: Grade, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(gradescope_results(grade), ensure_ascii=False, indent=2), encoding="utf-8"
    )


def write_all(grades: ClassGrades, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_csv(grades, out / "grades.csv")
    write_json(grades, out / "grades.json")
    folders = folder_names([g.student for g in grades.grades])
    for grade in grades.grades:
        write_gradescope(grade, out / folders[grade.student] / "results.json")
