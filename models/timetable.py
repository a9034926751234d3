"""A timetable: where and when every session runs, who leads it, and how it scored."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, NonNegativeInt

from models.common import ClockTime, Count, Frozen, Id, SoftId

TIMETABLE_FORMAT = "tot-timetable/1"


class Facilitation(Frozen):
    """A trainer filling one facilitator position of a session."""

    trainer: Id
    role: Id = Field(description="The topic's facilitator position this trainer fills (e.g. lead).")


class ScheduledSession(Frozen):
    """One session with its date, slots, room, method and facilitators."""

    id: str
    event: Id
    topic: Id
    groups: tuple[Id, ...]
    date: dt.date
    day: Count = Field(description="Day of the event, 1 = its first day.")
    slot: Count = Field(description="First slot of the day it occupies, 1 = the first slot.")
    num_slots: Count = 1
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None
    venue: Id
    room: Id
    method: Id
    trainers: tuple[Facilitation, ...]

    @property
    def slots(self) -> range:
        """The slot numbers (1-based) the session occupies."""
        return range(self.slot, self.slot + self.num_slots)


class EventPlan(Frozen):
    """Where and when an event takes place."""

    event: Id
    venue: Id
    start: dt.date
    dates: tuple[dt.date, ...] = Field(description="The event's working days, in order.")


class Score(Frozen):
    """Penalties per soft constraint id and their weighted total."""

    penalties: dict[SoftId, NonNegativeInt]
    total: NonNegativeInt
    cost_idr: NonNegativeInt = 0


class SolverInfo(Frozen):
    """How the solver ended."""

    status: str
    objective: int | None = None
    bound: float | None = None
    gap: float | None = None
    time_to_first: float | None = None
    time_to_best: float | None = None
    runtime: float = 0.0
    workers: int = 1
    seed: int = 0
    deterministic: bool = False


class Timetable(Frozen):
    """The canonical, complete output of a solve (written as JSON)."""

    format: Literal["tot-timetable/1"] = "tot-timetable/1"
    instance: str
    events: tuple[EventPlan, ...]
    sessions: tuple[ScheduledSession, ...]
    score: Score | None = None
    solver: SolverInfo | None = None
