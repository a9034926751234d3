"""Compile a validated `Instance` into integer-indexed arrays with pruned candidate domains.

The CP-SAT model only ever sees this `Problem`: every entity becomes an index, every date an
offset into its event's working days, and every (offering, period, room / trainer / method)
combination that can never be legal is left out here, before a variable is made for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models import Instance
from models.calendar import working_days
from models.common import WEEKDAYS, SoftId, in_any
from models.entities import Trainer, Venue


def cost_units(amount_idr: int, cost_unit: int) -> int:
    """Rupiah to cost points, rounded half up."""
    return (2 * amount_idr + cost_unit) // (2 * cost_unit)


def _minutes(clock: dt.time) -> int:
    return clock.hour * 60 + clock.minute


@dataclass
class EventData:
    """An event: its candidate dates (working days of the window), blocks and time grid.

    Sessions are placed on *relative* periods: `day * num_slots + slot` with `day` counted
    from the first day of the event's block (0-based). The block's start, an index into
    `dates`, is a decision of its own; the date of relative day `day` under start `start` is
    `dates[start + day]`.
    """

    idx: int
    id: str
    province_idx: int
    num_days: int
    dates: list[dt.date]
    slot_start: list[int]
    slot_end: list[int]
    venues: list[int]
    late_slots: frozenset[int]
    participation_target: int
    offerings: list[int] = field(default_factory=list)

    @property
    def num_slots(self) -> int:
        return len(self.slot_start)

    @property
    def num_periods(self) -> int:
        return self.num_days * self.num_slots

    @property
    def num_starts(self) -> int:
        """How many blocks of `num_days` consecutive working days fit in the window."""
        return len(self.dates) - self.num_days + 1

    def date(self, start: int, day: int) -> dt.date:
        """The date of relative day `day` when the block starts at `dates[start]`."""
        return self.dates[start + day]

    def interval(self, slot: int, length: int) -> tuple[int, int]:
        """Clock interval in minutes of a session starting at `slot` with `length` slots."""
        return self.slot_start[slot], self.slot_end[slot + length - 1]


@dataclass
class NeedData:
    """A facilitator position of an offering and the trainers who may fill it."""

    name: str
    count: int
    trainers: list[int]


@dataclass
class OfferingData:
    """A topic taught to one audience in an event, with its candidate periods and resources."""

    idx: int
    id: str
    event: int
    topic_idx: int
    topic_id: str
    groups: list[int]
    group_ids: tuple[str, ...]
    audience: str
    num_sessions: int
    length: int
    attendees: int
    min_days: int
    methods: list[int]
    rooms: list[int]
    needs: list[NeedData]
    starts: list[int] = field(default_factory=list)
    topic_closed: frozenset[int] = frozenset()
    """Starts the topic's day rule or unavailable slots exclude: kept as candidates only in a
    `relaxed` problem, where H5 then forbids them by a constraint (an explanation names it)."""

    def trainers(self) -> list[int]:
        return sorted({t for need in self.needs for t in need.trainers})


@dataclass
class TrainerData:
    """A trainer's limits, costs, availability and preferences, in indices and cost points."""

    idx: int
    id: str
    home: int
    role: str
    methods: frozenset[int]
    fee_units: int
    fee_idr: int
    max_slots_per_day: int | None
    max_days: int | None
    proficiency: dict[int, int]
    avoid_slots: frozenset[int]


@dataclass
class RoomData:
    idx: int
    id: str
    venue: int
    capacity: int
    facilities: frozenset[str]


@dataclass
class VenueData:
    idx: int
    id: str
    daily_units: int
    daily_idr: int
    rooms: list[int]


@dataclass
class MethodData:
    idx: int
    id: str
    participatory: bool
    facilities: frozenset[str]


@dataclass(frozen=True)
class PinData:
    """A pin in indices: its offering, start period (or None), room (or None) and trainers."""

    offering: int
    period: int | None
    room: int | None
    trainers: tuple[int, ...]


@dataclass
class Problem:
    """The instance as integer-indexed arrays: what the CP-SAT model is built from."""

    name: str
    events: list[EventData]
    offerings: list[OfferingData]
    trainers: list[TrainerData]
    rooms: list[RoomData]
    venues: list[VenueData]
    methods: list[MethodData]
    group_ids: list[str]
    province_ids: list[str]
    weights: dict[SoftId, int]
    hard_soft: frozenset[SoftId]
    levels: list[list[SoftId]] | None
    capacity_hard: bool
    partnership_role: str
    max_daily_slots: int | None
    travel_days: dict[tuple[int, int], int]
    """(province, province) -> travel days; a missing pair cannot be travelled."""
    fare_units: dict[tuple[int, int], int]
    fare_idr: dict[tuple[int, int], int]
    room_closed: dict[tuple[int, int, int], frozenset[int]]
    """(room, event, day) -> block starts under which the room or its venue is closed that day."""
    trainer_closed: dict[tuple[int, int, int], frozenset[int]]
    """(trainer, event, day) -> block starts under which the trainer is unavailable that day."""
    avoided: dict[tuple[int, int, int], frozenset[int]]
    """(trainer, event, day) -> block starts under which that day is one the trainer avoids (S8)."""
    prerequisites: list[tuple[int, int]]
    """(prerequisite offering, offering) pairs that share a group in one event (H9)."""
    relaxed: bool = False
    """Days on which rooms or trainers are closed are kept as candidates (H5 then forbids
    them by constraints): the form an explanation needs, where H5 may be switched off."""
    pins: list[PinData] = field(default_factory=list)
    """Sessions fixed in advance (`Instance.pins`), in indices (H5)."""

    def weight(self, soft_id: SoftId) -> int:
        return self.weights.get(soft_id, 0)

    def counts(self, soft_id: SoftId) -> bool:
        """Whether a soft rule enters the model: weighted, or made hard."""
        return self.weight(soft_id) > 0 or soft_id in self.hard_soft


def compile_instance(instance: Instance, relaxed: bool = False) -> Problem:
    """Index the instance and prune every candidate that a hard rule forbids on its own.

    `relaxed` keeps the days closed by availability (see `Problem.relaxed`).
    """
    province_idx = {p.id: i for i, p in enumerate(instance.provinces)}
    method_idx = {m.id: i for i, m in enumerate(instance.methods)}
    group_idx = {g.id: i for i, g in enumerate(instance.groups)}
    topic_idx = {t.id: i for i, t in enumerate(instance.topics)}
    policy = instance.policy
    unit = policy.cost_unit

    methods = [
        MethodData(i, m.id, m.participatory, frozenset(m.facilities))
        for i, m in enumerate(instance.methods)
    ]
    venues: list[VenueData] = []
    rooms: list[RoomData] = []
    for v_idx, venue in enumerate(instance.venues):
        room_indices = []
        for room in venue.rooms:
            room_indices.append(len(rooms))
            rooms.append(
                RoomData(len(rooms), room.id, v_idx, room.capacity, frozenset(room.facilities))
            )
        venues.append(
            VenueData(
                v_idx, venue.id, cost_units(venue.daily_cost, unit), venue.daily_cost, room_indices
            )
        )
    venue_idx = {v.id: v.idx for v in venues}

    trainers = [
        TrainerData(
            idx=i,
            id=t.id,
            home=province_idx[t.home],
            role=t.role,
            methods=frozenset(method_idx[m] for m in t.methods),
            fee_units=cost_units(t.daily_fee, unit),
            fee_idr=t.daily_fee,
            max_slots_per_day=t.max_slots_per_day,
            max_days=t.max_days,
            proficiency={topic_idx[topic]: level for topic, level in t.topics.items()},
            avoid_slots=frozenset(slot - 1 for slot in t.preferences.avoid_slots),
        )
        for i, t in enumerate(instance.trainers)
    ]

    travel_days: dict[tuple[int, int], int] = {}
    fare_units: dict[tuple[int, int], int] = {}
    fare_idr: dict[tuple[int, int], int] = {}
    for link in instance.travel:
        a, b = (province_idx[p] for p in link.between)
        for pair in ((a, b), (b, a)):
            travel_days[pair] = link.days
            fare_units[pair] = cost_units(link.fare, unit)
            fare_idr[pair] = link.fare

    late_after = _minutes(policy.late_after)
    events: list[EventData] = []
    for e_idx, event in enumerate(instance.events):
        province = instance.province(event.province)
        dates = working_days(province, event)
        events.append(
            EventData(
                idx=e_idx,
                id=event.id,
                province_idx=province_idx[event.province],
                num_days=event.days,
                dates=dates,
                slot_start=[_minutes(s.start) for s in event.slots],
                slot_end=[_minutes(s.end) for s in event.slots],
                venues=[venue_idx[v] for v in event.venues],
                late_slots=frozenset(
                    i for i, s in enumerate(event.slots) if _minutes(s.start) >= late_after
                ),
                participation_target=0,
            )
        )

    room_closed: dict[tuple[int, int, int], frozenset[int]] = {}
    trainer_closed: dict[tuple[int, int, int], frozenset[int]] = {}
    avoided: dict[tuple[int, int, int], frozenset[int]] = {}
    for ev in events:
        for day in range(ev.num_days):
            on_day = [(start, ev.date(start, day)) for start in range(ev.num_starts)]
            for v_idx in ev.venues:
                venue = instance.venues[v_idx]
                for r_idx, room in zip(venues[v_idx].rooms, venue.rooms, strict=True):
                    room_closed[r_idx, ev.idx, day] = frozenset(
                        start
                        for start, date in on_day
                        if not _venue_open(venue, date) or in_any(date, room.unavailable)
                    )
            for t_idx, trainer in enumerate(instance.trainers):
                trainer_closed[t_idx, ev.idx, day] = frozenset(
                    start for start, date in on_day if not _trainer_open(trainer, date)
                )
                avoided[t_idx, ev.idx, day] = frozenset(
                    start
                    for start, date in on_day
                    if WEEKDAYS[date.weekday()] in trainer.preferences.avoid_weekdays
                    or date in trainer.preferences.avoid_dates
                )

    event_idx = {ev.id: ev.idx for ev in events}
    offerings: list[OfferingData] = []
    for offering in instance.offerings():
        event = instance.event(offering.event)
        ev = events[event_idx[event.id]]
        topic = instance.topic(offering.topic)
        groups = [group_idx[g] for g in offering.groups]
        languages = {
            lang for g in offering.groups if (lang := instance.group(g).language) is not None
        }
        allowed_methods = [
            method_idx[m] for m in topic.methods if instance.method(m).fits(offering.num_slots)
        ]
        needs = []
        for need in topic.facilitators:
            eligible = [
                t.idx
                for t, source in zip(trainers, instance.trainers, strict=True)
                if topic.id in source.topics
                and source.role in need.trainer_roles
                and languages <= set(source.languages)
                and t.methods.intersection(allowed_methods)
                and (t.home == ev.province_idx or (t.home, ev.province_idx) in travel_days)
            ]
            needs.append(NeedData(need.role, need.count, eligible))
        candidate_rooms = [
            r
            for v in ev.venues
            for r in venues[v].rooms
            if (policy.room_capacity == "soft" or rooms[r].capacity >= offering.attendees)
            and any(methods[m].facilities <= rooms[r].facilities for m in allowed_methods)
        ]
        data = OfferingData(
            idx=len(offerings),
            id=f"{offering.event}/{offering.topic}/{offering.audience}",
            event=ev.idx,
            topic_idx=topic_idx[topic.id],
            topic_id=topic.id,
            groups=groups,
            group_ids=offering.groups,
            audience=offering.audience,
            num_sessions=offering.num_sessions,
            length=offering.num_slots,
            attendees=offering.attendees,
            min_days=topic.min_days,
            methods=allowed_methods,
            rooms=candidate_rooms,
            needs=needs,
        )
        unavailable = {(u.day - 1, u.slot - 1) for u in topic.unavailable}
        if relaxed:
            _candidate_starts(data, ev, topic.days, unavailable, {}, {})
            allowed = frozenset(data.starts)
            data.starts.clear()
            _candidate_starts(data, ev, "any", set(), {}, {})
            data.topic_closed = frozenset(data.starts) - allowed
        else:
            _candidate_starts(data, ev, topic.days, unavailable, room_closed, trainer_closed)
        offerings.append(data)
        ev.offerings.append(data.idx)

    for ev in events:
        event = instance.events[ev.idx]
        total = sum(offerings[k].num_sessions * offerings[k].length for k in ev.offerings)
        permille = round(1000 * event.participatory_target)
        ev.participation_target = (permille * total + 999) // 1000

    prerequisites = _prerequisite_pairs(instance, offerings)
    active = policy.active_soft()
    weights = {soft_id: policy.weights.of(soft_id) for soft_id in active}
    hard_soft = frozenset(policy.hard) & frozenset(active)
    levels = None
    if policy.levels is not None:
        levels = [[s for s in level if s in weights] for level in policy.levels]
        rest = [s for s in weights if not any(s in level for level in levels)]
        levels = [level for level in [*levels, rest] if level]

    return Problem(
        name=instance.name,
        events=events,
        offerings=offerings,
        trainers=trainers,
        rooms=rooms,
        venues=venues,
        methods=methods,
        group_ids=[g.id for g in instance.groups],
        province_ids=[p.id for p in instance.provinces],
        weights=weights,
        hard_soft=hard_soft,
        levels=levels,
        capacity_hard=policy.room_capacity == "hard",
        partnership_role=policy.partnership_role,
        max_daily_slots=policy.max_daily_slots,
        travel_days=travel_days,
        fare_units=fare_units,
        fare_idr=fare_idr,
        room_closed=room_closed,
        trainer_closed=trainer_closed,
        avoided=avoided,
        prerequisites=prerequisites,
        relaxed=relaxed,
        pins=_pins(instance, offerings, events, rooms, trainers),
    )


def _pins(
    instance: Instance,
    offerings: list[OfferingData],
    events: list[EventData],
    rooms: list[RoomData],
    trainers: list[TrainerData],
) -> list[PinData]:
    """The instance's pins in indices; the instance has checked that every id resolves."""
    offering_idx = {k.id: k.idx for k in offerings}
    room_idx = {r.id: r.idx for r in rooms}
    trainer_idx = {t.id: t.idx for t in trainers}
    pins: list[PinData] = []
    for pin in instance.pins:
        k = offerings[offering_idx[pin.offering]]
        period = None
        if pin.day is not None and pin.slot is not None:
            period = (pin.day - 1) * events[k.event].num_slots + pin.slot - 1
        pins.append(
            PinData(
                offering=k.idx,
                period=period,
                room=None if pin.room is None else room_idx[pin.room],
                trainers=tuple(trainer_idx[t] for t in pin.trainers),
            )
        )
    return pins


def _venue_open(venue: Venue, day: dt.date) -> bool:
    if venue.available is not None and not in_any(day, venue.available):
        return False
    return not in_any(day, venue.unavailable)


def _trainer_open(trainer: Trainer, day: dt.date) -> bool:
    if trainer.available is not None and not in_any(day, trainer.available):
        return False
    return not in_any(day, trainer.unavailable)


def _day_allowed(rule: str, day: int, num_days: int) -> bool:
    """Whether the topic's day rule allows event day `day` (0-based)."""
    if rule == "first":
        return day == 0
    if rule == "last":
        return day == num_days - 1
    if rule == "not-first":
        return day != 0
    if rule == "not-last":
        return day != num_days - 1
    return True


def _candidate_starts(
    offering: OfferingData,
    event: EventData,
    day_rule: str,
    unavailable: set[tuple[int, int]],
    room_closed: dict[tuple[int, int, int], frozenset[int]],
    trainer_closed: dict[tuple[int, int, int], frozenset[int]],
) -> None:
    """Fill the relative periods where a session of `offering` may start (H5, H8).

    A period survives when the session fits in the day, the topic's day rule and unavailable
    slots allow it, some candidate room is open on that day under some block start, and each
    position has enough trainers available on it under some block start.
    """
    all_starts = frozenset(range(event.num_starts))
    never: frozenset[int] = frozenset()
    for day in range(event.num_days):
        if not _day_allowed(day_rule, day, event.num_days):
            continue
        if all(room_closed.get((r, event.idx, day), never) == all_starts for r in offering.rooms):
            continue
        if any(
            all(
                sum(
                    start not in trainer_closed.get((t, event.idx, day), never)
                    for t in need.trainers
                )
                < need.count
                for start in all_starts
            )
            for need in offering.needs
        ):
            continue
        for slot in range(event.num_slots - offering.length + 1):
            if any((day, s) in unavailable for s in range(slot, slot + offering.length)):
                continue
            offering.starts.append(day * event.num_slots + slot)


def _prerequisite_pairs(instance: Instance, offerings: list[OfferingData]) -> list[tuple[int, int]]:
    """(prerequisite offering, dependent offering) pairs of one event that share a group."""
    pairs: set[tuple[int, int]] = set()
    by_group: dict[tuple[int, int], dict[str, int]] = {}
    for k in offerings:
        for g in k.groups:
            by_group.setdefault((k.event, g), {})[k.topic_id] = k.idx
    for topics in by_group.values():
        for topic_id, k_idx in topics.items():
            for prerequisite in instance.topic(topic_id).prerequisites:
                if prerequisite in topics:
                    pairs.add((topics[prerequisite], k_idx))
    return sorted(pairs)
