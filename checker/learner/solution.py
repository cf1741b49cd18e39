"""The reference version of a task, shown only once the learner's own version passes
(as rustlings does), so that it is something to compare with, never a shortcut."""

from __future__ import annotations

import ast

from checker.core.catalogue import Day, Task
from checker.core.i18n import msg
from checker.core.layout import REFERENCE
from checker.learner.progress import Progress, tree_hash
from checker.learner.workspace import Workspace


class NotYet(Exception):
    """The task does not pass (as far as progress knows); the message says what to do."""


def passes(workspace: Workspace, progress: Progress, day: Day, task: Task) -> bool:
    """Whether the last check of the day passed the task, and the day is unchanged since."""
    record = progress.days.get(day.id)
    if record is None or record.tree_hash != tree_hash(workspace.exercises / day.folder):
        return False
    passed, total = record.tasks.get(task.id, [0, 0])
    return total > 0 and passed == total


def reference_source(day: Day, task: Task) -> str:
    """The reference functions of the task, as written in the course."""
    source = (REFERENCE / day.folder / f"{task.module}.py").read_text(encoding="utf-8")
    functions = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    return "\n\n\n".join(ast.get_source_segment(source, functions[f]) for f in task.functions)


def solution(workspace: Workspace, progress: Progress, day: Day, task: Task) -> str:
    if not passes(workspace, progress, day, task):
        raise NotYet(
            msg(
                en=f"{task.id} does not pass yet (or changed since it last passed): the "
                f"reference is shown once yours passes. Check it: llmroad check {day.id}",
                ja=f"{task.id} はまだ合格していません(または合格後に変更されました)。模範解答は"
                f"あなたのコードが合格してから表示します。確認: llmroad check {day.id}",
            )
        )
    return reference_source(day, task)
