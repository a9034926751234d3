"""The timetable as iCalendar files: one calendar for a trainer (or for every session), or a
folder with one `<trainer-id>.ics` per trainer who has sessions.

Times are local clock times of each event's province (WITA, Asia/Makassar, for Bali, Sulawesi
and Nusa Tenggara; WIB or WIT elsewhere), with the VTIMEZONE that defines each zone used, so a
calendar program shows them at the right hour wherever it runs. A session keeps its UID from
one export to the next, so that importing a revised timetable moves the event it already has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneStandard

from models.common import DEFAULT_TIME_ZONE, TIME_ZONES
from scheduler.exports.files import write_file, write_folder
from scheduler.exports.views import (
    ExportView,
    Labels,
    SessionView,
)

PRODUCT_ID = "-//TOT Scheduler//Timetable//EN"


def write_ics(path: Path, view: ExportView, trainer: str | None) -> None:
    """Write one calendar to `path`: `trainer`'s sessions, or every session without one."""
    write_file(path, calendar_bytes(view, trainer))


CALENDAR_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}\.ics")
"""The name of a calendar in a folder: `<trainer-id>.ics`, with an id as `models.common.Id`."""


@dataclass(frozen=True)
class FolderExport:
    """What an export into a folder of calendars did: the calendars written, the calendars of
    an earlier export it deleted, and the trainers who got none for want of sessions."""

    written: tuple[str, ...]
    removed: tuple[str, ...]
    without_sessions: tuple[str, ...]


def write_ics_folder(
    folder: Path, view: ExportView, trainer_ids: Iterable[str] | None = None
) -> FolderExport:
    """Write `<trainer-id>.ics` into `folder` for each trainer with sessions, and delete the
    calendars an earlier export of the same programme left there; every change or none.

    A trainer without sessions gets no calendar: an empty one would look like a free week, and
    one left from an earlier export would show sessions that are no longer theirs. Only
    `trainer_ids`, when given, are written or deleted; other files in `folder` stay.
    """
    everyone = [*view.trainer_names, *(agenda.id for agenda in view.trainers)]
    chosen = list(dict.fromkeys(everyone if trainer_ids is None else trainer_ids))
    busy = [trainer_id for trainer_id in chosen if view.trainer(trainer_id) is not None]
    files = {f"{trainer_id}.ics": calendar_bytes(view, trainer_id) for trainer_id in busy}
    scope = None if trainer_ids is None else {f"{trainer_id}.ics" for trainer_id in chosen}
    stale = _stale_calendars(folder, view.title, set(files), scope)
    write_folder(folder, files, stale)
    return FolderExport(
        written=tuple(files),
        removed=tuple(stale),
        without_sessions=tuple(t for t in chosen if t not in busy),
    )


def _stale_calendars(
    folder: Path, title: str, written: set[str], scope: set[str] | None
) -> list[str]:
    """The calendars in `folder` that an export of programme `title` wrote and this one does
    not: named `<trainer-id>.ics` (and in `scope`, if given), not among `written`, and a
    trainer's calendar of `title` by this tool, as their content says."""
    if not folder.is_dir():
        return []
    # On a file system that ignores case, 'Ayu.ics' is the 'ayu.ics' just written.
    kept = {name.casefold() for name in written}
    stale = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if (
            CALENDAR_FILE.fullmatch(name)
            and (scope is None or name in scope)
            and name.casefold() not in kept
            and not path.is_symlink()
            and path.is_file()
            and _is_trainer_calendar_of(path, title)
        ):
            stale.append(name)
    return stale


def _is_trainer_calendar_of(path: Path, title: str) -> bool:
    """Whether `path` is a trainer's calendar of programme `title` that this tool wrote."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
            if not _written_by_this_tool(head):
                return False
            data = head + handle.read()
        calendar = Calendar.from_ical(data)
    except (OSError, ValueError):
        return False
    return str(calendar.get("x-wr-calname", "")).endswith(_of_programme(title))


def _of_programme(title: str) -> str:
    """What follows the trainer's name in the name of their calendar of programme `title`."""
    return f" — {title}"


def _written_by_this_tool(head: bytes) -> bool:
    """Whether the first bytes of a file open a calendar with this tool's PRODID."""
    lines = [line.strip() for line in head.splitlines()]
    return (
        bool(lines) and lines[0] == b"BEGIN:VCALENDAR" and f"PRODID:{PRODUCT_ID}".encode() in lines
    )


def calendar_bytes(view: ExportView, trainer: str | None) -> bytes:
    """The iCalendar text of `trainer`'s sessions (every session when None)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if trainer is None:
        sessions = list(view.sessions)
        name = view.title
    else:
        agenda = view.trainer(trainer)
        sessions = [entry.session for entry in agenda.entries] if agenda is not None else []
        name = view.trainer_names.get(trainer, trainer) + _of_programme(view.title)
    calendar.add("x-wr-calname", name)
    zones = sorted({session.zone for session in sessions} or {DEFAULT_TIME_ZONE})
    if len(zones) == 1:
        calendar.add("x-wr-timezone", TIME_ZONES[zones[0]][0])
    for zone in zones:
        calendar.add_component(_timezone(zone))
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    domain = hashlib.sha256(view.title.encode("utf-8")).hexdigest()[:12]
    for session in sessions:
        calendar.add_component(_event(session, view.labels, stamp, domain))
    data: bytes = calendar.to_ical()
    return data


def _timezone(name: str) -> Timezone:
    """An Indonesian time zone (`WITA`: Asia/Makassar, UTC+8 all year, no daylight saving)."""
    tzid, hours = TIME_ZONES[name]
    zone = Timezone()
    zone.add("tzid", tzid)
    zone.add("x-lic-location", tzid)
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", dt.timedelta(hours=hours))
    standard.add("tzoffsetto", dt.timedelta(hours=hours))
    standard.add("tzname", name)
    zone.add_component(standard)
    return zone


def _event(session: SessionView, labels: Labels, stamp: dt.datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"{session.id}@{domain}.tot-scheduler")
    event.add("dtstamp", stamp)
    if session.start is not None and session.end is not None:
        zone = ZoneInfo(TIME_ZONES[session.zone][0])
        event.add("dtstart", dt.datetime.combine(session.date, session.start, tzinfo=zone))
        event.add("dtend", dt.datetime.combine(session.date, session.end, tzinfo=zone))
    else:
        event.add("dtstart", session.date)
        event.add("dtend", session.date + dt.timedelta(days=1))
    event.add("summary", f"{session.topic} · {session.method}")
    event.add("location", session.location)
    trainers = ", ".join(
        labels.filled_by.format(name=f.name, position=f.position) for f in session.trainers
    )
    lines = [
        f"{labels.event}: {session.event}",
        f"{labels.topic}: {session.topic}",
        f"{labels.method}: {session.method}",
        f"{labels.groups}: {session.audience}",
        f"{labels.trainers}: {trainers}",
        f"{labels.place}: {session.location}",
        f"{labels.session}: {session.id}",
    ]
    event.add("description", "\n".join(lines))
    event.add("categories", [session.method])
    return event
