"""Build a Gradescope autograder bundle: the course's suites and checker, and two scripts.

Gradescope unpacks the bundle into /autograder/source, runs setup.sh once to build
the image, then run_autograder once per submission (found in /autograder/submission);
run_autograder writes /autograder/results/results.json through the same grading
code as `llmroad grade`, so large classes are graded on Gradescope's machines.
"""

from __future__ import annotations

import shlex
import zipfile
from pathlib import Path

from checker.core.layout import COURSE_FILES, PROJECT_ROOT, course_files

INCLUDED = (*COURSE_FILES, "README.md")  # pip install -e . reads the README too

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, to build the autograder image.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
cd /autograder/source
python3 -m venv .venv
.venv/bin/pip install -e .
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this once per submission; the grade lands in results/results.json.
set -euo pipefail
cd /autograder/source
mkdir -p /autograder/results
exec .venv/bin/llmroad gradescope-run /autograder/submission \\
    /autograder/results/results.json {options}
"""


def _script(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = 0o100755 << 16  # an executable regular file
    archive.writestr(info, text)


def build_bundle(target: Path, days: list[str], timeout: float, memory_mb: int) -> int:
    """Write the bundle; the number of files in it."""
    options = shlex.join(
        ["--days", ",".join(days), "--timeout", str(timeout), "--memory-mb", str(memory_mb)]
    )
    files = course_files(INCLUDED)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _script(archive, "setup.sh", SETUP)
        _script(archive, "run_autograder", RUN.format(options=options))
        for path in files:
            archive.write(path, path.relative_to(PROJECT_ROOT).as_posix())
    return len(files) + 2
