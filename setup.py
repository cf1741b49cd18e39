"""Build hook: a wheel carries the whole course inside the package.

The learner's stubs, the reference and the suites live at the project's root (where
maintainers edit them). A wheel copies them into `checker/_course/`, laid out the same
way, so `pip install llmroad` alone is enough to `llmroad init` a workspace and check it;
checker.core.layout finds the course in either place. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE_PARTS = ("pyproject.toml", "exercises", "solutions", "tests/conftest.py", "tests/days")


class BuildWithCourse(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout
            return
        target = Path(self.build_lib) / "checker" / "_course"
        for name in COURSE_PARTS:
            source, copy = Path(name), target / name
            copy.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
                shutil.copytree(source, copy, ignore=ignore, dirs_exist_ok=True)
            else:
                shutil.copy2(source, copy)


setup(cmdclass={"build_py": BuildWithCourse})
