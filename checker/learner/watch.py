"""Watch mode's state: which day and task are in focus, when to check again, what a key does.

No terminal here (checker/terminal.py drives it): the session is told of saved files and
pressed keys, and answers with the screen to show, so it can be tested without a pty.

Saved files are found by polling the day folder's modification times a few times a
second. A day folder holds a handful of files, so polling costs nothing measurable, works
the same on every system and file system (network drives and containers included), and
needs no dependency; a file-watching library would add one for no gain here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.catalogue import Course, Day
from checker.learner.checking import CheckReport, TaskReport
from checker.learner.hints import Hint, next_hint
from checker.learner.workspace import Workspace

KEYS = "nhlcrq"


def snapshot(folder: Path) -> dict[str, float]:
    """Modification time of every Python file under `folder`: what a save changes."""
    if not folder.is_dir():
        return {}
    return {
        str(p): p.stat().st_mtime_ns
        for p in folder.rglob("*.py")
        if "__pycache__" not in p.parts and p.is_file()
    }


@dataclass
class WatchSession:
    """One watch: a day in focus, the last report, and the task the keys act on."""

    workspace: Workspace
    course: Course
    day: Day
    check: Callable[[list[Day]], CheckReport]  # runs the suites (checker.learner.checking)
    report: CheckReport | None = None
    focus: str | None = None  # task id the keys n and h act on
    seen: dict[str, float] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.workspace.exercises / self.day.folder

    def saved(self) -> bool:
        """Whether a file of the day changed since the last look."""
        now = snapshot(self.folder)
        changed = bool(self.seen) and now != self.seen
        self.seen = now
        return changed

    def run_check(self, days: list[Day] | None = None) -> None:
        self.report = self.check(days or [self.day])
        self.seen = snapshot(self.folder)
        tasks = self.tasks()
        unfinished = [t for t in tasks if t.status != "done"]
        if not any(t.task.id == self.focus and t.status != "done" for t in tasks):
            self.focus = unfinished[0].task.id if unfinished else None

    def tasks(self) -> list[TaskReport]:
        if self.report is None:
            return []
        return next((d.tasks for d in self.report.days if d.day == self.day), [])

    def next_task(self) -> None:
        """Move the focus to the next unfinished task, round the day."""
        unfinished = [t.task.id for t in self.tasks() if t.status != "done"]
        if unfinished:
            at = unfinished.index(self.focus) if self.focus in unfinished else -1
            self.focus = unfinished[(at + 1) % len(unfinished)]

    def hint(self) -> Hint:
        """The next hint level of the task in focus, recorded in progress as `llmroad hint`
        does; HintRefused when there is none (the day passes)."""
        progress, _ = self.workspace.progress.load()
        hint = next_hint(self.course, progress, self.focus or self.day.id, None)
        self.workspace.progress.save(progress)
        return hint
