"""Import a tree of day packages (a learner's `exercises/`, `solutions/`, a submission).

A tree is imported under a synthetic package name, never as `exercises` or
`solutions`, so any copy of it in any folder can be tested, and the relative imports
between days (`from ..day03_activations.activations import relu`) resolve inside the
same tree. Days named in `swapped` come from the reference tree instead: that is how
a later day is checked with the reference version of an unfinished prerequisite.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import linecache
import sys
import traceback
from pathlib import Path
from types import ModuleType


class LearnerImportError(ImportError):
    """A learner's module could not be imported; the message says which file and why."""


def _root_name(tree: Path, reference: Path, swapped: frozenset[str]) -> str:
    key = "|".join([str(tree), str(reference), *sorted(swapped)])
    return "_llmroad_tree_" + hashlib.sha1(key.encode()).hexdigest()[:12]


def _register_package(name: str, folder: Path) -> ModuleType:
    """Create (without running any learner code beyond __init__.py) the package `name`."""
    init = folder / "__init__.py"
    if init.exists():
        spec = importlib.util.spec_from_file_location(
            name, init, submodule_search_locations=[str(folder)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        spec.loader.exec_module(package)
    else:  # a tree without __init__.py files still imports, as a namespace
        package = ModuleType(name)
        package.__path__ = [str(folder)]
        sys.modules[name] = package
    return package


def learner_frame(tb, tree: Path) -> str:
    """Where in the learner's files an exception came from: ' (in x.py, line 3: code)'.

    Only the learner's own source lines are read (the grader's worker may read nothing else).
    """
    frames = [
        (f.f_code.co_filename, line)
        for f, line in traceback.walk_tb(tb)
        if f.f_code.co_filename.startswith(str(tree))
    ]
    if not frames:
        return ""
    filename, line = frames[-1]
    code = linecache.getline(filename, line).strip()
    return f" (in {Path(filename).name}, line {line}: {code})"


def _describe(error: BaseException, module_file: Path, tree: Path) -> str:
    shown = f"{tree.name}/{module_file.relative_to(tree)}"
    if isinstance(error, SyntaxError):
        return (
            f"{shown} could not be imported: SyntaxError on line {error.lineno}: {error.msg}"
            " — fix the syntax, then check again"
        )
    if isinstance(error, ModuleNotFoundError):
        return f"{shown} could not be imported: {error} — is a module or import misspelled?"
    where = learner_frame(error.__traceback__, tree)
    return f"{shown} could not be imported: {type(error).__name__}: {error}{where}"


def load_module(
    module: str, tree: Path, reference: Path, swapped: frozenset[str] = frozenset()
) -> ModuleType:
    """Import `module` ("day16_attention.attention") from `tree`, days in `swapped` from
    `reference`. Raises LearnerImportError with a learner-facing message."""
    tree, reference = tree.resolve(), reference.resolve()
    root = _root_name(tree, reference, swapped)
    if root not in sys.modules:
        _register_package(root, tree)
        for folder in swapped:
            _register_package(f"{root}.{folder}", reference / folder)
    day_folder = module.split(".")[0]
    source = (reference if day_folder in swapped else tree) / (module.replace(".", "/") + ".py")
    if not source.exists():
        raise LearnerImportError(
            f"{tree.name}/{source.relative_to(source.parents[1])} is missing — "
            "restore it from the course (the file and its functions must keep their names)"
        )
    try:
        return importlib.import_module(f"{root}.{module}")
    except Exception as error:  # any failure while importing is the learner's to fix
        culprit = Path(getattr(error, "filename", None) or source)
        if not culprit.is_relative_to(tree) and not culprit.is_relative_to(reference):
            culprit = source
        raise LearnerImportError(_describe(error, culprit, tree)) from error
