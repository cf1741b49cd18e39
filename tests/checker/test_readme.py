"""README.md stays true: its index is the catalogue's, and CI runs its test command."""

import re
import sys
from pathlib import Path

from checker.core.catalogue import load_course
from checker.render import days_markdown

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


def test_ci_runs_exactly_the_readme_test_command_then_the_oldest_python():
    run_tests = _commands()[1]
    ci = [
        line
        for line in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert ci == [run_tests, "bash .ci/oldest"]


def test_the_oldest_dependencies_tested_are_the_lower_bounds_allowed():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = dict(
        re.fullmatch(r"([\w-]+)>=([\d.]+)(?:;.*)?", d.replace(" ", "")).groups()
        for d in project["dependencies"]
    )
    pinned = dict(
        line.split("==")
        for line in (ROOT / ".ci/oldest-constraints.txt").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert pinned == bounds
    oldest = project["requires-python"].removeprefix(">=")
    versions = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"] if "Python :: 3." in c]
    assert versions[0] == oldest, "the classifiers start at the oldest Python allowed"
