"""The capstone: train a tiny GPT built only from the learner's own functions, then sample.

    llmroad capstone [--impl solutions|PATH] [--steps N] [--seed S] [--json] [--png FILE]

First the gate: the day the capstone's GPT comes from (day 21) and every day it builds on,
read from the catalogue's `requires`, must pass, judged by the same checking machinery as
`llmroad check` (a pass recorded in the workspace's progress for an unchanged day folder
counts). If any does not, the capstone refuses and names them.

Then the training, in a child process (checker.learner.capstone_train: learner code is never
imported here), which streams JSON lines back: each step's loss and the samples drawn before
and after. This module starts and watches it, and turns what it said into plain data and
plain text (a progress line, a loss curve in Unicode blocks that needs no colour, the
samples); the CLI prints them. Nothing here prints.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from checker.core.catalogue import Course, Day, Task, load_course
from checker.core.corpus import corpus_text, vocabulary
from checker.core.i18n import current, msg
from checker.core.layout import REFERENCE
from checker.core.runner import child_environment, start_child, stop_child
from checker.learner.checking import DayReport, check
from checker.learner.workspace import Workspace

TOP_DAY = "day21_gpt2"  # the capstone's GPT is day 21's; its prerequisites come from the catalogue
# The learner's functions the capstone calls; which day and module holds each, the catalogue says.
USES = ("init_gpt2", "gpt2_forward", "gpt2_backward", "generate", "next_token_loss", "adamw_step")
# A GPT-2 small enough to train on two cores in well under a minute, large enough to learn the
# corpus' ~1,800 characters (vocab_size comes from the corpus).
CONFIG = {"max_len": 64, "d_model": 64, "n_layers": 2, "n_heads": 4, "d_ff": 256}
STEPS = 300  # ~20 s on an idle 2-core machine; the loss ends near 0.2, from log V = 5.7
BATCH_SIZE = 16
LR = 6e-3  # peak learning rate (warm-up, then cosine decay: capstone_train.learning_rate)
PROMPT = "吾輩は"
TEMPERATURE = 0.8
CALL_TIMEOUT = 60.0  # seconds one call into the learner's code may take
WATCHDOG_GRACE = 15.0  # past CALL_TIMEOUT, for code that never returns to Python


# --- the gate -------------------------------------------------------------------------------


@dataclass
class Gate:
    """Whether the learner's days allow the capstone, and why not."""

    needed: list[Day]  # the days the capstone's GPT is built from, earliest first
    failing: list[DayReport] = field(default_factory=list)
    unbuilt: list[Day] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # the checker could not run a suite
    reused: list[str] = field(default_factory=list)  # days whose recorded pass was fresh
    tree: Path | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failing or self.unbuilt or self.problems)


def needed_days(course: Course) -> list[Day]:
    """Day 21 and every day it builds on, directly or not, earliest first."""
    top = course.day(TOP_DAY)
    return [*course.prerequisites(top), top]


def _fresh_passes(workspace: Workspace | None, tree: Path, days: list[Day]) -> list[str]:
    """The days whose pass the workspace's progress records for their folders as they are."""
    if workspace is None or tree.resolve() != workspace.exercises.resolve():
        return []
    progress, _ = workspace.progress.load()
    return [d.id for d in days if progress.passes_as_it_is(d, tree)]


def gate(
    workspace: Workspace | None,
    tree: Path | None = None,
    course: Course | None = None,
    check_days: Callable | None = None,
    timeout: float = 60.0,
) -> Gate:
    """Check the days the capstone needs (the workspace's exercises, or `tree`) with
    `check_days` (default: checker.learner.checking.check, what `llmroad check` runs)."""
    course = course or load_course()
    check_days = check_days or check
    tree = (tree or workspace.exercises).resolve()
    needed = needed_days(course)
    result = Gate(needed, tree=tree)
    result.unbuilt = [d for d in needed if not d.available]
    if result.unbuilt:
        return result
    result.reused = _fresh_passes(workspace, tree, needed)
    to_check = [d for d in needed if d.id not in result.reused]
    if to_check:
        report = check_days(workspace, to_check, tree, timeout=timeout)
        result.problems = list(report.problems)
        result.failing = [r for r in report.days if r.status != "passing"]
        result.seconds = report.seconds
    return result


def refusal_text(gate: Gate, impl: str | None) -> str:
    """Why the capstone will not run, and what to do, in the chosen language."""
    names = ", ".join(d.id for d in gate.needed)
    lines = [
        msg(
            en="The capstone trains a GPT built only from your own functions, so every day "
            f"it is built from must pass first: {names}.",
            ja="卒業制作では、あなた自身の関数だけで組んだ GPT を学習させます。そのため、"
            f"材料になる日がすべて合格している必要があります: {names}。",
        )
    ]
    if gate.unbuilt:
        unbuilt = ", ".join(d.id for d in gate.unbuilt)
        lines.append(
            msg(
                en=f"{unbuilt} is not built yet in this course, so the capstone cannot run yet.",
                ja=f"{unbuilt} はこのコースでまだ準備中のため、卒業制作はまだ実行できません。",
            )
        )
        return "\n".join(lines)
    suffix = f" --impl {impl}" if impl else ""
    if gate.failing:
        lines.append(msg(en="Not passing yet:", ja="まだ合格していない日:"))
        for report in gate.failing:
            done = sum(t.status == "done" for t in report.tasks)
            task = report.next_task.task if report.next_task else None
            next_en = f", next {task.id} {task.name}" if task else ""
            next_ja = f"、次は {task.id} {task.name}" if task else ""
            lines.append(
                msg(
                    en=f"  ✗ {report.day.id} {report.day.title_en}: {done}/{len(report.tasks)} "
                    f"tasks done{next_en} — run llmroad check {report.day.id}{suffix}",
                    ja=f"  ✗ {report.day.id} {report.day.title_ja}: {done}/{len(report.tasks)} "
                    f"タスク完了{next_ja} — llmroad check {report.day.id}{suffix} で確かめましょう",
                )
            )
    for problem in gate.problems:
        lines.append(
            msg(
                en=f"The checker could not run: {problem}",
                ja=f"チェッカーを実行できませんでした: {problem}",
            )
        )
    them = "it" if len(gate.failing) == 1 else "them"
    lines.append(
        msg(
            en=f"Make {them} pass, then run llmroad capstone again.",
            ja="合格させてから、もう一度 llmroad capstone を実行してください。",
        )
    )
    return "\n".join(lines)


def gate_json(gate: Gate) -> dict:
    return {
        "days": [d.id for d in gate.needed],
        "reused": gate.reused,
        "unbuilt": [d.id for d in gate.unbuilt],
        "failing": [
            {
                "day": r.day.id,
                "status": r.status,
                "tasks_done": sum(t.status == "done" for t in r.tasks),
                "tasks": len(r.tasks),
                "next": r.next_task.task.id if r.next_task else None,
            }
            for r in gate.failing
        ],
        "problems": gate.problems,
        "seconds": round(gate.seconds, 3),
    }


# --- the training -----------------------------------------------------------------------------


@dataclass
class Settings:
    steps: int = STEPS
    seed: int = 0
    batch_size: int = BATCH_SIZE
    lr: float = LR
    prompt: str = PROMPT
    temperature: float = TEMPERATURE
    call_timeout: float = CALL_TIMEOUT
    config: dict = field(default_factory=lambda: dict(CONFIG))

    def for_child(self, tree: Path) -> dict:
        return {
            "tree": str(tree),
            "reference": str(REFERENCE),
            "config": self.config,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "seed": self.seed,
            "prompt": self.prompt,
            "temperature": self.temperature,
            "call_timeout": self.call_timeout,
            "functions": function_modules(load_course()),
            "lang": current(),
        }


def unknown_characters(prompt: str) -> list[str]:
    """The prompt's characters the corpus never uses (the model has no token for them)."""
    known = set(vocabulary(corpus_text()))
    return sorted(set(prompt) - known)


@dataclass
class Run:
    """What the training child reported."""

    settings: Settings
    losses: list[float] = field(default_factory=list)
    samples: dict[str, str] = field(default_factory=dict)  # "before", "after"
    n_params: int = 0
    vocab_size: int = 0
    characters: int = 0
    error: dict | None = None  # the child's error event, or one the parent made
    interrupted: bool = False
    seconds: float = 0.0
    printed: str = ""  # the end of what the learner's code printed (stderr)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.interrupted and "after" in self.samples


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return msg(
            en=f"the training process was ended by signal {name} (a crash in native code, or "
            "out of memory?)",
            ja=f"学習プロセスがシグナル {name} で終了しました(ネイティブコードのクラッシュか、"
            "メモリ不足かもしれません)",
        )
    return msg(
        en=f"the training process exited with status {code} before it finished (does your "
        "code call sys.exit or os._exit?)",
        ja=f"学習プロセスが終わる前に終了コード {code} で終了しました(あなたのコードが "
        "sys.exit や os._exit を呼んでいませんか?)",
    )


def train(
    tree: Path,
    settings: Settings,
    on_event: Callable[[dict], None] = lambda event: None,
) -> Run:
    """Train in a child process; each event the child sends is passed to `on_event` as it
    comes. Ctrl-C stops the child and returns what was learnt so far (interrupted)."""
    run = Run(settings)
    started = time.monotonic()
    silence = settings.call_timeout + WATCHDOG_GRACE
    with tempfile.TemporaryFile() as printed:
        process = start_child(
            [sys.executable, "-m", "checker.learner.capstone_train"],
            child_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=printed,
        )
        try:
            process.stdin.write((json.dumps(settings.for_child(tree)) + "\n").encode())
            process.stdin.close()
            buffer = b""
            last = time.monotonic()
            while True:
                ready, _, _ = select.select([process.stdout], [], [], 0.2)
                if ready:
                    chunk = os.read(process.stdout.fileno(), 65536)
                    if not chunk:
                        break  # the child closed its stream: it has finished or died
                    last = time.monotonic()
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        try:
                            event = json.loads(line)
                        except json.JSONDecodeError:  # not the child's: ignore it
                            continue
                        _fold(run, event)
                        on_event(event)
                elif time.monotonic() - last > silence:
                    run.error = {
                        "event": "error",
                        "kind": "hang",
                        "function": None,
                        "step": len(run.losses) + 1 if "before" in run.samples else None,
                        "message": msg(
                            en=f"no word from it for {silence:g} s",
                            ja=f"{silence:g} 秒間、何の知らせもありません",
                        ),
                    }
                    break
        except KeyboardInterrupt:
            run.interrupted = True
        finally:
            stop_child(process)
        if run.error is None and not run.interrupted and "after" not in run.samples:
            run.error = {
                "event": "error",
                "kind": "crash",
                "function": None,
                "step": len(run.losses) + 1 if run.losses else None,
                "message": _describe_exit(process.returncode),
            }
        printed.seek(0)
        run.printed = printed.read()[-3000:].decode("utf-8", errors="replace")
    run.seconds = time.monotonic() - started
    return run


def _fold(run: Run, event: dict) -> None:
    kind = event["event"]
    if kind == "ready":
        run.n_params, run.vocab_size = event["n_params"], event["vocab_size"]
        run.characters = event["characters"]
    elif kind == "step":
        run.losses.append(event["loss"])
    elif kind == "sample":
        run.samples[event["when"]] = event["text"]
    elif kind == "error":
        run.error = event


# --- what the learner reads -------------------------------------------------------------------

BAR = 24
EIGHTHS = " ▁▂▃▄▅▆▇█"


def _clock(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def progress_line(step: int, steps: int, loss: float, seconds: float) -> str:
    """One line: a bar, the step, the loss, time spent and left (redrawn in place with \\r)."""
    filled = BAR * step / max(steps, 1)
    whole = int(filled)
    partial = EIGHTHS[int((filled - whole) * 8)] if whole < BAR else ""
    bar = ("█" * whole + partial).ljust(BAR, "·")
    left = seconds / max(step, 1) * (steps - step)
    return msg(  # under 80 columns, so that \r redraws it in place on any terminal
        en=f"  [{bar}] {step}/{steps}  loss {loss:.3f}  {_clock(seconds)} (~{_clock(left)} left)",
        ja=f"  [{bar}] {step}/{steps}  損失 {loss:.3f}  {_clock(seconds)}(残り約 {_clock(left)})",
    )


def _columns(values: list[float], width: int) -> list[float]:
    """values averaged into `width` columns (width <= len(values))."""
    n = len(values)
    spans = [values[i * n // width : (i + 1) * n // width] for i in range(width)]
    return [sum(span) / len(span) for span in spans]


def loss_curve(losses: list[float], width: int = 60, height: int = 10) -> str:
    """The loss per step as an area chart of Unicode blocks (eighths of a row), with the
    loss on the left axis from 0 and the steps below: plain text, readable without colour.
    A loss that is not finite is drawn at the top."""
    finite = [x for x in losses if math.isfinite(x)]
    if not finite:
        return msg(en="(no loss to draw)", ja="(描く損失がありません)")
    width = min(width, len(losses))
    columns = _columns([x if math.isfinite(x) else max(finite) for x in losses], width)
    top, bottom = max(columns), min(0.0, min(columns))
    span = (top - bottom) or 1.0
    eighths = [round((c - bottom) / span * height * 8) for c in columns]
    labels = [f"{top:.2f}", f"{(top + bottom) / 2:.2f}", f"{bottom:.2f}"]
    pad = max(map(len, labels))
    rows = []
    for row in range(height, 0, -1):  # the top row first
        cells = "".join(EIGHTHS[min(max(e - (row - 1) * 8, 0), 8)] for e in eighths)
        label = {height: labels[0], (height + 1) // 2: labels[1], 1: labels[2]}.get(row, "")
        rows.append(f"{label:>{pad}} ┤{cells}" if label else f"{'':>{pad}} │{cells}")
    rows.append(f"{'':>{pad}} └{'─' * width}")
    first, last = "1", str(len(losses))
    steps = f"{first}{last:>{width - len(first)}}" if width > len(first + last) else f"1…{last}"
    rows.append(f"{'':>{pad}}  {steps}")
    rows.append(msg(en=f"{'':>{pad}}  loss per step", ja=f"{'':>{pad}}  ステップごとの損失"))
    return "\n".join(rows)


def save_png(losses: list[float], path: Path) -> str | None:
    """Draw the loss curve into `path` with matplotlib; None when done, else why not."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no window: a file only
        import matplotlib.pyplot as plt
    except ImportError:
        return msg(
            en="matplotlib is not installed, so no PNG was drawn (pip install matplotlib; it is "
            "never required)",
            ja="matplotlib が入っていないため PNG は描きませんでした(pip install matplotlib で"
            "入ります。必須ではありません)",
        )
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(range(1, len(losses) + 1), losses)
    axes.set_xlabel("step")
    axes.set_ylabel("loss (cross-entropy)")
    axes.set_title("llmroad capstone: your GPT on Wagahai wa Neko de Aru")  # fonts lack kanji
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as error:
        return msg(en=f"could not write {path}: {error}", ja=f"{path} を書けませんでした: {error}")
    finally:
        plt.close(figure)
    return None


def home_of(function: str | None, course: Course) -> tuple[Day, Task] | None:
    """The day and task whose exercise `function` is, if the catalogue lists it."""
    for day in course.days:
        for task in day.tasks:
            if function in task.functions:
                return day, task
    return None


def function_modules(course: Course) -> dict[str, str]:
    """Each function the capstone uses -> its module in a tree of days ("day21_gpt2.gpt2")."""
    homes = {name: home_of(name, course) for name in USES}
    return {name: f"{day.folder}.{task.module}" for name, (day, task) in homes.items()}


def _task_of(function: str | None, course: Course) -> str:
    """' (21.3)' for a function the catalogue knows, else ''."""
    home = home_of(function, course)
    return f" ({home[1].id})" if home else ""


def error_text(run: Run, course: Course | None = None) -> str:
    """What went wrong in the learner's code during training, and what to do."""
    error = run.error or {}
    course = course or load_course()
    function = error.get("function")
    named = f"{function}{_task_of(function, course)}" if function else ""
    if error.get("step"):
        where = msg(en=f" at step {error['step']}", ja=f"ステップ {error['step']} で")
    elif run.losses:
        where = msg(en=" after training", ja="学習後に")
    else:
        where = msg(en=" before training", ja="学習前に")
    detail = error.get("message", "")
    kind = error.get("kind")
    if kind == "import":
        text = msg(
            en=f"your {named} could not be loaded: {detail}",
            ja=f"あなたの {named} を読み込めませんでした: {detail}",
        )
    elif kind == "hang" and function:
        text = msg(
            en=f"your {named} did not return{where}: stopped after {run.settings.call_timeout:g} s. "
            "Look for an endless loop, or a loop over many elements that should be vectorised",
            ja=f"あなたの {named} が{where}戻ってきませんでした。{run.settings.call_timeout:g} 秒で止めました。"
            "終わらないループや、ベクトル化すべき要素ごとのループを探しましょう",
        )
    elif kind == "hang":
        text = msg(
            en=f"the training stopped responding{where} ({detail}); it was stopped",
            ja=f"学習が{where}応答しなくなったので止めました({detail})",
        )
    elif kind == "raised" and function:
        text = msg(
            en=f"your {named} raised an error{where}: {detail}",
            ja=f"あなたの {named} が{where}エラーを出しました: {detail}",
        )
    elif kind == "wrong":
        text = msg(
            en=f"your {named} returned something the training cannot use{where}: {detail}",
            ja=f"あなたの {named} が{where}、学習に使えない値を返しました: {detail}",
        )
    else:
        text = msg(
            en=f"the training failed{where}: {detail}",
            ja=f"学習が{where}失敗しました: {detail}",
        )
    advice = msg(
        en="Your days pass their tests, yet this went wrong in a longer run: run "
        "llmroad check on the day of that function, and look at what your code does with "
        "larger inputs or over many steps.",
        ja="各日のテストには合格していますが、長い学習の中で問題が起きました。その関数の日を "
        "llmroad check で確かめ、大きな入力や多くのステップでの振る舞いを見直しましょう。",
    )
    lines = [text, advice] if kind in ("raised", "wrong") else [text]
    if run.printed.strip():
        lines.append(
            msg(en="What your code printed last:", ja="あなたのコードが最後に出力した内容:")
        )
        lines.append(run.printed.rstrip()[-1000:])
    return "\n".join(lines)


def used_text(gate: Gate, settings: Settings, course: Course | None = None) -> str:
    names = ", ".join(d.id for d in gate.needed)
    course = course or load_course()
    by_day: dict[str, list[str]] = {}  # day id -> the functions of it the capstone uses
    for name in USES:
        by_day.setdefault(home_of(name, course)[0].id, []).append(name)
    en_uses = "; ".join(f"{', '.join(fs)} of {day}" for day, fs in by_day.items())
    ja_uses = " と ".join(f"{day} の {'、'.join(fs)}" for day, fs in by_day.items())
    c = settings.config
    return msg(
        en=f"All the days the capstone needs pass: {names}.\n"
        f"Training a GPT-2 built only from your functions ({en_uses}) on the "
        f"opening of 吾輩は猫である, one character per token: {c['n_layers']} blocks, "
        f"{c['n_heads']} heads, width {c['d_model']}, context {c['max_len']}, "
        f"{settings.steps} steps of {settings.batch_size} windows, seed {settings.seed}.",
        ja=f"卒業制作に必要な日はすべて合格しています: {names}。\n"
        f"あなたの関数だけで組んだ GPT-2({ja_uses})を、『吾輩は猫である』の冒頭で、"
        f"1 文字 1 トークンとして学習させます: {c['n_layers']} ブロック、{c['n_heads']} ヘッド、"
        f"幅 {c['d_model']}、文脈長 {c['max_len']}、{settings.batch_size} 窓 × {settings.steps} "
        f"ステップ、seed {settings.seed}。",
    )


def samples_text(run: Run) -> str:
    prompt = run.settings.prompt
    lines = []
    for when, en, ja in (
        ("before", "before training", "学習前"),
        ("after", f"after {len(run.losses)} steps", f"{len(run.losses)} ステップ学習後"),
    ):
        if when in run.samples:
            text = run.samples[when].replace("\n", "⏎")
            lines.append(msg(en=f"Sample {en}:", ja=f"{ja}のサンプル:"))
            lines.append(f"  「{prompt}」{text[len(prompt) :]}")
    return "\n".join(lines)


def summary_text(run: Run, gate: Gate) -> str:
    first = sum(run.losses[:10]) / len(run.losses[:10])
    last = sum(run.losses[-10:]) / len(run.losses[-10:])
    return msg(
        en=f"Loss {first:.3f} → {last:.3f} (mean of the first and last 10 steps; a uniform "
        f"guess over the {run.vocab_size} characters is {math.log(run.vocab_size):.3f}). "
        f"{run.n_params:,} parameters; checking took {gate.seconds:.0f} s, training "
        f"{run.seconds:.0f} s.",
        ja=f"損失 {first:.3f} → {last:.3f}(最初と最後の 10 ステップの平均。{run.vocab_size} "
        f"文字から一様に当てずっぽうで選ぶと {math.log(run.vocab_size):.3f})。"
        f"パラメータ {run.n_params:,} 個。確認に {gate.seconds:.0f} 秒、学習に "
        f"{run.seconds:.0f} 秒かかりました。",
    )


def run_json(gate: Gate, run: Run | None, png: str | None = None) -> dict:
    data = {"ok": gate.ok and run is not None and run.ok, "gate": gate_json(gate)}
    if run is not None:
        data |= {
            "tree": str(gate.tree) if gate.tree else None,
            "config": {**run.settings.config, "vocab_size": run.vocab_size},
            "steps": run.settings.steps,
            "seed": run.settings.seed,
            "prompt": run.settings.prompt,
            "n_params": run.n_params,
            "corpus_characters": run.characters,
            "losses": run.losses,
            "samples": run.samples,
            "seconds": round(run.seconds, 3),
            "interrupted": run.interrupted,
            "error": run.error,
            "png": png,
        }
    return data
