"""`llmroad capstone`: the gate on the learner's days, the training child and what it draws.

Training runs are a handful of steps of a tiny GPT, so these tests stay quick; the gate's
own tests use day 16 (and its prerequisite, day 3) as the top day, so that they run two
small suites instead of seven.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
import types
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.core import runner
from checker.core.catalogue import load_course
from checker.core.i18n import set_language
from checker.learner import capstone
from checker.learner.checking import CheckReport, DayReport, TaskReport
from checker.learner.workspace import init_workspace
from tests.checker.conftest import with_last_day_unbuilt
from tests.checker.test_languages import english_sentences

ROOT = Path(__file__).resolve().parents[2]
TINY = {"max_len": 16, "d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 32}
ESCAPE = re.compile(r"\x1b\[")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    init_workspace(tmp_path / "work", load_course())
    return tmp_path / "work"


@pytest.fixture
def small_gate(monkeypatch):
    """Day 16 as the capstone's top day: the gate then needs day03 and day16 only."""
    monkeypatch.setattr(capstone, "TOP_DAY", "day16_attention")


def solve(workspace: Path, *folders: str) -> None:
    """The learner finished these days: their folders are the reference's."""
    for folder in folders:
        shutil.rmtree(workspace / "exercises" / folder, ignore_errors=True)
        shutil.copytree(ROOT / "solutions" / folder, workspace / "exercises" / folder)


def reference_copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "solutions", tree, ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def append(tree: Path, relative: str, code: str) -> None:
    """Redefine a function at the end of a module of the tree (the later def wins)."""
    path = tree / relative
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + code, encoding="utf-8")


def llmroad(workspace: Path, *args: str, lang: str = "en"):
    return _runner().invoke(main, ["--lang", lang, "--workspace", str(workspace), *args])


def _runner() -> CliRunner:
    """A runner that keeps stderr apart on every click the package allows (click 8.2 always
    does, and no longer takes mix_stderr)."""
    try:
        return CliRunner(mix_stderr=False)
    except TypeError:
        return CliRunner()


def tiny(**changes) -> capstone.Settings:
    return capstone.Settings(**{"steps": 3, "config": dict(TINY), **changes})


# ------------------------------------------------------------------------------ the gate


def test_the_gate_is_day21_and_everything_it_builds_on_from_the_catalogue():
    course = load_course()
    by_folder = {day.folder: day for day in course.days}
    expected, pending = set(), ["day21_gpt2"]
    while pending:  # the transitive closure of `requires`, walked here independently
        folder = pending.pop()
        if folder not in expected:
            expected.add(folder)
            pending.extend(by_folder[folder].requires)
    needed = capstone.needed_days(course)
    assert {d.folder for d in needed} == expected
    assert needed[-1].folder == "day21_gpt2"
    assert [d.number for d in needed] == sorted(d.number for d in needed)


def test_a_failing_day_is_refused_naming_it_and_the_check_to_run(workspace, small_gate):
    solve(workspace, "day03_activations")  # day16 is still the stub
    result = llmroad(workspace, "capstone")
    assert result.exit_code == 1, result.output
    assert "day03, day16" in result.output  # the days it needs
    assert "✗ day16" in result.output and "llmroad check day16" in result.output
    assert "✗ day03" not in result.output and "llmroad check day03" not in result.output
    assert "Training" not in result.output


def not_started(workspace, days, tree, timeout):
    """What check says of untouched stubs, without running their suites."""
    reports = [DayReport(d, [TaskReport(t, []) for t in d.tasks]) for d in days]
    return CheckReport(tree, reports, [], [], 0.0)


def passing(workspace, days, tree, timeout):
    """What check says of days that pass, without running their suites."""

    def passed(task):
        return runner.TestOutcome("t", "t", None, task.id, 1.0, False, outcome="passed")

    reports = [DayReport(d, [TaskReport(t, [passed(t)]) for t in d.tasks]) for d in days]
    return CheckReport(tree, reports, [], [], 0.0)


def test_json_names_every_failing_day_and_its_next_task(workspace, small_gate, monkeypatch):
    monkeypatch.setattr(capstone, "check", not_started)
    result = llmroad(workspace, "capstone", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["gate"]["days"] == ["day03", "day16"]
    assert [f["day"] for f in data["gate"]["failing"]] == ["day03", "day16"]
    assert data["gate"]["failing"][1]["status"] == "not started"
    assert data["gate"]["failing"][1]["next"] == load_course().day(16).tasks[0].id


def test_the_refusal_speaks_japanese(workspace, small_gate, monkeypatch):
    monkeypatch.setattr(capstone, "check", not_started)
    result = llmroad(workspace, "capstone", "--impl", str(workspace / "exercises"), lang="ja")
    assert result.exit_code == 1
    assert "卒業制作" in result.output
    assert f"llmroad check day16 --impl {workspace / 'exercises'}" in result.output
    assert not english_sentences(result.output), result.output


def test_a_fresh_recorded_pass_is_reused_and_a_changed_day_is_checked_again(workspace, small_gate):
    solve(workspace, "day03_activations", "day16_attention")
    assert llmroad(workspace, "check", "day03").exit_code == 0  # records day03's pass
    checked = []

    def spy(ws, days, tree, timeout):
        checked.append([d.id for d in days])
        return capstone.check(ws, days, tree, timeout=timeout)

    gate = capstone.gate(capstone.Workspace(workspace), check_days=spy)
    assert gate.ok and gate.reused == ["day03"] and checked == [["day16"]]
    append(workspace / "exercises", "day03_activations/activations.py", "# changed\n")
    gate = capstone.gate(capstone.Workspace(workspace), check_days=spy)
    assert gate.reused == ["day16"] and checked[-1] == ["day03"]  # day16 passed just now


def test_an_unbuilt_day_is_refused_as_not_built(workspace, monkeypatch):
    course = with_last_day_unbuilt()
    monkeypatch.setattr(capstone, "load_course", lambda: course)
    monkeypatch.setattr(capstone, "TOP_DAY", course.days[-1].folder)
    result = llmroad(workspace, "capstone")
    assert result.exit_code == 1
    assert f"{course.days[-1].id} is not built yet" in result.output


# ------------------------------------------------------------------------ the training


def test_the_reference_trains_end_to_end_and_json_reports_losses_and_samples(workspace, small_gate):
    result = llmroad(workspace, "capstone", "--impl", "solutions", "--steps", "4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["gate"]["days"] == ["day03", "day16"]
    assert len(data["losses"]) == 4 and all(math.isfinite(x) for x in data["losses"])
    V = data["config"]["vocab_size"]
    assert abs(data["losses"][0] - math.log(V)) < 0.3  # an untrained GPT guesses uniformly
    for when in ("before", "after"):
        sample = data["samples"][when]
        assert sample.startswith(capstone.PROMPT) and len(sample) == capstone.CONFIG["max_len"]


def test_the_text_report_shows_the_days_used_a_curve_and_both_samples(
    workspace, small_gate, monkeypatch
):
    monkeypatch.setattr(capstone, "check", passing)
    result = llmroad(workspace, "capstone", "--impl", "solutions", "--steps", "3")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "day03, day16" in out and "init_gpt2" in out
    assert "Sample before training" in out and "Sample after 3 steps" in out
    assert "┤" in out and "└" in out
    assert "3/3  loss" in result.stderr  # the progress, on stderr
    assert not ESCAPE.search(out)


def test_training_a_few_steps_lowers_the_loss(tmp_path):
    run = capstone.train(ROOT / "solutions", tiny(steps=40, lr=1e-2))
    assert run.ok, run.error
    assert sum(run.losses[-5:]) / 5 < sum(run.losses[:5]) / 5 - 0.3
    assert run.n_params > 0 and run.vocab_size == len(set(capstone.corpus_text()))


def test_a_crashing_function_is_named_with_its_step_line_and_output(tmp_path):
    tree = reference_copy(tmp_path)
    append(
        tree,
        "day21_gpt2/gpt2.py",
        "_calls = []\n"
        "def gpt2_backward(dlogits, cache):\n"
        "    _calls.append(1)\n"
        "    print('debug: backward', len(_calls))\n"
        "    if len(_calls) == 2:\n"
        "        raise ValueError('shapes do not match')\n"
        "    return _backward(dlogits, cache)\n",
    )
    path = tree / "day21_gpt2" / "gpt2.py"  # keep the reference's under another name
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "def gpt2_backward(dlogits", "def _backward(dlogits", 1
        ),
        encoding="utf-8",
    )
    events = []
    run = capstone.train(tree, tiny(), on_event=events.append)
    assert not run.ok
    assert run.error["kind"] == "raised" and run.error["function"] == "gpt2_backward"
    assert run.error["step"] == 2 and len(run.losses) == 1
    assert [e["event"] for e in events][:2] == ["ready", "sample"]
    text = capstone.error_text(run)
    assert "gpt2_backward" in text and "step 2" in text and "shapes do not match" in text
    assert "gpt2.py, line" in text
    assert "debug: backward 2" in text  # what it printed, shown; the stream was not corrupted


def test_a_hanging_function_is_stopped_and_named(tmp_path):
    tree = reference_copy(tmp_path)
    append(
        tree,
        "day20_gpt/gpt.py",
        "def adamw_step(params, grads, state, lr, **kw):\n    while True:\n        pass\n",
    )
    run = capstone.train(tree, tiny(call_timeout=1.0))
    assert run.error["kind"] == "hang" and run.error["function"] == "adamw_step"
    assert "did not return" in capstone.error_text(run)
    assert run.seconds < 20


def test_a_function_that_ends_the_process_is_reported(tmp_path):
    tree = reference_copy(tmp_path)
    append(
        tree,
        "day20_gpt/gpt.py",
        "def next_token_loss(logits, ids):\n    import os\n    os._exit(7)\n",
    )
    run = capstone.train(tree, tiny())
    assert run.error["kind"] == "crash" and "status 7" in capstone.error_text(run)
    append(tree, "day20_gpt/gpt.py", "def next_token_loss(logits, ids):\n    raise SystemExit(3)\n")
    run = capstone.train(tree, tiny())
    assert run.error["function"] == "next_token_loss" and "sys.exit(3)" in run.error["message"]


def test_a_nan_loss_is_reported_as_unusable(tmp_path):
    tree = reference_copy(tmp_path)
    append(
        tree,
        "day20_gpt/gpt.py",
        "def next_token_loss(logits, ids):\n    return float('nan'), np.zeros(logits.shape)\n",
    )
    run = capstone.train(tree, tiny())
    assert run.error["kind"] == "wrong" and run.error["function"] == "next_token_loss"
    assert "finite" in capstone.error_text(run)


def test_an_unimportable_module_is_reported_with_its_file(tmp_path):
    tree = reference_copy(tmp_path)
    append(tree, "day21_gpt2/gpt2.py", "def broken(:\n")
    run = capstone.train(tree, tiny())
    assert run.error["kind"] == "import" and "SyntaxError" in capstone.error_text(run)


def test_ctrl_c_stops_the_child_and_keeps_the_losses_so_far(tmp_path):
    def interrupt(event):
        if event["event"] == "step" and event["step"] == 2:
            raise KeyboardInterrupt

    run = capstone.train(ROOT / "solutions", tiny(steps=50), on_event=interrupt)
    assert run.interrupted and not run.ok and len(run.losses) == 2
    assert run.error is None


def test_an_unknown_prompt_character_is_a_usage_error(workspace):
    result = llmroad(workspace, "capstone", "--prompt", "吾輩はZ")
    assert result.exit_code == 2
    assert "Z" in result.stderr  # a usage error, on stderr


# --------------------------------------------------------------------------- the drawing


def test_the_loss_curve_is_an_area_chart_falling_with_the_loss():
    losses = [5.0 - 4.0 * i / 99 for i in range(100)]
    lines = capstone.loss_curve(losses, width=50, height=8).splitlines()
    chart = [line.split("┤")[-1].split("│")[-1] for line in lines[:8]]
    heights = [sum(row[c] != " " for row in chart) for c in range(50)]
    assert all(len(row) == 50 for row in chart)
    assert heights[0] == 8 and heights == sorted(heights, reverse=True)  # falls left to right
    assert abs(float(lines[0].split()[0]) - 5.0) < 0.05 and lines[7].startswith("0.00")
    assert lines[9].strip().startswith("1") and lines[9].strip().endswith("100")
    assert not ESCAPE.search("\n".join(lines))


def test_the_loss_curve_copes_with_one_step_a_nan_and_constant_losses():
    assert "┤" in capstone.loss_curve([2.0])
    assert "┤" in capstone.loss_curve([3.0, float("nan"), 1.0])
    assert "┤" in capstone.loss_curve([1.0] * 7)
    assert "no loss" in capstone.loss_curve([float("nan")])


def test_the_progress_line_fills_with_the_steps():
    half = capstone.progress_line(50, 100, 1.2345, 10.0)
    done = capstone.progress_line(100, 100, 0.5, 20.0)
    assert "50/100" in half and "1.234" in half and "0:10" in half
    bar = lambda line: line[line.index("[") + 1 : line.index("]")]  # noqa: E731
    assert bar(done) == "█" * capstone.BAR
    assert bar(half).count("█") == capstone.BAR // 2


def test_a_failure_while_sampling_says_before_training_in_both_languages(tmp_path):
    tree = reference_copy(tmp_path)
    append(tree, "day21_gpt2/gpt2.py", "def generate(*args, **kw):\n    return [[0]]\n")
    run = capstone.train(tree, tiny())
    assert run.error["kind"] == "wrong" and run.error["function"] == "generate"
    assert run.losses == [] and "before training" in capstone.error_text(run)
    set_language("ja")  # the child is told the language, and words its findings in it
    run = capstone.train(tree, tiny())
    text = capstone.error_text(run)
    assert "学習前に" in text and "トークン ID" in text
    assert not english_sentences(text), text


def test_without_matplotlib_no_png_is_drawn_and_the_reason_says_so(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    why = capstone.save_png([3.0, 2.0], tmp_path / "loss.png")
    assert "matplotlib" in why and "never required" in why
    assert not (tmp_path / "loss.png").exists()


class FakeAxes:
    def __init__(self) -> None:
        self.lines: list[tuple[list, list]] = []

    def plot(self, x, y) -> None:
        self.lines.append((list(x), list(y)))

    def __getattr__(self, name):  # labels and title
        return lambda *args, **kwargs: None


class FakeFigure:
    def tight_layout(self) -> None:
        pass

    def savefig(self, path) -> None:
        Path(path).write_bytes(b"\x89PNG\r\n\x1a\n")


def test_with_matplotlib_the_curve_is_drawn_into_a_png(tmp_path, monkeypatch):
    """matplotlib is never a dependency, so a stand-in with its API records the drawing
    (the real one was tried by hand): the losses against steps 1..N, without a window."""
    axes, figure, closed, backends = FakeAxes(), FakeFigure(), [], []
    pyplot = types.SimpleNamespace(
        subplots=lambda **kwargs: (figure, axes), close=lambda fig: closed.append(fig)
    )
    matplotlib = types.SimpleNamespace(use=backends.append, pyplot=pyplot)
    monkeypatch.setitem(sys.modules, "matplotlib", matplotlib)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", pyplot)
    assert capstone.save_png([3.0, 2.0, 1.5], tmp_path / "loss.png") is None
    assert axes.lines == [([1, 2, 3], [3.0, 2.0, 1.5])]
    assert backends == ["Agg"] and closed == [figure]
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_progress_line_fits_an_80_column_terminal_in_both_languages():
    for language in ("en", "ja"):
        set_language(language)
        line = capstone.progress_line(12345, 99999, 12.3456, 5999.0)
        wide = sum(unicodedata.east_asian_width(c) in "WF" for c in line)
        assert len(line) + wide < 80, line


def test_code_that_never_returns_to_python_is_stopped_by_the_parent(tmp_path, monkeypatch):
    monkeypatch.setattr(capstone, "WATCHDOG_GRACE", 1.0)
    tree = reference_copy(tmp_path)
    # sum over a range runs in C holding the GIL: the child's own watchdog thread cannot run
    append(tree, "day21_gpt2/gpt2.py", "def init_gpt2(config, seed):\n    sum(range(10**15))\n")
    run = capstone.train(tree, tiny(call_timeout=1.0))
    assert run.error["kind"] == "hang" and run.error["function"] is None
    assert "stopped responding" in capstone.error_text(run)
    assert run.seconds < 15
