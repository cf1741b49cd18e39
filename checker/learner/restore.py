"""Put a task or a day back to its stub, and take that back: nothing a learner wrote is lost.

`reset` saves every file it is about to change under `.llmroad/backups/<stamp>/` first,
then writes the stub back: a whole day's files, or, for one task, only that task's
functions inside the module (the other tasks' work in the same file stays as it is).
`undo` puts the newest backup back, after saving the files it replaces as a backup of
their own, so an undo can be undone too.
"""

from __future__ import annotations

import ast
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from checker.core.catalogue import Day, Task
from checker.core.i18n import msg
from checker.core.layout import EXERCISES
from checker.learner.workspace import Workspace


class CannotRestore(Exception):
    """Why a reset or an undo cannot be done; nothing was changed."""


@dataclass
class Restored:
    files: list[Path]  # workspace files written
    backup: Path  # where their previous contents are kept


def _backups(workspace: Workspace) -> Path:
    return workspace.root / ".llmroad" / "backups"


def _save(workspace: Workspace, files: list[Path], why: str) -> Path:
    """Copy `files` (workspace paths; missing ones are noted as missing) into a new backup."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = _backups(workspace) / stamp
    suffix = 1
    while backup.exists():
        suffix += 1
        backup = _backups(workspace) / f"{stamp}-{suffix}"
    backup.mkdir(parents=True)
    manifest = {"why": why, "files": []}
    for path in files:
        relative = path.relative_to(workspace.root).as_posix()
        manifest["files"].append({"path": relative, "existed": path.exists()})
        if path.exists():
            (backup / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, backup / relative)
    (backup / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return backup


def _functions(source: str) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}


def _span(node: ast.FunctionDef) -> tuple[int, int]:
    """The lines of a function, decorators included, as 0-based [start, end)."""
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    return start, node.end_lineno


def _restore_functions(learner: str, stub: str, names: tuple[str, ...]) -> str:
    """`learner` with the functions `names` replaced by their stub versions."""
    try:
        mine = _functions(learner)
    except SyntaxError as error:
        raise CannotRestore(
            msg(
                en=f"the file has a syntax error (line {error.lineno}), so one task cannot be "
                "picked out of it: reset the whole day instead",
                ja=f"ファイルに文法エラー({error.lineno} 行目)があるため、タスクだけを取り出せません。"
                "日ごとリセットしてください",
            )
        ) from None
    theirs = _functions(stub)
    lines, stub_lines = learner.splitlines(keepends=True), stub.splitlines(keepends=True)
    present = sorted((n for n in names if n in mine), key=lambda n: -mine[n].lineno)
    for name in present:  # from the bottom up, so earlier line numbers stay right
        start, end = _span(mine[name])
        s_start, s_end = _span(theirs[name])
        lines[start:end] = stub_lines[s_start:s_end]
    text = "".join(lines)
    for name in (n for n in names if n not in mine):  # deleted by the learner: append
        s_start, s_end = _span(theirs[name])
        text = text.rstrip("\n") + "\n\n\n" + "".join(stub_lines[s_start:s_end])
    return text


def reset_day(workspace: Workspace, day: Day) -> Restored:
    """Every file of the day back to the course's stub; the learner's saved first."""
    source = EXERCISES / day.folder
    stubs = [p for p in sorted(source.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    targets = [workspace.exercises / day.folder / p.relative_to(source) for p in stubs]
    backup = _save(workspace, targets, f"reset {day.id}")
    for stub, target in zip(stubs, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(stub, target)
    return Restored(targets, backup)


def reset_task(workspace: Workspace, day: Day, task: Task) -> Restored:
    """The task's functions back to their stubs, inside the learner's module."""
    target = workspace.exercises / day.folder / f"{task.module}.py"
    stub = (EXERCISES / day.folder / f"{task.module}.py").read_text(encoding="utf-8")
    if not target.exists():
        text = stub
    else:
        text = _restore_functions(target.read_text(encoding="utf-8"), stub, task.functions)
    backup = _save(workspace, [target], f"reset {task.id}")
    target.write_text(text, encoding="utf-8")
    return Restored([target], backup)


def undo(workspace: Workspace) -> Restored:
    """Put the newest backup back; what it replaces becomes a backup of its own."""
    backups = sorted(_backups(workspace).glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if not backups:
        raise CannotRestore(
            msg(
                en="there is nothing to undo: no reset was made here",
                ja="元に戻すものがありません(まだリセットしていません)",
            )
        )
    newest = backups[-1].parent
    manifest = json.loads(backups[-1].read_text(encoding="utf-8"))
    files = [workspace.root / entry["path"] for entry in manifest["files"]]
    saved = _save(workspace, files, f"undo of {manifest['why']}")
    for entry, path in zip(manifest["files"], files):
        if entry["existed"]:
            shutil.copy2(newest / entry["path"], path)
        else:
            path.unlink(missing_ok=True)
    shutil.rmtree(newest)  # applied: the next undo takes the one before (or undoes this)
    return Restored(files, saved)
