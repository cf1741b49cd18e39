"""Grade a class: every submission against the day suites, safely, into a gradebook.

Each submission is staged (copied or unzipped; the original is never touched), then
run by the same runner `llmroad check` uses, with `--isolate`: the suites and their
verdicts stay in a trusted pytest process and the learner's functions run in a
restricted worker (checker.core.isolation). A grade is cached under the output folder by
the submission's content and the course's, so an interrupted class resumes where it
stopped. Plain data out; the CLI renders and writes files through checker.grading.exports.

One submission never stops or stalls the class: whatever goes wrong with it (an entry
that cannot be staged, a grader failure) is that submission's status, it has a time
budget of its own, and a signal that ends the grader ends every process it started.
What holds the worker on this system is probed once per run; what does not hold is
said once, in `ClassGrades.notes` (and in each grade's `note`).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from checker.core import isolation, runner
from checker.core.catalogue import Day, load_course
from checker.core.i18n import msg
from checker.core.isolation import DEADLINE_ENV, truncated, worker_environment
from checker.core.layout import REFERENCE, SUITES, course_files, relative_name
from checker.core.runner import RunRequest, TestOutcome, run_suites
from checker.grading.submissions import InvalidSubmission, content_hash, shown, stage

STATUSES = ("ok", "timeout", "crashed", "invalid submission")


@dataclass
class Settings:
    days: list[str]  # day folders to grade
    timeout: float = 30.0  # seconds one call into learner code may take
    memory_mb: int = 1024
    budget: float = 300.0  # seconds all of one submission's calls may take together

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
    note: str = ""  # what did not hold the worker while this was graded ("": all did)

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


def course_fingerprint(days: list[str]) -> str:
    """What a grade of `days` depends on besides the submission: the checker, and the
    suites and reference of those days and the days they build on (a change to another
    day's suite keeps the grades of these)."""
    course = load_course()
    folders = {
        f
        for d in days
        for f in (d, *(p.folder for p in course.prerequisites(course.day_of_folder(d))))
    }
    parts = ("pyproject.toml", "checker", "tests/conftest.py")
    parts += tuple(f"{tree}/{f}" for f in sorted(folders) for tree in ("solutions", "tests/days"))
    digest = hashlib.sha256()
    for path in course_files(parts):
        name = relative_name(path).encode()
        digest.update(len(name).to_bytes(8, "big") + name)  # framed: no two splits agree
        content = path.read_bytes()
        digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def _status(
    tests: list[TestOutcome], violations: list[str], problems: list[str]
) -> tuple[str, str]:
    if violations:
        what = truncated("; ".join(dict.fromkeys(violations)), 500)
        return "invalid submission", msg(en=f"refused: {what}", ja=f"禁止 (refused): {what}")
    crashed = [t for t in tests if t.crashed]
    if crashed or problems:
        return "crashed", truncated(crashed[0].message if crashed else problems[0], 500)
    timeouts = [t for t in tests if t.outcome == "timeout"]
    if timeouts:
        first = timeouts[0].name
        return "timeout", msg(
            en=f"{len(timeouts)} test(s) ran out of time, first {first}",
            ja=f"{len(timeouts)} 件のテストが時間切れ (ran out of time)。最初は {first}",
        )
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
    return truncated(
        msg(
            en=f"{counts}; first {first.task} {first.name}: {first.message}",
            ja=f"{counts}。最初は {first.task} {first.name}: {first.message}",
        ),
        500,
    )


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


def grade_one(
    student: str, entry: Path, settings: Settings, blank: list[TestOutcome], note: str = ""
) -> Grade:
    """Stage, run and judge one submission. `blank` is suite_tests(settings). Whatever
    goes wrong is this submission's status; nothing it does ends the caller."""
    started = time.monotonic()

    def graded(status: str, detail: str, tests: list[TestOutcome]) -> Grade:
        return Grade(student, status, detail, tests, time.monotonic() - started, note=note)

    with tempfile.TemporaryDirectory(prefix="llmroad-grade-") as workdir:
        Path(workdir).chmod(0o755)
        try:
            tree = stage(entry, Path(workdir))
        except Exception as problem:  # noqa: BLE001 - anything about one entry is its status
            why = str(problem) if isinstance(problem, InvalidSubmission) else _unstageable(problem)
            not_graded = msg(en=f"not graded: {why}", ja=f"採点していません (not graded): {why}")
            return graded("invalid submission", why, _not_graded(blank, not_graded))
        try:
            result = run_suites(_isolated_request(tree, settings, home=workdir))
        except Exception as error:  # one submission must never end a whole class's run
            why = truncated(f"{type(error).__name__}: {error}", 400)
            return graded(
                "crashed",
                msg(
                    en=f"grading this submission failed (the grader's problem): {why}",
                    ja=f"この提出物の採点に失敗しました(採点側の問題): {why}",
                ),
                _not_graded(
                    blank,
                    msg(en="not graded: the grader failed", ja="採点していません: 採点側の失敗"),
                ),
            )
    tests = _reconcile(result.tests, blank)
    return graded(*_status(tests, result.violations, result.problems), tests)


def _unstageable(problem: Exception) -> str:
    why = shown(f"{type(problem).__name__}: {problem}", 200)
    return msg(en=f"it could not be taken in: {why}", ja=f"受け取れませんでした: {why}")


def _isolated_request(tree: Path, settings: Settings, home: str) -> RunRequest:
    """The suites against `tree`, with the learner's functions in a restricted worker, all
    of them within the submission's budget."""
    deadline = time.time() + settings.budget
    return RunRequest(
        suites=[SUITES / d for d in settings.days],
        tree=tree,
        timeout=settings.timeout * 3 + 10,  # a backstop: the per-call limit acts first
        deadline=deadline + runner.WATCHDOG_GRACE,  # a backstop: the workers' deadline acts first
        env={
            **worker_environment(),
            **isolation.settings_for_children(),
            DEADLINE_ENV: repr(deadline),
            "HOME": home,
        },
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
            message=truncated(run.message),
            seconds=run.seconds,
            swapped=run.swapped,
            crashed=run.crashed,
            printed=truncated(run.printed),
        )
        if (run := outcomes.get(test.nodeid))
        else replace(
            test,
            outcome="error",
            message=msg(en="the test did not run", ja="テストが実行されませんでした"),
        )
        for test in blank
    ]


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, entry) for each folder or .zip in `folder`, sorted by name. A student is
    the entry's name without .zip, shown safely (see submissions.shown); where two entries
    would give one name (carol/ and carol.zip), each keeps its whole entry name."""
    entries = [e for e in sorted(folder.iterdir()) if not e.name.startswith(".")]
    names = [shown(e.name[:-4] if e.suffix.lower() == ".zip" else e.name) for e in entries]
    counts = Counter(n.casefold() for n in names)
    return [
        (shown(e.name) + ("/" if e.is_dir() else "") if counts[n.casefold()] > 1 else n, e)
        for n, e in zip(names, entries)
    ]


def submission_notes(folder: Path) -> list[str]:
    """What find_submissions did not take as it came: entries skipped, names shared."""
    notes = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            notes.append(
                msg(
                    en=f"skipped {shown(entry.name)}: a name starting with '.' is not a submission",
                    ja=f"{shown(entry.name)} は飛ばしました (skipped): '.' で始まる名前は提出物"
                    "として扱いません",
                )
            )
    found = find_submissions(folder)
    shared = [
        s for s, e in found if s != shown(e.name[:-4] if e.suffix.lower() == ".zip" else e.name)
    ]
    if shared:
        notes.append(
            msg(
                en=f"entries that would share a student's name, graded each under its whole "
                f"name: {', '.join(shared)}",
                ja=f"同じ学生名になる提出物があるので、それぞれ元の名前で採点しました: {', '.join(shared)}",
            )
        )
    return notes


def isolation_note(found: dict) -> str:
    """What does not hold the worker on this system ('' when everything does), once."""
    lacking = []
    if not found.get("started", True):
        return msg(
            en="grading is NOT isolated: no worker could be started to find out what holds it",
            ja="採点は隔離されていません: 確認用のワーカーを起動できませんでした",
        )
    if not found.get("own_pid_namespace"):
        lacking.append(
            msg(
                en="no namespaces (learner code can reach the network and see other processes)",
                ja="名前空間なし(学習者のコードがネットワークやほかのプロセスに届きます)",
            )
        )
    if found.get("sees_course", True):
        lacking.append(
            msg(
                en="no file-system view of its own (code that gets around the audit hook can "
                "read the suites and the reference)",
                ja="専用のファイルシステムなし(監査フックを回避するコードはテストや模範解答を読めます)",
            )
        )
    if not found.get("no_new_processes"):
        lacking.append(
            msg(
                en="learner code may start processes (each under the memory limit)",
                ja="学習者のコードがプロセスを起動できます(それぞれにメモリ上限)",
            )
        )
    if not found.get("read_only"):
        lacking.append(
            msg(en="file systems not read-only", ja="ファイルシステムが読み取り専用でない")
        )
    if os.geteuid() == 0 and not found.get("own_user"):
        lacking.append(
            msg(
                en="the worker runs as the grader's own user (root), since a user of its own "
                "could not run Python here",
                ja="ワーカーは採点者と同じユーザー (root) で動きます(専用ユーザーでは Python を"
                "実行できませんでした)",
            )
        )
    if not lacking:
        return ""
    missing = "; ".join(lacking)
    if found.get("sees_course", True) or not found.get("own_pid_namespace"):
        return msg(
            en=f"grading is NOT isolated on this system: {missing}",
            ja=f"このシステムでは採点が隔離されていません: {missing}",
        )
    return msg(
        en=f"grading is isolated, except: {missing}", ja=f"採点は隔離されていますが: {missing}"
    )


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
    notes: list[str] = field(default_factory=list)  # said once: isolation, skipped entries...


def cache_name(student: str) -> str:
    """The cache file of a student's grade: short, and the same for the same name only."""
    return hashlib.sha256(student.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".json"


def _submission_key(fingerprint: str, entry: Path) -> str:
    try:
        content = content_hash(entry)
    except Exception:  # noqa: BLE001 - unreadable: graded afresh, staging will say why
        content = f"unhashable {time.time_ns()}"
    return hashlib.sha256((fingerprint + content).encode()).hexdigest()


def _grade_safely(
    student: str, entry: Path, settings: Settings, blank: list[TestOutcome], note: str
) -> Grade:
    try:
        return grade_one(student, entry, settings, blank, note)
    except Exception as error:  # noqa: BLE001 - a bug of ours costs one submission, not all
        why = truncated(f"{type(error).__name__}: {error}", 400)
        tests = _not_graded(blank, msg(en="not graded: the grader failed", ja="採点していません"))
        return Grade(
            student,
            "crashed",
            msg(en=f"the grader failed: {why}", ja=f"採点側が失敗しました: {why}"),
            tests,
            0.0,
            note=note,
        )


def grade_all(
    submissions: Path,
    out: Path,
    settings: Settings,
    jobs: int,
    on_graded: Callable[[Grade], None] = lambda _: None,
) -> ClassGrades:
    """Grade every submission, `jobs` at a time, reusing grades cached in `out`.

    Interrupted (Ctrl-C, or SIGTERM turned into KeyboardInterrupt by the caller), it
    ends every process it started before it lets the interruption through; the grades
    finished so far stay cached."""
    started = time.monotonic()
    course = load_course()
    blank = suite_tests(settings)
    note = isolation_note(isolation.probe(settings.memory_mb))
    notes = ([note] if note else []) + submission_notes(submissions)
    fingerprint = course_fingerprint(settings.days) + settings.key()
    grades, reused, pending = [], 0, []
    for student, entry in find_submissions(submissions):
        key = _submission_key(fingerprint, entry)
        cache = out / ".grading" / cache_name(student)
        if (grade := _cached(cache, key)) is not None:
            grades.append(grade)
            reused += 1
            on_graded(grade)
        else:
            pending.append((student, entry, key, cache))
    pool = ThreadPoolExecutor(max_workers=max(jobs, 1))
    try:
        futures = {
            pool.submit(_grade_safely, s, e, settings, blank, note): (k, c)
            for s, e, k, c in pending
        }
        for future in as_completed(futures):
            key, cache = futures[future]
            grade = future.result()
            grade.key = key
            _store(cache, grade)
            grades.append(grade)
            on_graded(grade)
    except BaseException:
        for future in futures:
            future.cancel()
        runner.stop_everything()  # every pytest child, and with it every worker
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    grades.sort(key=lambda g: g.student)
    days = [course.day_of_folder(folder) for folder in settings.days]
    seconds = time.monotonic() - started
    return ClassGrades(grades, days, blank, settings, reused, seconds, notes)


def grade_submission(entry: Path, settings: Settings) -> Grade:
    """One submission on its own (Gradescope's container): probed, budgeted, noted."""
    note = isolation_note(isolation.probe(settings.memory_mb))
    return _grade_safely("submission", entry, settings, suite_tests(settings), note)


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """While grading, SIGTERM (`timeout`, a scheduler) is handled like Ctrl-C: grade_all
    then ends every process it started before the grader exits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(number: int, _frame) -> None:
        raise KeyboardInterrupt(signal.Signals(number).name)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
