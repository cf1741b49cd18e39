"""The graded corpus, once per session (grading it is the slow part), and a probe of
what the kernel holds the worker to."""

from __future__ import annotations

import resource
import tempfile
import time

import pytest

from checker.core import isolation
from checker.grading.exports import write_all
from checker.grading.grade import grade_all
from tests.checker.grading.corpus import (
    DAY,
    ROOT,
    SECRET,
    SETTINGS,
    Graded,
    alive,
    build_class,
    day_tree,
    fingerprint,
)

PROBE = """
def accuracy(victim):
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    unlinked = libc.unlink(victim.encode())
    return {"pid": os.getpid(), "errno": ctypes.get_errno() if unlinked else 0,
            "read-only": bool(os.statvfs("/").f_flag & os.ST_RDONLY),
            "proc": os.path.exists("/proc/self"), "uid": os.getuid()}
"""


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


@pytest.fixture(scope="session")
def graded(tmp_path_factory) -> Graded:
    base = tmp_path_factory.mktemp("grading")
    submissions, out, marker = base / "submissions", base / "out", base / "loaded"
    staging = base / "staging"  # every process of the run names a path under it
    for folder in (submissions, staging):
        folder.mkdir()
    build_class(submissions, marker)
    before = fingerprint(submissions)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRET_TOKEN", SECRET)  # a grader's secret, never the learner's
        patch.setattr(tempfile, "tempdir", str(staging))
        grades = grade_all(submissions, out, SETTINGS, jobs=2)
    write_all(grades, out)
    for _ in range(50):  # the kernel may take a moment to reap what was killed
        if not alive(str(staging)):
            break
        time.sleep(0.1)
    return Graded(
        submissions,
        out,
        grades,
        before,
        marker,
        _peak_mb(resource.RUSAGE_SELF),
        _peak_mb(resource.RUSAGE_CHILDREN),
        alive(str(staging)),
    )


@pytest.fixture(scope="session")
def confinement(tmp_path_factory) -> dict:
    """What a worker finds of itself, with ctypes, below the audit hook: its process id,
    whether it sees /proc, and whether it could delete a file of the grader's."""
    base = tmp_path_factory.mktemp("probe")
    day_tree(base / "tree", PROBE)
    victim = base / "victim.txt"
    victim.write_text("the grader's")
    worker = isolation.Worker(base / "tree", ROOT / "solutions", frozenset(), 10, 512)
    try:
        seen = worker.call(f"{DAY}.metrics", "accuracy", (str(victim),), {})
        seen["facts"] = worker.facts
    finally:
        worker.stop()
    seen["victim survived"] = victim.exists()
    return seen


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whichever test first needs the corpus grades it: give each the time for that."""
    for item in items:
        if "graded" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(900))
