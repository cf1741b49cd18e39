"""Build a Gradescope autograder bundle: the course's suites and checker, and two scripts.

Gradescope unpacks the bundle into /autograder/source, runs setup.sh once to build
the image, then run_autograder once per submission (found in /autograder/submission);
run_autograder writes /autograder/results/results.json through the same grading
code as `llmroad grade`, so large classes are graded on Gradescope's machines.

The bundle holds the reference and the suites, so setup.sh makes them readable by
root alone: the worker, which runs as a user of its own when the grader is root (as on
Gradescope), cannot read them even where the container gives it no namespaces; the
reference days a later day needs are lent to it as copies (checker.core.isolation).
The interpreter, its packages and the checker stay readable.
"""

from __future__ import annotations

import shlex
import zipfile
from pathlib import Path

from checker.core.layout import COURSE_FILES, course_files, relative_name
from checker.grading.grade import Settings

INCLUDED = (*COURSE_FILES, "README.md")  # pip install -e . reads the README too

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, to build the autograder image.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
cd /autograder/source
python3 -m venv .venv
.venv/bin/pip install -e .
# Only root (the grader) may read the reference, the suites and the course's settings;
# the worker runs as a user of its own, and reaches the python and checker only.
chmod -R go-rwx solutions tests pyproject.toml
chmod go+rx /autograder /autograder/source
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


def build_bundle(target: Path, settings: Settings) -> int:
    """Write the bundle; the number of files in it."""
    options = shlex.join(
        [
            *("--days", ",".join(settings.days)),
            *("--timeout", str(settings.timeout)),
            *("--memory-mb", str(settings.memory_mb)),
            *("--budget", str(settings.budget)),
        ]
    )
    files = course_files(INCLUDED)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _script(archive, "setup.sh", SETUP)
        _script(archive, "run_autograder", RUN.format(options=options))
        for path in files:
            archive.write(path, relative_name(path))
    return len(files) + 2
