"""The course catalogue: `course.toml` read once into plain dataclasses.

Everything that needs the list of days, tasks, prerequisites or hints reads it from
here; nothing else repeats that list.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from checker.core.i18n import msg

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

CATALOGUE_PATH = Path(__file__).resolve().parents[1] / "course.toml"


class UnknownDay(LookupError):
    """A day or task name that is not in the catalogue; the message lists the valid ones."""


@dataclass(frozen=True)
class Task:
    id: str  # "16.2"
    module: str  # "attention", a module file of the day's folder
    functions: tuple[str, ...]
    title: dict[str, str]  # {"en": ..., "ja": ...}
    hints: tuple[dict[str, str], ...]  # gentle to explicit, each {"en": ..., "ja": ...}

    @property
    def name(self) -> str:
        return self.functions[0]

    def __hash__(self) -> int:
        return hash(self.id)


@dataclass(frozen=True)
class Section:
    id: str
    title_ja: str
    title_en: str


@dataclass(frozen=True)
class Day:
    number: int
    folder: str  # "day16_attention"
    section: str
    title_ja: str
    title_en: str
    post_title: str
    post_url: str
    requires: tuple[str, ...]  # folders of the days this one builds on
    tasks: tuple[Task, ...]

    @property
    def id(self) -> str:
        return f"day{self.number:02d}"

    @property
    def available(self) -> bool:
        """Whether the day's exercises exist yet (later days are announced, not built)."""
        return bool(self.tasks)

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(task.module for task in self.tasks))

    def task(self, task_id: str) -> Task:
        return next(task for task in self.tasks if task.id == task_id)


@dataclass(frozen=True)
class Course:
    title_ja: str
    title_en: str
    sections: tuple[Section, ...]
    days: tuple[Day, ...]

    def day(self, name: str | int) -> Day:
        """The day named `day16`, `16`, `day16_attention` or 16; UnknownDay otherwise."""
        text = str(name).strip().lower()
        match = re.fullmatch(r"(?:day)?0*(\d+)(?:_\w*)?", text)
        for day in self.days:
            if (
                match
                and int(match.group(1)) == day.number
                and ("_" not in text or text == day.folder)
            ):
                return day
        last = len(self.days)
        raise UnknownDay(
            msg(
                en=f"no day {str(name)!r}; days are day01 … day{last:02d}"
                f" (or 1 … {last}, or a folder name such as {self.days[0].folder})",
                ja=f"{str(name)!r} という日はありません。日は day01 … day{last:02d} です"
                f"(1 … {last} や、{self.days[0].folder} のようなフォルダ名でも指定できます)",
            )
        )

    def day_of_folder(self, folder: str) -> Day:
        return next(day for day in self.days if day.folder == folder)

    def task(self, task_id: str) -> tuple[Day, Task]:
        """The task `16.2` and its day; UnknownDay when there is no such task."""
        day_number, _, _ = task_id.partition(".")
        day = self.day(day_number)
        for task in day.tasks:
            if task.id == task_id:
                return day, task
        known = ", ".join(task.id for task in day.tasks)
        raise UnknownDay(
            msg(
                en=f"no task {task_id!r}; {day.id} has tasks {known}",
                ja=f"{task_id!r} というタスクはありません。{day.id} のタスクは {known} です",
            )
        )

    def prerequisites(self, day: Day) -> tuple[Day, ...]:
        """Every day `day` builds on, directly or through another day, earliest first."""
        found: dict[str, Day] = {}
        pending = list(day.requires)
        while pending:
            folder = pending.pop()
            if folder not in found:
                found[folder] = self.day_of_folder(folder)
                pending.extend(found[folder].requires)
        return tuple(sorted(found.values(), key=lambda d: d.number))

    def section(self, section_id: str) -> Section:
        return next(section for section in self.sections if section.id == section_id)


def _task(raw: dict) -> Task:
    return Task(
        id=raw["id"],
        module=raw["module"],
        functions=tuple(raw["functions"]),
        title={"en": raw["title_en"], "ja": raw["title_ja"]},
        hints=tuple({"en": hint["en"], "ja": hint["ja"]} for hint in raw["hints"]),
    )


def _day(raw: dict) -> Day:
    return Day(
        number=raw["number"],
        folder=raw["folder"],
        section=raw["section"],
        title_ja=raw["title_ja"],
        title_en=raw["title_en"],
        post_title=raw["post_title"],
        post_url=raw["post_url"],
        requires=tuple(raw.get("requires", ())),
        tasks=tuple(_task(task) for task in raw.get("tasks", ())),
    )


@cache
def load_course(path: Path = CATALOGUE_PATH) -> Course:
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return Course(
        title_ja=raw["course"]["title_ja"],
        title_en=raw["course"]["title_en"],
        sections=tuple(Section(**section) for section in raw["sections"]),
        days=tuple(_day(day) for day in raw["days"]),
    )
