"""`llmroad dev ...`: the maintainers' commands. Each parses, calls the engine, renders.

    llmroad dev mutate day01 [day02 ...] [--jobs N] [--seeds N] [--json]

measures each day's suite with mutation testing (checker.maintainer.mutate): a day ships
when its suite kills at least 98% of the non-equivalent mutants of its reference and
passes for every seed asked for. Exit status: 0 when every day does, 1 otherwise, 2 for
bad usage.
"""

from __future__ import annotations

import json
import sys

import click

from checker.core.catalogue import Day, UnknownDay, load_course
from checker.maintainer.mutate import (
    EQUIVALENTS_FILE,
    THRESHOLD,
    DayReport,
    MutationConfigError,
    Settings,
    default_jobs,
    mutants_of_day,
    mutate_day,
)


def _days(names: tuple[str, ...]) -> list[Day]:
    course = load_course()
    try:
        days = list(dict.fromkeys(course.day(name) for name in names))
    except UnknownDay as error:
        raise click.BadParameter(str(error), param_hint="DAY") from None
    unbuilt = [day.id for day in days if not day.available]
    if unbuilt:
        raise click.BadParameter(f"{', '.join(unbuilt)}: not built yet", param_hint="DAY")
    return days


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is JSON's, here


def equivalents_path_text(report: DayReport) -> str:
    return f"tests/days/{report.folder}/{EQUIVALENTS_FILE}"


def table_line(report: DayReport) -> str:
    """One line per day: `day01    84 mutants    83 killed    0 equivalent    1 survived   98.8%  seeds 20/20  ok`."""
    seeds = f"  seeds {report.seeds_passed}/{len(report.seeds)}" if report.seeds else ""
    verdict = "ok" if report.ok else "NOT OK"
    return (
        f"{report.day}  {report.mutants:4d} mutants  {report.killed:4d} killed  "
        f"{len(report.equivalent):3d} equivalent  {len(report.survivors):3d} survived  "
        f"{report.score:5.1f}%{seeds}  {verdict}"
    )


def render_day(report: DayReport) -> str:
    """A day's findings: survivors with their diffs, equivalents, stale entries, seeds."""
    head = f"{report.day} ({report.folder})"
    if report.problem:
        return f"{head}: {report.problem}"
    runs = len(report.results) + len(report.seeds)
    per_mutant = (report.seconds - report.baseline_seconds) / max(runs, 1)
    lines = [
        f"{head}: {report.mutants} mutants in {report.seconds:.0f} s "
        f"({per_mutant:.2f} s each; the suite takes {report.baseline_seconds:.2f} s on the "
        f"reference, a mutant may take {report.time_limit:.0f} s)"
    ]
    timeouts, imports = report.count("timeout"), report.count("import")
    if timeouts or imports:
        lines.append(
            f"  killed: {report.killed} ({timeouts} by the time limit, {imports} at import)"
        )
    if report.survivors:
        lines.append(
            f"  {len(report.survivors)} survived. Strengthen the suite, or, if a mutant truly "
            f"cannot change behaviour, add it to {equivalents_path_text(report)} with a reason:"
        )
        for result in report.survivors:
            lines += ["", _indent(result.mutant.diff), "  [[equivalent]]"]
            lines += [f"  id = {_toml_string(result.mutant.id)}", '  reason = ""']
    for result in report.results:
        if result.status == "timeout":
            lines.append(f"  timed out (counted as killed): {result.mutant.id}")
    if report.equivalent:
        lines.append(f"  {len(report.equivalent)} equivalent, not run:")
        lines += [f"    {e.id} — {e.reason}" for e in report.equivalent]
    if report.stale:
        lines.append(
            f"  {len(report.stale)} stale in {equivalents_path_text(report)} "
            "(no such mutant any more; remove them):"
        )
        lines += [f"    {e.id}" for e in report.stale]
    for seed in report.seeds:
        if not seed.passed:
            what = "timed out" if seed.timed_out else "fails"
            lines.append(f"  seed {seed.seed} {what}: {', '.join(seed.failed)}")
    return "\n".join(lines)


def _progress(day: Day):
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\r{day.id}: {done}/{total}", nl=done == total, err=True)

    return show


@click.group("dev", hidden=True)
def dev() -> None:
    """Maintainers' tools: measure the course's own suites."""


@dev.command("mutate")
@click.argument("days", nargs=-1, required=True, metavar="DAY...")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=default_jobs,
    show_default="the number of cores",
    help="Mutants run at a time.",
)
@click.option(
    "--seeds",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Also run the unmutated suite with seeds 0 .. N-1; every one must pass.",
)
@click.option("--only", multiple=True, metavar="ID", help="Run only this mutant (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), help="Run only the first N mutants.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds a mutant may run (default: 10x the suite's time on the reference + 10).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for tools.")
def mutate(
    days: tuple[str, ...],
    jobs: int,
    seeds: int,
    only: tuple[str, ...],
    limit: int | None,
    timeout: float | None,
    as_json: bool,
) -> None:
    """Mutation-test the suites of DAY... (day01, 1 or day01_ml_basics).

    Every single-change mutant of the day's reference modules is run against the day's
    suite; the suite must kill at least 98% of those not listed in the suite's
    equivalent_mutants.toml. Prints each survivor's id and diff, ready to paste there.
    """
    chosen = _days(days)
    if only:
        known = {mutant.id for day in chosen for mutant in mutants_of_day(day)}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise click.BadParameter(f"no mutant has the id {unknown[0]!r}", param_hint="--only")
    settings = Settings(jobs=jobs, seeds=seeds, only=only or None, limit=limit, timeout=timeout)
    reports = []
    for day in chosen:
        try:
            reports.append(mutate_day(day, settings, progress=_progress(day)))
        except MutationConfigError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        data = {"threshold": THRESHOLD, "days": [report.to_dict() for report in reports]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo("\n\n".join(render_day(report) for report in reports))
        click.echo("")
        click.echo("\n".join(table_line(report) for report in reports))
    sys.exit(0 if all(report.ok for report in reports) else 1)
