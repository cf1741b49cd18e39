"""The newcomer's path, from a built wheel in a fresh virtual environment outside the
repository; and a clone whose learner finished the course still passes its own tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from checker.core.catalogue import load_course

ROOT = Path(__file__).resolve().parents[2]
BUILT = [day for day in load_course().days if day.available]
# Each builds or installs, then checks every built day: more than the default 60 s allow
# on an old Python with old NumPy (seen: over 60 s on Python 3.10 with NumPy 1.22).
pytestmark = pytest.mark.timeout(900)


def run(command: list, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LLMROAD_WORKSPACE", "PYTHONPATH")}
    env["LLMROAD_LANG"] = "en"
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def finish_the_course(workspace: Path) -> None:
    """A learner who has done every built day: the reference in their exercises."""
    for day in BUILT:
        shutil.rmtree(workspace / "exercises" / day.folder)
        shutil.copytree(ROOT / "solutions" / day.folder, workspace / "exercises" / day.folder)


@pytest.mark.slow
def test_a_wheel_in_a_fresh_environment_is_the_whole_course(tmp_path):
    built = run(
        [sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-w", tmp_path / "dist", "-q"],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("llmroad-*.whl")
    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    installed = run([python, "-m", "pip", "install", "-q", wheel], cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    llmroad = tmp_path / "env" / "bin" / "llmroad"

    made = run([llmroad, "init"], cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    workspace = tmp_path / "llmroad-work"
    stubs = run([llmroad, "check", "day01"], cwd=workspace / "exercises")
    assert stubs.returncode == 1, stubs.stdout + stubs.stderr
    assert "1.1 train_test_split" in stubs.stdout and "not started" in stubs.stdout
    assert "next: 1.1" in stubs.stdout

    finish_the_course(workspace)
    done = run([llmroad, "check", "--all"], cwd=workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(BUILT)} of {len(BUILT)} built days pass" in done.stdout


@pytest.mark.slow
def test_a_checkout_whose_learner_finished_the_course_still_passes_its_tests(tmp_path):
    """The project's tests read the course's own pristine trees, never a workspace, even
    one inside the checkout (here with every day done, and progress recorded for the first
    and the last: checking them all again would only repeat the wheel's test)."""
    clone = tmp_path / "clone"
    shutil.copytree(
        ROOT,
        clone,
        ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "llmroad-work", "*.egg-info"),
    )
    llmroad = [sys.executable, "-c", "from checker.cli import run; run()"]
    assert run([*llmroad, "init"], cwd=clone).returncode == 0
    finish_the_course(clone / "llmroad-work")
    assert (
        run([*llmroad, "check", BUILT[0].id, BUILT[-1].id], cwd=clone / "llmroad-work").returncode
        == 0
    )
    # Were the workspace's finished days read in place of the pristine stubs, a stub would
    # pass: the stubs' run is the one that tells (the reference's runs look the same).
    stubs = "tests/checker/test_suites_sound.py::test_no_test_passes_on_the_untouched_stubs"
    tests = [stubs, "tests/checker/test_consistency.py"]
    result = run(
        [sys.executable, "-m", "pytest", *tests, "-q", "-p", "no:cacheprovider"], cwd=clone
    )
    assert result.returncode == 0, result.stdout[-3000:]
