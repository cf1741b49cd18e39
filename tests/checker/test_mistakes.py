"""Every common mistake a day's README names is diagnosed by name.

Each bullet under a task's "よくある間違い / Common mistakes" is one entry of the suite's
mistakes.toml: a mutant of the reference. Applied to a copy of the reference, it must make
its task fail, and the first message `llmroad check` shows for the task must name the
mistake, in English and in Japanese. See tests/days/README.md.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.core.catalogue import Day, load_course
from checker.core.layout import REFERENCE, SUITES
from checker.core.runner import RunRequest, run_suites
from checker.learner.checking import TaskReport

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course()
AVAILABLE = [day for day in COURSE.days if day.available]
MISTAKES_HEADING = re.compile(r"^\*\*よくある間違い / Common mistakes\*\*\s*$", re.M)


@dataclass(frozen=True)
class Mistake:
    day: Day
    task: str
    name: str
    readme: str
    file: str
    replace: tuple[tuple[str, str], ...]
    expect_en: str
    expect_ja: str

    @property
    def id(self) -> str:
        return f"{self.task} {self.name}"


def mistakes_of(day: Day) -> list[Mistake]:
    path = SUITES / day.folder / "mistakes.toml"
    if not path.exists():
        return []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Mistake(
            day=day,
            task=entry["task"],
            name=entry["name"],
            readme=entry["readme"],
            file=entry["file"],
            replace=tuple((old, new) for old, new in entry["replace"]),
            expect_en=entry["expect_en"],
            expect_ja=entry["expect_ja"],
        )
        for entry in raw["mistake"]
    ]


def readme_mistakes(day: Day) -> dict[str, list[str]]:
    """task id -> the text of each bullet under its common-mistakes heading."""
    readme = (ROOT / "exercises" / day.folder / "README.md").read_text(encoding="utf-8")
    found: dict[str, list[str]] = {}
    sections = re.split(r"^## ", readme, flags=re.M)
    for section in sections:
        task = section.split(" ", 1)[0]
        if not re.fullmatch(rf"{day.number}\.\d+", task):
            continue
        parts = MISTAKES_HEADING.split(section, maxsplit=1)
        if len(parts) < 2:
            continue
        block = re.split(r"^(?:---|\*\*|#)", parts[1].lstrip("\n"), flags=re.M)[0]
        found[task] = [b.strip() for b in re.split(r"^- ", block, flags=re.M) if b.strip()]
    return found


ALL = [m for day in AVAILABLE for m in mistakes_of(day)]


@pytest.mark.parametrize("day", AVAILABLE, ids=lambda d: d.id)
def test_every_readme_mistake_is_held_as_a_mutant(day):
    bullets = readme_mistakes(day)
    entries = mistakes_of(day)
    for task in day.tasks:
        assert bullets.get(task.id), (
            f"README § {task.id} needs a '**よくある間違い / Common mistakes**' list"
        )
        for bullet in bullets[task.id]:
            claimed = [m.name for m in entries if m.task == task.id and m.readme in bullet]
            assert len(claimed) == 1, (
                f"{day.id} README § {task.id}: the mistake {bullet[:80]!r} should be claimed by "
                f"exactly one mistakes.toml entry (by its `readme` words); claimed by {claimed}"
            )
    for entry in entries:
        assert any(entry.readme in b for b in bullets.get(entry.task, [])), (
            f"mistakes.toml {entry.id!r}: no bullet of README § {entry.task} contains "
            f"{entry.readme!r}"
        )


def _mutant_tree(mistakes: list[Mistake], base: Path) -> Path:
    """A copy of the reference with `mistakes` applied."""
    tree = base / "tree"
    shutil.copytree(REFERENCE, tree, ignore=shutil.ignore_patterns("__pycache__"))
    for mistake in mistakes:
        path = tree / mistake.day.folder / mistake.file
        source = path.read_text(encoding="utf-8")
        for old, new in mistake.replace:
            assert source.count(old) == 1, (
                f"mistakes.toml {mistake.id!r}: {old!r} occurs {source.count(old)} times in "
                f"{mistake.file}; it must occur exactly once"
            )
            source = source.replace(old, new)
        path.write_text(source, encoding="utf-8")
    return tree


def _first_message(tree: Path, mistake: Mistake, lang: str) -> str | None:
    """What `llmroad check` shows first for the mistake's task (only its tests are run)."""
    day = mistake.day
    result = run_suites(
        RunRequest(
            suites=[SUITES / day.folder], tree=tree, lang=lang, extra_args=["--task", mistake.task]
        )
    )
    assert not result.problems, result.problems
    task = TaskReport(day.task(mistake.task), [t for t in result.tests if t.task == mistake.task])
    problem = task.first_problem
    return None if problem is None else problem.message


_diagnosed: dict[str, dict[str, tuple[str | None, str | None]]] = {}


def diagnoses(day: Day, tmp: Path) -> dict[str, tuple[str | None, str | None]]:
    """mistake id -> (first message in English, in Japanese) for every mistake of `day`,
    each mutant run once per language, two at a time; worked out once per day, so that
    `-k day03` runs only day 3's."""

    def run(mistake: Mistake) -> tuple[str, tuple[str | None, str | None]]:
        tree = _mutant_tree([mistake], Path(tempfile.mkdtemp(dir=tmp)))
        return mistake.id, (
            _first_message(tree, mistake, "en"),
            _first_message(tree, mistake, "ja"),
        )

    if day.id not in _diagnosed:
        with ThreadPoolExecutor(max_workers=2) as pool:
            _diagnosed[day.id] = dict(pool.map(run, mistakes_of(day)))
    return _diagnosed[day.id]


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first mistake of a day runs all of that day's
@pytest.mark.parametrize("mistake", ALL, ids=lambda m: f"{m.day.id} {m.id}")
def test_the_suite_names_the_mistake(mistake, tmp_path_factory):
    en, ja = diagnoses(mistake.day, tmp_path_factory.getbasetemp())[mistake.id]
    assert en is not None, f"{mistake.id}: the suite passes with this mistake"
    assert mistake.expect_en in en, (
        f"{mistake.id}: the first message shown for {mistake.task} should name the mistake "
        f"({mistake.expect_en!r}); it says: {en}"
    )
    assert mistake.expect_ja in (ja or ""), (
        f"{mistake.id}: in Japanese the first message should say {mistake.expect_ja!r}; "
        f"it says: {ja}"
    )
