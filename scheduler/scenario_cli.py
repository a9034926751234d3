"""`tot scenario` and `tot compare`: what-if files and their side-by-side comparison."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from models.common import MAX_SEED, MAX_WORKERS
from scheduler.cli import (
    EXIT_FOUND,
    EXIT_NONE,
    ForceOption,
    LangOption,
    _fail,
    _guard,
    _language,
    app,
    probe_writable,
    refuse_own_input,
    refuse_to_replace,
)
from scheduler.compare import (
    EXECUTORS,
    OUT_SUFFIXES,
    Executor,
    Outcome,
    Settings,
    compare,
    differences_path,
    render_comparison,
    scenario_runs,
    status_text,
    write_comparison,
)
from scheduler.i18n import number, texts
from scheduler.scenario import (
    INSTANCE_OUT_SUFFIXES,
    apply_scenario,
    load_base,
    load_scenario,
    write_instance,
)

__all__ = ["app", "scenario_app"]

WIDE = 200
"""Columns of the comparison when it goes to a file or a pipe."""

scenario_app = typer.Typer(
    help="What-if scenarios: a base instance and the changes that make a variant of it.",
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")

MAX_PARALLEL = 64
"""The most runs `tot compare` solves at the same time (each a process)."""


@scenario_app.command("apply")
def apply_command(
    scenario_path: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario file (.yaml, .yml, .json).")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Write the changed instance: .yaml, .yml or .json."),
    ],
    force: ForceOption = False,
    lang: LangOption = None,
) -> None:
    """Apply the changes of SCENARIO to its base instance and write the result."""
    if out.suffix.lower() not in INSTANCE_OUT_SUFFIXES:
        expected = ", ".join(INSTANCE_OUT_SUFFIXES)
        _fail(f"{out}: cannot write '{out.suffix}' files (expected one of {expected})")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        _fail(f"{out}: folder '{out.parent}' does not exist")
    scenario = _guard(lambda: load_scenario(scenario_path))
    base = _guard(lambda: load_base(scenario, scenario_path))
    instance = _guard(lambda: apply_scenario(scenario, base, scenario_path))
    language = _language(lang, instance)
    refuse_to_replace(out, force, language, inputs=[scenario_path, Path(scenario.base)])
    _ = texts(language, "compare").gettext
    _guard(lambda: write_instance(out, instance))
    Console(highlight=False, soft_wrap=True).print(
        _("Scenario '{name}': {count} change(s) applied to {base}; written to {path}").format(
            name=scenario.name, count=len(scenario.changes), base=scenario.base, path=out
        ),
        markup=False,
    )


@app.command("compare")
def compare_command(
    base_path: Annotated[Path, typer.Argument(metavar="BASE", help="The base instance file.")],
    scenario_paths: Annotated[
        list[Path],
        typer.Argument(metavar="SCENARIO...", help="Scenario files whose base is BASE."),
    ],
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            "-t",
            help="Seconds of search per run (default: the instance's policy); with --seed and "
            "one worker, CP-SAT's deterministic time (about seconds on an idle machine).",
            min=0.01,
        ),
    ] = None,
    parallel: Annotated[
        int | None,
        typer.Option(
            "--parallel",
            "-p",
            help="Runs solved at the same time (default: the CPUs divided by --workers).",
            min=1,
            max=MAX_PARALLEL,
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            help="CP-SAT workers per run (default 1).",
            min=1,
            max=MAX_WORKERS,
        ),
    ] = 1,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            help="Seed of every run; with one worker per run the runs are deterministic: the "
            "same files give the same tables.",
            min=0,
            max=MAX_SEED,
        ),
    ] = None,
    executor: Annotated[
        str,
        typer.Option("--executor", help="Where runs are solved: local processes or dask."),
    ] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="With --executor dask: the scheduler's address, tcp://HOST:PORT "
            "(default: a local cluster).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the comparison: .csv (the differences go to NAME-differences.csv "
            "beside it), .xlsx or .html.",
        ),
    ] = None,
    stable: Annotated[
        bool,
        typer.Option(
            "--stable",
            help="Solve BASE first, then re-plan its timetable for each scenario with the "
            "fewest changes (as tot repair), so that the differences are the forced ones.",
        ),
    ] = False,
    lang: LangOption = None,
) -> None:
    """Solve BASE and each SCENARIO, and compare their key figures and timetables."""
    if executor not in EXECUTORS:
        _fail(f"--executor: '{executor}' is not one of {', '.join(EXECUTORS)}")
    if scheduler is not None and executor != "dask":
        _fail("--scheduler: only with --executor dask")
    if out is not None:
        if out.suffix.lower() not in OUT_SUFFIXES:
            expected = ", ".join(OUT_SUFFIXES)
            _fail(f"{out}: cannot write '{out.suffix}' files (expected one of {expected})")
        if not (out.parent if str(out.parent) else Path(".")).is_dir():
            _fail(f"{out}: folder '{out.parent}' does not exist")
        refuse_own_input(out, base_path, *scenario_paths)
        probe_writable(out)
        files = [out, differences_path(out)] if out.suffix.lower() == ".csv" else [out]
        for path in files:
            if path.is_dir():
                _fail(f"{path}: is a folder; the comparison is written as a file of that name")
    runs = _guard(lambda: scenario_runs(base_path, scenario_paths))
    base = runs[0].instance
    language = _language(lang, base)
    _ = texts(language, "compare").gettext
    progress_console = Console(stderr=True, highlight=False, soft_wrap=True)

    def progress(done: int, total: int, outcome: Outcome) -> None:
        line = _("{done}/{total} scenarios done ({label}: {status}, {seconds}s)").format(
            done=done,
            total=total,
            label=outcome.label,
            status=status_text(outcome, language),
            seconds=number(outcome.runtime, language, 1),
        )
        progress_console.print(line, markup=False)

    settings = Settings(time_limit, workers, seed)
    size = parallel or max(1, (os.cpu_count() or 1) // workers)
    chosen: Executor = "dask" if executor == "dask" else "local"
    comparison = _guard(
        lambda: compare(runs, settings, size, chosen, scheduler, progress, language, stable)
    )
    console = Console(highlight=False)
    if not console.is_terminal:  # a file or a pipe: whole lines, not 80 columns
        console = Console(highlight=False, width=WIDE)
    render_comparison(console, comparison, language)
    if out is not None:
        written = _guard(lambda: write_comparison(out, comparison, language))
        notice = Console(highlight=False, soft_wrap=True)
        notice.print(_("Comparison written to {path}").format(path=written[0]), markup=False)
        for path in written[1:]:
            notice.print(
                _("Differences from the base written to {path}").format(path=path), markup=False
            )
    found = all(outcome.found for outcome in comparison.outcomes)
    raise typer.Exit(EXIT_FOUND if found else EXIT_NONE)
