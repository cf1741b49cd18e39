"""Run day suites with pytest in a child process and collect every test's outcome.

The child reports through checker.core.plugin, one JSON line per event, flushed as it
goes. The runner is the only module that starts processes. It survives whatever the
learner's code does to the child: an exception fails one test; a hang is stopped by
pytest-timeout (or, if the code never returns to Python, by the runner's watchdog);
`os._exit`, a segfault or a kill ends the child, and the runner marks the test that
was running and starts a new child for the tests that remain.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.i18n import ENV, current, msg
from checker.core.isolation import describe_exit
from checker.core.layout import PROJECT_ROOT, PYTEST_CONFIG, REFERENCE

WATCHDOG_GRACE = 15.0  # seconds past the per-test limit before the runner kills a hang
# What a test checks (`@pytest.mark.checks(kind)`), most telling first: a failure of an
# earlier kind is shown before a later one. An input changed in place explains the wrong
# values that follow; a wrong type explains a crash; a named mistake says more than a
# generic value mismatch.
KINDS = ("inputs", "types", "mistake", "values", "perf")
MAX_RESTARTS = 20  # a tree that crashes the child more often than this is not worth finishing
_live: set[subprocess.Popen] = set()  # every child running now, for stop_everything
_stopping = threading.Event()


@dataclass
class RunRequest:
    """What to run: the suites of some days, against one tree."""

    suites: list[Path]
    tree: Path
    reference: Path = REFERENCE
    passing_days: list[str] = field(default_factory=list)  # known to pass, not run here
    timeout: float = 60.0  # seconds per test
    memory_mb: int | None = None  # address-space limit of the child, for grading
    env: dict[str, str] | None = None  # the child's environment (default: ours)
    lang: str | None = None  # the language of the suites' messages (default: this process's)
    extra_args: list[str] = field(default_factory=list)
    deadline: float | None = None  # time.time() past which the run is stopped (grading's budget)


@dataclass
class TestOutcome:
    nodeid: str
    name: str
    day: str | None
    task: str | None
    points: float
    perf: bool
    kind: str = "values"  # inputs | types | mistake | values | perf (checker.core.plugin.KINDS)
    outcome: str = "error"  # passed | failed | todo | error | timeout
    message: str = "the test did not run"
    seconds: float = 0.0
    swapped: list[str] = field(default_factory=list)  # prerequisite days taken from the reference
    crashed: bool = False  # the process running the learner's code died in this test
    printed: str = ""  # the last lines the learner's code printed, when the test did not pass


@dataclass
class RunResult:
    tests: list[TestOutcome]
    problems: list[str]  # what went wrong outside any one test
    seconds: float
    violations: list[str] = field(default_factory=list)  # what the grader's worker refused


def _pytest_command(request: RunRequest, report: Path, deselect: list[str]) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        *map(str, request.suites),
        "-c",
        str(PYTEST_CONFIG),
        "--rootdir",
        str(PROJECT_ROOT),
        "--impl",
        str(request.tree),
        "--reference",
        str(request.reference),
        "--passing-days",
        ",".join(request.passing_days),
        "--llmroad-report",
        str(report),
        "--timeout",
        str(request.timeout),
        "-q",
        "--no-header",
        # The plugin words every outcome; pytest's own traceback is only ever read in the
        # output's tail. Its default style parses the test file's source for each failure,
        # which made a run of untouched stubs about 3x slower than this one.
        "--tb=native",
        "-p",
        "no:randomly",
        *request.extra_args,
    ]
    for nodeid in deselect:
        command += ["--deselect", nodeid]
    return command


ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def child_environment(base: Mapping[str, str] | None = None, lang: str | None = None) -> dict:
    """A child's environment: `base` (default: ours), the language of its messages, and one
    thread for NumPy's matrix products unless the caller chose otherwise, so that a speed
    check's two timings (the learner's code and the test's own version) are made alike and
    a busy machine's thread scheduling does not blur them."""
    base = os.environ if base is None else base
    threads = {name: "1" for name in ONE_THREAD if name not in base}
    return {**threads, **base, ENV: lang or current()}


def _limit_memory(memory_mb: int | None):
    def limit() -> None:  # runs in the child before it starts Python
        import resource

        if memory_mb is not None:
            size = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if sys.platform == "linux":  # dies with the thread that started it (and so its workers)
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return limit


def stop_everything() -> None:
    """End every child now running (a pytest child's workers die with it), and start no
    other: for a grader told to stop (SIGTERM, Ctrl-C)."""
    _stopping.set()
    for process in list(_live):
        _kill_group(process)


def read_events(report: Path) -> list[dict]:
    """The events of a plugin's JSON-lines report (checker.core.plugin), as far as it is whole."""
    events = []
    for line in report.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut short by a dying child
            break
    return events


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the child and anything it started
    except ProcessLookupError:
        pass


def start_child(
    command: list[str], env: dict[str, str], memory_mb: int | None = None, **streams
) -> subprocess.Popen:
    """Every process the checker starts: in a session of its own (so Ctrl-C reaches the
    checker, which then stops the child and all it started), dying with the thread that
    started it, limited to `memory_mb`, and known to stop_everything. `streams`: stdin,
    stdout, stderr as subprocess.Popen takes them."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        start_new_session=True,
        preexec_fn=_limit_memory(memory_mb),
        **streams,
    )
    _live.add(process)
    return process


def stop_child(process: subprocess.Popen) -> None:
    """End the child and everything it started, and reap it."""
    _kill_group(process)
    process.wait()
    _live.discard(process)


def _run_once(
    request: RunRequest, deselect: list[str], workdir: Path
) -> tuple[list[dict], int, bool, str]:
    """One pytest child: (events, exit code, stopped by the watchdog, its output's tail)."""
    report = workdir / f"report-{len(deselect)}-{time.monotonic_ns()}.jsonl"
    report.touch()
    output = workdir / "output.txt"
    with open(output, "wb") as sink:
        process = start_child(
            _pytest_command(request, report, deselect),
            child_environment(request.env, request.lang),
            request.memory_mb,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        watchdog = (
            request.timeout + WATCHDOG_GRACE
        )  # pytest-timeout acts first; this is for C-level hangs
        size, last_change, stopped = 0, time.monotonic(), False
        try:
            while process.poll() is None:
                time.sleep(0.02)
                if _stopping.is_set() or (request.deadline and time.time() > request.deadline):
                    stopped = True
                    break
                if report.stat().st_size != size:
                    size, last_change = report.stat().st_size, time.monotonic()
                elif time.monotonic() - last_change > watchdog:
                    stopped = True
                    break
        finally:  # also on Ctrl-C: the child is in a session of its own and would live on
            stop_child(process)  # and reap anything the learner's code left running
    with open(output, "rb") as sink:  # only its end: the output may be large
        sink.seek(max(sink.seek(0, os.SEEK_END) - 3000, 0))
        tail = sink.read().decode("utf-8", errors="replace")
    return read_events(report), process.returncode, stopped, tail


def _apply(
    events: list[dict],
    tests: dict[str, TestOutcome],
    finished: set[str],
    problems: list[str],
    violations: list[str],
) -> str | None:
    """Fold one child's events into the outcomes; the test left running, if any."""
    running = None
    for event in events:
        kind = event["event"]
        if kind == "collected":
            for info in event["tests"]:
                tests.setdefault(info["nodeid"], TestOutcome(**info))
        elif kind == "start":
            running = event["nodeid"]
        elif kind == "result" and event["nodeid"] in tests:
            test = tests[event["nodeid"]]
            test.outcome, test.message = event["outcome"], event["message"]
            test.seconds, test.swapped = event["seconds"], event["swapped"]
            test.crashed = event.get("crashed", False)
            test.printed = event.get("printed", "")
            finished.add(test.nodeid)
            running = None
        elif kind == "violation":
            violations.extend(event["what"])
        elif kind == "collect_error":
            problems.append(f"{event['nodeid']} could not be collected:\n{event['message']}")
    return running


def outcomes_of(events: list[dict]) -> tuple[list[TestOutcome], list[str]]:
    """Every collected test's outcome, and what went wrong outside any test, from one
    child's events (a test the child did not finish keeps "the test did not run")."""
    tests: dict[str, TestOutcome] = {}
    problems: list[str] = []
    _apply(events, tests, set(), problems, [])
    return list(tests.values()), problems


def run_suites(request: RunRequest) -> RunResult:
    """Run the suites against the tree; every collected test gets an outcome."""
    started = time.monotonic()
    tests: dict[str, TestOutcome] = {}
    finished: set[str] = set()
    problems: list[str] = []
    violations: list[str] = []
    with tempfile.TemporaryDirectory(prefix="llmroad-run-") as tmp:
        for _ in range(MAX_RESTARTS):
            events, code, stopped, tail = _run_once(request, sorted(finished), Path(tmp))
            running = _apply(events, tests, finished, problems, violations)
            if _stopping.is_set() or (request.deadline and time.time() > request.deadline):
                _out_of_time(tests, finished)
                break
            if running is None:
                if code not in (0, 1, 5) and not events:
                    problems.append(f"pytest could not run (exit code {code}):\n{tail}")
                break
            culprit = tests[running]  # the child died or hung in this test: charge it, go on
            culprit.outcome = "timeout" if stopped else "error"
            culprit.crashed = not stopped
            limit = request.timeout + WATCHDOG_GRACE
            culprit.message = (
                msg(
                    en=f"stopped after {limit:.0f} s without finishing: look for an endless loop",
                    ja=f"{limit:.0f} 秒たっても終わらないので止めました。終わらないループを探しましょう",
                )
                if stopped
                else describe_exit(code)
            )
            finished.add(running)
        else:
            problems.append("the test process crashed too many times; the rest was not run")
    return RunResult(list(tests.values()), problems, time.monotonic() - started, violations)


def _out_of_time(tests: dict[str, TestOutcome], finished: set[str]) -> None:
    """The run was stopped (its deadline passed, or the grader was told to stop): every
    test it did not finish is a timeout."""
    for test in tests.values():
        if test.nodeid not in finished:
            test.outcome, test.crashed = "timeout", False
            test.message = msg(
                en="not run: the time budget for this submission was used up, or grading was stopped",
                ja="実行していません: この提出物の持ち時間を使い切ったか、採点が止められました",
            )
