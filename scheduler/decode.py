"""Turn the values of a solved model's decision variables into a `Timetable`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from models import EventPlan, Facilitation, ScheduledSession, Timetable
from scheduler.compile import Problem
from scheduler.model import Variables


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def decode(problem: Problem, variables: Variables, values: Sequence[int]) -> Timetable:
    """Read the timetable from `values`, the solution indexed by variable index."""

    def chosen(var: object) -> bool:
        return bool(values[var.index])  # type: ignore[attr-defined]

    plans: list[EventPlan] = []
    block_start: dict[int, int] = {}
    for ev in problem.events:
        start = 0
        if ev.num_starts > 1:
            start = next(s for s in range(ev.num_starts) if chosen(variables.block[ev.idx, s]))
        block_start[ev.idx] = start
        if len(ev.venues) == 1:
            venue = ev.venues[0]
        else:
            venue = next(v for v in ev.venues if chosen(variables.venue[ev.idx, v]))
        plans.append(
            EventPlan(
                event=ev.id,
                venue=problem.venues[venue].id,
                start=ev.dates[start],
                dates=tuple(ev.dates[start : start + ev.num_days]),
            )
        )

    sessions: list[ScheduledSession] = []
    for k in problem.offerings:
        ev = problem.events[k.event]
        periods = [p for p in k.starts if chosen(variables.x[k.idx, p])]
        for number, period in enumerate(sorted(periods), start=1):
            day, slot = divmod(period, ev.num_slots)
            method = next(m for m in k.methods if chosen(variables.method[k.idx, period, m]))
            room = next(
                r
                for r in k.rooms
                if (k.idx, period, r) in variables.room and chosen(variables.room[k.idx, period, r])
            )
            trainers = tuple(
                Facilitation(trainer=problem.trainers[t].id, role=need.name)
                for n, need in enumerate(k.needs)
                for t in need.trainers
                if (k.idx, period, n, t) in variables.staff
                and chosen(variables.staff[k.idx, period, n, t])
            )
            start_minute, end_minute = ev.interval(slot, k.length)
            sessions.append(
                ScheduledSession(
                    id=f"{k.id}/{number}",
                    event=ev.id,
                    topic=k.topic_id,
                    groups=k.group_ids,
                    date=ev.date(block_start[ev.idx], day),
                    day=day + 1,
                    slot=slot + 1,
                    num_slots=k.length,
                    start_time=_clock(start_minute),
                    end_time=_clock(end_minute),
                    venue=problem.venues[problem.rooms[room].venue].id,
                    room=problem.rooms[room].id,
                    method=problem.methods[method].id,
                    trainers=trainers,
                )
            )
    sessions.sort(key=lambda s: (s.event, s.date, s.slot, s.room))
    return Timetable(instance=problem.name, events=tuple(plans), sessions=tuple(sessions))
