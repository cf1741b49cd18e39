"""Where the course's parts live: every path the checker needs, once.

The course (pristine stubs, reference, suites) is found in one of two places:
- a checkout of the project (a clone, or an editable install of it): the project's root;
- an installed wheel, which carries the course inside the package, in `checker/_course/`
  (setup.py copies it there at build time), laid out exactly like the project's root.
Either way PROJECT_ROOT is the folder that holds `exercises/`, `solutions/`, `tests/days/`
and the pytest configuration the suites run with.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # checker/
BUNDLED = PACKAGE / "_course"  # what a wheel carries
# What a grade depends on besides the submission (and what a wheel and the Gradescope
# bundle carry of the course): the pytest configuration, the checker, the reference, the
# suites and their fixtures.
COURSE_PARTS = ("pyproject.toml", "exercises", "solutions", "tests/conftest.py", "tests/days")
COURSE_FILES = ("pyproject.toml", "checker", "solutions", "tests/conftest.py", "tests/days")


def _course_root() -> Path:
    checkout = PACKAGE.parent
    if (checkout / "tests" / "days").is_dir() and (checkout / "solutions").is_dir():
        return checkout
    return BUNDLED


PROJECT_ROOT = _course_root()
EXERCISES = PROJECT_ROOT / "exercises"  # the learner's tree as shipped (stubs)
REFERENCE = PROJECT_ROOT / "solutions"  # the reference tree
SUITES = PROJECT_ROOT / "tests" / "days"  # one hidden suite per day
PYTEST_CONFIG = PROJECT_ROOT / "pyproject.toml"


def course_files(names: tuple[str, ...] = COURSE_FILES) -> list[Path]:
    """The files under `names` (files or folders of the course root), sorted, caches left out.
    In a wheel the checker is the installed package itself."""
    found = []
    for name in names:
        path = PACKAGE if name == "checker" else PROJECT_ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        found += [
            p
            for p in candidates
            if p.is_file() and "__pycache__" not in p.parts and "_course" not in p.parts
        ]
    return found


def relative_name(path: Path) -> str:
    """A course file's name as the project spells it (`checker/cli.py`, `tests/days/...`),
    the same in a checkout and in a wheel."""
    if path.is_relative_to(PACKAGE) and not path.is_relative_to(BUNDLED):
        return path.relative_to(PACKAGE.parent).as_posix()
    return path.relative_to(PROJECT_ROOT).as_posix()


def named_tree(value: str) -> Path:
    """`exercises` (the pristine stubs), `solutions` or a path: the tree of day packages."""
    return {"exercises": EXERCISES, "solutions": REFERENCE}.get(value, Path(value)).resolve()
