"""`tot export`: timetables as spreadsheets, calendars and web pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scheduler.checker import check
from scheduler.cli import LangOption, _fail, _guard, _language, app, refuse_own_input
from scheduler.exports import (
    EXPORT_SUFFIXES,
    FolderExport,
    is_folder,
    with_checked_score,
    write_export,
)
from scheduler.i18n import texts
from scheduler.loader import load_instance
from scheduler.timetable_io import WRITERS, read_timetable, write_timetable

__all__ = ["app", "export_command"]


@app.command("export")
def export_command(
    instance_path: Annotated[
        Path, typer.Argument(metavar="INSTANCE", help="Instance file (.yaml, .yml, .json, .xlsx).")
    ],
    timetable_path: Annotated[
        Path, typer.Argument(metavar="TIMETABLE", help="Timetable of INSTANCE (.json or .csv).")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="File to write: .xlsx (workbook), .html (web page), .ics (calendar), .csv or "
            ".json (with the checker's score); a folder (no suffix, or ending in '/') gets one "
            ".ics per trainer with sessions, and loses the calendars an earlier export of the "
            "same programme wrote there for others.",
        ),
    ],
    trainer: Annotated[
        str | None,
        typer.Option("--trainer", help="With a .ics file or a folder: that trainer's calendar."),
    ] = None,
    lang: LangOption = None,
) -> None:
    """Write TIMETABLE of INSTANCE as a workbook, a web page, calendars, CSV or JSON."""
    console = Console(highlight=False)
    folder = is_folder(out)
    suffix = out.suffix.lower()
    writable = [*WRITERS, *EXPORT_SUFFIXES]
    if not folder and suffix not in writable:
        _fail(f"{out}: cannot write '{out.suffix}' files (expected one of {', '.join(writable)})")
    refuse_own_input(out, instance_path, timetable_path)
    instance = _guard(lambda: load_instance(instance_path))
    language = _language(lang, instance)
    _ = texts(language, "exports").gettext
    timetable = _guard(lambda: read_timetable(timetable_path, instance))
    report = check(instance, timetable, lang=language)
    if suffix in WRITERS and not folder:
        if trainer is not None:
            _fail(
                _("{path}: --trainer is for calendars only (a .ics file or a folder)").format(
                    path=out
                )
            )
        if suffix == ".json":
            timetable = with_checked_score(instance, timetable, report)
        _guard(lambda: write_timetable(out, timetable))
    else:
        written = _guard(lambda: write_export(out, instance, timetable, report, language, trainer))
        if written is not None:
            _print_folder_notes(console, written, language)
        elif trainer is not None and not any(
            f.trainer == trainer for s in timetable.sessions for f in s.trainers
        ):
            note = _("Trainer {trainer} has no sessions in this timetable: the calendar is empty")
            console.print(note.format(trainer=f"'{trainer}'"), markup=False, soft_wrap=True)
    if not report.feasible:
        Console(stderr=True, highlight=False).print(
            _("Warning: the timetable breaks {count} hard rule(s); `tot check` lists them.")
            .format(count=len(report.violations)),
            markup=False,
        )  # fmt: skip
    done = _("Calendars written to {path}") if folder else _("Timetable written to {path}")
    console.print(done.format(path=out), markup=False)


def _print_folder_notes(console: Console, written: FolderExport, lang: str) -> None:
    """Say which trainers got no calendar and which calendars of an earlier export went."""
    _ = texts(lang, "exports").gettext
    notes = [
        (_("No calendar for trainer(s) without sessions: {items}"), written.without_sessions),
        (_("Removed calendar(s) of an earlier export: {items}"), written.removed),
    ]
    for note, items in notes:
        if items:
            console.print(note.format(items=", ".join(items)), markup=False, soft_wrap=True)
