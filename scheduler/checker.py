"""The independent checker: every hard violation and soft penalty of docs/CONSTRAINTS.md.

It recomputes everything from the instance and the timetable alone, one function per rule
id, and never looks at the CP-SAT model, so that the two can be compared.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from models.common import WEEKDAYS, DateRange

OfferingKey = tuple[str, str, frozenset[str]]
"""What matches a session to its offering: event, topic and the set of its groups."""


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


def _build_context(instance: Instance, timetable: Timetable) -> _Context:
    """Look everything up once: entities, offerings, working days, blocks, resolved sessions."""
    ctx = _Context(instance, timetable)
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


def _named(kind: str, names: Sequence[str]) -> str:
    """`kind 'a' has`, or `kinds 'a' and 'b' have`: the subject of a message about them."""
    if len(names) == 1:
        return f"{kind} '{names[0]}' has"
    quoted = [f"'{name}'" for name in names]
    return f"{kind}s {', '.join(quoted[:-1])} and {quoted[-1]} have"


_DAY_RULES = {
    "first": "must be taught on the first day",
    "last": "must be taught on the last day",
    "not-first": "must not be taught on the first day",
    "not-last": "must not be taught on the last day",
}


def _key(raw: ScheduledSession) -> OfferingKey:
    """The offering a session belongs to, by event, topic and set of groups."""
    return (raw.event, raw.topic, frozenset(raw.groups))


def _ids(sessions: Iterable[_Session]) -> tuple[str, ...]:
    """The ids of `sessions`, for a violation or charge."""
    return tuple(session.id for session in sessions)


# Hard rules.


def _h1_complete(ctx: _Context) -> list[Violation]:
    """H1: every offering has exactly its sessions, and every id a session names exists."""
    found: dict[OfferingKey, list[str]] = defaultdict(list)
    violations: list[Violation] = []
    for raw in ctx.timetable.sessions:
        key = _key(raw)
        if key in ctx.offerings:
            found[key].append(raw.id)
        unknown = [
            f"{kind} '{ref}'"
            for kind, refs, known in (
                ("event", [raw.event], ctx.events),
                ("topic", [raw.topic], ctx.topics),
                ("group", raw.groups, ctx.groups),
                ("venue", [raw.venue], ctx.venues),
                ("room", [raw.room], ctx.rooms),
                ("method", [raw.method], ctx.methods),
                ("trainer", [f.trainer for f in raw.trainers], ctx.trainers),
            )
            for ref in refs
            if ref not in known
        ]
        if unknown:
            violations.append(
                Violation(
                    "H1", (raw.id,), f"session {raw.id} names an unknown {', '.join(unknown)}"
                )
            )
        if key not in ctx.offerings:
            groups = ", ".join(raw.groups) or "no group"
            violations.append(
                Violation(
                    "H1",
                    (raw.id,),
                    f"session {raw.id} matches no offering: event '{raw.event}' does not teach "
                    f"topic '{raw.topic}' to {groups}",
                )
            )
    for key, required in ctx.required.items():
        sessions = found.get(key, [])
        if len(sessions) != required:
            violations.append(
                Violation(
                    "H1",
                    tuple(sessions),
                    f"offering {_label(key, ctx.offerings[key])} has {len(sessions)} session(s); "
                    f"it needs {required}",
                )
            )
    return violations


def _h2_room(ctx: _Context) -> list[Violation]:
    """H2: no two sessions in the same room overlap."""
    violations: list[Violation] = []
    for first, second in _same_date_pairs(ctx):
        if first.room.id != second.room.id:
            continue
        start = _overlap_start(first, second)
        if start is not None:
            violations.append(
                Violation(
                    "H2",
                    (first.id, second.id),
                    f"room '{first.room.id}' has two sessions at {first.date} {start:%H:%M}: "
                    f"{first.id} and {second.id}",
                )
            )
    return violations


def _h3_trainer(ctx: _Context) -> list[Violation]:
    """H3: no trainer facilitates two sessions that overlap."""
    violations: list[Violation] = []
    for first, second in _same_date_pairs(ctx):
        shared = [trainer for trainer in first.trainer_ids if trainer in second.trainer_ids]
        if not shared:
            continue
        start = _overlap_start(first, second)
        if start is not None:
            who = _named("trainer", shared)
            violations.append(
                Violation(
                    "H3",
                    (first.id, second.id),
                    f"{who} two sessions at {first.date} {start:%H:%M}: {first.id} and {second.id}",
                )
            )
    return violations


def _h4_group(ctx: _Context) -> list[Violation]:
    """H4: no group attends two overlapping sessions; no two sessions of an offering overlap."""
    violations: list[Violation] = []
    for first, second in _same_date_pairs(ctx):
        shared = sorted(first.group_ids & second.group_ids)
        if shared:
            who = _named("group", shared)
        elif first.offering is not None and first.key == second.key:
            who = f"offering {_label(first.key, first.offering)} has"
        else:
            continue
        start = _overlap_start(first, second)
        if start is None:
            continue
        violations.append(
            Violation(
                "H4",
                (first.id, second.id),
                f"{who} two sessions at {first.date} {start:%H:%M}: {first.id} and {second.id}",
            )
        )
    return violations


def _h5_availability(ctx: _Context) -> list[Violation]:
    """H5: working day; venue, room, trainers available; topic's slots and day rule respected."""
    violations: list[Violation] = []
    for session in ctx.sessions:
        problems: list[str] = []
        event, topic, date = session.event, session.topic, session.date
        if date not in ctx.working[event.id]:
            problems.append(f"{date} is not a working day of event '{event.id}'")
        if not _available(date, session.venue.available, session.venue.unavailable):
            problems.append(f"venue '{session.venue.id}' is not available on {date}")
        if not _available(date, None, session.room.unavailable):
            problems.append(f"room '{session.room.id}' is not available on {date}")
        for trainer in session.trainers:
            if not _available(date, trainer.available, trainer.unavailable):
                problems.append(f"trainer '{trainer.id}' is not available on {date}")
        if session.day is not None:
            blocked = sorted(
                ref.slot
                for ref in topic.unavailable
                if ref.day == session.day and ref.slot in session.raw.slots
            )
            if blocked:
                slots = ", ".join(str(slot) for slot in blocked)
                problems.append(
                    f"topic '{topic.id}' cannot be taught on day {session.day}, slot {slots}"
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
                    f"topic '{topic.id}' {_DAY_RULES[topic.days]}; this is day {session.day} "
                    f"of {event.days}"
                )
        violations.extend(
            Violation("H5", (session.id,), f"session {session.id}: {p}") for p in problems
        )
    return violations


def _h6_qualification(ctx: _Context) -> list[Violation]:
    """H6: the method suits topic and length; qualified facilitators fill exactly the positions."""
    violations: list[Violation] = []
    for session in ctx.sessions:
        problems: list[str] = []
        topic, method = session.topic, session.method
        if method.id not in topic.methods:
            problems.append(f"method '{method.id}' is not one of the methods of topic '{topic.id}'")
        if not method.fits(session.raw.num_slots):
            problems.append(f"method '{method.id}' does not allow {session.raw.num_slots} slot(s)")
        positions = {need.role: need for need in topic.facilitators}
        filled = Counter(f.role for f in session.raw.trainers)
        for role in filled:
            if role not in positions:
                problems.append(f"topic '{topic.id}' has no facilitator position '{role}'")
        for need in topic.facilitators:
            if filled[need.role] != need.count:
                problems.append(
                    f"position '{need.role}' has {filled[need.role]} facilitator(s); "
                    f"it needs {need.count}"
                )
        for trainer_id, times in Counter(f.trainer for f in session.raw.trainers).items():
            if times > 1:
                problems.append(f"trainer '{trainer_id}' fills {times} positions")
        for facilitation, trainer in zip(session.raw.trainers, session.trainers, strict=True):
            who = f"trainer '{trainer.id}'"
            if topic.id not in trainer.topics:
                problems.append(f"{who} does not teach topic '{topic.id}'")
            if method.id not in trainer.methods:
                problems.append(f"{who} does not use method '{method.id}'")
            position = positions.get(facilitation.role)
            if position is not None and trainer.role not in position.trainer_roles:
                problems.append(
                    f"{who} is a {trainer.role} trainer; position '{position.role}' needs "
                    f"{'/'.join(position.trainer_roles)}"
                )
            for group in session.groups:
                if group.language is not None and group.language not in trainer.languages:
                    problems.append(
                        f"{who} does not speak '{group.language}', "
                        f"the language of group '{group.id}'"
                    )
        violations.extend(
            Violation("H6", (session.id,), f"session {session.id}: {p}") for p in problems
        )
    return violations


def _h7_suitability(ctx: _Context) -> list[Violation]:
    """H7: the room has the method's facilities and, if capacity is hard, seats the attendees."""
    violations: list[Violation] = []
    for session in ctx.sessions:
        missing = sorted(session.method.facilities - session.room.facilities)
        if missing:
            violations.append(
                Violation(
                    "H7",
                    (session.id,),
                    f"session {session.id}: room '{session.room.id}' lacks {', '.join(missing)} "
                    f"for method '{session.method.id}'",
                )
            )
        if (
            ctx.instance.policy.room_capacity == "hard"
            and session.room.capacity < session.attendees
        ):
            violations.append(
                Violation(
                    "H7",
                    (session.id,),
                    f"session {session.id}: room '{session.room.id}' seats "
                    f"{session.room.capacity}, not {session.attendees}",
                )
            )
    return violations


def _h8_contiguity(ctx: _Context) -> list[Violation]:
    """H8: a session has its topic's slots, within the day's grid, at the grid's clock times."""
    violations: list[Violation] = []
    for session in ctx.sessions:
        raw = session.raw
        problems: list[str] = []
        if raw.num_slots != session.topic.slots_per_session:
            problems.append(
                f"has {raw.num_slots} slot(s); topic '{session.topic.id}' has "
                f"{session.topic.slots_per_session} per session"
            )
        if session.interval is None:
            problems.append(
                f"slots {raw.slot}-{session.last_slot} leave the day's grid of "
                f"{len(session.event.slots)} slots"
            )
        else:
            if raw.start_time is not None and raw.start_time != session.interval[0]:
                problems.append(
                    f"starts at {raw.start_time:%H:%M}, not {session.interval[0]:%H:%M}"
                )
            if raw.end_time is not None and raw.end_time != session.interval[1]:
                problems.append(f"ends at {raw.end_time:%H:%M}, not {session.interval[1]:%H:%M}")
        violations.extend(
            Violation("H8", (session.id,), f"session {session.id} {p}") for p in problems
        )
    return violations


def _h9_precedence(ctx: _Context) -> list[Violation]:
    """H9: per group, every prerequisite session ends before any session of the topic starts."""
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
    return [
        Violation(
            "H9",
            (before.id, session.id),
            f"{_named('group', groups)} prerequisite {before.id} ({before.date}, last slot "
            f"{before.last_slot}) not ending before {session.id} ({session.date}, first slot "
            f"{session.first_slot}) starts",
        )
        for (before, session), groups in late.items()
    ]


def _h10_travel(ctx: _Context) -> list[Violation]:
    """H10: away from home a trainer needs a link; work in two provinces is > link days apart."""
    violations: list[Violation] = []
    for trainer_id, sessions in _by_trainer(ctx).items():
        home = ctx.trainers[trainer_id].home
        by_event: dict[str, list[_Session]] = defaultdict(list)
        for session in sessions:
            by_event[session.event.id].append(session)
        for event_id, held in by_event.items():
            province = ctx.events[event_id].province
            if province != home and ctx.instance.travel_link(home, province) is None:
                violations.append(
                    Violation(
                        "H10",
                        _ids(held),
                        f"trainer '{trainer_id}' works in event '{event_id}' in {province}, "
                        f"but there is no travel link from home province {home}",
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
                violations.append(
                    Violation(
                        "H10",
                        _ids(first_held + second_held),
                        f"trainer '{trainer_id}' works in event '{first_event}' ({first_province}) "
                        f"and event '{second_event}' ({second_province}), "
                        f"with no travel link between",
                    )
                )
                continue
            for first, second in itertools.product(first_held, second_held):
                gap = abs((second.date - first.date).days)
                if gap <= link.days:
                    violations.append(
                        Violation(
                            "H10",
                            (first.id, second.id),
                            f"trainer '{trainer_id}' works in {first_province} on {first.date} "
                            f"({first.id}) and in {second_province} on {second.date} "
                            f"({second.id}): {gap} day(s) apart, the trip takes {link.days}",
                        )
                    )
    return violations


def _h11_trainer_limits(ctx: _Context) -> list[Violation]:
    """H11: a trainer has at most `max_slots_per_day` slots a date and `max_days` dates."""
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
                    violations.append(
                        Violation(
                            "H11",
                            _ids(held),
                            f"trainer '{trainer_id}' facilitates {slots} slots on {date}; "
                            f"at most {trainer.max_slots_per_day}",
                        )
                    )
        if trainer.max_days is not None and len(by_date) > trainer.max_days:
            violations.append(
                Violation(
                    "H11",
                    _ids(sessions),
                    f"trainer '{trainer_id}' works on {len(by_date)} dates; "
                    f"at most {trainer.max_days}",
                )
            )
    return violations


def _h12_event_block(ctx: _Context) -> list[Violation]:
    """H12: every event has one plan whose block fits the window and holds its sessions."""
    violations: list[Violation] = []
    for event_id in ctx.plans:
        if event_id not in ctx.events:
            violations.append(
                Violation("H12", (), f"there is a plan for an unknown event '{event_id}'")
            )
    for event in ctx.instance.events:
        plans = ctx.plans.get(event.id, [])
        if len(plans) != 1:
            violations.append(
                Violation("H12", (), f"event '{event.id}' has {len(plans)} plans; it needs one")
            )
        if not plans:
            continue
        plan, block = plans[0], ctx.blocks[event.id]
        if plan.start not in ctx.working[event.id]:
            violations.append(
                Violation(
                    "H12",
                    (),
                    f"event '{event.id}' starts on {plan.start}, which is not a working day",
                )
            )
        if len(block) < event.days:
            violations.append(
                Violation(
                    "H12",
                    (),
                    f"event '{event.id}' starting {plan.start} has only {len(block)} of its "
                    f"{event.days} working days before its window ends on {event.window.end}",
                )
            )
        if list(plan.dates) != block:
            listed = ", ".join(str(day) for day in plan.dates)
            wanted = ", ".join(str(day) for day in block)
            violations.append(
                Violation(
                    "H12", (), f"event '{event.id}' lists dates {listed}; its block is {wanted}"
                )
            )
        for session in ctx.of_event(event.id):
            if session.day is None:
                violations.append(
                    Violation(
                        "H12",
                        (session.id,),
                        f"session {session.id} is on {session.date}, outside the block of "
                        f"event '{event.id}'",
                    )
                )
            elif session.raw.day != session.day:
                violations.append(
                    Violation(
                        "H12",
                        (session.id,),
                        f"session {session.id} says day {session.raw.day}; {session.date} is "
                        f"day {session.day} of event '{event.id}'",
                    )
                )
    return violations


def _h13_one_venue(ctx: _Context) -> list[Violation]:
    """H13: an event's sessions use rooms of its plan's venue, one of its venues, and name it."""
    violations: list[Violation] = []
    for event in ctx.instance.events:
        plan = ctx.plan(event.id)
        if plan is not None and plan.venue not in event.venues:
            violations.append(
                Violation(
                    "H13",
                    (),
                    f"event '{event.id}' is planned at venue '{plan.venue}', not one of its venues",
                )
            )
        for session in ctx.of_event(event.id):
            where = session.room_venue.id
            if plan is not None and where != plan.venue:
                violations.append(
                    Violation(
                        "H13",
                        (session.id,),
                        f"session {session.id} is in room '{session.room.id}' of venue '{where}'; "
                        f"event '{event.id}' is at venue '{plan.venue}'",
                    )
                )
            elif plan is None and where not in event.venues:
                violations.append(
                    Violation(
                        "H13",
                        (session.id,),
                        f"session {session.id} is in room '{session.room.id}' of venue '{where}', "
                        f"not one of the venues of event '{event.id}'",
                    )
                )
            if session.venue.id != where:
                violations.append(
                    Violation(
                        "H13",
                        (session.id,),
                        f"session {session.id} names venue '{session.venue.id}'; its room "
                        f"'{session.room.id}' is in venue '{where}'",
                    )
                )
    return violations


# Soft rules.


def _s1_room_capacity(ctx: _Context) -> list[_Charge]:
    """S1: with soft room capacity, for each session the attendees above its room's capacity."""
    if ctx.instance.policy.room_capacity != "soft":
        return []
    return [
        _Charge(
            session.attendees - session.room.capacity,
            (session.id,),
            f"session {session.id} has {session.attendees} attendees in room "
            f"'{session.room.id}' for {session.room.capacity}",
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
    charges: list[_Charge] = []
    for key, sessions in _sessions_by_offering(ctx).items():
        min_days = ctx.topics[key[1]].min_days
        dates = {session.date for session in sessions}
        if len(dates) < min_days:
            charges.append(
                _Charge(
                    min_days - len(dates),
                    _ids(sessions),
                    f"offering {_label(key, ctx.offerings[key])} is spread over {len(dates)} "
                    f"day(s), not {min_days}",
                )
            )
    return charges


def _s3_compactness(ctx: _Context) -> list[_Charge]:
    """S3: for each group, 1 for each session it attends with no adjacent session of that group."""
    charges: list[_Charge] = []
    for group_id, attended in _by_group(ctx).items():
        for session in attended:
            if not any(other is not session and _adjacent(session, other) for other in attended):
                charges.append(
                    _Charge(1, (session.id,), f"group '{group_id}' has {session.id} on its own")
                )
    return charges


def _s4_room_stability(ctx: _Context) -> list[_Charge]:
    """S4: for each offering, the number of distinct rooms its sessions use, minus one."""
    charges: list[_Charge] = []
    for key, sessions in _sessions_by_offering(ctx).items():
        rooms = sorted({session.room.id for session in sessions})
        if len(rooms) > 1:
            charges.append(
                _Charge(
                    len(rooms) - 1,
                    _ids(sessions),
                    f"offering {_label(key, ctx.offerings[key])} moves between rooms "
                    f"{', '.join(rooms)}",
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
                f"trainer '{trainer_id}': {len(dates)} day(s) at Rp {trainer.daily_fee}",
            )
        )
        away = dict.fromkeys(s.event.id for s in sessions if s.event.province != trainer.home)
        for event_id in away:
            province = ctx.events[event_id].province
            link = ctx.instance.travel_link(trainer.home, province)
            if link is not None:
                costs.append(
                    _Cost(
                        _units(link.fare, unit),
                        link.fare,
                        _ids(s for s in sessions if s.event.id == event_id),
                        f"trainer '{trainer_id}': return fare {trainer.home}-{province} "
                        f"Rp {link.fare} for event '{event_id}'",
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
                    f"event '{event.id}': {event.days} day(s) at venue '{venue.id}', "
                    f"Rp {venue.daily_cost} a day",
                )
            )
    return costs


def _s5_cost(ctx: _Context) -> list[_Charge]:
    """S5: fees per date worked, fares per event away from home and venue days, in cost points."""
    return [_Charge(cost.points, cost.sessions, cost.message) for cost in _costs(ctx)]


def _s6_method_variety(ctx: _Context) -> list[_Charge]:
    """S6: per group, 1 for each pair of adjacent sessions it attends with the same method."""
    charges: list[_Charge] = []
    for group_id, attended in _by_group(ctx).items():
        for first, second in itertools.combinations(attended, 2):
            if first.method.id == second.method.id and _adjacent(first, second):
                charges.append(
                    _Charge(
                        1,
                        (first.id, second.id),
                        f"group '{group_id}' has method '{first.method.id}' twice in a row: "
                        f"{first.id} and {second.id}",
                    )
                )
    return charges


def _s7_participation(ctx: _Context) -> list[_Charge]:
    """S7: per event, the slots with a participatory method below its target."""
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
                    f"event '{event.id}' has {slots} participatory slot(s) of {total}; "
                    f"the target is {target}",
                )
            )
    return charges


def _s8_trainer_fit(ctx: _Context) -> list[_Charge]:
    """S8: per facilitator, 3 - proficiency, +1 for an avoided date, +1 for an avoided slot."""
    charges: list[_Charge] = []
    for session in ctx.sessions:
        for trainer in session.trainers:
            reasons: list[str] = []
            points = 0
            # A trainer without the topic breaks H6; the fit then has nothing to measure.
            proficiency = trainer.topics.get(session.topic.id)
            if proficiency is not None and proficiency < 3:
                points += 3 - proficiency
                reasons.append(f"proficiency {proficiency} in '{session.topic.id}'")
            prefs = trainer.preferences
            if (
                WEEKDAYS[session.date.weekday()] in prefs.avoid_weekdays
                or session.date in prefs.avoid_dates
            ):
                points += 1
                reasons.append(f"would rather not work on {session.date:%A %Y-%m-%d}")
            avoided = [slot for slot in session.raw.slots if slot in prefs.avoid_slots]
            if avoided:
                points += 1
                reasons.append(f"would rather not teach slot {', '.join(str(s) for s in avoided)}")
            if points:
                charges.append(
                    _Charge(
                        points,
                        (session.id,),
                        f"trainer '{trainer.id}' in {session.id}: {'; '.join(reasons)}",
                    )
                )
    return charges


def _s9_workload_balance(ctx: _Context) -> list[_Charge]:
    """S9: the busiest trainer's slots above `ceil(total load / number of trainers)`."""
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
            f"trainer '{busiest}' facilitates {loads[busiest]} slots; the even share is {share}",
        )
    ]


def _s10_partnership(ctx: _Context) -> list[_Charge]:
    """S10: for each session, 1 when none of its facilitators has the partnership role."""
    role = ctx.instance.policy.partnership_role
    return [
        _Charge(1, (session.id,), f"session {session.id} has no {role} facilitator")
        for session in ctx.sessions
        if not any(trainer.role == role for trainer in session.trainers)
    ]


def _s11_comfort(ctx: _Context) -> list[_Charge]:
    """S11: per group, 1 per late slot it attends, and slots a date beyond `max_daily_slots`."""
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
                        f"group '{group_id}' has {session.id} in late slot(s) "
                        f"{', '.join(str(s) for s in late)}",
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
                            f"group '{group_id}' has {slots} slots on {date}; "
                            f"{policy.max_daily_slots} are comfortable",
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


def check(instance: Instance, timetable: Timetable) -> CheckReport:
    """Judge `timetable` against every rule of docs/CONSTRAINTS.md for `instance`."""
    ctx = _build_context(instance, timetable)
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
