"""checker.grading.submissions: staging one submission safely, whatever it holds, and
knowing when it changed."""

from __future__ import annotations

import io
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from checker.grading.submissions import (
    MAX_DEPTH,
    MAX_FOLDERS,
    InvalidSubmission,
    content_hash,
    shown,
    stage,
)
from tests.checker.grading.corpus import DAY, REFERENCE, corrupt, encrypted, honest_zip


def test_stage_copies_a_tree_found_in_exercises(tmp_path):
    entry = tmp_path / "bob"
    shutil.copytree(REFERENCE, entry / "exercises" / DAY)
    (entry / "notes.txt").write_text("hello")
    tree = stage(entry, tmp_path / "work")
    assert (tree / DAY / "metrics.py").read_bytes() == (REFERENCE / "metrics.py").read_bytes()
    assert tree == tmp_path / "work" / "exercises"


def test_stage_finds_a_tree_inside_wrapping_folders(tmp_path):
    entry = tmp_path / "carol"
    shutil.copytree(REFERENCE, entry / "homework" / "llmroad" / DAY)
    tree = stage(entry, tmp_path / "work")
    assert (tree / DAY / "metrics.py").is_file()
    zipped = tmp_path / "dave.zip"
    honest_zip(zipped, wrapper="dave/")
    assert (stage(zipped, tmp_path / "work2") / DAY / "metrics.py").is_file()


def test_stage_refuses_a_zip_that_leaves_its_folder(tmp_path):
    for n, name in enumerate(
        ["../escaped.py", "/etc/evil.py", "a/../../escaped.py", "..\\escaped.py", "C:/escaped.py"]
    ):
        zipped = tmp_path / f"bad{n}.zip"
        honest_zip(zipped, {name: b"x = 1\n"})
        with pytest.raises(InvalidSubmission, match="leaves its folder"):
            stage(zipped, tmp_path / f"work{n}")
    assert not list(tmp_path.rglob("escaped.py"))


def test_stage_refuses_a_symbolic_link_out_of_the_folder(tmp_path):
    entry = tmp_path / "eve"
    shutil.copytree(REFERENCE, entry / "exercises" / DAY)
    (entry / "exercises" / DAY / "secrets").symlink_to("/etc/passwd")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        stage(entry, tmp_path / "work")
    (entry / "exercises" / DAY / "secrets").unlink()
    (entry / "exercises" / "up").symlink_to("..", target_is_directory=True)  # inside: fine
    stage(entry, tmp_path / "work2")
    (entry / "exercises" / "out").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        stage(entry, tmp_path / "work3")


def test_stage_refuses_a_symbolic_link_in_a_zip(tmp_path):
    zipped = tmp_path / "frank.zip"
    honest_zip(zipped)
    with zipfile.ZipFile(zipped, "a") as archive:
        link = zipfile.ZipInfo(f"exercises/{DAY}/data")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(InvalidSubmission, match="symbolic link"):
        stage(zipped, tmp_path / "work")


def test_stage_refuses_a_zip_that_unpacks_to_more_than_it_declares(tmp_path):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"exercises/{DAY}/metrics.py", bytes(1 << 20))
    raw = bytearray(data.getvalue())
    size = (1 << 20).to_bytes(4, "little")
    assert raw.count(size) == 2  # the local header and the central directory
    raw = raw.replace(size, (100).to_bytes(4, "little"))  # both now claim 100 bytes
    zipped = tmp_path / "liar.zip"
    zipped.write_bytes(bytes(raw))
    with pytest.raises(InvalidSubmission):
        stage(zipped, tmp_path / "work")


@pytest.mark.parametrize(
    "members",
    [
        [("exercises/x", b"1"), ("exercises/x/y", b"2")],  # a file, then a folder of that name
        [(f"exercises/{DAY}/", b""), (f"exercises/{DAY}", b"x")],  # a folder, then a file
        [("exercises/" + "a" * 300 + ".py", b"1")],  # a name longer than the file system allows
    ],
)
def test_stage_refuses_a_zip_that_cannot_be_unpacked_without_failing_itself(tmp_path, members):
    zipped = tmp_path / "odd.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    with pytest.raises(InvalidSubmission, match="cannot be unpacked"):
        stage(zipped, tmp_path / "work")


def test_stage_refuses_what_is_not_a_submission(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidSubmission, match="empty"):
        stage(tmp_path / "empty", tmp_path / "w1")
    (tmp_path / "no_tree" / "stuff").mkdir(parents=True)
    (tmp_path / "no_tree" / "stuff" / "a.py").write_text("x = 1\n")
    with pytest.raises(InvalidSubmission, match="no exercises found"):
        stage(tmp_path / "no_tree", tmp_path / "w2")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidSubmission, match="cannot be read"):
        stage(tmp_path / "broken.zip", tmp_path / "w3")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(InvalidSubmission):
        stage(tmp_path / "notes.txt", tmp_path / "w4")


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(encrypted(_zip_bytes())), "cannot be read"),
        (lambda p: corrupt(p, zipfile.ZIP_DEFLATED), "cannot be read"),
        (lambda p: corrupt(p, zipfile.ZIP_LZMA), "cannot be read"),
        (lambda p: honest_zip(p, {"exercises/" + "d/" * 1000 + "x.py": b""}), "nested"),
        (lambda p: honest_zip(p, {f"e/f{n}/x.py": b"" for n in range(MAX_FOLDERS + 1)}), "folders"),
    ],
    ids=["encrypted", "corrupt-deflate", "corrupt-lzma", "deep", "many-folders"],
)
def test_stage_refuses_a_zip_that_once_crashed_the_whole_run(tmp_path, make, words):
    zipped = tmp_path / "odd.zip"
    make(zipped)
    with pytest.raises(InvalidSubmission, match=words):
        stage(zipped, tmp_path / "work")


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    honest_zip(buffer)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_stage_counts_folders_and_depth_of_a_folder_too(tmp_path):
    entry = tmp_path / "deep"
    shutil.copytree(REFERENCE, entry / "exercises" / DAY)
    (entry / ("d/" * (MAX_DEPTH + 1))).mkdir(parents=True)
    with pytest.raises(InvalidSubmission, match="nested"):
        stage(entry, tmp_path / "work")


def test_stage_takes_names_that_are_not_utf8(tmp_path):
    entry = tmp_path / os.fsdecode(b"caf\xe9")
    shutil.copytree(REFERENCE, entry / "exercises" / DAY)
    (entry / os.fsdecode(b"\xff\xfe")).write_bytes(b"notes")
    assert (stage(entry, tmp_path / "work") / DAY / "metrics.py").is_file()


def test_names_are_shown_escaped_and_short():
    assert shown(os.fsdecode(b"caf\xe9")) == "caf\\xe9"
    assert shown("a\nb") == "a\\x0ab"
    assert len(shown("x" * 1000)) == 120


def test_the_content_hash_frames_every_file_and_follows_no_link(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    for folder in (one, two):
        folder.mkdir()
    (one / "a").write_bytes(b"xy")
    (one / "b").write_bytes(b"z")
    (two / "a").write_bytes(b"x")
    (two / "b").write_bytes(b"yz")  # the same bytes in all, split differently
    assert content_hash(one) != content_hash(two)
    (one / "target1").write_text("1")
    (one / "target2").write_text("1")
    (one / "link").symlink_to("target1")
    before = content_hash(one)
    (one / "link").unlink()
    (one / "link").symlink_to("target2")  # retargeted: the same contents, another file
    assert content_hash(one) != before
    (one / "empty").mkdir()
    assert content_hash(one) != before


@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_stage_takes_a_learners_workspace_as_it_is(tmp_path, zipped):
    """What `llmroad init` made, progress and backups included, is a submission."""
    from checker.core.catalogue import load_course
    from checker.learner.workspace import init_workspace

    workspace = init_workspace(tmp_path / "alice", load_course()).workspace.root
    shutil.rmtree(workspace / "exercises" / DAY)
    shutil.copytree(REFERENCE, workspace / "exercises" / DAY)
    (workspace / ".llmroad" / "progress.json").write_text("{}", encoding="utf-8")
    entry = workspace
    if zipped:
        entry = Path(shutil.make_archive(str(tmp_path / "alice"), "zip", tmp_path, "alice"))
    tree = stage(entry, tmp_path / "staged")
    assert (tree / DAY / "metrics.py").read_bytes() == (REFERENCE / "metrics.py").read_bytes()
    assert not list(tree.parent.rglob("progress.json"))  # the learner's state is not graded
