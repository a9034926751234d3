"""ITC2007 Track 3 (curriculum-based course timetabling): `.ctt` in, `.sol` out, UD2 scoring.

A `.ctt` file becomes an ordinary `Instance` (DESIGN.md §6): curriculum -> group, course ->
topic whose only trainer is its teacher, lecture -> one-slot session, minimum working days
-> `min_days` (S2), rooms -> rooms of one venue, days x periods -> the time grid,
unavailability -> the topic's unavailable slots; room capacity soft (S1 = 1), S2 = 5, S3 = 2,
S4 = 1, everything else off. Solutions are written and read in the competition's format.

`score_solution` is the competition's own scoring (UD2), written from `FORMAT.md` and
independent of both the CP-SAT model and the general checker.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from models import (
    EventPlan,
    Facilitation,
    Instance,
    ScheduledSession,
    Timetable,
)
from scheduler.errors import InputError
from scheduler.loader import instance_from_data

FIRST_DAY = dt.date(2007, 1, 1)
"""A Monday: day 0 of an ITC2007 week is mapped to this date."""
EVENT_ID = "week"
VENUE_ID = "campus"
METHOD_ID = "lecture"
ROLE = "teacher"


@dataclass(frozen=True)
class Course:
    id: str
    teacher: str
    lectures: int
    min_days: int
    students: int


@dataclass
class CttInstance:
    """The contents of a `.ctt` file, as read."""

    name: str
    days: int
    periods_per_day: int
    courses: dict[str, Course]
    rooms: dict[str, int]
    curricula: dict[str, list[str]]
    unavailable: set[tuple[str, int, int]] = field(default_factory=set)

    def curricula_of(self) -> dict[str, list[str]]:
        """Course -> the curricula it belongs to, in file order."""
        table: dict[str, list[str]] = defaultdict(list)
        for curriculum, courses in self.curricula.items():
            for course in courses:
                table[course].append(curriculum)
        return table


HEADER_KEYS = ("Name", "Courses", "Rooms", "Days", "Periods_per_day", "Curricula", "Constraints")
SECTIONS = ("COURSES:", "ROOMS:", "CURRICULA:", "UNAVAILABILITY_CONSTRAINTS:")


class _Lines:
    """Non-blank lines with their numbers, for error messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.items = [
            (n, line.split()) for n, line in enumerate(text.splitlines(), 1) if line.strip()
        ]
        self.position = 0

    def error(self, number: int | None, problem: str) -> InputError:
        where = f"line {number}: " if number is not None else ""
        return InputError(f"{self.path}: {where}{problem}")

    def next(self, expecting: str) -> tuple[int, list[str]]:
        if self.position >= len(self.items):
            raise self.error(None, f"the file ends where {expecting} was expected")
        item = self.items[self.position]
        self.position += 1
        return item


def _int(lines: _Lines, number: int, text: str, what: str, minimum: int = 0) -> int:
    try:
        value = int(text)
    except ValueError:
        raise lines.error(number, f"{what}: '{text}' is not a whole number") from None
    if value < minimum:
        raise lines.error(number, f"{what}: {value} is below {minimum}")
    return value


def read_ctt(path: str | Path) -> CttInstance:
    """Parse a `.ctt` file; a malformed file raises `InputError` naming line, entity and problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    lines = _Lines(path, text)
    header: dict[str, str] = {}
    for key in HEADER_KEYS:
        number, words = lines.next(f"'{key}:'")
        if not words or words[0] != f"{key}:" or (len(words) < 2):
            raise lines.error(
                number, f"header: expected '{key}: <value>', found '{' '.join(words)}'"
            )
        header[key] = " ".join(words[1:])
        if key != "Name":
            _int(lines, number, header[key], f"header {key}", minimum=0)
    counts = {key: int(header[key]) for key in HEADER_KEYS[1:]}
    if counts["Days"] < 1 or counts["Periods_per_day"] < 1:
        raise lines.error(None, "header: Days and Periods_per_day must be at least 1")

    def section(keyword: str, expected: int) -> list[tuple[int, list[str]]]:
        number, words = lines.next(f"'{keyword}'")
        if words != [keyword]:
            raise lines.error(
                number, f"expected the section '{keyword}', found '{' '.join(words)}'"
            )
        rows = []
        while lines.position < len(lines.items):
            row_number, row = lines.items[lines.position]
            if row[0].endswith(":") or row[0] == "END.":
                break
            rows.append((row_number, row))
            lines.position += 1
        if len(rows) != expected:
            name = keyword.rstrip(":")
            raise lines.error(
                number,
                f"the header announces {expected} line(s) of {name} "
                f"but the section has {len(rows)}",
            )
        return rows

    courses: dict[str, Course] = {}
    for number, row in section("COURSES:", counts["Courses"]):
        if len(row) != 5:
            raise lines.error(
                number,
                "course: expected 'id teacher lectures min_days students', "
                f"found {len(row)} fields",
            )
        course_id = row[0]
        if course_id in courses:
            raise lines.error(number, f"course '{course_id}': defined twice")
        courses[course_id] = Course(
            id=course_id,
            teacher=row[1],
            lectures=_int(lines, number, row[2], f"course '{course_id}': lectures", minimum=1),
            min_days=_int(lines, number, row[3], f"course '{course_id}': min_days"),
            students=_int(lines, number, row[4], f"course '{course_id}': students"),
        )
    rooms: dict[str, int] = {}
    for number, row in section("ROOMS:", counts["Rooms"]):
        if len(row) != 2:
            raise lines.error(number, f"room: expected 'id capacity', found {len(row)} fields")
        if row[0] in rooms:
            raise lines.error(number, f"room '{row[0]}': defined twice")
        rooms[row[0]] = _int(lines, number, row[1], f"room '{row[0]}': capacity", minimum=1)
    curricula: dict[str, list[str]] = {}
    for number, row in section("CURRICULA:", counts["Curricula"]):
        if len(row) < 2:
            raise lines.error(number, "curriculum: expected 'id k course_1 ... course_k'")
        curriculum_id = row[0]
        size = _int(lines, number, row[1], f"curriculum '{curriculum_id}': number of courses")
        members = row[2:]
        if len(members) != size:
            raise lines.error(
                number,
                f"curriculum '{curriculum_id}': announces {size} course(s) "
                f"but lists {len(members)}",
            )
        for course_id in members:
            if course_id not in courses:
                raise lines.error(
                    number, f"curriculum '{curriculum_id}': course '{course_id}' is not defined"
                )
        if curriculum_id in curricula:
            raise lines.error(number, f"curriculum '{curriculum_id}': defined twice")
        curricula[curriculum_id] = list(dict.fromkeys(members))
    unavailable: set[tuple[str, int, int]] = set()
    for number, row in section("UNAVAILABILITY_CONSTRAINTS:", counts["Constraints"]):
        if len(row) != 3:
            raise lines.error(number, "unavailability: expected 'course day period'")
        course_id = row[0]
        if course_id not in courses:
            raise lines.error(number, f"unavailability: course '{course_id}' is not defined")
        day = _int(lines, number, row[1], f"unavailability of course '{course_id}': day")
        period = _int(lines, number, row[2], f"unavailability of course '{course_id}': period")
        if day >= counts["Days"]:
            raise lines.error(
                number,
                f"unavailability of course '{course_id}': day {day} "
                f"is out of range 0..{counts['Days'] - 1}",
            )
        if period >= counts["Periods_per_day"]:
            raise lines.error(
                number,
                f"unavailability of course '{course_id}': period {period} is out of range "
                f"0..{counts['Periods_per_day'] - 1}",
            )
        unavailable.add((course_id, day, period))
    number, words = lines.next("'END.'")
    if words != ["END."]:
        raise lines.error(number, f"expected 'END.', found '{' '.join(words)}'")
    return CttInstance(
        name=header["Name"],
        days=counts["Days"],
        periods_per_day=counts["Periods_per_day"],
        courses=courses,
        rooms=rooms,
        curricula=curricula,
        unavailable=unavailable,
    )


def to_instance(ctt: CttInstance, source: str) -> Instance:
    """The ITC2007 problem as an ordinary instance of this engine (DESIGN.md §6)."""
    teachers: dict[str, list[str]] = defaultdict(list)
    for course in ctt.courses.values():
        teachers[course.teacher].append(course.id)
    membership = ctt.curricula_of()
    unavailable: dict[str, list[dict[str, int]]] = defaultdict(list)
    for course_id, day, period in sorted(ctt.unavailable):
        unavailable[course_id].append({"day": day + 1, "slot": period + 1})
    last_day = FIRST_DAY + dt.timedelta(days=ctt.days - 1)
    data = {
        "name": ctt.name,
        "description": f"ITC2007 Track 3 instance read from {source}",
        "provinces": [
            {"id": "itc", "name": ctt.name, "city": "-", "holiday_country": None, "rest_days": []}
        ],
        "venues": [
            {
                "id": VENUE_ID,
                "province": "itc",
                "rooms": [
                    {"id": room, "capacity": capacity} for room, capacity in ctt.rooms.items()
                ],
            }
        ],
        "methods": [{"id": METHOD_ID}],
        "trainers": [
            {
                "id": teacher,
                "home": "itc",
                "role": "national",
                "topics": dict.fromkeys(courses, 3),
                "methods": [METHOD_ID],
            }
            for teacher, courses in teachers.items()
        ],
        "topics": [
            {
                "id": course.id,
                "sessions": course.lectures,
                "min_days": course.min_days,
                "methods": [METHOD_ID],
                "facilitators": [{"role": ROLE}],
                "unavailable": unavailable.get(course.id, []),
            }
            for course in ctt.courses.values()
        ],
        "groups": [{"id": curriculum, "size": 1} for curriculum in ctt.curricula],
        "events": [
            {
                "id": EVENT_ID,
                "province": "itc",
                "venues": [VENUE_ID],
                "window": {"start": FIRST_DAY.isoformat(), "end": last_day.isoformat()},
                "days": ctt.days,
                "slots": [
                    {"start": f"{8 + p:02d}:00", "end": f"{8 + p:02d}:55"}
                    for p in range(ctt.periods_per_day)
                ],
                "groups": list(ctt.curricula),
                "curriculum": [
                    {
                        "topic": course.id,
                        "groups": membership.get(course.id, []),
                        "attendees": max(1, course.students),
                    }
                    for course in ctt.courses.values()
                ],
                "participatory_target": 0.0,
            }
        ],
        "policy": {
            "weights": {s: 0 for s in ("S5", "S6", "S7", "S8", "S9", "S10", "S11")}
            | {"S1": 1, "S2": 5, "S3": 2, "S4": 1},
            "room_capacity": "soft",
        },
    }
    return instance_from_data(data, source)


def load_ctt(path: str | Path) -> Instance:
    """Read a `.ctt` file straight into an `Instance`."""
    return to_instance(read_ctt(path), str(path))


def solution_lines(timetable: Timetable) -> list[str]:
    """The competition's solution format: `course room day period`, one line per lecture."""
    return [
        f"{s.topic} {s.room} {s.day - 1} {s.slot - 1}"
        for s in sorted(timetable.sessions, key=lambda s: (s.topic, s.day, s.slot))
    ]


@dataclass(frozen=True)
class Assignment:
    """One lecture of a solution file: course, room, day, period (0-based)."""

    course: str
    room: str
    day: int
    period: int


@dataclass
class SolutionFile:
    """A `.sol` file read the way the official validator reads it."""

    assignments: list[Assignment]
    warnings: list[str]


def read_sol(path: str | Path, ctt: CttInstance) -> SolutionFile:
    """Read a solution file the way the official validator does (see `parse_sol`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    return parse_sol(text, ctt)


def parse_sol(text: str, ctt: CttInstance) -> SolutionFile:
    """Lectures of a solution; lines the validator would skip are skipped, with warnings."""
    assignments: list[Assignment] = []
    warnings: list[str] = []
    seen: set[tuple[str, int, int]] = set()
    tokens = text.split()
    for start in range(0, len(tokens) - len(tokens) % 4, 4):
        course, room, day_text, period_text = tokens[start : start + 4]
        try:
            day, period = int(day_text), int(period_text)
        except ValueError:
            warnings.append(f"reading stops at '{' '.join(tokens[start : start + 4])}'")
            break
        line = f"{course} {room} {day} {period}"
        if course not in ctt.courses:
            warnings.append(f"'{line}': unknown course, line ignored")
        elif room not in ctt.rooms:
            warnings.append(f"'{line}': unknown room, line ignored")
        elif not (0 <= day < ctt.days and 0 <= period < ctt.periods_per_day):
            warnings.append(f"'{line}': day or period out of range, line ignored")
        elif (course, day, period) in seen:
            warnings.append(f"'{line}': course already has a lecture then, line ignored")
        else:
            seen.add((course, day, period))
            assignments.append(Assignment(course, room, day, period))
    if len(tokens) % 4:
        warnings.append(f"the last {len(tokens) % 4} word(s) do not make a whole line, ignored")
    return SolutionFile(assignments, warnings)


def solution_to_timetable(ctt: CttInstance, solution: SolutionFile) -> Timetable:
    """The lectures of a solution file as a timetable of the instance made by `to_instance`."""
    membership = ctt.curricula_of()
    numbers: dict[str, int] = defaultdict(int)
    sessions = []
    for a in sorted(solution.assignments, key=lambda a: (a.course, a.day, a.period)):
        numbers[a.course] += 1
        course = ctt.courses[a.course]
        groups = tuple(membership.get(a.course, []))
        audience = "open" if not groups else "+".join(groups)
        if len(groups) > 1 and set(groups) == set(ctt.curricula):
            audience = "all"
        sessions.append(
            ScheduledSession(
                id=f"{EVENT_ID}/{a.course}/{audience}/{numbers[a.course]}",
                event=EVENT_ID,
                topic=a.course,
                groups=groups,
                date=FIRST_DAY + dt.timedelta(days=a.day),
                day=a.day + 1,
                slot=a.period + 1,
                venue=VENUE_ID,
                room=a.room,
                method=METHOD_ID,
                trainers=(Facilitation(trainer=course.teacher, role=ROLE),),
            )
        )
    dates = tuple(FIRST_DAY + dt.timedelta(days=d) for d in range(ctt.days))
    plan = EventPlan(event=EVENT_ID, venue=VENUE_ID, start=FIRST_DAY, dates=dates)
    return Timetable(instance=ctt.name, events=(plan,), sessions=tuple(sessions))


@dataclass(frozen=True)
class Ud2Score:
    """The official validator's counts: four hard terms and the four weighted UD2 terms."""

    lectures: int
    conflicts: int
    availability: int
    room_occupation: int
    room_capacity: int
    min_working_days: int
    curriculum_compactness: int
    room_stability: int

    @property
    def violations(self) -> int:
        return self.lectures + self.conflicts + self.availability + self.room_occupation

    @property
    def cost(self) -> int:
        return (
            self.room_capacity
            + self.min_working_days
            + self.curriculum_compactness
            + self.room_stability
        )

    def terms(self) -> dict[str, int]:
        return {
            "Lectures": self.lectures,
            "Conflicts": self.conflicts,
            "Availability": self.availability,
            "RoomOccupation": self.room_occupation,
            "RoomCapacity": self.room_capacity,
            "MinWorkingDays": self.min_working_days,
            "CurriculumCompactness": self.curriculum_compactness,
            "RoomStability": self.room_stability,
        }


def score_solution(ctt: CttInstance, solution: SolutionFile) -> Ud2Score:
    """Score a solution exactly as the ITC2007 validator does (FORMAT.md §4-5)."""
    by_course: dict[str, list[Assignment]] = defaultdict(list)
    by_period: dict[tuple[int, int], list[Assignment]] = defaultdict(list)
    for a in solution.assignments:
        by_course[a.course].append(a)
        by_period[a.day, a.period].append(a)

    lectures = sum(abs(len(by_course[c.id]) - c.lectures) for c in ctt.courses.values())
    conflicting: set[frozenset[str]] = set()
    course_ids = list(ctt.courses)
    for i, first in enumerate(course_ids):
        for second in course_ids[i + 1 :]:
            if ctt.courses[first].teacher == ctt.courses[second].teacher:
                conflicting.add(frozenset((first, second)))
    for members in ctt.curricula.values():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if first != second:
                    conflicting.add(frozenset((first, second)))
    conflicts = 0
    room_occupation = 0
    for placed in by_period.values():
        present = sorted({a.course for a in placed})
        for i, first in enumerate(present):
            for second in present[i + 1 :]:
                if frozenset((first, second)) in conflicting:
                    conflicts += 1
        per_room: dict[str, int] = defaultdict(int)
        for a in placed:
            per_room[a.room] += 1
        room_occupation += sum(n - 1 for n in per_room.values() if n > 1)
    availability = sum(
        1 for a in solution.assignments if (a.course, a.day, a.period) in ctt.unavailable
    )

    room_capacity = sum(
        max(0, ctt.courses[a.course].students - ctt.rooms[a.room]) for a in solution.assignments
    )
    min_working_days = 5 * sum(
        max(0, c.min_days - len({a.day for a in by_course[c.id]})) for c in ctt.courses.values()
    )
    compactness = 0
    for members in ctt.curricula.values():
        member_set = set(members)
        count: dict[tuple[int, int], int] = defaultdict(int)
        for a in solution.assignments:
            if a.course in member_set:
                count[a.day, a.period] += 1
        for (day, period), n in count.items():
            if count.get((day, period - 1), 0) == 0 and count.get((day, period + 1), 0) == 0:
                compactness += 2 * n
    room_stability = sum(
        len({a.room for a in by_course[c.id]}) - 1 for c in ctt.courses.values() if by_course[c.id]
    )
    return Ud2Score(
        lectures=lectures,
        conflicts=conflicts,
        availability=availability,
        room_occupation=room_occupation,
        room_capacity=room_capacity,
        min_working_days=min_working_days,
        curriculum_compactness=compactness,
        room_stability=room_stability,
    )
