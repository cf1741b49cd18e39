"""The learner's progress: `.llmroad/progress.json` at the workspace root.

Written atomically (a temporary file, then a rename), so an interrupted run never
leaves half a file. A file that cannot be read is set aside beside it, never
silently lost, and the caller is told.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from checker.core.catalogue import Day
from checker.core.i18n import msg

VERSION = 1


@dataclass
class DayProgress:
    passed: int
    total: int
    tasks: dict[str, list[int]]  # task id -> [tests passed, tests]
    tree_hash: str  # of the learner's day folder when checked
    checked_at: str

    @property
    def passing(self) -> bool:
        return self.total > 0 and self.passed == self.total


@dataclass
class Progress:
    days: dict[str, DayProgress] = field(default_factory=dict)  # "day04" -> ...
    hints: dict[str, int] = field(default_factory=dict)  # task id -> highest hint level shown

    def passes_as_it_is(self, day: Day, tree: Path) -> bool:
        """Whether the day's recorded pass is still fresh: its folder in `tree` unchanged."""
        record = self.days.get(day.id)
        return (
            record is not None
            and record.passing
            and record.tree_hash == tree_hash(tree / day.folder)
        )


def tree_hash(folder: Path) -> str:
    """A hash of a day folder's Python files: progress is fresh while it is unchanged."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")) if folder.is_dir() else ():
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class ProgressStore:
    def __init__(self, path: Path):
        self.path = path

    def load(self) -> tuple[Progress, str | None]:
        """The stored progress, and a warning if the file had to be set aside."""
        if not self.path.exists():
            return Progress(), None
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return Progress(
                days={d: DayProgress(**p) for d, p in raw["days"].items()},
                hints={t: int(level) for t, level in raw.get("hints", {}).items()},
            ), None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            aside = self.path.with_name(
                f"{self.path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            os.replace(self.path, aside)
            why = type(error).__name__
            return Progress(), msg(
                en=f"{self.path} could not be read ({why}); it was moved to {aside.name} and "
                "progress starts afresh: check any day to record it again",
                ja=f"{self.path} を読めませんでした ({why})。{aside.name} に移して残し、進み具合は"
                "最初からになります。どの日でも check すれば記録し直せます",
            )

    def save(self, progress: Progress) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": VERSION,
            "days": {d: asdict(p) for d, p in progress.days.items()},
            "hints": progress.hints,
        }
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=2, ensure_ascii=False)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
