"""`llmroad doctor`: is everything in place to work through the course, and what to do
about each thing that is not. Reads only; changes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

from checker.core.catalogue import Course
from checker.core.i18n import current, from_environment, msg
from checker.core.layout import BUNDLED, PROJECT_ROOT
from checker.learner.workspace import Workspace

NEEDED = {"numpy": (1, 22), "pytest": (7, 4), "pytest-timeout": (2, 1), "click": (8, 1)}


@dataclass
class Finding:
    ok: bool
    what: str  # the thing looked at, e.g. "NumPy"
    detail: str  # what was found
    fix: str = ""  # what to do, when not ok


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _packages() -> list[Finding]:
    found = [
        Finding(
            sys.version_info >= (3, 10),
            "Python",
            sys.version.split()[0],
            msg(en="install Python 3.10 or newer", ja="Python 3.10 以降を入れてください"),
        )
    ]
    for name, oldest in NEEDED.items():
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            found.append(
                Finding(
                    False,
                    name,
                    msg(en="not installed", ja="入っていません"),
                    msg(
                        en="pip install -e . (or pip install llmroad)",
                        ja="pip install -e . (または pip install llmroad)",
                    ),
                )
            )
            continue
        fresh = _version_tuple(version) >= oldest
        need = ".".join(map(str, oldest))
        found.append(
            Finding(
                fresh,
                name,
                version,
                msg(
                    en=f"pip install -U '{name}>={need}'",
                    ja=f"pip install -U '{name}>={need}' で更新してください",
                ),
            )
        )
    return found


def _course() -> Finding:
    try:
        version = metadata.version("llmroad")
    except metadata.PackageNotFoundError:
        version = "?"
    where = (
        msg(en="inside the installed package", ja="インストールしたパッケージの中")
        if PROJECT_ROOT == BUNDLED
        else msg(en=f"the checkout at {PROJECT_ROOT}", ja=f"チェックアウト {PROJECT_ROOT}")
    )
    complete = (PROJECT_ROOT / "tests" / "days").is_dir() and (PROJECT_ROOT / "solutions").is_dir()
    return Finding(
        complete,
        "llmroad",
        msg(en=f"{version}; the course is {where}", ja=f"{version}。コースの場所: {where}"),
        msg(
            en="reinstall llmroad: pip install -e . in the checkout",
            ja="llmroad を入れ直してください(チェックアウトで pip install -e .)",
        ),
    )


def _pytest_runs() -> Finding:
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--version"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        ok, detail = done.returncode == 0, (done.stdout + done.stderr).strip().splitlines()[-1:]
    except (OSError, subprocess.SubprocessError) as error:
        ok, detail = False, [str(error)]
    return Finding(
        ok,
        msg(en="starting pytest", ja="pytest の起動"),
        detail[0] if detail else "",
        msg(
            en="pip install -e . again in a fresh virtual environment",
            ja="新しい仮想環境で pip install -e . をやり直してください",
        ),
    )


def _workspace(workspace: Workspace | None, course: Course) -> list[Finding]:
    if workspace is None:
        return [
            Finding(
                False,
                msg(en="workspace", ja="作業フォルダ"),
                msg(en="none here or above", ja="ここにも上のフォルダにもありません"),
                msg(
                    en="llmroad init, then cd llmroad-work",
                    ja="llmroad init のあと cd llmroad-work",
                ),
            )
        ]
    missing = [
        d.id for d in course.days if d.available and not (workspace.exercises / d.folder).is_dir()
    ]
    found = [
        Finding(True, msg(en="workspace", ja="作業フォルダ"), str(workspace.root)),
        Finding(
            not missing,
            msg(en="days in the workspace", ja="作業フォルダの日"),
            msg(en=f"missing {', '.join(missing)}", ja=f"{', '.join(missing)} がありません")
            if missing
            else msg(en="every built day is there", ja="用意できている日はすべてあります"),
            msg(
                en="llmroad update adds them (your files stay as they are)",
                ja="llmroad update で追加できます(あなたのファイルはそのまま)",
            ),
        ),
    ]
    path = workspace.progress.path
    try:
        if path.exists():
            json.loads(path.read_text(encoding="utf-8"))["days"]
        readable = True
    except (OSError, ValueError, KeyError, TypeError):
        readable = False
    found.append(
        Finding(
            readable,
            msg(en="progress", ja="進み具合"),
            str(path)
            if path.exists()
            else msg(en="nothing recorded yet", ja="まだ記録はありません"),
            msg(
                en="the next llmroad check sets the unreadable file aside (it is kept) and starts afresh",
                ja="次の llmroad check で読めないファイルを脇に移し(消しません)、記録をやり直します",
            ),
        )
    )
    return found


def _terminal() -> list[Finding]:
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    chosen = current()
    return [
        Finding(
            "utf" in encoding,
            msg(en="terminal encoding", ja="端末の文字コード"),
            encoding or "?",
            msg(
                en="use a UTF-8 locale (export LANG=C.UTF-8) to see Japanese",
                ja="UTF-8 のロケールにしてください(export LANG=ja_JP.UTF-8)",
            ),
        ),
        Finding(
            True,
            msg(en="language", ja="言語"),
            msg(
                en=f"{chosen} (from the environment: {from_environment()}; --lang or LLMROAD_LANG=ja|en changes it)",
                ja=f"{chosen}(環境からは {from_environment()}。--lang か LLMROAD_LANG=ja|en で変えられます)",
            ),
        ),
    ]


def diagnose(workspace: Workspace | None, course: Course) -> list[Finding]:
    return [*_packages(), _course(), _pytest_runs(), *_workspace(workspace, course), *_terminal()]
