"""reset (and its undo), solution and doctor, as a learner uses them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.core.catalogue import load_course
from checker.learner.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[2]
MODULE = "exercises/day01_ml_basics/linear_regression.py"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return init_workspace(tmp_path / "work", load_course()).workspace.root


def llmroad(workspace: Path, *args: str, answer: str | None = None):
    return CliRunner().invoke(main, ["--workspace", str(workspace), *args], input=answer)


def finish_day01(workspace: Path) -> bytes:
    """The learner's own finished day 1 (the reference, with a comment of their own)."""
    mine = "# my notes: closed form first\n" + (
        ROOT / "solutions/day01_ml_basics/linear_regression.py"
    ).read_text(encoding="utf-8")
    (workspace / MODULE).write_text(mine, encoding="utf-8")
    return (workspace / MODULE).read_bytes()


def test_reset_of_a_task_restores_only_its_function_and_undo_gives_the_file_back(workspace):
    mine = finish_day01(workspace)
    result = llmroad(workspace, "reset", "1.3", "--yes")
    assert result.exit_code == 0, result.output
    text = (workspace / MODULE).read_text(encoding="utf-8")
    assert 'raise NotImplementedError("1.3 fit_linear_closed_form' in text
    assert "# my notes" in text and "perm = np.random.default_rng(seed)" in text  # 1.1 kept
    assert "reset --undo" in result.output
    undone = llmroad(workspace, "reset", "--undo")
    assert undone.exit_code == 0, undone.output
    assert (workspace / MODULE).read_bytes() == mine


def test_reset_of_a_day_and_undo_of_the_undo(workspace):
    mine = finish_day01(workspace)
    stub = (ROOT / MODULE).read_bytes()
    assert llmroad(workspace, "reset", "day01", "--yes").exit_code == 0
    assert (workspace / MODULE).read_bytes() == stub
    assert llmroad(workspace, "reset", "--undo").exit_code == 0
    assert (workspace / MODULE).read_bytes() == mine
    assert llmroad(workspace, "reset", "--undo").exit_code == 0  # undo the undo
    assert (workspace / MODULE).read_bytes() == stub


def test_reset_asks_first_and_changes_nothing_when_declined(workspace):
    mine = finish_day01(workspace)
    result = llmroad(workspace, "reset", "1.1", answer="n\n")
    assert result.exit_code != 0 and "--undo" in result.output
    assert (workspace / MODULE).read_bytes() == mine


def test_undo_with_nothing_to_undo_says_so(workspace):
    result = llmroad(workspace, "reset", "--undo")
    assert result.exit_code == 1 and "nothing to undo" in result.output


def test_the_solution_is_shown_only_once_the_task_passes(workspace):
    refused = llmroad(workspace, "solution", "1.3")
    assert refused.exit_code == 1 and "llmroad check day01" in refused.output
    finish_day01(workspace)
    assert llmroad(workspace, "check", "day01").exit_code == 0
    shown = llmroad(workspace, "solution", "1.3")
    assert shown.exit_code == 0 and "def fit_linear_closed_form" in shown.output
    (workspace / MODULE).write_text("# changed since\n", encoding="utf-8")
    assert llmroad(workspace, "solution", "1.3").exit_code == 1


def test_doctor_finds_everything_in_place_in_a_workspace(workspace):
    result = llmroad(workspace, "doctor")
    assert result.exit_code == 0, result.output
    assert "numpy" in result.output and str(workspace) in result.output


def test_doctor_says_what_to_do_about_each_problem(workspace, tmp_path):
    shutil.rmtree(workspace / "exercises" / "day02_loss_functions")
    (workspace / ".llmroad" / "progress.json").write_text("{broken", encoding="utf-8")
    result = llmroad(workspace, "doctor")
    assert result.exit_code == 1
    assert "missing day02" in result.output and "llmroad update" in result.output
    assert "sets the unreadable file aside" in result.output
    assert (workspace / ".llmroad" / "progress.json").read_text(encoding="utf-8") == "{broken"
