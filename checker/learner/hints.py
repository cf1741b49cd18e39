"""Progressive hints: each `llmroad hint` for a task shows the next, more explicit one."""

from __future__ import annotations

from dataclasses import dataclass

from checker.core.catalogue import Course, Day, Task, UnknownDay
from checker.core.i18n import pick
from checker.learner.progress import Progress


@dataclass
class Hint:
    day: Day
    task: Task
    level: int  # 1-based
    text: str

    @property
    def levels(self) -> int:
        return len(self.task.hints)


def _next_unfinished(day: Day, progress: Progress) -> Task:
    record = progress.days.get(day.id)
    for task in day.tasks:
        passed, total = record.tasks.get(task.id, [0, 0]) if record else (0, 0)
        if total == 0 or passed < total:
            return task
    return day.tasks[-1]


def next_hint(course: Course, progress: Progress, target: str, level: int | None) -> Hint:
    """The hint asked for; records the level shown in `progress.hints`."""
    if "." in target:
        day, task = course.task(target)
    else:
        day = course.day(target)
        if not day.available:
            raise UnknownDay(f"{day.id} has no exercises yet, so no hints either")
        task = _next_unfinished(day, progress)
    shown = progress.hints.get(task.id, 0)
    chosen = min(level if level else shown + 1, len(task.hints))
    progress.hints[task.id] = max(shown, chosen)
    return Hint(day, task, chosen, pick(task.hints[chosen - 1]))
