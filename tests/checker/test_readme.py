"""README.md stays true: its index is the catalogue's, and CI runs its test command."""

import re
from pathlib import Path

from checker.core.catalogue import load_course
from checker.render import days_markdown

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", README)


def test_readme_index_is_the_catalogue():
    assert days_markdown(load_course()) in README, "regenerate it with: llmroad list --markdown"


def test_quick_start_installs_then_checks_day01_and_runs_all_tests():
    install, run_tests = _commands()[:2]
    assert "pip install -e ." in install and install.endswith("llmroad check day01")
    assert "pip install -e ." in run_tests and run_tests.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    run_tests = _commands()[1]
    ci = [
        line
        for line in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert ci == [run_tests]
