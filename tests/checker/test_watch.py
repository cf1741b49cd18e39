"""Watch mode driven in a real terminal (a pty): keys, hints, a save that turns a task green."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.core.catalogue import load_course
from checker.learner.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(300)  # each wait below allows 90 s on a slow machine
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Terminal:
    """`llmroad ARGS` in a pseudo-terminal: type keys, wait for text on the screen."""

    def __init__(self, cwd: Path, *args: str):
        self.master, slave = pty.openpty()
        env = {**os.environ, "LLMROAD_LANG": "en", "COLUMNS": "120", "LINES": "40"}
        env.pop("LLMROAD_WORKSPACE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from checker.cli import run; run()", *args],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.seen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, text: str, timeout: float = 90.0) -> float:
        """Seconds until `text` appears in what the program printed since the last wait."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.seen += ANSI.sub("", os.read(self.master, 65536).decode(errors="replace"))
                except OSError:  # the program ended
                    break
            if text in self.seen:
                self.seen = self.seen[self.seen.index(text) + len(text) :]
                return time.monotonic() - started
        raise AssertionError(f"{text!r} did not appear; the screen showed:\n{self.seen[-2000:]}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path):
    workspace = init_workspace(tmp_path / "work", load_course()).workspace.root
    term = Terminal(workspace, "watch", "day01")
    term.workspace = workspace
    yield term
    term.close()


def test_watch_shows_hints_turns_a_saved_fix_green_and_quits(terminal):
    terminal.wait_for("1.1 train_test_split")
    terminal.wait_for("q quit")
    terminal.type("h")
    terminal.wait_for("hint 1/3")
    terminal.type("h")
    terminal.wait_for("hint 2/3")
    module = terminal.workspace / "exercises/day01_ml_basics/linear_regression.py"
    shutil.copy(ROOT / "solutions/day01_ml_basics/linear_regression.py", module)
    terminal.wait_for("checking…")
    terminal.wait_for("✓ 1.1 train_test_split")
    terminal.type("q")
    assert terminal.process.wait(timeout=30) == 0


def test_plain_llmroad_in_a_workspace_on_a_terminal_is_watch_mode(tmp_path):
    workspace = init_workspace(tmp_path / "work", load_course()).workspace.root
    term = Terminal(workspace / "exercises")
    try:
        term.wait_for("llmroad watch · day01")
        term.type("q")
        assert term.process.wait(timeout=30) == 0
    finally:
        term.close()
