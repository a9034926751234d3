"""The `tot` command: thin wrapper that parses, calls the library, prints and exits 0/1/2."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from models import Instance, Timetable
from scheduler.checker import CheckReport, check
from scheduler.errors import InputError
from scheduler.itc2007 import parse_sol, read_ctt, read_sol, score_solution, solution_lines
from scheduler.loader import load_instance
from scheduler.report import render_penalties, render_timetable, render_ud2, render_violations
from scheduler.solve import Progress, Result, StopHandle, solve
from scheduler.timetable_io import (
    WRITERS,
    read_timetable,
    write_text_atomically,
    write_timetable,
)

app = typer.Typer(
    help="Plan Training-of-Trainers courses: trainers, venues, rooms, topics and methods.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_FOUND, EXIT_NONE, EXIT_BAD_INPUT = 0, 1, 2
_T = TypeVar("_T")


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(message, markup=False)
    raise typer.Exit(code)


def _guard(action: Callable[[], _T]) -> _T:
    """Run `action`; bad input becomes one line on stderr and exit status 2."""
    try:
        return action()
    except InputError as exc:
        _fail(str(exc))


class _ProgressPrinter:
    """Prints the best objective, bound and elapsed time, at most twice a second."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.last = -1.0

    def __call__(self, progress: Progress) -> None:
        if progress.elapsed - self.last < 0.5 and self.last >= 0:
            return
        self.last = progress.elapsed
        level = f"level {progress.level}/{progress.num_levels}  " if progress.num_levels > 1 else ""
        gap = ""
        if progress.objective:
            share = max(0.0, progress.objective - progress.bound) / abs(progress.objective)
            gap = f"  gap {100 * share:5.1f}%"
        self.console.print(
            f"{progress.elapsed:7.1f}s  {level}best {progress.objective:g}  "
            f"bound {progress.bound:g}{gap}",
            highlight=False,
        )


def _solve_interruptibly(run: Callable[[StopHandle], Result]) -> Result:
    """Solve in a worker thread so that Ctrl-C stops the search and keeps the best found."""
    stop = StopHandle()
    outcome: dict[str, Result | BaseException] = {}
    done = threading.Event()

    def target() -> None:
        try:
            outcome["result"] = run(stop)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc
        finally:
            done.set()

    # An Event, not Thread.join: a join interrupted by Ctrl-C can misreport the thread.
    threading.Thread(target=target, name="tot-solve", daemon=True).start()
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            Console(stderr=True).print("Stopping: keeping the best timetable found so far ...")
            stop.stop()
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    result = outcome["result"]
    assert isinstance(result, Result)
    return result


@app.command("solve")
def solve_command(
    instance_path: Annotated[
        Path, typer.Argument(metavar="INSTANCE", help="Instance file (.yaml, .yml, .json).")
    ],
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            "-t",
            help="Seconds of search (default: the instance's policy, else 60).",
            min=0.01,
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Search workers (threads).", min=1)
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.", min=0)] = None,
    deterministic: Annotated[
        bool,
        typer.Option(
            "--deterministic",
            help="One worker, fixed seed, deterministic time budget: the same timetable every run.",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the timetable: .json (complete), .csv (one row per session), or .sol "
            "(the ITC2007 solution format, for .ctt instances).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress lines and no grid.")
    ] = False,
    log: Annotated[bool, typer.Option("--log", help="Show CP-SAT's own search log.")] = False,
) -> None:
    """Find an optimised timetable for INSTANCE and print it."""
    console = Console(highlight=False)
    progress_console = Console(stderr=True, highlight=False)
    itc = instance_path.suffix.lower() == ".ctt"
    writable = [*WRITERS, ".sol"] if itc else list(WRITERS)
    if out is not None and out.suffix.lower() not in writable:
        hint = " (.sol needs a .ctt instance)" if out.suffix.lower() == ".sol" else ""
        expected = ", ".join(writable)
        _fail(f"{out}: cannot write '{out.suffix}' files (expected one of {expected}){hint}")
    if out is not None and not (out.parent if str(out.parent) else Path(".")).is_dir():
        _fail(f"{out}: folder '{out.parent}' does not exist")
    instance = _guard(lambda: load_instance(instance_path))
    started = time.perf_counter()
    progress = None if quiet else _ProgressPrinter(progress_console)
    result = _solve_interruptibly(
        lambda stop: solve(
            instance,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            deterministic=deterministic,
            progress=progress,
            stop=stop,
            log=log,
        )
    )
    if result.timetable is None:
        if result.proven_infeasible:
            _fail(
                f"No timetable exists: the rules cannot all be met (proven in "
                f"{time.perf_counter() - started:.1f}s).",
                EXIT_NONE,
            )
        reason = "the search was stopped" if result.stopped else "time ran out"
        _fail(f"No timetable found: {reason} before a first timetable was found.", EXIT_NONE)
    timetable = result.timetable
    report = check(instance, timetable)
    if itc:
        ctt = _guard(lambda: read_ctt(instance_path))
        lines = solution_lines(timetable)
        render_ud2(console, score_solution(ctt, parse_sol("\n".join(lines), ctt)))
    elif not quiet:
        render_timetable(console, instance, timetable)
    render_penalties(
        console, result.penalties, {s: instance.policy.weights.of(s) for s in result.penalties},
        result.objective or 0, report.cost_idr,
    )  # fmt: skip
    console.print(result.summary())
    if not report.feasible or report.total != result.objective:
        render_violations(console, [(v.rule, v.message) for v in report.violations])
        _fail(
            f"internal error: the checker disagrees with the solver "
            f"(checker total {report.total}, solver {result.objective})",
            EXIT_NONE,
        )
    if out is not None:
        if out.suffix.lower() == ".sol":
            _guard(lambda: write_text_atomically(out, "\n".join(solution_lines(timetable)) + "\n"))
        else:
            _guard(lambda: write_timetable(out, timetable))
        console.print(f"Timetable written to {out}")


@app.command("check")
def check_command(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance file.")],
    timetable_path: Annotated[
        Path, typer.Argument(metavar="TIMETABLE", help="Timetable (.json or .csv).")
    ],
) -> None:
    """Check TIMETABLE against INSTANCE: every violation and the penalty per rule."""
    console = Console(highlight=False)
    if instance_path.suffix.lower() == ".ctt" and timetable_path.suffix.lower() == ".sol":
        raise typer.Exit(_check_itc(console, instance_path, timetable_path))
    instance = _guard(lambda: load_instance(instance_path))
    timetable = _guard(lambda: read_timetable(timetable_path, instance))
    report = check(instance, timetable)
    _print_check(console, instance, report)
    raise typer.Exit(EXIT_FOUND if report.feasible else EXIT_NONE)


def _check_itc(console: Console, instance_path: Path, solution_path: Path) -> int:
    """Score an ITC2007 solution as the competition's validator does; the exit status."""
    ctt = _guard(lambda: read_ctt(instance_path))
    solution = _guard(lambda: read_sol(solution_path, ctt))
    for warning in solution.warnings:
        console.print(f"warning: {warning}", markup=False)
    score = score_solution(ctt, solution)
    render_ud2(console, score)
    return EXIT_FOUND if score.violations == 0 else EXIT_NONE


def _print_check(console: Console, instance: Instance, report: CheckReport) -> None:
    render_violations(console, [(v.rule, v.message) for v in report.violations])
    weights = {s: instance.policy.weights.of(s) for s in report.penalties}
    if instance.policy.room_capacity == "hard":
        weights["S1"] = 0
    render_penalties(console, report.penalties, weights, report.total, report.cost_idr)
    if report.feasible:
        console.print("Feasible: no hard rule is broken.")
    else:
        counts = ", ".join(f"{rule} {n}" for rule, n in report.violations_by_rule().items())
        console.print(f"Infeasible: {len(report.violations)} violation(s) ({counts}).")


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of instance files."""
    sys.stdout.write(json.dumps(Instance.model_json_schema(), indent=2) + "\n")


@app.command("timetable-schema", hidden=True)
def timetable_schema_command() -> None:
    """Print the JSON Schema of timetable files."""
    sys.stdout.write(json.dumps(Timetable.model_json_schema(), indent=2) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
