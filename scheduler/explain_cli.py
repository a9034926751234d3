"""`tot explain` and `tot repair`: why no timetable exists, and re-planning with few changes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from models import Instance
from scheduler.checker import check
from scheduler.cli import (
    EXIT_FOUND,
    EXIT_NONE,
    LangOption,
    SeedOption,
    WorkersOption,
    _fail,
    _guard,
    _language,
    _ProgressPrinter,
    _solve_interruptibly,
    app,
    check_output_path,
    print_summary,
    write_output,
)
from scheduler.diagnose import load_lenient
from scheduler.explain import Explanation, explain
from scheduler.i18n import number, texts
from scheduler.loader import load_instance
from scheduler.repair import Change, Repair, change_name, pinned_sessions, repair, status_caveat
from scheduler.report import Wrapped, fit_columns, render_penalties, render_violations
from scheduler.solve import Result, StopHandle
from scheduler.timetable_io import read_timetable

__all__ = ["app", "print_explanation"]

LENIENT_SUFFIXES = (".yaml", ".yml", ".json")
"""Instance files read leniently by `tot explain` (staffing and calendars left to diagnosis)."""


def print_explanation(
    console: Console, instance: Instance, lang: str, time_limit: float
) -> Explanation:
    """Explain why `instance` has no timetable, in `lang`, on one screen."""
    _ = texts(lang, "explain").gettext
    explanation = explain(instance, time_limit=time_limit, lang=lang)
    if explanation.verdict == "feasible":
        console.print(_("A timetable exists: no rule stands in the way."))
        return explanation
    if explanation.verdict == "unknown":
        console.print(
            _("Undecided: no timetable and no proof within {seconds}s; try a longer limit.").format(
                seconds=number(time_limit, lang, 1)
            )
        )
        return explanation
    if explanation.stage == "pre-solve":
        heading = _("No timetable can exist, before any search:")
    elif explanation.minimal:
        heading = _("No timetable can exist: these rules cannot all hold (each one is needed):")
    else:
        heading = _("No timetable can exist: these rules cannot all hold:")
    console.print(f"[bold]{escape(heading)}[/bold]")
    # A grid, so that a long message wraps under itself rather than under the rule id.
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for finding in explanation.findings:
        grid.add_row(f"[bold]{finding.rule}[/bold]", escape(finding.message))
        grid.add_row("", f"-> {escape(finding.suggestion)}")
    console.print(Padding(grid, (0, 0, 0, 2)))
    seconds = number(explanation.runtime, lang, 1)
    if explanation.checks:
        done = _("Explained in {seconds}s ({checks} checks).")
    else:  # found before any search
        done = _("Explained in {seconds}s.")
    console.print(done.format(seconds=seconds, checks=explanation.checks))
    return explanation


@app.command("explain")
def explain_command(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance file.")],
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", "-t", help="Seconds for the whole explanation.", min=0.1),
    ] = 60.0,
    lang: LangOption = None,
) -> None:
    """Explain why INSTANCE has no timetable: the rules, entities and dates, and what to relax.

    Exit 0 when a timetable exists, 1 when none can (explained) or it stayed undecided.
    """
    console = Console(highlight=False)
    if instance_path.suffix.lower() in LENIENT_SUFFIXES:
        instance = _guard(lambda: load_lenient(instance_path))
    else:
        instance = _guard(lambda: load_instance(instance_path))
    language = _language(lang, instance)
    explanation = print_explanation(console, instance, language, time_limit)
    raise typer.Exit(EXIT_FOUND if explanation.verdict == "feasible" else EXIT_NONE)


@app.command("repair")
def repair_command(
    instance_path: Annotated[
        Path, typer.Argument(metavar="INSTANCE", help="The instance (as it is now).")
    ],
    published: Annotated[
        Path,
        typer.Option("--from", help="The published timetable (.json or .csv).", show_default=False),
    ],
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="A scenario file whose changes apply to INSTANCE."),
    ] = None,
    pin: Annotated[
        list[str] | None,
        typer.Option(
            "--pin", help="Keep a session (its id) or a whole date (YYYY-MM-DD) as published."
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", "-t", help="Seconds.", min=0.01)
    ] = None,
    workers: WorkersOption = None,
    seed: SeedOption = None,
    deterministic: Annotated[bool, typer.Option("--deterministic")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the new timetable (as tot solve).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    lang: LangOption = None,
) -> None:
    """Re-plan after a change, moving as few published sessions as the rules allow."""
    console = Console(highlight=False)
    check_output_path(out, inputs=[instance_path, published, *([scenario] if scenario else [])])
    instance = _guard(lambda: load_instance(instance_path))
    if scenario is not None:
        from scheduler.scenario import apply_scenario, load_scenario

        changes = _guard(lambda: load_scenario(scenario))
        base = instance
        instance = _guard(lambda: apply_scenario(changes, base, scenario))
    language = _language(lang, instance)
    _ = texts(language, "explain").gettext
    timetable = _guard(lambda: read_timetable(published, instance))
    progress = None if quiet else _ProgressPrinter(Console(stderr=True), language)
    outcome: dict[str, Repair] = {}

    pinned = _guard(lambda: pinned_sessions(timetable, pin or (), str(published)))

    def run(stop: StopHandle) -> Result:
        outcome["repair"] = _guard(
            lambda: repair(
                instance,
                timetable,
                pins=pin or (),
                source=str(published),
                time_limit=time_limit,
                workers=workers,
                seed=seed,
                deterministic=deterministic,
                progress=progress,
                stop=stop,
            )
        )
        return outcome["repair"].result

    _solve_interruptibly(run, language)
    repaired = outcome["repair"]
    result = repaired.result
    if result.timetable is None:
        if result.proven_infeasible:
            if pinned:
                console.print(_("No timetable keeps the pinned sessions and meets every rule."))
            else:
                console.print(_("No timetable meets every rule of the instance as it is now."))
            # Most often a pinned session itself breaks a rule of the changed instance.
            broken = [
                (v.rule, v.message)
                for v in check(instance, timetable, lang=language).violations
                if pinned & set(v.sessions)
            ]
            if broken:
                console.print(_("Pinned sessions that break rules of the instance as it is now:"))
                render_violations(console, broken, language)
            else:
                print_explanation(console, instance, language, time_limit=30.0)
        else:
            console.print(_("No timetable found in time."))
        raise typer.Exit(EXIT_NONE)
    report = check(instance, result.timetable, lang=language)
    agreed = report.feasible and report.total == result.objective
    if agreed and out is not None:
        write_output(out, instance, result.timetable, report, language)
    _print_changes(console, repaired, language)
    weights = {s: instance.policy.weights.of(s) for s in result.penalties}
    render_penalties(
        console, result.penalties, weights, result.objective or 0, report.cost_idr, language,
        instance.policy.cost_unit,
    )  # fmt: skip
    print_summary(console, result, language)
    console.print(status_caveat(language, repaired))
    if not agreed:
        render_violations(console, [(v.rule, v.message) for v in report.violations], language)
        _fail(_("internal error: the checker disagrees with the repair"), EXIT_NONE)
    if out is not None:
        console.print(
            texts(language, "cli").gettext("Timetable written to {path}").format(path=out)
        )


def _print_changes(console: Console, repaired: Repair, lang: str) -> None:
    _ = texts(lang, "explain").gettext
    changed = [*repaired.events, *(c for c in repaired.changes if c.kinds != ("kept",))]
    if changed:
        title = _("What changed")
        table = Table(title=title, title_justify="left")
        # Session ids are copied into `--pin`: whole, on one line; other cells wrap between words.
        table.add_column(_("Session"), no_wrap=True)
        for heading in (_("Change"), _("Before"), _("After")):
            table.add_column(heading)
        for change in changed:
            table.add_row(
                Text(change.session),
                Wrapped(_change_kinds(change, lang)),
                Wrapped(change.before),
                Wrapped(change.after),
            )
        if fit_columns(console, table):
            console.print(table)
        else:  # too narrow for whole ids beside the rest: each change under its session id
            console.print(Text(title, style="table.title"))
            for change in changed:
                line = f"{_change_kinds(change, lang)}: {change.before} → {change.after}"
                console.print(Wrapped(change.session))
                console.print(Padding(Wrapped(line), (0, 0, 0, 2), expand=False))
    console.print(repaired.summary(lang))


def _change_kinds(change: Change, lang: str) -> str:
    return ", ".join(change_name(kind, lang) for kind in change.kinds)
