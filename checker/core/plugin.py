"""llmroad's pytest plugin: which tree is under test, and what each test's outcome means.

Options (group "llmroad"):
  --impl exercises|solutions|PATH   the tree of day packages under test
  --reference PATH                  the reference tree swapped in for unfinished days
  --passing-days day02,day03        days known to pass (from progress) when not run here
  --llmroad-report FILE             write one JSON line per event, for the runner
  --seed N                          the seed of the suites' `rng` fixture (any seed must pass)
  --task 16.2                       run only that task's tests (may be repeated)
  --telling-first                   run the most telling checks first (see KINDS): with -x,
                                    the first failure is the one `llmroad check` shows first

Every test outcome is classified as passed, failed (an assertion: the behaviour is
wrong), todo (the stub's NotImplementedError), error (an import error or a crash in
the learner's code) or timeout. A test marked `@pytest.mark.checks(kind)` says what
kind of check it is ("inputs", "types" or "mistake"), so the checker can show a task's
most telling failure first (see KINDS). The report is written line by line and flushed, so a
test process that dies mid-run still tells the runner how far it got.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from checker.core import testing
from checker.core.catalogue import load_course
from checker.core.i18n import msg
from checker.core.isolation import LearnerCrash, LearnerError, LearnerTimeout, WorkerPool
from checker.core.layout import REFERENCE, named_tree
from checker.core.loader import LearnerImportError, learner_frame, load_module
from checker.core.runner import KINDS

OUTCOMES = ("passed", "failed", "todo", "error", "timeout")
DEFAULT_SEED = 20231201  # the blog series' first day
OUTPUT_LINES = 8  # lines of what the learner's code printed, kept with a failing test


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmroad", "llmroad day suites")
    group.addoption(
        "--impl", default="exercises", help="tree under test: exercises, solutions or a folder path"
    )
    group.addoption(
        "--reference",
        default=str(REFERENCE),
        help="reference tree swapped in for prerequisite days that do not pass",
    )
    group.addoption(
        "--passing-days",
        default="",
        help="comma-separated days known to pass, for days not run in this session",
    )
    group.addoption(
        "--llmroad-report", default=None, help="write a JSON-lines event report to this file"
    )
    group.addoption(
        "--task",
        action="append",
        default=[],
        help="run only the tests of this task (16.2); may be given more than once",
    )
    group.addoption(
        "--telling-first",
        action="store_true",
        help="run each kind of check in KINDS order (inputs, types, mistakes, values, speed)",
    )
    group.addoption(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help="seed of the suites' rng fixture; a suite must pass for any seed",
    )
    group.addoption(
        "--isolate",
        action="store_true",
        help="run learner functions in a restricted worker process (grading)",
    )
    group.addoption(
        "--memory-mb", type=int, default=1024, help="with --isolate: the worker's memory limit"
    )
    group.addoption(
        "--call-timeout",
        type=float,
        default=60.0,
        help="with --isolate: seconds one call into learner code may take",
    )


@dataclass
class Session:
    """What the suites need to know while they run: the trees, and which days pass."""

    tree: Path
    reference: Path
    known_passing: set[str]
    report: object | None = None
    # day folder -> {nodeid: outcome or None while pending}, for days run in this session
    outcomes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    swapped: dict[str, frozenset[str]] = field(default_factory=dict)
    previous_resolver: object = None
    workers: WorkerPool | None = None  # with --isolate, learner code runs in these
    violations_seen: int = 0

    def is_passing(self, folder: str) -> bool:
        if folder in self.outcomes:
            return all(o == "passed" for o in self.outcomes[folder].values())
        return folder in self.known_passing

    def swapped_for(self, folder: str) -> frozenset[str]:
        """Prerequisites of a day that do not pass, to be taken from the reference."""
        if folder not in self.swapped:
            course = load_course()
            day = course.day_of_folder(folder)
            self.swapped[folder] = frozenset(
                p.folder
                for p in course.prerequisites(day)
                if self.tree != self.reference and not self.is_passing(p.folder)
            )
        return self.swapped[folder]

    def resolve(self, module: str):
        if self.workers is not None:
            return self.workers.module(module)
        return load_module(
            module, self.tree, self.reference, self.swapped_for(module.split(".")[0])
        )

    def emit(self, **event) -> None:
        if self.report is not None:
            self.report.write(json.dumps(event, ensure_ascii=False) + "\n")
            self.report.flush()


_SESSION = pytest.StashKey[Session]()
_VERDICT = pytest.StashKey[tuple]()  # (outcome, message, seconds, crashed) of one test


def pytest_configure(config: pytest.Config) -> None:
    passing = {d for d in config.getoption("--passing-days").split(",") if d}
    course = load_course()
    session = Session(
        tree=named_tree(config.getoption("--impl")),
        reference=named_tree(config.getoption("--reference")),
        known_passing={course.day(d).folder for d in passing},
    )
    if config.getoption("--isolate"):
        session.workers = WorkerPool(
            session.tree,
            session.reference,
            session.swapped_for,
            config.getoption("--call-timeout"),
            config.getoption("--memory-mb"),
        )
    report_path = config.getoption("--llmroad-report")
    if report_path:
        session.report = open(report_path, "a", encoding="utf-8")  # noqa: SIM115
    config.stash[_SESSION] = session
    session.previous_resolver = testing.set_resolver(session.resolve)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session:
        if session.workers:
            session.workers.close()
        if session.report:
            session.report.close()
        testing.set_resolver(session.previous_resolver)  # a nested pytest run (pytester) ends


def day_folder_of(item: pytest.Item) -> str | None:
    """The day a test belongs to: its folder under tests/days/."""
    parts = Path(str(item.path)).parts
    if "days" in parts and parts.index("days") + 1 < len(parts) - 1:
        return parts[parts.index("days") + 1]
    return None


def kind_of(item: pytest.Item) -> str:
    if item.get_closest_marker("perf"):
        return "perf"
    marker = item.get_closest_marker("checks")
    return marker.args[0] if marker else "values"


def describe_item(item: pytest.Item) -> dict:
    task = item.get_closest_marker("task")
    points = item.get_closest_marker("points")
    return {
        "nodeid": item.nodeid,
        "name": item.name,
        "day": day_folder_of(item),
        "task": task.args[0] if task else None,
        "points": points.args[0] if points else 1,
        "perf": item.get_closest_marker("perf") is not None,
        "kind": kind_of(item),
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session = config.stash[_SESSION]
    tasks = config.getoption("--task")
    if tasks:
        chosen = [item for item in items if describe_item(item)["task"] in tasks]
        config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
        items[:] = chosen
    if config.getoption("--telling-first"):
        items.sort(key=lambda item: KINDS.index(kind_of(item)))  # stable: suite order within
    for item in items:
        folder = day_folder_of(item)
        if folder:
            session.outcomes.setdefault(folder, {})[item.nodeid] = None
    session.emit(event="collected", tests=[describe_item(item) for item in items])


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield
    report = outcome.get_result()
    if report.failed:  # a broken suite file: the project's bug, never the learner's
        collector.config.stash[_SESSION].emit(
            event="collect_error", nodeid=report.nodeid, message=str(report.longrepr)[-2000:]
        )


def classify(excinfo: pytest.ExceptionInfo | None, tree: Path) -> tuple[str, str]:
    """(outcome, learner-facing message) for a test's exception, or its absence."""
    if excinfo is None:
        return "passed", ""
    error = excinfo.value
    if isinstance(error, NotImplementedError):
        return "todo", msg(en=f"not started yet: {error}", ja=f"まだ手つかずです: {error}")
    if isinstance(error, AssertionError):
        message = str(error).split("\nassert ")[0].strip()
        return "failed", message or msg(en="an assertion failed", ja="確認が通りませんでした")
    if isinstance(error, LearnerTimeout) and str(error):  # the worker says why (a budget, …)
        return "timeout", str(error)
    if isinstance(error, LearnerTimeout) or (
        excinfo.typename == "Failed" and str(error).lstrip().startswith("Timeout")
    ):
        return "timeout", msg(
            en="took longer than the time limit: look for an endless loop, "
            "or a loop that should be one vectorised NumPy operation",
            ja="制限時間を超えました。終わらないループや、NumPy の一回の演算にできる"
            "ループがないか探しましょう",
        )
    if isinstance(error, LearnerImportError | LearnerError):
        return "error", str(error)
    if isinstance(error, SystemExit):
        return "error", msg(
            en=f"your code called sys.exit({error.code!r}); return a value instead",
            ja=f"コードが sys.exit({error.code!r}) を呼びました。値を return しましょう",
        )
    name, where = type(error).__name__, learner_frame(excinfo.tb, tree)
    return "error", msg(
        en=f"your code raised {name}: {error}{where}",
        ja=f"コードで {name} が起きました: {error}{where}",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    session = item.config.stash[_SESSION]
    if call.when == "call" or (call.when == "setup" and report.failed):
        verdict, message = classify(call.excinfo, session.tree)
        if report.skipped:  # a skip in a day suite is a defect; never count it as passed
            verdict, message = (
                "error",
                msg(en="this test was skipped", ja="このテストは飛ばされました"),
            )
        crashed = call.excinfo is not None and isinstance(call.excinfo.value, LearnerCrash)
        printed = "" if verdict == "passed" else _printed(report)
        item.stash[_VERDICT] = (verdict, message, report.duration, crashed, printed)


def _printed(report: pytest.TestReport) -> str:
    """The last lines the learner's code printed during the test (captured by pytest)."""
    lines = (report.capstdout + report.capstderr).strip().splitlines()
    return "\n".join(line[:200] for line in lines[-OUTPUT_LINES:])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item):
    session = item.config.stash[_SESSION]
    session.emit(event="start", nodeid=item.nodeid)
    yield
    verdict, message, seconds, crashed, printed = item.stash.get(
        _VERDICT,
        (
            "error",
            msg(en="the test did not run", ja="テストが実行されませんでした"),
            0.0,
            False,
            "",
        ),
    )
    folder = day_folder_of(item)
    if folder:
        session.outcomes[folder][item.nodeid] = verdict
    if session.workers and len(session.workers.violations()) > session.violations_seen:
        new = session.workers.violations()[session.violations_seen :]
        session.violations_seen += len(new)
        session.emit(event="violation", nodeid=item.nodeid, what=new)
    session.emit(
        event="result",
        nodeid=item.nodeid,
        outcome=verdict,
        message=message,
        seconds=round(seconds, 4),
        crashed=crashed,
        printed=printed,
        swapped=sorted(session.swapped.get(folder, ())) if folder else [],
    )
