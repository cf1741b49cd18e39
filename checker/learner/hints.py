"""Progressive hints: each `llmroad hint` for a task shows the next, more explicit one."""

from __future__ import annotations

from dataclasses import dataclass

from checker.core.catalogue import Course, Day, Task
from checker.core.i18n import msg, pick
from checker.learner.progress import Progress


class HintRefused(Exception):
    """No hint to show, and why; `usage` when the request itself was wrong (exit 2)."""

    def __init__(self, message: str, usage: bool):
        super().__init__(message)
        self.usage = usage


@dataclass
class Hint:
    day: Day
    task: Task
    level: int  # 1-based
    text: str

    @property
    def levels(self) -> int:
        return len(self.task.hints)


def _task_done(day: Day, task: Task, progress: Progress) -> bool:
    record = progress.days.get(day.id)
    passed, total = record.tasks.get(task.id, [0, 0]) if record else (0, 0)
    return total > 0 and passed == total


def _not_built(day: Day) -> HintRefused:
    return HintRefused(
        msg(
            en=f"{day.id} is not built yet, so it has no hints yet",
            ja=f"{day.id} はまだ準備中なので、ヒントもまだありません",
        ),
        usage=True,
    )


def _chosen_task(course: Course, progress: Progress, target: str) -> tuple[Day, Task]:
    if "." in target:
        day = course.day(target.partition(".")[0])
        if not day.available:
            raise _not_built(day)
        return course.task(target)
    day = course.day(target)
    if not day.available:
        raise _not_built(day)
    for task in day.tasks:
        if not _task_done(day, task, progress):
            return day, task
    raise HintRefused(
        msg(
            en=f"{day.id} passes: every task is done. To read a task's hints again, name it "
            f"(llmroad hint {day.tasks[0].id})",
            ja=f"{day.id} はすべてのタスクが完了しています。ヒントを読み返すなら、タスクを"
            f"指定してください(llmroad hint {day.tasks[0].id})",
        ),
        usage=False,
    )


def next_hint(course: Course, progress: Progress, target: str, level: int | None) -> Hint:
    """The hint asked for (the next level unless `level` is given); records the level shown
    in `progress.hints`. UnknownDay for a name the course does not have; HintRefused when
    there is no hint to give."""
    day, task = _chosen_task(course, progress, target)
    levels = len(task.hints)
    if level is not None and not 1 <= level <= levels:
        raise HintRefused(
            msg(
                en=f"{task.id} has hint levels 1 to {levels}, not {level}",
                ja=f"{task.id} のヒントは 1 から {levels} までです({level} はありません)",
            ),
            usage=True,
        )
    shown = progress.hints.get(task.id, 0)
    chosen = level if level else min(shown + 1, levels)
    progress.hints[task.id] = max(shown, chosen)
    return Hint(day, task, chosen, pick(task.hints[chosen - 1]))
