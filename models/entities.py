"""The entities of a TOT programme, each validating its own fields (DESIGN.md §3)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from models.common import (
    DEFAULT_TIME_ZONE,
    MAX_SEED,
    MAX_WORKERS,
    ROLES,
    ClockTime,
    Count,
    CountOrZero,
    DateRange,
    Facility,
    Frozen,
    Headcount,
    Id,
    Proficiency,
    Role,
    Rupiah,
    SoftId,
    TimeZone,
    Weekday,
    Weight,
)


class Province(Frozen):
    """A province: its main city, holiday calendar and weekly rest days."""

    id: Id
    name: str
    city: str
    holiday_country: str | None = Field(
        default="ID",
        description="Country code for public holidays (the `holidays` package); null for none.",
    )
    holiday_subdivision: str | None = None
    blackout_dates: tuple[dt.date, ...] = Field(
        default=(), description="Regional days off and other dates nobody can train on."
    )
    rest_days: tuple[Weekday, ...] = ("sunday",)
    time_zone: TimeZone = Field(
        default=DEFAULT_TIME_ZONE,
        description="Local time of its events (calendars, web page): WIB (UTC+7), WITA "
        "(UTC+8: Bali, Sulawesi, Nusa Tenggara) or WIT (UTC+9).",
    )

    @field_validator("holiday_country")
    @classmethod
    def _upper(cls, code: str | None) -> str | None:
        """A country code as the holiday calendar writes it: `id` is `ID`."""
        return code.upper() if code is not None else None


class Room(Frozen):
    """A room of a venue."""

    id: Id
    name: str = ""
    capacity: Headcount
    facilities: frozenset[Facility] = frozenset()
    unavailable: tuple[DateRange, ...] = ()


class Venue(Frozen):
    """A training venue (hotel, NGO office, community hall) with its rooms."""

    id: Id
    name: str = ""
    province: Id
    city: str = ""
    daily_cost: Rupiah = Field(default=0, description="Cost per event day, in rupiah.")
    available: tuple[DateRange, ...] | None = Field(
        default=None, description="Dates the venue can be booked; null means always."
    )
    unavailable: tuple[DateRange, ...] = ()
    rooms: tuple[Room, ...] = Field(min_length=1)


class Preferences(Frozen):
    """What a trainer would rather avoid (soft, S8)."""

    avoid_weekdays: tuple[Weekday, ...] = ()
    avoid_dates: tuple[dt.date, ...] = ()
    avoid_slots: tuple[Count, ...] = Field(
        default=(),
        description="Slot numbers of the day (1 = first) the trainer prefers not to teach.",
    )


class Trainer(Frozen):
    """A trainer or facilitator."""

    id: Id
    name: str = ""
    home: Id = Field(description="Home province.")
    role: Role
    languages: tuple[str, ...] = ("id",)
    topics: dict[Id, Proficiency] = Field(
        description="Topics the trainer can lead, with proficiency 1-3 (a plain list means 3)."
    )
    methods: tuple[Id, ...] = Field(min_length=1)
    daily_fee: Rupiah = Field(default=0, description="Fee per working day, in rupiah.")
    available: tuple[DateRange, ...] | None = None
    unavailable: tuple[DateRange, ...] = ()
    max_slots_per_day: Count | None = None
    max_days: Count | None = None
    preferences: Preferences = Preferences()

    @field_validator("topics", mode="before")
    @classmethod
    def _list_means_expert(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if not all(isinstance(topic, str) for topic in value):
                raise ValueError("a list of topics holds topic ids only")
            return dict.fromkeys(value, 3)
        return value


class Method(Frozen):
    """A training method: lecture, role play, micro-teaching, ..."""

    id: Id
    name: str = ""
    participatory: bool = False
    facilities: frozenset[Facility] = frozenset()
    min_slots: Count = 1
    max_slots: Count | None = None

    @model_validator(mode="after")
    def _lengths(self) -> Method:
        if self.max_slots is not None and self.max_slots < self.min_slots:
            raise ValueError(f"max_slots {self.max_slots} is below min_slots {self.min_slots}")
        return self

    def fits(self, num_slots: int) -> bool:
        """Whether a session of `num_slots` slots may use this method."""
        return self.min_slots <= num_slots and (
            self.max_slots is None or num_slots <= self.max_slots
        )


class FacilitatorNeed(Frozen):
    """A facilitator position every session of a topic must fill, e.g. one lead."""

    role: Id = Field(default="lead", description="Name of the position: lead, co-facilitator, ...")
    count: Count = 1
    trainer_roles: tuple[Role, ...] = Field(default=ROLES, min_length=1)


class SlotRef(Frozen):
    """A slot of an event: day number (1 = first day of the event) and slot number (1 = first)."""

    day: Count
    slot: Count


class Pin(Frozen):
    """A session fixed in advance (hard, H5): its start, its room, or some of its facilitators.

    With `day` and `slot`, one session of the offering starts there and the room and trainers
    apply to that session; without them, they apply to every session of the offering.
    """

    offering: str = Field(
        description="The offering, as session ids name it without the number: "
        "`event/topic/audience`, e.g. `tot-ntt/sti-hiv/all`."
    )
    day: Count | None = Field(default=None, description="Day of the event, 1 = its first.")
    slot: Count | None = Field(default=None, description="First slot, 1 = the first.")
    room: Id | None = None
    trainers: tuple[Id, ...] = Field(
        default=(), description="Trainers who must be among the session's facilitators."
    )

    @model_validator(mode="after")
    def _something_pinned(self) -> Pin:
        if (self.day is None) != (self.slot is None):
            raise ValueError("day and slot are given together or not at all")
        if self.day is None and self.room is None and not self.trainers:
            raise ValueError("a pin needs a day and slot, a room or trainers")
        if len(set(self.trainers)) != len(self.trainers):
            raise ValueError("trainers: a trainer is listed twice")
        return self


DayRule = Literal["any", "first", "last", "not-first", "not-last"]


class Topic(Frozen):
    """A training topic and how its sessions are to be run."""

    id: Id
    title: str = ""
    sessions: Count = 1
    slots_per_session: Count = 1
    min_days: CountOrZero = Field(
        default=1, description="Distinct days its sessions should spread over (S2)."
    )
    methods: tuple[Id, ...] = Field(min_length=1)
    facilitators: tuple[FacilitatorNeed, ...] = (FacilitatorNeed(),)
    prerequisites: tuple[Id, ...] = ()
    days: DayRule = "any"
    unavailable: tuple[SlotRef, ...] = ()

    @model_validator(mode="after")
    def _positions(self) -> Topic:
        names = [need.role for need in self.facilitators]
        if len(set(names)) != len(names):
            raise ValueError("facilitators: a position is listed twice")
        if self.id in self.prerequisites:
            raise ValueError("prerequisites: a topic cannot require itself")
        return self

    @property
    def num_facilitators(self) -> int:
        return sum(need.count for need in self.facilitators)


class Group(Frozen):
    """A group of participants who attend sessions together."""

    id: Id
    name: str = ""
    size: Headcount
    language: str | None = None


class TimeSlot(Frozen):
    """One teaching slot of the day, with clock times."""

    start: ClockTime
    end: ClockTime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSlot:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}")
        return self


class CurriculumItem(Frozen):
    """A topic taught in an event: once to several groups together, or to each group apart."""

    topic: Id
    groups: tuple[Id, ...] | None = Field(
        default=None, description="Default: every group of the event."
    )
    mode: Literal["plenary", "breakout"] = "plenary"
    attendees: Headcount | None = Field(
        default=None, description="People per session; default: the sizes of its groups added up."
    )


class Event(Frozen):
    """One TOT: where, when, how long, who, and what is taught."""

    id: Id
    name: str = ""
    province: Id
    venues: tuple[Id, ...] = Field(min_length=1)
    window: DateRange
    days: Count = Field(description="Length of the TOT in working days.")
    slots: tuple[TimeSlot, ...] = Field(min_length=1)
    groups: tuple[Id, ...] = ()
    curriculum: tuple[CurriculumItem, ...] = Field(min_length=1)
    participatory_target: float = Field(default=0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _grid(self) -> Event:
        for before, after in zip(self.slots, self.slots[1:], strict=False):
            if after.start < before.end:
                raise ValueError(
                    f"slots: slot starting {after.start:%H:%M} overlaps the one before"
                )
        return self


class TravelLink(Frozen):
    """Travel between two provinces: days on the road and the return fare."""

    between: tuple[Id, Id]
    days: CountOrZero = 1
    fare: Rupiah = Field(default=0, description="Return fare in rupiah.")


class Weights(Frozen):
    """Weights of the soft constraints (DESIGN.md §4); 0 switches a constraint off."""

    S1: Weight = Field(default=1, description="room capacity: per attendee above capacity")
    S2: Weight = Field(default=10, description="spread: per day missing")
    S3: Weight = Field(default=2, description="compactness: per isolated session and group")
    S4: Weight = Field(default=1, description="room stability: per extra room")
    S5: Weight = Field(default=1, description="cost: per cost unit (policy.cost_unit rupiah)")
    S6: Weight = Field(default=2, description="method variety: per repeat")
    S7: Weight = Field(default=5, description="participation: per slot below target")
    S8: Weight = Field(default=2, description="trainer fit: per level or dispreference")
    S9: Weight = Field(default=2, description="workload balance: busiest load above even share")
    S10: Weight = Field(default=10, description="partnership: per session without one")
    S11: Weight = Field(default=1, description="comfort: per late or surplus slot")

    def of(self, soft_id: SoftId) -> int:
        value: int = getattr(self, soft_id)
        return value


class SolverSettings(Frozen):
    """Solver defaults; the command line overrides them."""

    time_limit: float = Field(default=60.0, gt=0, allow_inf_nan=False)
    workers: Annotated[int, Field(gt=0, le=MAX_WORKERS)] = 2
    seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    search: Literal["auto", "portfolio", "lns"] = Field(
        default="auto",
        description="CP-SAT alone (portfolio), with large neighbourhood search beside it (lns), "
        "or chosen by size (auto).",
    )
    cp_sat: dict[str, bool | int | float | str | list[str]] = Field(
        default_factory=dict, description="Raw CP-SAT parameters, passed through as given."
    )


class Policy(Frozen):
    """How timetables are judged: weights, priority levels, and rules made hard."""

    weights: Weights = Weights()
    levels: tuple[tuple[SoftId, ...], ...] | None = Field(
        default=None,
        description="Priority levels, solved lexicographically; null: one weighted sum.",
    )
    hard: tuple[SoftId, ...] = Field(default=(), description="Soft rules whose penalty must be 0.")
    room_capacity: Literal["hard", "soft"] = "hard"
    partnership_role: Role = "community"
    late_after: ClockTime = Field(
        default=dt.time(16, 0), description="A slot starting then or later is late (S11)."
    )
    max_daily_slots: Count | None = Field(
        default=None, description="Slots a day a group can take comfortably (S11); null: no limit."
    )
    cost_unit: Rupiah = Field(default=10_000, gt=0, description="Rupiah per S5 penalty point.")
    solver: SolverSettings = SolverSettings()

    @model_validator(mode="after")
    def _levels(self) -> Policy:
        if self.levels is not None:
            listed = [soft_id for level in self.levels for soft_id in level]
            repeated = sorted({soft_id for soft_id in listed if listed.count(soft_id) > 1})
            if repeated:
                raise ValueError(f"levels: {', '.join(repeated)} listed more than once")
        if "S5" in self.hard:
            raise ValueError("hard: S5 (cost) cannot be made hard")
        return self

    def active_soft(self) -> tuple[SoftId, ...]:
        """The soft constraints that count: weighted or made hard; not S1 when room capacity
        is hard (H7 then rules over it)."""
        from models.common import SOFT_IDS

        return tuple(
            s
            for s in SOFT_IDS
            if (self.weights.of(s) > 0 or s in self.hard)
            and not (s == "S1" and self.room_capacity == "hard")
        )
