"""The independent checker: every hard violation and soft penalty of docs/CONSTRAINTS.md.

It recomputes everything from the instance and the timetable alone, one function per rule
id, and never looks at the CP-SAT model, so that the two can be compared.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from models import (
    SOFT_IDS,
    Event,
    EventPlan,
    Group,
    Instance,
    Method,
    Offering,
    Room,
    ScheduledSession,
    SoftId,
    Timetable,
    Topic,
    Trainer,
    Venue,
    working_days,
)
from models.calendar import days_off, is_rest_day
from models.common import WEEKDAYS, DateRange
from scheduler.i18n import number, role_name, texts, weekday

OfferingKey = tuple[str, str, frozenset[str]]
"""What matches a session to its offering: event, topic and the set of its groups."""
Gettext = Callable[[str], str]
"""The translation of a message template, e.g. `texts("id", "checker").gettext`."""


@dataclass(frozen=True)
class Violation:
    """One broken hard rule (or soft rule made hard), in the planner's words."""

    rule: str
    sessions: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class CheckReport:
    """Hard violations, unweighted and weighted soft penalties, total and cost of a timetable."""

    violations: tuple[Violation, ...]
    penalties: dict[SoftId, int]
    weighted: dict[SoftId, int]
    total: int
    cost_idr: int

    @property
    def feasible(self) -> bool:
        """Whether the timetable breaks no hard rule."""
        return not self.violations

    def violations_by_rule(self) -> dict[str, int]:
        """The number of violations per rule id, in the order the rules are checked."""
        return dict(Counter(violation.rule for violation in self.violations))


@dataclass(frozen=True)
class _Charge:
    """A part of a soft penalty: its points, the sessions involved and why."""

    points: int
    sessions: tuple[str, ...]
    message: str


@dataclass(eq=False)
class _Session:
    """A session whose every id resolves, with the entities it names."""

    raw: ScheduledSession
    event: Event
    topic: Topic
    groups: tuple[Group, ...]
    venue: Venue
    room: Room
    room_venue: Venue
    method: Method
    trainers: tuple[Trainer, ...]
    offering: Offering | None
    interval: tuple[dt.time, dt.time] | None
    """Clock interval, or None when the slots leave the day's grid."""
    day: int | None
    """Place of the date in the event's block, or None when it is not in the block."""

    @property
    def id(self) -> str:
        return self.raw.id

    @property
    def date(self) -> dt.date:
        return self.raw.date

    @property
    def first_slot(self) -> int:
        return self.raw.slot

    @property
    def last_slot(self) -> int:
        return self.raw.slot + self.raw.num_slots - 1

    @property
    def attendees(self) -> int:
        if self.offering is not None:
            return self.offering.attendees
        return sum(group.size for group in self.groups)

    @property
    def key(self) -> OfferingKey:
        return _key(self.raw)

    @cached_property
    def group_ids(self) -> frozenset[str]:
        return frozenset(group.id for group in self.groups)

    @property
    def trainer_ids(self) -> list[str]:
        """Its trainers, each once, in the order they are listed."""
        return list(dict.fromkeys(trainer.id for trainer in self.trainers))


@dataclass
class _Context:
    """What every rule needs: the instance, the timetable, lookups and the resolved sessions."""

    instance: Instance
    timetable: Timetable
    lang: str
    """The language of the messages."""
    gettext: Gettext
    """The translation of a message template into `lang`."""
    events: dict[str, Event] = field(default_factory=dict)
    topics: dict[str, Topic] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    trainers: dict[str, Trainer] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    venues: dict[str, Venue] = field(default_factory=dict)
    rooms: dict[str, tuple[Venue, Room]] = field(default_factory=dict)
    offerings: dict[OfferingKey, Offering] = field(default_factory=dict)
    required: Counter[OfferingKey] = field(default_factory=Counter)
    working: dict[str, list[dt.date]] = field(default_factory=dict)
    plans: dict[str, list[EventPlan]] = field(default_factory=dict)
    blocks: dict[str, list[dt.date]] = field(default_factory=dict)
    sessions: list[_Session] = field(default_factory=list)

    def plan(self, event_id: str) -> EventPlan | None:
        """The event's plan (the first, if there are several), or None."""
        plans = self.plans.get(event_id, [])
        return plans[0] if plans else None

    def of_event(self, event_id: str) -> list[_Session]:
        """The resolved sessions of an event, in timetable order."""
        return [session for session in self.sessions if session.event.id == event_id]


def _build_context(instance: Instance, timetable: Timetable, lang: str = "en") -> _Context:
    """Look everything up once: entities, offerings, working days, blocks, resolved sessions."""
    ctx = _Context(instance, timetable, lang, texts(lang, "checker").gettext)
    ctx.events = {event.id: event for event in instance.events}
    ctx.topics = {topic.id: topic for topic in instance.topics}
    ctx.methods = {method.id: method for method in instance.methods}
    ctx.trainers = {trainer.id: trainer for trainer in instance.trainers}
    ctx.groups = {group.id: group for group in instance.groups}
    ctx.venues = {venue.id: venue for venue in instance.venues}
    ctx.rooms = instance.rooms()
    for offering in instance.offerings():
        key = (offering.event, offering.topic, frozenset(offering.groups))
        ctx.offerings.setdefault(key, offering)
        ctx.required[key] += offering.num_sessions
    provinces = {province.id: province for province in instance.provinces}
    for event in instance.events:
        ctx.working[event.id] = working_days(provinces[event.province], event)
    for listed in timetable.events:
        ctx.plans.setdefault(listed.event, []).append(listed)
    for event in instance.events:
        plan = ctx.plan(event.id)
        if plan is not None:
            later = [day for day in ctx.working[event.id] if day >= plan.start]
            ctx.blocks[event.id] = later[: event.days]
    for raw in timetable.sessions:
        session = _resolve(ctx, raw)
        if session is not None:
            ctx.sessions.append(session)
    return ctx


def _resolve(ctx: _Context, raw: ScheduledSession) -> _Session | None:
    """The session with its entities, or None when one of its ids is unknown (H1)."""
    event = ctx.events.get(raw.event)
    topic = ctx.topics.get(raw.topic)
    venue = ctx.venues.get(raw.venue)
    room = ctx.rooms.get(raw.room)
    method = ctx.methods.get(raw.method)
    groups = [ctx.groups.get(group_id) for group_id in raw.groups]
    trainers = [ctx.trainers.get(f.trainer) for f in raw.trainers]
    if (
        event is None
        or topic is None
        or venue is None
        or room is None
        or method is None
        or None in groups
        or None in trainers
    ):
        return None
    last_slot = raw.slot + raw.num_slots - 1
    interval = None
    if 1 <= raw.slot <= last_slot <= len(event.slots):
        interval = (event.slots[raw.slot - 1].start, event.slots[last_slot - 1].end)
    block = ctx.blocks.get(event.id, [])
    return _Session(
        raw=raw,
        event=event,
        topic=topic,
        groups=tuple(group for group in groups if group is not None),
        venue=venue,
        room=room[1],
        room_venue=room[0],
        method=method,
        trainers=tuple(trainer for trainer in trainers if trainer is not None),
        offering=ctx.offerings.get(_key(raw)),
        interval=interval,
        day=block.index(raw.date) + 1 if raw.date in block else None,
    )


def _units(rupiah: int, cost_unit: int) -> int:
    """Rupiah in cost points, rounded half up."""
    return (2 * rupiah + cost_unit) // (2 * cost_unit)


def _available(
    day: dt.date, available: Sequence[DateRange] | None, unavailable: Iterable[DateRange]
) -> bool:
    """Whether `day` lies in `available` (None: always) and in none of `unavailable`."""
    if available is not None and not any(day in span for span in available):
        return False
    return not any(day in span for span in unavailable)


def _overlap_start(first: _Session, second: _Session) -> dt.time | None:
    """When two sessions start to overlap, or None when they do not overlap."""
    if first.date != second.date or first.interval is None or second.interval is None:
        return None
    start = max(first.interval[0], second.interval[0])
    end = min(first.interval[1], second.interval[1])
    return start if start < end else None


def _ends_before(first: _Session, second: _Session) -> bool:
    """Whether `first` ends before `second` starts: an earlier date, or an earlier last slot."""
    if first.date != second.date:
        return first.date < second.date
    return first.last_slot < second.first_slot


def _adjacent(first: _Session, second: _Session) -> bool:
    """Whether the two sessions are on the same date, one right after the other."""
    return first.date == second.date and (
        first.last_slot + 1 == second.first_slot or second.last_slot + 1 == first.first_slot
    )


def _same_date_pairs(ctx: _Context) -> Iterator[tuple[_Session, _Session]]:
    """Every pair of sessions on one date, in timetable order: the only ones that can overlap."""
    by_date: dict[dt.date, list[_Session]] = defaultdict(list)
    for session in ctx.sessions:
        by_date[session.date].append(session)
    for sessions in by_date.values():
        yield from itertools.combinations(sessions, 2)


def _by_group(ctx: _Context) -> dict[str, list[_Session]]:
    """The sessions each group attends, in timetable order."""
    result: dict[str, list[_Session]] = defaultdict(list)
    for session in ctx.sessions:
        for group_id in dict.fromkeys(group.id for group in session.groups):
            result[group_id].append(session)
    return result


def _by_trainer(ctx: _Context) -> dict[str, list[_Session]]:
    """The sessions each trainer facilitates, in timetable order."""
    result: dict[str, list[_Session]] = defaultdict(list)
    for session in ctx.sessions:
        for trainer_id in session.trainer_ids:
            result[trainer_id].append(session)
    return result


def _label(key: OfferingKey, offering: Offering) -> str:
    """How an offering is named in messages, e.g. `tot-bali/partnership/all`."""
    return f"{key[0]}/{key[1]}/{offering.audience}"


def _quote(name: str) -> str:
    """`'a'`: an id as messages show it, in every language."""
    return f"'{name}'"


def _quoted(_: Gettext, names: Sequence[str]) -> str:
    """`'a'`, or `'a', 'b' and 'c'`: names quoted and listed in the language of `_`."""
    quoted = [_quote(name) for name in names]
    if len(quoted) == 1:
        return quoted[0]
    return _("{names} and {last}").format(names=", ".join(quoted[:-1]), last=quoted[-1])


def _when(first: _Session, second: _Session, start: dt.time) -> dict[str, str]:
    """The placeholders of a clash of two sessions: `date`, `time`, `first` and `second`."""
    return {
        "date": str(first.date),
        "time": f"{start:%H:%M}",
        "first": first.id,
        "second": second.id,
    }


def _listed(items: Iterable[object]) -> str:
    """`1, 2, 3`: plain values (slots, dates, rooms) listed alike in every language."""
    return ", ".join(str(item) for item in items)


def _not_working(ctx: _Context, event: Event, date: dt.date) -> str:
    """Why `date` is not a working day of `event`: outside the window, a weekly rest day, or
    a holiday or blackout date (named)."""
    _ = ctx.gettext
    if date not in event.window:
        return _("outside its window {start} - {end}").format(
            start=event.window.start, end=event.window.end
        )
    province = ctx.instance.province(event.province)
    if is_rest_day(province, date):
        return _("a weekly rest day ({weekday})").format(weekday=weekday(date, ctx.lang))
    name = days_off(province, date, date).get(date, "?")
    if name == "blackout":
        return _("a blackout date of {province}").format(province=event.province)
    return _("a day off: {name}").format(name=name)


def _key(raw: ScheduledSession) -> OfferingKey:
    """The offering a session belongs to, by event, topic and set of groups."""
    return (raw.event, raw.topic, frozenset(raw.groups))


def _ids(sessions: Iterable[_Session]) -> tuple[str, ...]:
    """The ids of `sessions`, for a violation or charge."""
    return tuple(session.id for session in sessions)


# Hard rules.


def _h1_complete(ctx: _Context) -> list[Violation]:
    """H1: every offering has exactly its sessions, and every id a session names exists."""
    _ = ctx.gettext
    found: dict[OfferingKey, list[str]] = defaultdict(list)
    violations: list[Violation] = []
    ids = Counter(raw.id for raw in ctx.timetable.sessions)
    for session_id, count in ids.items():
        if count > 1:
            message = _("{count} sessions have the id {session}; a session's id is its own")
            violations.append(
                Violation("H1", (session_id,), message.format(count=count, session=session_id))
            )
    for raw in ctx.timetable.sessions:
        key = _key(raw)
        repeated = [group for group, n in Counter(raw.groups).items() if n > 1]
        if repeated:
            message = _("session {session} lists group {groups} more than once")
            violations.append(
                Violation("H1", (raw.id,), message.format(session=raw.id, groups=_listed(repeated)))
            )
        if key in ctx.offerings:
            found[key].append(raw.id)
        references: list[tuple[str, Sequence[str], Container[str]]] = [
            (_("event {name}"), [raw.event], ctx.events),
            (_("topic {name}"), [raw.topic], ctx.topics),
            (_("group {name}"), raw.groups, ctx.groups),
            (_("venue {name}"), [raw.venue], ctx.venues),
            (_("room {name}"), [raw.room], ctx.rooms),
            (_("method {name}"), [raw.method], ctx.methods),
            (_("trainer {name}"), [f.trainer for f in raw.trainers], ctx.trainers),
        ]
        unknown = [
            kind.format(name=_quote(ref))
            for kind, refs, known in references
            for ref in refs
            if ref not in known
        ]
        if unknown:
            message = _("session {session} names an unknown {unknown}").format(
                session=raw.id, unknown=_listed(unknown)
            )
            violations.append(Violation("H1", (raw.id,), message))
        if key not in ctx.offerings:
            if raw.groups:
                template = _(
                    "session {session} matches no offering: event {event} does not teach "
                    "topic {topic} to {groups}"
                )
            else:
                template = _(
                    "session {session} matches no offering: event {event} does not teach "
                    "topic {topic} to an open audience (no groups)"
                )
            message = template.format(
                session=raw.id,
                event=_quote(raw.event),
                topic=_quote(raw.topic),
                groups=_listed(raw.groups),
            )
            violations.append(Violation("H1", (raw.id,), message))
    for key, required in ctx.required.items():
        sessions = found.get(key, [])
        if len(sessions) != required:
            template = (
                _("offering {offering} has {count} session(s) ({sessions}); it needs {required}")
                if sessions
                else _("offering {offering} has {count} session(s); it needs {required}")
            )
            message = template.format(
                offering=_label(key, ctx.offerings[key]),
                count=len(sessions),
                sessions=_listed(sessions),
                required=required,
            )
            violations.append(Violation("H1", tuple(sessions), message))
    return violations


def _h2_room(ctx: _Context) -> list[Violation]:
    """H2: no two sessions in the same room overlap."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for first, second in _same_date_pairs(ctx):
        if first.room.id != second.room.id:
            continue
        start = _overlap_start(first, second)
        if start is not None:
            message = _("room {room} has two sessions at {date} {time}: {first} and {second}")
            when = _when(first, second, start)
            violations.append(
                Violation(
                    "H2",
                    (first.id, second.id),
                    message.format(room=_quote(first.room.id), **when),
                )
            )
    return violations


def _h3_trainer(ctx: _Context) -> list[Violation]:
    """H3: no trainer facilitates two sessions that overlap."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for first, second in _same_date_pairs(ctx):
        shared = [trainer for trainer in first.trainer_ids if trainer in second.trainer_ids]
        if not shared:
            continue
        start = _overlap_start(first, second)
        if start is None:
            continue
        if len(shared) == 1:
            message = _(
                "trainer {trainers} has two sessions at {date} {time}: {first} and {second}"
            )
        else:
            message = _(
                "trainers {trainers} have two sessions at {date} {time}: {first} and {second}"
            )
        violations.append(
            Violation(
                "H3",
                (first.id, second.id),
                message.format(trainers=_quoted(_, shared), **_when(first, second, start)),
            )
        )
    return violations


def _h4_group(ctx: _Context) -> list[Violation]:
    """H4: no group attends two overlapping sessions; no two sessions of an offering overlap."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for first, second in _same_date_pairs(ctx):
        shared = sorted(first.group_ids & second.group_ids)
        if len(shared) == 1:
            message = _("group {who} has two sessions at {date} {time}: {first} and {second}")
            who = _quoted(_, shared)
        elif shared:
            message = _("groups {who} have two sessions at {date} {time}: {first} and {second}")
            who = _quoted(_, shared)
        elif first.offering is not None and first.key == second.key:
            message = _("offering {who} has two sessions at {date} {time}: {first} and {second}")
            who = _label(first.key, first.offering)
        else:
            continue
        start = _overlap_start(first, second)
        if start is None:
            continue
        violations.append(
            Violation(
                "H4",
                (first.id, second.id),
                message.format(who=who, **_when(first, second, start)),
            )
        )
    return violations


def _h5_availability(ctx: _Context) -> list[Violation]:
    """H5: working day; venue, room, trainers available; topic's slots and day rule respected."""
    _ = ctx.gettext
    day_rules = {
        "first": _("topic {topic} must be taught on the first day; this is day {day} of {days}"),
        "last": _("topic {topic} must be taught on the last day; this is day {day} of {days}"),
        "not-first": _(
            "topic {topic} must not be taught on the first day; this is day {day} of {days}"
        ),
        "not-last": _(
            "topic {topic} must not be taught on the last day; this is day {day} of {days}"
        ),
    }
    violations: list[Violation] = []
    for session in ctx.sessions:
        problems: list[str] = []
        event, topic, date = session.event, session.topic, session.date
        if date not in ctx.working[event.id]:
            problems.append(
                _("{date} is not a working day of event {event}: {reason}").format(
                    date=date, event=_quote(event.id), reason=_not_working(ctx, event, date)
                )
            )
        # The venue of its room: a session naming another venue is H13's.
        venue = session.room_venue
        if not _available(date, venue.available, venue.unavailable):
            problems.append(
                _("venue {venue} is not available on {date}").format(
                    venue=_quote(venue.id), date=date
                )
            )
        if not _available(date, None, session.room.unavailable):
            problems.append(
                _("room {room} is not available on {date}").format(
                    room=_quote(session.room.id), date=date
                )
            )
        for trainer in session.trainers:
            if not _available(date, trainer.available, trainer.unavailable):
                problems.append(
                    _("trainer {trainer} is not available on {date}").format(
                        trainer=_quote(trainer.id), date=date
                    )
                )
        if session.day is not None:
            blocked = sorted(
                ref.slot
                for ref in topic.unavailable
                if ref.day == session.day and ref.slot in session.raw.slots
            )
            if blocked:
                problems.append(
                    _("topic {topic} cannot be taught on day {day}, slot {slots}").format(
                        topic=_quote(topic.id), day=session.day, slots=_listed(blocked)
                    )
                )
            rule_holds = {
                "any": True,
                "first": session.day == 1,
                "last": session.day == event.days,
                "not-first": session.day != 1,
                "not-last": session.day != event.days,
            }[topic.days]
            if not rule_holds:
                problems.append(
                    day_rules[topic.days].format(
                        topic=_quote(topic.id), day=session.day, days=event.days
                    )
                )
        violations.extend(
            Violation(
                "H5",
                (session.id,),
                _("session {session}: {problem}").format(session=session.id, problem=problem),
            )
            for problem in problems
        )
    return violations + _h5_pins(ctx)


def _h5_pins(ctx: _Context) -> list[Violation]:
    """H5 (pins): a pinned start has a session; the pinned room and trainers serve it.

    A pin with a day and slot binds the session of its offering that starts there; one
    without binds every session of its offering.
    """
    _ = ctx.gettext
    keys = {
        f"{o.event}/{o.topic}/{o.audience}": (o.event, o.topic, frozenset(o.groups))
        for o in ctx.instance.offerings()
    }
    violations: list[Violation] = []
    for pin in ctx.instance.pins:
        key = keys.get(pin.offering)
        held = [session for session in ctx.sessions if session.key == key]
        if pin.day is not None:
            starting = [s for s in held if (s.day, s.first_slot) == (pin.day, pin.slot)][:1]
            if not starting:
                block = ctx.blocks.get(key[0], []) if key else []
                date = block[pin.day - 1] if pin.day <= len(block) else None
                starts = _("{date} slot {slot}")
                where = _listed(starts.format(date=s.date, slot=s.first_slot) for s in held)
                message = _(
                    "pin {offering}: no session starts on day {day} ({date}), slot {slot}; "
                    "its sessions start {where}"
                )
                violations.append(
                    Violation(
                        "H5",
                        _ids(held),
                        message.format(
                            offering=_quote(pin.offering),
                            day=pin.day,
                            date=date or "-",
                            slot=pin.slot,
                            where=where or "-",
                        ),
                    )
                )
            held = starting
        for session in held:
            if pin.room is not None and session.raw.room != pin.room:
                violations.append(
                    Violation(
                        "H5",
                        (session.id,),
                        _("session {session} is in room {room}, not in the pinned {pinned}").format(
                            session=session.id, room=_quote(session.raw.room),
                            pinned=_quote(pin.room),
                        ),
                    )
                )  # fmt: skip
            for trainer in pin.trainers:
                if trainer not in session.trainer_ids:
                    violations.append(
                        Violation(
                            "H5",
                            (session.id,),
                            _("session {session} is not facilitated by the pinned {trainer}")
                            .format(session=session.id, trainer=_quote(trainer)),
                        )
                    )  # fmt: skip
    return violations


def _h6_qualification(ctx: _Context) -> list[Violation]:
    """H6: the method suits topic and length; qualified facilitators fill exactly the positions."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for session in ctx.sessions:
        problems: list[str] = []
        topic, method = session.topic, session.method
        if method.id not in topic.methods:
            problems.append(
                _("method {method} is not one of the methods of topic {topic}").format(
                    method=_quote(method.id), topic=_quote(topic.id)
                )
            )
        if not method.fits(session.raw.num_slots):
            problems.append(
                _("method {method} does not allow {count} slot(s)").format(
                    method=_quote(method.id), count=session.raw.num_slots
                )
            )
        positions = {need.role: need for need in topic.facilitators}
        filled = Counter(f.role for f in session.raw.trainers)
        for role in filled:
            if role not in positions:
                problems.append(
                    _("topic {topic} has no facilitator position {position}").format(
                        topic=_quote(topic.id), position=_quote(role)
                    )
                )
        for need in topic.facilitators:
            if filled[need.role] != need.count:
                problems.append(
                    _("position {position} has {count} facilitator(s); it needs {needed}").format(
                        position=_quote(need.role), count=filled[need.role], needed=need.count
                    )
                )
        for trainer_id, times in Counter(f.trainer for f in session.raw.trainers).items():
            if times > 1:
                problems.append(
                    _("trainer {trainer} is listed {count} times; one fills one position").format(
                        trainer=_quote(trainer_id), count=times
                    )
                )
        for facilitation, trainer in zip(session.raw.trainers, session.trainers, strict=True):
            who = _quote(trainer.id)
            if topic.id not in trainer.topics:
                problems.append(
                    _("trainer {trainer} does not teach topic {topic}").format(
                        trainer=who, topic=_quote(topic.id)
                    )
                )
            if method.id not in trainer.methods:
                problems.append(
                    _("trainer {trainer} does not use method {method}").format(
                        trainer=who, method=_quote(method.id)
                    )
                )
            position = positions.get(facilitation.role)
            if position is not None and trainer.role not in position.trainer_roles:
                problems.append(
                    _(
                        "trainer {trainer} is a {role} trainer; position {position} needs {roles}"
                    ).format(
                        trainer=who,
                        role=role_name(trainer.role, ctx.lang),
                        position=_quote(position.role),
                        roles="/".join(role_name(r, ctx.lang) for r in position.trainer_roles),
                    )
                )
            for group in session.groups:
                if group.language is not None and group.language not in trainer.languages:
                    problems.append(
                        _(
                            "trainer {trainer} does not speak {language}, "
                            "the language of group {group}"
                        ).format(
                            trainer=who, language=_quote(group.language), group=_quote(group.id)
                        )
                    )
        violations.extend(
            Violation(
                "H6",
                (session.id,),
                _("session {session}: {problem}").format(session=session.id, problem=problem),
            )
            for problem in problems
        )
    return violations


def _h7_suitability(ctx: _Context) -> list[Violation]:
    """H7: the room has the method's facilities and, if capacity is hard, seats the attendees."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for session in ctx.sessions:
        missing = sorted(session.method.facilities - session.room.facilities)
        if missing:
            message = _("session {session}: room {room} lacks {missing} for method {method}")
            violations.append(
                Violation(
                    "H7",
                    (session.id,),
                    message.format(
                        session=session.id,
                        room=_quote(session.room.id),
                        missing=_listed(missing),
                        method=_quote(session.method.id),
                    ),
                )
            )
        if (
            ctx.instance.policy.room_capacity == "hard"
            and session.room.capacity < session.attendees
        ):
            message = _("session {session}: room {room} seats {capacity}, not {attendees}")
            violations.append(
                Violation(
                    "H7",
                    (session.id,),
                    message.format(
                        session=session.id,
                        room=_quote(session.room.id),
                        capacity=session.room.capacity,
                        attendees=session.attendees,
                    ),
                )
            )
    return violations


def _h8_contiguity(ctx: _Context) -> list[Violation]:
    """H8: a session has its topic's slots, within the day's grid, at the grid's clock times."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for session in ctx.sessions:
        raw = session.raw
        problems: list[str] = []
        if raw.num_slots != session.topic.slots_per_session:
            problems.append(
                _("has {count} slot(s); topic {topic} has {needed} per session").format(
                    count=raw.num_slots,
                    topic=_quote(session.topic.id),
                    needed=session.topic.slots_per_session,
                )
            )
        if session.interval is None:
            problems.append(
                _("slots {first}-{last} leave the day's grid of {count} slots").format(
                    first=raw.slot, last=session.last_slot, count=len(session.event.slots)
                )
            )
        else:
            if raw.start_time is not None and raw.start_time != session.interval[0]:
                problems.append(
                    _("starts at {time}, not {expected}").format(
                        time=f"{raw.start_time:%H:%M}", expected=f"{session.interval[0]:%H:%M}"
                    )
                )
            if raw.end_time is not None and raw.end_time != session.interval[1]:
                problems.append(
                    _("ends at {time}, not {expected}").format(
                        time=f"{raw.end_time:%H:%M}", expected=f"{session.interval[1]:%H:%M}"
                    )
                )
        violations.extend(
            Violation(
                "H8",
                (session.id,),
                _("session {session} {problem}").format(session=session.id, problem=problem),
            )
            for problem in problems
        )
    return violations


def _h9_precedence(ctx: _Context) -> list[Violation]:
    """H9: per group, every prerequisite session ends before any session of the topic starts."""
    _ = ctx.gettext
    late: dict[tuple[_Session, _Session], list[str]] = {}
    for group_id, attended in _by_group(ctx).items():
        for session in attended:
            for before in attended:
                if (
                    before.topic.id in session.topic.prerequisites
                    and before.event.id == session.event.id
                    and not _ends_before(before, session)
                ):
                    late.setdefault((before, session), []).append(group_id)
    violations: list[Violation] = []
    for (before, session), groups in late.items():
        if len(groups) == 1:
            message = _(
                "group {groups} has prerequisite {before} ({before_date}, last slot {last_slot}) "
                "not ending before {session} ({date}, first slot {first_slot}) starts"
            )
        else:
            message = _(
                "groups {groups} have prerequisite {before} ({before_date}, last slot "
                "{last_slot}) not ending before {session} ({date}, first slot {first_slot}) "
                "starts"
            )
        violations.append(
            Violation(
                "H9",
                (before.id, session.id),
                message.format(
                    groups=_quoted(_, groups),
                    before=before.id,
                    before_date=before.date,
                    last_slot=before.last_slot,
                    session=session.id,
                    date=session.date,
                    first_slot=session.first_slot,
                ),
            )
        )
    return violations


def _h10_travel(ctx: _Context) -> list[Violation]:
    """H10: away from home a trainer needs a link; work in two provinces is > link days apart."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for trainer_id, sessions in _by_trainer(ctx).items():
        home = ctx.trainers[trainer_id].home
        by_event: dict[str, list[_Session]] = defaultdict(list)
        for session in sessions:
            by_event[session.event.id].append(session)
        for event_id, held in by_event.items():
            province = ctx.events[event_id].province
            if province != home and ctx.instance.travel_link(home, province) is None:
                message = _(
                    "trainer {trainer} works in event {event} in {province}, "
                    "but there is no travel link from home province {home}"
                )
                violations.append(
                    Violation(
                        "H10",
                        _ids(held),
                        message.format(
                            trainer=_quote(trainer_id),
                            event=_quote(event_id),
                            province=province,
                            home=home,
                        ),
                    )
                )
        for (first_event, first_held), (second_event, second_held) in itertools.combinations(
            by_event.items(), 2
        ):
            first_province = ctx.events[first_event].province
            second_province = ctx.events[second_event].province
            if first_province == second_province:
                continue
            link = ctx.instance.travel_link(first_province, second_province)
            if link is None:
                message = _(
                    "trainer {trainer} works in event {first_event} ({first_province}) "
                    "and event {second_event} ({second_province}), with no travel link between"
                )
                violations.append(
                    Violation(
                        "H10",
                        _ids(first_held + second_held),
                        message.format(
                            trainer=_quote(trainer_id),
                            first_event=_quote(first_event),
                            first_province=first_province,
                            second_event=_quote(second_event),
                            second_province=second_province,
                        ),
                    )
                )
                continue
            message = _(
                "trainer {trainer} works in {first_province} on {first_date} ({first}) "
                "and in {second_province} on {second_date} ({second}): "
                "{gap} day(s) apart, the trip takes {days} day(s)"
            )
            # One violation per pair of dates, naming the sessions of each date.
            too_close: dict[tuple[dt.date, dt.date], tuple[set[str], set[str]]] = {}
            for first, second in itertools.product(first_held, second_held):
                if abs((second.date - first.date).days) <= link.days:
                    ids = too_close.setdefault((first.date, second.date), (set(), set()))
                    ids[0].add(first.id)
                    ids[1].add(second.id)
            for (first_date, second_date), (first_ids, second_ids) in sorted(too_close.items()):
                violations.append(
                    Violation(
                        "H10",
                        (*sorted(first_ids), *sorted(second_ids)),
                        message.format(
                            trainer=_quote(trainer_id),
                            first_province=first_province,
                            first_date=first_date,
                            first=_listed(sorted(first_ids)),
                            second_province=second_province,
                            second_date=second_date,
                            second=_listed(sorted(second_ids)),
                            gap=abs((second_date - first_date).days),
                            days=link.days,
                        ),
                    )
                )
    return violations


def _h11_trainer_limits(ctx: _Context) -> list[Violation]:
    """H11: a trainer has at most `max_slots_per_day` slots a date and `max_days` dates."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for trainer_id, sessions in _by_trainer(ctx).items():
        trainer = ctx.trainers[trainer_id]
        by_date: dict[dt.date, list[_Session]] = defaultdict(list)
        for session in sessions:
            by_date[session.date].append(session)
        if trainer.max_slots_per_day is not None:
            for date, held in sorted(by_date.items()):
                slots = sum(session.raw.num_slots for session in held)
                if slots > trainer.max_slots_per_day:
                    message = _(
                        "trainer {trainer} facilitates {slots} slots on {date}; at most {limit}"
                    )
                    violations.append(
                        Violation(
                            "H11",
                            _ids(held),
                            message.format(
                                trainer=_quote(trainer_id),
                                slots=slots,
                                date=date,
                                limit=trainer.max_slots_per_day,
                            ),
                        )
                    )
        if trainer.max_days is not None and len(by_date) > trainer.max_days:
            message = _("trainer {trainer} works on {count} dates ({dates}); at most {limit}")
            violations.append(
                Violation(
                    "H11",
                    _ids(sessions),
                    message.format(
                        trainer=_quote(trainer_id),
                        count=len(by_date),
                        dates=_listed(sorted(by_date)),
                        limit=trainer.max_days,
                    ),
                )
            )
    return violations


def _h12_event_block(ctx: _Context) -> list[Violation]:
    """H12: every event has one plan whose block fits the window and holds its sessions."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for event_id in ctx.plans:
        if event_id not in ctx.events:
            message = _("there is a plan for an unknown event {event}")
            violations.append(Violation("H12", (), message.format(event=_quote(event_id))))
    for event in ctx.instance.events:
        name = _quote(event.id)
        plans = ctx.plans.get(event.id, [])
        if len(plans) != 1:
            message = _("event {event} has {count} plans; it needs one")
            violations.append(Violation("H12", (), message.format(event=name, count=len(plans))))
        if not plans:
            continue
        plan, block = plans[0], ctx.blocks[event.id]
        if plan.start not in ctx.working[event.id]:
            message = _("event {event} starts on {date}, which is not a working day: {reason}")
            reason = _not_working(ctx, event, plan.start)
            violations.append(
                Violation("H12", (), message.format(event=name, date=plan.start, reason=reason))
            )
        if len(block) < event.days:
            message = _(
                "event {event} starting {start} has only {count} of its {days} working days "
                "before its window ends on {end}"
            )
            violations.append(
                Violation(
                    "H12",
                    (),
                    message.format(
                        event=name,
                        start=plan.start,
                        count=len(block),
                        days=event.days,
                        end=event.window.end,
                    ),
                )
            )
        if list(plan.dates) != block:
            message = _("event {event} lists dates {listed}; its block is {wanted}")
            violations.append(
                Violation(
                    "H12",
                    (),
                    message.format(event=name, listed=_listed(plan.dates), wanted=_listed(block)),
                )
            )
        for session in ctx.of_event(event.id):
            if session.day is None:
                message = _(
                    "session {session} is on {date}, outside the block of event {event} "
                    "({first} - {last})"
                )
                violations.append(
                    Violation(
                        "H12",
                        (session.id,),
                        message.format(
                            session=session.id,
                            date=session.date,
                            event=name,
                            first=block[0] if block else "-",
                            last=block[-1] if block else "-",
                        ),
                    )
                )
            elif session.raw.day != session.day:
                message = _(
                    "session {session} says day {listed}; {date} is day {day} of event {event}"
                )
                violations.append(
                    Violation(
                        "H12",
                        (session.id,),
                        message.format(
                            session=session.id,
                            listed=session.raw.day,
                            date=session.date,
                            day=session.day,
                            event=name,
                        ),
                    )
                )
    return violations


def _h13_one_venue(ctx: _Context) -> list[Violation]:
    """H13: an event's sessions use rooms of its plan's venue, one of its venues, and name it."""
    _ = ctx.gettext
    violations: list[Violation] = []
    for event in ctx.instance.events:
        name = _quote(event.id)
        plan = ctx.plan(event.id)
        if plan is not None and plan.venue not in event.venues:
            message = _("event {event} is planned at venue {venue}, not one of its venues")
            violations.append(
                Violation("H13", (), message.format(event=name, venue=_quote(plan.venue)))
            )
        held = ctx.of_event(event.id)
        used = sorted({session.room_venue.id for session in held}) if plan is None else []
        if len(used) > 1:
            message = _("event {event} uses rooms of {count} venues ({venues}); it needs one")
            violations.append(
                Violation(
                    "H13",
                    _ids(held),
                    message.format(event=name, count=len(used), venues=_quoted(_, used)),
                )
            )
        for session in held:
            where = session.room_venue.id
            room = {"session": session.id, "room": _quote(session.room.id), "where": _quote(where)}
            if plan is not None and where != plan.venue:
                message = _(
                    "session {session} is in room {room} of venue {where}; "
                    "event {event} is at venue {venue}"
                )
                violations.append(
                    Violation(
                        "H13",
                        (session.id,),
                        message.format(event=name, venue=_quote(plan.venue), **room),
                    )
                )
            elif plan is None and where not in event.venues:
                message = _(
                    "session {session} is in room {room} of venue {where}, "
                    "not one of the venues of event {event}"
                )
                violations.append(
                    Violation("H13", (session.id,), message.format(event=name, **room))
                )
            if session.venue.id != where:
                message = _(
                    "session {session} names venue {venue}; its room {room} is in venue {where}"
                )
                violations.append(
                    Violation(
                        "H13",
                        (session.id,),
                        message.format(venue=_quote(session.venue.id), **room),
                    )
                )
    return violations


# Soft rules.


def _s1_room_capacity(ctx: _Context) -> list[_Charge]:
    """S1: with soft room capacity, for each session the attendees above its room's capacity."""
    if ctx.instance.policy.room_capacity != "soft":
        return []
    _ = ctx.gettext
    message = _("session {session} has {attendees} attendees in room {room} for {capacity}")
    return [
        _Charge(
            session.attendees - session.room.capacity,
            (session.id,),
            message.format(
                session=session.id,
                attendees=session.attendees,
                room=_quote(session.room.id),
                capacity=session.room.capacity,
            ),
        )
        for session in ctx.sessions
        if session.attendees > session.room.capacity
    ]


def _sessions_by_offering(ctx: _Context) -> dict[OfferingKey, list[_Session]]:
    """The resolved sessions of every offering, also of those that have none."""
    result: dict[OfferingKey, list[_Session]] = {key: [] for key in ctx.offerings}
    for session in ctx.sessions:
        if session.offering is not None:
            result[session.key].append(session)
    return result


def _s2_spread(ctx: _Context) -> list[_Charge]:
    """S2: for each offering, the days its sessions fall short of the topic's `min_days`."""
    _ = ctx.gettext
    message = _("offering {offering} is spread over {count} day(s), not {min_days}")
    charges: list[_Charge] = []
    for key, sessions in _sessions_by_offering(ctx).items():
        min_days = ctx.topics[key[1]].min_days
        dates = {session.date for session in sessions}
        if len(dates) < min_days:
            charges.append(
                _Charge(
                    min_days - len(dates),
                    _ids(sessions),
                    message.format(
                        offering=_label(key, ctx.offerings[key]),
                        count=len(dates),
                        min_days=min_days,
                    ),
                )
            )
    return charges


def _s3_compactness(ctx: _Context) -> list[_Charge]:
    """S3: for each group, 1 for each session it attends with no adjacent session of that group."""
    _ = ctx.gettext
    message = _("group {group} has {session} on its own")
    charges: list[_Charge] = []
    for group_id, attended in _by_group(ctx).items():
        for session in attended:
            if not any(other is not session and _adjacent(session, other) for other in attended):
                text = message.format(group=_quote(group_id), session=session.id)
                charges.append(_Charge(1, (session.id,), text))
    return charges


def _s4_room_stability(ctx: _Context) -> list[_Charge]:
    """S4: for each offering, the number of distinct rooms its sessions use, minus one."""
    _ = ctx.gettext
    message = _("offering {offering} moves between rooms {rooms}")
    charges: list[_Charge] = []
    for key, sessions in _sessions_by_offering(ctx).items():
        rooms = sorted({session.room.id for session in sessions})
        if len(rooms) > 1:
            charges.append(
                _Charge(
                    len(rooms) - 1,
                    _ids(sessions),
                    message.format(offering=_label(key, ctx.offerings[key]), rooms=_listed(rooms)),
                )
            )
    return charges


@dataclass(frozen=True)
class _Cost:
    """One line of the bill: cost points, exact rupiah, sessions involved and what it pays for."""

    points: int
    rupiah: int
    sessions: tuple[str, ...]
    message: str


def _costs(ctx: _Context) -> list[_Cost]:
    """Trainer fees per date worked, return fares per event away from home, venue days per event."""
    _ = ctx.gettext
    unit = ctx.instance.policy.cost_unit
    costs: list[_Cost] = []
    for trainer_id, sessions in _by_trainer(ctx).items():
        trainer = ctx.trainers[trainer_id]
        dates = {session.date for session in sessions}
        costs.append(
            _Cost(
                _units(trainer.daily_fee, unit) * len(dates),
                trainer.daily_fee * len(dates),
                _ids(sessions),
                _("trainer {trainer}: {days} day(s) at Rp {fee}").format(
                    trainer=_quote(trainer_id),
                    days=len(dates),
                    fee=number(trainer.daily_fee, ctx.lang, 0),
                ),
            )
        )
        away = dict.fromkeys(s.event.id for s in sessions if s.event.province != trainer.home)
        for event_id in away:
            province = ctx.events[event_id].province
            link = ctx.instance.travel_link(trainer.home, province)
            if link is not None:
                message = _(
                    "trainer {trainer}: return fare {home}-{province} Rp {fare} for event {event}"
                )
                costs.append(
                    _Cost(
                        _units(link.fare, unit),
                        link.fare,
                        _ids(s for s in sessions if s.event.id == event_id),
                        message.format(
                            trainer=_quote(trainer_id),
                            home=trainer.home,
                            province=province,
                            fare=number(link.fare, ctx.lang, 0),
                            event=_quote(event_id),
                        ),
                    )
                )
    for event in ctx.instance.events:
        plan = ctx.plan(event.id)
        venue = ctx.venues.get(plan.venue) if plan is not None else None
        if venue is not None:
            costs.append(
                _Cost(
                    _units(venue.daily_cost, unit) * event.days,
                    venue.daily_cost * event.days,
                    (),
                    _("event {event}: {days} day(s) at venue {venue}, Rp {cost} a day").format(
                        event=_quote(event.id),
                        days=event.days,
                        venue=_quote(venue.id),
                        cost=number(venue.daily_cost, ctx.lang, 0),
                    ),
                )
            )
    return costs


def _s5_cost(ctx: _Context) -> list[_Charge]:
    """S5: fees per date worked, fares per event away from home and venue days, in cost points."""
    return [_Charge(cost.points, cost.sessions, cost.message) for cost in _costs(ctx)]


def _s6_method_variety(ctx: _Context) -> list[_Charge]:
    """S6: per group, 1 for each pair of adjacent sessions it attends with the same method."""
    _ = ctx.gettext
    message = _("group {group} has method {method} twice in a row: {first} and {second}")
    charges: list[_Charge] = []
    for group_id, attended in _by_group(ctx).items():
        for first, second in itertools.combinations(attended, 2):
            if first.method.id == second.method.id and _adjacent(first, second):
                charges.append(
                    _Charge(
                        1,
                        (first.id, second.id),
                        message.format(
                            group=_quote(group_id),
                            method=_quote(first.method.id),
                            first=first.id,
                            second=second.id,
                        ),
                    )
                )
    return charges


def _s7_participation(ctx: _Context) -> list[_Charge]:
    """S7: per event, the slots with a participatory method below its target."""
    _ = ctx.gettext
    message = _(
        "event {event} has {slots} participatory slot(s) of {total}; the target is {target}"
    )
    charges: list[_Charge] = []
    offerings = ctx.instance.offerings()
    for event in ctx.instance.events:
        permille = round(1000 * event.participatory_target)
        total = sum(o.num_sessions * o.num_slots for o in offerings if o.event == event.id)
        target = (permille * total + 999) // 1000
        participatory = [s for s in ctx.of_event(event.id) if s.method.participatory]
        slots = sum(session.raw.num_slots for session in participatory)
        if slots < target:
            charges.append(
                _Charge(
                    target - slots,
                    _ids(participatory),
                    message.format(event=_quote(event.id), slots=slots, total=total, target=target),
                )
            )
    return charges


def _s8_trainer_fit(ctx: _Context) -> list[_Charge]:
    """S8: per facilitator, 3 - proficiency, +1 for an avoided date, +1 for an avoided slot."""
    _ = ctx.gettext
    charges: list[_Charge] = []
    for session in ctx.sessions:
        for trainer in session.trainers:
            reasons: list[str] = []
            points = 0
            # A trainer without the topic breaks H6; the fit then has nothing to measure.
            proficiency = trainer.topics.get(session.topic.id)
            if proficiency is not None and proficiency < 3:
                points += 3 - proficiency
                reasons.append(
                    _("proficiency {level} in {topic}").format(
                        level=proficiency, topic=_quote(session.topic.id)
                    )
                )
            prefs = trainer.preferences
            if (
                WEEKDAYS[session.date.weekday()] in prefs.avoid_weekdays
                or session.date in prefs.avoid_dates
            ):
                points += 1
                reasons.append(
                    _("would rather not work on {weekday} {date}").format(
                        weekday=weekday(session.date, ctx.lang), date=session.date
                    )
                )
            avoided = [slot for slot in session.raw.slots if slot in prefs.avoid_slots]
            if avoided:
                points += 1
                reasons.append(
                    _("would rather not teach slot {slots}").format(slots=_listed(avoided))
                )
            if points:
                charges.append(
                    _Charge(
                        points,
                        (session.id,),
                        _("trainer {trainer} in {session}: {reasons}").format(
                            trainer=_quote(trainer.id),
                            session=session.id,
                            reasons="; ".join(reasons),
                        ),
                    )
                )
    return charges


def _s9_workload_balance(ctx: _Context) -> list[_Charge]:
    """S9: the busiest trainer's slots above `ceil(total load / number of trainers)`."""
    _ = ctx.gettext
    loads = {
        trainer_id: sum(session.raw.num_slots for session in sessions)
        for trainer_id, sessions in _by_trainer(ctx).items()
    }
    num_trainers = len(ctx.instance.trainers)
    share = (sum(loads.values()) + num_trainers - 1) // num_trainers
    if not loads:
        return []
    busiest = max(loads, key=lambda trainer_id: loads[trainer_id])
    if loads[busiest] <= share:
        return []
    return [
        _Charge(
            loads[busiest] - share,
            _ids(_by_trainer(ctx)[busiest]),
            _("trainer {trainer} facilitates {slots} slots; the even share is {share}").format(
                trainer=_quote(busiest), slots=loads[busiest], share=share
            ),
        )
    ]


def _s10_partnership(ctx: _Context) -> list[_Charge]:
    """S10: for each session, 1 when none of its facilitators has the partnership role."""
    _ = ctx.gettext
    role = ctx.instance.policy.partnership_role
    message = _("session {session} has no {role} facilitator")
    named = role_name(role, ctx.lang)
    return [
        _Charge(1, (session.id,), message.format(session=session.id, role=named))
        for session in ctx.sessions
        if not any(trainer.role == role for trainer in session.trainers)
    ]


def _s11_comfort(ctx: _Context) -> list[_Charge]:
    """S11: per group, 1 per late slot it attends, and slots a date beyond `max_daily_slots`."""
    _ = ctx.gettext
    policy = ctx.instance.policy
    charges: list[_Charge] = []
    for group_id, attended in _by_group(ctx).items():
        for session in attended:
            grid = session.event.slots
            late = [
                slot
                for slot in session.raw.slots
                if slot <= len(grid) and grid[slot - 1].start >= policy.late_after
            ]
            if late:
                charges.append(
                    _Charge(
                        len(late),
                        (session.id,),
                        _("group {group} has {session} in late slot(s) {slots}").format(
                            group=_quote(group_id), session=session.id, slots=_listed(late)
                        ),
                    )
                )
        if policy.max_daily_slots is not None:
            by_date: dict[dt.date, list[_Session]] = defaultdict(list)
            for session in attended:
                by_date[session.date].append(session)
            for date, held in sorted(by_date.items()):
                slots = sum(session.raw.num_slots for session in held)
                if slots > policy.max_daily_slots:
                    charges.append(
                        _Charge(
                            slots - policy.max_daily_slots,
                            _ids(held),
                            _(
                                "group {group} has {slots} slots on {date}; {limit} are comfortable"
                            ).format(
                                group=_quote(group_id),
                                slots=slots,
                                date=date,
                                limit=policy.max_daily_slots,
                            ),
                        )
                    )
    return charges


_HARD_RULES: tuple[Callable[[_Context], list[Violation]], ...] = (
    _h1_complete,
    _h2_room,
    _h3_trainer,
    _h4_group,
    _h5_availability,
    _h6_qualification,
    _h7_suitability,
    _h8_contiguity,
    _h9_precedence,
    _h10_travel,
    _h11_trainer_limits,
    _h12_event_block,
    _h13_one_venue,
)

_SOFT_RULES: dict[SoftId, Callable[[_Context], list[_Charge]]] = {
    "S1": _s1_room_capacity,
    "S2": _s2_spread,
    "S3": _s3_compactness,
    "S4": _s4_room_stability,
    "S5": _s5_cost,
    "S6": _s6_method_variety,
    "S7": _s7_participation,
    "S8": _s8_trainer_fit,
    "S9": _s9_workload_balance,
    "S10": _s10_partnership,
    "S11": _s11_comfort,
}


def check(instance: Instance, timetable: Timetable, lang: str = "en") -> CheckReport:
    """Judge `timetable` against every rule of docs/CONSTRAINTS.md for `instance`.

    Messages are in `lang` (`en` or `id`); rule ids, penalties and sessions do not depend on it.
    """
    ctx = _build_context(instance, timetable, lang)
    policy = instance.policy
    violations = [violation for rule in _HARD_RULES for violation in rule(ctx)]
    penalties: dict[SoftId, int] = {}
    for soft_id in SOFT_IDS:
        charges = _SOFT_RULES[soft_id](ctx)
        penalties[soft_id] = sum(charge.points for charge in charges)
        if soft_id in policy.hard:
            violations.extend(
                Violation(soft_id, charge.sessions, charge.message)
                for charge in charges
                if charge.points > 0
            )
    weighted = {soft_id: policy.weights.of(soft_id) * penalties[soft_id] for soft_id in SOFT_IDS}
    total = sum(weighted[soft_id] for soft_id in SOFT_IDS if policy.weights.of(soft_id) > 0)
    return CheckReport(
        violations=tuple(violations),
        penalties=penalties,
        weighted=weighted,
        total=total,
        cost_idr=sum(cost.rupiah for cost in _costs(ctx)),
    )
