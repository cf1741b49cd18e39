"""The hostile corpus: a class of honest, broken and hostile submissions, built here.

Each `<case>.py` in tests/checker/hostile/ is a snippet appended to a copy of the day 5
reference (see its README.md); the cases that need files rather than code (zips,
links, odd names, deep folders) are built here from a short description. EXPECTED says
how each must grade. The fixture in conftest.py grades the class once per session.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from checker.grading.grade import ClassGrades, Grade, Settings, suite_tests
from checker.grading.submissions import shown

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = ROOT / "tests" / "checker" / "hostile"
DAY = "day05_metrics"
REFERENCE = ROOT / "solutions" / DAY
# Limits reached long before the time limits on any machine (issue 16): the memory bombs
# allocate in large blocks; 2 s per call is only ever waited out by loops and stalls.
SETTINGS = Settings(days=[DAY], timeout=2, memory_mb=512, budget=60)
SECRET = "s3cr3t-token-of-the-grader"
FORMULA = '=HYPERLINK("evil.example","click")'
LONG = "x" * 240  # a name the file system allows, but not with ".json" after it twice
NOT_UTF8 = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not UTF-8

OK, TIMEOUT, CRASHED, INVALID = "ok", "timeout", "crashed", "invalid submission"
FULL, NO_5_2, ZERO = "full", "all but 5.2", "zero"

# student -> (status, words the detail must contain, score)
EXPECTED = {
    # built from a description in this file
    "honest": (OK, "", FULL),
    "zipped": (OK, "", FULL),
    "empty": (INVALID, "empty", ZERO),
    "zip_traversal": (INVALID, "leaves its folder", ZERO),
    "zip_bomb": (INVALID, "zip bomb", ZERO),
    "big_file": (INVALID, "50.0 MB", ZERO),
    "symlink_out": (INVALID, "symbolic link", ZERO),
    "stubs_with_conftest": (OK, "not started", ZERO),
    "zip_encrypted": (INVALID, "cannot be read", ZERO),
    "zip_corrupt_deflate": (INVALID, "cannot be read", ZERO),
    "zip_corrupt_lzma": (INVALID, "cannot be read", ZERO),
    "zip_deep": (INVALID, "nested more than", ZERO),
    "zip_many_folders": (INVALID, "folders", ZERO),
    "zip_long_name": (INVALID, "cannot be unpacked", ZERO),
    shown(LONG): (OK, "", FULL),  # shown cut short
    "caf\\xe9": (OK, "", FULL),  # the name b"caf\xe9", shown escaped
    "odd_inner_name": (OK, "", FULL),  # a file named b"\xff\xfe" inside
    "grades.csv": (OK, "", FULL),
    FORMULA: (OK, "", FULL),
    "carol/": (OK, "", FULL),  # carol/ and carol.zip: each keeps its whole name
    "carol.zip": (OK, "", FULL),
    # one snippet each in hostile/
    "syntax_error": (OK, "SyntaxError", ZERO),
    "infinite_loop": (TIMEOUT, "ran out of time", NO_5_2),
    "import_loop": (TIMEOUT, "ran out of time", ZERO),
    "stall_reply": (TIMEOUT, "ran out of time", NO_5_2),
    # at the memory limit, or (now and then, on a busy machine) still paging at the call
    # limit: see test_a_hostile_task_costs_only_its_own_tests
    "memory_numpy": ((CRASHED, TIMEOUT), "memory", NO_5_2),
    "memory_list": ((CRASHED, TIMEOUT), "memory", NO_5_2),
    "fork_ctypes": (OK, "accuracy", NO_5_2),
    "huge_header": (OK, "could not be taken", NO_5_2),
    "huge_exception_name": (OK, "EEEE", NO_5_2),
    "huge_result": (OK, "could not be taken", NO_5_2),
    "threads_left": (OK, "", FULL),
    "warning_stacklevel": (OK, "", FULL),
    "sys_exit": (OK, "sys.exit", NO_5_2),
    "os_exit": (CRASHED, "exit", NO_5_2),
    "segfault": (CRASHED, "segmentation fault", NO_5_2),
    "kill_parent": (OK, "signalling another process", NO_5_2),
    "patch_testing": (OK, "accuracy", NO_5_2),
    "fake_output": (OK, "accuracy", NO_5_2),
    "rewrite_results": (OK, "accuracy", NO_5_2),
    "ctypes_report": (OK, "accuracy", NO_5_2),
    "dir_fd_read": (OK, "accuracy", NO_5_2),
    "read_expected": (INVALID, "tests/days", ZERO),
    "read_passwd": (INVALID, "/etc/passwd", ZERO),
    "import_solutions": (INVALID, "importing solutions", ZERO),
    "network": (OK, "", FULL),
    "secret_env": (OK, "", FULL),
    "modify_files": (OK, "", FULL),
}
SKIPPED = ".hidden"  # an entry starting with "." is skipped, and the run says so

# What the stub tree brings of its own: each file would leave a marker, or make every
# test pass, if the grader ever loaded it.
CONFTEST = """\
import pytest
open({marker!r} + ".conftest", "w").close()
pytest_plugins = ["evil_plugin"]

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
PLUGIN = """\
open({marker!r} + ".plugin", "w").close()
def pytest_collection_modifyitems(items):
    items.clear()
"""
PYTEST_INI = "[pytest]\naddopts = -p evil_plugin --deselect tests/days\n"
FAKE_TEST = """\
def test_metrics_are_perfect():
    open({marker!r} + ".test", "w").close()
"""


def day_tree(parent: Path, snippet: str = "") -> Path:
    """`parent`/day05_metrics: the reference, with `snippet` appended to metrics.py."""
    folder = parent / DAY
    folder.mkdir(parents=True)
    shutil.copyfile(REFERENCE / "__init__.py", folder / "__init__.py")
    source = (REFERENCE / "metrics.py").read_text(encoding="utf-8")
    (folder / "metrics.py").write_text(source + "\n\n" + snippet, encoding="utf-8")
    return folder


def honest_zip(
    target: Path,
    extra: dict[str, bytes] | None = None,
    wrapper: str = "",
    method: int = zipfile.ZIP_DEFLATED,
) -> None:
    with zipfile.ZipFile(target, "w", method) as archive:
        for name in ("__init__.py", "metrics.py"):
            archive.write(REFERENCE / name, f"{wrapper}exercises/{DAY}/{name}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)


def encrypted(data: bytes) -> bytes:
    """A zip whose members say they are encrypted (general purpose flag bit 0)."""
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := raw.find(signature, start)) >= 0:
            raw[start + offset] |= 0x01
            start += 4
    return bytes(raw)


def corrupt(path: Path, method: int) -> None:
    """A zip of the reference whose compressed metrics.py is garbled in the middle."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(f"exercises/{DAY}/metrics.py", (REFERENCE / "metrics.py").read_bytes())
    raw = bytearray(buffer.getvalue())
    header = 30 + len(f"exercises/{DAY}/metrics.py")
    for i in range(header + 20, header + 200):
        raw[i] ^= 0x5A
    path.write_bytes(bytes(raw))


def forged_report() -> str:
    """A report of results in which every test of the day passed, worth 100 points each:
    what ctypes_report.py would like the grader to read instead of its real report."""
    tests = suite_tests(SETTINGS)
    fields = ("nodeid", "name", "day", "task", "perf")
    events = [
        {
            "event": "collected",
            "tests": [{**{f: getattr(t, f) for f in fields}, "points": 100} for t in tests],
        }
    ]
    for t in tests:
        events += [
            {"event": "start", "nodeid": t.nodeid},
            {
                "event": "result",
                "nodeid": t.nodeid,
                "outcome": "passed",
                "message": "",
                "seconds": 0.0,
                "swapped": [],
                "crashed": False,
            },
        ]
    return "".join(json.dumps(e) + "\n" for e in events)


def build_files(folder: Path, marker: Path) -> None:
    """The cases made of files: zips, links, odd names, a stub tree with a conftest."""
    shutil.copytree(REFERENCE, folder / "honest" / "exercises" / DAY)
    honest_zip(folder / "zipped.zip", wrapper="alice-homework/")
    (folder / "empty").mkdir()
    honest_zip(folder / "zip_traversal.zip", {"../escaped.py": b"print('out of the folder')\n"})
    with zipfile.ZipFile(folder / "zip_bomb.zip", "w", zipfile.ZIP_DEFLATED) as bomb:
        for n in range(8):  # 8 x 4 MB of zeros: each under the per-file limit, 32 MB in all
            bomb.writestr(f"exercises/{DAY}/data{n}.bin", bytes(4 << 20))
    big = folder / "big_file" / "exercises"
    day_tree(big)
    with open(big / DAY / "weights.npy", "wb") as file:
        file.truncate(50 * 1000 * 1000)  # 50 MB (sparse, quick to make)
    shutil.copytree(REFERENCE, folder / "symlink_out" / "exercises" / DAY)
    linked = folder / "symlink_out" / "exercises" / DAY / "metrics.py"
    linked.unlink()
    linked.symlink_to(REFERENCE / "metrics.py")
    stub = folder / "stubs_with_conftest"
    day = day_tree(stub / "exercises", (HOSTILE / "stubs_with_conftest.py").read_text())
    for place in (stub, stub / "exercises", day):
        (place / "conftest.py").write_text(CONFTEST.format(marker=str(marker)))
        (place / "pytest.ini").write_text(PYTEST_INI)
    (day / "evil_plugin.py").write_text(PLUGIN.format(marker=str(marker)))
    (day / "test_metrics.py").write_text(FAKE_TEST.format(marker=str(marker)))
    build_odd_entries(folder)


def build_odd_entries(folder: Path) -> None:
    """Entries that once crashed the whole run, and names that collide or inject."""
    buffer = io.BytesIO()
    honest_zip(buffer)  # type: ignore[arg-type]
    (folder / "zip_encrypted.zip").write_bytes(encrypted(buffer.getvalue()))
    corrupt(folder / "zip_corrupt_deflate.zip", zipfile.ZIP_DEFLATED)
    corrupt(folder / "zip_corrupt_lzma.zip", zipfile.ZIP_LZMA)
    honest_zip(folder / "zip_deep.zip", {"exercises/" + "d/" * 1000 + "x.py": b"x = 1\n"})
    honest_zip(folder / "zip_many_folders.zip", {f"exercises/f{n}/x.py": b"" for n in range(600)})
    honest_zip(folder / "zip_long_name.zip", {f"exercises/{DAY}/{'n' * 300}.py": b"x = 1\n"})
    for name in (LONG, NOT_UTF8, "grades.csv", FORMULA, "carol"):
        shutil.copytree(REFERENCE, folder / name / "exercises" / DAY)
    honest_zip(folder / "carol.zip")
    shutil.copytree(REFERENCE, folder / "odd_inner_name" / "exercises" / DAY)
    (folder / "odd_inner_name" / os.fsdecode(b"\xff\xfe")).write_bytes(b"notes")
    shutil.copytree(REFERENCE, folder / SKIPPED / "exercises" / DAY)


def build_class(folder: Path, marker: Path) -> None:
    """One entry per student in `folder`."""
    build_files(folder, marker)
    for snippet in sorted(HOSTILE.glob("*.py")):
        if snippet.stem != "stubs_with_conftest":
            day_tree(folder / snippet.stem / "exercises", snippet.read_text(encoding="utf-8"))
    (folder / "ctypes_report" / "exercises" / DAY / "forged.jsonl").write_text(forged_report())
    deep = folder / "dir_fd_read" / "exercises" / DAY
    for _ in range(12):  # a folder deep enough to climb from, for dir_fd_read.py
        deep = deep / "deep"
    deep.mkdir(parents=True)


def fingerprint(folder: Path) -> dict[str, str]:
    """Every path under `folder` and what it holds (a link: its target; a folder: 'dir')."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            found[name] = "link -> " + os.readlink(path)
        elif path.is_dir():
            found[name] = "dir"
        else:
            digest = hashlib.sha256()
            with open(path, "rb") as file:
                while chunk := file.read(1 << 20):
                    digest.update(chunk)
            found[name] = f"{digest.hexdigest()} {stat.S_IMODE(path.stat().st_mode):o}"
    return found


@dataclass
class Graded:
    submissions: Path
    out: Path
    grades: ClassGrades
    before: dict[str, str]
    marker: Path
    peak_self_mb: float  # the grader's own peak memory (this process)
    peak_children_mb: float  # the largest process it started (trusted or not)
    left_behind: list[int]

    def grade(self, student: str) -> Grade:
        return next(g for g in self.grades.grades if g.student == student)


def points(graded: Graded, task: str | None = None) -> float:
    return sum(t.points for t in graded.grades.blank if task is None or t.task == task)


def alive(marker: str) -> list[int]:
    """Live processes whose command line holds `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                marker in (entry / "cmdline").read_text(errors="replace")
                and (entry / "stat").read_text().split(")")[-1].split()[0] != "Z"
            ):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found
