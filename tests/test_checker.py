"""Tests of the checker: a feasible hand-made timetable, each rule broken and nearly broken."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import (
    SOFT_IDS,
    EventPlan,
    Facilitation,
    Instance,
    ScheduledSession,
    SoftId,
    Timetable,
)
from scheduler.checker import CheckReport, Violation, check
from tests.conftest import DATA

CHECKER_DATA = DATA / "checker"

Change = Callable[[Instance, Timetable], Timetable]
"""A change to a timetable; it may read the instance (for the slot grid)."""
Tweak = Callable[[dict[str, Any]], None]
"""A change to the raw data of an instance, before it is validated."""

# The sessions of the feasible tiny timetable.
P1 = "tot-bali/partnership/all/1"
P2 = "tot-bali/partnership/all/2"
HIV = "tot-bali/hiv-basics/all/1"
RPW = "tot-bali/role-play-practice/women/1"
RPV = "tot-bali/role-play-practice/waria/1"
PL = "tot-bali/planning/all/1"
ALL = ("women", "waria")
FEB_1, FEB_2, FEB_3 = dt.date(1999, 2, 1), dt.date(1999, 2, 2), dt.date(1999, 2, 3)

# The sessions of the feasible two-grids timetable.
A1, A2 = "ev-a/t1/ga/1", "ev-a/t1/ga/2"
B1, B2 = "ev-b/t1/open/1", "ev-b/t1/open/2"
MAR_5 = dt.date(2001, 3, 5)


# Building instances and timetables.


@cache
def _raw(name: str) -> dict[str, Any]:
    path = DATA / "tiny.yaml" if name == "tiny" else CHECKER_DATA / f"{name}.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def load(name: str, *tweaks: Tweak) -> Instance:
    """The instance `name` (tiny, or a file of tests/data/checker) with `tweaks` applied."""
    data = copy.deepcopy(_raw(name))
    for tweak in tweaks:
        tweak(data)
    return Instance.model_validate(data)


def put(path: str, value: Any) -> Tweak:
    """A tweak setting `path`, e.g. `trainers.dewi.max_days`: list items are found by id."""
    *parents, last = path.split(".")

    def tweak(data: dict[str, Any]) -> None:
        node: Any = data
        for part in parents:
            if isinstance(node, list):
                node = next(item for item in node if item["id"] == part)
            else:
                node = node.setdefault(part, {})
        node[last] = value

    return tweak


def append(path: str, item: Any) -> Tweak:
    """A tweak appending `item` to the list at `path`."""

    def tweak(data: dict[str, Any]) -> None:
        node: Any = data
        for part in path.split("."):
            node = (
                next(i for i in node if i["id"] == part) if isinstance(node, list) else node[part]
            )
        node.append(item)

    return tweak


MADE = append(
    "trainers",
    {
        "id": "made",
        "home": "bali",
        "role": "community",
        "topics": ["role-play-practice"],
        "methods": ["role-play"],
    },
)
"""A second community facilitator for the role plays of the tiny instance."""

UBUD = append(
    "venues",
    {
        "id": "ubud",
        "province": "bali",
        "daily_cost": 300000,
        "rooms": [
            {"id": "hall", "capacity": 30, "facilities": ["flipchart", "projector"]},
            {"id": "yard", "capacity": 15, "facilities": ["flipchart"]},
        ],
    },
)
"""A second venue in Bali, not (yet) one of the tiny event's venues."""


def span(start: dt.date, end: dt.date | None = None) -> list[dict[str, dt.date]]:
    """A list of one date range, as an instance file gives it."""
    return [{"start": start, "end": end or start}]


def lead(*trainers: str) -> tuple[Facilitation, ...]:
    """Each trainer in the position `lead`."""
    return tuple(Facilitation(trainer=trainer, role="lead") for trainer in trainers)


def times(instance: Instance, event_id: str, slot: int, num_slots: int) -> dict[str, Any]:
    """The grid's clock times of the slots, or none when they leave the grid."""
    grid = instance.event(event_id).slots
    if slot + num_slots - 1 > len(grid):
        return {"start_time": None, "end_time": None}
    return {"start_time": grid[slot - 1].start, "end_time": grid[slot + num_slots - 2].end}


def session(
    instance: Instance,
    plan: EventPlan,
    session_id: str,
    groups: tuple[str, ...],
    day: int,
    slot: int,
    room: str,
    method: str,
    trainers: tuple[Facilitation, ...],
) -> ScheduledSession:
    """A session with date, clock times and venue filled in from the plan and the instance."""
    event_id, topic_id = session_id.split("/")[:2]
    num_slots = instance.topic(topic_id).slots_per_session
    return ScheduledSession(
        id=session_id,
        event=event_id,
        topic=topic_id,
        groups=groups,
        date=plan.dates[day - 1],
        day=day,
        slot=slot,
        num_slots=num_slots,
        venue=instance.rooms()[room][0].id,
        room=room,
        method=method,
        trainers=trainers,
        **times(instance, event_id, slot, num_slots),
    )


def tiny_timetable(instance: Instance) -> Timetable:
    """A feasible timetable of the tiny instance.

    Day 1 (Mon 1 Feb 1999): partnership, hiv-basics, then the women's role play (slots 3-4).
    Day 2 (Tue 2 Feb 1999): the waria's role play (slots 1-2), partnership, planning. Ketut,
    the only community trainer, leads both role plays, so they cannot run in parallel.
    """
    plan = EventPlan(event="tot-bali", venue="sanur", start=FEB_1, dates=(FEB_1, FEB_2))
    rows = [
        (P1, ALL, 1, 1, "pendopo", "lecture", "dewi"),
        (HIV, ALL, 1, 2, "pendopo", "discussion", "ketut"),
        (RPW, ("women",), 1, 3, "garden", "role-play", "ketut"),
        (RPV, ("waria",), 2, 1, "garden", "role-play", "ketut"),
        (P2, ALL, 2, 3, "pendopo", "discussion", "ketut"),
        (PL, ALL, 2, 4, "pendopo", "discussion", "dewi"),
    ]
    sessions = tuple(
        session(instance, plan, sid, groups, day, slot, room, method, lead(trainer))
        for sid, groups, day, slot, room, method, trainer in rows
    )
    return Timetable(instance=instance.name, events=(plan,), sessions=sessions)


def two_grids_timetable(instance: Instance) -> Timetable:
    """A feasible timetable of two_grids: the sessions of ev-a and ev-b touch but never overlap.

    ev-a: ga has t1 08:00-09:30 and 09:30-11:00 in the pendopo with dewi.
    ev-b: the open t1 runs 08:30-09:30 and 11:00-12:00 in the garden with ketut.
    """
    plans = tuple(
        EventPlan(event=event, venue="sanur", start=MAR_5, dates=(MAR_5,))
        for event in ("ev-a", "ev-b")
    )
    sessions = (
        session(instance, plans[0], A1, ("ga",), 1, 1, "pendopo", "talk", lead("dewi")),
        session(instance, plans[0], A2, ("ga",), 1, 2, "pendopo", "game", lead("dewi")),
        session(instance, plans[1], B1, (), 1, 1, "garden", "talk", lead("ketut")),
        session(instance, plans[1], B2, (), 1, 2, "garden", "game", lead("ketut")),
    )
    return Timetable(instance=instance.name, events=plans, sessions=sessions)


def three_provinces_timetable(instance: Instance) -> Timetable:
    """A feasible timetable of three_provinces: dewi in Bali on 5 March and in NTT on 8 March.

    The link Bali-NTT takes 2 days; 5 and 8 March are 3 days apart, just enough.
    """
    starts = {"tot-bali": MAR_5, "tot-ntt": dt.date(2001, 3, 8), "tot-sulsel": MAR_5}
    plans = {
        event: EventPlan(event=event, venue=venue, start=starts[event], dates=(starts[event],))
        for event, venue in (
            ("tot-bali", "sanur"),
            ("tot-ntt", "kupang-hall"),
            ("tot-sulsel", "makassar-hall"),
        )
    }
    sessions = tuple(
        session(
            instance, plans[event], f"{event}/t1/{group}/1", (group,), 1, 1, room, "talk", lead(who)
        )
        for event, group, room, who in (
            ("tot-bali", "ga", "pendopo", "dewi"),
            ("tot-ntt", "gb", "aula", "dewi"),
            ("tot-sulsel", "gc", "balai", "andi"),
        )
    )
    return Timetable(instance=instance.name, events=tuple(plans.values()), sessions=sessions)


BASES: dict[str, Callable[[Instance], Timetable]] = {
    "tiny": tiny_timetable,
    "two_grids": two_grids_timetable,
    "three_provinces": three_provinces_timetable,
}


# Changes to timetables.


def _replace(timetable: Timetable, session_id: str, **changes: Any) -> Timetable:
    assert any(s.id == session_id for s in timetable.sessions), session_id
    sessions = tuple(
        s.model_copy(update=changes) if s.id == session_id else s for s in timetable.sessions
    )
    return timetable.model_copy(update={"sessions": sessions})


def edit(session_id: str, **changes: Any) -> Change:
    """Change fields of one session as they are, without recomputing anything."""
    return lambda instance, timetable: _replace(timetable, session_id, **changes)


def move(session_id: str, day: int, slot: int, **changes: Any) -> Change:
    """Move a session to `day` and `slot` of its event's plan, with the grid's times.

    `trainers` may be one trainer's id (as lead); a new `room` brings its venue along.
    """

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        old = next(s for s in timetable.sessions if s.id == session_id)
        plan = next(p for p in timetable.events if p.event == old.event)
        update = dict(changes)
        if isinstance(update.get("trainers"), str):
            update["trainers"] = lead(update["trainers"])
        if "room" in update:
            update.setdefault("venue", instance.rooms()[update["room"]][0].id)
        num_slots = update.get("num_slots", old.num_slots)
        return _replace(
            timetable,
            session_id,
            date=plan.dates[day - 1],
            day=day,
            slot=slot,
            **times(instance, old.event, slot, num_slots),
            **update,
        )

    return change


def drop(session_id: str) -> Change:
    """Leave a session out."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        sessions = tuple(s for s in timetable.sessions if s.id != session_id)
        return timetable.model_copy(update={"sessions": sessions})

    return change


def copy_as(session_id: str, new_id: str) -> Change:
    """Add a copy of a session under another id."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        old = next(s for s in timetable.sessions if s.id == session_id)
        sessions = (*timetable.sessions, old.model_copy(update={"id": new_id}))
        return timetable.model_copy(update={"sessions": sessions})

    return change


def plans(*new_plans: EventPlan) -> Change:
    """Replace the event plans."""
    return lambda instance, timetable: timetable.model_copy(update={"events": new_plans})


def extra_plan(**changes: Any) -> Change:
    """Add a copy of the first event plan, with `changes`."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        added = timetable.events[0].model_copy(update=changes)
        return timetable.model_copy(update={"events": (*timetable.events, added)})

    return change


def edit_plan(**changes: Any) -> Change:
    """Change fields of the first event plan."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        first, *rest = timetable.events
        return timetable.model_copy(update={"events": (first.model_copy(update=changes), *rest)})

    return change


def reblock(event_id: str, *dates: dt.date) -> Change:
    """Give an event the block `dates`, keeping each session on its day of the block."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        events = tuple(
            p.model_copy(update={"start": dates[0], "dates": dates}) if p.event == event_id else p
            for p in timetable.events
        )
        sessions = tuple(
            s.model_copy(update={"date": dates[s.day - 1]}) if s.event == event_id else s
            for s in timetable.sessions
        )
        return timetable.model_copy(update={"events": events, "sessions": sessions})

    return change


def rename(renames: dict[str, str]) -> Change:
    """Give sessions other ids."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        sessions = tuple(
            s.model_copy(update={"id": renames.get(s.id, s.id)}) for s in timetable.sessions
        )
        return timetable.model_copy(update={"sessions": sessions})

    return change


def chain(*changes: Change) -> Change:
    """Apply `changes` one after the other."""

    def change(instance: Instance, timetable: Timetable) -> Timetable:
        for one in changes:
            timetable = one(instance, timetable)
        return timetable

    return change


def keep(instance: Instance, timetable: Timetable) -> Timetable:
    """No change: the feasible timetable itself."""
    return timetable


@dataclass(frozen=True)
class Case:
    """A timetable derived from a feasible one, and what the checker should say about it."""

    name: str
    change: Change = keep
    tweaks: tuple[Tweak, ...] = ()
    base: str = "tiny"
    rules: str = ""
    """The rule ids the checker must report, exactly, separated by spaces; empty: feasible."""
    soft: dict[SoftId, int] = field(default_factory=dict)

    def run(self) -> CheckReport:
        instance = load(self.base, *self.tweaks)
        timetable = self.change(instance, BASES[self.base](instance))
        return check(instance, timetable)


def ids(cases: list[Case]) -> list[str]:
    """Test ids: the case names."""
    return [case.name for case in cases]


# The feasible timetables.


def test_tiny_timetable_is_feasible_with_hand_computed_penalties() -> None:
    instance = load("tiny")
    report = check(instance, tiny_timetable(instance))
    assert report.violations == ()
    assert report.feasible
    assert report.violations_by_rule() == {}
    assert report.penalties == {
        "S1": 0,  # capacity is hard
        "S2": 0,  # partnership (min_days 2) is taught on both days
        "S3": 0,  # every session of each group touches another of that group
        "S4": 0,  # each offering stays in one room
        # dewi 2 days * 40 + ketut 2 days * 10 + the sanur venue 2 days * 50
        "S5": 200,
        # partnership/2 then planning, both discussions, for women and for waria
        "S6": 2,
        # target ceil(0.5 * 8) = 4 of 8 slots; 7 are participatory (all but the lecture)
        "S7": 0,
        "S8": 1,  # dewi teaches planning at proficiency 2
        "S9": 2,  # loads dewi 2, ketut 6; share ceil(8 / 2) = 4
        "S10": 2,  # dewi alone leads partnership/1 and planning
        "S11": 0,  # the last slot starts at 15:00, before 16:00
    }
    assert report.weighted == {
        "S1": 0, "S2": 0, "S3": 0, "S4": 0, "S5": 200, "S6": 4,
        "S7": 0, "S8": 2, "S9": 4, "S10": 20, "S11": 0,
    }  # fmt: skip
    assert report.total == 230
    assert report.cost_idr == 2 * 400_000 + 2 * 100_000 + 2 * 500_000


def test_two_grids_timetable_is_feasible_with_hand_computed_penalties() -> None:
    instance = load("two_grids")
    report = check(instance, two_grids_timetable(instance))
    assert report.violations == ()
    expected = dict.fromkeys(SOFT_IDS, 0)
    # dewi units(15000) = 2 (1.5 rounds up), ketut units(14999) = 1, two events of one day
    # at the venue, units(25000) = 3 each
    expected["S5"] = 2 + 1 + 2 * 3
    expected["S10"] = 2  # ev-a has no community facilitator
    assert report.penalties == expected
    assert report.total == 9 + 10 * 2
    assert report.cost_idr == 15_000 + 14_999 + 2 * 25_000


def test_three_provinces_timetable_is_feasible_with_hand_computed_penalties() -> None:
    instance = load("three_provinces")
    report = check(instance, three_provinces_timetable(instance))
    assert report.violations == ()
    expected = dict.fromkeys(SOFT_IDS, 0)
    expected["S3"] = 3  # each group has one session, on its own
    # dewi 2 days * 10 + her return fare to NTT 150 + andi (at home) 1 day * 10
    expected["S5"] = 20 + 150 + 10
    expected["S7"] = 3  # each event wants 1 participatory slot of 1 and has none
    expected["S10"] = 3  # no community trainer anywhere
    assert report.penalties == expected
    assert report.total == 2 * 3 + 180 + 5 * 3 + 10 * 3
    assert report.cost_idr == 2 * 100_000 + 1_500_000 + 100_000


# Hard rules: each broken, and each nearly broken.


BROKEN: list[Case] = [
    # H1 complete
    Case("H1 a session missing", drop(P2), rules="H1"),
    Case("H1 a session too many", copy_as(P1, "tot-bali/partnership/all/3"), rules="H1 H2 H3 H4"),
    Case("H1 unknown trainer", edit(P2, trainers=lead("nobody")), rules="H1"),
    Case("H1 unknown room", edit(P2, room="attic"), rules="H1"),
    Case("H1 unknown method", edit(P2, method="mime"), rules="H1"),
    Case("H1 unknown venue", edit(P2, venue="ubud"), rules="H1"),
    Case("H1 unknown group", edit(P2, groups=(*ALL, "men")), rules="H1"),
    Case("H1 unknown topic", edit(P2, topic="ethics"), rules="H1"),
    Case("H1 unknown event", edit(P2, event="tot-ntt"), rules="H1"),
    Case("H1 matching no offering", edit(P2, groups=("women",)), rules="H1"),
    Case("H1 two sessions with one id", rename({HIV: P1}), rules="H1"),
    Case("H1 a group listed twice", edit(P1, groups=("women", "waria", "women")), rules="H1"),
    # H2 room: the role plays in parallel, with two facilitators, in one room
    Case("H2 same room", move(RPV, 1, 3, trainers="made"), (MADE,), rules="H2"),
    Case("H2 across events by the clock", edit(B1, room="pendopo"), base="two_grids", rules="H2"),
    # H3 trainer: the role plays in parallel in two rooms, both led by ketut
    Case("H3 same trainer", move(RPV, 1, 3, room="pendopo"), rules="H3"),
    Case(
        "H3 across events by the clock",
        edit(B1, trainers=lead("dewi")),
        base="two_grids",
        rules="H3",
    ),
    # H4 group
    Case("H4 women twice at once", move(P1, 1, 3), rules="H4"),
    Case(
        "H4 one offering twice at once",
        move(A2, 1, 1, room="hall", trainers="made"),
        base="two_grids",
        rules="H4",
    ),
    Case(
        "H4 open offering twice at once",
        move(B2, 1, 1, room="hall", trainers="made"),
        base="two_grids",
        rules="H4",
    ),
    # H5 availability
    Case(
        "H5 venue unavailable", tweaks=(put("venues.sanur.unavailable", span(FEB_2)),), rules="H5"
    ),
    Case(
        "H5 venue not available", tweaks=(put("venues.sanur.available", span(FEB_1)),), rules="H5"
    ),
    Case(
        "H5 room unavailable",
        tweaks=(put("venues.sanur.rooms.garden.unavailable", span(FEB_1)),),
        rules="H5",
    ),
    Case(
        "H5 trainer unavailable",
        tweaks=(put("trainers.dewi.unavailable", span(FEB_2, FEB_3)),),
        rules="H5",
    ),
    Case(
        "H5 trainer not available",
        tweaks=(put("trainers.dewi.available", span(FEB_2, FEB_3)),),
        rules="H5",
    ),
    Case(
        "H5 topic slot unavailable",
        tweaks=(put("topics.planning.unavailable", [{"day": 2, "slot": 4}]),),
        rules="H5",
    ),
    Case(
        "H5 topic slot unavailable, 2 slots",
        tweaks=(put("topics.role-play-practice.unavailable", [{"day": 1, "slot": 4}]),),
        rules="H5",
    ),
    Case("H5 day rule first", tweaks=(put("topics.planning.days", "first"),), rules="H5"),
    Case("H5 day rule not-last", tweaks=(put("topics.planning.days", "not-last"),), rules="H5"),
    Case(
        "H5 day rule not-first", tweaks=(put("topics.partnership.days", "not-first"),), rules="H5"
    ),
    Case("H5 day rule last", tweaks=(put("topics.hiv-basics.days", "last"),), rules="H5"),
    Case(
        "H5 pinned start not taken",
        tweaks=(put("pins", [{"offering": "tot-bali/planning/all", "day": 1, "slot": 1}]),),
        rules="H5",
    ),
    Case(
        "H5 pinned room not used",
        tweaks=(put("pins", [{"offering": "tot-bali/planning/all", "room": "garden"}]),),
        rules="H5",
    ),
    Case(
        "H5 pinned trainer not there",
        tweaks=(put("pins", [{"offering": "tot-bali/planning/all", "trainers": ["ketut"]}]),),
        rules="H5",
    ),
    # 2 Feb is a blackout date: the block is 1 and 3 Feb, and day 2 lies outside it.
    Case(
        "H5 not a working day",
        tweaks=(put("provinces.bali.blackout_dates", [FEB_2]),),
        rules="H5 H12",
    ),
    # Topic slots count days of the block: with 2 Feb off, 3 Feb is day 2.
    Case(
        "H5 topic slot on day 2 after a day off",
        reblock("tot-bali", FEB_1, FEB_3),
        (
            put("provinces.bali.blackout_dates", [FEB_2]),
            put("topics.planning.unavailable", [{"day": 2, "slot": 4}]),
        ),
        rules="H5",
    ),
    # H6 qualification
    Case("H6 method not the topic's", edit(PL, method="lecture"), rules="H6"),
    Case(
        "H6 method too short",
        edit(RPW, method="discussion"),
        (
            put("methods.discussion.max_slots", 1),
            put("topics.role-play-practice.methods", ["role-play", "discussion"]),
        ),
        rules="H6",
    ),
    Case(
        "H6 no such position",
        edit(P2, trainers=(Facilitation(trainer="ketut", role="co"),)),
        rules="H6",
    ),
    Case("H6 two leads", edit(P2, trainers=lead("ketut", "dewi")), rules="H6"),
    Case("H6 no facilitator", edit(P2, trainers=()), rules="H6"),
    Case(
        "H6 one trainer in two positions",
        edit(
            HIV,
            trainers=(
                Facilitation(trainer="ketut", role="lead"),
                Facilitation(trainer="ketut", role="co"),
            ),
        ),
        (put("topics.hiv-basics.facilitators", [{"role": "lead"}, {"role": "co"}]),),
        rules="H6",
    ),
    Case("H6 trainer lacks the topic", edit(PL, trainers=lead("ketut")), rules="H6"),
    Case("H6 trainer lacks the method", edit(P1, trainers=lead("ketut")), rules="H6"),
    Case(
        "H6 trainer's role not allowed",
        tweaks=(
            put(
                "topics.hiv-basics.facilitators", [{"role": "lead", "trainer_roles": ["national"]}]
            ),
        ),
        rules="H6",
    ),
    Case("H6 language", tweaks=(put("groups.women.language", "en"),), rules="H6"),
    # H7 suitability
    Case(
        "H7 no projector",
        edit(P1, room="garden"),
        (put("venues.sanur.rooms.garden.capacity", 20),),
        rules="H7",
    ),
    Case("H7 room too small", edit(P2, room="garden"), rules="H7"),
    # H8 contiguity
    Case("H8 too few slots", move(RPW, 1, 3, num_slots=1), rules="H6 H8"),
    Case("H8 beyond the day", move(RPW, 1, 4), rules="H8"),
    Case("H8 wrong start time", edit(P1, start_time=dt.time(8, 0)), rules="H8"),
    Case("H8 wrong end time", edit(P1, end_time=dt.time(10, 30)), rules="H8"),
    # H9 precedence: the women's role play before hiv-basics
    Case(
        "H9 prerequisite after", chain(move(RPW, 1, 1), move(HIV, 1, 3), move(P1, 1, 4)), rules="H9"
    ),
    # H10 travel
    Case(
        "H10 too soon after travel",
        reblock("tot-ntt", dt.date(2001, 3, 7)),
        base="three_provinces",
        rules="H10",
    ),
    Case("H10 no link from home", tweaks=(put("travel", []),), base="three_provinces", rules="H10"),
    Case(
        "H10 no link between two provinces away from home",
        chain(
            reblock("tot-sulsel", dt.date(2001, 3, 10)),
            edit("tot-sulsel/t1/gc/1", trainers=lead("dewi")),
        ),
        base="three_provinces",
        rules="H10",
    ),
    # H11 trainer limits: ketut has 3 slots on each of 2 days
    Case("H11 slots per day", tweaks=(put("trainers.ketut.max_slots_per_day", 2),), rules="H11"),
    Case("H11 days", tweaks=(put("trainers.ketut.max_days", 1),), rules="H11"),
    # H12 event block
    Case("H12 no plan", plans(), rules="H12"),
    Case("H12 two plans", extra_plan(), rules="H12"),
    Case("H12 plan of an unknown event", extra_plan(event="tot-ntt"), rules="H12"),
    # 1 Feb is off: the start is no working day, and every date shifts.
    Case(
        "H12 start not a working day",
        tweaks=(put("provinces.bali.blackout_dates", [FEB_1]),),
        rules="H5 H12",
    ),
    Case("H12 block beyond the window", edit_plan(start=FEB_3, dates=(FEB_3,)), rules="H12"),
    Case("H12 dates not the block", edit_plan(dates=(FEB_1, FEB_3)), rules="H12"),
    Case("H12 session outside the block", edit(PL, date=FEB_3, day=3), rules="H12"),
    Case("H12 wrong day number", edit(P2, day=1), rules="H12"),
    # H13 one venue
    Case("H13 plan at another venue", edit_plan(venue="ubud"), (UBUD,), rules="H13"),
    Case("H13 plan at an unknown venue", edit_plan(venue="ghost"), rules="H13"),
    Case(
        "H13 a session at another venue",
        edit(P2, room="hall", venue="ubud"),
        (UBUD, put("events.tot-bali.venues", ["sanur", "ubud"])),
        rules="H13",
    ),
    Case("H13 a session names the wrong venue", edit(P2, venue="ubud"), (UBUD,), rules="H13"),
    Case(
        "H13 no plan, rooms of two venues",
        chain(plans(), edit(P2, room="hall", venue="ubud")),
        (UBUD, put("events.tot-bali.venues", ["sanur", "ubud"])),
        rules="H12 H13",
    ),
]


NEAR_MISSES: list[Case] = [
    Case("H1 groups in another order", edit(P1, groups=("waria", "women"))),
    Case("H1 session ids swapped", rename({P1: P2, P2: P1})),
    Case("H1 session ids free-form", rename({HIV: "anything", PL: "planning please"})),
    Case(
        "H2 parallel role plays in two rooms",
        move(RPV, 1, 3, room="pendopo", trainers="made"),
        (MADE,),
    ),
    Case("H2 end == start across events", edit(B2, room="pendopo"), base="two_grids"),
    Case("H3 end == start across events", edit(B2, trainers=lead("dewi")), base="two_grids"),
    Case("H4 end == start of one offering", base="two_grids"),
    Case("H5 venue unavailable after", tweaks=(put("venues.sanur.unavailable", span(FEB_3)),)),
    Case("H5 venue available exactly", tweaks=(put("venues.sanur.available", span(FEB_1, FEB_2)),)),
    Case(
        "H5 room unavailable after",
        tweaks=(put("venues.sanur.rooms.garden.unavailable", span(FEB_3)),),
    ),
    Case(
        "H5 trainer available exactly",
        tweaks=(put("trainers.dewi.available", [*span(FEB_1), *span(FEB_2)]),),
    ),
    Case(
        "H5 topic slot free on another day",
        tweaks=(put("topics.planning.unavailable", [{"day": 1, "slot": 4}]),),
    ),
    Case(
        "H5 topic slot free at another slot",
        tweaks=(put("topics.planning.unavailable", [{"day": 2, "slot": 3}]),),
    ),
    Case(
        "H5 topic slot after the role play",
        tweaks=(put("topics.role-play-practice.unavailable", [{"day": 1, "slot": 2}]),),
    ),
    Case(
        "H5 pins that hold",
        tweaks=(
            put(
                "pins",
                [
                    {"offering": "tot-bali/planning/all", "day": 2, "slot": 4, "room": "pendopo"},
                    {"offering": "tot-bali/hiv-basics/all", "trainers": ["ketut"]},
                ],
            ),
        ),
    ),
    Case("H5 day rule not-first", tweaks=(put("topics.planning.days", "not-first"),)),
    Case("H5 day rule first", tweaks=(put("topics.hiv-basics.days", "first"),)),
    Case(
        "H5 last day after a day off",
        reblock("tot-bali", FEB_1, FEB_3),
        (put("provinces.bali.blackout_dates", [FEB_2]),),
    ),
    Case(
        "H6 method long enough",
        edit(RPW, method="discussion"),
        (
            put("methods.discussion.max_slots", 2),
            put("topics.role-play-practice.methods", ["role-play", "discussion"]),
        ),
    ),
    Case(
        "H6 two positions filled",
        edit(
            HIV,
            trainers=(
                Facilitation(trainer="ketut", role="lead"),
                Facilitation(trainer="dewi", role="co"),
            ),
        ),
        (put("topics.hiv-basics.facilitators", [{"role": "lead"}, {"role": "co"}]),),
    ),
    Case("H6 language spoken", tweaks=(put("groups.waria.language", "id"),)),
    Case(
        "H7 capacity exactly the attendees", edit(P2, room="garden"), (put("groups.women.size", 7),)
    ),
    Case("H7 capacity soft", edit(P2, room="garden"), (put("policy.room_capacity", "soft"),)),
    Case("H8 no clock times", edit(P1, start_time=None, end_time=None)),
    Case("H9 prerequisite just before", chain(move(HIV, 1, 1), move(RPW, 1, 2), move(P1, 1, 4))),
    Case("H10 days + 1 apart", base="three_provinces"),
    Case("H11 slots per day at the limit", tweaks=(put("trainers.ketut.max_slots_per_day", 3),)),
    Case("H11 days at the limit", tweaks=(put("trainers.ketut.max_days", 2),)),
    Case("H12 block starting on day 2 of the window", reblock("tot-bali", FEB_2, FEB_3)),
    Case(
        "H13 all at the other venue",
        chain(
            edit_plan(venue="ubud"),
            *(edit(s, room="hall", venue="ubud") for s in (P1, HIV, P2, PL)),
            *(edit(s, room="yard", venue="ubud") for s in (RPW, RPV)),
        ),
        (UBUD, put("events.tot-bali.venues", ["sanur", "ubud"])),
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=ids(BROKEN))
def test_broken_rule_is_reported(case: Case) -> None:
    report = case.run()
    assert set(report.violations_by_rule()) == set(case.rules.split()), report.violations
    assert not report.feasible


@pytest.mark.parametrize("case", NEAR_MISSES, ids=ids(NEAR_MISSES))
def test_near_miss_is_feasible(case: Case) -> None:
    report = case.run()
    assert report.violations == ()


def test_every_hard_rule_is_broken_and_nearly_broken() -> None:
    hard = {f"H{number}" for number in range(1, 14)}
    assert {rule for case in BROKEN for rule in case.rules.split()} == hard
    assert {case.name.split()[0] for case in NEAR_MISSES} == hard


def test_overlapping_pairs_are_reported_one_by_one() -> None:
    # A third copy of partnership/1 in its slot: three sessions, three pairs.
    case = Case(
        "copies",
        chain(copy_as(P1, "copy-a"), copy_as(P1, "copy-b")),
    )
    counts = case.run().violations_by_rule()
    assert counts["H2"] == 3
    assert counts["H3"] == 3
    assert counts["H4"] == 3


def test_message_names_who_what_when() -> None:
    report = Case("ketut twice", move(RPV, 1, 3, room="pendopo")).run()
    assert report.violations == (
        Violation(
            "H3",
            (RPW, RPV),
            f"trainer 'ketut' has two sessions at 1999-02-01 13:00: {RPW} and {RPV}",
        ),
    )


def test_venue_closed_is_the_venue_of_the_room() -> None:
    # P2 names ubud, but its room is in sanur, which is closed that day.
    case = Case(
        "wrong venue named",
        edit(P2, venue="ubud"),
        (UBUD, put("venues.sanur.unavailable", span(FEB_2))),
    )
    by_session = {(v.rule, v.sessions) for v in case.run().violations}
    assert ("H5", (P2,)) in by_session
    assert ("H13", (P2,)) in by_session


def test_messages_say_why_and_which_dates() -> None:
    def messages(case: Case, rule: str) -> list[str]:
        return [v.message for v in case.run().violations if v.rule == rule]

    blackout = put("provinces.bali.blackout_dates", [FEB_2])
    assert messages(Case("off", tweaks=(blackout,)), "H5") == [
        f"session {s}: 1999-02-02 is not a working day of event 'tot-bali': a blackout date of bali"
        for s in (RPV, P2, PL)
    ]
    outside = messages(Case("out", edit(PL, date=FEB_3, day=3)), "H12")
    assert outside == [
        f"session {PL} is on 1999-02-03, outside the block of event 'tot-bali' "
        "(1999-02-01 - 1999-02-02)"
    ]
    early = messages(Case("early", edit(PL, date=dt.date(1999, 1, 31))), "H5")
    assert early == [
        f"session {PL}: 1999-01-31 is not a working day of event 'tot-bali': "
        "outside its window 1999-02-01 - 1999-02-03"
    ]
    rest = messages(Case("rest", tweaks=(put("provinces.bali.rest_days", ["tuesday"]),)), "H5")
    assert rest[0].endswith(
        "1999-02-02 is not a working day of event 'tot-bali': a weekly rest day (Tuesday)"
    )
    days = messages(Case("days", tweaks=(put("trainers.ketut.max_days", 1),)), "H11")
    assert days == ["trainer 'ketut' works on 2 dates (1999-02-01, 1999-02-02); at most 1"]
    twice = messages(Case("one id", rename({HIV: P1})), "H1")
    assert twice[0] == f"2 sessions have the id {P1}; a session's id is its own"
    soon = chain(reblock("tot-ntt", dt.date(2001, 3, 7)), copy_as("tot-ntt/t1/gb/1", "again"))
    trip = messages(Case("trip", soon, base="three_provinces"), "H10")
    assert trip == [
        "trainer 'dewi' works in bali on 2001-03-05 (tot-bali/t1/ga/1) and in ntt on "
        "2001-03-07 (again, tot-ntt/t1/gb/1): 2 day(s) apart, the trip takes 2 day(s)"
    ]
    pinned = put("pins", [{"offering": "tot-bali/planning/all", "day": 1, "slot": 1}])
    assert messages(Case("pin", tweaks=(pinned,)), "H5") == [
        "pin 'tot-bali/planning/all': no session starts on day 1 (1999-02-01), slot 1; its "
        "sessions start 1999-02-02 slot 4"
    ]
    short = messages(Case("short", drop(P2)), "H1")
    assert len(short) == 1 and short[0].endswith(f"has 1 session(s) ({P1}); it needs 2")


def test_session_ids_are_given_for_each_violation() -> None:
    report = Case("planning by lecture", edit(PL, method="lecture")).run()
    assert [v.sessions for v in report.violations] == [(PL,)]
    assert "lecture" in report.violations[0].message


def test_empty_timetable() -> None:
    instance = load("tiny")
    report = check(instance, Timetable(instance=instance.name, events=(), sessions=()))
    assert report.violations_by_rule() == {"H1": 5, "H12": 1}
    assert set(report.penalties) == set(SOFT_IDS)
    assert report.penalties["S5"] == 0
    assert report.cost_idr == 0


def test_out_of_grid_session_skips_clock_rules() -> None:
    # Slot 5 of 4 overlaps nothing by the clock; it is only a contiguity violation.
    report = Case("slot 5", move(PL, 2, 5)).run()
    assert report.violations_by_rule() == {"H8": 1}


# Soft rules: exact penalties on small cases, with near misses at 0.


SOFT: list[Case] = [
    # S1 room capacity: 18 attendees in the garden for 15
    Case(
        "S1 over capacity",
        edit(P2, room="garden"),
        (put("policy.room_capacity", "soft"),),
        soft={"S1": 3},
    ),
    Case("S1 within capacity", tweaks=(put("policy.room_capacity", "soft"),), soft={"S1": 0}),
    Case("S1 hard capacity", edit(P2, room="garden"), soft={"S1": 0}),
    # S2 spread: partnership's 2 sessions fall on 2 days
    Case("S2 one day short", tweaks=(put("topics.partnership.min_days", 3),), soft={"S2": 1}),
    Case("S2 exactly spread", soft={"S2": 0}),
    Case("S2 every day missing", drop(PL), (put("topics.planning.min_days", 2),), soft={"S2": 2}),
    # S3 compactness: ga's two sessions in slots 1 and 3 stand alone
    Case("S3 two isolated", move(A2, 1, 3), base="two_grids", soft={"S3": 2}),
    Case("S3 adjacent", base="two_grids", soft={"S3": 0}),
    Case("S3 one per group", base="three_provinces", soft={"S3": 3}),
    # S4 room stability
    Case("S4 two rooms", edit(A2, room="hall"), base="two_grids", soft={"S4": 1}),
    Case("S4 one room", base="two_grids", soft={"S4": 0}),
    # S5 cost (rounding half up is in the feasible two-grids test)
    Case("S5 tiny", soft={"S5": 200}),
    Case(
        "S5 every price below half a unit", tweaks=(put("policy.cost_unit", 10**7),), soft={"S5": 0}
    ),
    # cost_unit 300000: dewi units(400000) = 1, ketut units(100000) = 0, venue units(500000) = 2
    Case(
        "S5 bigger unit", tweaks=(put("policy.cost_unit", 300_000),), soft={"S5": 2 * 1 + 0 + 2 * 2}
    ),
    Case("S5 other venue", edit_plan(venue="ubud"), (UBUD,), soft={"S5": 200 - 100 + 2 * 30}),
    # dewi works 3 days and makes 2 return trips: 30 + 150 + 200
    Case(
        "S5 two trips",
        chain(
            reblock("tot-sulsel", dt.date(2001, 3, 10)),
            edit("tot-sulsel/t1/gc/1", trainers=lead("dewi")),
        ),
        base="three_provinces",
        soft={"S5": 30 + 150 + 200},
    ),
    # S6 method variety
    Case("S6 two talks in a row", edit(A2, method="talk"), base="two_grids", soft={"S6": 1}),
    Case("S6 talk then game", base="two_grids", soft={"S6": 0}),
    Case("S6 tiny", soft={"S6": 2}),
    # S7 participation: 7 of 8 slots are participatory
    Case(
        "S7 target 7 of 8",
        tweaks=(put("events.tot-bali.participatory_target", 0.875),),
        soft={"S7": 0},
    ),
    Case(
        "S7 target 7.008 of 8",
        tweaks=(put("events.tot-bali.participatory_target", 0.876),),
        soft={"S7": 1},
    ),
    Case(
        "S7 target all", tweaks=(put("events.tot-bali.participatory_target", 1.0),), soft={"S7": 1}
    ),
    Case("S7 two talks", edit(A2, method="talk"), base="two_grids", soft={"S7": 1}),
    # S8 trainer fit: dewi's planning at proficiency 2 is the base 1
    Case("S8 base", soft={"S8": 1}),
    Case("S8 experts without preferences", base="two_grids", soft={"S8": 0}),
    Case(
        "S8 avoided weekday",
        tweaks=(put("trainers.dewi.preferences", {"avoid_weekdays": ["monday"]}),),
        soft={"S8": 2},
    ),
    Case(
        "S8 avoided weekday and date count once",
        tweaks=(
            put(
                "trainers.dewi.preferences", {"avoid_weekdays": ["monday"], "avoid_dates": [FEB_1]}
            ),
        ),
        soft={"S8": 2},
    ),
    Case(
        "S8 avoided date elsewhere",
        tweaks=(put("trainers.dewi.preferences", {"avoid_dates": [FEB_3]}),),
        soft={"S8": 1},
    ),
    Case(
        "S8 avoided slot of a 2-slot session",
        tweaks=(put("trainers.ketut.preferences", {"avoid_slots": [4]}),),
        soft={"S8": 2},
    ),
    Case(
        "S8 avoided slots count once",
        tweaks=(put("trainers.ketut.preferences", {"avoid_slots": [3, 4]}),),
        soft={"S8": 3},
    ),
    Case(
        "S8 avoided slot unused",
        tweaks=(put("trainers.dewi.preferences", {"avoid_slots": [2]}),),  # dewi: slots 1, 4
        soft={"S8": 1},
    ),
    Case(
        "S8 all at once",
        tweaks=(
            put("trainers.dewi.preferences", {"avoid_weekdays": ["tuesday"], "avoid_slots": [4]}),
        ),
        soft={"S8": 3},
    ),
    # S9 workload balance
    Case("S9 tiny", soft={"S9": 2}),
    Case("S9 an idle trainer lowers the share", tweaks=(MADE,), soft={"S9": 6 - 3}),
    Case("S9 balanced", base="two_grids", soft={"S9": 0}),
    Case(
        "S9 dewi takes one more",
        edit(B2, trainers=lead("dewi")),
        base="two_grids",
        soft={"S9": 3 - 2},
    ),
    # S10 partnership
    Case("S10 tiny", soft={"S10": 2}),
    Case(
        "S10 national partners",
        tweaks=(put("policy.partnership_role", "national"),),
        soft={"S10": 4},
    ),
    Case("S10 no facilitator", edit(P2, trainers=()), soft={"S10": 3}),
    Case(
        "S10 partners everywhere", tweaks=(put("trainers.dewi.role", "community"),), soft={"S10": 0}
    ),
    # S11 comfort: the last slot starts at 15:00
    Case("S11 late at 15:00", tweaks=(put("policy.late_after", "15:00"),), soft={"S11": 1 + 2}),
    Case("S11 late at 15:01", tweaks=(put("policy.late_after", "15:01"),), soft={"S11": 0}),
    Case(
        "S11 late slot of an open session",
        tweaks=(put("policy.late_after", "11:00"),),
        base="two_grids",
        soft={"S11": 0},
    ),
    Case(
        "S11 late at 09:30",
        tweaks=(put("policy.late_after", "09:30"),),
        base="two_grids",
        soft={"S11": 1},
    ),
    # women on day 1 and waria on day 2 have 4 slots
    Case("S11 three slots a day", tweaks=(put("policy.max_daily_slots", 3),), soft={"S11": 2}),
    Case("S11 four slots a day", tweaks=(put("policy.max_daily_slots", 4),), soft={"S11": 0}),
    Case(
        "S11 one slot a day",
        tweaks=(put("policy.max_daily_slots", 1),),
        base="two_grids",
        soft={"S11": 1},
    ),
]


@pytest.mark.parametrize("case", SOFT, ids=ids(SOFT))
def test_soft_penalty(case: Case) -> None:
    report = case.run()
    for soft_id, expected in case.soft.items():
        assert report.penalties[soft_id] == expected, soft_id


def test_every_soft_rule_is_tested_with_a_zero_and_a_positive_penalty() -> None:
    zero = {soft_id for case in SOFT for soft_id, value in case.soft.items() if value == 0}
    positive = {soft_id for case in SOFT for soft_id, value in case.soft.items() if value > 0}
    assert zero == set(SOFT_IDS)
    assert positive == set(SOFT_IDS)


def test_zero_weight_reports_the_penalty_but_adds_nothing() -> None:
    report = Case("no S10", tweaks=(put("policy.weights", {"S10": 0}),)).run()
    assert report.penalties["S10"] == 2
    assert report.weighted["S10"] == 0
    assert report.total == 230 - 20


def test_weights_multiply_penalties() -> None:
    report = Case("heavy S8", tweaks=(put("policy.weights", {"S8": 7, "S5": 2}),)).run()
    assert report.weighted["S8"] == 7
    assert report.weighted["S5"] == 400
    assert report.total == sum(report.weighted.values()) == 230 - 2 + 7 + 200


def test_soft_rule_made_hard_yields_violations() -> None:
    report = Case("hard S10", tweaks=(put("policy.hard", ["S10"]),)).run()
    assert not report.feasible
    assert report.violations_by_rule() == {"S10": 2}
    assert {v.sessions for v in report.violations} == {(P1,), (PL,)}
    assert report.penalties["S10"] == 2


def test_soft_rule_made_hard_without_penalty_is_feasible() -> None:
    report = Case("hard S11", tweaks=(put("policy.hard", ["S11", "S2"]),)).run()
    assert report.feasible


# Robustness: no timetable that parses makes the checker crash.


def _mutated_session(draw: st.DrawFn, base: ScheduledSession) -> ScheduledSession:
    pools: dict[str, list[Any]] = {
        "event": ["tot-bali", "ghost"],
        "topic": ["partnership", "hiv-basics", "role-play-practice", "planning", "ghost"],
        "groups": [(), ("women",), ("waria",), ALL, ("women", "women"), ("ghost",)],
        "date": [FEB_1 + dt.timedelta(days=offset) for offset in range(-1, 4)],
        "day": [1, 2, 3, 9],
        "slot": [1, 2, 3, 4, 5, 9],
        "num_slots": [1, 2, 3, 7],
        "start_time": [None, dt.time(8, 30), dt.time(23, 0)],
        "end_time": [None, dt.time(10, 0), dt.time(0, 0)],
        "venue": ["sanur", "ghost"],
        "room": ["pendopo", "garden", "ghost"],
        "method": ["lecture", "discussion", "role-play", "ghost"],
        "trainers": [
            (),
            lead("dewi"),
            lead("ketut", "ketut"),
            lead("ghost"),
            (Facilitation(trainer="dewi", role="x"),),
        ],
    }
    changes = {
        name: draw(st.sampled_from(values)) for name, values in pools.items() if draw(st.booleans())
    }
    return base.model_copy(update=changes)


@st.composite
def timetables(draw: st.DrawFn) -> Timetable:
    base = tiny_timetable(load("tiny"))
    sessions = [_mutated_session(draw, s) for s in base.sessions]
    sessions = draw(st.permutations(sessions))[: draw(st.integers(0, len(sessions)))]
    plan = base.events[0]
    plans = draw(
        st.sampled_from(
            [
                (),
                (plan,),
                (plan, plan),
                (plan.model_copy(update={"start": dt.date(1999, 1, 31)}),),
                (plan.model_copy(update={"start": FEB_3, "dates": ()}),),
                (plan.model_copy(update={"venue": "ghost", "event": "ghost"}),),
            ]
        )
    )
    return base.model_copy(update={"sessions": tuple(sessions), "events": plans})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(timetables())
def test_checker_never_crashes(timetable: Timetable) -> None:
    report = check(load("tiny"), timetable)
    assert set(report.penalties) == set(SOFT_IDS)
    assert all(value >= 0 for value in report.penalties.values())
    assert report.total == sum(report.weighted.values())
