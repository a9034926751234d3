"""A programme of events far apart in time, split into one problem per event.

When no two events' windows come within travel distance of each other, the CP-SAT model ties
events together only by a trainer's days in total (H11) and by the workload balance (S9);
every other rule and penalty belongs to one event. One event on its own, with S9 left out
(`event_instance`), is then a relaxation of its part of the programme:

- the sum of the events' lower bounds is a lower bound of the programme;
- the events' timetables together (`merged_decisions`) are a timetable of the programme,
  unless some trainer then works more days in all than allowed.

`scheduler.solve` uses this to search each event apart before the programme as a whole: the
models are a third of the size, and each event gets the day search of a province instance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import combinations
from typing import Any

from models import Instance
from scheduler.compile import Problem
from scheduler.model import BoolLit, TimetableModel

COUPLING_RULE = "S9"
"""The one soft rule measured over the whole programme (a trainer's load across events)."""


def separable_events(problem: Problem) -> bool:
    """Whether `problem` has several events whose windows never come within the longest
    travel time (one day at least) of each other, so that no trainer, room or group could
    be wanted by two of them on the same or a nearby date."""
    if len(problem.events) < 2 or COUPLING_RULE in problem.hard_soft:
        return False
    gap = dt.timedelta(days=max([1, *problem.travel_days.values()]))
    for first, second in combinations(problem.events, 2):
        if first.dates[0] - second.dates[-1] <= gap and second.dates[0] - first.dates[-1] <= gap:
            return False
    return True


def event_instance(instance: Instance, event_id: str) -> Instance:
    """`instance` with only the event `event_id` (its pins too) and S9 weighted 0.

    Every other entity stays, in the same order, so that compiled indices of trainers,
    rooms, venues and methods are those of the whole programme.
    """
    weights = instance.policy.weights.model_copy(update={COUPLING_RULE: 0})
    policy = instance.policy.model_copy(update={"weights": weights})
    pins = tuple(pin for pin in instance.pins if pin.offering.split("/", 1)[0] == event_id)
    return instance.model_copy(
        update={"events": (instance.event(event_id),), "policy": policy, "pins": pins}
    )


def merged_decisions(
    whole: TimetableModel, parts: Sequence[tuple[TimetableModel, Sequence[int]]]
) -> dict[int, int] | None:
    """The decisions of `whole` (variable index -> value) that the events' solutions
    `parts` (model of one event, its solution values) make together; None when some chosen
    value has no variable in `whole` (a candidate the whole programme does not allow)."""
    problem = whole.problem
    ids = {
        "offering": {k.id: k.idx for k in problem.offerings},
        "event": {ev.id: ev.idx for ev in problem.events},
        "trainer": {t.id: t.idx for t in problem.trainers},
        "room": {r.id: r.idx for r in problem.rooms},
        "venue": {v.id: v.idx for v in problem.venues},
        "method": {m.id: m.idx for m in problem.methods},
    }
    values: dict[int, int] = {var.index: 0 for var in whole.vars.decisions()}
    for part, solution in parts:
        sub = part.problem
        entities: dict[str, Sequence[Any]] = {
            "offering": sub.offerings,
            "event": sub.events,
            "trainer": sub.trainers,
            "room": sub.rooms,
            "venue": sub.venues,
            "method": sub.methods,
        }
        index_of = {kind: [ids[kind][e.id] for e in entities[kind]] for kind in ids}
        for table, kinds in KEYS.items():
            target: dict[tuple[int, ...], BoolLit] = getattr(whole.vars, table)
            source: dict[tuple[int, ...], BoolLit] = getattr(part.vars, table)
            for key, var in source.items():
                value = solution[var.index]
                translated = tuple(
                    part_idx if kind is None else index_of[kind][part_idx]
                    for kind, part_idx in zip(kinds, key, strict=True)
                )
                target_var = target.get(translated)
                if target_var is None:
                    if value:
                        return None
                    continue
                values[target_var.index] = value
    return values


KEYS: dict[str, tuple[str | None, ...]] = {
    "x": ("offering", None),
    "method": ("offering", None, "method"),
    "room": ("offering", None, "room"),
    "staff": ("offering", None, None, "trainer"),
    "block": ("event", None),
    "venue": ("event", "venue"),
}
"""What each part of the key of each table of `Variables` indexes (None: a period, a
block start or a facilitator position, the same in one event as in the programme)."""
