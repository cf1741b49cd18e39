"""The `llmroad` command. Each command parses, calls the core, and renders; nothing else.

Output is for people by default (colour only on a terminal) and JSON with --json.
Exit status: 0 every checked test passes, 1 some do not, 2 bad usage.
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
from checker.core.layout import PROJECT_ROOT, named_tree
from checker.grading import exports
from checker.grading.bundle import build_bundle
from checker.grading.grade import Settings, find_submissions, grade_all, grade_one, suite_tests
from checker.learner.checking import Workspace, check
from checker.learner.hints import next_hint
from checker.learner.progress import Progress


def _days(names: tuple[str, ...], all_days: bool) -> list[Day]:
    course = load_course()
    if all_days:
        return list(course.days)
    if not names:
        raise click.UsageError("name a day (llmroad check day01) or use --all")
    try:
        return list(dict.fromkeys(course.day(name) for name in names))
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="DAY") from None


def _tree(value: str | None) -> Path | None:
    """The tree --impl names; None for the workspace's own exercises."""
    if value is None or value == "exercises":
        return None
    path = named_tree(str(Path(value).expanduser()))
    if not path.is_dir():
        raise click.BadParameter(f"{value} is not a folder", param_hint="--impl")
    return path


def _load_progress(workspace: Workspace) -> Progress:
    """The stored progress; a file that had to be set aside is reported on stderr."""
    progress, warning = workspace.progress.load()
    if warning:
        click.secho(warning, fg="yellow", err=True)
    return progress


def _show(as_json: bool, data: Callable[[], object], text: Callable[[], str]) -> None:
    click.echo(json.dumps(data(), ensure_ascii=False, indent=2) if as_json else text())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="LLMROAD_WORKSPACE",
    help="The folder holding your exercises/ (default: found from here upwards).",
)
@click.version_option(package_name="llmroad")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None) -> None:
    """llmroad — build the road to an LLM, one day at a time (LLMへ至る道)."""
    root = workspace.resolve() if workspace else None
    ctx.obj = Workspace(root) if root else Workspace.find(Path.cwd(), PROJECT_ROOT)


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@click.option("--markdown", is_flag=True, help="Print the course index as a Markdown table.")
@click.pass_obj
def list_days(workspace: Workspace, as_json: bool, markdown: bool) -> None:
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


@main.command("check")
@click.argument("days", nargs=-1)
@click.option("--all", "all_days", is_flag=True, help="Check every day.")
@click.option(
    "--impl",
    metavar="exercises|solutions|PATH",
    help="The tree to check (default: your exercises/).",
)
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
    workspace: Workspace,
    days: tuple[str, ...],
    all_days: bool,
    impl: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Run the hidden tests of DAY (day16, 16 or day16_attention) and say what is left."""
    chosen = _days(days, all_days)
    report = check(workspace, chosen, _tree(impl), timeout=timeout)
    for warning in report.warnings:
        click.secho(warning, fg="yellow", err=True)
    _show(
        as_json, lambda: render.check_json(report), lambda: render.check_text(report, load_course())
    )
    sys.exit(0 if report.ok else 1)


@main.command("progress")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
@click.pass_obj
def progress_command(workspace: Workspace, as_json: bool) -> None:
    """Your progress per section and overall."""
    progress = _load_progress(workspace)
    _show(
        as_json,
        lambda: render.progress_json(load_course(), progress),
        lambda: render.progress_text(load_course(), progress),
    )


@main.command("hint")
@click.argument("target")
@click.option("--level", type=click.IntRange(min=1), help="Show this hint level (1 is gentlest).")
@click.pass_obj
def hint_command(workspace: Workspace, target: str, level: int | None) -> None:
    """A hint for TASK (16.2) or for the next unfinished task of DAY."""
    progress = _load_progress(workspace)
    try:
        hint = next_hint(load_course(), progress, target, level)
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="TASK|DAY") from None
    workspace.progress.save(progress)
    click.echo(render.hint_text(hint))


def _grading_settings(days: str | None, timeout: float, memory_mb: int) -> Settings:
    course = load_course()
    try:
        chosen = [course.day(d) for d in days.split(",") if d] if days else list(course.days)
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="--days") from None
    return Settings([d.folder for d in chosen if d.available], timeout, memory_mb)


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
) -> None:
    """Grade every student's folder or .zip in SUBMISSIONS into a gradebook in --out.

    Learner code runs in a restricted child process; the verdicts are decided outside
    it. Re-running with the same --out reuses grades whose submission is unchanged."""
    settings = _grading_settings(days, timeout, memory_mb)
    if gradescope_bundle:
        count = build_bundle(gradescope_bundle, settings.days, timeout, memory_mb)
        click.echo(
            f"wrote {gradescope_bundle} ({count} files): upload it as the autograder "
            "of a Gradescope programming assignment"
        )
        return
    if submissions is None or out is None:
        raise click.UsageError("give SUBMISSIONS and --out (or --gradescope-bundle FILE.zip)")
    count = len(find_submissions(submissions))
    with click.progressbar(
        length=count, label=f"grading {count} submissions", file=sys.stderr
    ) as bar:
        grades = grade_all(submissions, out, settings, jobs, on_graded=lambda _: bar.update(1))
    exports.write_all(grades, out)
    click.echo(render.grading_text(grades, out))


@main.command("gradescope-run", hidden=True)
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@_grading_options
def gradescope_run(
    submission: Path, results: Path, days: str | None, timeout: float, memory_mb: int
) -> None:
    """Grade one submission inside Gradescope's container (run_autograder calls this)."""
    settings = _grading_settings(days, timeout, memory_mb)
    grade = grade_one("submission", submission, settings, suite_tests(settings))
    exports.write_gradescope(grade, results)
    click.echo(f"{grade.score:g}/{grade.max_score:g} points, status {grade.status}")


if __name__ == "__main__":  # pragma: no cover
    main(prog_name=os.path.basename(sys.argv[0]))
