"""Take in one student's submission safely: copy or unzip it, and find the exercises tree.

The original is only ever read. What is refused, with the reason, makes the
submission invalid: a path that leaves its folder, a symbolic link pointing outside
it, a file or a whole that is too large (a zip bomb), too many files or folders or
folders nested too deep, a zip that cannot be read (encrypted, corrupt), or no
exercises tree at all. Every name from a submission is shown escaped and cut short,
since it may be anything a file system allows (or not valid UTF-8).
"""

from __future__ import annotations

import hashlib
import lzma
import os
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from checker.core.catalogue import load_course
from checker.core.i18n import msg

MAX_FILE_BYTES = 5_000_000  # a day's exercises are a few kB (MB here are 10**6 bytes, as shown)
MAX_TOTAL_BYTES = 20_000_000
MAX_FILES = 2000
MAX_FOLDERS = 500
MAX_DEPTH = 24  # folders inside folders, from the submission's top
IGNORED = {"__pycache__", "__MACOSX", ".git", ".llmroad", ".venv"}


class InvalidSubmission(Exception):
    """Why a submission cannot be graded, in words for the instructor."""


def shown(name: object, limit: int = 120) -> str:
    """A name from a submission, safe to print and store: bytes that are not UTF-8 as
    \\xNN escapes, control characters escaped, cut to `limit` characters."""
    text = os.fsdecode(name) if isinstance(name, bytes) else str(name)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Budget:
    files: int = 0
    total: int = 0
    folders: int = 0

    def take(self, name: str, size: int) -> None:
        self.files += 1
        self.total += size
        if size > MAX_FILE_BYTES:
            raise InvalidSubmission(
                msg(
                    en=f"{shown(name)} is {size / 1e6:.1f} MB; a file may be at most "
                    f"{MAX_FILE_BYTES / 1e6:.0f} MB",
                    ja=f"{shown(name)} は {size / 1e6:.1f} MB です。1 ファイルは "
                    f"{MAX_FILE_BYTES / 1e6:.0f} MB まで",
                )
            )
        if self.files > MAX_FILES:
            raise InvalidSubmission(
                msg(en=f"more than {MAX_FILES} files", ja=f"ファイルが {MAX_FILES} 個を超えます")
            )
        if self.total > MAX_TOTAL_BYTES:
            raise InvalidSubmission(
                msg(
                    en=f"more than {MAX_TOTAL_BYTES / 1e6:.0f} MB in all (a zip bomb?)",
                    ja=f"合計 {MAX_TOTAL_BYTES / 1e6:.0f} MB を超えます(zip bomb?)",
                )
            )

    def enter(self, parts: tuple[str, ...]) -> None:
        """A folder, `parts` deep from the top: counted, and its depth checked."""
        self.folders += 1
        if len(parts) > MAX_DEPTH:
            raise InvalidSubmission(
                msg(
                    en=f"folders nested more than {MAX_DEPTH} deep ({shown('/'.join(parts))})",
                    ja=f"フォルダの入れ子が {MAX_DEPTH} 段を超えます({shown('/'.join(parts))})",
                )
            )
        if self.folders > MAX_FOLDERS:
            raise InvalidSubmission(
                msg(
                    en=f"more than {MAX_FOLDERS} folders",
                    ja=f"フォルダが {MAX_FOLDERS} 個を超えます",
                )
            )


def _copy_folder(source: Path, target: Path) -> None:
    budget = Budget()
    root = source.resolve()
    for folder, dirs, files in os.walk(source, followlinks=False):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in IGNORED]
        budget.enter(here.relative_to(source).parts)
        (target / here.relative_to(source)).mkdir(parents=True, exist_ok=True)
        for name in [*dirs, *files]:
            path = here / name
            relative = path.relative_to(source)
            if path.is_symlink():
                real = path.resolve()
                if not real.is_relative_to(root):
                    raise InvalidSubmission(
                        msg(
                            en=f"{shown(relative)} is a symbolic link to "
                            f"{shown(os.readlink(path))}, outside the submission",
                            ja=f"{shown(relative)} は提出物の外 ({shown(os.readlink(path))}) "
                            "を指すシンボリックリンク (symbolic link) です",
                        )
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
        raise InvalidSubmission(
            msg(
                en=f"the zip holds {shown(info.filename)!r}, a path that leaves its folder",
                ja=f"zip に自分のフォルダを出るパス {shown(info.filename)!r} があります "
                "(leaves its folder)",
            )
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        raise InvalidSubmission(
            msg(
                en=f"the zip holds a symbolic link, {shown(info.filename)!r}",
                ja=f"zip にシンボリックリンク (symbolic link) {shown(info.filename)!r} があります",
            )
        )
    if any(part in IGNORED for part in path.parts):
        return None
    return path


def _check_members(members: list[tuple[zipfile.ZipInfo, PurePosixPath | None]]) -> Budget:
    """Every declared size, and every folder the members make, before anything is written."""
    budget = Budget()
    folders: set[tuple[str, ...]] = set()
    for info, path in members:
        if path is None:
            continue
        parts = path.parts if info.is_dir() else path.parts[:-1]
        for depth in range(1, len(parts) + 1):
            if parts[:depth] not in folders:
                folders.add(parts[:depth])
                budget.enter(parts[:depth])
        if not info.is_dir():
            budget.take(info.filename, info.file_size)
    return budget


UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted member: "password required"
    zlib.error,  # a corrupt deflate stream
    lzma.LZMAError,
    UnicodeError,
)


def _extract_zip(source: Path, target: Path) -> None:
    try:
        with zipfile.ZipFile(source) as archive:
            members = [(info, _safe_member(info)) for info in archive.infolist()]
            budget = _check_members(members)
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
                                msg(
                                    en=f"{shown(info.filename)} unpacks to more than it "
                                    "declares (a zip bomb?)",
                                    ja=f"{shown(info.filename)} は申告より大きく展開されます"
                                    "(zip bomb?)",
                                )
                            )
                        out.write(chunk)
    except UNREADABLE as error:
        why = shown(f"{type(error).__name__}: {error}", 200)
        raise InvalidSubmission(
            msg(en=f"the zip cannot be read: {why}", ja=f"zip を読めません (cannot be read): {why}")
        ) from None
    except (OSError, ValueError) as error:  # a file and a folder of one name, a name too long...
        raise InvalidSubmission(
            msg(
                en=f"the zip cannot be unpacked: {_why(error)}",
                ja=f"zip を展開できません (cannot be unpacked): {_why(error)}",
            )
        ) from None


def _why(error: Exception) -> str:
    """An OSError in words, naming the file by its name only (never the grader's folders)."""
    if isinstance(error, OSError) and error.strerror:
        name = shown(Path(os.fsdecode(error.filename or "")).name, 80)
        return f"{error.strerror}{f' ({name})' if name else ''}"
    return shown(error, 200)


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
        raise InvalidSubmission(msg(en="the submission is empty", ja="提出物が空です (empty)"))
    raise InvalidSubmission(
        msg(
            en=f"no exercises found: expected day folders such as {min(day_folders)}/, "
            "in the submission or in its exercises/ folder",
            ja=f"課題が見つかりません (no exercises found): 提出物かその exercises/ フォルダに "
            f"{min(day_folders)}/ のような日のフォルダが必要です",
        )
    )


def stage(entry: Path, workdir: Path) -> Path:
    """Copy or unzip `entry` under `workdir`; the exercises tree, as `workdir/exercises`."""
    raw = workdir / "raw"
    raw.mkdir(parents=True)
    if entry.is_symlink():
        raise InvalidSubmission(
            msg(
                en="the submission is a symbolic link",
                ja="提出物がシンボリックリンク (symbolic link) です",
            )
        )
    if entry.is_dir():
        try:
            _copy_folder(entry, raw)
        except (OSError, ValueError, RecursionError) as error:  # unreadable, a name too long...
            raise InvalidSubmission(
                msg(
                    en=f"the folder cannot be copied: {_why(error)}",
                    ja=f"フォルダをコピーできません: {_why(error)}",
                )
            ) from None
    elif entry.is_file() and entry.suffix.lower() == ".zip":
        _extract_zip(entry, raw)
    else:
        raise InvalidSubmission(
            msg(
                en="a submission is a folder or a .zip file",
                ja="提出物はフォルダか .zip ファイルです",
            )
        )
    tree = workdir / "exercises"
    _find_tree(raw).rename(tree)
    for path in [tree, *tree.rglob("*")]:  # readable by a worker that runs as another user
        path.chmod(0o755 if path.is_dir() else 0o644)
    return tree


def content_hash(entry: Path) -> str:
    """A hash of what a submission holds, to know when a grade can be reused: every path
    (files, folders and symbolic links, with the link's target) and every file's bytes,
    each framed by its length, so no two different submissions can run together into
    one stream. Past the staging limits it stops: such a submission is invalid anyway."""
    digest = hashlib.sha256()

    def framed(kind: bytes, data: bytes) -> None:
        digest.update(kind + len(data).to_bytes(8, "little") + data)

    if entry.is_file() and not entry.is_symlink():
        framed(b"F", _file_bytes(entry))
        return digest.hexdigest()
    seen = 0
    for folder, dirs, files in os.walk(entry, followlinks=False):
        dirs.sort()
        here = Path(folder)
        for name in sorted([*dirs, *files]):
            path = here / name
            framed(b"P", os.fsencode(path.relative_to(entry)))
            if path.is_symlink():
                framed(b"L", os.fsencode(os.readlink(path)))
            elif path.is_file():
                framed(b"F", _file_bytes(path))
            seen += 1
        if seen > MAX_FILES + MAX_FOLDERS:
            framed(b"!", b"more than staging allows")
            break
    return digest.hexdigest()


def _file_bytes(path: Path) -> bytes:
    """A file's bytes, or (past the size a submission may have) its size and time."""
    info = path.stat()
    if info.st_size > MAX_TOTAL_BYTES:
        return f"{info.st_size} {info.st_mtime_ns}".encode()
    return path.read_bytes()
