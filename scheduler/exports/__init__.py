"""Timetables for people: Excel workbooks, iCalendar files and a self-contained web page.

`views` resolves names, clock times, grids and per-trainer and per-venue lists once; `xlsx`,
`ics` and `html` only lay them out. Every file is written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path

from models import Instance, Timetable
from scheduler.checker import CheckReport
from scheduler.errors import InputError
from scheduler.exports.html import write_html
from scheduler.exports.ics import write_ics, write_ics_folder
from scheduler.exports.views import build_view
from scheduler.exports.xlsx import write_xlsx
from scheduler.i18n import texts

EXPORT_SUFFIXES = (".xlsx", ".ics", ".html")


def is_folder(path: Path) -> bool:
    """Whether `path` names a folder of calendars: an existing folder, or a name without suffix."""
    return path.is_dir() or not path.suffix


def write_export(
    path: Path,
    instance: Instance,
    timetable: Timetable,
    report: CheckReport,
    lang: str,
    trainer: str | None = None,
) -> None:
    """Write `timetable` to `path` in the format its suffix names (a folder: one .ics each).

    `trainer` (a trainer id) narrows a calendar, or a folder of calendars, to that trainer.
    """
    _ = texts(lang, "exports").gettext
    path = Path(path)
    known = [t.id for t in instance.trainers]
    if trainer is not None and trainer not in known:
        raise InputError(
            _("--trainer: '{trainer}' is not a trainer of '{instance}' (trainers: {known})")
            .format(trainer=trainer, instance=instance.name, known=", ".join(known))
        )  # fmt: skip
    folder = is_folder(path)
    suffix = path.suffix.lower()
    if not folder and suffix not in EXPORT_SUFFIXES:
        raise InputError(
            _("{path}: cannot write '{suffix}' files (expected one of {expected})").format(
                path=path, suffix=path.suffix, expected=", ".join(EXPORT_SUFFIXES)
            )
        )
    if trainer is not None and not folder and suffix != ".ics":
        raise InputError(
            _("{path}: --trainer is for calendars only (a .ics file or a folder)").format(path=path)
        )
    view = build_view(instance, timetable, report, lang)
    if folder:
        unknown = [agenda.id for agenda in view.trainers if agenda.id not in known]
        write_ics_folder(path, view, [trainer] if trainer is not None else [*known, *unknown])
    elif suffix == ".ics":
        write_ics(path, view, trainer)
    elif suffix == ".xlsx":
        write_xlsx(path, view)
    else:
        write_html(path, view)


__all__ = ["EXPORT_SUFFIXES", "is_folder", "write_export"]
