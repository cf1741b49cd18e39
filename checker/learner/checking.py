"""Check a learner's days: run their suites, judge each task, and record progress.

Plain data in, plain data out: the CLI renders a CheckReport; it never prints here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.catalogue import Course, Day, Task, load_course
from checker.core.i18n import msg
from checker.core.layout import SUITES
from checker.core.runner import KINDS, RunRequest, TestOutcome, run_suites
from checker.learner.progress import DayProgress, Progress, tree_hash
from checker.learner.workspace import Workspace


@dataclass
class TaskReport:
    task: Task
    tests: list[TestOutcome]

    @property
    def passed(self) -> int:
        return sum(t.outcome == "passed" for t in self.tests)

    @property
    def total(self) -> int:
        return len(self.tests)

    @property
    def status(self) -> str:
        """done, not started (every test hit the stub), in progress or failing."""
        if self.total and self.passed == self.total:
            return "done"
        if all(t.outcome == "todo" for t in self.tests):
            return "not started"
        return "in progress" if self.passed else "failing"

    @property
    def problems(self) -> list[TestOutcome]:
        """The tests that do not pass, most telling first: real failures before 'not
        started', and among them by kind (an input changed in place, then a wrong type,
        then a named mistake, then a wrong value, then speed), in the suite's order."""
        unfinished = [t for t in self.tests if t.outcome != "passed"]
        return sorted(unfinished, key=lambda t: (t.outcome == "todo", KINDS.index(t.kind)))

    @property
    def first_problem(self) -> TestOutcome | None:
        """The one test to read first."""
        return (self.problems or [None])[0]


@dataclass
class DayReport:
    day: Day
    tasks: list[TaskReport]
    swapped: list[str] = field(default_factory=list)  # prerequisite folders from the reference

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tasks)

    @property
    def total(self) -> int:
        return sum(t.total for t in self.tasks)

    @property
    def status(self) -> str:
        if not self.day.available:
            return "not built"
        if self.total and self.passed == self.total:
            return "passing"
        if all(t.status == "not started" for t in self.tasks):
            return "not started"
        return "in progress"

    @property
    def next_task(self) -> TaskReport | None:
        return next((t for t in self.tasks if t.status != "done"), None)


@dataclass
class CheckReport:
    tree: Path
    days: list[DayReport]
    problems: list[str]
    warnings: list[str]
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems and all(
            d.status == "passing" for d in self.days if d.day.available
        )


def _day_reports(days: list[Day], tests: list[TestOutcome]) -> list[DayReport]:
    reports = []
    for day in days:
        ours = [t for t in tests if t.day == day.folder]
        tasks = [TaskReport(task, [t for t in ours if t.task == task.id]) for task in day.tasks]
        swapped = sorted({folder for t in ours for folder in t.swapped})
        reports.append(DayReport(day, tasks, swapped))
    return reports


def _passing_elsewhere(
    course: Course, days: list[Day], tree: Path, progress: Progress
) -> list[str]:
    """Prerequisite days not being run now whose recorded pass is still fresh."""
    running = {day.folder for day in days}
    needed = {p for day in days for p in course.prerequisites(day) if p.folder not in running}
    return [p.id for p in needed if progress.passes_as_it_is(p, tree)]


def _record(progress: Progress, reports: list[DayReport], tree: Path) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    for report in reports:
        if report.day.available:
            progress.days[report.day.id] = DayProgress(
                passed=report.passed,
                total=report.total,
                tasks={t.task.id: [t.passed, t.total] for t in report.tasks},
                tree_hash=tree_hash(tree / report.day.folder),
                checked_at=stamp,
            )


def check(
    workspace: Workspace | None,
    days: list[Day],
    tree: Path | None = None,
    timeout: float = 60.0,
    lang: str | None = None,
) -> CheckReport:
    """Run the suites of `days` against `tree` (the workspace's exercises by default).

    Progress is recorded only for the workspace's own exercises; without a workspace a
    tree must be named, and nothing is recorded."""
    course = load_course()
    if tree is None:
        tree = workspace.exercises
    tree = tree.resolve()
    own_tree = workspace is not None and tree == workspace.exercises.resolve()
    progress, warning = workspace.progress.load() if own_tree else (Progress(), None)
    warnings = [warning] if warning else []
    days = sorted(days, key=lambda d: d.number)  # prerequisites run before the days on them
    available = [d for d in days if d.available]
    if not tree.is_dir():
        problem = msg(
            en=f"{tree} is not a folder of exercises", ja=f"{tree} は演習のフォルダではありません"
        )
        return CheckReport(tree, [], [problem], warnings, 0.0)
    result = None
    if available:
        request = RunRequest(
            suites=[SUITES / d.folder for d in available],
            tree=tree,
            passing_days=_passing_elsewhere(course, available, tree, progress) if own_tree else [],
            timeout=timeout,
            lang=lang,
        )
        result = run_suites(request)
    reports = _day_reports(days, result.tests if result else [])
    if own_tree and result:
        _record(progress, reports, tree)
        workspace.progress.save(progress)
    problems = result.problems if result else []
    return CheckReport(tree, reports, problems, warnings, result.seconds if result else 0.0)
