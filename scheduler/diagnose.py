"""Why an instance cannot have a timetable, found before any search, in planners' words.

Each check is a sufficient condition for infeasibility under one rule of docs/CONSTRAINTS.md,
computed from the instance alone: when a check fires, no timetable exists, whatever a solver
does. The checks mirror how `scheduler.compile` decides who may fill a position and which
rooms may host a session, without importing it, so that a diagnosis never leans on the model
it explains. Once a check explains why an offering or an event cannot be planned, the later
checks leave it alone: one cause is named once, not again as its consequences.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import holidays
from pydantic import ValidationError

from models import (
    Event,
    FacilitatorNeed,
    Instance,
    Method,
    Offering,
    Province,
    Room,
    Topic,
    Trainer,
    Venue,
    days_off,
    working_days,
)
from models.calendar import date_runs, rest_days
from models.common import ROLES, in_any
from models.instance import LENIENT
from scheduler.errors import describe_validation_error
from scheduler.i18n import and_list, long_date, role_name, texts
from scheduler.loader import instance_shaped, load_instance, read_structured

Gettext = Callable[[str], str]
"""The translation of a message template, e.g. `texts("id", "diagnose").gettext`."""

_MAX_EXTENSION_DAYS = 366
"""How far past a window's end a longer window is looked for."""


@dataclass(frozen=True)
class Finding:
    """One reason why no timetable exists: the rule, who is involved, why, and what to relax."""

    rule: str
    """The constraint id of docs/CONSTRAINTS.md, e.g. `H6`."""
    entities: tuple[tuple[str, str], ...]
    """The (kind, id) pairs named, e.g. `(("topic", "role-play"), ("event", "tot-ntt"))`."""
    message: str
    suggestion: str


def load_lenient(path: Path) -> Instance:
    """Load an instance that is well formed, even when it cannot be scheduled.

    Structural problems (a bad date, an unknown reference) raise the loader's one-line
    `InputError`; a position nobody can fill or a window too short are left to `diagnose`.
    """
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        return load_instance(path)
    data = instance_shaped(read_structured(path), str(path))
    try:
        return Instance.model_validate(data, context=LENIENT)
    except ValidationError as exc:
        raise describe_validation_error(str(path), exc, data) from None


def diagnose(instance: Instance, lang: str = "en") -> list[Finding]:
    """Every reason found, before any search, why `instance` can have no timetable.

    An empty list does not promise a timetable: the solver may still prove there is none.
    """
    diagnosis = _Diagnosis(instance, lang)
    for check in (
        _prerequisite_cycles,
        _short_windows,
        _closed_venues,
        _positions,
        _rooms,
        _method_combinations,
        _closed_rooms,
        _one_venue,
        _pinned,
        _unavailable_trainers,
        _group_loads,
        _venue_days,
        _offering_loads,
        _trainer_loads,
        _travel,
    ):
        check(diagnosis)
    return _merged(diagnosis.findings)


def _merged(findings: list[Finding]) -> list[Finding]:
    """One finding per rule, message and suggestion: the breakouts of a topic (one per group)
    often fail for the same reason, told once with every entity they name."""
    merged: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:
        key = (finding.rule, finding.message, finding.suggestion)
        if key in merged:
            known = merged[key].entities
            extra = tuple(entity for entity in finding.entities if entity not in known)
            finding = dataclasses.replace(merged[key], entities=known + extra)
        merged[key] = finding
    return list(merged.values())


# What every check shares.


@dataclass
class _Need:
    """A facilitator position of an offering and the trainers who may fill it."""

    position: FacilitatorNeed
    eligible: list[Trainer]
    """Qualified for the topic, the role and a usable method; speak the language; can reach."""
    available: list[Trainer] = field(default_factory=list)
    """Of the eligible, those free on some working day of the event's window."""


@dataclass
class _Offering:
    """An offering with the entities it names and what may teach and host it."""

    offering: Offering
    event: Event
    topic: Topic
    province: Province
    methods: list[Method]
    """The topic's methods that allow its session length."""
    languages: frozenset[str]
    """The languages of its groups that name one."""
    needs: list[_Need]
    blocked: bool = False
    """Whether a finding already explains why it cannot be taught."""

    @property
    def slots(self) -> int:
        """Slots of all its sessions together."""
        return self.offering.num_sessions * self.offering.num_slots


@dataclass
class _Diagnosis:
    """The instance, its lookups, and the findings so far."""

    instance: Instance
    lang: str
    gettext: Gettext = field(init=False)
    provinces: dict[str, Province] = field(init=False)
    working: dict[str, list[dt.date]] = field(init=False)
    offerings: list[_Offering] = field(init=False)
    findings: list[Finding] = field(default_factory=list)
    dated: set[str] = field(default_factory=set)
    """Events whose window has enough working days: the checks of dates apply to them."""

    def __post_init__(self) -> None:
        self.gettext = texts(self.lang, "diagnose").gettext
        self.provinces = {province.id: province for province in self.instance.provinces}
        self.working = {
            event.id: working_days(self.provinces[event.province], event)
            for event in self.instance.events
        }
        self.dated = {
            event.id for event in self.instance.events if len(self.working[event.id]) >= event.days
        }
        self.offerings = [self._offering(offering) for offering in self.instance.offerings()]

    def _offering(self, offering: Offering) -> _Offering:
        event = self.instance.event(offering.event)
        topic = self.instance.topic(offering.topic)
        methods = [
            method
            for method_id in topic.methods
            if (method := self.instance.method(method_id)).fits(offering.num_slots)
        ]
        languages = frozenset(
            language
            for group_id in offering.groups
            if (language := self.instance.group(group_id).language) is not None
        )
        item = _Offering(
            offering, event, topic, self.provinces[event.province], methods, languages, []
        )
        for position in topic.facilitators:
            eligible = [
                trainer
                for trainer in self.instance.trainers
                if topic.id in trainer.topics
                and trainer.role in position.trainer_roles
                and self.qualified(trainer, item)
            ]
            need = _Need(position, eligible)
            need.available = [t for t in eligible if self.free_days(t, event)]
            item.needs.append(need)
        return item

    def attended(self, event: Event, group: str) -> list[_Offering]:
        """The offerings of `event` that `group` attends."""
        return [
            item
            for item in self.offerings
            if item.event.id == event.id and group in item.offering.groups
        ]

    def add(self, rule: str, entities: Iterable[tuple[str, str]], message: str, hint: str) -> None:
        self.findings.append(Finding(rule, tuple(dict.fromkeys(entities)), message, hint))

    def qualified(self, trainer: Trainer, item: _Offering) -> bool:
        """Whether `trainer`, who has the topic and the role, can teach `item` (H6, H10)."""
        return (
            any(method.id in trainer.methods for method in item.methods)
            and item.languages <= set(trainer.languages)
            and self.reaches(trainer, item.event)
        )

    def obstacles(self, trainer: Trainer, item: _Offering) -> list[str]:
        """Why `trainer`, who has the topic and the role, cannot teach `item`: none if they can."""
        _ = self.gettext
        reasons: list[str] = []
        if not any(method.id in trainer.methods for method in item.methods):
            reasons.append(
                _("{trainer} runs none of its methods ({methods})").format(
                    trainer=_quote(trainer.id), methods=self.join(m.id for m in item.methods)
                )
            )
        missing = sorted(item.languages - set(trainer.languages))
        if missing:
            speakers = [
                group_id
                for group_id in item.offering.groups
                if self.instance.group(group_id).language in missing
            ]
            reasons.append(
                _("{trainer} does not speak {languages}, the language of {groups}").format(
                    trainer=_quote(trainer.id),
                    languages=self.join(missing, quote=False),
                    groups=self.join(speakers),
                )
            )
        if not self.reaches(trainer, item.event):
            reasons.append(
                _("{trainer} lives in {home}, with no travel link to {province}").format(
                    trainer=_quote(trainer.id),
                    home=self.provinces[trainer.home].name,
                    province=item.province.name,
                )
            )
        return reasons

    def reaches(self, trainer: Trainer, event: Event) -> bool:
        """Whether `trainer` lives in the event's province or can travel there."""
        return (
            trainer.home == event.province
            or self.instance.travel_link(trainer.home, event.province) is not None
        )

    def free_days(self, trainer: Trainer, event: Event) -> list[dt.date]:
        """The working days of the event's window on which `trainer` is available."""
        return [day for day in self.working[event.id] if _trainer_open(trainer, day)]

    def date(self, day: dt.date) -> str:
        return long_date(day, self.lang)

    def join(self, items: Iterable[str], *, quote: bool = True) -> str:
        """`'a', 'b' and 'c'` in the language of the messages."""
        return and_list([_quote(item) if quote else item for item in items], self.lang)

    def roles(self, roles: Sequence[str]) -> str:
        """`national or provincial` in the language of the messages."""
        _ = self.gettext
        words = [role_name(role, self.lang) for role in ROLES if role in roles]
        if len(words) < 2:
            return "".join(words)
        return _("{items} or {last}").format(items=", ".join(words[:-1]), last=words[-1])

    def audience(self, item: _Offering) -> str:
        """Who attends an offering: its groups, or the open audience."""
        if item.offering.groups:
            return self.join(item.offering.groups)
        _ = self.gettext
        return _("an open audience")

    def days(self, count: int) -> str:
        """`1 day`, `3 days`."""
        _ = self.gettext
        return (_("{count} day") if count == 1 else _("{count} days")).format(count=count)

    def working_days(self, count: int) -> str:
        """`1 working day`, `3 working days`."""
        _ = self.gettext
        text = _("{count} working day") if count == 1 else _("{count} working days")
        return text.format(count=count)

    def slots(self, count: int) -> str:
        """`1 slot`, `4 slots`."""
        _ = self.gettext
        return (_("{count} slot") if count == 1 else _("{count} slots")).format(count=count)

    def spans(self, days: Iterable[dt.date]) -> str:
        """`Monday 8 February 1999`, or `from ... to ...` for each run of consecutive dates."""
        _ = self.gettext
        return self.join(
            (
                self.date(first)
                if first == last
                else _("from {start} to {end}").format(start=self.date(first), end=self.date(last))
                for first, last in date_runs(days)
            ),
            quote=False,
        )

    def window(self, event: Event) -> str:
        _ = self.gettext
        return _("from {start} to {end}").format(
            start=self.date(event.window.start), end=self.date(event.window.end)
        )


def _quote(text: str) -> str:
    return f"'{text}'"


def _trainer_open(trainer: Trainer, day: dt.date) -> bool:
    if trainer.available is not None and not in_any(day, trainer.available):
        return False
    return not in_any(day, trainer.unavailable)


def _venue_open(venue: Venue, day: dt.date) -> bool:
    if venue.available is not None and not in_any(day, venue.available):
        return False
    return not in_any(day, venue.unavailable)


def _room_open(venue: Venue, room: Room, day: dt.date) -> bool:
    return _venue_open(venue, day) and not in_any(day, room.unavailable)


def _offering_entities(item: _Offering) -> list[tuple[str, str]]:
    return [
        ("topic", item.topic.id),
        ("event", item.event.id),
        *(("group", group) for group in item.offering.groups),
    ]


# H9: prerequisite cycles.


def _prerequisite_cycles(d: _Diagnosis) -> None:
    """H9: topics that require each other in a ring, taught to one group in one event."""
    _ = d.gettext
    order = {topic.id: idx for idx, topic in enumerate(d.instance.topics)}
    for event in d.instance.events:
        topics_of: dict[str, set[str]] = defaultdict(set)
        for item in d.offerings:
            if item.event.id == event.id:
                for group in item.offering.groups:
                    topics_of[group].add(item.topic.id)
        cycles: dict[tuple[str, ...], list[str]] = {}
        for group in event.groups:
            for cycle in _cycles(d.instance, sorted(topics_of[group], key=order.__getitem__)):
                cycles.setdefault(cycle, []).append(group)
        for cycle, groups in cycles.items():
            ring = " → ".join(_quote(topic) for topic in (*cycle, cycle[0]))
            d.add(
                "H9",
                [*(("topic", topic) for topic in cycle), ("event", event.id)]
                + [("group", group) for group in groups],
                _(
                    "In event {event}, the prerequisites of topics go round in a circle: {ring} "
                    "(each must finish before the next starts), so none of them can come first "
                    "for {groups}."
                ).format(event=_quote(event.id), ring=ring, groups=d.join(groups)),
                _("Remove {first} from the prerequisites of {second}.").format(
                    first=_quote(cycle[-1]), second=_quote(cycle[0])
                ),
            )
            for item in d.offerings:
                if item.event.id == event.id and item.topic.id in cycle:
                    item.blocked = True


def _cycles(instance: Instance, topics: list[str]) -> list[tuple[str, ...]]:
    """One ring per strongly connected set of `topics`, each topic followed by one it precedes."""
    inside = set(topics)
    after: dict[str, list[str]] = {topic: [] for topic in topics}
    for topic in topics:
        for prerequisite in instance.topic(topic).prerequisites:
            if prerequisite in inside:
                after[prerequisite].append(topic)
    found: list[tuple[str, ...]] = []
    covered: set[str] = set()
    for start in topics:
        if start in covered:
            continue
        ring = _shortest_ring(start, after)
        if ring is not None:
            found.append(ring)
            covered.update(_reachable_both_ways(start, after))
    return found


def _shortest_ring(start: str, after: dict[str, list[str]]) -> tuple[str, ...] | None:
    """The shortest path from `start` back to itself, without the repeated end."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for following in after[node]:
            if following == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return tuple(reversed(path))
            if following not in parent:
                parent[following] = node
                queue.append(following)
    return None


def _reachable_both_ways(start: str, after: dict[str, list[str]]) -> set[str]:
    """The topics on some ring through `start` (its strongly connected set)."""
    before: dict[str, list[str]] = defaultdict(list)
    for node, followers in after.items():
        for following in followers:
            before[following].append(node)

    def reach(edges: dict[str, list[str]]) -> set[str]:
        seen = {start}
        stack = [start]
        while stack:
            for nxt in edges.get(stack.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    return reach(after) & reach(before)


# H12: windows too short once holidays and rest days are removed.


def _short_windows(d: _Diagnosis) -> None:
    """H12: an event window with fewer working days than the event lasts."""
    _ = d.gettext
    for event in d.instance.events:
        num_working = len(d.working[event.id])
        if num_working >= event.days:
            continue
        province = d.provinces[event.province]
        off = days_off(province, event.window.start, event.window.end)
        names = _holiday_names(province, event.window.start, event.window.end, d.lang)
        reasons = []
        for day in sorted(off):
            name = names.get(day, off[day])
            if name == "blackout":
                name = _("a day off in {province}").format(province=province.name)
            reasons.append(_("{holiday} on {date}").format(holiday=name, date=d.date(day)))
        rest = rest_days(province, event, off)
        if rest:
            reasons.append(
                _("the rest days {dates}").format(dates=d.join(map(d.date, rest), quote=False))
            )
        message = _(
            "Event {event} needs {days}, but its window {window} has only {available}."
        ).format(
            event=_quote(event.id),
            days=d.working_days(event.days),
            window=d.window(event),
            available=d.working_days(num_working),
        )
        if reasons:
            message += " " + _("Days off in it: {reasons}.").format(reasons="; ".join(reasons))
        end = _end_with_enough_days(province, event)
        if end is None:
            hint = _("Give {province} fewer rest days, or shorten the event.").format(
                province=province.name
            )
        elif num_working == 0:
            hint = _("Extend the window to end on {date}.").format(date=d.date(end))
        else:
            hint = _(
                "Extend the window to end on {date}, or shorten the event to {available}."
            ).format(date=d.date(end), available=d.days(num_working))
        d.add(
            "H12",
            [("event", event.id), *(("date", day.isoformat()) for day in sorted(off))],
            message,
            hint,
        )


def _end_with_enough_days(province: Province, event: Event) -> dt.date | None:
    """The earliest end of the window that gives the event enough working days."""
    end = event.window.end
    for _step in range(_MAX_EXTENSION_DAYS):
        window = event.window.model_copy(update={"end": end})
        if len(working_days(province, event.model_copy(update={"window": window}))) >= event.days:
            return end
        end += dt.timedelta(days=1)
    return None


def _holiday_names(
    province: Province, start: dt.date, end: dt.date, lang: str
) -> dict[dt.date, str]:
    """Names of the province's public holidays between `start` and `end`, in `lang` if known."""
    if province.holiday_country is None:
        return {}
    years = tuple(range(start.year, end.year + 1))
    names = _named_holidays(province.holiday_country, province.holiday_subdivision, years, lang)
    return {day: name for day, name in names.items() if start <= day <= end}


@lru_cache(maxsize=32)
def _named_holidays(
    country: str, subdivision: str | None, years: tuple[int, ...], lang: str
) -> dict[dt.date, str]:
    supported = holidays.country_holidays(country).supported_languages
    wanted = {"en": ("en_US", "en_GB", "en"), "id": ("id",)}.get(lang, ())
    language = next((code for code in wanted if code in supported), None)
    calendar = holidays.country_holidays(
        country, subdiv=subdivision, years=years, language=language
    )
    return {day: str(name) for day, name in calendar.items()}


# H5: venues closed on every working day.


def _closed_venues(d: _Diagnosis) -> None:
    """H5: an event none of whose venues is open on a working day of its window."""
    _ = d.gettext
    for event in d.instance.events:
        if event.id not in d.dated:
            continue
        venues = [d.instance.venue(venue_id) for venue_id in event.venues]
        if any(
            _room_open(venue, room, day)
            for venue in venues
            for room in venue.rooms
            for day in d.working[event.id]
        ):
            continue
        d.add(
            "H5",
            [("event", event.id), *(("venue", venue.id) for venue in venues)],
            _(
                "No venue of event {event} ({venues}) is open on any working day of its window "
                "{window}."
            ).format(event=_quote(event.id), venues=d.join(event.venues), window=d.window(event)),
            _("Book {venues} for the window, move the window, or add a venue that is open.").format(
                venues=d.join(event.venues)
            ),
        )
        for item in d.offerings:
            if item.event.id == event.id:
                item.blocked = True


# H6: positions nobody can fill.


def _positions(d: _Diagnosis) -> None:
    """H6: a position with fewer eligible trainers than it needs, alone or with the others."""
    for item in d.offerings:
        if item.blocked:
            continue
        for need in item.needs:
            if len(need.eligible) < need.position.count:
                _unfilled(d, item, need)
                item.blocked = True
        if not item.blocked:
            _shared_trainers(d, item)


def _unfilled(d: _Diagnosis, item: _Offering, need: _Need) -> None:
    _ = d.gettext
    position = need.position
    roles = d.roles(position.trainer_roles)
    holders = [
        trainer
        for trainer in d.instance.trainers
        if item.topic.id in trainer.topics and trainer.role in position.trainer_roles
    ]
    fields: dict[str, str | int] = {
        "position": _quote(position.role),
        "roles": roles,
        "topic": _quote(item.topic.id),
        "event": _quote(item.event.id),
        "province": item.province.name,
        "count": position.count,
        "found": len(need.eligible),
        "trainers": d.join(t.id for t in need.eligible),
    }
    if need.eligible:
        message = _(
            "The position {position} ({roles}) of topic {topic} in event {event} needs {count} "
            "trainers, but only {found} can fill it: {trainers}."
        ).format(**fields)
    else:
        message = _(
            "Topic {topic} in event {event} needs a {position} ({roles}), and nobody can fill "
            "that position."
        ).format(**fields)
    blocked = [(trainer, reasons) for trainer in holders if (reasons := d.obstacles(trainer, item))]
    if blocked:
        message += " " + _("Of the {roles} trainers who have the topic: {reasons}.").format(
            roles=roles, reasons="; ".join(r for _t, reasons in blocked for r in reasons)
        )
        hint = _hint_for_obstacle(d, item, blocked[0][0], fields)
    else:
        if need.eligible:
            message += " " + _("No other {roles} trainer has this topic.").format(**fields)
        else:
            message += " " + _("No {roles} trainer has this topic.").format(**fields)
        hint = _(
            "Add a {roles} trainer qualified for {topic} in {province}, or let other roles fill "
            "the position {position}."
        ).format(**fields)
    entities = [
        *_offering_entities(item),
        ("position", position.role),
        *(("trainer", trainer.id) for trainer, _reasons in blocked),
    ]
    d.add("H6", entities, message, hint)


def _hint_for_obstacle(
    d: _Diagnosis, item: _Offering, trainer: Trainer, fields: dict[str, str | int]
) -> str:
    """What to relax so that `trainer` can teach `item`: the first of their obstacles."""
    _ = d.gettext
    if not any(method.id in trainer.methods for method in item.methods):
        return _(
            "Let {trainer} run one of the methods {methods}, or add a {roles} trainer qualified "
            "for {topic} who does."
        ).format(trainer=_quote(trainer.id), methods=d.join(m.id for m in item.methods), **fields)
    missing = sorted(item.languages - set(trainer.languages))
    if missing:
        return _(
            "Add a {roles} trainer for {topic} who speaks {languages}, or add it to the "
            "languages of {trainer} if they speak it."
        ).format(trainer=_quote(trainer.id), languages=d.join(missing, quote=False), **fields)
    return _(
        "Add a travel link between {home} and {province}, or a {roles} trainer for {topic} who "
        "lives in {province}."
    ).format(home=d.provinces[trainer.home].name, **fields)


def _shared_trainers(d: _Diagnosis, item: _Offering) -> None:
    """H6: positions that can only be filled by the same people (nobody fills two at once)."""
    _ = d.gettext
    needs = item.needs
    for size in range(2, len(needs) + 1):
        for subset in itertools.combinations(needs, size):
            people = {trainer.id for need in subset for trainer in need.eligible}
            wanted = sum(need.position.count for need in subset)
            if len(people) >= wanted:
                continue
            d.add(
                "H6",
                [
                    *_offering_entities(item),
                    *(("position", need.position.role) for need in subset),
                    *(("trainer", trainer) for trainer in sorted(people)),
                ],
                _(
                    "Topic {topic} in event {event} needs {count} different people for the "
                    "positions {positions}, but only {trainers} can fill them, and nobody can "
                    "fill two positions of one session."
                ).format(
                    topic=_quote(item.topic.id),
                    event=_quote(item.event.id),
                    count=wanted,
                    positions=d.join(need.position.role for need in subset),
                    trainers=d.join(sorted(people)),
                ),
                _("Add another trainer qualified for {topic} in {province}.").format(
                    topic=_quote(item.topic.id), province=item.province.name
                ),
            )
            item.blocked = True
            return


# H7: rooms that do not suit.


def _rooms(d: _Diagnosis) -> None:
    """H7: no room of the event's venues has the facilities of a method, or is big enough."""
    _ = d.gettext
    capacity_hard = d.instance.policy.room_capacity == "hard"
    too_small: dict[tuple[object, ...], tuple[list[Room], list[_Offering]]] = {}
    for item in d.offerings:
        if item.blocked:
            continue
        fitting = [
            room
            for _venue, room in _event_rooms(d, item.event)
            if any(method.facilities <= room.facilities for method in item.methods)
        ]
        topic, event = _quote(item.topic.id), _quote(item.event.id)
        if not fitting:
            needs = "; ".join(
                _("{method} needs {facilities}").format(
                    method=_quote(method.id),
                    facilities=d.join(sorted(method.facilities), quote=False),
                )
                for method in item.methods
            )
            venues = d.join(item.event.venues)
            d.add(
                "H7",
                [
                    *_offering_entities(item),
                    *(("method", method.id) for method in item.methods),
                    *(("venue", venue_id) for venue_id in item.event.venues),
                ],
                _(
                    "No room of the venues of event {event} ({venues}) has what the methods of "
                    "topic {topic} need: {needs}."
                ).format(event=event, venues=venues, topic=topic, needs=needs),
                _(
                    "Equip a room of {venues} with what one of these methods needs, or give "
                    "topic {topic} a method those rooms allow."
                ).format(venues=venues, topic=topic),
            )
            item.blocked = True
            continue
        attendees = item.offering.attendees
        if capacity_hard and all(room.capacity < attendees for room in fitting):
            key = (
                item.event.id,
                item.offering.groups,
                attendees,
                tuple(room.id for room in fitting),
            )
            too_small.setdefault(key, (fitting, []))[1].append(item)
            item.blocked = True
    for fitting, items in too_small.values():
        _too_small(d, items, fitting)


def _too_small(d: _Diagnosis, items: list[_Offering], fitting: list[Room]) -> None:
    """H7, told once for the offerings of one audience that none of the `fitting` rooms (those
    that suit their methods) holds."""
    _ = d.gettext
    first = items[0]
    largest = max(room.capacity for room in fitting)
    attendees = first.offering.attendees
    topics = list(dict.fromkeys(item.topic.id for item in items))
    fields = {
        "topic": _quote(topics[0]),
        "topics": d.join(topics),
        "event": _quote(first.event.id),
        "audience": d.audience(first),
        "attendees": attendees,
        "rooms": d.join(room.id for room in fitting if room.capacity == largest),
        "largest": largest,
    }
    if len(topics) == 1:
        message = _(
            "Topic {topic} in event {event} is attended by {audience}, {attendees} people, but "
            "the largest room that suits its methods, {rooms}, holds {largest}."
        )
        hint = _(
            "Teach it to each group apart (breakout), use a room for {attendees} people, or "
            "make room capacity soft in the policy."
        )
    else:
        message = _(
            "Topics {topics} in event {event} are attended by {audience}, {attendees} people, "
            "but the largest room that suits their methods, {rooms}, holds {largest}."
        )
        hint = _(
            "Teach them to each group apart (breakout), use a room for {attendees} people, or "
            "make room capacity soft in the policy."
        )
    d.add(
        "H7",
        [
            *(entity for item in items for entity in _offering_entities(item)),
            *(("room", room.id) for room in fitting),
        ],
        message.format(**fields),
        hint.format(**fields),
    )


def _pinned(d: _Diagnosis) -> None:
    """H5 with H6 and H7: a pin asks for more trainers than the topic has positions, for a
    trainer who can fill none of them, or for a room that can host none of its sessions."""
    _ = d.gettext
    items = {f"{i.offering.event}/{i.offering.topic}/{i.offering.audience}": i for i in d.offerings}
    for pin in d.instance.pins:
        item = items.get(pin.offering)
        if item is None or item.blocked:
            continue
        offering, topic = _quote(pin.offering), _quote(item.topic.id)
        entities = [("pin", pin.offering), *_offering_entities(item)]
        positions = sum(need.position.count for need in item.needs)
        if len(pin.trainers) > positions:
            d.add(
                "H6",
                [*entities, *(("trainer", t) for t in pin.trainers)],
                _(
                    "Sessions of {offering} are pinned to {count} trainers ({trainers}), but "
                    "topic {topic} has {positions} facilitator position(s)."
                ).format(
                    offering=offering, count=len(pin.trainers), trainers=d.join(pin.trainers),
                    topic=topic, positions=positions,
                ),
                _("Pin fewer trainers to {offering}, or give topic {topic} another position.")
                .format(offering=offering, topic=topic),
            )  # fmt: skip
            item.blocked = True
            continue
        for trainer_id in pin.trainers:
            if any(t.id == trainer_id for need in item.needs for t in need.eligible):
                continue
            d.add(
                "H6",
                [*entities, ("trainer", trainer_id)],
                _(
                    "Sessions of {offering} are pinned to trainer {trainer}, who can fill none "
                    "of the positions of topic {topic} (the topic, the role, a method, the "
                    "groups' language or travel)."
                ).format(offering=offering, trainer=_quote(trainer_id), topic=topic),
                _("Pin another trainer to {offering}, or qualify {trainer} for it.").format(
                    offering=offering, trainer=_quote(trainer_id)
                ),
            )
            item.blocked = True
        if pin.room is None or item.blocked:
            continue
        room = next((r for _v, r in _event_rooms(d, item.event) if r.id == pin.room), None)
        if room is not None and not any(_hosts(d, item, m, room) for m in item.methods):
            small = d.instance.policy.room_capacity == "hard" and (
                room.capacity < item.offering.attendees
            )
            why = (
                _("it holds {capacity}, for {attendees} people").format(
                    capacity=room.capacity, attendees=item.offering.attendees
                )
                if small
                else _("it lacks what every method of topic {topic} needs").format(topic=topic)
            )
            d.add(
                "H7",
                [*entities, ("room", room.id)],
                _(
                    "Sessions of {offering} are pinned to room {room}, which cannot host them: "
                    "{why}."
                ).format(offering=offering, room=_quote(room.id), why=why),
                _("Pin {offering} to another room, or unpin its room.").format(offering=offering),
            )  # fmt: skip
            item.blocked = True


def _event_rooms(d: _Diagnosis, event: Event) -> list[tuple[Venue, Room]]:
    venues = [d.instance.venue(venue_id) for venue_id in event.venues]
    return [(venue, room) for venue in venues for room in venue.rooms]


def _hosts(d: _Diagnosis, item: _Offering, method: Method, room: Room) -> bool:
    """Whether `room` can host a session of `item` run with `method` (H7)."""
    big_enough = (
        d.instance.policy.room_capacity == "soft" or room.capacity >= item.offering.attendees
    )
    return big_enough and method.facilities <= room.facilities


def _staffed(item: _Offering, method: Method) -> bool:
    """Whether different trainers who run `method` can fill every position (Hall's condition)."""
    pools = [{t.id for t in need.eligible if method.id in t.methods} for need in item.needs]
    for size in range(1, len(pools) + 1):
        for subset in itertools.combinations(range(len(pools)), size):
            people: set[str] = set().union(*(pools[i] for i in subset))
            if len(people) < sum(item.needs[i].position.count for i in subset):
                return False
    return True


def _usable_methods(d: _Diagnosis, item: _Offering) -> list[Method]:
    """The methods for which a room suits and different trainers fill every position."""
    rooms = [room for _venue, room in _event_rooms(d, item.event)]
    return [
        method
        for method in item.methods
        if _staffed(item, method) and any(_hosts(d, item, method, room) for room in rooms)
    ]


def _method_combinations(d: _Diagnosis) -> None:
    """H6: every method lacks either a suitable room or facilitators who all run it."""
    _ = d.gettext
    for item in d.offerings:
        if item.blocked or _usable_methods(d, item):
            continue
        rooms = [room for _venue, room in _event_rooms(d, item.event)]
        reasons = [
            (
                _("{method}: no room suits it")
                if not any(_hosts(d, item, method, room) for room in rooms)
                else _("{method}: too few of the facilitators run it")
            ).format(method=_quote(method.id))
            for method in item.methods
        ]
        topic = _quote(item.topic.id)
        d.add(
            "H6",
            [*_offering_entities(item), *(("method", method.id) for method in item.methods)],
            _(
                "Topic {topic} in event {event} has no method that both a room and its "
                "facilitators allow (a session has one method, which all its facilitators run): "
                "{reasons}."
            ).format(topic=topic, event=_quote(item.event.id), reasons="; ".join(reasons)),
            _(
                "Let the trainers of {topic} run a method a room suits, or equip a room for a "
                "method they run."
            ).format(topic=topic),
        )
        item.blocked = True


# H5 and H13: rooms closed, no single venue for all.


def _open_rooms(d: _Diagnosis, item: _Offering) -> list[tuple[Venue, Room]]:
    """The rooms that can host `item` and are open on some working day of its window."""
    usable = _usable_methods(d, item)
    return [
        (venue, room)
        for venue, room in _event_rooms(d, item.event)
        if any(_hosts(d, item, method, room) for method in usable)
        and any(_room_open(venue, room, day) for day in d.working[item.event.id])
    ]


def _closed_rooms(d: _Diagnosis) -> None:
    """H5: every room that could host an offering is closed on every working day."""
    _ = d.gettext
    for item in d.offerings:
        if item.blocked or item.event.id not in d.dated or _open_rooms(d, item):
            continue
        usable = _usable_methods(d, item)
        rooms = [
            room.id
            for _venue, room in _event_rooms(d, item.event)
            if any(_hosts(d, item, method, room) for method in usable)
        ]
        d.add(
            "H5",
            [*_offering_entities(item), *(("room", room) for room in rooms)],
            _(
                "The rooms that suit topic {topic} in event {event} ({rooms}) are closed on every "
                "working day of its window {window}."
            ).format(
                topic=_quote(item.topic.id),
                event=_quote(item.event.id),
                rooms=d.join(rooms),
                window=d.window(item.event),
            ),
            _("Open {rooms} on some days of the window, or move the window.").format(
                rooms=d.join(rooms)
            ),
        )
        item.blocked = True


def _one_venue(d: _Diagnosis) -> None:
    """H13: each offering has a room somewhere, but no single venue has rooms for them all."""
    _ = d.gettext
    for event in d.instance.events:
        items = [item for item in d.offerings if item.event.id == event.id and not item.blocked]
        if event.id not in d.dated or len(event.venues) < 2 or not items:
            continue
        hosted = {
            item.offering: {venue.id for venue, _room in _open_rooms(d, item)} for item in items
        }
        missing = {
            venue_id: [item for item in items if venue_id not in hosted[item.offering]]
            for venue_id in event.venues
        }
        if any(not lacking for lacking in missing.values()):
            continue
        per_venue = "; ".join(
            _("{venue} has no room for {topics}").format(
                venue=_quote(venue_id),
                topics=d.join(dict.fromkeys(item.topic.id for item in lacking)),
            )
            for venue_id, lacking in missing.items()
        )
        best = min(event.venues, key=lambda venue_id: len(missing[venue_id]))
        d.add(
            "H13",
            [
                ("event", event.id),
                *(("venue", venue_id) for venue_id in event.venues),
                *(("topic", item.topic.id) for lacking in missing.values() for item in lacking),
            ],
            _(
                "Event {event} must use one venue, and none of its venues suits every topic: "
                "{per_venue}."
            ).format(event=_quote(event.id), per_venue=per_venue),
            _("Equip {venue} for {topics}, or teach them with another method.").format(
                venue=_quote(best), topics=d.join(dict.fromkeys(i.topic.id for i in missing[best]))
            ),
        )


# H5: trainers unavailable all the time.


def _unavailable_trainers(d: _Diagnosis) -> None:
    """H5: the trainers who could fill a position are unavailable on every working day."""
    _ = d.gettext
    for item in d.offerings:
        if item.blocked or item.event.id not in d.dated:
            continue
        for need in item.needs:
            if len(need.available) >= need.position.count:
                continue
            away = [t.id for t in need.eligible if t not in need.available]
            fields = {
                "topic": _quote(item.topic.id),
                "event": _quote(item.event.id),
                "count": need.position.count,
                "position": _quote(need.position.role),
                "roles": d.roles(need.position.trainer_roles),
                "found": len(need.available),
                "window": d.window(item.event),
                "trainers": d.join(away),
            }
            if need.available:
                message = _(
                    "Topic {topic} in event {event} needs {count} trainers as {position} "
                    "({roles}), but only {found} of those who could fill the position are free on "
                    "a working day of its window {window}; {trainers} are away all that time."
                )
            else:
                message = _(
                    "Topic {topic} in event {event} needs a {position} ({roles}), but everyone "
                    "who could fill the position is away on every working day of its window "
                    "{window}: {trainers}."
                )
            d.add(
                "H5",
                [
                    *_offering_entities(item),
                    ("position", need.position.role),
                    *(("trainer", trainer) for trainer in away),
                ],
                message.format(**fields),
                _(
                    "Ask {trainers} to keep a day of the window free, move the window, or add "
                    "another {roles} trainer qualified for {topic}."
                ).format(**fields),
            )
            item.blocked = True
            break


# H4 and H5: more sessions than slots.


def _group_loads(d: _Diagnosis) -> None:
    """H4: a group whose sessions in an event take more slots than the event has."""
    _ = d.gettext
    for event in d.instance.events:
        num_slots = len(event.slots)
        capacity = event.days * num_slots
        for group in event.groups:
            items = d.attended(event, group)
            needed = sum(item.slots for item in items)
            if needed <= capacity:
                continue
            d.add(
                "H4",
                [("group", group), ("event", event.id), *(("topic", i.topic.id) for i in items)],
                _(
                    "Group {group} has {needed} of sessions in event {event}, one at a time, but "
                    "the event has only {capacity} ({days}, {slots} a day)."
                ).format(
                    group=_quote(group),
                    needed=d.slots(needed),
                    event=_quote(event.id),
                    capacity=d.slots(capacity),
                    days=d.days(event.days),
                    slots=d.slots(num_slots),
                ),
                _(
                    "Lengthen the event to {longer}, add slots to its days, or take topics off "
                    "the group's curriculum."
                ).format(longer=d.days(math.ceil(needed / num_slots))),
            )
            for item in items:
                item.blocked = True


def _venue_days(d: _Diagnosis) -> None:
    """H5: a group whose sessions need more days than any venue of its event is open in any
    run of days the event can take (H12, H13: one venue, one run of working days)."""
    _ = d.gettext
    for event in d.instance.events:
        if event.id not in d.dated:
            continue
        working = d.working[event.id]
        runs = [
            working[start : start + event.days] for start in range(len(working) - event.days + 1)
        ]
        venues = [d.instance.venue(venue_id) for venue_id in event.venues]
        open_days = {
            venue.id: {
                day for day in working if any(_room_open(venue, room, day) for room in venue.rooms)
            }
            for venue in venues
        }
        most = max(len(open_days[venue.id].intersection(run)) for run in runs for venue in venues)
        if most >= event.days:
            continue
        num_slots = len(event.slots)
        closed = "; ".join(
            _("{venue} is closed: {dates}").format(
                venue=_quote(venue.id),
                dates=d.spans(day for day in working if day not in open_days[venue.id]),
            )
            for venue in venues
            if len(open_days[venue.id]) < len(working)
        )
        loads = {
            group: [item for item in d.attended(event, group) if not item.blocked]
            for group in event.groups
        }
        blocked: list[_Offering] = []
        for group, items in loads.items():
            needed = sum(item.slots for item in items)
            if not items or needed <= most * num_slots:
                continue
            blocked += items
            d.add(
                "H5",
                [
                    ("group", group),
                    ("event", event.id),
                    *(("venue", venue.id) for venue in venues),
                ],
                _(
                    "Group {group} has {needed} of sessions in event {event}, which is held at "
                    "one venue on {days} in a row, but no venue is open on more than {open} of "
                    "any such run in its window {window} ({closed})."
                ).format(
                    group=_quote(group),
                    needed=d.slots(needed),
                    event=_quote(event.id),
                    days=d.working_days(event.days),
                    open=d.days(most),
                    window=d.window(event),
                    closed=closed,
                ),
                _("Book a venue for more days of the window, add a venue, or move the window."),
            )
        # Every group is weighed before any is blocked: plenary sessions count for each.
        for item in blocked:
            item.blocked = True


_DAY_RULES = ("first", "last", "not-first", "not-last")


def _day_allowed(rule: str, day: int, num_days: int) -> bool:
    """Whether the topic's day rule allows event day `day` (0-based)."""
    return {
        "first": day == 0,
        "last": day == num_days - 1,
        "not-first": day != 0,
        "not-last": day != num_days - 1,
    }.get(rule, True)


def _room_for_sessions(item: _Offering) -> int:
    """How many sessions of `item` fit in the event without overlapping (H4, H5, H8)."""
    event, topic, length = item.event, item.topic, item.offering.num_slots
    closed = {(ref.day - 1, ref.slot - 1) for ref in topic.unavailable}
    count = 0
    for day in range(event.days):
        if not _day_allowed(topic.days, day, event.days):
            continue
        slot = 0
        while slot + length <= len(event.slots):
            if any((day, s) in closed for s in range(slot, slot + length)):
                slot += 1
            else:
                count += 1
                slot += length
    return count


def _offering_loads(d: _Diagnosis) -> None:
    """H4/H5: an offering whose sessions cannot all fit in the event without overlapping."""
    _ = d.gettext
    rules = {
        "first": _("only on the first day"),
        "last": _("only on the last day"),
        "not-first": _("not on the first day"),
        "not-last": _("not on the last day"),
    }
    for item in d.offerings:
        room = _room_for_sessions(item)
        if item.blocked or room >= item.offering.num_sessions:
            continue
        fields = {
            "topic": _quote(item.topic.id),
            "event": _quote(item.event.id),
            "sessions": item.offering.num_sessions,
            "length": d.slots(item.offering.num_slots),
            "audience": d.audience(item),
            "room": room,
        }
        if item.topic.days in _DAY_RULES or item.topic.unavailable:
            rule = "H5"
            limits = [rules[item.topic.days]] if item.topic.days in rules else []
            if item.topic.unavailable:
                limits.append(_("not in its unavailable slots"))
            message = _(
                "Topic {topic} in event {event} needs {sessions} sessions of {length} for "
                "{audience}, one at a time, but its rules ({limits}) leave room for only {room}."
            ).format(limits=", ".join(limits), **fields)
            hint = _(
                "Relax the day rule or the unavailable slots of topic {topic}, or give it fewer "
                "sessions."
            ).format(**fields)
        else:
            rule = "H4"
            message = _(
                "Topic {topic} in event {event} needs {sessions} sessions of {length} for "
                "{audience}, one at a time, but the event's days hold only {room}."
            ).format(**fields)
            hint = _("Lengthen the event, or give topic {topic} fewer or shorter sessions.").format(
                **fields
            )
        d.add(rule, _offering_entities(item), message, hint)
        item.blocked = True


@dataclass
class _Duty:
    """What a trainer must teach in one event because nobody else can."""

    event: Event
    topics: list[str] = field(default_factory=list)
    slots: int = 0
    longest: int = 0
    """Slots of its longest session."""


def _duties(d: _Diagnosis) -> dict[str, dict[str, _Duty]]:
    """Per trainer and event: the sessions they must facilitate, as nobody else can.

    A position with exactly as many available eligible trainers as it needs takes them all,
    in every session of its offering.
    """
    duties: dict[str, dict[str, _Duty]] = defaultdict(dict)
    for item in d.offerings:
        if item.blocked or item.event.id not in d.dated:
            continue
        forced = {
            trainer.id: trainer
            for need in item.needs
            if len(need.available) == need.position.count
            for trainer in need.available
        }
        for trainer in forced.values():
            duty = duties[trainer.id].setdefault(item.event.id, _Duty(item.event))
            duty.topics = list(dict.fromkeys([*duty.topics, item.topic.id]))
            duty.slots += item.slots
            duty.longest = max(duty.longest, item.offering.num_slots)
    return duties


def _free_days_in_block(d: _Diagnosis, trainer: Trainer, event: Event) -> int:
    """The most days `trainer` is free in any block of the event (H5, H12)."""
    working = d.working[event.id]
    free = [_trainer_open(trainer, day) for day in working]
    return max(
        sum(free[start : start + event.days]) for start in range(len(working) - event.days + 1)
    )


def _trainer_loads(d: _Diagnosis) -> None:
    """H3/H5/H11: a trainer who alone must teach more slots than they can."""
    _ = d.gettext
    for trainer_id, by_event in _duties(d).items():
        trainer = d.instance.trainer(trainer_id)
        limit = trainer.max_slots_per_day
        overloaded = False
        for duty in by_event.values():
            event = duty.event
            num_slots = len(event.slots)
            free = _free_days_in_block(d, trainer, event)
            per_day = num_slots if limit is None else min(num_slots, limit)
            fields = {
                "trainer": _quote(trainer.id),
                "topics": d.join(duty.topics),
                "event": _quote(event.id),
                "load": d.slots(duty.slots),
                "capacity": d.slots(event.days * num_slots),
                "free": d.days(free),
                "days": d.working_days(event.days),
                "limit": d.slots(per_day),
                "longest": d.slots(duty.longest),
                "province": d.provinces[event.province].name,
                "window": d.window(event),
            }
            if duty.slots > event.days * num_slots:
                rule = "H3"
                message = _(
                    "Only {trainer} can teach {topics} in event {event}, {load} in all, but the "
                    "event has only {capacity}."
                )
                hint = _(
                    "Add another trainer qualified for {topics} in {province}, or lengthen the "
                    "event."
                )
            elif duty.slots > free * num_slots:
                rule = "H5"
                message = _(
                    "Only {trainer} can teach {topics} in event {event}, {load} in all, but "
                    "{trainer} is free on at most {free} of any {days} in a row in its window "
                    "{window}, too few for that."
                )
                hint = _(
                    "Ask {trainer} to keep more days of the window free, or add another trainer "
                    "qualified for {topics} in {province}."
                )
            elif duty.longest > per_day:
                rule = "H11"
                message = _(
                    "Only {trainer} can teach {topics} in event {event}, whose sessions last "
                    "{longest}, but {trainer} teaches at most {limit} a day."
                )
                hint = _(
                    "Raise the daily limit of {trainer} (max_slots_per_day), or add another "
                    "trainer qualified for {topics} in {province}."
                )
            elif duty.slots > free * per_day:
                rule = "H11"
                message = _(
                    "Only {trainer} can teach {topics} in event {event}, {load} in all, but "
                    "{trainer} teaches at most {limit} a day, on at most {free} of the event."
                )
                hint = _(
                    "Raise the daily limit of {trainer} (max_slots_per_day), or add another "
                    "trainer qualified for {topics} in {province}."
                )
            else:
                continue
            overloaded = True
            d.add(
                rule,
                [
                    ("trainer", trainer.id),
                    ("event", event.id),
                    *(("topic", topic) for topic in duty.topics),
                ],
                message.format(**fields),
                hint.format(**fields),
            )
        min_days = _fewest_days(d, trainer, list(by_event.values()))
        if not overloaded and trainer.max_days is not None and min_days > trainer.max_days:
            topics = dict.fromkeys(t for duty in by_event.values() for t in duty.topics)
            d.add(
                "H11",
                [
                    ("trainer", trainer.id),
                    *(("event", event_id) for event_id in by_event),
                    *(("topic", topic) for topic in topics),
                ],
                _(
                    "Only {trainer} can teach {topics} in {events}, which takes at least {needed}, "
                    "but {trainer} works at most {max_days}."
                ).format(
                    trainer=_quote(trainer.id),
                    topics=d.join(topics),
                    events=d.join(by_event),
                    needed=d.days(min_days),
                    max_days=d.days(trainer.max_days),
                ),
                (
                    _(
                        "Raise max_days of {trainer} to {needed}, or add another trainer for "
                        "{topic}."
                    )
                    if len(topics) == 1
                    else _(
                        "Raise max_days of {trainer} to {needed}, or add another trainer for "
                        "some of these topics."
                    )
                ).format(trainer=_quote(trainer.id), needed=min_days, topic=d.join(topics)),
            )


def _fewest_days(d: _Diagnosis, trainer: Trainer, duties: list[_Duty]) -> int:
    """The fewest distinct dates on which `trainer` can teach all of `duties` (H11).

    Events in different provinces never share a date (H10 asks for days between them); events
    of one province may, so there one date can hold slots of several events.
    """
    limit = trainer.max_slots_per_day
    by_province: dict[str, list[_Duty]] = defaultdict(list)
    for duty in duties:
        by_province[duty.event.province].append(duty)
    total = 0
    for same in by_province.values():
        per_event = max(
            math.ceil(duty.slots / min(len(duty.event.slots), limit or len(duty.event.slots)))
            for duty in same
        )
        per_date = limit if limit is not None else sum(len(duty.event.slots) for duty in same)
        total += max(per_event, math.ceil(sum(duty.slots for duty in same) / per_date))
    return total


# H10: travel.


def _travel(d: _Diagnosis) -> None:
    """H10: a trainer needed in two provinces whose windows leave no time to travel."""
    _ = d.gettext
    for trainer_id, by_event in _duties(d).items():
        trainer = d.instance.trainer(trainer_id)
        for first, second in itertools.combinations(by_event.values(), 2):
            e1, e2 = first.event, second.event
            if e1.province == e2.province:
                continue
            p1, p2 = d.provinces[e1.province].name, d.provinces[e2.province].name
            fields = {
                "trainer": _quote(trainer.id),
                "topics1": d.join(first.topics),
                "topics2": d.join(second.topics),
                "event1": _quote(e1.id),
                "event2": _quote(e2.id),
                "province1": p1,
                "province2": p2,
            }
            link = d.instance.travel_link(e1.province, e2.province)
            if link is None:
                message = _(
                    "Only {trainer} can teach {topics1} in event {event1} ({province1}) and "
                    "{topics2} in event {event2} ({province2}), but there is no travel link "
                    "between {province1} and {province2}."
                ).format(**fields)
                hint = _(
                    "Add a travel link between {province1} and {province2}, or another trainer "
                    "for {topics2} in {province2}."
                ).format(**fields)
            else:
                free1, free2 = d.free_days(trainer, e1), d.free_days(trainer, e2)
                gap = dt.timedelta(days=link.days)
                if free2[-1] - free1[0] > gap or free1[-1] - free2[0] > gap:
                    continue
                message = _(
                    "Only {trainer} can teach {topics1} in event {event1} ({province1}) and "
                    "{topics2} in event {event2} ({province2}); travel between them takes {gap}, "
                    "and the working days {trainer} is free in the two windows ({window1}; "
                    "{window2}) are never more than that apart."
                ).format(
                    gap=d.days(link.days), window1=d.window(e1), window2=d.window(e2), **fields
                )
                hint = _(
                    "Let the window of {event2} start on {date} or later, or add another trainer "
                    "for {topics2} in {province2}."
                ).format(date=d.date(free1[0] + gap + dt.timedelta(days=1)), **fields)
            d.add(
                "H10",
                [
                    ("trainer", trainer.id),
                    ("event", e1.id),
                    ("event", e2.id),
                    ("province", e1.province),
                    ("province", e2.province),
                    *(("topic", topic) for topic in (*first.topics, *second.topics)),
                ],
                message,
                hint,
            )
