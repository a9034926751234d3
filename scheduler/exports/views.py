"""What every export shows, built once for all formats: sessions with names and clock times,
a day x slot grid per event, the sessions of each trainer and of each venue, and the score.

The workbook, the calendars and the web page only lay these views out; texts are already in
the output language. Ids the instance does not define are shown as they are, so that a
timetable that breaks H1 can still be exported and looked at.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from models import SOFT_IDS, Event, EventPlan, Instance, ScheduledSession, Timetable
from models.common import DEFAULT_TIME_ZONE, TIME_ZONES
from scheduler.checker import CheckReport
from scheduler.i18n import long_date, role_name, rule_name, rupiah, texts, weekday


@dataclass(frozen=True)
class Labels:
    """Headings and words of the exports, in one language."""

    lang: str
    trainers: str
    venues: str
    sessions: str
    score: str
    contents: str
    session: str
    event: str
    date: str
    weekday: str
    event_day: str
    slot: str
    num_slots: str
    time: str
    start: str
    end: str
    topic: str
    groups: str
    venue: str
    room: str
    place: str
    method: str
    position: str
    partners: str
    rule_id: str
    rule: str
    penalty: str
    weight: str
    weighted: str
    total: str
    cost: str
    violations: str
    no_sessions: str
    timezone: str
    filled_by: str
    """`{name} (position '{position}')`: a trainer and the position they fill, in prose."""


def labels(lang: str) -> Labels:
    """The headings of every export in `lang`."""
    _ = texts(lang, "exports").gettext
    return Labels(
        lang=lang,
        trainers=_("Trainers"),
        venues=_("Venues"),
        sessions=_("Sessions"),
        score=_("Score"),
        contents=_("Contents"),
        session=_("Session"),
        event=_("Event"),
        date=_("Date"),
        weekday=_("Day"),
        event_day=_("Day of event"),
        slot=_("Slot"),
        num_slots=_("Slots"),
        time=_("Time"),
        start=_("Start"),
        end=_("End"),
        topic=_("Topic"),
        groups=_("Groups"),
        venue=_("Venue"),
        room=_("Room"),
        place=_("Place"),
        method=_("Method"),
        position=_("Position"),
        partners=_("With"),
        rule_id=_("Rule id"),
        rule=_("Rule"),
        penalty=_("Penalty"),
        weight=_("Weight"),
        weighted=_("Weighted"),
        total=_("Total"),
        cost=_("Cost"),
        violations=_("Hard rules broken"),
        no_sessions=_("No sessions."),
        timezone=_("Times are local time where each event takes place: {zones}."),
        filled_by=_("{name} (position '{position}')"),
    )


@dataclass(frozen=True)
class Facilitator:
    """A trainer of a session and the position they fill."""

    id: str
    name: str
    position: str


@dataclass(frozen=True)
class SessionView:
    """A session with the names of everything it refers to, and its clock times."""

    id: str
    event_id: str
    event: str
    topic_id: str
    topic: str
    group_ids: tuple[str, ...]
    audience: str
    """Who attends: the names of its groups, or `all groups`."""
    date: dt.date
    zone: str
    """The time zone of its times (`WITA`): that of the event's province."""
    date_label: str
    weekday: str
    day: int
    slot: int
    num_slots: int
    start: dt.time | None
    end: dt.time | None
    venue_id: str
    venue: str
    city: str
    room_id: str
    room: str
    method_id: str
    method: str
    trainers: tuple[Facilitator, ...]

    @property
    def time_label(self) -> str:
        """`08:30–10:00`, or empty when the slots are not on the event's time grid."""
        if self.start is None or self.end is None:
            return ""
        return f"{self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def slot_label(self) -> str:
        """`2`, or `2–3` for a session of two slots."""
        last = self.slot + self.num_slots - 1
        return str(self.slot) if last == self.slot else f"{self.slot}–{last}"

    @property
    def trainer_names(self) -> str:
        return ", ".join(facilitator.name for facilitator in self.trainers)

    @property
    def location(self) -> str:
        """Room, venue and city, e.g. `bali-dps-hall, NGO training centre, Denpasar`."""
        return f"{self.room}, {_with_city(self.venue, self.city)}"

    @property
    def sort_key(self) -> tuple[dt.date, dt.time, int, str, str]:
        return (self.date, self.start or dt.time(0), self.slot, self.room_id, self.id)


@dataclass(frozen=True)
class DayColumn:
    """A date of an event's grid: `Day 2` and `Friday 12 March 1999`."""

    date: dt.date
    heading: str
    date_label: str


@dataclass(frozen=True)
class Continuation:
    """A later slot of a session that started in an earlier slot of the same day."""

    session_id: str
    text: str


@dataclass(frozen=True)
class GridCell:
    """The sessions that start in one slot of one date, and those still running from before."""

    starts: tuple[SessionView, ...]
    continues: tuple[Continuation, ...]


@dataclass(frozen=True)
class GridRow:
    """One slot of the day across every date of an event."""

    slot: int
    time_label: str
    cells: tuple[GridCell, ...]


@dataclass(frozen=True)
class EventGrid:
    """An event as a day x slot grid."""

    id: str
    name: str
    title: str
    days: tuple[DayColumn, ...]
    rows: tuple[GridRow, ...]
    sessions: tuple[SessionView, ...]


@dataclass(frozen=True)
class AgendaEntry:
    """A session in a trainer's list: the position they fill and who else facilitates."""

    session: SessionView
    position: str
    partners: str


@dataclass(frozen=True)
class TrainerAgenda:
    """The sessions of one trainer, in time order."""

    id: str
    name: str
    heading: str
    summary: str
    entries: tuple[AgendaEntry, ...]


@dataclass(frozen=True)
class VenueAgenda:
    """The sessions held at one venue, in time order."""

    id: str
    name: str
    heading: str
    sessions: tuple[SessionView, ...]


@dataclass(frozen=True)
class ScoreRow:
    """A soft rule: its id and name, penalty, weight and weighted penalty."""

    id: str
    rule: str
    penalty: int
    weight: int
    weighted: int


@dataclass(frozen=True)
class BrokenRule:
    """A violation of a hard rule (or of a soft rule made hard), in the planner's words."""

    id: str
    rule: str
    message: str


@dataclass(frozen=True)
class ScoreView:
    """Penalty per soft rule id, the total, the cost in rupiah and any hard rule broken."""

    rows: tuple[ScoreRow, ...]
    total: int
    cost_idr: int
    cost_label: str
    status: str
    feasible: bool
    violations: tuple[BrokenRule, ...]


@dataclass(frozen=True)
class ExportView:
    """Everything an export shows, in one language."""

    title: str
    description: str
    summary: str
    labels: Labels
    sessions: tuple[SessionView, ...]
    grids: tuple[EventGrid, ...]
    trainers: tuple[TrainerAgenda, ...]
    venues: tuple[VenueAgenda, ...]
    score: ScoreView
    trainer_names: dict[str, str]
    """The name of every trainer of the instance, by id, with or without sessions."""

    @property
    def time_note(self) -> str:
        """Which local time the times are in: `WITA (UTC+8)`, for each zone with sessions."""
        zones = sorted(
            {s.zone for s in self.sessions} or {DEFAULT_TIME_ZONE},
            key=lambda zone: TIME_ZONES[zone][1],
        )
        named = ", ".join(f"{zone} (UTC+{TIME_ZONES[zone][1]})" for zone in zones)
        return self.labels.timezone.format(zones=named)

    def trainer(self, trainer_id: str) -> TrainerAgenda | None:
        """The agenda of `trainer_id`, or None when they facilitate nothing."""
        return next((agenda for agenda in self.trainers if agenda.id == trainer_id), None)


def build_view(
    instance: Instance, timetable: Timetable, report: CheckReport, lang: str
) -> ExportView:
    """Resolve names, times and groupings of `timetable` once for every export format."""
    _ = texts(lang, "exports").gettext
    names = _Names(instance)
    views = [_session_view(names, session, lang) for session in timetable.sessions]
    sessions = tuple(sorted(views, key=lambda view: view.sort_key))
    events = {view.event_id for view in sessions} | {plan.event for plan in timetable.events}
    summary = _("{sessions} session(s) in {events} event(s)").format(
        sessions=len(sessions), events=len(events)
    )
    return ExportView(
        title=instance.name,
        description=instance.description,
        summary=summary,
        labels=labels(lang),
        sessions=sessions,
        grids=_grids(instance, timetable, sessions, lang),
        trainers=_trainer_agendas(instance, sessions, lang),
        venues=_venue_agendas(instance, sessions, lang),
        score=_score(instance, report, lang),
        trainer_names={trainer.id: trainer.name or trainer.id for trainer in instance.trainers},
    )


class _Names:
    """Names of the instance's entities by id; an id the instance does not define names itself."""

    def __init__(self, instance: Instance) -> None:
        self.events = {event.id: event for event in instance.events}
        self.venues = {venue.id: venue for venue in instance.venues}
        self.zones = {
            event.id: instance.province(event.province).time_zone for event in instance.events
        }
        self.tables = {
            "event": {e.id: e.name for e in instance.events},
            "topic": {t.id: t.title for t in instance.topics},
            "group": {g.id: g.name for g in instance.groups},
            "venue": {v.id: v.name for v in instance.venues},
            "room": {r.id: r.name for v in instance.venues for r in v.rooms},
            "method": {m.id: m.name for m in instance.methods},
            "trainer": {t.id: t.name for t in instance.trainers},
        }

    def __call__(self, kind: str, entity_id: str) -> str:
        return self.tables[kind].get(entity_id) or entity_id


def _session_view(names: _Names, session: ScheduledSession, lang: str) -> SessionView:
    _ = texts(lang, "exports").gettext
    event = names.events.get(session.event)
    start, end = session.start_time, session.end_time
    last_slot = session.slot + session.num_slots - 1
    if event is not None and last_slot <= len(event.slots):
        start, end = event.slots[session.slot - 1].start, event.slots[last_slot - 1].end
    audience = ", ".join(names("group", group_id) for group_id in session.groups)
    if event is not None and len(session.groups) > 1 and set(session.groups) == set(event.groups):
        audience = _("all groups")
    venue = names.venues.get(session.venue)
    return SessionView(
        id=session.id,
        event_id=session.event,
        event=names("event", session.event),
        topic_id=session.topic,
        topic=names("topic", session.topic),
        group_ids=session.groups,
        audience=audience,
        date=session.date,
        zone=names.zones.get(session.event, DEFAULT_TIME_ZONE),
        date_label=long_date(session.date, lang),
        weekday=weekday(session.date, lang),
        day=session.day,
        slot=session.slot,
        num_slots=session.num_slots,
        start=start,
        end=end,
        venue_id=session.venue,
        venue=names("venue", session.venue),
        city=venue.city if venue is not None else "",
        room_id=session.room,
        room=names("room", session.room),
        method_id=session.method,
        method=names("method", session.method),
        trainers=tuple(
            Facilitator(f.trainer, names("trainer", f.trainer), f.role) for f in session.trainers
        ),
    )


def _grids(
    instance: Instance, timetable: Timetable, sessions: tuple[SessionView, ...], lang: str
) -> tuple[EventGrid, ...]:
    """A grid per event of the instance that has a plan or sessions, then per unknown event."""
    by_event: dict[str, list[SessionView]] = defaultdict(list)
    for view in sessions:
        by_event[view.event_id].append(view)
    plans = {plan.event: plan for plan in reversed(timetable.events)}  # the first plan wins
    events = {event.id: event for event in instance.events}
    known = [event_id for event_id in events if event_id in plans or event_id in by_event]
    unknown = sorted(set(by_event) - set(events))
    grids = []
    for event_id in [*known, *unknown]:
        event, plan = events.get(event_id), plans.get(event_id)
        grids.append(_event_grid(instance, event_id, event, plan, by_event[event_id], lang))
    return tuple(grids)


def _event_grid(
    instance: Instance,
    event_id: str,
    event: Event | None,
    plan: EventPlan | None,
    sessions: list[SessionView],
    lang: str,
) -> EventGrid:
    """One event: its planned dates (and any other date a session is on) across, slots down."""
    _ = texts(lang, "exports").gettext
    plan_dates = list(plan.dates) if plan is not None else []
    dates = sorted(set(plan_dates) | {view.date for view in sessions})
    days = tuple(
        DayColumn(
            date=date,
            heading=_("Day {number}").format(number=plan_dates.index(date) + 1)
            if date in plan_dates
            else weekday(date, lang),
            date_label=long_date(date, lang),
        )
        for date in dates
    )
    grid = event.slots if event is not None else ()
    num_rows = max([len(grid), *(view.slot + view.num_slots - 1 for view in sessions)])
    rows = []
    for slot in range(1, num_rows + 1):
        time_label = ""
        if slot <= len(grid):
            time_label = f"{grid[slot - 1].start:%H:%M}–{grid[slot - 1].end:%H:%M}"
        cells = tuple(
            GridCell(
                starts=tuple(v for v in sessions if v.date == date and v.slot == slot),
                continues=tuple(
                    Continuation(v.id, _("… {topic} continues").format(topic=v.topic))
                    for v in sessions
                    if v.date == date and v.slot < slot < v.slot + v.num_slots
                ),
            )
            for date in dates
        )
        rows.append(GridRow(slot=slot, time_label=time_label, cells=cells))
    name = (event.name if event is not None else "") or event_id
    title = name
    if plan is not None and plan.dates:
        venue = next((v for v in instance.venues if v.id == plan.venue), None)
        title = _("{event} — {venue}, {first} to {last}").format(
            event=name,
            venue=(venue.name if venue is not None else "") or plan.venue,
            first=long_date(plan.dates[0], lang),
            last=long_date(plan.dates[-1], lang),
        )
    return EventGrid(event_id, name, title, days, tuple(rows), tuple(sessions))


def _trainer_agendas(
    instance: Instance, sessions: tuple[SessionView, ...], lang: str
) -> tuple[TrainerAgenda, ...]:
    """An agenda per trainer with sessions: the instance's trainers first, in its order."""
    _ = texts(lang, "exports").gettext
    entries: dict[str, list[AgendaEntry]] = defaultdict(list)
    for view in sessions:
        for facilitator in view.trainers:
            partners = ", ".join(
                other.name for other in view.trainers if other.id != facilitator.id
            )
            entries[facilitator.id].append(AgendaEntry(view, facilitator.position, partners))
    order = _ordered([t.id for t in instance.trainers], entries)
    trainers = {trainer.id: trainer for trainer in instance.trainers}
    agendas = []
    for trainer_id in order:
        mine = entries[trainer_id]
        trainer = trainers.get(trainer_id)
        name = (trainer.name if trainer is not None else "") or trainer_id
        heading = name
        if trainer is not None:
            heading = f"{name} · {role_name(trainer.role, lang)}"
        summary = _("{sessions} session(s), {slots} slot(s) on {days} day(s)").format(
            sessions=len(mine),
            slots=sum(entry.session.num_slots for entry in mine),
            days=len({entry.session.date for entry in mine}),
        )
        agendas.append(TrainerAgenda(trainer_id, name, heading, summary, tuple(mine)))
    return tuple(agendas)


def _venue_agendas(
    instance: Instance, sessions: tuple[SessionView, ...], lang: str
) -> tuple[VenueAgenda, ...]:
    """An agenda per venue that holds sessions, in the instance's order."""
    by_venue: dict[str, list[SessionView]] = defaultdict(list)
    for view in sessions:
        by_venue[view.venue_id].append(view)
    agendas = []
    for venue_id in _ordered([v.id for v in instance.venues], by_venue):
        mine = by_venue[venue_id]
        name, city = mine[0].venue, mine[0].city
        agendas.append(VenueAgenda(venue_id, name, _with_city(name, city), tuple(mine)))
    return tuple(agendas)


def _with_city(place: str, city: str) -> str:
    """`Hotel meeting rooms, Sanur`: the place, and its city unless its name says it."""
    return f"{place}, {city}" if city and city not in place else place


def _ordered(known_order: list[str], used: Iterable[str]) -> list[str]:
    """The ids in `used`: those of `known_order` in that order, then the others sorted."""
    used_ids = set(used)
    return [i for i in known_order if i in used_ids] + sorted(used_ids - set(known_order))


def _score(instance: Instance, report: CheckReport, lang: str) -> ScoreView:
    _ = texts(lang, "exports").gettext
    weights = instance.policy.weights
    rows = []
    for soft_id in SOFT_IDS:
        weight = weights.of(soft_id)
        if soft_id == "S1" and instance.policy.room_capacity == "hard":
            weight = 0
        if weight == 0 and soft_id not in instance.policy.hard:
            continue
        penalty = report.penalties.get(soft_id, 0)
        rows.append(ScoreRow(soft_id, rule_name(soft_id, lang), penalty, weight, penalty * weight))
    if report.feasible:
        status = _("Feasible: no hard rule is broken.")
    else:
        status = _("Infeasible: {count} hard rule violation(s).").format(
            count=len(report.violations)
        )
    return ScoreView(
        rows=tuple(rows),
        total=report.total,
        cost_idr=report.cost_idr,
        cost_label=rupiah(report.cost_idr, lang),
        status=status,
        feasible=report.feasible,
        violations=tuple(
            BrokenRule(v.rule, rule_name(v.rule, lang), v.message) for v in report.violations
        ),
    )
