"""The learner's workspace: their own copy of the stubs, apart from the course.

    llmroad-work/
      README.md                  where to start (written once, never overwritten)
      exercises/dayNN_topic/     the stubs and each day's README.md, to be filled in
      .llmroad/workspace.toml    marks the folder as a workspace
      .llmroad/progress.json     progress (checker.learner.progress)

`llmroad init` creates one from the pristine stubs the course carries (a checkout's
`exercises/`, or the copy inside an installed wheel) and, run again, adds the days the
course has gained since without touching a file that is already there. Every command
finds the workspace from any folder inside it, like git finds a repository.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.catalogue import Course
from checker.core.layout import EXERCISES
from checker.learner.progress import ProgressStore

MARKER = Path(".llmroad") / "workspace.toml"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")

WELCOME = """# llmroad — LLMへ至る道

This is your workspace. 自分の作業フォルダです。

- `exercises/day01_ml_basics/README.md`: read the day's idea, then fill in the stubs
  beside it. / 各日の README を読んでから、となりのスタブを埋めます。
- `llmroad check day01`: what still fails, and what to do next. / まだ通らないテストと次の一手。
- `llmroad hint 1.1`: a hint, more explicit each time. / ヒント(聞くたびに具体的に)。
- `llmroad progress`, `llmroad list`: how far along you are. / 進み具合。
- `llmroad init` again: adds the days the course gains later; it never overwrites your files.
  / コースに追加された日を足します。あなたのファイルは上書きしません。
"""


class NotAWorkspace(Exception):
    """A folder that cannot become a workspace; the message says why."""


@dataclass
class Workspace:
    """A learner's folder: `exercises/` and the `.llmroad/` state beside it."""

    root: Path

    @property
    def exercises(self) -> Path:
        return self.root / "exercises"

    @property
    def progress(self) -> ProgressStore:
        return ProgressStore(self.root / ".llmroad" / "progress.json")

    @property
    def exists(self) -> bool:
        return (self.root / MARKER).is_file()

    @classmethod
    def find(cls, start: Path) -> Workspace | None:
        """The nearest workspace at or above `start`, or None."""
        start = start.resolve()
        for folder in [start, *start.parents]:
            if (folder / MARKER).is_file():
                return cls(folder)
        return None


@dataclass
class InitReport:
    workspace: Workspace
    created: bool  # a new workspace, rather than an existing one brought up to date
    added_days: list[str] = field(default_factory=list)  # day ids whose folder was added
    added_files: list[Path] = field(default_factory=list)  # files added to existing days
    kept: int = 0  # files already there, left as they were


def init_workspace(root: Path, course: Course) -> InitReport:
    """Create a workspace at `root`, or add to the one there what the course has gained.
    A file that exists is never overwritten."""
    root = root.resolve()
    workspace = Workspace(root)
    created = not workspace.exists
    if created and root.exists() and any(root.iterdir()):
        raise NotAWorkspace(f"{root} is not empty and is not an llmroad workspace")
    report = InitReport(workspace, created)
    root.mkdir(parents=True, exist_ok=True)
    _add_file(root / "README.md", WELCOME, report)
    _add_file(workspace.exercises / "__init__.py", "", report)
    for day in course.days:
        if day.available:
            _add_day(EXERCISES / day.folder, workspace.exercises / day.folder, day.id, report)
    (root / MARKER).parent.mkdir(exist_ok=True)
    _add_file(root / MARKER, "# This folder is an llmroad workspace.\nversion = 1\n", report)
    _add_file(root / ".llmroad" / ".gitignore", "progress.json*\n", report)
    return report


def _add_day(source: Path, target: Path, day_id: str, report: InitReport) -> None:
    if not target.exists():
        shutil.copytree(source, target, ignore=IGNORED)
        report.added_days.append(day_id)
        return
    for path in sorted(source.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            copy = target / path.relative_to(source)
            if copy.exists():
                report.kept += 1
            else:
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copy)
                report.added_files.append(copy)


def _add_file(path: Path, text: str, report: InitReport) -> None:
    if path.exists():
        report.kept += 1
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
