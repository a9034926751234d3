"""Write and read timetables: JSON (canonical and complete) and CSV (one row per session).

Files are written whole or not at all: into a temporary file beside the target, then renamed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models import EventPlan, Instance, ScheduledSession, Timetable, working_days
from scheduler.cells import FORMULA_STARTS, safe_cell
from scheduler.errors import InputError, InputWarning, describe_validation_error, pydantic_problem

CSV_COLUMNS = (
    "session",
    "event",
    "topic",
    "groups",
    "date",
    "day",
    "slot",
    "num_slots",
    "start_time",
    "end_time",
    "venue",
    "room",
    "method",
    "trainers",
)


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


_UMASK = _current_umask()
"""Read once, at import: setting it to read it is not safe while other threads create files."""


def default_mode(directory: bool = False) -> int:
    """The permissions a new file (or folder) of the user gets under the umask."""
    return (0o777 if directory else 0o666) & ~_UMASK


def cannot_write(path: Path, error: OSError) -> InputError:
    """A file or folder that cannot be written, in one line: `out.json: cannot be written
    (Permission denied)`."""
    return InputError(f"{path}: cannot be written ({error.strerror or error})")


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write` on a temporary path beside `path`, then move it into place; a file system
    that refuses either is an `InputError` naming `path`."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: folder '{folder}' does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    os.close(handle)
    try:
        write(Path(temporary))
        # mkstemp makes the file private; give it the mode any new file of the user gets.
        os.chmod(temporary, default_mode())
        os.replace(temporary, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` whole or not at all."""

    def write(target: Path) -> None:
        target.write_text(text, encoding="utf-8")

    write_atomically(path, write)


def timetable_json(timetable: Timetable) -> str:
    """The canonical JSON text of a timetable."""
    return timetable.model_dump_json(indent=2, exclude_none=True) + "\n"


def timetable_csv(timetable: Timetable) -> str:
    """One row per session, in the column order of `CSV_COLUMNS`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in timetable.sessions:
        writer.writerow(
            safe_cell(value)
            for value in [
                s.id,
                s.event,
                s.topic,
                ";".join(s.groups),
                s.date.isoformat(),
                s.day,
                s.slot,
                s.num_slots,
                f"{s.start_time:%H:%M}" if s.start_time else "",
                f"{s.end_time:%H:%M}" if s.end_time else "",
                s.venue,
                s.room,
                s.method,
                ";".join(f"{f.trainer}:{f.role}" for f in s.trainers),
            ]
        )
    return buffer.getvalue()


WRITERS: dict[str, Callable[[Timetable], str]] = {".json": timetable_json, ".csv": timetable_csv}


def write_timetable(path: Path, timetable: Timetable) -> None:
    """Write `timetable` in the format its suffix names (.json or .csv)."""
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        known = ", ".join(WRITERS)
        raise InputError(f"{path}: cannot write '{path.suffix}' files (expected one of {known})")
    write_text_atomically(path, writer(timetable))


def read_text(path: Path) -> str:
    """The UTF-8 text of an input file (a byte-order mark, as spreadsheet programs write,
    left out), every failure turned into a one-line `InputError`."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


def read_timetable(path: Path, instance: Instance) -> Timetable:
    """Read a timetable of `instance` from JSON or CSV; CSV event plans are inferred from the
    sessions. A timetable none of whose events is one of `instance` is bad input."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".csv"):
        raise InputError(f"{path}: cannot read '{suffix}' timetables (expected .json or .csv)")
    text = read_text(path)
    if suffix == ".csv":
        timetable = _timetable_from_csv(path, text, instance)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: expected a JSON object with 'events' and 'sessions'")
        try:
            timetable = Timetable.model_validate(data)
        except ValidationError as exc:
            raise describe_validation_error(str(path), exc, data, top="timetable") from None
    _of_instance(path, timetable, instance)
    return timetable


def _of_instance(path: Path, timetable: Timetable, instance: Instance) -> None:
    """Refuse a timetable made for another instance: none of its events is one of this one.

    One event in common is enough: a scenario may drop or add events, and `check` then
    reports what is missing or unknown, session by session."""
    named = {plan.event for plan in timetable.events} | {s.event for s in timetable.sessions}
    if not named or named & {event.id for event in instance.events}:
        if timetable.instance != instance.name:
            warnings.warn(
                InputWarning(
                    f"{path}: a timetable of '{timetable.instance}', read as one of "
                    f"'{instance.name}'"
                ),
                stacklevel=3,
            )
        return
    events = ", ".join(f"'{event}'" for event in sorted(named))
    raise InputError(
        f"{path}: timetable of '{timetable.instance}' (events {events}): none of its events "
        f"is one of '{instance.name}'"
    )


def _delimiter(header: str) -> str:
    """`,`, or the `;` (or tab) that spreadsheet programs in many locales, Indonesian among
    them, separate columns with: whichever splits the header line into the most columns."""
    return max((",", ";", "\t"), key=lambda mark: len(next(csv.reader([header], delimiter=mark))))


def _clock(text: str) -> str:
    """`8:30` or `8.30` (as spreadsheets write times) as `08:30`; anything else unchanged."""
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", text)
    return f"{int(match[1]):02d}:{match[2]}" if match else text


def _timetable_from_csv(path: Path, text: str, instance: Instance) -> Timetable:
    header = text.partition("\n")[0]
    reader = csv.DictReader(io.StringIO(text), delimiter=_delimiter(header))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}: row 1: missing column(s) {', '.join(missing)}")
    sessions: list[ScheduledSession] = []
    for number, row in enumerate(reader, start=2):
        sessions.append(_session_from_row(path, number, row))
    plans: list[EventPlan] = []
    for event in instance.events:
        mine = [s for s in sessions if s.event == event.id]
        if not mine:
            continue
        days = working_days(instance.province(event.province), event)
        first = min(mine, key=lambda s: (s.date, s.slot))
        start = first.date
        if first.date in days:
            position = days.index(first.date) - (first.day - 1)
            if 0 <= position < len(days):
                start = days[position]
        block = (
            tuple(days[days.index(start) : days.index(start) + event.days]) if start in days else ()
        )
        plans.append(EventPlan(event=event.id, venue=first.venue, start=start, dates=block))
    return Timetable(instance=instance.name, events=tuple(plans), sessions=tuple(sessions))


def _session_from_row(path: Path, number: int, row: dict[str, Any]) -> ScheduledSession:
    def cell(column: str) -> str:
        text = str(row.get(column) or "").strip()
        # Undo `safe_cell`: a quote that only kept a spreadsheet from running the text.
        if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
            return text[1:]
        return text

    try:
        trainers = []
        for part in filter(None, cell("trainers").split(";")):
            trainer, _, role = part.partition(":")
            trainers.append({"trainer": trainer.strip(), "role": role.strip() or "lead"})
        data = {
            "id": cell("session"),
            "event": cell("event"),
            "topic": cell("topic"),
            "groups": [g for g in cell("groups").split(";") if g],
            "date": cell("date"),
            "day": cell("day"),
            "slot": cell("slot"),
            "num_slots": cell("num_slots") or 1,
            "start_time": _clock(cell("start_time")) or None,
            "end_time": _clock(cell("end_time")) or None,
            "venue": cell("venue"),
            "room": cell("room"),
            "method": cell("method"),
            "trainers": trainers,
        }
        return ScheduledSession.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        column = {"id": "session"}.get(str(first["loc"][0]), str(first["loc"][0]))
        raise InputError(
            f"{path}: row {number}, column {column}: {pydantic_problem(first)}"
        ) from None
