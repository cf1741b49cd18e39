"""Japanese is a first language of the course: every sentence a learner reads exists in both.

Statically: every assertion of the day suites speaks through `msg(en=..., ja=...)` or a
shared check. End to end: `llmroad --lang ja check` prints no English sentence, and
`--lang en` no Japanese one (identifiers, numbers and the posts' titles aside).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.core.catalogue import load_course
from checker.learner.workspace import init_workspace

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course()
BUILT = [day for day in COURSE.days if day.available]
UNBUILT = next((day.id for day in COURSE.days if not day.available), "day99")  # its message
# the shared checks, and the position of their `what` argument
WHAT_AT = {
    "assert_close": 2,
    "assert_shape": 2,
    "assert_array": 2,
    "assert_scalar": 1,
    "assert_grad_close": 3,
    "assert_tuple": 2,
    "assert_fast_enough": 3,
}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# A run of three English words: an English sentence (or most of one).
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'][A-Za-z][a-z]+){2,}\b")
CODE = re.compile(r"`[^`]*`|\S*[_./()\[\]=<>@]\S*|https?://\S+")


def english_sentences(text: str) -> list[str]:
    """Lines of `text` holding an English phrase, once code, paths and names are set aside."""
    found = []
    for line in text.splitlines():
        prose = CODE.sub(" ", line)
        for title in (day.title_en for day in COURSE.days):
            prose = prose.replace(title, " ")
        if ENGLISH_RUN.search(prose):
            found.append(line.strip())
    return found


def japanese_sentences(text: str) -> list[str]:
    titles = [day.post_title for day in COURSE.days] + [day.title_ja for day in COURSE.days]
    lines = [line for line in text.splitlines() if JAPANESE.search(line)]
    return [line.strip() for line in lines if not any(t in line for t in titles)]


# ------------------------------------------------------------------ the suites, statically


def _is_msg(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "msg"
        and {k.arg for k in node.keywords} == {"en", "ja"}
        and all(not isinstance(k.value, ast.Constant) or k.value.value for k in node.keywords)
    )


def _composed(node: ast.AST) -> bool:
    """A message put together from messages made elsewhere (f"{error}{NOTE}"), adding no
    words of its own."""
    return isinstance(node, ast.Name) or (
        isinstance(node, ast.JoinedStr)
        and not any(
            isinstance(v, ast.Constant) and re.search("[A-Za-z]", v.value) for v in node.values
        )
    )


def _code_name(node: ast.AST) -> bool:
    """A `what` that names code (`X_train`, `dL/dw`, f"dW{i}"): the same in both languages."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return " " not in node.value
    if isinstance(node, ast.JoinedStr):
        return all(not isinstance(v, ast.Constant) or " " not in v.value for v in node.values)
    return isinstance(node, ast.Name)  # a variable set elsewhere in the test, checked there


def _unbilingual(path: Path) -> list[str]:
    """'line: code' for every learner-facing message of a suite file in one language only."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assert):
            if node.msg is None or not (_is_msg(node.msg) or isinstance(node.msg, ast.Name)):
                bad.append(f"{node.lineno}: assert {ast.unparse(node.test)[:60]}")
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            if ast.unparse(node.exc.func) == "AssertionError":
                if not (
                    node.exc.args and (_is_msg(node.exc.args[0]) or _composed(node.exc.args[0]))
                ):
                    bad.append(f"{node.lineno}: {ast.unparse(node.exc)[:60]}")
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in WHAT_AT:
            position = WHAT_AT[ast.unparse(node.func)]
            what = node.args[position] if len(node.args) > position else None
            what = next((k.value for k in node.keywords if k.arg == "what"), what)
            if what is not None and not (_is_msg(what) or _code_name(what)):
                bad.append(f"{node.lineno}: {ast.unparse(node)[:60]}")
    return bad


@pytest.mark.parametrize("day", BUILT, ids=lambda d: d.id)
def test_every_suite_message_exists_in_english_and_japanese(day):
    bad = [
        f"{path.name}:{line}"
        for path in sorted((ROOT / "tests/days" / day.folder).glob("test_*.py"))
        for line in _unbilingual(path)
    ]
    assert not bad, "messages in one language only (use msg(en=..., ja=...)):\n" + "\n".join(bad)


# ------------------------------------------------------------------ the CLI, end to end


@pytest.fixture(scope="module")
def stubs(tmp_path_factory) -> Path:
    return init_workspace(tmp_path_factory.mktemp("ws") / "work", COURSE).workspace.root


def llmroad(workspace: Path, lang: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--lang", lang, "--workspace", str(workspace), *args])
    return result.output


@pytest.mark.parametrize(
    "args",
    [
        ("check", "day01"),
        ("check", "day01", "-v"),
        ("list",),
        ("progress",),
        ("hint", "1.2"),
        ("check", "day99"),
        ("check", UNBUILT),
        ("hint", "1.1", "--level", "7"),
    ],
    ids=" ".join,
)
def test_japanese_output_has_no_english_sentence(stubs, args):
    output = llmroad(stubs, "ja", *args)
    assert JAPANESE.search(output), output
    assert not english_sentences(output), "\n".join(english_sentences(output))


@pytest.mark.parametrize(
    "args",
    [("check", "day01"), ("list",), ("progress",), ("hint", "1.2"), ("check", UNBUILT)],
    ids=" ".join,
)
def test_english_output_has_no_japanese_sentence(stubs, args):
    output = llmroad(stubs, "en", *args)
    assert not japanese_sentences(output), "\n".join(japanese_sentences(output))
