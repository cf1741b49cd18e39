"""Where the course's parts live in the project: every path the checker needs, once."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXERCISES = PROJECT_ROOT / "exercises"  # the learner's tree as shipped (stubs)
REFERENCE = PROJECT_ROOT / "solutions"  # the reference tree
SUITES = PROJECT_ROOT / "tests" / "days"  # one hidden suite per day
# What a grade depends on besides the submission (the Gradescope bundle ships these too).
COURSE_FILES = ("pyproject.toml", "checker", "solutions", "tests/conftest.py", "tests/days")


def course_files(names: tuple[str, ...] = COURSE_FILES) -> list[Path]:
    """The files under `names` (files or folders of the project), sorted, caches left out."""
    found = []
    for name in names:
        path = PROJECT_ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        found += [p for p in candidates if p.is_file() and "__pycache__" not in p.parts]
    return found


def named_tree(value: str) -> Path:
    """`exercises`, `solutions` or a path: the tree of day packages it names."""
    return {"exercises": EXERCISES, "solutions": REFERENCE}.get(value, Path(value)).resolve()
