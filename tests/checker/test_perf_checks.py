"""The speed checks as a learner meets them: a slow kernel fails its task, saying how many
times slower it was and what to look at; the reference passes.

Day 10's LSTM kernel: a loop over the samples inside each step costs NumPy's per-call
overhead B times per step, so `llmroad check day10` must report 10.3 as failed by its perf
test, with the ratio and the advice, in English and in Japanese, while 10.1 and 10.2 (which
the slow kernel does not touch) stay done.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.core.catalogue import load_course
from checker.learner.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[2]
LSTM = "day10_lstm"

# A learner's LSTM that is right but loops over the samples: every sample runs the whole
# recurrence on its own, through the learner's own (correct) single-sample kernel.
PER_SAMPLE_LSTM = """

_batched_forward, _batched_backward = lstm_forward, lstm_backward


def lstm_forward(x, h0, c0, Wx, Wh, b):
    runs = [
        _batched_forward(x[n : n + 1], h0[n : n + 1], c0[n : n + 1], Wx, Wh, b)
        for n in range(len(x))
    ]
    hs = np.concatenate([hs for hs, _, _ in runs])
    cs = np.concatenate([cs for _, cs, _ in runs])
    return hs, cs, [cache for _, _, cache in runs]


def lstm_backward(dhs, cache):
    grads = [_batched_backward(dhs[n : n + 1], c) for n, c in enumerate(cache)]
    dx, dh0, dc0 = (np.concatenate([g[k] for g in grads]) for k in range(3))
    dWx, dWh, db = (sum(g[k] for g in grads) for k in range(3, 6))
    return dx, dh0, dc0, dWx, dWh, db
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A learner who finished day 10 with the reference, then made its kernel loop."""
    init_workspace(tmp_path / "work", load_course())
    mine = tmp_path / "work" / "exercises" / LSTM
    shutil.rmtree(mine)
    shutil.copytree(ROOT / "solutions" / LSTM, mine)
    return tmp_path / "work"


def check_day10(workspace: Path, lang: str) -> dict:
    result = CliRunner().invoke(
        main, ["--lang", lang, "--workspace", str(workspace), "check", "--json", "day10"]
    )
    return json.loads(result.stdout)["days"][0]


def first_failure(task: dict) -> dict:
    return next(t for t in task["tests"] if t["outcome"] != "passed")


@pytest.mark.slow
def test_the_reference_lstm_passes_its_speed_checks(workspace):
    tasks = check_day10(workspace, "en")["tasks"]
    assert all(task["status"] == "done" for task in tasks), [
        (task["id"], first_failure(task)) for task in tasks if task["status"] != "done"
    ]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_lstm_looping_over_the_samples_fails_its_speed_check_and_says_why(workspace):
    path = workspace / "exercises" / LSTM / "lstm.py"
    path.write_text(path.read_text(encoding="utf-8") + PER_SAMPLE_LSTM, encoding="utf-8")
    for lang, ratio, advice in (
        ("en", r"(\d+)× as long as the test.s own version", "loop over the samples"),
        ("ja", r"の (\d+) 倍で、上限は 10 倍", "サンプル・ゲート・隠れユニットを回すループ"),
    ):
        statuses = {t["id"]: t for t in check_day10(workspace, lang)["tasks"]}
        assert statuses["10.1"]["status"] == statuses["10.2"]["status"] == "done"
        assert statuses["10.3"]["status"] != "done", "the slow kernel passed 10.3"
        failure = first_failure(statuses["10.3"])
        assert "fused_and_vectorised" in failure["name"], failure  # the perf test, nothing else
        assert failure["outcome"] == "failed", failure
        found = re.search(ratio, failure["message"])
        assert found and int(found.group(1)) > 10, failure["message"]
        assert advice in failure["message"], failure["message"]
