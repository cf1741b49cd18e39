"""checker.core.isolation and the worker: what the kernel holds the worker to, its file
system of its own, the deadlines and the budget, and timing inside the worker."""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import numpy as np
import pytest

from checker.core import isolation
from tests.checker.grading.corpus import DAY, HOSTILE, ROOT, alive, day_tree

METRICS = f"{DAY}.metrics"


def namespaces_available() -> bool:
    return isolation.probe().get("own_pid_namespace", False)


def test_the_worker_is_held_by_the_kernel_where_it_can_be(confinement):
    facts = confinement["facts"]
    if not facts.get("own_pid_namespace"):
        pytest.skip("this kernel gives unprivileged processes no namespaces")
    assert confinement["pid"] == 1, "the worker should be the first process of its namespace"
    assert not confinement["proc"], "the worker's view must hold no /proc"
    assert not facts["sees_course"], "the worker must not see the course"
    assert facts["read_only"] and confinement["read-only"]
    assert confinement["victim survived"]
    assert confinement["errno"] in (errno.EROFS, errno.EACCES, errno.ENOENT)


ESCAPE = """
def accuracy(y_true, y_pred):
    import ctypes, time
    libc = ctypes.CDLL(None)
    libc.setsid()  # leave the worker's process group
    libc.prctl(1, 0)  # and no longer die with its parent (PR_SET_PDEATHSIG)
    time.sleep(1000)
"""


@pytest.mark.skipif(not Path("/proc/self/ns").is_dir(), reason="no /proc to look at")
def test_a_stopped_worker_leaves_no_process_behind(tmp_path):
    day_tree(tmp_path / "tree", ESCAPE)
    worker = isolation.Worker(tmp_path / "tree", ROOT / "solutions", frozenset(), 1, 512)
    with pytest.raises(isolation.LearnerTimeout):
        worker.call(METRICS, "accuracy", ([1], [1]), {})
    for _ in range(50):
        if not alive(str(tmp_path / "tree")):
            break
        time.sleep(0.05)
    assert not alive(str(tmp_path / "tree"))


LOOK_AROUND = """
def accuracy(paths):
    import os
    return {p: os.path.lexists(p) for p in paths}
"""


def test_the_worker_sees_the_reference_days_lent_and_nothing_else_of_the_course(tmp_path):
    if not namespaces_available():
        pytest.skip("no namespaces here: the worker has no file system of its own")
    day_tree(tmp_path / "tree", LOOK_AROUND)
    other = tmp_path / "another_student" / "exercises"
    other.mkdir(parents=True)
    lent = frozenset({"day02_loss_functions"})
    worker = isolation.Worker(tmp_path / "tree", ROOT / "solutions", lent, 10, 512)
    try:
        seen = worker.call(
            METRICS,
            "accuracy",
            (
                [
                    str(ROOT / "solutions"),
                    str(ROOT / "tests" / "days"),
                    str(ROOT / "checker" / "core" / "runner.py"),
                    str(other),
                    "/proc/self",
                    "/etc/passwd",
                    str(tmp_path / "tree" / DAY / "metrics.py"),
                ],
            ),
            {},
        )
        lent_copy = Path(worker._scratch[0]) / "day02_loss_functions"
        seen_lent = worker.call(METRICS, "accuracy", ([str(lent_copy)],), {})
    finally:
        worker.stop()
    visible = [p for p, there in seen.items() if there]
    assert visible == [str(tmp_path / "tree" / DAY / "metrics.py")]
    assert seen_lent == {str(lent_copy): True}


@pytest.mark.parametrize("view", [True, False])
def test_a_dir_fd_read_gets_nothing_where_the_worker_has_its_own_view(tmp_path, monkeypatch, view):
    """The attack of hostile/dir_fd_read.py, through one worker: without a view of its
    own it reads the reference past the audit hook (which is why the view exists)."""
    if not namespaces_available():
        pytest.skip("no namespaces here: the worker has no file system of its own")
    monkeypatch.setitem(isolation._fallbacks, "view", view)
    folder = day_tree(tmp_path / "tree", (HOSTILE / "dir_fd_read.py").read_text())
    (folder / ("deep/" * 12)).mkdir(parents=True)
    worker = isolation.Worker(tmp_path / "tree", ROOT / "solutions", frozenset(), 10, 512)
    try:
        labels = (np.array([1, 0, 1, 1]), np.array([1, 1, 1, 1]))
        answer = worker.call(METRICS, "accuracy", labels, {})
        violations = worker.violations
    finally:
        worker.stop()
    assert violations == []  # the audit hook saw a path inside the submission
    assert answer == (-1.0 if view else 0.75)


def test_a_call_can_be_timed_inside_the_worker(tmp_path):
    day_tree(tmp_path / "tree", "import time\ndef slow(x):\n    time.sleep(x)\n    return x\n")
    pool = isolation.WorkerPool(
        tmp_path / "tree", ROOT / "solutions", lambda _: frozenset(), 10, 512
    )
    try:
        slow = pool.module(METRICS).slow
        assert slow.__name__ == "slow"
        slow(0.0)  # the import and the worker's start are not part of any timing
        started = time.perf_counter()
        value, seconds = slow.timed(0.2)
        trip = time.perf_counter() - started
    finally:
        pool.close()
    assert value == 0.2
    assert 0.2 <= seconds < trip  # the worker's own clock: the trip is not counted


def test_the_budget_stops_every_call_once_it_is_used_up(tmp_path):
    day_tree(tmp_path / "tree", "import time\ndef slow(x):\n    time.sleep(x)\n    return x\n")
    deadline = time.time() + 1.0
    pool = isolation.WorkerPool(
        tmp_path / "tree", ROOT / "solutions", lambda _: frozenset(), 10, 512, deadline=deadline
    )
    try:
        slow = pool.module(METRICS).slow
        started = time.monotonic()
        with pytest.raises(isolation.LearnerTimeout):
            slow(5)  # only what is left of the budget, not the 10 s call limit
        assert time.monotonic() - started < 4
        with pytest.raises(isolation.LearnerTimeout, match="budget"):
            slow(0)
    finally:
        pool.close()


def test_a_module_whose_import_timed_out_is_not_imported_again(tmp_path):
    day_tree(tmp_path / "tree", (HOSTILE / "import_loop.py").read_text())
    pool = isolation.WorkerPool(
        tmp_path / "tree", ROOT / "solutions", lambda _: frozenset(), 1, 512
    )
    try:
        with pytest.raises(isolation.LearnerTimeout):
            pool.module(METRICS).accuracy([1], [1])
        started = time.monotonic()
        with pytest.raises(isolation.LearnerTimeout, match="not tried again"):
            pool.module(METRICS).accuracy([1], [1])
        assert time.monotonic() - started < 0.5
    finally:
        pool.close()


def test_a_reply_that_stalls_midway_is_given_up_at_the_call_limit(tmp_path):
    day_tree(tmp_path / "tree", (HOSTILE / "stall_reply.py").read_text())
    worker = isolation.Worker(tmp_path / "tree", ROOT / "solutions", frozenset(), 1, 512)
    started = time.monotonic()
    try:
        with pytest.raises(isolation.LearnerTimeout):
            worker.call(METRICS, "accuracy", ([1], [1]), {})
    finally:
        worker.stop()
    assert time.monotonic() - started < 10


def test_the_workers_own_files_are_not_the_learners_violation(tmp_path):
    day_tree(tmp_path / "tree", (HOSTILE / "warning_stacklevel.py").read_text())
    worker = isolation.Worker(tmp_path / "tree", ROOT / "solutions", frozenset(), 10, 512)
    try:
        assert worker.call(METRICS, "accuracy", (np.array([1, 0]), np.array([1, 1])), {}) == 0.5
    finally:
        worker.stop()
    assert worker.violations == []


def test_learner_texts_are_cut_short_on_the_graders_side():
    with pytest.raises(isolation.LearnerError) as caught:
        isolation.Worker._raise_error(
            {"error": "E" * 10**6, "message": "m" * 10**6, "where": "w" * 10**6}
        )
    assert len(str(caught.value)) < 3000


def test_the_worker_environment_carries_no_secret_and_the_language(monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "x")
    monkeypatch.setenv("LLMROAD_LANG", "ja")
    env = isolation.worker_environment()
    assert "SECRET_TOKEN" not in env and env["LLMROAD_LANG"] == "ja"
    assert os.environ["SECRET_TOKEN"] == "x"


def test_a_function_whose_reply_stalled_is_not_called_again(tmp_path):
    day_tree(tmp_path / "tree", (HOSTILE / "stall_reply.py").read_text())
    pool = isolation.WorkerPool(
        tmp_path / "tree", ROOT / "solutions", lambda _: frozenset(), 1, 512
    )
    try:
        with pytest.raises(isolation.ReplyStalled):
            pool.module(METRICS).accuracy([1], [1])
        started = time.monotonic()
        with pytest.raises(isolation.LearnerTimeout, match="not called again"):
            pool.module(METRICS).accuracy([1], [1])
        assert time.monotonic() - started < 0.5
        other = pool.module(METRICS).perplexity(np.array([[1.0]]), np.array([0]))
        assert isinstance(other, float)  # the module's other functions still run
    finally:
        pool.close()


def test_the_tests_floating_point_error_handling_holds_in_the_worker(tmp_path):
    """A suite that asks np.errstate(over="raise") must see the learner's overflow under
    grading too, as under llmroad check (else a warning-only overflow passes there)."""
    day_tree(tmp_path / "tree", "import numpy as np\ndef grow(x):\n    return np.exp(x)\n")
    pool = isolation.WorkerPool(
        tmp_path / "tree", ROOT / "solutions", lambda _: frozenset(), 10, 512
    )
    try:
        grow = pool.module(METRICS).grow
        assert np.isinf(grow(np.array([1000.0]))[0])  # the default: a warning, inf
        with np.errstate(over="raise"), pytest.raises(isolation.LearnerError, match="Floating"):
            grow(np.array([1000.0]))
    finally:
        pool.close()
