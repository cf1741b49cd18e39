"""Every common mistake a day's README names is diagnosed by name.

Each bullet under a task's "よくある間違い / Common mistakes" is one entry of the suite's
mistakes.toml: a mutant of the reference. Applied to a copy of the reference, it must make
its task fail, and the first message `llmroad check` shows for the task must name the
mistake, in English and in Japanese. See tests/days/README.md.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from checker.core.catalogue import Day, load_course
from checker.core.layout import REFERENCE, SUITES
from checker.core.runner import TestOutcome as Outcome
from checker.core.runner import outcomes_of
from checker.learner.checking import TaskReport
from checker.maintainer.mutate import SuiteOutcome, SuiteRun, run_forked

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course()
AVAILABLE = [day for day in COURSE.days if day.available]
RUN_LIMIT = 120.0  # seconds one mutant's task may take
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


def _mutated_source(mistake: Mistake) -> str:
    """The reference module of the mistake with its replacements made."""
    source = (REFERENCE / mistake.day.folder / mistake.file).read_text(encoding="utf-8")
    for old, new in mistake.replace:
        assert source.count(old) == 1, (
            f"mistakes.toml {mistake.id!r}: {old!r} occurs {source.count(old)} times in "
            f"{mistake.file}; it must occur exactly once"
        )
        source = source.replace(old, new)
    return source


@dataclass
class Diagnosis:
    """What `llmroad check` shows first for a mistake's task, in both languages; None where
    the task passes. `problem`: why the runs could not tell."""

    en: str | None = None
    ja: str | None = None
    problem: str | None = None


def _first_problem(mistake: Mistake, outcome: SuiteOutcome) -> Outcome | None:
    """What `llmroad check` shows first for the mistake's task, from a run of only that
    task's tests, most telling first, stopped at the first failure."""
    tests, problems = outcomes_of(outcome.events)
    if problems:
        raise ValueError(f"the suite could not run: {problems}")
    if outcome.code is None:
        raise ValueError(f"the suite did not finish within {RUN_LIMIT:g} s")
    ran = {event["nodeid"] for event in outcome.events if event["event"] == "result"}
    tests = [t for t in tests if t.task == mistake.task and t.nodeid in ran]  # not those -x skipped
    return TaskReport(mistake.day.task(mistake.task), tests).first_problem


def _run(mistake: Mistake, lang: str, tests: tuple[str, ...] = ()) -> SuiteRun:
    return SuiteRun(
        key=(mistake.day.id, mistake.id),
        folder=mistake.day.folder,
        module=Path(mistake.file).stem,
        source=_mutated_source(mistake),
        extra_args=("--task", mistake.task, "--telling-first"),
        tests=tests,
        lang=lang,
    )


def diagnose(mistakes: list[Mistake]) -> dict[tuple[str, str], Diagnosis]:
    """(day id, mistake id) -> its Diagnosis, for every mistake given.

    Each mutant runs its task's tests most telling first (`--telling-first -x`), so the
    run stops at the message `llmroad check` would show first; then that one test runs
    again in Japanese. Two runs at a time, each in a child forked from this warm process
    (the mutation tool's runner: a cold pytest child per run spent most of its time
    importing)."""
    by_key = {(m.day.id, m.id): m for m in mistakes}
    diagnoses = {key: Diagnosis() for key in by_key}
    english = run_forked([_run(m, "en") for m in by_key.values()], jobs=2, limit=RUN_LIMIT)
    first: dict[tuple[str, str], Outcome] = {}
    for key, outcome in english.items():
        try:
            test = _first_problem(by_key[key], outcome)
        except ValueError as error:
            diagnoses[key].problem = str(error)
            continue
        if test is not None:
            first[key], diagnoses[key].en = test, test.message
    again = [_run(by_key[key], "ja", (test.nodeid,)) for key, test in first.items()]
    for key, outcome in run_forked(again, jobs=2, limit=RUN_LIMIT).items():
        try:
            test = _first_problem(by_key[key], outcome)
        except ValueError as error:
            diagnoses[key].problem = f"in Japanese, {error}"
            continue
        diagnoses[key].ja = test and test.message
    return diagnoses


@pytest.fixture(scope="session")
def diagnosed(request) -> dict[tuple[str, str], Diagnosis]:
    """Every mistake this session selected (`-k day03` runs only day 3's), in one pool, so
    that a slow mutant of one day overlaps the quick ones of the next."""
    chosen = [
        item.callspec.params["mistake"]
        for item in request.session.items
        if getattr(item, "originalname", "") == "test_the_suite_names_the_mistake"
    ]
    return diagnose(chosen)


@pytest.mark.slow
@pytest.mark.timeout(900)  # the first one runs every mistake selected
@pytest.mark.parametrize("mistake", ALL, ids=lambda m: f"{m.day.id} {m.id}")
def test_the_suite_names_the_mistake(mistake, diagnosed):
    found = diagnosed[mistake.day.id, mistake.id]
    assert found.problem is None, f"{mistake.id}: {found.problem}"
    assert found.en is not None, f"{mistake.id}: the suite passes with this mistake"
    assert mistake.expect_en in found.en, (
        f"{mistake.id}: the first message shown for {mistake.task} should name the mistake "
        f"({mistake.expect_en!r}); it says: {found.en}"
    )
    assert mistake.expect_ja in (found.ja or ""), (
        f"{mistake.id}: in Japanese the first message should say {mistake.expect_ja!r}; "
        f"it says: {found.ja}"
    )
