"""Grade a class: every submission against the day suites, safely, into a gradebook.

Each submission is staged (copied or unzipped; the original is never touched), then
run by the same runner `llmroad check` uses, with `--isolate`: the suites and their
verdicts stay in a trusted pytest process and the learner's functions run in a
restricted worker (checker.core.isolation). A grade is cached under the output folder by
the submission's content and the course's, so an interrupted class resumes where it
stopped. Plain data out; the CLI renders and writes files through checker.grading.exports.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from checker.core.catalogue import Day, load_course
from checker.core.isolation import worker_environment
from checker.core.layout import PROJECT_ROOT, REFERENCE, SUITES, course_files
from checker.core.runner import RunRequest, TestOutcome, run_suites
from checker.grading.submissions import InvalidSubmission, content_hash, stage

STATUSES = ("ok", "timeout", "crashed", "invalid submission")


@dataclass
class Settings:
    days: list[str]  # day folders to grade
    timeout: float = 30.0  # seconds one call into learner code may take
    memory_mb: int = 1024

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class Grade:
    student: str
    status: str  # one of STATUSES
    detail: str
    tests: list[TestOutcome]
    seconds: float
    key: str = ""

    def earned(self, test: TestOutcome) -> float:
        counts = test.outcome == "passed" and self.status != "invalid submission"
        return test.points if counts else 0

    @property
    def score(self) -> float:
        return sum(self.earned(t) for t in self.tests)

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests)

    def by(self, attribute: str) -> dict[str, tuple[float, float]]:
        """Points earned and possible per task ("task") or per day ("day")."""
        totals: dict[str, tuple[float, float]] = {}
        for test in self.tests:
            earned, possible = totals.get(getattr(test, attribute), (0, 0))
            totals[getattr(test, attribute)] = (earned + self.earned(test), possible + test.points)
        return totals


def course_fingerprint() -> str:
    """What a grade depends on besides the submission: suites, reference, checker."""
    digest = hashlib.sha256()
    for path in course_files():
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def _status(
    tests: list[TestOutcome], violations: list[str], problems: list[str]
) -> tuple[str, str]:
    if violations:
        return "invalid submission", "refused: " + "; ".join(dict.fromkeys(violations))[:500]
    crashed = [t for t in tests if t.crashed]
    if crashed or problems:
        return "crashed", (crashed[0].message if crashed else problems[0])[:500]
    timeouts = [t for t in tests if t.outcome == "timeout"]
    if timeouts:
        return "timeout", f"{len(timeouts)} test(s) ran out of time, first {timeouts[0].name}"
    return "ok", _lost(tests)


def _lost(tests: list[TestOutcome]) -> str:
    """What an instructor needs to see of the tests that did not pass ('' if all did):
    how many of each outcome, and the first one's message (an error's first, since an
    error such as a syntax error or sys.exit usually explains the rest)."""
    lost = [t for t in tests if t.outcome != "passed"]
    if not lost:
        return ""
    counts = ", ".join(f"{n} {o}" for o, n in Counter(t.outcome for t in lost).items())
    first = next((t for t in lost if t.outcome == "error"), lost[0])
    return f"{counts}; first {first.task} {first.name}: {first.message}"[:500]


def suite_tests(settings: Settings) -> list[TestOutcome]:
    """Every test that will be graded, not run: the gradebook's columns and maxima."""
    result = run_suites(
        RunRequest(
            suites=[SUITES / d for d in settings.days],
            tree=REFERENCE,
            extra_args=["--collect-only"],
        )
    )
    return result.tests


def grade_one(student: str, entry: Path, settings: Settings, blank: list[TestOutcome]) -> Grade:
    """Stage, run and judge one submission. `blank` is suite_tests(settings)."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llmroad-grade-") as workdir:
        Path(workdir).chmod(0o755)
        try:
            tree = stage(entry, Path(workdir))
        except InvalidSubmission as problem:
            tests = _not_graded(blank, f"not graded: {problem}")
            return Grade(
                student, "invalid submission", str(problem), tests, time.monotonic() - started
            )
        try:
            result = run_suites(_isolated_request(tree, settings, home=workdir))
        except Exception as error:  # one submission must never end a whole class's run
            why = f"grading this submission failed: {type(error).__name__}: {error}"[:500]
            tests = _not_graded(blank, "not graded: the grader failed")
            return Grade(student, "crashed", why, tests, time.monotonic() - started)
    tests = _reconcile(result.tests, blank)
    status, detail = _status(tests, result.violations, result.problems)
    return Grade(student, status, detail, tests, time.monotonic() - started)


def _isolated_request(tree: Path, settings: Settings, home: str) -> RunRequest:
    """The suites against `tree`, with the learner's functions in a restricted worker."""
    return RunRequest(
        suites=[SUITES / d for d in settings.days],
        tree=tree,
        timeout=settings.timeout * 3 + 10,  # a backstop: the per-call limit acts first
        env={**worker_environment(), "HOME": home},
        extra_args=[
            "--isolate",
            "--memory-mb",
            str(settings.memory_mb),
            "--call-timeout",
            str(settings.timeout),
        ],
    )


def _not_graded(blank: list[TestOutcome], message: str) -> list[TestOutcome]:
    return [replace(test, outcome="error", message=message) for test in blank]


def _reconcile(ran: list[TestOutcome], blank: list[TestOutcome]) -> list[TestOutcome]:
    """The run's outcomes on exactly the tests and points of `blank`, which the grader
    collected from the course itself: a test the run does not report did not pass, and
    a test, task or weight that only the run reports (a tampered report) counts for nothing."""
    outcomes = {t.nodeid: t for t in ran}
    return [
        replace(
            test,
            outcome=run.outcome,
            message=run.message,
            seconds=run.seconds,
            swapped=run.swapped,
            crashed=run.crashed,
        )
        if (run := outcomes.get(test.nodeid))
        else replace(test, outcome="error", message="the test did not run")
        for test in blank
    ]


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, entry) for each folder or .zip in `folder`, sorted by name."""
    entries = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        name = entry.name[:-4] if entry.suffix.lower() == ".zip" else entry.name
        entries.append((name, entry))
    return entries


def _cached(cache: Path, key: str) -> Grade | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data["key"] == key:
            return Grade(**{**data, "tests": [TestOutcome(**t) for t in data["tests"]]})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _store(cache: Path, grade: Grade) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    temporary = cache.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(grade), ensure_ascii=False), encoding="utf-8")
    temporary.replace(cache)


@dataclass
class ClassGrades:
    grades: list[Grade]
    days: list[Day]
    blank: list[TestOutcome]
    settings: Settings
    reused: int = 0
    seconds: float = 0.0


def grade_all(
    submissions: Path,
    out: Path,
    settings: Settings,
    jobs: int,
    on_graded: Callable[[Grade], None] = lambda _: None,
) -> ClassGrades:
    """Grade every submission, `jobs` at a time, reusing grades cached in `out`."""
    started = time.monotonic()
    course = load_course()
    blank = suite_tests(settings)
    fingerprint = course_fingerprint() + settings.key()
    grades, reused, pending = [], 0, []
    for student, entry in find_submissions(submissions):
        key = hashlib.sha256((fingerprint + content_hash(entry)).encode()).hexdigest()
        cache = out / ".grading" / f"{student}.json"
        if (grade := _cached(cache, key)) is not None:
            grades.append(grade)
            reused += 1
            on_graded(grade)
        else:
            pending.append((student, entry, key, cache))
    with ThreadPoolExecutor(max_workers=max(jobs, 1)) as pool:
        futures = {pool.submit(grade_one, s, e, settings, blank): (k, c) for s, e, k, c in pending}
        for future in as_completed(futures):
            key, cache = futures[future]
            grade = future.result()
            grade.key = key
            _store(cache, grade)
            grades.append(grade)
            on_graded(grade)
    grades.sort(key=lambda g: g.student)
    days = [course.day_of_folder(folder) for folder in settings.days]
    return ClassGrades(grades, days, blank, settings, reused, time.monotonic() - started)
