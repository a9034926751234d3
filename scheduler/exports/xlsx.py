"""The timetable as an Excel workbook: a grid per event, a sheet per trainer and per venue,
every session on one flat sheet, and the score.

Text from the instance is written as inert text: a string cell, never a formula; text that
starts with `=`, `+`, `-` or `@` keeps its characters and gets Excel's quote prefix style
(`scheduler.cells.put_text`), so Excel shows it as typed and never evaluates it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from scheduler.cells import put_text
from scheduler.exports.files import write_file
from scheduler.exports.views import (
    AgendaEntry,
    EventGrid,
    ExportView,
    SessionView,
    TrainerAgenda,
    VenueAgenda,
)

Value = str | int | float | dt.date | dt.time | None
_R = TypeVar("_R")
Column = tuple[str, Callable[[_R], Value]]
"""A column of a table: its heading and the value of a record in it."""

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters a workbook cannot hold."""
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET_NAME = 31
_GRID_COLUMN_WIDTH = 34
_MAX_COLUMN_WIDTH = 60

_TOP = Alignment(wrap_text=True, vertical="top")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def write_xlsx(path: Path, view: ExportView) -> None:
    """Write the workbook of `view` to `path`, whole or not at all."""
    buffer = io.BytesIO()
    workbook_of(view).save(buffer)
    write_file(path, buffer.getvalue())


def workbook_of(view: ExportView) -> Workbook:
    """The workbook of `view`: event grids, trainers, venues, all sessions, the score."""
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    names = _SheetNames()
    for grid in view.grids:
        _grid_sheet(workbook.create_sheet(names.take(grid.id)), grid, view)
    for trainer in view.trainers:
        _trainer_sheet(workbook.create_sheet(names.take(trainer.id)), trainer, view)
    for venue in view.venues:
        _venue_sheet(workbook.create_sheet(names.take(venue.id)), venue, view)
    _sessions_sheet(workbook.create_sheet(names.take(view.labels.sessions)), view)
    _score_sheet(workbook.create_sheet(names.take(view.labels.score)), view)
    return workbook


class _SheetNames:
    """Sheet names Excel accepts: at most 31 characters, no `[]:*?/\\`, unique in any case."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, wanted: str) -> str:
        base = _SHEET_NAME_FORBIDDEN.sub("_", _ILLEGAL.sub("", wanted)).strip("'") or "sheet"
        name = base[:_MAX_SHEET_NAME]
        number = 1
        while name.casefold() in self.used:
            number += 1
            suffix = f" ({number})"
            name = base[: _MAX_SHEET_NAME - len(suffix)] + suffix
        self.used.add(name.casefold())
        return name


def _put(sheet: Worksheet, row: int, column: int, value: Value) -> None:
    """Write one cell; text is stored as a string (quote-prefixed if formula-like), never a
    formula."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        put_text(cell, _ILLEGAL.sub("", value))
    else:
        cell.value = value
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        elif isinstance(value, dt.time):
            cell.number_format = "hh:mm"
    cell.alignment = _TOP


def _title(sheet: Worksheet, text: str) -> None:
    _put(sheet, 1, 1, text)
    sheet.cell(row=1, column=1).font = _TITLE
    sheet.cell(row=1, column=1).alignment = Alignment(vertical="top")


def _header(sheet: Worksheet, row: int, headings: Sequence[str]) -> None:
    for column, heading in enumerate(headings, start=1):
        _put(sheet, row, column, heading)
        sheet.cell(row=row, column=column).font = _BOLD
        sheet.cell(row=row, column=column).fill = _HEADER_FILL


def _table(
    sheet: Worksheet, first_row: int, headings: Sequence[str], rows: Sequence[Sequence[Value]]
) -> None:
    """A header row, the rows below it, filters on the header and fitting column widths."""
    _header(sheet, first_row, headings)
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            _put(sheet, first_row + offset, column, value)
    for column, heading in enumerate(headings, start=1):
        texts = [heading, *(_shown(values[column - 1]) for values in rows)]
        width = max(len(line) for text in texts for line in text.split("\n"))
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, _MAX_COLUMN_WIDTH)
    last = get_column_letter(len(headings))
    sheet.auto_filter.ref = f"A{first_row}:{last}{first_row + len(rows)}"
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)


def _records(
    sheet: Worksheet, first_row: int, columns: Sequence[Column[_R]], records: Sequence[_R]
) -> None:
    """A table with one row per record, a column per (heading, value of a record)."""
    headings = [heading for heading, _ in columns]
    _table(sheet, first_row, headings, [[value(r) for _, value in columns] for r in records])


def _shown(value: Value) -> str:
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    return "" if value is None else str(value)


def _grid_sheet(sheet: Worksheet, grid: EventGrid, view: ExportView) -> None:
    """Days across, slots down; each cell lists topic, room, method, trainers and groups."""
    _title(sheet, grid.title)
    _put(sheet, 2, 1, view.labels.slot)
    for column, day in enumerate(grid.days, start=2):
        _put(sheet, 2, column, f"{day.heading}\n{day.date_label}")
    for column in range(1, len(grid.days) + 2):
        sheet.cell(row=2, column=column).font = _BOLD
        sheet.cell(row=2, column=column).fill = _HEADER_FILL
    for row_number, row in enumerate(grid.rows, start=3):
        _put(sheet, row_number, 1, f"{row.slot}\n{row.time_label}".strip())
        sheet.cell(row=row_number, column=1).font = _BOLD
        for column, cell in enumerate(row.cells, start=2):
            parts = [
                "\n".join(
                    line
                    for line in (
                        session.topic,
                        f"{session.room} · {session.method}",
                        session.trainer_names,
                        session.audience,
                    )
                    if line.strip()
                )
                for session in cell.starts
            ]
            parts += [note.text for note in cell.continues]
            _put(sheet, row_number, column, "\n\n".join(parts) or None)
    sheet.column_dimensions["A"].width = 14
    for column in range(2, len(grid.days) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = _GRID_COLUMN_WIDTH
    sheet.freeze_panes = "B3"


def _trainer_sheet(sheet: Worksheet, agenda: TrainerAgenda, view: ExportView) -> None:
    labels = view.labels
    _title(sheet, f"{agenda.heading} — {agenda.summary}")
    columns: list[Column[AgendaEntry]] = [
        (labels.date, lambda entry: entry.session.date),
        (labels.weekday, lambda entry: entry.session.weekday),
        (labels.time, lambda entry: entry.session.time_label),
        (labels.event, lambda entry: entry.session.event),
        (labels.topic, lambda entry: entry.session.topic),
        (labels.groups, lambda entry: entry.session.audience),
        (labels.venue, lambda entry: entry.session.venue),
        (labels.room, lambda entry: entry.session.room),
        (labels.method, lambda entry: entry.session.method),
        (labels.position, lambda entry: entry.position),
        (labels.partners, lambda entry: entry.partners),
    ]
    _records(sheet, 2, columns, agenda.entries)


def _venue_sheet(sheet: Worksheet, agenda: VenueAgenda, view: ExportView) -> None:
    labels = view.labels
    _title(sheet, agenda.heading)
    columns: list[Column[SessionView]] = [
        (labels.date, lambda s: s.date),
        (labels.weekday, lambda s: s.weekday),
        (labels.time, lambda s: s.time_label),
        (labels.room, lambda s: s.room),
        (labels.event, lambda s: s.event),
        (labels.topic, lambda s: s.topic),
        (labels.groups, lambda s: s.audience),
        (labels.method, lambda s: s.method),
        (labels.trainers, lambda s: s.trainer_names),
    ]
    _records(sheet, 2, columns, agenda.sessions)


def _sessions_sheet(sheet: Worksheet, view: ExportView) -> None:
    """Every session on one row, the header in row 1: ready to filter and sort."""
    labels = view.labels
    columns: list[Column[SessionView]] = [
        (labels.session, lambda s: s.id),
        (labels.event, lambda s: s.event),
        (labels.date, lambda s: s.date),
        (labels.weekday, lambda s: s.weekday),
        (labels.event_day, lambda s: s.day),
        (labels.slot, lambda s: s.slot),
        (labels.num_slots, lambda s: s.num_slots),
        (labels.start, lambda s: f"{s.start:%H:%M}" if s.start else ""),
        (labels.end, lambda s: f"{s.end:%H:%M}" if s.end else ""),
        (labels.topic, lambda s: s.topic),
        (labels.groups, lambda s: s.audience),
        (labels.venue, lambda s: s.venue),
        (labels.room, lambda s: s.room),
        (labels.method, lambda s: s.method),
        (labels.trainers, lambda s: ", ".join(f"{f.name} ({f.position})" for f in s.trainers)),
    ]
    _records(sheet, 1, columns, view.sessions)


def _score_sheet(sheet: Worksheet, view: ExportView) -> None:
    """Penalty per soft rule id with its name, the total and the cost; broken hard rules."""
    labels = view.labels
    score = view.score
    rows: list[list[Value]] = [
        [row.id, row.rule, row.penalty, row.weight, row.weighted] for row in score.rows
    ]
    rows.append(["", labels.total, None, None, score.total])
    rows.append(["", labels.cost, None, None, score.cost_label])
    headings = [labels.rule_id, labels.rule, labels.penalty, labels.weight, labels.weighted]
    _table(sheet, 1, headings, rows)
    sheet.auto_filter.ref = None
    for column in (2, 5):
        sheet.cell(row=len(rows), column=column).font = _BOLD
    sheet.column_dimensions["E"].width = max(16, len(score.cost_label) + 2)
    line = len(rows) + 3
    _put(sheet, line, 1, score.status)
    sheet.cell(row=line, column=1).font = _BOLD
    if score.violations:
        _put(sheet, line + 2, 1, labels.violations)
        sheet.cell(row=line + 2, column=1).font = _BOLD
        for offset, broken in enumerate(score.violations, start=3):
            _put(sheet, line + offset, 1, broken.id)
            _put(sheet, line + offset, 2, f"{broken.rule}: {broken.message}")
        sheet.column_dimensions["B"].width = _MAX_COLUMN_WIDTH
