"""Turn the core's results into text for people and dicts for --json. No I/O here."""

from __future__ import annotations

import unicodedata

from click import style

from checker.core.catalogue import Course, Day
from checker.core.i18n import pick
from checker.grading.grade import STATUSES, ClassGrades
from checker.learner.checking import CheckReport, DayReport, TaskReport
from checker.learner.hints import Hint
from checker.learner.progress import Progress

MARKS = {
    "done": style("✓", fg="green"),
    "in progress": style("✗", fg="red"),
    "failing": style("✗", fg="red"),
    "not started": style("·", dim=True),
}
OUTCOME_WORDS = {
    "failed": "wrong",
    "error": "an error",
    "timeout": "too slow",
    "todo": "not started",
}


def _pad(text: str, width: int) -> str:
    """Left-justify to `width` terminal columns (CJK characters take two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 0)


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = round(width * done / total) if total else 0
    return style("█" * filled, fg="green") + style("░" * (width - filled), dim=True)


def _day_heading(day: Day) -> str:
    return style(f"{day.id} · {day.title_ja} · {day.title_en}", bold=True)


def _label(task: TaskReport) -> str:
    return f"{task.task.id} {', '.join(task.task.functions)}"


def _task_line(task: TaskReport, width: int) -> str:
    label = _label(task).ljust(width)
    if task.status == "done":
        state = f"done ({task.passed}/{task.total})"
    elif task.status == "not started":
        state = "not started"
    else:
        state = f"{task.passed} of {task.total} tests pass"
    return f"  {MARKS[task.status]} {label}  {state}"


def _swapped_note(report: DayReport, course: Course) -> str:
    names = [course.day_of_folder(folder) for folder in report.swapped]
    listed = " and ".join(f"{d.id} ({d.title_en})" for d in names)
    one = len(names) == 1
    return style(
        f"  note: {listed} {'is' if one else 'are'}n't passing yet (or changed since "
        f"{'it' if one else 'they'} last passed), so {report.day.id} was checked with the "
        f"reference version of {'it' if one else 'them'}. Check "
        f"{'that day' if one else 'those days'} to use your own.",
        fg="yellow",
    )


def _problem(task: TaskReport, day: Day) -> str:
    test = task.first_problem
    if test.outcome == "todo":
        path = f"exercises/{day.folder}/{task.task.module}.py"
        return (
            f"  next: open {path}, replace the TODO({task.task.id}) in "
            f"{task.task.name}, and read README.md § {task.task.id} for the idea"
        )
    word = OUTCOME_WORDS.get(test.outcome, test.outcome)
    message = "\n".join("    " + line for line in test.message.splitlines())
    return f"  {style(_label(task), bold=True)} — {word} in {test.name}:\n{message}"


def _day_text(report: DayReport, course: Course) -> list[str]:
    day = report.day
    if not day.available:
        return [_day_heading(day), style("  not yet available", dim=True)]
    width = max(len(_label(t)) for t in report.tasks)
    lines = [_day_heading(day), *(_task_line(t, width) for t in report.tasks)]
    if report.swapped:
        lines.append(_swapped_note(report, course))
    task = report.next_task
    if task and task.first_problem:
        lines += ["", _problem(task, day)]
    done = sum(t.status == "done" for t in report.tasks)
    summary = f"{day.id}: {done}/{len(report.tasks)} tasks done"
    if task:
        summary += f" — next: {task.task.id} {task.task.name} (llmroad hint {task.task.id})"
    else:
        summary = style(summary + " — the day passes. 次へ進もう!", fg="green")
    return [*lines, "", summary]


def check_text(report: CheckReport, course: Course) -> str:
    checked = [d for d in report.days if d.day.available]
    blocks = ["\n".join(_day_text(day, course)) for day in checked]
    coming = [d.day.id for d in report.days if not d.day.available]
    if coming:
        span = coming[0] if len(coming) == 1 else f"{coming[0]} … {coming[-1]}"
        blocks.append(style(f"{span}: not yet available", dim=True))
    for problem in report.problems:
        blocks.append(style("problem: ", fg="red", bold=True) + problem)
    if len(report.days) > 1:
        passing = sum(d.status == "passing" for d in checked)
        blocks.append(f"{passing} of {len(checked)} available days pass ({report.seconds:.1f} s)")
    return "\n\n".join(blocks)


def _task_json(task: TaskReport) -> dict:
    return {
        "id": task.task.id,
        "name": task.task.name,
        "title": pick(task.task.title),
        "status": task.status,
        "passed": task.passed,
        "total": task.total,
        "tests": [
            {
                "name": t.name,
                "outcome": t.outcome,
                "message": t.message,
                "points": t.points,
                "seconds": t.seconds,
            }
            for t in task.tests
        ],
    }


def check_json(report: CheckReport) -> dict:
    return {
        "tree": str(report.tree),
        "ok": report.ok,
        "seconds": round(report.seconds, 3),
        "problems": report.problems,
        "warnings": report.warnings,
        "days": [
            {
                "id": d.day.id,
                "folder": d.day.folder,
                "title_ja": d.day.title_ja,
                "title_en": d.day.title_en,
                "status": d.status,
                "passed": d.passed,
                "total": d.total,
                "checked_with_reference": d.swapped,
                "tasks": [_task_json(t) for t in d.tasks],
            }
            for d in report.days
        ],
    }


def day_status(day: Day, progress: Progress) -> str:
    """A day's status from stored progress: passing, N/M tasks, not started, not available."""
    if not day.available:
        return "not available"
    record = progress.days.get(day.id)
    if record is None:
        return "not started"
    if record.passing:
        return "passing"
    done = sum(p == t and t > 0 for p, t in record.tasks.values())
    return f"{done}/{len(day.tasks)} tasks"


def list_json(course: Course, progress: Progress) -> list[dict]:
    return [
        {
            "id": d.id,
            "folder": d.folder,
            "section": d.section,
            "title_ja": d.title_ja,
            "title_en": d.title_en,
            "post_url": d.post_url,
            "requires": list(d.requires),
            "tasks": [t.id for t in d.tasks],
            "status": day_status(d, progress),
        }
        for d in course.days
    ]


def days_markdown(course: Course) -> str:
    """The course's index as a Markdown table (README.md holds exactly this)."""
    rows = ["| day | 日本語 | English | tasks | builds on |", "|---|---|---|---|---|"]
    for day in course.days:
        tasks = ", ".join(t.id for t in day.tasks) or "coming"
        needs = ", ".join(course.day_of_folder(f).id for f in day.requires) or "—"
        link = f"[{day.id}](exercises/{day.folder}/README.md)" if day.available else day.id
        rows.append(
            f"| {link} | [{day.title_ja}]({day.post_url}) | {day.title_en} | {tasks} | {needs} |"
        )
    return "\n".join(rows)


def list_text(course: Course, progress: Progress) -> str:
    lines = []
    for section in course.sections:
        lines.append(style(f"{section.title_ja} · {section.title_en}", bold=True))
        for day in (d for d in course.days if d.section == section.id):
            status = day_status(day, progress)
            colour = {"passing": "green", "not available": None}.get(status, "yellow")
            shown = style(status, fg=colour, dim=status == "not available")
            lines.append(
                f"  {day.id}  {shown}{' ' * (15 - len(status))}{day.title_ja} · {day.title_en}"
            )
    return "\n".join(lines)


def _tally(days: list[Day], progress: Progress) -> dict:
    available = [d for d in days if d.available]
    tasks = [(d, t) for d in available for t in d.tasks]
    done_tasks = sum(
        1
        for d, t in tasks
        if d.id in progress.days
        and progress.days[d.id].tasks.get(t.id, [0, 0])[0]
        == progress.days[d.id].tasks.get(t.id, [0, 0])[1]
        > 0
    )
    return {
        "days_passing": sum(day_status(d, progress) == "passing" for d in available),
        "days_available": len(available),
        "days": len(days),
        "tasks_done": done_tasks,
        "tasks": len(tasks),
    }


def progress_json(course: Course, progress: Progress) -> dict:
    return {
        "sections": [
            {
                "id": s.id,
                "title_ja": s.title_ja,
                "title_en": s.title_en,
                **_tally([d for d in course.days if d.section == s.id], progress),
            }
            for s in course.sections
        ],
        "overall": _tally(list(course.days), progress),
    }


def _section_line(title: str, tally: dict) -> str:
    line = _pad(title, 36) + f"{_bar(tally['tasks_done'], tally['tasks'])} "
    if not tally["days_available"]:
        return line + f"coming: {tally['days']} days"
    coming = tally["days"] - tally["days_available"]
    return line + (
        f"{tally['tasks_done']}/{tally['tasks']} tasks, "
        f"{tally['days_passing']}/{tally['days_available']} days pass"
        + (f" ({coming} more coming)" if coming else "")
    )


def progress_text(course: Course, progress: Progress) -> str:
    data = progress_json(course, progress)
    lines = [_section_line(f"{s['title_ja']} · {s['title_en']}", s) for s in data["sections"]]
    return "\n".join([*lines, "", _section_line("overall", data["overall"])])


def hint_text(hint: Hint) -> str:
    more = (
        f"  (llmroad hint {hint.task.id} again for a more explicit one)"
        if hint.level < hint.levels
        else ""
    )
    return (
        style(f"{hint.task.id} {hint.task.name} — hint {hint.level}/{hint.levels}", bold=True)
        + f"\n  {hint.text}\n{more}"
    ).rstrip()


def grading_text(grades: ClassGrades, out) -> str:
    counts = [f"{sum(g.status == s for g in grades.grades)} {s}" for s in STATUSES]
    reused = f", {grades.reused} unchanged and reused" if grades.reused else ""
    return (
        f"graded {len(grades.grades)} submissions in {grades.seconds:.1f} s{reused}: "
        f"{', '.join(counts)}\n→ {out / 'grades.csv'}, {out / 'grades.json'}, "
        f"{out}/<student>/results.json"
    )
