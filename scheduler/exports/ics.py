"""The timetable as iCalendar files: one calendar for a trainer (or for every session), or a
folder with one `<trainer-id>.ics` per trainer.

Times are local clock times in Asia/Makassar (WITA), with the VTIMEZONE that defines it, so a
calendar program shows them at the right hour wherever it runs. A session keeps its UID from
one export to the next, so that importing a revised timetable moves the event it already has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneStandard

from scheduler.exports.files import write_file, write_folder
from scheduler.exports.views import (
    TIMEZONE,
    TIMEZONE_NAME,
    TIMEZONE_OFFSET,
    ExportView,
    Labels,
    SessionView,
)

PRODUCT_ID = "-//TOT Scheduler//Timetable//EN"


def write_ics(path: Path, view: ExportView, trainer: str | None) -> None:
    """Write one calendar to `path`: `trainer`'s sessions, or every session without one."""
    write_file(path, calendar_bytes(view, trainer))


def write_ics_folder(folder: Path, view: ExportView, trainer_ids: Iterable[str]) -> None:
    """Write `<trainer-id>.ics` for each trainer into `folder`, every file or none."""
    write_folder(
        folder,
        {f"{trainer_id}.ics": calendar_bytes(view, trainer_id) for trainer_id in trainer_ids},
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
        name = f"{view.trainer_names.get(trainer, trainer)} — {view.title}"
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TIMEZONE)
    calendar.add_component(_timezone())
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    domain = hashlib.sha256(view.title.encode("utf-8")).hexdigest()[:12]
    for session in sessions:
        calendar.add_component(_event(session, view.labels, stamp, domain))
    data: bytes = calendar.to_ical()
    return data


def _timezone() -> Timezone:
    """Asia/Makassar: UTC+8 all year (WITA), no daylight saving."""
    zone = Timezone()
    zone.add("tzid", TIMEZONE)
    zone.add("x-lic-location", TIMEZONE)
    standard = TimezoneStandard()
    standard.add("dtstart", dt.datetime(1970, 1, 1))
    standard.add("tzoffsetfrom", TIMEZONE_OFFSET)
    standard.add("tzoffsetto", TIMEZONE_OFFSET)
    standard.add("tzname", TIMEZONE_NAME)
    zone.add_component(standard)
    return zone


def _event(session: SessionView, labels: Labels, stamp: dt.datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"{session.id}@{domain}.tot-scheduler")
    event.add("dtstamp", stamp)
    if session.start is not None and session.end is not None:
        zone = ZoneInfo(TIMEZONE)
        event.add("dtstart", dt.datetime.combine(session.date, session.start, tzinfo=zone))
        event.add("dtend", dt.datetime.combine(session.date, session.end, tzinfo=zone))
    else:
        event.add("dtstart", session.date)
        event.add("dtend", session.date + dt.timedelta(days=1))
    event.add("summary", f"{session.topic} · {session.method}")
    event.add("location", session.location)
    trainers = ", ".join(f"{f.name} ({f.position})" for f in session.trainers)
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
