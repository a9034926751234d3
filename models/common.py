"""Shared building blocks of the domain model: base class, ids, dates, vocabularies."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)


class Frozen(BaseModel):
    """Base of every domain entity: immutable, and unknown fields are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
"""What an id may be: letters, digits, `-`, `_` and `.`, starting with a letter or digit."""

Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80, pattern=ID_PATTERN),
]
"""An identifier: letters, digits, '-', '_' and '.', starting with a letter or digit."""

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)


def _whole_rupiah(value: Any) -> Any:
    """Refuse a decimal number or thousands separators: `650.000` (Indonesian for 650,000)
    is a decimal in YAML and JSON, and would silently be 650 rupiah."""
    separated = isinstance(value, str) and re.fullmatch(r"\d{1,3}([.,]\d{3})+", value.strip())
    if isinstance(value, float) or separated:
        raise ValueError(
            f"{value!r}: rupiah are a whole number written without separators or decimals "
            "(650000, not 650.000 or 650,000)"
        )
    return value


Rupiah = Annotated[int, BeforeValidator(_whole_rupiah), Field(ge=0, le=10**12)]
"""An amount of money in rupiah: up to Rp 1 trillion, which keeps every cost exact."""

Headcount = Annotated[int, Field(gt=0, le=100_000)]
"""A number of people (room capacity, group size, attendees)."""

Count = Annotated[int, Field(gt=0, le=1000)]
"""A number of sessions, slots, days or positions: at most 1,000, far beyond any TOT, so that
every model built from it stays finite."""

CountOrZero = Annotated[int, Field(ge=0, le=1000)]
"""A `Count` that may be 0."""

MAX_WORKERS = 256
"""The most search workers (threads) a solve may ask for."""

MAX_SEED = 2**31 - 1
"""The largest random seed: CP-SAT's seed is a 32-bit integer."""

Weight = Annotated[int, Field(ge=0, le=1_000_000)]
"""A weight of a soft rule; priority levels (`policy.levels`) express "far more important"."""

TimeZone = Literal["WIB", "WITA", "WIT"]
"""Indonesia's time zones: western (UTC+7), central (UTC+8: Bali, Sulawesi, Nusa Tenggara)
and eastern (UTC+9)."""
TIME_ZONES: dict[str, tuple[str, int]] = {
    "WIB": ("Asia/Jakarta", 7),
    "WITA": ("Asia/Makassar", 8),
    "WIT": ("Asia/Jayapura", 9),
}
"""Each time zone's IANA name and its offset from UTC in hours (no daylight saving)."""
DEFAULT_TIME_ZONE: TimeZone = "WITA"

Facility = Literal[
    "projector",
    "flipchart",
    "whiteboard",
    "sound-system",
    "video-player",
    "breakout-space",
    "outdoor-area",
    "wheelchair-access",
]
"""The facilities a room can offer and a training method can need."""

Role = Literal["national", "provincial", "community"]
"""A trainer's role: national trainer, provincial trainer, or community (peer) facilitator."""
ROLES: tuple[Role, ...] = ("national", "provincial", "community")

HardId = Literal["H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10", "H11", "H12", "H13"]
SoftId = Literal["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11"]
HARD_IDS: tuple[HardId, ...] = (
    "H1", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9", "H10", "H11", "H12", "H13",
)  # fmt: skip
SOFT_IDS: tuple[SoftId, ...] = (
    "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11",
)  # fmt: skip


def _minutes_to_time(value: Any) -> Any:
    """Accept minutes since midnight: YAML 1.1 reads an unquoted 8:30 as 510. Refuse other
    numbers, which pydantic would read as seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f"{value!r}: a clock time is written HH:MM")
    return value


def _local(value: dt.time) -> dt.time:
    """A clock time is local: the province's `time_zone` places it."""
    if value.tzinfo is not None:
        raise ValueError(
            f"{value.isoformat(timespec='minutes')}: a clock time has no time zone (the "
            "province's time_zone gives it)"
        )
    return value


def _clock_text(value: dt.time) -> str:
    """A clock time as files write it: `HH:MM` (with seconds only when it has some)."""
    return value.isoformat(timespec="minutes" if not value.second else "seconds")


ClockTime = Annotated[
    dt.time,
    BeforeValidator(_minutes_to_time),
    AfterValidator(_local),
    PlainSerializer(_clock_text, when_used="json"),
]


class DateRange(Frozen):
    """A closed range of calendar dates, both ends included."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def days(self) -> list[dt.date]:
        """Every date of the range, in order."""
        count = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=offset) for offset in range(count)]


def in_any(day: dt.date, ranges: tuple[DateRange, ...]) -> bool:
    """Whether `day` lies in one of `ranges`."""
    return any(day in span for span in ranges)


Proficiency = Annotated[int, Field(ge=1, le=3)]
"""How well a trainer knows a topic: 1 basic, 2 good, 3 expert."""
MAX_PROFICIENCY = 3


RULE_NAMES: dict[str, str] = {
    "H1": "complete",
    "H2": "room",
    "H3": "trainer",
    "H4": "group",
    "H5": "availability",
    "H6": "qualification",
    "H7": "suitability",
    "H8": "contiguity",
    "H9": "precedence",
    "H10": "travel",
    "H11": "trainer limits",
    "H12": "event block",
    "H13": "one venue",
    "S1": "room capacity",
    "S2": "spread",
    "S3": "compactness",
    "S4": "room stability",
    "S5": "cost",
    "S6": "method variety",
    "S7": "participation",
    "S8": "trainer fit",
    "S9": "workload balance",
    "S10": "partnership",
    "S11": "comfort",
}
"""Short names of the rules of docs/CONSTRAINTS.md, by id."""
