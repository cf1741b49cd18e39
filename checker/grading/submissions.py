"""Take in one student's submission safely: copy or unzip it, and find the exercises tree.

The original is only ever read. What is refused, with the reason, makes the
submission invalid: a path that leaves its folder, a symbolic link pointing outside
it, a file or a whole that is too large (a zip bomb), or no exercises tree at all.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from checker.core.catalogue import load_course

MAX_FILE_BYTES = 5_000_000  # a day's exercises are a few kB (MB here are 10**6 bytes, as shown)
MAX_TOTAL_BYTES = 20_000_000
MAX_FILES = 2000
IGNORED = {"__pycache__", "__MACOSX", ".git", ".llmroad", ".venv"}


class InvalidSubmission(Exception):
    """Why a submission cannot be graded, in words for the instructor."""


@dataclass
class Budget:
    files: int = 0
    total: int = 0

    def take(self, name: str, size: int) -> None:
        self.files += 1
        self.total += size
        if size > MAX_FILE_BYTES:
            raise InvalidSubmission(
                f"{name} is {size / 1e6:.1f} MB; a file may be at most "
                f"{MAX_FILE_BYTES / 1e6:.0f} MB"
            )
        if self.files > MAX_FILES:
            raise InvalidSubmission(f"more than {MAX_FILES} files")
        if self.total > MAX_TOTAL_BYTES:
            raise InvalidSubmission(
                f"more than {MAX_TOTAL_BYTES / 1e6:.0f} MB in all (a zip bomb?)"
            )


def _copy_folder(source: Path, target: Path) -> None:
    budget = Budget()
    root = source.resolve()
    for folder, dirs, files in os.walk(source, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in IGNORED]
        (target / here.relative_to(source)).mkdir(parents=True, exist_ok=True)
        for name in [*dirs, *files]:
            path = here / name
            relative = path.relative_to(source)
            if path.is_symlink():
                real = path.resolve()
                if not real.is_relative_to(root):
                    raise InvalidSubmission(
                        f"{relative} is a symbolic link to {os.readlink(path)},"
                        " outside the submission"
                    )
                if name in dirs:
                    dirs.remove(name)  # its target is inside and is copied from there
                    continue
            if name in files and path.is_file():
                budget.take(str(relative), path.stat().st_size)
                shutil.copyfile(path, target / relative)


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    path = PurePosixPath(info.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise InvalidSubmission(f"the zip holds {info.filename!r}, a path that leaves its folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidSubmission(f"the zip holds a symbolic link, {info.filename!r}")
    if any(part in IGNORED for part in path.parts):
        return None
    return path


def _extract_zip(source: Path, target: Path) -> None:
    budget = Budget()
    try:
        with zipfile.ZipFile(source) as archive:
            members = [(info, _safe_member(info)) for info in archive.infolist()]
            for info, path in members:  # check every declared size before writing anything
                if path is not None and not info.is_dir():
                    budget.take(info.filename, info.file_size)
            written = 0
            for info, path in members:
                if path is None:
                    continue
                destination = target.joinpath(*path.parts)
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as data, open(destination, "wb") as out:
                    while chunk := data.read(1 << 16):  # count real bytes: sizes can lie
                        written += len(chunk)
                        if out.tell() + len(chunk) > info.file_size or written > budget.total:
                            raise InvalidSubmission(
                                f"{info.filename} unpacks to more than it declares (a zip bomb?)"
                            )
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise InvalidSubmission(f"the zip cannot be read: {error}") from None
    except (OSError, ValueError) as error:  # a file and a folder of one name, a name too long...
        raise InvalidSubmission(f"the zip cannot be unpacked: {_why(error)}") from None


def _why(error: Exception) -> str:
    """An OSError in words, naming the file by its name only (never the grader's folders)."""
    if isinstance(error, OSError) and error.strerror:
        name = Path(error.filename or "").name
        return f"{error.strerror}{f' ({name[:80]})' if name else ''}"
    return str(error)[:200]


def _is_tree(folder: Path, day_folders: set[str]) -> bool:
    return folder.is_dir() and any((folder / name).is_dir() for name in day_folders)


def _find_tree(raw: Path) -> Path:
    day_folders = {day.folder for day in load_course().days}
    folder = raw
    for _ in range(4):  # the tree itself, exercises/ in it, or a wrapping folder or two
        for candidate in (folder, folder / "exercises"):
            if _is_tree(candidate, day_folders):
                return candidate
        children = [c for c in folder.iterdir() if c.is_dir() and not c.name.startswith(".")]
        if len(children) != 1:
            break
        folder = children[0]
    if not any(raw.rglob("*")):
        raise InvalidSubmission("the submission is empty")
    raise InvalidSubmission(
        f"no exercises found: expected day folders such as {min(day_folders)}/, "
        "in the submission or in its exercises/ folder"
    )


def stage(entry: Path, workdir: Path) -> Path:
    """Copy or unzip `entry` under `workdir`; the exercises tree, as `workdir/exercises`."""
    raw = workdir / "raw"
    raw.mkdir(parents=True)
    if entry.is_symlink():
        raise InvalidSubmission("the submission is a symbolic link")
    if entry.is_dir():
        try:
            _copy_folder(entry, raw)
        except OSError as error:  # unreadable, a name too long, a loop of folders...
            raise InvalidSubmission(f"the folder cannot be copied: {_why(error)}") from None
    elif entry.is_file() and entry.suffix.lower() == ".zip":
        _extract_zip(entry, raw)
    else:
        raise InvalidSubmission("a submission is a folder or a .zip file")
    tree = workdir / "exercises"
    _find_tree(raw).rename(tree)
    for path in [tree, *tree.rglob("*")]:  # readable by a worker that runs as another user
        path.chmod(0o755 if path.is_dir() else 0o644)
    return tree


def content_hash(entry: Path) -> str:
    """A hash of what a submission holds, to know when a grade can be reused."""
    digest = hashlib.sha256()
    paths = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file())
    for path in paths:
        if not path.is_symlink():
            digest.update(str(path.relative_to(entry.parent)).encode() + b"\0")
            digest.update(
                path.read_bytes()
                if path.stat().st_size <= MAX_TOTAL_BYTES
                else str(path.stat().st_size).encode()
            )
    return digest.hexdigest()
