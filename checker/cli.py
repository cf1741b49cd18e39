"""The `llmroad` command. Each command parses, calls the core, and renders; nothing else.

Output is for people by default (colour only on a terminal) and JSON with --json, in the
language --lang, LLMROAD_LANG or the locale chooses (checker.core.i18n).
Exit status: 0 every checked test passes, 1 some do not, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from checker import render
from checker.core.catalogue import Day, UnknownDay, load_course
from checker.core.i18n import LANGUAGES, current, msg, set_language
from checker.core.layout import named_tree
from checker.grading import exports
from checker.grading.bundle import build_bundle
from checker.grading.grade import (
    Settings,
    find_submissions,
    grade_all,
    grade_submission,
    stopped_by_signals,
)
from checker.learner import capstone, doctor, restore, solution
from checker.learner.checking import check
from checker.learner.hints import HintRefused, next_hint
from checker.learner.progress import Progress
from checker.learner.watch import WatchSession
from checker.learner.workspace import NotAWorkspace, Workspace, init_workspace
from checker.maintainer.commands import dev

DEFAULT_WORKSPACE = "llmroad-work"


class BilingualCommand(click.Command):
    """A command whose description follows the chosen language: the docstring is English,
    `help_ja` its Japanese (click's own words, such as 'Usage:', stay English)."""

    def __init__(self, *args, help_ja: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.help_ja = help_ja

    def _help(self) -> str:
        return msg(en=self.help or "", ja=self.help_ja or self.help or "")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        saved, self.help = self.help, self._help()
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = saved

    def get_short_help_str(self, limit: int = 45) -> str:
        saved, self.help = self.help, self._help()
        try:
            return super().get_short_help_str(limit)
        finally:
            self.help = saved


class LlmroadGroup(click.Group):
    """The command group, with the exits a shell expects and usage errors in the chosen
    language: 2 for bad usage, 130 for Ctrl-C (128 + SIGINT) instead of click's 1."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Abort:
            click.echo(msg(en="interrupted", ja="中断しました"), err=True)
            sys.exit(130)
        except click.UsageError as error:
            _show_usage_error(error)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        sys.exit(code if isinstance(code, int) else 0)  # click returns an Exit's code


def _show_usage_error(error: click.UsageError) -> None:
    if current() != "ja":
        error.show()
        return
    text = error.message
    if isinstance(error, click.BadParameter) and error.param_hint:
        text = f"{error.param_hint} の値が正しくありません: {error.message}"
    command = error.ctx.command_path if error.ctx else "llmroad"
    click.echo(f"エラー: {text}\n使い方は {command} -h で表示されます", err=True)


def command(group: click.Group, name: str, help_ja: str, **kwargs):
    return group.command(name, cls=BilingualCommand, help_ja=help_ja, **kwargs)


def _days(names: tuple[str, ...], all_days: bool) -> list[Day]:
    course = load_course()
    if all_days:
        return list(course.days)
    if not names:
        raise click.UsageError(
            msg(
                en="name a day (llmroad check day01) or use --all",
                ja="日を指定してください(llmroad check day01)。すべてなら --all です",
            )
        )
    try:
        days = list(dict.fromkeys(course.day(name) for name in names))
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="DAY") from None
    unbuilt = [day for day in days if not day.available]
    if unbuilt and len(unbuilt) == len(days):
        listed = ", ".join(day.id for day in unbuilt)
        raise click.BadParameter(
            msg(
                en=f"{listed} is not built yet; built days: {_built_days(course)}",
                ja=f"{listed} はまだ準備中です。用意できている日: {_built_days(course)}",
            ),
            param_hint="DAY",
        )
    return days


def _built_days(course) -> str:
    built = [day.id for day in course.days if day.available]
    return f"{built[0]} … {built[-1]}" if len(built) > 1 else ", ".join(built)


def _tree(value: str | None) -> Path | None:
    """The tree --impl names; None for the workspace's own exercises."""
    if value is None:
        return None
    path = named_tree(str(Path(value).expanduser()))
    if not path.is_dir():
        raise click.BadParameter(
            msg(en=f"{value} is not a folder", ja=f"{value} はフォルダではありません"),
            param_hint="--impl",
        )
    return path


def _no_workspace() -> click.UsageError:
    return click.UsageError(
        msg(
            en="no llmroad workspace here or above: create one with `llmroad init` "
            f"(it makes ./{DEFAULT_WORKSPACE}), then cd into it",
            ja="ここにも上のフォルダにも llmroad の作業フォルダがありません。`llmroad init` で"
            f"作り(./{DEFAULT_WORKSPACE} ができます)、その中に cd してください",
        )
    )


def _load_progress(workspace: Workspace | None) -> Progress:
    """The stored progress (none without a workspace); a file that had to be set aside is
    reported on stderr."""
    if workspace is None:
        return Progress()
    progress, warning = workspace.progress.load()
    if warning:
        click.secho(warning, fg="yellow", err=True)
    return progress


def _show(as_json: bool, data: Callable[[], object], text: Callable[[], str]) -> None:
    click.echo(json.dumps(data(), ensure_ascii=False, indent=2) if as_json else text())


def _choose_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    set_language(value)  # None: LLMROAD_LANG, then the locale


@click.group(
    cls=LlmroadGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    is_eager=True,
    expose_value=False,
    callback=_choose_language,
    help="Language of the messages: ja or en (default: LLMROAD_LANG, then the locale).",
)
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="LLMROAD_WORKSPACE",
    help="Your workspace folder (default: found from here upwards).",
)
@click.version_option(package_name="llmroad")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None) -> None:
    """llmroad — build the road to an LLM, one day at a time (LLMへ至る道).

    Inside a workspace, on a terminal, plain `llmroad` starts watch mode."""
    ctx.obj = Workspace(workspace.resolve()) if workspace else Workspace.find(Path.cwd())
    if ctx.invoked_subcommand is None:
        if ctx.obj is not None and sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(watch_command, day=None, manual=False)
        else:
            click.echo(ctx.get_help())


@command(
    main,
    "init",
    help_ja="作業フォルダ DIR を作ります(既定: ./llmroad-work)。既にあれば、コースに"
    "加わった日だけを足します。あなたのファイルは上書きしません。",
)
@click.argument("folder", metavar="DIR", required=False, type=click.Path(path_type=Path))
@click.pass_obj
def init_command(workspace: Workspace | None, folder: Path | None) -> None:
    """Create your workspace DIR (default ./llmroad-work), or add to it the days the course
    has gained since. A file that is already there is never overwritten."""
    root = folder or (workspace.root if workspace else Path(DEFAULT_WORKSPACE))
    try:
        report = init_workspace(root, load_course())
    except NotAWorkspace as error:
        raise click.UsageError(render.not_a_workspace(error, root)) from None
    click.echo(render.init_text(report, Path.cwd()))


@command(
    main,
    "update",
    help_ja="今いる作業フォルダに、コースに加わった日を足します(llmroad init と同じ)。",
)
@click.pass_obj
def update_command(workspace: Workspace | None) -> None:
    """Add the days the course has gained to this workspace (the same as llmroad init)."""
    if workspace is None:
        raise _no_workspace()
    click.echo(render.init_text(init_workspace(workspace.root, load_course()), Path.cwd()))


@command(main, "list", help_ja="すべての日: 編、題名、あなたの進み具合。")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@click.option("--markdown", is_flag=True, help="Print the course index as a Markdown table.")
@click.pass_obj
def list_days(workspace: Workspace | None, as_json: bool, markdown: bool) -> None:
    """Every day: its section, titles and your status."""
    if markdown:
        click.echo(render.days_markdown(load_course()))
        return
    progress = _load_progress(workspace)
    _show(
        as_json,
        lambda: render.list_json(load_course(), progress),
        lambda: render.list_text(load_course(), progress),
    )


@command(
    main,
    "check",
    help_ja="DAY(day16、16、day16_attention)の隠しテストを走らせ、残っていることを伝えます。",
)
@click.argument("days", nargs=-1)
@click.option("--all", "all_days", is_flag=True, help="Check every day.")
@click.option(
    "--impl",
    metavar="solutions|PATH",
    help="Check another tree of day folders (default: your workspace's exercises/).",
)
@click.option("-v", "--verbose", is_flag=True, help="Every failing test's message, per task.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds one test may take.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@click.pass_obj
def check_command(
    workspace: Workspace | None,
    days: tuple[str, ...],
    all_days: bool,
    impl: str | None,
    verbose: bool,
    timeout: float,
    as_json: bool,
) -> None:
    """Run the hidden tests of DAY (day16, 16 or day16_attention) and say what is left."""
    chosen = _days(days, all_days)
    tree = _tree(impl)
    if tree is None and workspace is None:
        raise _no_workspace()
    report = check(workspace, chosen, tree, timeout=timeout)
    for warning in report.warnings:
        click.secho(warning, fg="yellow", err=True)
    _show(
        as_json,
        lambda: render.check_json(report),
        lambda: render.check_text(report, load_course(), verbose),
    )
    sys.exit(0 if report.ok else 1)


@command(main, "progress", help_ja="編ごとと全体の進み具合。")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@click.pass_obj
def progress_command(workspace: Workspace | None, as_json: bool) -> None:
    """Your progress per section and overall."""
    if workspace is None:
        raise _no_workspace()
    progress = _load_progress(workspace)
    _show(
        as_json,
        lambda: render.progress_json(load_course(), progress),
        lambda: render.progress_text(load_course(), progress),
    )


@command(main, "hint", help_ja="TASK(16.2)か、DAY の次の未完了タスクのヒント。")
@click.argument("target")
@click.option("--level", type=int, help="Show this hint level (1 is gentlest).")
@click.pass_obj
def hint_command(workspace: Workspace | None, target: str, level: int | None) -> None:
    """A hint for TASK (16.2) or for the next unfinished task of DAY."""
    progress = _load_progress(workspace)
    try:
        hint = next_hint(load_course(), progress, target, level)
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="TASK|DAY") from None
    except HintRefused as refused:
        if refused.usage:
            raise click.BadParameter(str(refused), param_hint="--level") from None
        click.echo(str(refused))
        return
    if workspace is not None:
        workspace.progress.save(progress)
    click.echo(render.hint_text(hint))


def _task_or_day(target: str):
    """(day, task or None) for TASK (16.2) or DAY; a usage error for an unknown or unbuilt one."""
    course = load_course()
    try:
        day = course.day(target.partition(".")[0])
        if not day.available:
            raise click.BadParameter(
                msg(en=f"{day.id} is not built yet", ja=f"{day.id} はまだ準備中です"),
                param_hint="TASK|DAY",
            )
        return (day, course.task(target)[1]) if "." in target else (day, None)
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="TASK|DAY") from None


@command(
    main,
    "reset",
    help_ja="TASK か DAY をスタブに戻します(確認のあと)。あなたの版は .llmroad/backups に"
    "残り、llmroad reset --undo で戻せます。",
)
@click.argument("target", metavar="TASK|DAY", required=False)
@click.option("--undo", is_flag=True, help="Put back what the last reset replaced.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def reset_command(workspace: Workspace | None, target: str | None, undo: bool, yes: bool) -> None:
    """Put TASK (16.2) or DAY back to its stub, after a confirmation. Your version is kept
    in .llmroad/backups; llmroad reset --undo brings it back."""
    if workspace is None:
        raise _no_workspace()
    try:
        if undo:
            click.echo(render.restored_text(restore.undo(workspace), workspace, undone=True))
            return
        if not target:
            raise click.UsageError(
                msg(
                    en="name a task or a day (llmroad reset 1.2), or --undo",
                    ja="タスクか日を指定してください(llmroad reset 1.2)。または --undo",
                )
            )
        day, task = _task_or_day(target)
        name = task.id if task else day.id
        if not yes:
            click.confirm(
                msg(
                    en=f"put {name} back to its stub? (your version is kept; llmroad reset --undo brings it back)",
                    ja=f"{name} をスタブに戻しますか?(あなたの版は保存され、llmroad reset --undo で戻せます)",
                ),
                abort=True,
            )
        done = (
            restore.reset_task(workspace, day, task) if task else restore.reset_day(workspace, day)
        )
    except restore.CannotRestore as error:
        raise click.ClickException(str(error)) from None
    click.echo(render.restored_text(done, workspace, undone=False))


@command(
    main, "solution", help_ja="TASK の模範解答を表示します。あなたの版が合格してからだけです。"
)
@click.argument("target", metavar="TASK")
@click.pass_obj
def solution_command(workspace: Workspace | None, target: str) -> None:
    """Show the reference version of TASK (16.2), once your own passes, to compare."""
    if workspace is None:
        raise _no_workspace()
    day, task = _task_or_day(target)
    if task is None:
        raise click.BadParameter(
            msg(en="name a task, such as 1.2", ja="1.2 のようにタスクを指定してください"),
            param_hint="TASK",
        )
    try:
        text = solution.solution(workspace, _load_progress(workspace), day, task)
    except solution.NotYet as error:
        click.echo(str(error))
        sys.exit(1)
    click.echo(render.solution_text(task, text))


@command(
    main,
    "doctor",
    help_ja="Python、NumPy、pytest、作業フォルダ、進み具合を調べ、問題ごとに対処法を伝えます。",
)
@click.pass_obj
def doctor_command(workspace: Workspace | None) -> None:
    """Check Python, NumPy, pytest, the workspace and the progress file, and say what to
    do about each problem."""
    findings = doctor.diagnose(workspace, load_course())
    click.echo(render.doctor_text(findings))
    sys.exit(0 if all(f.ok for f in findings) else 1)


def _watched_day(workspace: Workspace, name: str | None) -> Day:
    """DAY, else the first built day whose progress does not say it passes."""
    course = load_course()
    if name:
        return _days((name,), False)[0]
    progress = _load_progress(workspace)
    built = [d for d in course.days if d.available]
    return next(
        (d for d in built if not (d.id in progress.days and progress.days[d.id].passing)),
        built[-1],
    )


@command(
    main,
    "watch",
    help_ja="保存するたびに DAY(既定: 次の未完了の日)を確認し直します。キー: n 次のタスク、"
    "h ヒント、l 一覧、c 全部を確認、r もう一度、q 終了。",
)
@click.argument("day", required=False)
@click.option("--manual", is_flag=True, help="Check only when you press r (no file watching).")
@click.pass_obj
def watch_command(workspace: Workspace | None, day: str | None, manual: bool) -> None:
    """Check DAY (default: your next unfinished day) again each time you save. Keys: n next
    task, h hint, l list, c check all, r re-run, q quit."""
    if workspace is None:
        raise _no_workspace()
    if not sys.stdin.isatty():
        raise click.UsageError(
            msg(
                en="watch needs a terminal to read keys; use llmroad check instead",
                ja="watch はキー入力のため端末が必要です。代わりに llmroad check を使ってください",
            )
        )
    from checker import terminal  # termios: only where there is a terminal

    session = WatchSession(
        workspace, load_course(), _watched_day(workspace, day), lambda days: check(workspace, days)
    )
    sys.exit(terminal.watch(session, manual))


def _capstone_progress(as_json: bool) -> Callable[[dict], None]:
    """Draw each training step: a bar redrawn in place on a terminal, else a line every
    tenth of the run; on stderr, so that --json's stdout stays JSON."""
    live = sys.stderr.isatty()

    def draw(event: dict) -> None:
        if event["event"] != "step" or (as_json and not live):
            return
        step, steps = event["step"], event["steps"]
        line = capstone.progress_line(step, steps, event["loss"], event["seconds"])
        if live:
            click.echo("\r" + line + "\x1b[K", nl=step == steps, err=True)  # K: clear the rest
        elif step == steps or step % max(steps // 10, 1) == 0:
            click.echo(line, err=True)

    return draw


@command(
    main,
    "capstone",
    help_ja="卒業制作: day21 とその材料の日がすべて合格したら、あなた自身の関数だけで組んだ"
    "小さな GPT を『吾輩は猫である』で学習させ、進み具合と損失の曲線を描き、学習前後の"
    "サンプル文を見せます。",
)
@click.option(
    "--impl",
    metavar="solutions|PATH",
    help="Use another tree of day folders (default: your workspace's exercises/).",
)
@click.option(
    "--steps",
    type=click.IntRange(min=1),
    default=capstone.STEPS,
    show_default=True,
    help="Training steps.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the run.")
@click.option(
    "--prompt", default=capstone.PROMPT, show_default=True, help="Text the samples start from."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=capstone.CALL_TIMEOUT,
    show_default=True,
    help="Seconds one call into your code (and one test of the check) may take.",
)
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the loss curve into this PNG (needs matplotlib; default: "
    "capstone-loss.png in your workspace, when matplotlib is installed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@click.pass_obj
def capstone_command(
    workspace: Workspace | None,
    impl: str | None,
    steps: int,
    seed: int,
    prompt: str,
    timeout: float,
    png: Path | None,
    as_json: bool,
) -> None:
    """The capstone: once day21 and every day it builds on pass, train a tiny GPT built only
    from your own functions on 吾輩は猫である, with a progress bar and a loss curve, and
    compare its samples before and after."""
    tree = _tree(impl)
    if tree is None and workspace is None:
        raise _no_workspace()
    unknown = capstone.unknown_characters(prompt)
    if unknown or not prompt or len(prompt) >= capstone.CONFIG["max_len"]:
        raise click.BadParameter(
            msg(
                en=f"the prompt must be 1 to {capstone.CONFIG['max_len'] - 1} characters of the "
                f"corpus; it has none of {' '.join(unknown) or 'these'}",
                ja=f"プロンプトはコーパスにある文字で 1〜{capstone.CONFIG['max_len'] - 1} 文字に"
                f"してください。{' '.join(unknown) or 'これら'} はコーパスにありません",
            )
            if unknown
            else msg(
                en=f"the prompt must be 1 to {capstone.CONFIG['max_len'] - 1} characters long",
                ja=f"プロンプトは 1〜{capstone.CONFIG['max_len'] - 1} 文字にしてください",
            ),
            param_hint="--prompt",
        )
    if not as_json:
        names = ", ".join(d.id for d in capstone.needed_days(load_course()))
        click.echo(
            msg(
                en=f"Checking the days the capstone is built from ({names}) with the tests of "
                "llmroad check: this can take a minute…",
                ja=f"卒業制作の材料になる日({names})を llmroad check と同じテストで確かめて"
                "います。1 分ほどかかることがあります…",
            )
        )
    gate = capstone.gate(workspace, tree, timeout=timeout)
    if not gate.ok:
        _show(
            as_json,
            lambda: capstone.run_json(gate, None),
            lambda: capstone.refusal_text(gate, impl),
        )
        sys.exit(1)
    settings = capstone.Settings(steps=steps, seed=seed, prompt=prompt, call_timeout=timeout)
    if not as_json:
        click.echo(capstone.used_text(gate, settings))
    run = capstone.train(gate.tree, settings, on_event=_capstone_progress(as_json))
    if sys.stderr.isatty() and run.losses and len(run.losses) < steps:
        click.echo(err=True)  # end the bar's line
    drawn = None
    if run.ok and (png or workspace is not None):
        path = png or workspace.root / "capstone-loss.png"
        why_not = capstone.save_png(run.losses, path)
        if why_not is None:
            drawn = str(path)
        elif png:  # asked for, so say why not; never required otherwise
            click.secho(why_not, fg="yellow", err=True)
    if as_json:
        click.echo(json.dumps(capstone.run_json(gate, run, drawn), ensure_ascii=False, indent=2))
    else:
        parts = [capstone.loss_curve(run.losses)] if run.losses else []
        parts.append(capstone.samples_text(run))
        if run.ok:
            parts.append(capstone.summary_text(run, gate))
            if drawn:
                parts.append(
                    msg(en=f"Loss curve drawn in {drawn}", ja=f"損失の曲線を {drawn} に描きました")
                )
        elif run.interrupted:
            parts.append(
                msg(
                    en=f"Interrupted after {len(run.losses)} of {steps} steps; nothing was saved.",
                    ja=f"{steps} ステップ中 {len(run.losses)} ステップで中断しました。何も保存していません。",
                )
            )
        else:
            parts.append(capstone.error_text(run))
        click.echo("\n\n".join(p for p in parts if p))
    sys.exit(0 if run.ok else 130 if run.interrupted else 1)


def _grading_settings(days: str | None, timeout: float, memory_mb: int, budget: float) -> Settings:
    course = load_course()
    try:
        chosen = [course.day(d) for d in days.split(",") if d] if days else list(course.days)
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="--days") from None
    return Settings([d.folder for d in chosen if d.available], timeout, memory_mb, budget)


GRADING_OPTIONS = (  # shared by `grade` and the bundle's `gradescope-run`
    click.option("--days", metavar="DAY,DAY,...", help="Days to grade (default: all built)."),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0.5),
        default=Settings.timeout,
        show_default=True,
        help="Seconds one call into learner code may take.",
    ),
    click.option(
        "--memory-mb",
        type=click.IntRange(min=256),
        default=Settings.memory_mb,
        show_default=True,
        help="Memory limit of the learner's process.",
    ),
    click.option(
        "--budget",
        type=click.FloatRange(min=1),
        default=Settings.budget,
        show_default=True,
        help="Seconds all of one submission's calls into its code may take together.",
    ),
)


def _grading_options(command):
    for option in reversed(GRADING_OPTIONS):
        command = option(command)
    return command


@main.command("grade")
@click.argument(
    "submissions", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where grades.csv, grades.json and each <student>/results.json go.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="Submissions graded at once.",
)
@click.option(
    "--gradescope-bundle",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Instead of grading, write a Gradescope autograder bundle (.zip).",
)
@_grading_options
def grade_command(
    submissions: Path | None,
    out: Path | None,
    jobs: int,
    gradescope_bundle: Path | None,
    days: str | None,
    timeout: float,
    memory_mb: int,
    budget: float,
) -> None:
    """Grade every student's folder or .zip in SUBMISSIONS into a gradebook in --out.

    Learner code runs in a restricted child process; the verdicts are decided outside
    it. Re-running with the same --out reuses grades whose submission is unchanged."""
    settings = _grading_settings(days, timeout, memory_mb, budget)
    if gradescope_bundle:
        count = build_bundle(gradescope_bundle, settings)
        click.echo(
            f"wrote {gradescope_bundle} ({count} files): upload it as the autograder "
            "of a Gradescope programming assignment"
        )
        return
    if submissions is None or out is None:
        raise click.UsageError("give SUBMISSIONS and --out (or --gradescope-bundle FILE.zip)")
    count = len(find_submissions(submissions))
    with (
        stopped_by_signals(),
        click.progressbar(
            length=count, label=f"grading {count} submissions", file=sys.stderr
        ) as bar,
    ):
        grades = grade_all(submissions, out, settings, jobs, on_graded=lambda _: bar.update(1))
    exports.write_all(grades, out)
    click.echo(render.grading_text(grades, out))


@main.command("gradescope-run", hidden=True)
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@_grading_options
def gradescope_run(
    submission: Path, results: Path, days: str | None, timeout: float, memory_mb: int, budget: float
) -> None:
    """Grade one submission inside Gradescope's container (run_autograder calls this)."""
    settings = _grading_settings(days, timeout, memory_mb, budget)
    with stopped_by_signals():
        grade = grade_submission(submission, settings)
    exports.write_gradescope(grade, results)
    click.echo(f"{grade.score:g}/{grade.max_score:g} points, status {grade.status}")
    if grade.note:
        click.echo(grade.note, err=True)


main.add_command(dev)  # the maintainers' commands (llmroad dev mutate ...)


def run() -> None:
    """The `llmroad` script."""
    main(prog_name="llmroad")


if __name__ == "__main__":  # pragma: no cover
    run()
