"""Turn the core's results into text for people and dicts for --json. No I/O here.

Text follows the chosen language (checker.core.i18n); JSON keeps stable English keys and
status words for tools, with the messages in the chosen language.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from click import style

from checker.core.catalogue import Course, Day
from checker.core.i18n import current, msg, pick
from checker.grading.grade import STATUSES, ClassGrades
from checker.learner.checking import CheckReport, DayReport, TaskReport
from checker.learner.hints import Hint
from checker.learner.progress import Progress
from checker.learner.workspace import InitReport

MARKS = {
    "done": style("✓", fg="green"),
    "in progress": style("✗", fg="red"),
    "failing": style("✗", fg="red"),
    "not started": style("·", dim=True),
}
STUB_ERROR = re.compile(r"(\d+\.\d+) (\w+):")  # a stub raises "16.2 name: see README.md"


def _outcome_word(outcome: str) -> str:
    return {
        "failed": msg(en="wrong", ja="まだ正しくありません"),
        "error": msg(en="an error", ja="エラー"),
        "timeout": msg(en="too slow", ja="時間切れ"),
        "todo": msg(en="not started", ja="未着手"),
    }.get(outcome, outcome)


def not_built_word() -> str:
    """The one word for a day the course announces but has not built yet."""
    return msg(en="not built yet", ja="準備中")


def width(text: str) -> int:
    """Terminal columns: East Asian wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, columns: int) -> str:
    """Left-justify to `columns` terminal columns."""
    return text + " " * max(columns - width(text), 0)


def _bar(done: int, total: int, columns: int = 24) -> str:
    filled = round(columns * done / total) if total else 0
    return style("█" * filled, fg="green") + style("░" * (columns - filled), dim=True)


def day_title(day: Day) -> str:
    return day.title_ja if current() == "ja" else day.title_en


def _day_heading(day: Day) -> str:
    return style(f"{day.id} · {day_title(day)}", bold=True)


def _label(task: TaskReport) -> str:
    return f"{task.task.id} {', '.join(task.task.functions)}"


def next_function(task: TaskReport) -> str:
    """The first of the task's functions still a stub (named by its NotImplementedError),
    else the task's first function."""
    todo = {
        m.group(2)
        for t in task.tests
        if t.outcome == "todo"
        for m in STUB_ERROR.finditer(t.message)
    }
    return next((f for f in task.task.functions if f in todo), task.task.name)


def _task_state(task: TaskReport) -> str:
    if task.status == "done":
        return msg(en=f"done ({task.passed}/{task.total})", ja=f"完了 ({task.passed}/{task.total})")
    if task.status == "not started":
        return msg(en="not started", ja="未着手")
    return msg(
        en=f"{task.passed} of {task.total} tests pass",
        ja=f"{task.total} 件中 {task.passed} 件のテストに合格",
    )


def _task_line(task: TaskReport, columns: int) -> str:
    return f"  {MARKS[task.status]} {_pad(_label(task), columns)}  {_task_state(task)}"


def _swapped_note(report: DayReport, course: Course) -> str:
    names = [course.day_of_folder(folder) for folder in report.swapped]
    en = _and([f"{d.id} ({d.title_en})" for d in names])
    ja = "、".join(f"{d.id}({d.title_ja})" for d in names)
    day, one = report.day.id, len(names) == 1
    state = (
        "isn't passing yet (or has changed since it last passed)"
        if one
        else "aren't passing yet (or have changed since they last passed)"
    )
    them, those, sono = (
        ("it", "that day", "その日") if one else ("them", "those days", "それらの日")
    )
    return style(
        msg(
            en=f"  note: {en} {state}, so {day} was checked with the reference version of "
            f"{them}. Check {those} to use your own.",
            ja=f"  注: {ja} がまだ合格していない(または合格後に変更された)ため、{day} は"
            f"{sono}の模範解答を使って確認しました。{sono}を check すると自分のコードが使われます。",
        ),
        fg="yellow",
    )


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _indented(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


SLOW_TEST_SECONDS = 1.0  # a failing test that took longer shows its time


def _failure(task: TaskReport, test) -> str:
    took = f" ({test.seconds:.1f} s)" if test.seconds >= SLOW_TEST_SECONDS else ""
    lines = [
        f"  {style(_label(task), bold=True)} — {_outcome_word(test.outcome)}: {test.name}{took}"
    ]
    lines.append(_indented(test.message))
    if test.printed:
        lines.append(msg(en="    your code printed:", ja="    あなたのコードの出力:"))
        lines.append(_indented(test.printed, "      | "))
    return "\n".join(lines)


def _problem(task: TaskReport, day: Day) -> str:
    test = task.first_problem
    if test.outcome == "todo":
        path = f"exercises/{day.folder}/{task.task.module}.py"
        name, tid = next_function(task), task.task.id
        return msg(
            en=f"  next: open {path}, replace the TODO({tid}) in {name}, and read "
            f"README.md § {tid} for the idea",
            ja=f"  次: {path} を開き、{name} の TODO({tid}) を書き換えましょう。"
            f"考え方は README.md の § {tid} にあります",
        )
    return _failure(task, test)


def _verbose(report: DayReport) -> list[str]:
    """Every test that does not pass, per task, most telling first."""
    blocks = []
    for task in report.tasks:
        real = [t for t in task.problems if t.outcome != "todo"]
        blocks += [_failure(task, test) for test in real]
    return blocks


def _summary(report: DayReport) -> str:
    day, task = report.day, report.next_task
    done = sum(t.status == "done" for t in report.tasks)
    count = len(report.tasks)
    if task is None:
        return style(
            msg(
                en=f"{day.id}: {done}/{count} tasks done — the day passes. On to the next day!",
                ja=f"{day.id}: {count} タスク中 {done} 完了 — この日は合格です。次へ進もう!",
            ),
            fg="green",
        )
    name, tid = next_function(task), task.task.id
    return msg(
        en=f"{day.id}: {done}/{count} tasks done — next: {tid} {name} (llmroad hint {tid})",
        ja=f"{day.id}: {count} タスク中 {done} 完了 — 次は {tid} {name}(llmroad hint {tid})",
    )


def _day_text(report: DayReport, course: Course, verbose: bool) -> list[str]:
    day = report.day
    columns = max(width(_label(t)) for t in report.tasks)
    lines = [_day_heading(day), *(_task_line(t, columns) for t in report.tasks)]
    if report.swapped:
        lines.append(_swapped_note(report, course))
    task = report.next_task
    if verbose:
        lines += ["", *_verbose(report)] if any(t.problems for t in report.tasks) else []
        if task and task.first_problem and task.first_problem.outcome == "todo":
            lines += ["", _problem(task, day)]
    elif task and task.first_problem:
        lines += ["", _problem(task, day)]
    return [*lines, "", _summary(report)]


def check_text(report: CheckReport, course: Course, verbose: bool = False) -> str:
    checked = [d for d in report.days if d.day.available]
    blocks = ["\n".join(_day_text(day, course, verbose)) for day in checked]
    unbuilt = [d.day.id for d in report.days if not d.day.available]
    if unbuilt:
        span = unbuilt[0] if len(unbuilt) == 1 else f"{unbuilt[0]} … {unbuilt[-1]}"
        blocks.append(style(f"{span}: {not_built_word()}", dim=True))
    for problem in report.problems:
        blocks.append(style(msg(en="problem: ", ja="問題: "), fg="red", bold=True) + problem)
    if len(report.days) > 1:
        passing = sum(d.status == "passing" for d in checked)
        blocks.append(
            msg(
                en=f"{passing} of {len(checked)} built days pass ({report.seconds:.1f} s)",
                ja=f"用意できている {len(checked)} 日のうち {passing} 日が合格({report.seconds:.1f} 秒)",
            )
        )
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
                "kind": t.kind,
                "outcome": t.outcome,
                "message": t.message,
                "printed": t.printed,
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
    """A day's status from stored progress: passing, N/M tasks, not started, not built."""
    if not day.available:
        return "not built"
    record = progress.days.get(day.id)
    if record is None:
        return "not started"
    if record.passing:
        return "passing"
    done = sum(p == t and t > 0 for p, t in record.tasks.values())
    return f"{done}/{len(day.tasks)} tasks"


def _status_words(status: str) -> str:
    if status.endswith(" tasks"):
        count = status.split()[0]
        return msg(en=status, ja=f"{count} タスク")
    return {
        "passing": msg(en="passing", ja="合格"),
        "not started": msg(en="not started", ja="未着手"),
        "not built": not_built_word(),
    }[status]


def list_json(course: Course, progress: Progress) -> list[dict]:
    return [
        {
            "id": d.id,
            "folder": d.folder,
            "section": d.section,
            "title_ja": d.title_ja,
            "title_en": d.title_en,
            "post_title": d.post_title,
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
        tasks = ", ".join(t.id for t in day.tasks) or "準備中 · not built yet"
        needs = ", ".join(course.day_of_folder(f).id for f in day.requires) or "—"
        link = f"[{day.id}](exercises/{day.folder}/README.md)" if day.available else day.id
        rows.append(
            f"| {link} | [{day.title_ja}]({day.post_url}) | {day.title_en} | {tasks} | {needs} |"
        )
    return "\n".join(rows)


def _section_title(section) -> str:
    return section.title_ja if current() == "ja" else section.title_en


def list_text(course: Course, progress: Progress) -> str:
    lines = []
    for section in course.sections:
        lines.append(style(_section_title(section), bold=True))
        for day in (d for d in course.days if d.section == section.id):
            status = day_status(day, progress)
            colour = {"passing": "green", "not built": None}.get(status, "yellow")
            words = _status_words(status)
            shown = style(words, fg=colour, dim=status == "not built")
            lines.append(f"  {day.id}  {shown}{' ' * max(14 - width(words), 1)}{day_title(day)}")
    return "\n".join(lines)


def _tally(days: list[Day], progress: Progress) -> dict:
    built = [d for d in days if d.available]
    tasks = [(d, t) for d in built for t in d.tasks]

    def done(day: Day, task) -> bool:
        record = progress.days.get(day.id)
        passed, total = record.tasks.get(task.id, [0, 0]) if record else (0, 0)
        return passed == total > 0

    return {
        "days_passing": sum(day_status(d, progress) == "passing" for d in built),
        "days_built": len(built),
        "days": len(days),
        "tasks_done": sum(done(d, t) for d, t in tasks),
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
    line = _pad(title, 30) + f"{_bar(tally['tasks_done'], tally['tasks'])} "
    days, built = tally["days"], tally["days_built"]
    if not built:
        return line + msg(
            en=f"{not_built_word()}: {days} days", ja=f"{not_built_word()}: {days} 日"
        )
    unbuilt = days - built
    done, tasks, passing = tally["tasks_done"], tally["tasks"], tally["days_passing"]
    return line + msg(
        en=f"{done}/{tasks} tasks, {passing}/{built} days pass"
        + (f" ({unbuilt} more {not_built_word()})" if unbuilt else ""),
        ja=f"{tasks} タスク中 {done} 完了、{built} 日中 {passing} 日合格"
        + (f"(ほか {unbuilt} 日は{not_built_word()})" if unbuilt else ""),
    )


def _days_left_line(day: Day, progress: Progress) -> str:
    """A built day: its bar and what is left of it."""
    tally = _tally([day], progress)
    done, tasks = tally["tasks_done"], tally["tasks"]
    left = tasks - done
    state = (
        msg(en="passes", ja="合格")
        if tally["days_passing"]
        else msg(en=f"{left} of {tasks} tasks left", ja=f"残り {left} / {tasks} タスク")
    )
    return f"    {day.id}  {_bar(done, tasks, 12)} {state}"


def progress_text(course: Course, progress: Progress) -> str:
    data = progress_json(course, progress)
    lines = []
    for section, tally in zip(course.sections, data["sections"]):
        lines.append(_section_line(_section_title(section), tally))
        built = [d for d in course.days if d.section == section.id and d.available]
        lines += [_days_left_line(day, progress) for day in built]
    overall = _section_line(msg(en="overall", ja="全体"), data["overall"])
    return "\n".join([*lines, "", overall])


def hint_text(hint: Hint, again: str | None = None) -> str:
    """The hint, and how to ask for the next level (`again`: watch mode's key)."""
    tid = hint.task.id
    more = (
        msg(
            en=f"  ({again or f'llmroad hint {tid} again'} for a more explicit one)",
            ja=f"  ({again or f'もう一度 llmroad hint {tid}'} で、より具体的なヒント)",
        )
        if hint.level < hint.levels
        else ""
    )
    heading = msg(
        en=f"{tid} {hint.task.name} — hint {hint.level}/{hint.levels}",
        ja=f"{tid} {hint.task.name} — ヒント {hint.level}/{hint.levels}",
    )
    return (style(heading, bold=True) + f"\n  {hint.text}\n{more}").rstrip()


def init_text(report: InitReport, cwd: Path) -> str:
    root = report.workspace.root
    shown = root.relative_to(cwd) if root.is_relative_to(cwd) else root
    days = ", ".join(report.added_days)
    if report.created:
        return msg(
            en=f"created your workspace in {shown} with {days}.\n"
            f"next: cd {shown} && llmroad check day01  (then read "
            "exercises/day01_ml_basics/README.md)",
            ja=f"{shown} に作業フォルダを作りました({days})。\n"
            f"次: cd {shown} && llmroad check day01 (そして exercises/day01_ml_basics/README.md "
            "を読みましょう)",
        )
    if not report.added_days and not report.added_files:
        return msg(
            en=f"{shown} is up to date: every day of the course is there; nothing was changed",
            ja=f"{shown} は最新です。コースのすべての日がそろっています。何も変更していません",
        )
    files = len(report.added_files)
    return msg(
        en=f"added to {shown}: {days or 'no new day'}; {files} missing file(s) restored; "
        f"{report.kept} file(s) already there were left as they were",
        ja=f"{shown} に追加しました: {days or '新しい日はなし'}。足りなかったファイル {files} 個を"
        f"戻し、既にあった {report.kept} 個のファイルはそのままです",
    )


def not_a_workspace(error: Exception, root: Path) -> str:
    return msg(
        en=f"{root} is not empty and is not an llmroad workspace: name a new folder "
        "(llmroad init my-llmroad)",
        ja=f"{root} は空でなく、llmroad の作業フォルダでもありません。新しいフォルダ名を"
        "指定してください(llmroad init my-llmroad)",
    )


def watch_checking(day: Day) -> str:
    return style(msg(en=f"{day.id}: checking…", ja=f"{day.id}: 確認中…"), fg="yellow")


WATCH_KEYS = {
    "en": "n next task · h hint · l list · c check all · r re-run · q quit",
    "ja": "n 次のタスク · h ヒント · l 一覧 · c 全部を確認 · r もう一度 · q 終了",
}


def watch_screen(session, everything: bool = False) -> str:
    """The watch screen: the day's tasks, the focused task's most telling failure, the
    day's bar, and the keys."""
    report = session.report
    day_report = next((d for d in report.days if d.day == session.day), None)
    lines = [style(f"llmroad watch · {session.day.id} · {day_title(session.day)}", bold=True), ""]
    if everything:
        passing = sum(d.status == "passing" for d in report.days if d.day.available)
        built = sum(d.day.available for d in report.days)
        lines += [
            msg(
                en=f"{passing} of {built} built days pass",
                ja=f"用意できている {built} 日のうち {passing} 日が合格",
            ),
            "",
        ]
    if day_report is None:
        return "\n".join(lines + [pick(WATCH_KEYS)])
    columns = max(width(_label(t)) for t in day_report.tasks)
    for task in day_report.tasks:
        pointer = "›" if task.task.id == session.focus else " "
        lines.append(pointer + _task_line(task, columns)[1:])
    focused = next((t for t in day_report.tasks if t.task.id == session.focus), None)
    if focused and focused.first_problem:
        lines += ["", _problem(focused, session.day)]
    for problem in report.problems:
        lines += ["", style(msg(en="problem: ", ja="問題: "), fg="red", bold=True) + problem]
    done = sum(t.status == "done" for t in day_report.tasks)
    lines += [
        "",
        f"{_bar(done, len(day_report.tasks))} {_summary(day_report)}",
        "",
        style(pick(WATCH_KEYS), dim=True),
    ]
    return "\n".join(lines)


def restored_text(restored, workspace, undone: bool) -> str:
    files = ", ".join(p.relative_to(workspace.root).as_posix() for p in restored.files)
    kept = restored.backup.relative_to(workspace.root).as_posix()
    if undone:
        return msg(
            en=f"put back: {files} (what they held before is kept in {kept})",
            ja=f"元に戻しました: {files}(直前の内容は {kept} に保存しました)",
        )
    return msg(
        en=f"back to the stub: {files}. Your version is kept in {kept}; llmroad reset --undo brings it back",
        ja=f"スタブに戻しました: {files}。あなたの版は {kept} にあり、llmroad reset --undo で戻せます",
    )


def solution_text(task, source: str) -> str:
    heading = msg(
        en=f"{task.id} {task.name}: the reference, to compare with yours",
        ja=f"{task.id} {task.name}: 模範解答(あなたの版と見比べてみましょう)",
    )
    return style(heading, bold=True) + "\n\n" + source


def doctor_text(findings) -> str:
    lines = []
    for finding in findings:
        mark = style("✓", fg="green") if finding.ok else style("✗", fg="red")
        lines.append(f"{mark} {_pad(finding.what, 22)} {finding.detail}")
        if not finding.ok and finding.fix:
            lines.append(f"  {' ' * 22} → {finding.fix}")
    problems = sum(not f.ok for f in findings)
    lines.append("")
    lines.append(
        msg(en="everything is in place", ja="すべて整っています")
        if not problems
        else msg(
            en=f"{problems} problem(s): see → above",
            ja=f"問題が {problems} 件あります(→ を見てください)",
        )
    )
    return "\n".join(lines)


def grading_text(grades: ClassGrades, out) -> str:
    counts = [f"{sum(g.status == s for g in grades.grades)} {s}" for s in STATUSES]
    reused = f", {grades.reused} unchanged and reused" if grades.reused else ""
    notes = "".join(f"\nnote: {note}" for note in grades.notes)
    return (
        f"graded {len(grades.grades)} submissions in {grades.seconds:.1f} s{reused}: "
        f"{', '.join(counts)}\n→ {out / 'grades.csv'}, {out / 'grades.json'}, "
        f"{out}/<student>/results.json{notes}"
    )
