"""Instructor grading against a corpus of hostile and broken submissions.

One class is graded once (a module fixture): an honest submission, one zipped, and
one per attack in tests/checker/hostile/ (each a snippet appended to a copy of the
day 5 reference, see its README.md) plus the cases built here from a description
(an empty folder, a zip with ../, a zip bomb, a 50 MB file, a symbolic link out, a
stub tree with its own conftest.py, pytest.ini, plugin and tests). Every submission
must end with the right status, detail and score, and every original file must be
byte-identical afterwards. Then the exports, resuming, the CLI and the Gradescope
bundle; what the kernel holds the worker to (checker.core.isolation); and unit tests of
checker.core.wire, checker.grading.submissions and the grading's own safety nets.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.core import isolation, wire
from checker.grading.exports import write_all
from checker.grading.grade import ClassGrades, Grade, Settings, grade_all, suite_tests
from checker.grading.submissions import InvalidSubmission, stage

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parent / "hostile"
DAY = "day05_metrics"
REFERENCE = ROOT / "solutions" / DAY
SETTINGS = Settings(days=[DAY], timeout=2, memory_mb=512)
SECRET = "s3cr3t-token-of-the-grader"

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
    # one snippet each in hostile/
    "syntax_error": (OK, "SyntaxError", ZERO),
    "infinite_loop": (TIMEOUT, "ran out of time", NO_5_2),
    "memory_numpy": (CRASHED, "memory", NO_5_2),
    "memory_list": (CRASHED, "memory", NO_5_2),
    "sys_exit": (OK, "sys.exit", NO_5_2),
    "os_exit": (CRASHED, "exit", NO_5_2),
    "segfault": (CRASHED, "segmentation fault", NO_5_2),
    "kill_parent": (OK, "signalling another process", NO_5_2),
    "patch_testing": (OK, "accuracy", NO_5_2),
    "fake_output": (OK, "accuracy", NO_5_2),
    "rewrite_results": (OK, "accuracy", NO_5_2),
    "ctypes_report": (OK, "accuracy", NO_5_2),
    "read_expected": (INVALID, "tests/days", ZERO),
    "read_passwd": (INVALID, "/etc/passwd", ZERO),
    "import_solutions": (INVALID, "importing solutions", ZERO),
    "network": (OK, "", FULL),
    "secret_env": (OK, "", FULL),
    "modify_files": (OK, "", FULL),
}

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


# ------------------------------------------------------------------- building the class


def day_tree(parent: Path, snippet: str = "") -> Path:
    """`parent`/day05_metrics: the reference, with `snippet` appended to metrics.py."""
    folder = parent / DAY
    folder.mkdir(parents=True)
    shutil.copyfile(REFERENCE / "__init__.py", folder / "__init__.py")
    source = (REFERENCE / "metrics.py").read_text(encoding="utf-8")
    (folder / "metrics.py").write_text(source + "\n\n" + snippet, encoding="utf-8")
    return folder


def honest_zip(target: Path, extra: dict[str, bytes] | None = None, wrapper: str = "") -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("__init__.py", "metrics.py"):
            archive.write(REFERENCE / name, f"{wrapper}exercises/{DAY}/{name}")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)


def forged_report() -> str:
    """A report of results in which every test of the day passed, worth 100 points each:
    what ctypes_report.py would like the grader to read instead of its real report."""
    tests = suite_tests(SETTINGS)
    events = [
        {
            "event": "collected",
            "tests": [
                {
                    "nodeid": t.nodeid,
                    "name": t.name,
                    "day": t.day,
                    "task": t.task,
                    "points": 100,
                    "perf": t.perf,
                }
                for t in tests
            ],
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


def build_class(folder: Path, marker: Path) -> None:
    """One entry per student in `folder`."""
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
    for snippet in sorted(HOSTILE.glob("*.py")):
        if snippet.stem not in ("stubs_with_conftest",):
            day_tree(folder / snippet.stem / "exercises", snippet.read_text(encoding="utf-8"))
    (folder / "ctypes_report" / "exercises" / DAY / "forged.jsonl").write_text(forged_report())


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

    def grade(self, student: str) -> Grade:
        return next(g for g in self.grades.grades if g.student == student)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    base = tmp_path_factory.mktemp("grading")
    submissions, out, marker = base / "submissions", base / "out", base / "loaded"
    submissions.mkdir()
    build_class(submissions, marker)
    before = fingerprint(submissions)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SECRET_TOKEN", SECRET)  # a grader's secret, never the learner's
        grades = grade_all(submissions, out, SETTINGS, jobs=2)
    write_all(grades, out)
    return Graded(submissions, out, grades, before, marker)


def points(graded: Graded, task: str | None = None) -> float:
    return sum(t.points for t in graded.grades.blank if task is None or t.task == task)


# ------------------------------------------------------------------------ the corpus


def test_the_corpus_has_every_case_and_nothing_else(graded):
    assert len(EXPECTED) >= 12
    assert sorted(g.student for g in graded.grades.grades) == sorted(EXPECTED)
    snippets = {p.stem for p in HOSTILE.glob("*.py")}
    assert snippets <= set(EXPECTED), f"snippets without an expectation: {snippets - set(EXPECTED)}"
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    missing = [case for case in EXPECTED if f"`{case}`" not in readme]
    assert not missing, f"hostile/README.md does not describe {missing}"


PROBE = """
def accuracy(victim):
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    unlinked = libc.unlink(victim.encode())
    return {"pid": os.getpid(), "errno": ctypes.get_errno() if unlinked else 0,
            "read-only": bool(os.statvfs("/").f_flag & os.ST_RDONLY),
            **{"ns " + n: os.readlink(f"/proc/self/ns/{n}") for n in ("mnt", "net", "pid")}}
"""


@pytest.fixture(scope="module")
def confinement(tmp_path_factory) -> dict:
    """What a worker finds of itself, with ctypes, below the audit hook: its process id,
    its namespaces, and whether it could delete a file of the grader's."""
    base = tmp_path_factory.mktemp("probe")
    day_tree(base / "tree", PROBE)
    victim = base / "victim.txt"
    victim.write_text("the grader's")
    worker = isolation.Worker(base / "tree", ROOT / "solutions", frozenset(), 10, 512)
    try:
        seen = worker.call(f"{DAY}.metrics", "accuracy", (str(victim),), {})
        seen["uid"] = os.stat(f"/proc/{worker.process.pid}").st_uid
    finally:
        worker.stop()
    seen["victim survived"] = victim.exists()
    return seen


def namespaces_available() -> bool:
    """Whether this kernel gives an unprivileged process the namespaces a worker asks for."""
    if isolation._LIBC is None:
        return False
    flags = (
        isolation.CLONE_NEWUSER
        | isolation.CLONE_NEWNS
        | isolation.CLONE_NEWNET
        | isolation.CLONE_NEWPID
    )
    probe = subprocess.run(
        [sys.executable, "-c", "import os; print(os.readlink('/proc/self/ns/user'))"],
        preexec_fn=lambda: isolation._LIBC.unshare(flags),
        capture_output=True,
        text=True,
    )
    return probe.returncode == 0 and probe.stdout.strip() != os.readlink("/proc/self/ns/user")


def test_the_worker_is_held_by_the_kernel_where_it_can_be(confinement):
    if os.geteuid() == 0 and isolation._fallbacks["own user"]:
        assert confinement["uid"] == isolation.WORKER_UID_BASE + os.getpid()
    else:  # not root, or that user could not run Python here: it runs as the grader's user
        assert confinement["uid"] == os.geteuid()
    if not namespaces_available():
        pytest.skip("this kernel gives unprivileged processes no namespaces")
    assert confinement["pid"] == 1, "the worker should be the first process of its namespace"
    for name in ("mnt", "net", "pid"):
        assert confinement["ns " + name] != os.readlink(f"/proc/self/ns/{name}"), name
    if not confinement["read-only"]:
        pytest.skip("this kernel gives the worker namespaces, but no read-only view in them")
    assert confinement["victim survived"] and confinement["errno"] in (errno.EROFS, errno.EACCES)


ESCAPE = """
def accuracy(y_true, y_pred):
    import ctypes, time
    libc = ctypes.CDLL(None)
    libc.setsid()  # leave the worker's process group
    libc.prctl(1, 0)  # and no longer die with its parent (PR_SET_PDEATHSIG)
    time.sleep(1000)
"""


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


@pytest.mark.skipif(not Path("/proc/self/ns").is_dir(), reason="no /proc to look at")
def test_a_stopped_worker_leaves_no_process_behind(tmp_path):
    day_tree(tmp_path / "tree", ESCAPE)
    worker = isolation.Worker(tmp_path / "tree", ROOT / "solutions", frozenset(), 1, 512)
    with pytest.raises(isolation.LearnerTimeout):
        worker.call(f"{DAY}.metrics", "accuracy", ([1], [1]), {})
    for _ in range(50):
        if not alive(str(tmp_path / "tree")):
            break
        time.sleep(0.05)
    assert not alive(str(tmp_path / "tree"))


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_grades_to_its_status_detail_and_score(graded, confinement, student):
    if student == "ctypes_report" and not confinement["victim survived"]:
        pytest.xfail("below the audit hook, only the kernel can stop this: here it cannot")
    status, words, score = EXPECTED[student]
    grade = graded.grade(student)
    tests = "\n".join(f"  {t.task} {t.name}: {t.outcome} {t.message[:200]}" for t in grade.tests)
    shown = f"{student}: {grade.status} {grade.score}/{grade.max_score} ({grade.detail})\n{tests}"
    assert grade.status == status, shown
    assert words.lower() in grade.detail.lower(), shown
    if status == OK and score == FULL:
        assert grade.detail == "", shown
    expected = {FULL: points(graded), ZERO: 0, NO_5_2: points(graded) - points(graded, "5.2")}[
        score
    ]
    assert grade.score == expected, shown
    assert grade.max_score == points(graded), shown
    if score == NO_5_2:  # exactly task 5.2 is lost, every other task is whole
        assert {t.task for t in grade.tests if t.outcome != "passed"} == {"5.2"}, shown


def test_a_hostile_task_costs_only_its_own_tests(graded):
    loop = graded.grade("infinite_loop")
    assert {t.outcome for t in loop.tests if t.task == "5.2"} == {"timeout"}
    for student in ("memory_numpy", "memory_list", "os_exit", "segfault"):
        lost = [t for t in graded.grade(student).tests if t.task == "5.2"]
        assert all(t.outcome == "error" and t.crashed for t in lost), student
    memory = [t.message for t in graded.grade("memory_list").tests if t.task == "5.2"]
    assert all("memory" in m for m in memory), memory


def test_the_originals_are_byte_identical_afterwards(graded):
    assert fingerprint(graded.submissions) == graded.before


def test_the_submissions_own_conftest_plugin_ini_and_tests_are_never_loaded(graded):
    grade = graded.grade("stubs_with_conftest")
    assert {t.outcome for t in grade.tests} == {"todo"}
    assert len(grade.tests) == len(graded.grades.blank), "its own tests must not be collected"
    leftovers = list(graded.marker.parent.glob(graded.marker.name + ".*"))
    assert not leftovers, f"a submission's file was loaded: {leftovers}"


def test_refusals_are_named_in_the_tests_messages(graded):
    refused = [t.message for t in graded.grade("kill_parent").tests if t.task == "5.2"]
    assert all("refused" in m for m in refused), refused
    not_graded = graded.grade("zip_bomb").tests
    assert all(t.outcome != "passed" and "not graded" in t.message for t in not_graded)


# ------------------------------------------------------------------------- exports


def test_grades_csv_has_a_max_row_and_one_row_per_student_sorted(graded):
    with open(graded.out / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    header = list(rows[0])
    assert header == [
        "student",
        "5.1",
        "5.2",
        "5.3",
        "5.4",
        "5.5",
        "day05",
        "total",
        "status",
        "detail",
    ]
    assert rows[0]["student"] == "(max)"
    assert float(rows[0]["total"]) == points(graded)
    assert float(rows[0]["5.2"]) == points(graded, "5.2")
    students = [row["student"] for row in rows[1:]]
    assert students == sorted(EXPECTED)
    by_student = {row["student"]: row for row in rows[1:]}
    assert float(by_student["honest"]["total"]) == points(graded)
    assert float(by_student["sys_exit"]["5.2"]) == 0
    assert float(by_student["sys_exit"]["5.1"]) == float(rows[0]["5.1"])
    assert by_student["zip_bomb"]["status"] == INVALID


def test_grades_json_holds_every_student_with_tasks_and_tests(graded):
    data = json.loads((graded.out / "grades.json").read_text(encoding="utf-8"))
    assert data["days"] == ["day05"]
    assert data["settings"]["days"] == [DAY]
    students = {s["student"]: s for s in data["students"]}
    assert sorted(students) == sorted(EXPECTED)
    honest = students["honest"]
    assert honest["status"] == OK and honest["score"] == honest["max_score"] == points(graded)
    assert set(honest["tasks"]) == {"5.1", "5.2", "5.3", "5.4", "5.5"}
    assert len(honest["tests"]) == len(graded.grades.blank)
    assert {"nodeid", "task", "points", "outcome", "message", "score"} <= set(honest["tests"][0])
    assert students["infinite_loop"]["tasks"]["5.2"]["score"] == 0


@pytest.mark.parametrize("student", ["honest", "segfault", "read_passwd", "empty"])
def test_each_student_has_gradescope_results(graded, student):
    results = json.loads((graded.out / student / "results.json").read_text(encoding="utf-8"))
    assert {"score", "execution_time", "tests"} <= set(results)
    assert results["score"] == graded.grade(student).score
    assert len(results["tests"]) == len(graded.grades.blank)
    for test in results["tests"]:
        assert {"name", "number", "score", "max_score", "status", "output", "visibility"} <= set(
            test
        )
        assert test["status"] in ("passed", "failed")
    assert sum(t["score"] for t in results["tests"]) == results["score"]


# -------------------------------------------------------------------------- resuming


def test_a_second_run_reuses_every_grade(graded):
    again = grade_all(graded.submissions, graded.out, SETTINGS, jobs=2)
    assert again.reused == len(EXPECTED)
    assert [(g.student, g.status, g.score) for g in again.grades] == [
        (g.student, g.status, g.score) for g in graded.grades.grades
    ]


def test_a_changed_submission_is_graded_again(graded, tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    for student in ("honest", "sys_exit"):
        shutil.copytree(graded.submissions / student, submissions / student)
        (out / ".grading").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(
            graded.out / ".grading" / f"{student}.json", out / ".grading" / f"{student}.json"
        )
    assert grade_all(submissions, out, SETTINGS, jobs=1).reused == 2
    shutil.copyfile(
        REFERENCE / "metrics.py", submissions / "sys_exit" / "exercises" / DAY / "metrics.py"
    )  # the student fixed it
    fixed = grade_all(submissions, out, SETTINGS, jobs=1)
    assert fixed.reused == 1
    assert [(g.student, g.status, g.score) for g in fixed.grades] == [
        ("honest", OK, points(graded)),
        ("sys_exit", OK, points(graded)),
    ]


# ------------------------------------------------------------------------------- CLI


def test_llmroad_grade_writes_the_gradebook(graded, tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded.submissions / "honest", submissions / "honest")
    (out / ".grading").mkdir(parents=True)  # graded before: the CLI reuses it
    shutil.copyfile(graded.out / ".grading" / "honest.json", out / ".grading" / "honest.json")
    result = CliRunner().invoke(
        main,
        [
            "grade",
            str(submissions),
            "--out",
            str(out),
            "--days",
            "5",
            "--jobs",
            "1",
            "--timeout",
            "2",
            "--memory-mb",
            "512",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "graded 1 submissions" in result.output
    for name in ("grades.csv", "grades.json", "honest/results.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "honest/results.json").read_text())["score"] == points(graded)


def test_llmroad_grade_without_out_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["grade", str(tmp_path), "--days", "5"])
    assert result.exit_code == 2
    assert "--out" in result.output


def test_the_gradescope_bundle_grades_a_submission_where_it_is_unpacked(graded, tmp_path):
    bundle = tmp_path / "autograder.zip"
    result = CliRunner().invoke(main, ["grade", "--gradescope-bundle", str(bundle), "--days", "5"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        for script in ("setup.sh", "run_autograder"):
            mode = archive.getinfo(script).external_attr >> 16
            assert stat.S_ISREG(mode) and mode & 0o111 == 0o111, f"{script}: {mode:o}"
        assert any(n.startswith("checker/") for n in names)
        assert f"tests/days/{DAY}/test_metrics.py" in names
        assert "--days day05_metrics" in archive.read("run_autograder").decode()
        archive.extractall(tmp_path / "source")
    source, results = tmp_path / "source", tmp_path / "results" / "results.json"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "from checker.cli import main; main()",
            "gradescope-run",
            str(graded.submissions / "honest"),
            str(results),
            "--days",
            "5",
        ],
        cwd=source,
        env={**os.environ, "PYTHONPATH": str(source)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["score"] == points(graded)
    assert all(t["status"] == "passed" for t in data["tests"])


# ------------------------------------------------------------------- checker.core.wire


def round_trip(value, kept=None):
    buffers: list[bytes] = []
    return wire.decode(wire.encode(value, buffers), buffers, kept)


def test_wire_round_trips_plain_data_and_arrays():
    value = {
        "ints": np.arange(6, dtype=np.int32).reshape(2, 3),
        "floats": np.array([[0.5, np.nan], [np.inf, -1e300]]),
        "bools": np.array([True, False]),
        "complex": np.array([1 + 2j]),
        "empty": np.zeros((0, 4)),
        "scalars": (np.float32(1.5), np.int64(-3), np.bool_(True), 2.5, float("nan"), 7),
        3: [None, True, "text", (1, (2, 3))],
    }
    back = round_trip(value)
    assert set(back) == set(value)
    for key in ("ints", "floats", "bools", "complex", "empty"):
        assert back[key].dtype == value[key].dtype and back[key].shape == value[key].shape
        np.testing.assert_array_equal(back[key], value[key])
    assert back["floats"].flags.writeable
    f32, i64, flag, plain, nan, seven = back["scalars"]
    assert type(f32) is np.float32 and f32 == 1.5
    assert type(i64) is np.int64 and i64 == -3
    assert type(flag) is np.bool_ and flag
    assert type(plain) is float and plain == 2.5
    assert type(nan) is float and np.isnan(nan)
    assert seven == 7 and type(seven) is int
    assert back[3] == [None, True, "text", (1, (2, 3))]


def test_wire_over_a_pipe():
    read, write = os.pipe()
    try:
        buffers: list[bytes] = []
        message = {"value": wire.encode((np.eye(3), {"k": 1.0}), buffers)}
        wire.send(write, message, buffers)
        received, data = wire.receive(read, limit=1 << 20)
        matrix, extra = wire.decode(received["value"], data)
        np.testing.assert_array_equal(matrix, np.eye(3))
        assert extra == {"k": 1.0}
    finally:
        os.close(read)
        os.close(write)


def test_wire_refuses_a_message_over_the_limit():
    read, write = os.pipe()
    try:
        buffers: list[bytes] = []
        wire.send(write, {"value": wire.encode(np.zeros(1000), buffers)}, buffers)
        with pytest.raises(wire.WireError, match="over the limit"):
            wire.receive(read, limit=1000)
    finally:
        os.close(read)
        os.close(write)


@pytest.mark.parametrize(
    "value",
    [
        np.array([object()], dtype=object),
        object(),
        {1, 2},
        np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]),
        lambda: None,
        b"bytes",
    ],
)
def test_wire_refuses_objects_without_a_keeper(value):
    with pytest.raises(wire.WireError):
        wire.encode(value, [])


@pytest.mark.parametrize(
    "data",
    [
        {"array": 0, "dtype": "|O", "shape": [1]},
        {"array": 0, "dtype": "<f8", "shape": [3]},  # the buffer holds 2 floats, not 3
        {"array": 0, "dtype": "<f8", "shape": [1]},
        {"array": 0, "dtype": [["a", "<f8"]], "shape": [2]},
        {"pickle": "gASVAAAAAAAAAAA="},
        {"float": "1.0", "extra": 1},
        {"tuple": [1], "x": 1, "y": 2, "z": 3},
        {"array": 5, "dtype": "<f8", "shape": [2]},  # no such buffer
        {"array": 0, "dtype": "<f8", "shape": [0, -5]},
        {"array": 0, "dtype": "<f8", "shape": [1 << 40, 1 << 40]},  # 2**80 entries wraps to 0
        {"scalar": [1, 2]},
        {"dict": [[1]]},
        {"dict": [[{"tuple": [[1]]}, 1]]},  # an unhashable key
        {"handle": "not a number"},
        42.5,
    ],
)
def test_wire_refuses_malformed_or_unsafe_data(data):
    buffers = [np.zeros(2).tobytes()]
    with pytest.raises(wire.WireError):
        wire.decode(data, buffers)


def test_wire_refuses_nesting_too_deep_for_the_grader():
    data: list = []
    for _ in range(100_000):
        data = [data]
    with pytest.raises(wire.WireError):
        wire.decode(data, [])


@pytest.mark.parametrize(
    "header",
    [
        b'"just a string"',
        b"[1, 2]",
        b"{}",
        b"{not json",
        b'{"buffers": [-5, 10]}',
        b'{"buffers": "ab"}',
    ],
)
def test_wire_refuses_a_malformed_header(header):
    read, write = os.pipe()
    try:
        os.write(write, len(header).to_bytes(8, "little") + header + bytes(16))
        with pytest.raises(wire.WireError):
            wire.receive(read, limit=1 << 20)
    finally:
        os.close(read)
        os.close(write)


def test_wire_refuses_a_pickle_in_the_header():
    import pickle

    smuggled = {"value": {"pickle": pickle.dumps(np.zeros(2)).hex()}}
    with pytest.raises(wire.WireError):
        wire.decode(smuggled["value"], [])


def test_wire_refuses_dictionary_keys_that_are_not_plain():
    buffers: list[bytes] = []
    data = {"dict": [[wire.encode(np.zeros(1), buffers), 1]]}
    with pytest.raises(wire.WireError):
        wire.decode(data, buffers)


def test_wire_handles_stay_where_they_were_made():
    kept: dict[int, object] = {}
    cache = object()
    buffers: list[bytes] = []
    sent = wire.encode({"cache": cache, "x": 1.0}, buffers, kept)  # the worker's side
    received = wire.decode(sent, buffers)  # the grader's side: an opaque handle
    assert isinstance(received["cache"], wire.Handle) and received["x"] == 1.0
    back_buffers: list[bytes] = []
    returned = wire.encode(received["cache"], back_buffers)  # passed back to the worker
    assert wire.decode(returned, back_buffers, kept) is cache
    with pytest.raises(wire.WireError, match="restarted"):
        wire.decode({"handle": 12345}, [], {})


# -------------------------------------------------------------- checker.grading.submissions


def test_stage_copies_a_tree_found_in_exercises(tmp_path):
    entry = tmp_path / "bob"
    shutil.copytree(REFERENCE, entry / "exercises" / DAY)
    (entry / "notes.txt").write_text("hello")
    tree = stage(entry, tmp_path / "work")
    assert (tree / DAY / "metrics.py").read_bytes() == (REFERENCE / "metrics.py").read_bytes()
    assert tree == tmp_path / "work" / "exercises"


def test_stage_finds_a_tree_inside_wrapping_folders(tmp_path):
    entry = tmp_path / "carol"
    shutil.copytree(REFERENCE, entry / "homework" / "llmroad" / DAY)
    tree = stage(entry, tmp_path / "work")
    assert (tree / DAY / "metrics.py").is_file()
    zipped = tmp_path / "dave.zip"
    honest_zip(zipped, wrapper="dave/")
    assert (stage(zipped, tmp_path / "work2") / DAY / "metrics.py").is_file()


def test_stage_refuses_a_zip_that_leaves_its_folder(tmp_path):
    for n, name in enumerate(
        ["../escaped.py", "/etc/evil.py", "a/../../escaped.py", "..\\escaped.py", "C:/escaped.py"]
    ):
        zipped = tmp_path / f"bad{n}.zip"
        honest_zip(zipped, {name: b"x = 1\n"})
        with pytest.raises(InvalidSubmission, match="leaves its folder"):
            stage(zipped, tmp_path / f"work{n}")
    assert not list(tmp_path.rglob("escaped.py"))


def test_stage_refuses_a_symbolic_link_out_of_the_folder(tmp_path):
    entry = tmp_path / "eve"
    shutil.copytree(REFERENCE, entry / "exercises" / DAY)
    (entry / "exercises" / DAY / "secrets").symlink_to("/etc/passwd")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        stage(entry, tmp_path / "work")
    (entry / "exercises" / DAY / "secrets").unlink()
    (entry / "exercises" / "up").symlink_to("..", target_is_directory=True)  # inside: fine
    stage(entry, tmp_path / "work2")
    (entry / "exercises" / "out").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        stage(entry, tmp_path / "work3")


def test_stage_refuses_a_symbolic_link_in_a_zip(tmp_path):
    zipped = tmp_path / "frank.zip"
    honest_zip(zipped)
    with zipfile.ZipFile(zipped, "a") as archive:
        link = zipfile.ZipInfo(f"exercises/{DAY}/data")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        stage(zipped, tmp_path / "work")


def test_stage_refuses_a_zip_that_unpacks_to_more_than_it_declares(tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"exercises/{DAY}/metrics.py", bytes(1 << 20))
    raw = bytearray(data.getvalue())
    size = (1 << 20).to_bytes(4, "little")
    assert raw.count(size) == 2  # the local header and the central directory
    raw = raw.replace(size, (100).to_bytes(4, "little"))  # both now claim 100 bytes
    zipped = tmp_path / "liar.zip"
    zipped.write_bytes(bytes(raw))
    with pytest.raises(InvalidSubmission):
        stage(zipped, tmp_path / "work")


@pytest.mark.parametrize(
    "members",
    [
        [("exercises/x", b"1"), ("exercises/x/y", b"2")],  # a file, then a folder of that name
        [(f"exercises/{DAY}/", b""), (f"exercises/{DAY}", b"x")],  # a folder, then a file
        [("exercises/" + "a" * 300 + ".py", b"1")],  # a name longer than the file system allows
    ],
)
def test_stage_refuses_a_zip_that_cannot_be_unpacked_without_failing_itself(tmp_path, members):
    zipped = tmp_path / "odd.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    with pytest.raises(InvalidSubmission, match="cannot be unpacked"):
        stage(zipped, tmp_path / "work")


def test_a_grader_failure_costs_one_submission_not_the_class(tmp_path, monkeypatch):
    from checker.grading import grade as grading

    def broken(request):
        raise KeyError("a report the grader could not make sense of")

    monkeypatch.setattr(grading, "run_suites", broken)
    shutil.copytree(REFERENCE, tmp_path / "honest" / "exercises" / DAY)
    blank = [
        grading.TestOutcome(nodeid="t::a", name="a", day=DAY, task="5.2", points=2, perf=False)
    ]
    grade = grading.grade_one("honest", tmp_path / "honest", SETTINGS, blank)
    assert grade.status == CRASHED and "KeyError" in grade.detail
    assert grade.score == 0 and grade.max_score == 2


def test_only_the_courses_own_tests_and_points_count():
    from checker.grading.grade import TestOutcome, _reconcile

    blank = [
        TestOutcome("t::a", "a", DAY, "5.1", 1, False),
        TestOutcome("t::b", "b", DAY, "5.2", 2, False),
    ]
    ran = [
        TestOutcome("t::a", "a", DAY, "5.9", 100, False, outcome="passed", message=""),
        TestOutcome("t::forged", "forged", DAY, "5.2", 100, False, outcome="passed"),
    ]
    tests = _reconcile(ran, blank)
    assert [(t.nodeid, t.task, t.points, t.outcome) for t in tests] == [
        ("t::a", "5.1", 1, "passed"),
        ("t::b", "5.2", 2, "error"),
    ]
    assert tests[1].message == "the test did not run"


def test_stage_refuses_what_is_not_a_submission(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidSubmission, match="empty"):
        stage(tmp_path / "empty", tmp_path / "w1")
    (tmp_path / "no_tree" / "stuff").mkdir(parents=True)
    (tmp_path / "no_tree" / "stuff" / "a.py").write_text("x = 1\n")
    with pytest.raises(InvalidSubmission, match="no exercises found"):
        stage(tmp_path / "no_tree", tmp_path / "w2")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidSubmission, match="cannot be read"):
        stage(tmp_path / "broken.zip", tmp_path / "w3")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InvalidSubmission):
        stage(tmp_path / "notes.txt", tmp_path / "w4")
