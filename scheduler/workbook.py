"""Instances as Excel workbooks: one sheet per kind of thing, one row per thing.

The layout is a file format, so its sheet and column names stay English whatever the
language of the instruction sheet:

| sheet | one row per | columns |
|---|---|---|
| Instance | the programme (one row) | name, description, language |
| Provinces | province | id, name, city, holiday_country, holiday_subdivision, rest_days, time_zone
| BlackoutDates | day off of a province | province, date |
| Travel | travel link | province_a, province_b, days, fare |
| Venues | venue | id, name, province, city, daily_cost |
| VenueDates | date range of a venue | venue, kind (available, unavailable), start, end |
| Rooms | room | id, venue, name, capacity, facilities |
| RoomDates | date range a room is unavailable | room, start, end |
| Trainers | trainer | id, name, home, role, languages, methods, daily_fee, |
| | | max_slots_per_day, max_days, avoid_weekdays, avoid_slots |
| TrainerTopics | topic a trainer can lead | trainer, topic, proficiency |
| TrainerDates | date range of a trainer | trainer, kind (available, unavailable, avoid), |
| | | start, end |
| Methods | method | id, name, participatory, facilities, min_slots, max_slots |
| Topics | topic | id, title, sessions, slots_per_session, min_days, methods, prerequisites, days |
| Facilitators | facilitator position of a topic | topic, role, count, trainer_roles |
| TopicUnavailable | slot a topic cannot use | topic, day, slot |
| Groups | participant group | id, name, size, language |
| Events | event (TOT) | id, name, province, venues, window_start, window_end, days, |
| | | groups, participatory_target |
| Slots | time slot of an event's day | event, start, end |
| Curriculum | topic taught in an event | event, topic, groups, mode, attendees |
| Pins | session fixed in advance | offering, day, slot, room, trainers |
| Policy | setting | setting, value |
| Weights | soft rule | rule, weight |

Rows of the nested sheets name their owner in the first column (`trainer`, `venue`, ...).
Lists are comma-separated in one cell; dates are date cells (or YYYY-MM-DD), times are time
cells (or HH:MM). An empty cell takes the model's default: for most lists and optional
values (`max_days`, `holiday_subdivision`, ...) that is an empty list or none. Where the
default is something else, `none` says "none" or "an empty list": Provinces
`holiday_country` (empty: ID; none: no public holidays) and `rest_days` (empty: sunday),
Trainers `languages` (empty: id). Where an empty cell means something else, `(none)` says "an
empty list": curriculum `groups` (empty: every group of the event), Policy `levels` (empty:
one weighted sum) and Facilitators `role` (a topic needing no facilitator). A `kind:
available` row with neither start nor end makes a trainer or venue available on no date at
all. A Pins row names its offering as session ids do, without the number
(`event/topic/audience`, such as `tot-bali/hiv-basics/all`). Any sheet may have a `note`
column, which is not read.

Sheets with other names (a planner's notes, say) are not read, and reading says so with a
`WorkbookWarning` (the command line shows it on stderr and goes on). A sheet with another name
that looks like a missing sheet of the format, named nearly like it (`Facilitator`) or with its
columns (`Bobot` with `rule, weight`), is an error: renamed, it would silently go unread. A
missing sheet that is not optional is an error that names the sheets not read.

Writing then reading gives an equal `Instance`. Text cells are always written as text; text
that a spreadsheet would run as a formula keeps its characters and gets Excel's quote prefix
style (`scheduler.cells.put_text`), so Excel shows it as typed and never runs it. Workbooks
written before held such text as `'=...`; reading takes that `'` off.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, get_args

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from models import Instance, InstanceError
from models.common import ROLES, SOFT_IDS, DateRange, Facility
from models.entities import DayRule
from models.instance import COLLECTIONS, LENIENT
from scheduler.cells import FORMULA_STARTS, put_text
from scheduler.errors import InputError, InputWarning
from scheduler.i18n import LANGUAGES, resolve, rule_name, texts
from scheduler.timetable_io import write_atomically

NONE_MARK: Final = "(none)"
"""A cell saying "an empty list" where an empty cell means something else."""
NONE_WORD: Final = "none"
"""A cell saying "none" where an empty cell takes a default that is not none (`ID`, `sunday`)."""
NOTE_COLUMN: Final = "note"

Path_ = tuple[str | int, ...]
"""A position in the instance's data, as in pydantic's error locations."""


class WorkbookWarning(InputWarning):
    """A workbook that reads, with something its planner may not have meant: sheets not read."""


class _Bad(Exception):
    """A cell value that cannot be read; the message says why, the caller adds where."""


class _Empty:
    """What an empty cell means, when it means neither a value nor a default."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


OMIT: Final = _Empty("OMIT")
"""An empty cell leaves the field out: the model's default applies."""
REQUIRED: Final = _Empty("REQUIRED")
"""An empty cell is an error: the row means nothing without this value."""


# Reading single cells.


def _show(value: object) -> str:
    """A cell value as a message quotes it: text in quotes, dates and numbers plain."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    raise _Bad(f"{_show(value)} is not text")


_WHOLE = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _number(value: object) -> int | float:
    """A number cell, or text that is a plain number (no thousands separators)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value.strip())
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return float(value.strip())
    raise _Bad(f"{_show(value)} is not a number")


def _integer(value: object) -> int:
    number = _number(value)
    if isinstance(number, int):
        return number
    if not number.is_integer():
        raise _Bad(f"{_show(value)} is not a whole number")
    return int(number)


_YES = ("true", "yes", "y", "ya", "1")
_NO = ("false", "no", "n", "tidak", "0")


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _YES + _NO:
        return value.strip().lower() in _YES
    raise _Bad(f"{_show(value)} is not yes or no (TRUE or FALSE)")


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _Bad(f"{_show(value)} is not a date (use a date cell or YYYY-MM-DD)")


_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")


_EXCEL_EPOCH = dt.date(1900, 1, 1)


def _time(value: object) -> dt.time:
    if isinstance(value, dt.datetime) and value.date() <= _EXCEL_EPOCH:
        return value.time()  # a time cell formatted with a date
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str) and (match := _CLOCK.fullmatch(value.strip())):
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        if hours < 24 and minutes < 60 and seconds < 60:
            return dt.time(hours, minutes, seconds)
    raise _Bad(f"{_show(value)} is not a time (use a time cell or HH:MM)")


def _items(value: object, item: Callable[[object], object]) -> list[object]:
    """A comma-separated list cell; a number alone is a list of one."""
    if isinstance(value, str):
        if value.strip() == NONE_MARK:
            return []
        return [item(part.strip()) for part in value.split(",") if part.strip()]
    return [item(value)]


def _texts(value: object) -> list[object]:
    return _items(value, _text)


def _integers(value: object) -> list[object]:
    return _items(value, _integer)


def _levels(value: object) -> list[list[object]]:
    """Priority levels: `S10; S1, S2` is two levels, the first holding S10 alone."""
    text = _text(value)
    if text == NONE_MARK:
        return []
    return [_texts(level) for level in text.split(";")]


def _cp_sat_value(value: object) -> object:
    """A raw CP-SAT parameter: a number, TRUE/FALSE, text, or a list of text in brackets."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            return [part.strip() for part in text[1:-1].split(",") if part.strip()]
        return text
    if isinstance(value, bool | int | float):
        return value
    raise _Bad(f"{_show(value)} is not a number, TRUE/FALSE or text")


# Writing single cells.


def _escape(text: str) -> str:
    """`text`, with one more leading `'` if it already starts with `'`s and a formula character.

    Formula-like text is written as it is, quote-prefixed (`put_text`); but workbooks written
    before quote prefixes hold it as `'=...`, and reading takes that `'` off (`_unescape`), so
    text that truly starts so keeps its own quotes behind one more.
    """
    quoted = text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS)
    return "'" + text if quoted else text


def _unescape(text: str) -> str:
    """The inverse of `_escape`: one leading `'` before a formula character comes off."""
    stripped = text.lstrip("'")
    return text[1:] if stripped != text and stripped.startswith(FORMULA_STARTS) else text


def _joined(values: object) -> object:
    if isinstance(values, str) or values is None:
        return values
    assert isinstance(values, Iterable)
    return ", ".join(str(value) for value in values) or None


@dataclass(frozen=True)
class _Column:
    """A column of a sheet: how its cells read and write, and what an empty cell means."""

    name: str
    read: Callable[[object], object]
    path: tuple[str, ...] = ()
    empty: object = OMIT
    needed: bool = False
    choices: tuple[str, ...] = ()
    write: Callable[[object], object] = lambda value: value
    number_format: str | None = None
    none: object = OMIT
    """What a cell saying `none` (or `(none)`) means, where an empty cell takes a default that
    is not empty; OMIT where `none` is an ordinary value."""

    @property
    def field(self) -> tuple[str, ...]:
        """Where the value goes in the row's entity."""
        return self.path or (self.name,)

    @property
    def must_exist(self) -> bool:
        """Whether a sheet without this column is an error."""
        return self.needed or self.empty is REQUIRED


def _col(name: str, kind: str, empty: object = OMIT, **options: Any) -> _Column:
    readers: dict[str, Callable[[object], object]] = {
        "text": _text,
        "int": _integer,
        "number": _number,
        "bool": _boolean,
        "date": _date,
        "time": _time,
        "texts": _texts,
        "ints": _integers,
        "raw": lambda value: value,
    }
    if kind in ("texts", "ints"):
        options.setdefault("write", _joined)
    if kind == "date":
        options.setdefault("number_format", "yyyy-mm-dd")
    if kind == "time":
        options.setdefault("number_format", "hh:mm")
    return _Column(name, readers[kind], empty=empty, **options)


@dataclass(frozen=True)
class _Sheet:
    """A sheet of the workbook: its name and columns; an optional sheet may be left out."""

    name: str
    columns: tuple[_Column, ...]
    optional: bool = False

    def column(self, name: str) -> _Column:
        return next(column for column in self.columns if column.name == name)


_KINDS_OF_DATES = ("available", "unavailable")
_FACILITIES: tuple[str, ...] = get_args(Facility)
_DAY_RULES: tuple[str, ...] = get_args(DayRule)


def _facilities(values: object) -> object:
    assert isinstance(values, Iterable)
    return _joined(sorted(values, key=_FACILITIES.index))


INSTANCE = _Sheet(
    "Instance",
    (
        _col("name", "text", ""),
        _col("description", "text", ""),
        _col("language", "text", None, choices=("en", "id")),
    ),
)
PROVINCES = _Sheet(
    "Provinces",
    (
        _col("id", "text", REQUIRED),
        _col("name", "text", ""),
        _col("city", "text", ""),
        _col("holiday_country", "text", none=None),
        _col("holiday_subdivision", "text", None),
        _col("rest_days", "texts", none=[]),
        _col("time_zone", "text"),
    ),
)
BLACKOUT_DATES = _Sheet(
    "BlackoutDates",
    (_col("province", "text", REQUIRED), _col("date", "date", REQUIRED)),
    optional=True,
)
TRAVEL = _Sheet(
    "Travel",
    (
        _col("province_a", "text", REQUIRED),
        _col("province_b", "text", REQUIRED),
        _col("days", "int"),
        _col("fare", "int", number_format="#,##0"),
    ),
    optional=True,
)
VENUES = _Sheet(
    "Venues",
    (
        _col("id", "text", REQUIRED),
        _col("name", "text", ""),
        _col("province", "text", REQUIRED),
        _col("city", "text", ""),
        _col("daily_cost", "int", number_format="#,##0"),
    ),
)
VENUE_DATES = _Sheet(
    "VenueDates",
    (
        _col("venue", "text", REQUIRED),
        _col("kind", "text", REQUIRED, choices=_KINDS_OF_DATES),
        _col("start", "date"),
        _col("end", "date"),
    ),
    optional=True,
)
ROOMS = _Sheet(
    "Rooms",
    (
        _col("id", "text", REQUIRED),
        _col("venue", "text", REQUIRED),
        _col("name", "text", ""),
        _col("capacity", "int", REQUIRED),
        _col("facilities", "texts", [], write=_facilities),
    ),
)
ROOM_DATES = _Sheet(
    "RoomDates",
    (_col("room", "text", REQUIRED), _col("start", "date", REQUIRED), _col("end", "date")),
    optional=True,
)
TRAINERS = _Sheet(
    "Trainers",
    (
        _col("id", "text", REQUIRED),
        _col("name", "text", ""),
        _col("home", "text", REQUIRED),
        _col("role", "text", REQUIRED, choices=ROLES),
        _col("languages", "texts", none=[]),
        _col("methods", "texts", []),
        _col("daily_fee", "int", number_format="#,##0"),
        _col("max_slots_per_day", "int", None),
        _col("max_days", "int", None),
        _col("avoid_weekdays", "texts", [], path=("preferences", "avoid_weekdays")),
        _col("avoid_slots", "ints", [], path=("preferences", "avoid_slots")),
    ),
)
TRAINER_TOPICS = _Sheet(
    "TrainerTopics",
    (
        _col("trainer", "text", REQUIRED),
        _col("topic", "text", REQUIRED),
        _col("proficiency", "int", 3),
    ),
)
TRAINER_DATES = _Sheet(
    "TrainerDates",
    (
        _col("trainer", "text", REQUIRED),
        _col("kind", "text", REQUIRED, choices=(*_KINDS_OF_DATES, "avoid")),
        _col("start", "date"),
        _col("end", "date"),
    ),
    optional=True,
)
METHODS = _Sheet(
    "Methods",
    (
        _col("id", "text", REQUIRED),
        _col("name", "text", ""),
        _col("participatory", "bool"),
        _col("facilities", "texts", [], write=_facilities),
        _col("min_slots", "int"),
        _col("max_slots", "int", None),
    ),
)
TOPICS = _Sheet(
    "Topics",
    (
        _col("id", "text", REQUIRED),
        _col("title", "text", ""),
        _col("sessions", "int"),
        _col("slots_per_session", "int"),
        _col("min_days", "int"),
        _col("methods", "texts", []),
        _col("prerequisites", "texts", []),
        _col("days", "text", choices=_DAY_RULES),
    ),
)
FACILITATORS = _Sheet(
    "Facilitators",
    (
        _col("topic", "text", REQUIRED),
        _col("role", "text"),
        _col("count", "int"),
        _col("trainer_roles", "texts"),
    ),
    optional=True,
)
TOPIC_UNAVAILABLE = _Sheet(
    "TopicUnavailable",
    (_col("topic", "text", REQUIRED), _col("day", "int", REQUIRED), _col("slot", "int", REQUIRED)),
    optional=True,
)
GROUPS = _Sheet(
    "Groups",
    (
        _col("id", "text", REQUIRED),
        _col("name", "text", ""),
        _col("size", "int", REQUIRED),
        _col("language", "text", None),
    ),
    optional=True,
)
EVENTS = _Sheet(
    "Events",
    (
        _col("id", "text", REQUIRED),
        _col("name", "text", ""),
        _col("province", "text", REQUIRED),
        _col("venues", "texts", []),
        _col("window_start", "date", REQUIRED, path=("window", "start")),
        _col("window_end", "date", REQUIRED, path=("window", "end")),
        _col("days", "int", REQUIRED),
        _col("groups", "texts", []),
        _col("participatory_target", "number"),
    ),
)
SLOTS = _Sheet(
    "Slots",
    (
        _col("event", "text", REQUIRED),
        _col("start", "time", REQUIRED),
        _col("end", "time", REQUIRED),
    ),
)
CURRICULUM = _Sheet(
    "Curriculum",
    (
        _col("event", "text", REQUIRED),
        _col("topic", "text", REQUIRED),
        _col("groups", "texts"),
        _col("mode", "text", choices=("plenary", "breakout")),
        _col("attendees", "int", None),
    ),
)
PINS = _Sheet(
    "Pins",
    (
        _col("offering", "text", REQUIRED),
        _col("day", "int"),
        _col("slot", "int"),
        _col("room", "text"),
        _col("trainers", "texts"),
    ),
    optional=True,
)
POLICY = _Sheet(
    "Policy",
    (_col("setting", "text", REQUIRED), _col("value", "raw", needed=True)),
    optional=True,
)
WEIGHTS = _Sheet(
    "Weights",
    (_col("rule", "text", REQUIRED), _col("weight", "int", needed=True)),
    optional=True,
)
SHEETS: tuple[_Sheet, ...] = (
    INSTANCE,
    PROVINCES,
    BLACKOUT_DATES,
    TRAVEL,
    VENUES,
    VENUE_DATES,
    ROOMS,
    ROOM_DATES,
    TRAINERS,
    TRAINER_TOPICS,
    TRAINER_DATES,
    METHODS,
    TOPICS,
    FACILITATORS,
    TOPIC_UNAVAILABLE,
    GROUPS,
    EVENTS,
    SLOTS,
    CURRICULUM,
    PINS,
    POLICY,
    WEIGHTS,
)
"""Every sheet an instance workbook has, in the order they are written."""


@dataclass(frozen=True)
class _Setting:
    """A row of the Policy sheet: where its value goes and how it reads and writes."""

    path: tuple[str, ...]
    read: Callable[[object], object]
    empty: object = OMIT
    write: Callable[[object], object] = lambda value: value
    number_format: str | None = None


def _write_levels(levels: object) -> object:
    if levels is None:
        return None
    assert isinstance(levels, Sequence)
    return "; ".join(", ".join(level) for level in levels) or NONE_MARK


SETTINGS: dict[str, _Setting] = {
    "room_capacity": _Setting(("room_capacity",), _text),
    "partnership_role": _Setting(("partnership_role",), _text),
    "late_after": _Setting(("late_after",), _time, number_format="hh:mm"),
    "max_daily_slots": _Setting(("max_daily_slots",), _integer, None),
    "cost_unit": _Setting(("cost_unit",), _integer, number_format="#,##0"),
    "hard": _Setting(("hard",), _texts, [], _joined),
    "levels": _Setting(("levels",), _levels, None, _write_levels),
    "solver.time_limit": _Setting(("solver", "time_limit"), _number),
    "solver.workers": _Setting(("solver", "workers"), _integer),
    "solver.seed": _Setting(("solver", "seed"), _integer),
    "solver.search": _Setting(("solver", "search"), _text),
}
"""The settings of the Policy sheet, by the name in its `setting` column."""
CP_SAT_PREFIX: Final = "solver.cp_sat."
"""Policy settings named `solver.cp_sat.<name>` are raw CP-SAT parameters."""


# Where each value came from, to name the cell of a problem found later.


@dataclass(frozen=True)
class _Cell:
    """A place in the workbook: a sheet, maybe a row, maybe a column, and the value there."""

    sheet: str
    row: int | None = None
    column: str | None = None
    value: object = None

    def where(self) -> str:
        parts = [f"sheet {self.sheet}"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        return ", ".join(parts)


@dataclass
class _Row:
    """A row of a sheet, its cells read: values by column name (empty and left out: absent)."""

    sheet: _Sheet
    number: int
    values: dict[str, object]

    def cell(self, column: str) -> _Cell:
        return _Cell(self.sheet.name, self.number, column, self.values.get(column))

    def get(self, column: str, default: object = None) -> object:
        return self.values.get(column, default)

    def text(self, column: str) -> str:
        value = self.values.get(column, "")
        return value if isinstance(value, str) else ""


@dataclass
class _Origins:
    """For each position in the instance's data, the cell it was read from."""

    cells: dict[Path_, _Cell] = field(default_factory=dict)

    def add(self, path: Path_, cell: _Cell, replace: bool = True) -> None:
        if replace or path not in self.cells:
            self.cells[path] = cell

    def entity(self, path: Path_, row: _Row, anchor: str | None = None) -> None:
        """Record every column of `row` as a field of the entity at `path`."""
        first = anchor or row.sheet.columns[0].name
        self.add(path, row.cell(first))
        for column in row.sheet.columns:
            self.add((*path, *column.field), row.cell(column.name))
            if len(column.field) > 1:
                self.add((*path, *column.field[:-1]), row.cell(column.name))

    def locate(self, location: Path_) -> tuple[_Cell, Path_]:
        """The cell of the longest known prefix of `location`, and the rest of it."""
        for end in range(len(location), -1, -1):
            cell = self.cells.get(location[:end])
            if cell is not None:
                return cell, location[end:]
        return _Cell(INSTANCE.name), location

    def under(self, path: Path_) -> list[_Cell]:
        """The cells recorded at `path` or inside it, in reading order."""
        size = len(path)
        return [cell for key, cell in self.cells.items() if key[:size] == path]


def _mentioned(cells: Sequence[_Cell], problem: str) -> _Cell | None:
    """The first cell whose value (or one of whose listed values) the problem quotes."""
    for cell in cells:
        values = cell.value if isinstance(cell.value, list) else [cell.value]
        if any(f"'{value}'" in problem for value in values if isinstance(value, str)):
            return cell
    return None


# Reading a workbook.


def read_workbook(path: str | Path) -> Instance:
    """Read and validate an instance from an Excel workbook; bad input raises `InputError`."""
    path = Path(path)
    source = str(path)
    grids = _read_grids(path)
    unread, left_out = _check_sheet_names(source, grids)
    rows = {sheet.name: _read_sheet(source, sheet, grids) for sheet in SHEETS}
    data, origins = _assemble(source, rows)
    try:
        instance = Instance.model_validate(data)
    except ValidationError as exc:
        raise _describe(source, exc, data, origins) from None
    if unread:
        _warn_unread(source, unread, left_out, resolve(None, instance.language))
    return instance


_Grids = Mapping[str, tuple[str, list[list[object]]]]
"""Each sheet's name and cells by row, keyed by its name in lower case."""


def _read_grids(path: Path) -> _Grids:
    """Every sheet's cells, read by pandas (openpyxl underneath), as the cells hold them."""
    try:
        frames = pd.read_excel(
            path,
            sheet_name=None,
            header=None,
            dtype=object,
            engine="openpyxl",
            keep_default_na=False,
        )
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except Exception:  # a damaged or foreign file fails deep inside zipfile or openpyxl
        raise InputError(f"{path}: is not an Excel workbook (.xlsx), or it is damaged") from None
    return {
        str(name).strip().lower(): (
            str(name).strip(),
            [list(row) for row in frame.itertuples(index=False)],
        )
        for name, frame in frames.items()
    }


def _instruction_titles() -> set[str]:
    """The names of the instruction sheet, in every language, in lower case."""
    return {texts(lang, "workbook").gettext("Instructions").lower() for lang in LANGUAGES}


def _check_sheet_names(source: str, grids: _Grids) -> tuple[list[str], list[str]]:
    """The sheets not read and the optional sheets left out; a renamed sheet is an error.

    A sheet with another name is the planner's own (notes, say) and is not read, unless it
    looks like a sheet the tool reads that is missing: named nearly like it, or with its
    columns. A missing sheet that is not optional is an error, which names the sheets not read.
    """
    known = {sheet.name.lower() for sheet in SHEETS} | _instruction_titles()
    unread = [name for key, (name, _) in grids.items() if key not in known]
    missing = {sheet.name.lower(): sheet for sheet in SHEETS if sheet.name.lower() not in grids}
    for name in unread:
        close = difflib.get_close_matches(name.lower(), list(missing), n=1, cutoff=0.8)
        if close:
            raise InputError(f"{source}: sheet {name}: did you mean {missing[close[0]].name}?")
    for sheet in missing.values():
        twin = next((name for name in unread if _has_columns_of(grids[name.lower()][1], sheet)), "")
        if twin:
            raise InputError(
                f"{source}: sheet {sheet.name} is missing; sheet {twin} has its columns: "
                f"name it {sheet.name}"
            )
    for sheet in missing.values():
        if not sheet.optional:
            others = (
                f" (sheet {', '.join(unread)} is not read: the sheet names stay in English)"
                if len(unread) == 1
                else f" (sheets {', '.join(unread)} are not read: the sheet names stay in English)"
                if unread
                else ""
            )
            raise InputError(f"{source}: sheet {sheet.name} is missing{others}")
    return unread, [sheet.name for sheet in missing.values()]


def _has_columns_of(grid: list[list[object]], sheet: _Sheet) -> bool:
    """Whether the first row of `grid` names columns of `sheet` only, and all it needs."""
    if not grid:
        return False
    names = {
        str(raw).strip().lower().replace(" ", "_")
        for raw in grid[0]
        if not _is_empty(raw) and not _is_error(raw)
    } - {NOTE_COLUMN, NOTE_COLUMN + "s"}
    needed = {column.name for column in sheet.columns if column.must_exist}
    return bool(names) and needed <= names <= {column.name for column in sheet.columns}


def _warn_unread(source: str, unread: Sequence[str], left_out: Sequence[str], lang: str) -> None:
    """Warn (`WorkbookWarning`) of the sheets not read, and of the optional sheets left out."""
    _ = texts(lang, "workbook").gettext
    message = _(
        "{source}: sheets not read (not sheets of this workbook; the sheet names stay in "
        "English): {sheets}"
    ).format(source=source, sheets=", ".join(unread))
    if left_out:
        message += _("; sheets left out, read as empty: {sheets}").format(
            sheets=", ".join(left_out)
        )
    warnings.warn(WorkbookWarning(message), stacklevel=3)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _says_none(value: object) -> bool:
    return isinstance(value, str) and value.strip().lower() in (NONE_WORD, NONE_MARK)


def _is_error(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _fresh(value: object) -> object:
    """A copy of a list default, so that no two rows share one."""
    return list(value) if isinstance(value, list) else value


def _fail(source: str, cell: _Cell, problem: str) -> InputError:
    return InputError(f"{source}: {cell.where()}: {problem}")


def _read_sheet(source: str, sheet: _Sheet, grids: _Grids) -> list[_Row]:
    """The non-empty rows of `sheet`, each cell read by its column."""
    if sheet.name.lower() not in grids:
        if sheet.optional:
            return []
        raise InputError(f"{source}: sheet {sheet.name} is missing")
    grid = grids[sheet.name.lower()][1]
    if not grid:
        return []
    columns = _header(source, sheet, grid)
    result: list[_Row] = []
    for index, cells in enumerate(grid[1:], start=2):
        known = [
            (column, cells[position])
            for position, column in columns.items()
            if position < len(cells) and column is not None
        ]
        if all(_is_empty(value) for _, value in known):
            continue
        values: dict[str, object] = {}
        for column, raw in known:
            where = _Cell(sheet.name, index, column.name)
            if _is_error(raw):
                raise _fail(source, where, "holds an error value (#N/A, #REF!, ...), not data")
            value = _unescape(raw) if isinstance(raw, str) else raw
            if _is_empty(value):
                if column.empty is REQUIRED:
                    raise _fail(source, where, "is required")
                if column.empty is not OMIT:
                    values[column.name] = _fresh(column.empty)
                continue
            if column.none is not OMIT and _says_none(value):
                values[column.name] = _fresh(column.none)
                continue
            try:
                values[column.name] = column.read(value)
            except _Bad as exc:
                raise _fail(source, where, str(exc)) from None
        for column in sheet.columns:
            if column.name not in values and column.empty not in (OMIT, REQUIRED):
                values[column.name] = _fresh(column.empty)
        result.append(_Row(sheet, index, values))
    return result


def _header(source: str, sheet: _Sheet, grid: list[list[object]]) -> dict[int, _Column | None]:
    """The column of each position of the first row; None for a note or an empty column."""
    by_name = {column.name: column for column in sheet.columns}
    columns: dict[int, _Column | None] = {}
    seen: dict[str, int] = {}
    for position, raw in enumerate(grid[0]):
        letter = get_column_letter(position + 1)
        if _is_empty(raw) or _is_error(raw):
            if any(position < len(row) and not _is_empty(row[position]) for row in grid[1:]):
                raise InputError(
                    f"{source}: sheet {sheet.name}, row 1, column {letter}: "
                    "the column has values but no name"
                )
            columns[position] = None
            continue
        name = str(raw).strip().lower().replace(" ", "_")
        if name in (NOTE_COLUMN, NOTE_COLUMN + "s"):
            columns[position] = None
            continue
        column = by_name.get(name)
        where = f"{source}: sheet {sheet.name}, row 1, column {name}"
        if column is None:
            known = ", ".join(by_name)
            raise InputError(f"{where}: is not a column of this sheet (the columns are {known})")
        if name in seen:
            first = get_column_letter(seen[name] + 1)
            raise InputError(f"{where}: the column appears twice ({first} and {letter})")
        seen[name] = position
        columns[position] = column
    for column in sheet.columns:
        if column.must_exist and column.name not in seen:
            raise InputError(
                f"{source}: sheet {sheet.name}, row 1, column {column.name}: the column is missing"
            )
    return columns


def _put(target: dict[str, Any], path: Sequence[str], value: object) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _entity(row: _Row) -> dict[str, Any]:
    """The fields of an entity from its row: nested paths such as `window.start` as dicts."""
    result: dict[str, Any] = {}
    for column in row.sheet.columns:
        if column.name in row.values:
            _put(result, column.field, row.values[column.name])
    return result


class _Entities:
    """The rows of one entity sheet by id, refusing an id used twice."""

    def __init__(self, source: str, sheet: _Sheet, rows: Iterable[_Row], kind: str) -> None:
        self.sheet = sheet.name
        self.kind = kind
        self.rows: dict[str, tuple[int, _Row]] = {}
        for row in rows:
            entity_id = row.text("id")
            if entity_id in self.rows:
                first = self.rows[entity_id][1].number
                raise _fail(
                    source, row.cell("id"), f"'{entity_id}' is already the id of row {first}"
                )
            self.rows[entity_id] = (len(self.rows), row)

    def index(self, source: str, row: _Row, column: str) -> int:
        """The index of the entity that `row` names in `column`."""
        wanted = row.text(column)
        if wanted not in self.rows:
            raise _fail(
                source, row.cell(column), f"{self.kind} '{wanted}' is not in sheet {self.sheet}"
            )
        return self.rows[wanted][0]


def _assemble(source: str, rows: Mapping[str, list[_Row]]) -> tuple[dict[str, Any], _Origins]:
    """The instance's data as its YAML file would hold it, and where each value came from."""
    origins = _Origins()
    data: dict[str, Any] = {}

    programme = rows[INSTANCE.name]
    if len(programme) > 1:
        raise _fail(
            source,
            _Cell(INSTANCE.name, programme[1].number),
            "the sheet holds one row, the programme's; remove the others",
        )
    origins.add((), _Cell(INSTANCE.name, 2, "name"))
    for column in INSTANCE.columns:
        origins.add(column.field, _Cell(INSTANCE.name, 2, column.name))
    if programme:
        origins.entity((), programme[0])
        data.update(_entity(programme[0]))

    _assemble_provinces(source, rows, data, origins)
    _assemble_venues(source, rows, data, origins)
    _assemble_trainers(source, rows, data, origins)
    _assemble_topics(source, rows, data, origins)
    _assemble_events(source, rows, data, origins)
    _assemble_pins(rows, data, origins)
    _assemble_policy(source, rows, data, origins)
    return data, origins


def _entities(
    source: str, rows: Mapping[str, list[_Row]], sheet: _Sheet, key: str, origins: _Origins
) -> tuple[list[dict[str, Any]], _Entities]:
    """The entities of an entity sheet, as data at `key`, and their rows by id."""
    entities = _Entities(source, sheet, rows[sheet.name], key.removesuffix("s"))
    origins.add((key,), _Cell(sheet.name))
    for index, row in entities.rows.values():
        origins.entity((key, index), row)
    return [_entity(row) for _, row in entities.rows.values()], entities


def _date_range(source: str, row: _Row) -> dict[str, object] | None:
    """The start and end of a dates row (an empty end: the start day); None for no dates."""
    start, end = row.get("start"), row.get("end")
    if start is None:
        if end is None and row.get("kind") == "available":
            return None
        raise _fail(source, row.cell("start"), "is required")
    return {"start": start, "end": end if end is not None else start}


def _assemble_provinces(
    source: str, rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins
) -> None:
    provinces, entities = _entities(source, rows, PROVINCES, "provinces", origins)
    for row in rows[BLACKOUT_DATES.name]:
        index = entities.index(source, row, "province")
        dates = provinces[index].setdefault("blackout_dates", [])
        origins.add(("provinces", index, "blackout_dates", len(dates)), row.cell("date"))
        origins.add(("provinces", index, "blackout_dates"), row.cell("date"), replace=False)
        dates.append(row.get("date"))
    data["provinces"] = provinces
    travel: list[dict[str, Any]] = []
    origins.add(("travel",), _Cell(TRAVEL.name))
    for row in rows[TRAVEL.name]:
        path: Path_ = ("travel", len(travel))
        origins.entity(path, row, anchor="province_b")
        origins.add((*path, "between", 0), row.cell("province_a"))
        origins.add((*path, "between", 1), row.cell("province_b"))
        link = _entity(row)
        between = [link.pop("province_a"), link.pop("province_b")]
        travel.append({"between": between, **link})
    data["travel"] = travel


def _assemble_venues(
    source: str, rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins
) -> None:
    venues, entities = _entities(source, rows, VENUES, "venues", origins)
    for venue_index, venue in enumerate(venues):
        venue["rooms"] = []
        origins.add(("venues", venue_index, "rooms"), origins.cells[("venues", venue_index)])
    for row in rows[VENUE_DATES.name]:
        index = entities.index(source, row, "venue")
        _add_dates(source, row, venues[index], ("venues", index), origins)
    rooms = _Entities(source, ROOMS, rows[ROOMS.name], "room")
    where: dict[str, tuple[int, int]] = {}
    for room_id, (_, row) in rooms.rows.items():
        venue_index = entities.index(source, row, "venue")
        room = {key: value for key, value in _entity(row).items() if key != "venue"}
        room_index = len(venues[venue_index]["rooms"])
        venues[venue_index]["rooms"].append(room)
        origins.entity(("venues", venue_index, "rooms", room_index), row)
        where[room_id] = (venue_index, room_index)
    for row in rows[ROOM_DATES.name]:
        rooms.index(source, row, "room")
        venue_index, room_index = where[row.text("room")]
        room = venues[venue_index]["rooms"][room_index]
        path: Path_ = ("venues", venue_index, "rooms", room_index)
        _add_dates(source, row, room, path, origins, kind="unavailable")
    data["venues"] = venues


def _add_dates(
    source: str,
    row: _Row,
    owner: dict[str, Any],
    path: Path_,
    origins: _Origins,
    kind: str | None = None,
) -> None:
    """Add a dates row to the `available` or `unavailable` ranges (or avoided days) of `owner`."""
    if kind is None:
        kind = row.text("kind")
        allowed = row.sheet.column("kind").choices
        if kind not in allowed:
            raise _fail(source, row.cell("kind"), f"'{kind}' is not one of {', '.join(allowed)}")
    span = _date_range(source, row)
    if kind == "avoid":
        assert span is not None
        start, end = span["start"], span["end"]
        assert isinstance(start, dt.date) and isinstance(end, dt.date)
        if end < start:
            raise _fail(source, row.cell("end"), f"end {end} is before start {start}")
        days = owner.setdefault("preferences", {}).setdefault("avoid_dates", [])
        for day in DateRange(start=start, end=end).days():
            origins.add((*path, "preferences", "avoid_dates", len(days)), row.cell("start"))
            days.append(day)
        return
    ranges = owner.setdefault(kind, [])
    origins.add((*path, kind), row.cell("start"), replace=False)
    if span is None:
        return
    origins.add((*path, kind, len(ranges)), row.cell("end"))
    origins.add((*path, kind, len(ranges), "start"), row.cell("start"))
    origins.add((*path, kind, len(ranges), "end"), row.cell("end"))
    ranges.append(span)


def _assemble_trainers(
    source: str, rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins
) -> None:
    trainers, entities = _entities(source, rows, TRAINERS, "trainers", origins)
    for trainer in trainers:
        trainer["topics"] = {}
    first_row: dict[tuple[int, str], int] = {}
    for row in rows[TRAINER_TOPICS.name]:
        index = entities.index(source, row, "trainer")
        topic = row.text("topic")
        if (index, topic) in first_row:
            raise _fail(
                source,
                row.cell("topic"),
                f"topic '{topic}' is listed for trainer '{row.text('trainer')}' already, "
                f"in row {first_row[index, topic]}",
            )
        first_row[index, topic] = row.number
        trainers[index]["topics"][topic] = row.get("proficiency")
        path: Path_ = ("trainers", index, "topics", topic)
        origins.add(path, row.cell("proficiency"))
        origins.add((*path, "[key]"), row.cell("topic"))
    for row in rows[TRAINER_DATES.name]:
        index = entities.index(source, row, "trainer")
        _add_dates(source, row, trainers[index], ("trainers", index), origins)
    data["trainers"] = trainers


def _assemble_topics(
    source: str, rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins
) -> None:
    methods, _ = _entities(source, rows, METHODS, "methods", origins)
    data["methods"] = methods
    topics, entities = _entities(source, rows, TOPICS, "topics", origins)
    for row in rows[FACILITATORS.name]:
        index = entities.index(source, row, "topic")
        needs = topics[index].setdefault("facilitators", [])
        if row.get("role") == NONE_MARK:
            origins.add(("topics", index, "facilitators"), row.cell("role"), replace=False)
            continue
        need = {key: value for key, value in _entity(row).items() if key != "topic"}
        origins.entity(("topics", index, "facilitators", len(needs)), row, anchor="role")
        needs.append(need)
    for row in rows[TOPIC_UNAVAILABLE.name]:
        index = entities.index(source, row, "topic")
        slots = topics[index].setdefault("unavailable", [])
        origins.entity(("topics", index, "unavailable", len(slots)), row, anchor="day")
        slots.append({"day": row.get("day"), "slot": row.get("slot")})
    data["topics"] = topics


def _assemble_events(
    source: str, rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins
) -> None:
    groups, _ = _entities(source, rows, GROUPS, "groups", origins)
    data["groups"] = groups
    events, entities = _entities(source, rows, EVENTS, "events", origins)
    for index, event in enumerate(events):
        event["slots"], event["curriculum"] = [], []
        for key in ("slots", "curriculum"):
            origins.add(("events", index, key), origins.cells[("events", index)])
    for row in rows[SLOTS.name]:
        index = entities.index(source, row, "event")
        slots = events[index]["slots"]
        origins.entity(("events", index, "slots", len(slots)), row, anchor="end")
        slots.append({"start": row.get("start"), "end": row.get("end")})
    for row in rows[CURRICULUM.name]:
        index = entities.index(source, row, "event")
        items = events[index]["curriculum"]
        origins.entity(("events", index, "curriculum", len(items)), row, anchor="topic")
        items.append({key: value for key, value in _entity(row).items() if key != "event"})
    data["events"] = events


def _assemble_pins(rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins) -> None:
    pins: list[dict[str, Any]] = []
    origins.add(("pins",), _Cell(PINS.name))
    for row in rows[PINS.name]:
        origins.entity(("pins", len(pins)), row, anchor="day")
        pins.append(_entity(row))
    data["pins"] = pins


def _assemble_policy(
    source: str, rows: Mapping[str, list[_Row]], data: dict[str, Any], origins: _Origins
) -> None:
    policy: dict[str, Any] = {}
    origins.add(("policy",), _Cell(POLICY.name))
    seen: dict[str, int] = {}
    for row in rows[POLICY.name]:
        name = row.text("setting")
        if name in seen:
            raise _fail(
                source, row.cell("setting"), f"'{name}' is set already, in row {seen[name]}"
            )
        seen[name] = row.number
        value = row.get("value")
        where = row.cell("value")
        if name.startswith(CP_SAT_PREFIX) and len(name) > len(CP_SAT_PREFIX):
            path: tuple[str, ...] = ("solver", "cp_sat", name.removeprefix(CP_SAT_PREFIX))
            read: Callable[[object], object] = _cp_sat_value
            empty: object = REQUIRED
        elif name in SETTINGS:
            setting = SETTINGS[name]
            path, read, empty = setting.path, setting.read, setting.empty
        else:
            known = ", ".join([*SETTINGS, f"{CP_SAT_PREFIX}<name>"])
            raise _fail(
                source, row.cell("setting"), f"'{name}' is not a setting (the settings are {known})"
            )
        origins.add(("policy", *path), where)
        if path[0] in ("levels", "hard"):
            origins.add(("policy",), where)
        if value is None:
            if empty is REQUIRED:
                raise _fail(source, where, "is required")
            if empty is not OMIT:
                _put(policy, path, empty)
            continue
        try:
            _put(policy, path, read(value))
        except _Bad as exc:
            raise _fail(source, where, str(exc)) from None
    seen.clear()
    for row in rows[WEIGHTS.name]:
        rule = row.text("rule").upper()
        if rule not in SOFT_IDS:
            shown = row.text("rule")
            raise _fail(source, row.cell("rule"), f"'{shown}' is not a soft rule (S1 to S11)")
        if rule in seen:
            raise _fail(
                source, row.cell("rule"), f"{rule} is weighted already, in row {seen[rule]}"
            )
        seen[rule] = row.number
        origins.add(("policy", "weights", rule), row.cell("weight"))
        if "weight" in row.values:
            _put(policy, ("weights", rule), row.values["weight"])
    data["policy"] = policy


# Validation errors, mapped back to their cells.


def _describe(
    source: str, error: ValidationError, data: Mapping[str, Any], origins: _Origins
) -> InputError:
    first = error.errors(include_url=False)[0]
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, InstanceError):
        problem = cause.problem
        if cause.kind == "pin" and cause.field == "offering":
            problem = f"{_show(cause.entity_id)}: {problem}{_offering_hint(cause.entity_id, data)}"
        return _fail(source, _instance_error_cell(cause, data, origins), problem)
    location = tuple(first["loc"])
    cell, rest = origins.locate(location)
    problem = _problem(first)
    if first["type"] == "too_short":
        problem = _too_few(first, location, cell)
    if not rest and (prefix := re.match(r"([a-z_]+): ", problem)):
        inside = origins.under((*location, prefix.group(1)))
        cell = _mentioned(inside, problem) or (inside[0] if inside else cell)
    named = [part for part in rest if isinstance(part, str)]
    if named:
        problem = f"{'.'.join(named)}: {problem}"
    return _fail(source, cell, problem)


_KIND_KEYS = {**COLLECTIONS, "travel link": "travel"}


def _instance_error_cell(cause: InstanceError, data: Mapping[str, Any], origins: _Origins) -> _Cell:
    """The cell an instance-wide problem is about: the entity's row, at the field's column."""
    if cause.kind == "pin":
        path = _failing_pin(cause.entity_id, data)
    else:
        path = _entity_path(cause.kind, cause.entity_id, data)
    if path is None:
        return _Cell(INSTANCE.name)
    inside = origins.under((*path, cause.field))
    found = _mentioned(inside, cause.problem) or (inside[0] if inside else None)
    return found or origins.locate(path)[0]


def _offering_hint(wanted: str, data: Mapping[str, Any]) -> str:
    """`; did you mean ...?` with the offerings of the event and topic of `wanted` (its
    breakout groups, say), else of the offering whose id is closest; empty when none is close."""
    try:
        instance = Instance.model_validate({**data, "pins": []}, context=LENIENT)
    except ValidationError:
        return ""
    known = [f"{o.event}/{o.topic}/{o.audience}" for o in instance.offerings()]

    def event_topic(offering: str) -> str:
        return "/".join(offering.split("/")[:2]) + "/"

    closest = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    prefixes = [event_topic(wanted), *(event_topic(offering) for offering in closest)]
    prefix = next((p for p in prefixes if any(k.startswith(p) for k in known)), None)
    hints = [offering for offering in known if prefix and offering.startswith(prefix)]
    if not hints:
        return ""
    shown = hints[0] if len(hints) == 1 else f"{', '.join(hints[:-1])} or {hints[-1]}"
    return f"; did you mean {shown}?"


def _failing_pin(offering: str, data: Mapping[str, Any]) -> Path_ | None:
    """The first pin of `offering` that the instance's checks refuse.

    Pins have no id of their own and several may pin one offering, so the row is the first
    whose pins, up to it, already fail; the other rules hold, as they are checked before pins.
    """
    pins = list(data.get("pins", []))
    for index, pin in enumerate(pins):
        if pin.get("offering") != offering:
            continue
        try:
            Instance.model_validate({**data, "pins": pins[: index + 1]}, context=LENIENT)
        except ValidationError:
            return ("pins", index)
    return None


def _entity_path(kind: str, entity_id: str, data: Mapping[str, Any]) -> Path_ | None:
    if kind == "room":
        for venue_index, venue in enumerate(data.get("venues", [])):
            for room_index, room in enumerate(venue.get("rooms", [])):
                if room.get("id") == entity_id:
                    return ("venues", venue_index, "rooms", room_index)
        return None
    key = _KIND_KEYS.get(kind)
    if key is None:
        return None
    for index, item in enumerate(data.get(key, [])):
        label = item.get("id")
        if kind == "travel link":
            label = "-".join(str(part) for part in item.get("between", []))
        if label == entity_id:
            return (key, index)
    return None


_CHILD_SHEETS = {"rooms": ROOMS.name, "slots": SLOTS.name, "curriculum": CURRICULUM.name}
"""Lists of an entity that come from rows of another sheet."""


def _too_few(detail: Mapping[str, Any], location: Path_, cell: _Cell) -> str:
    """An empty list: of rows of a sheet, of rows of another sheet for an entity, or in a cell."""
    minimum = (detail.get("ctx") or {}).get("min_length", 1)
    name = next((str(part) for part in reversed(location) if isinstance(part, str)), "")
    if cell.row is None:
        return f"no rows; at least {minimum} needed"
    if name in _CHILD_SHEETS and cell.column != name:
        return f"no {name} in sheet {_CHILD_SHEETS[name]}; at least {minimum} needed"
    return f"none given; at least {minimum} needed"


def _problem(detail: Mapping[str, Any]) -> str:
    """The problem of one pydantic error, in the words of the YAML loader's messages."""
    kind = detail["type"]
    message = str(detail["msg"])
    if kind == "missing":
        return "is required"
    if kind == "string_pattern_mismatch":  # only ids have a pattern
        return (
            f"{_show(detail.get('input'))} is not an id: use letters, digits, '-', '_' and '.', "
            "starting with a letter or digit"
        )
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    lowered = message[:1].lower() + message[1:]
    value = detail.get("input")
    if isinstance(value, str | int | float | bool | dt.date | dt.time) or value is None:
        return f"{_show(value)}: {lowered}"
    return lowered


# Writing a workbook.


def write_workbook(path: str | Path, instance: Instance, lang: str = "en") -> None:
    """Write `instance` as a workbook, whole or not at all, with instructions in `lang`."""
    path = Path(path)
    book = _book(instance, lang, path.name, example=False)
    write_atomically(path, book.save)


def write_template(path: str | Path, lang: str = "en") -> None:
    """Write a workbook to fill in: instructions in `lang` and a small example in every sheet;
    the example's language is `lang` too (left empty for English, the default)."""
    path = Path(path)
    book = _book(example_instance(lang), lang, path.name, example=True)
    write_atomically(path, book.save)


def _book(instance: Instance, lang: str, file_name: str, example: bool) -> Workbook:
    book = Workbook()
    _instructions(book.active, lang, file_name, example)
    for sheet in SHEETS:
        if sheet is POLICY:
            _write_policy(book.create_sheet(sheet.name), instance, lang)
        elif sheet is WEIGHTS:
            _write_weights(book.create_sheet(sheet.name), instance, lang)
        else:
            _write_sheet(book.create_sheet(sheet.name), sheet, _ROWS[sheet.name](instance))
    return book


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _set(
    worksheet: Worksheet, row: int, column: int, value: object, number_format: str | None
) -> None:
    cell = worksheet.cell(row=row, column=column)
    if isinstance(value, str):
        if value:
            put_text(cell, _escape(value))  # never a formula nor an error code such as #N/A
    else:
        cell.value = value
        if number_format is not None and value is not None:
            cell.number_format = number_format


def _write_sheet(worksheet: Worksheet, sheet: _Sheet, rows: Iterable[Mapping[str, object]]) -> None:
    headers = [column.name for column in sheet.columns]
    worksheet.append(headers)
    for number, values in enumerate(rows, start=2):
        for position, column in enumerate(sheet.columns, start=1):
            value = values.get(column.name)
            if column.none is not OMIT and value in (None, ()):
                cell_value: object = NONE_WORD
            else:
                cell_value = column.write(value) if value is not None else None
            _set(worksheet, number, position, cell_value, column.number_format)
    _finish(worksheet, sheet.columns)


def _finish(worksheet: Worksheet, columns: Sequence[_Column]) -> None:
    """Bold, frozen headers, a filter, readable widths and drop-down lists of choices."""
    for position in range(1, worksheet.max_column + 1):
        letter = get_column_letter(position)
        header = worksheet.cell(row=1, column=position)
        header.font, header.fill = _HEADER_FONT, _HEADER_FILL
        longest = max(len(_shown_width(cell.value)) for cell in worksheet[letter])
        worksheet.column_dimensions[letter].width = min(60, max(10, longest + 2))
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = worksheet.dimensions
    for position, column in enumerate(columns, start=1):
        if column.choices:
            letter = get_column_letter(position)
            choices = DataValidation(
                type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True
            )
            choices.add(f"{letter}2:{letter}5000")
            worksheet.add_data_validation(choices)


def _shown_width(value: object) -> str:
    if isinstance(value, dt.date):
        return "yyyy-mm-dd"
    return "" if value is None else str(value)


def _rows_instance(instance: Instance) -> list[dict[str, object]]:
    return [
        {"name": instance.name, "description": instance.description, "language": instance.language}
    ]


def _rows_provinces(instance: Instance) -> list[dict[str, object]]:
    return [dict(province) for province in instance.provinces]


def _rows_blackout_dates(instance: Instance) -> list[dict[str, object]]:
    return [
        {"province": province.id, "date": day}
        for province in instance.provinces
        for day in province.blackout_dates
    ]


def _rows_travel(instance: Instance) -> list[dict[str, object]]:
    return [
        {"province_a": link.between[0], "province_b": link.between[1], **dict(link)}
        for link in instance.travel
    ]


def _rows_venues(instance: Instance) -> list[dict[str, object]]:
    return [dict(venue) for venue in instance.venues]


def _date_rows(
    owner_column: str, owner: str, kind: str, spans: tuple[DateRange, ...] | None
) -> list[dict[str, object]]:
    if spans is None:
        return []
    if not spans and kind == "available":
        return [{owner_column: owner, "kind": kind}]  # available on no date at all
    return [
        {owner_column: owner, "kind": kind, "start": span.start, "end": span.end} for span in spans
    ]


def _rows_venue_dates(instance: Instance) -> list[dict[str, object]]:
    return [
        row
        for venue in instance.venues
        for kind in _KINDS_OF_DATES
        for row in _date_rows("venue", venue.id, kind, getattr(venue, kind))
    ]


def _rows_rooms(instance: Instance) -> list[dict[str, object]]:
    return [{**dict(room), "venue": venue.id} for venue in instance.venues for room in venue.rooms]


def _rows_room_dates(instance: Instance) -> list[dict[str, object]]:
    return [
        {"room": room.id, "start": span.start, "end": span.end}
        for venue in instance.venues
        for room in venue.rooms
        for span in room.unavailable
    ]


def _rows_trainers(instance: Instance) -> list[dict[str, object]]:
    return [
        {
            **dict(trainer),
            "avoid_weekdays": trainer.preferences.avoid_weekdays,
            "avoid_slots": trainer.preferences.avoid_slots,
        }
        for trainer in instance.trainers
    ]


def _rows_trainer_topics(instance: Instance) -> list[dict[str, object]]:
    return [
        {"trainer": trainer.id, "topic": topic, "proficiency": level}
        for trainer in instance.trainers
        for topic, level in trainer.topics.items()
    ]


def _rows_trainer_dates(instance: Instance) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for trainer in instance.trainers:
        for kind in _KINDS_OF_DATES:
            rows += _date_rows("trainer", trainer.id, kind, getattr(trainer, kind))
        rows += [
            {"trainer": trainer.id, "kind": "avoid", "start": day, "end": day}
            for day in trainer.preferences.avoid_dates
        ]
    return rows


def _rows_methods(instance: Instance) -> list[dict[str, object]]:
    return [dict(method) for method in instance.methods]


def _rows_topics(instance: Instance) -> list[dict[str, object]]:
    return [dict(topic) for topic in instance.topics]


def _rows_facilitators(instance: Instance) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for topic in instance.topics:
        if not topic.facilitators:
            rows.append({"topic": topic.id, "role": NONE_MARK})
        rows += [{"topic": topic.id, **dict(need)} for need in topic.facilitators]
    return rows


def _rows_topic_unavailable(instance: Instance) -> list[dict[str, object]]:
    return [
        {"topic": topic.id, "day": ref.day, "slot": ref.slot}
        for topic in instance.topics
        for ref in topic.unavailable
    ]


def _rows_groups(instance: Instance) -> list[dict[str, object]]:
    return [dict(group) for group in instance.groups]


def _rows_events(instance: Instance) -> list[dict[str, object]]:
    return [
        {**dict(event), "window_start": event.window.start, "window_end": event.window.end}
        for event in instance.events
    ]


def _rows_slots(instance: Instance) -> list[dict[str, object]]:
    return [
        {"event": event.id, "start": slot.start, "end": slot.end}
        for event in instance.events
        for slot in event.slots
    ]


def _rows_pins(instance: Instance) -> list[dict[str, object]]:
    return [dict(pin) for pin in instance.pins]


def _rows_curriculum(instance: Instance) -> list[dict[str, object]]:
    return [
        {**dict(item), "event": event.id, "groups": NONE_MARK if item.groups == () else item.groups}
        for event in instance.events
        for item in event.curriculum
    ]


_ROWS: dict[str, Callable[[Instance], list[dict[str, object]]]] = {
    INSTANCE.name: _rows_instance,
    PROVINCES.name: _rows_provinces,
    BLACKOUT_DATES.name: _rows_blackout_dates,
    TRAVEL.name: _rows_travel,
    VENUES.name: _rows_venues,
    VENUE_DATES.name: _rows_venue_dates,
    ROOMS.name: _rows_rooms,
    ROOM_DATES.name: _rows_room_dates,
    TRAINERS.name: _rows_trainers,
    TRAINER_TOPICS.name: _rows_trainer_topics,
    TRAINER_DATES.name: _rows_trainer_dates,
    METHODS.name: _rows_methods,
    TOPICS.name: _rows_topics,
    FACILITATORS.name: _rows_facilitators,
    TOPIC_UNAVAILABLE.name: _rows_topic_unavailable,
    GROUPS.name: _rows_groups,
    EVENTS.name: _rows_events,
    SLOTS.name: _rows_slots,
    CURRICULUM.name: _rows_curriculum,
    PINS.name: _rows_pins,
}
"""The rows of each entity sheet, from an instance: model values by column name."""


def _write_policy(worksheet: Worksheet, instance: Instance, lang: str) -> None:
    _ = texts(lang, "workbook").gettext
    notes = {
        "room_capacity": _("hard or soft: whether a room may hold more people than its capacity"),
        "partnership_role": _("role of the partner who co-facilitates (S10)"),
        "late_after": _("a slot starting at this time or later is late (S11)"),
        "max_daily_slots": _("slots a day a group can take comfortably (S11); empty: no limit"),
        "cost_unit": _("rupiah per point of the cost penalty (S5)"),
        "hard": _("soft rules made hard, e.g. S10, S6"),
        "levels": _("priority levels, solved in turn, e.g. S10; S1, S2; empty: one weighted sum"),
        "solver.time_limit": _("seconds of search"),
        "solver.workers": _("search workers (threads)"),
        "solver.seed": _("random seed"),
        "solver.search": _("auto, portfolio or lns"),
    }
    policy = instance.policy
    worksheet.append(["setting", "value", NOTE_COLUMN])
    for number, (name, setting) in enumerate(SETTINGS.items(), start=2):
        value: object = policy
        for key in setting.path:
            value = getattr(value, key)
        shown = setting.write(value) if value is not None else None
        _set(worksheet, number, 1, name, None)
        _set(worksheet, number, 2, shown, setting.number_format)
        _set(worksheet, number, 3, notes[name], None)
    for name, raw in policy.solver.cp_sat.items():
        shown = "[" + ", ".join(raw) + "]" if isinstance(raw, list) else raw
        number = worksheet.max_row + 1
        _set(worksheet, number, 1, CP_SAT_PREFIX + name, None)
        _set(worksheet, number, 2, shown, None)
        _set(worksheet, number, 3, _("a CP-SAT parameter, passed on as given"), None)
    _finish(worksheet, POLICY.columns)


def _write_weights(worksheet: Worksheet, instance: Instance, lang: str) -> None:
    worksheet.append(["rule", "weight", NOTE_COLUMN])
    for soft_id in SOFT_IDS:
        worksheet.append([soft_id, instance.policy.weights.of(soft_id), rule_name(soft_id, lang)])
    _finish(worksheet, WEIGHTS.columns)


def _instructions(worksheet: Worksheet, lang: str, file_name: str, example: bool) -> None:
    """The first sheet: what the workbook is and how to fill it in, in `lang`."""
    _ = texts(lang, "workbook").gettext
    worksheet.title = _("Instructions")
    lines = [
        _("This workbook describes a Training-of-Trainers programme for the TOT scheduler: "
          "provinces, venues and rooms, trainers, methods, topics, groups and events."),
        _("Each sheet holds one kind of thing, one row each. Keep the sheet names and the "
          "column names of the first row as they are (they stay in English)."),
        _("Ids link the sheets: letters, digits, '-', '_' and '.', such as bali-women. A row of "
          "TrainerTopics names its trainer in the column trainer, and so on."),
        _("A list goes in one cell, separated by commas: projector, flipchart."),
        _("Dates are date cells (or YYYY-MM-DD), times are time cells (or HH:MM), money is in "
          "whole rupiah."),
        _("An empty cell takes the default value, for most lists none. Write none for no "
          "public holidays (holiday_country), no rest days (rest_days) or no languages "
          "(languages): empty, they are ID, sunday and id. A column named note may be added "
          "anywhere: it is not read."),
        _("Sheets with other names, such as your own notes, are not read: the tool says which. "
          "A sheet of this workbook that is renamed is an error."),
    ]  # fmt: skip
    if example:
        lines.append(
            _("The rows of the other sheets are a small example: replace them with your own.")
        )
    lines.append(_("Find a timetable with: {command}").format(command=f"tot solve {file_name}"))
    sheets = {
        INSTANCE.name: _("The programme: name, description, language of reports (en or id)."),
        PROVINCES.name: _("Provinces: city, public-holiday country (empty: ID; none: no "
                          "holidays), weekly rest days (empty: sunday; none: no rest days), "
                          "time zone (empty: WITA; or WIB, WIT)."),
        BLACKOUT_DATES.name: _("More days off of a province, such as regional holidays."),
        TRAVEL.name: _("Travel between two provinces: days on the road and the return fare."),
        VENUES.name: _("Venues: province, city and cost per day."),
        VENUE_DATES.name: _("Dates a venue is available (if listed, only then) or unavailable."),
        ROOMS.name: _("Rooms of the venues: capacity and facilities."),
        ROOM_DATES.name: _("Dates a room is unavailable."),
        TRAINERS.name: _("Trainers: home province, role (national, provincial, community), "
                         "languages (empty: id), methods, fee per day, limits, weekdays and "
                         "slots to avoid."),
        TRAINER_TOPICS.name: _("The topics a trainer can lead, proficiency 1 (basic) to 3 "
                               "(expert)."),
        TRAINER_DATES.name: _("Dates a trainer is available (if listed, only then), "
                              "unavailable, or would rather avoid."),
        METHODS.name: _("Training methods: participatory or not, facilities needed, length in "
                        "slots."),
        TOPICS.name: _("Topics: sessions, slots per session, days to spread over, methods, "
                       "prerequisites, day rule (any, first, last, not-first, not-last)."),
        FACILITATORS.name: _("Facilitator positions of a topic's sessions (none listed: one lead "
                             "of any role)."),
        TOPIC_UNAVAILABLE.name: _("Slots (day and slot number within the event) a topic cannot "
                                  "use."),
        GROUPS.name: _("Participant groups and their sizes."),
        EVENTS.name: _("The TOTs: province, candidate venues, date window, days, groups."),
        SLOTS.name: _("The time slots of each day of an event."),
        CURRICULUM.name: _("The topics of each event: groups (empty: every group of the event), "
                           "mode plenary or breakout."),
        PINS.name: _("Sessions fixed in advance. offering: event/topic/audience, such as "
                     "tot-bali/hiv-basics/all (audience: all, the group of a breakout session, "
                     "or groups joined by +). Then a day and slot (a session starts there), a "
                     "room, trainers, or several of these."),
        POLICY.name: _("Settings: rules made hard, late slots, cost unit, the solver."),
        WEIGHTS.name: _("Weights of the soft rules S1 to S11; 0 switches a rule off."),
    }  # fmt: skip
    worksheet.append([_("How to fill in this workbook")])
    worksheet["A1"].font = Font(bold=True, size=14)
    worksheet.append([])
    for line in lines:
        worksheet.append([line])
        worksheet.merge_cells(
            start_row=worksheet.max_row, end_row=worksheet.max_row, start_column=1, end_column=2
        )
    worksheet.append([])
    worksheet.append([_("Sheet"), _("What it holds")])
    for cell in worksheet[worksheet.max_row]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for name, meaning in sheets.items():
        worksheet.append([name, meaning])
    worksheet.column_dimensions["A"].width = 20
    worksheet.column_dimensions["B"].width = 100
    for row in worksheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# The example of the template.

_EXAMPLE: dict[str, Any] = {
    "name": "Example TOT",
    "description": "A two-day TOT in Sanur, Bali: replace these rows with your own.",
    "provinces": [
        {
            "id": "bali",
            "name": "Bali",
            "city": "Denpasar",
            "holiday_country": "ID",
            "blackout_dates": ["1999-03-17"],
            "rest_days": ["sunday"],
        },
        {
            "id": "jakarta",
            "name": "DKI Jakarta",
            "city": "Jakarta",
            "rest_days": ["sunday"],
            "time_zone": "WIB",
        },
    ],
    "travel": [{"between": ["jakarta", "bali"], "days": 1, "fare": 750000}],
    "venues": [
        {
            "id": "sanur",
            "name": "Hotel meeting rooms, Sanur",
            "province": "bali",
            "city": "Sanur",
            "daily_cost": 500000,
            "unavailable": [{"start": "1999-02-08", "end": "1999-02-09"}],
            "rooms": [
                {"id": "pendopo", "capacity": 30, "facilities": ["projector", "flipchart"]},
                {
                    "id": "garden",
                    "capacity": 15,
                    "facilities": ["flipchart", "outdoor-area"],
                    "unavailable": [{"start": "1999-02-10", "end": "1999-02-10"}],
                },
            ],
        }
    ],
    "methods": [
        {"id": "lecture", "name": "Ceramah", "facilities": ["projector"], "max_slots": 1},
        {
            "id": "discussion",
            "name": "Diskusi kelompok",
            "participatory": True,
            "facilities": ["flipchart"],
        },
        {"id": "role-play", "name": "Bermain peran", "participatory": True, "min_slots": 2},
    ],
    "trainers": [
        {
            "id": "dewi",
            "name": "Dewi (national trainer)",
            "home": "jakarta",
            "role": "national",
            "languages": ["id", "en"],
            "topics": {"partnership": 3, "hiv-basics": 3, "planning": 2},
            "methods": ["lecture", "discussion"],
            "daily_fee": 400000,
            "available": [{"start": "1999-02-01", "end": "1999-02-28"}],
            "max_slots_per_day": 3,
            "preferences": {"avoid_weekdays": ["saturday"]},
        },
        {
            "id": "ketut",
            "name": "Ketut (peer educator)",
            "home": "bali",
            "role": "community",
            "languages": ["id", "ban"],
            "topics": {"partnership": 2, "role-play-practice": 3, "hiv-basics": 2},
            "methods": ["discussion", "role-play"],
            "daily_fee": 100000,
            "unavailable": [{"start": "1999-02-12", "end": "1999-02-12"}],
            "preferences": {"avoid_slots": [1], "avoid_dates": ["1999-02-02"]},
        },
    ],
    "topics": [
        {
            "id": "partnership",
            "title": "Partisipasi dan kemitraan",
            "sessions": 2,
            "min_days": 2,
            "methods": ["lecture", "discussion"],
            "facilitators": [
                {"role": "lead", "trainer_roles": ["national", "provincial"]},
                {"role": "co-facilitator", "trainer_roles": ["community"]},
            ],
        },
        {"id": "hiv-basics", "title": "PMS dan HIV/AIDS", "methods": ["lecture", "discussion"]},
        {
            "id": "role-play-practice",
            "title": "Negosiasi kondom (role play)",
            "slots_per_session": 2,
            "methods": ["role-play"],
            "facilitators": [{"role": "lead", "trainer_roles": ["community"]}],
            "prerequisites": ["hiv-basics"],
        },
        {
            "id": "planning",
            "title": "Rencana tindak lanjut",
            "methods": ["discussion"],
            "days": "last",
            "unavailable": [{"day": 2, "slot": 4}],
        },
    ],
    "groups": [
        {"id": "women", "name": "Peer educators, women", "size": 10, "language": "id"},
        {"id": "waria", "name": "Peer educators, waria", "size": 8, "language": "id"},
    ],
    "events": [
        {
            "id": "tot-bali",
            "name": "TOT Bali, Sanur",
            "province": "bali",
            "venues": ["sanur"],
            "window": {"start": "1999-02-01", "end": "1999-02-05"},
            "days": 2,
            "slots": [
                {"start": "08:30", "end": "10:00"},
                {"start": "10:30", "end": "12:00"},
                {"start": "13:00", "end": "14:30"},
                {"start": "15:00", "end": "16:30"},
            ],
            "groups": ["women", "waria"],
            "curriculum": [
                {"topic": "partnership"},
                {"topic": "hiv-basics"},
                {"topic": "role-play-practice", "mode": "breakout"},
                {"topic": "planning"},
            ],
            "participatory_target": 0.5,
        }
    ],
    "pins": [
        {
            "offering": "tot-bali/partnership/all",
            "day": 1,
            "slot": 1,
            "room": "pendopo",
            "trainers": ["dewi"],
        }
    ],
}
"""The example rows of the template: a small instance that uses every sheet."""


def example_instance(lang: str = "en") -> Instance:
    """The small instance whose rows fill the template; its language is `lang`, none for en."""
    return Instance.model_validate({**_EXAMPLE, "language": None if lang == "en" else lang})
