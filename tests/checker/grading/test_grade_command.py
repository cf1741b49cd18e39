"""The grading commands: `llmroad grade` writes the gradebook and ends everything it
started when it is told to stop; the Gradescope bundle grades as safely as the grader."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.grading.grade import cache_name
from tests.checker.grading.corpus import DAY, REFERENCE, alive, points


def test_llmroad_grade_writes_the_gradebook(graded, tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    shutil.copytree(graded.submissions / "honest", submissions / "honest")
    (out / ".grading").mkdir(parents=True)  # graded before: the CLI reuses it
    cached = cache_name("honest")
    shutil.copyfile(graded.out / ".grading" / cached, out / ".grading" / cached)
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
            "--budget",
            "60",
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


def test_the_bundle_keeps_the_reference_and_the_suites_from_the_worker(tmp_path):
    bundle = tmp_path / "autograder.zip"
    result = CliRunner().invoke(main, ["grade", "--gradescope-bundle", str(bundle), "--days", "5"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(bundle) as archive:
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    assert "chmod -R go-rwx solutions tests" in setup
    assert "--budget" in run


@pytest.mark.timeout(600)
def test_sigterm_ends_the_grader_and_everything_it_started(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    day = submissions / "looper" / "exercises" / DAY
    shutil.copytree(REFERENCE, day)
    with open(day / "metrics.py", "a", encoding="utf-8") as source:
        source.write("\n\ndef accuracy(y_true, y_pred):\n    while True:\n        pass\n")
    staging = tmp_path / "staging"
    staging.mkdir()
    grader = subprocess.Popen(
        [sys.executable, "-m", "checker.cli", "grade", str(submissions), "--out", str(out)]
        + ["--days", "5", "--jobs", "1", "--timeout", "60"],
        env={**os.environ, "TMPDIR": str(staging)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(3000):  # until a worker runs the loop (minutes on a busy machine)
            if len(alive(str(staging))) >= 2:
                break
            time.sleep(0.1)
        assert alive(str(staging)), "grading never started"
        time.sleep(1)
        grader.send_signal(signal.SIGTERM)
        grader.wait(timeout=30)
    finally:
        grader.kill()
    for _ in range(300):  # processes end within moments; a busy machine may take seconds
        if not alive(str(staging)):
            break
        time.sleep(0.1)
    assert alive(str(staging)) == []
