"""The `tot` command: thin wrapper that parses, calls the library, prints and exits 0/1/2."""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO, TypeVar

import typer
from rich.console import Console

from models import Instance, Timetable
from models.common import MAX_SEED, MAX_WORKERS
from scheduler.checker import CheckReport, check
from scheduler.errors import InputError, InputWarning
from scheduler.exports import EXPORT_SUFFIXES, check_trainer, is_folder, write_export
from scheduler.i18n import LANGUAGES, number, percent, resolve, texts
from scheduler.itc2007 import parse_sol, read_ctt, read_sol, score_solution, solution_lines
from scheduler.loader import load_instance
from scheduler.report import (
    NO_BREAK_SPACE,
    Wrapped,
    render_penalties,
    render_timetable,
    render_ud2,
    render_violations,
)
from scheduler.solve import Progress, Result, StopHandle, solve
from scheduler.timetable_io import (
    WRITERS,
    cannot_write,
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
EXPLAIN_SECONDS = 30.0
"""How long `tot solve` may spend explaining a proven infeasibility."""
LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang", help="Language of the output: en or id (default: the instance's, else en)."
    ),
]
ForceOption = Annotated[
    bool, typer.Option("--force", "-f", help="Replace the target file if it exists.")
]
WorkersOption = Annotated[
    int | None,
    typer.Option("--workers", "-w", help="Search workers (threads).", min=1, max=MAX_WORKERS),
]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed.", min=0, max=MAX_SEED)]


def refuse_to_replace(target: Path, force: bool, lang: str, inputs: Sequence[Path] = ()) -> None:
    """A file the planner may have edited by hand is not overwritten by accident, and never,
    even with `force`, when it is one of the command's `inputs`."""
    refuse_own_input(target, *inputs)
    if target.exists() and not force:
        _ = texts(lang, "cli").gettext
        _fail(_("{path}: already exists (add --force to replace it)").format(path=target))


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
    """Prints the best objective, bound and elapsed time: at most twice a second when the
    timetable improves, every few seconds when only the bound rises."""

    def __init__(self, console: Console, lang: str) -> None:
        self.console = console
        self.last = -1.0
        self.shown = math.inf
        self.printed: tuple[str | None, float, float] | None = None
        self.lang = lang
        self._ = texts(lang, "cli").gettext

    def finish(self, result: Result) -> None:
        """A last line where the search ended: the result's objective and bound (a single
        level's; the summary that follows has the rest), unless the last line shows them."""
        if result.objective is None or len(result.levels) > 1:
            return
        bound = result.bound if result.bound is not None else -math.inf
        final: tuple[str | None, float, float] = (None, result.objective, bound)
        if final == self.printed:
            return
        self.last = -1.0
        self(Progress(result.runtime, result.objective, bound))

    def __call__(self, progress: Progress) -> None:
        wait = 0.5 if progress.objective < self.shown else BOUND_ONLY_EVERY
        if progress.elapsed - self.last < wait and self.last >= 0:
            return
        self.last = progress.elapsed
        self.shown = progress.objective
        self.printed = progress.part, progress.objective, progress.bound
        _ = self._
        level = ""
        if progress.num_levels > 1:
            level = _("level {level}/{levels}").format(
                level=progress.level, levels=progress.num_levels
            )
            level += "  "
        if progress.part is not None:
            level += f"{progress.part}  "
        gap = ""
        if progress.objective and math.isfinite(progress.bound):
            share = max(0.0, progress.objective - progress.bound) / abs(progress.objective)
            gap = "  " + _("gap {gap}").format(gap=percent(share, self.lang, 1).rjust(6))
        bound = f"{progress.bound:g}" if math.isfinite(progress.bound) else "-"
        line = _("best {best}  bound {bound}").format(best=f"{progress.objective:g}", bound=bound)
        elapsed = number(progress.elapsed, self.lang, 1).rjust(7)
        self.console.print(f"{elapsed}s  {level}{line}{gap}", highlight=False)


BOUND_ONLY_EVERY = 5.0
"""Seconds between progress lines that show only a higher bound."""


def _solve_interruptibly(run: Callable[[StopHandle], Result], lang: str = "en") -> Result:
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
            _ = texts(lang, "cli").gettext
            Console(stderr=True).print(_("Stopping: keeping the best timetable found so far ..."))
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
        Path,
        typer.Argument(metavar="INSTANCE", help="Instance file (.yaml, .yml, .json, .xlsx, .ctt)."),
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
    workers: WorkersOption = None,
    seed: SeedOption = None,
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
            help="Write the timetable: .json (complete), .csv (one row per session), .xlsx "
            "(grids per event, trainer and venue), .html (a page to print), .ics (calendar), a "
            "folder (one .ics per trainer), or .sol (ITC2007, for .ctt instances).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress lines and no grid.")
    ] = False,
    log: Annotated[bool, typer.Option("--log", help="Show CP-SAT's own search log.")] = False,
    lang: LangOption = None,
    trainer: Annotated[
        str | None, typer.Option("--trainer", help="With --out x.ics: that trainer's calendar.")
    ] = None,
) -> None:
    """Find an optimised timetable for INSTANCE and print it."""
    console = Console(highlight=False)
    progress_console = Console(stderr=True, highlight=False)
    itc = instance_path.suffix.lower() == ".ctt"
    check_output_path(out, itc, inputs=[instance_path])
    instance = _guard(lambda: load_instance(instance_path))
    language = _language(lang, instance)
    _check_trainer_option(trainer, out, instance)
    _ = texts(language, "cli").gettext
    started = time.perf_counter()
    progress = None if quiet else _ProgressPrinter(progress_console, language)
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
        ),
        language,
    )
    if progress is not None:
        progress.finish(result)
    if result.timetable is None:
        if result.proven_infeasible:
            seconds = number(time.perf_counter() - started, language, 1)
            from scheduler.explain_cli import print_explanation

            print_explanation(console, instance, language, time_limit=EXPLAIN_SECONDS)
            _fail(
                _(
                    "No timetable exists: the rules cannot all be met (proven in {seconds}s)."
                ).format(seconds=seconds),
                EXIT_NONE,
            )
        if result.stopped:
            _fail(_("No timetable found: the search was stopped before a first timetable."), 1)
        _fail(_("No timetable found: time ran out before a first timetable was found."), 1)
    timetable = result.timetable
    report = check(instance, timetable, lang=language)
    agreed = report.feasible and report.total == result.objective
    if agreed and out is not None:
        # Written before the long printout, so that a closed pipe (`| head`) cannot lose it.
        write_output(out, instance, timetable, report, language, trainer)
    if itc:
        ctt = _guard(lambda: read_ctt(instance_path))
        lines = solution_lines(timetable)
        render_ud2(console, score_solution(ctt, parse_sol("\n".join(lines), ctt)))
    elif not quiet:
        render_timetable(console, instance, timetable, language)
    render_penalties(
        console, result.penalties, {s: instance.policy.weights.of(s) for s in result.penalties},
        result.objective or 0, report.cost_idr, language, instance.policy.cost_unit,
    )  # fmt: skip
    print_summary(console, result, language)
    if not agreed:
        render_violations(console, [(v.rule, v.message) for v in report.violations], language)
        _fail(
            _("internal error: the checker disagrees with the solver (checker {checker}, solver "
              "{solver})").format(checker=report.total, solver=result.objective),
            EXIT_NONE,
        )  # fmt: skip
    if out is not None:
        say_written(console, out, language)


def _check_trainer_option(trainer: str | None, out: Path | None, instance: Instance) -> None:
    """`--trainer` asks for one calendar: an .ics output and a trainer of the instance."""
    if trainer is None:
        return
    if out is None or out.suffix.lower() != ".ics":
        _fail(f"--trainer {trainer}: only an .ics output is one trainer's calendar")
    _guard(lambda: check_trainer(instance, trainer, "en"))


def refuse_own_input(out: Path | None, *inputs: Path | None) -> None:
    """Exit 2 when `--out` is one of the files the command reads: writing the result over
    the planner's instance (or the published timetable) would lose it."""
    if out is None or not out.exists():
        return
    for path in inputs:
        if path is not None and path.exists() and os.path.samefile(out, path):
            _fail(f"{out}: is an input of this command; write the result to another file")


def check_output_path(out: Path | None, itc: bool = False, inputs: Sequence[Path] = ()) -> None:
    """Exit 2 before any search when `--out` names a format or folder that cannot be
    written, or a file the command reads (`inputs`)."""
    if out is None:
        return
    refuse_own_input(out, *inputs)
    writable = [*WRITERS, *EXPORT_SUFFIXES, *([".sol"] if itc else [])]
    if not is_folder(out) and out.suffix.lower() not in writable:
        hint = " (.sol needs a .ctt instance)" if out.suffix.lower() == ".sol" else ""
        expected = ", ".join(writable)
        _fail(f"{out}: cannot write '{out.suffix}' files (expected one of {expected}){hint}")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        _fail(f"{out}: folder '{out.parent}' does not exist")
    if out.is_dir() and not is_folder(out):
        _fail(f"{out}: cannot be written (Is a directory)")
    probe_writable(out)


def probe_writable(out: Path) -> None:
    """Exit 2 now, rather than after a long search, when the folder of `out` (or `out`, a
    folder) cannot be written in."""
    where = out if out.is_dir() else (out.parent if str(out.parent) else Path("."))
    try:
        with tempfile.TemporaryFile(dir=where):
            pass
    except OSError as exc:
        _fail(str(cannot_write(out, exc)))


def say_written(console: Console, out: Path, language: str) -> None:
    """The last line of a command that wrote its timetable to `out`."""
    _ = texts(language, "cli").gettext
    console.print(_("Timetable written to {path}").format(path=out))


def write_output(
    out: Path,
    instance: Instance,
    timetable: Timetable,
    report: CheckReport,
    language: str,
    trainer: str | None = None,
) -> None:
    """Write `timetable` in the form `out` names (see `check_output_path`), whole or not at all;
    the caller says so once its printout is done."""
    suffix = out.suffix.lower()
    if suffix == ".sol":
        text = "\n".join(solution_lines(timetable)) + "\n"
        _guard(lambda: write_text_atomically(out, text))
    elif suffix in WRITERS and not is_folder(out):
        _guard(lambda: write_timetable(out, timetable))
    else:
        _guard(lambda: write_export(out, instance, timetable, report, language, trainer))


def checked_lang(lang: str | None) -> str | None:
    """`--lang` in lower case (`ID` is `id`); one the tool does not speak exits 2."""
    if lang is None:
        return None
    if lang.lower() not in LANGUAGES:
        _fail(f"--lang: '{lang}' is not one of {', '.join(LANGUAGES)}")
    return lang.lower()


def _language(lang: str | None, instance: Instance) -> str:
    """The output language: --lang, else the instance's, else English; bad --lang exits 2."""
    return resolve(checked_lang(lang), instance.language)


def _summary_parts(result: Result, lang: str) -> list[str]:
    """Status, objective, bound, gap and times, in `lang`: the parts of the summary line."""
    _ = texts(lang, "cli").gettext
    status = {
        "OPTIMAL": _("optimal (proven)"),
        "FEASIBLE": _("feasible, not proven optimal"),
    }.get(result.status, result.status)
    parts = [status]
    if result.objective is not None:
        parts.append(_("objective {value}").format(value=result.objective))
    if result.bound is not None:
        parts.append(_("bound {value}").format(value=f"{result.bound:g}"))
    if result.gap is not None:
        parts.append(_("gap {value}").format(value=percent(result.gap, lang)))
    if result.time_to_first is not None:
        parts.append(_("first after {seconds}s").format(seconds=number(result.time_to_first, lang)))
    parts.append(_("{seconds}s in all").format(seconds=number(result.runtime, lang)))
    if result.stopped:
        parts.append(_("stopped by the user"))
    return parts


def print_summary(console: Console, result: Result, lang: str) -> None:
    """The summary line of a solve: a narrow console breaks it between its parts only,
    never inside one ("first after 0.51s")."""
    parts = _summary_parts(result, lang)
    console.print(Wrapped(", ".join(part.replace(" ", NO_BREAK_SPACE) for part in parts)))


@app.command("check")
def check_command(
    instance_path: Annotated[Path, typer.Argument(metavar="INSTANCE", help="Instance file.")],
    timetable_path: Annotated[
        Path, typer.Argument(metavar="TIMETABLE", help="Timetable (.json or .csv; .sol for .ctt).")
    ],
    lang: LangOption = None,
) -> None:
    """Check TIMETABLE against INSTANCE: every violation and the penalty per rule."""
    console = Console(highlight=False)
    if instance_path.suffix.lower() == ".ctt" and timetable_path.suffix.lower() == ".sol":
        raise typer.Exit(_check_itc(console, instance_path, timetable_path))
    instance = _guard(lambda: load_instance(instance_path))
    timetable = _guard(lambda: read_timetable(timetable_path, instance))
    language = _language(lang, instance)
    report = check(instance, timetable, lang=language)
    _print_check(console, instance, report, language)
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


def _print_check(console: Console, instance: Instance, report: CheckReport, lang: str) -> None:
    _ = texts(lang, "cli").gettext
    render_violations(console, [(v.rule, v.message) for v in report.violations], lang)
    weights = {s: instance.policy.weights.of(s) for s in report.penalties}
    if instance.policy.room_capacity == "hard":
        weights["S1"] = 0
    render_penalties(
        console, report.penalties, weights, report.total, report.cost_idr, lang,
        instance.policy.cost_unit,
    )  # fmt: skip
    if report.feasible:
        console.print(_("Feasible: no hard rule is broken."))
    else:
        counts = ", ".join(f"{rule} {n}" for rule, n in report.violations_by_rule().items())
        console.print(
            _("Infeasible: {count} violation(s) ({counts}).").format(
                count=len(report.violations), counts=counts
            )
        )


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of instance files."""
    sys.stdout.write(json.dumps(Instance.model_json_schema(), indent=2) + "\n")


@app.command("timetable-schema", hidden=True)
def timetable_schema_command() -> None:
    """Print the JSON Schema of timetable files."""
    sys.stdout.write(json.dumps(Timetable.model_json_schema(), indent=2) + "\n")


class _PipeSafeStdout:
    """Standard output that goes quiet once its reader has gone (`tot solve ... | head`):
    the command finishes, and exits with its own status, instead of dying on the first
    write after the pipe closed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            self._silence()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._silence()

    def _silence(self) -> None:
        # What is still buffered can go nowhere: point the descriptor at the null device, so
        # that flushing at exit does not fail either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


_show_other_warning = warnings.showwarning


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show an `InputWarning` (of a workbook, a timetable) as one line on stderr; other
    warnings as Python does."""
    if issubclass(category, InputWarning):
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"warning: {message}", markup=False
        )
        return
    _show_other_warning(message, category, filename, lineno, file, line)


def main() -> None:
    """The `tot` console script: stdout safe from a closed pipe, input warnings one line."""
    sys.stdout = _PipeSafeStdout(sys.stdout)
    warnings.showwarning = show_warning
    app()


# Commands of other areas register themselves on `app` when imported.
from scheduler import explain_cli as _explain_cli  # noqa: E402
from scheduler import export_cli as _export_cli  # noqa: E402
from scheduler import scenario_cli as _scenario_cli  # noqa: E402
from scheduler import workbook_cli as _workbook_cli  # noqa: E402

_REGISTERED = (_export_cli, _workbook_cli, _scenario_cli, _explain_cli)

if __name__ == "__main__":
    # Run the commands registered on `scheduler.cli.app`, not on this `__main__` copy.
    from scheduler.cli import main as registered_main

    registered_main()
