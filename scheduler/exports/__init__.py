"""Timetables for people: Excel workbooks, iCalendar files and a self-contained web page.

`views` resolves names, clock times, grids and per-trainer and per-venue lists once; `xlsx`,
`ics` and `html` only lay them out. Every file is written whole or not at all. And the score a
timetable file carries, as the checker reckons it.
"""

from __future__ import annotations

from pathlib import Path

from models import Instance, Score, Timetable
from scheduler.checker import CheckReport
from scheduler.errors import InputError
from scheduler.exports.html import write_html
from scheduler.exports.ics import FolderExport, write_ics, write_ics_folder
from scheduler.exports.views import build_view
from scheduler.exports.xlsx import write_xlsx
from scheduler.i18n import texts

EXPORT_SUFFIXES = (".xlsx", ".ics", ".html")


FILE_SUFFIXES = (".json", ".csv", ".sol", *EXPORT_SUFFIXES)
"""Suffixes that name a file to write: a folder named so (`t.xlsx/`) is not taken for one of
calendars, and writing the file there then fails in one line."""


def is_folder(path: Path) -> bool:
    """Whether `path` names a folder of calendars: a name without suffix, or an existing folder
    whose name is not that of a file the tool writes."""
    return not path.suffix or (path.is_dir() and path.suffix.lower() not in FILE_SUFFIXES)


def check_trainer(instance: Instance, trainer: str | None, lang: str) -> None:
    """Bad input unless `trainer` (of `--trainer`) is None or a trainer of `instance`."""
    known = [t.id for t in instance.trainers]
    if trainer is not None and trainer not in known:
        _ = texts(lang, "exports").gettext
        raise InputError(
            _("--trainer: '{trainer}' is not a trainer of '{instance}' (trainers: {known})")
            .format(trainer=trainer, instance=instance.name, known=", ".join(known))
        )  # fmt: skip


def write_export(
    path: Path,
    instance: Instance,
    timetable: Timetable,
    report: CheckReport,
    lang: str,
    trainer: str | None = None,
) -> FolderExport | None:
    """Write `timetable` to `path` in the format its suffix names (a folder: one .ics for each
    trainer with sessions); for a folder, what was written and deleted there.

    `trainer` (a trainer id) narrows a calendar, or a folder of calendars, to that trainer.
    """
    _ = texts(lang, "exports").gettext
    path = Path(path)
    check_trainer(instance, trainer, lang)
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
        return write_ics_folder(path, view, None if trainer is None else [trainer])
    if suffix == ".ics":
        write_ics(path, view, trainer)
    elif suffix == ".xlsx":
        write_xlsx(path, view)
    else:
        write_html(path, view)
    return None


def checked_score(instance: Instance, report: CheckReport) -> Score:
    """The score of a timetable as `tot solve` writes it, from the checker's `report`: the
    penalty of every soft rule the solver counts (weighted, or made hard), the weighted total
    and the cost.

    A timetable that breaks hard rules gets its score too: the score weighs the soft rules
    only, and the report's violations say whether the timetable may be used.
    """
    return Score(
        penalties={s: report.penalties[s] for s in instance.policy.active_soft()},
        total=report.total,
        cost_idr=report.cost_idr,
    )


def with_checked_score(instance: Instance, timetable: Timetable, report: CheckReport) -> Timetable:
    """`timetable` with the score the checker's `report` gives it (see `checked_score`)."""
    return timetable.model_copy(update={"score": checked_score(instance, report)})


__all__ = [
    "EXPORT_SUFFIXES",
    "FolderExport",
    "check_trainer",
    "checked_score",
    "is_folder",
    "with_checked_score",
    "write_export",
]
