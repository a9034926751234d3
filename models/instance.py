"""The whole planning problem, validated as a whole once each entity is valid on its own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import Field, ValidationInfo, model_validator

from models.calendar import (
    days_off,
    rest_days,
    subdivision_problem,
    supported_country,
    working_days,
)
from models.common import SOFT_IDS, Frozen
from models.entities import (
    Event,
    Group,
    Method,
    Pin,
    Policy,
    Province,
    Room,
    Topic,
    Trainer,
    TravelLink,
    Venue,
)

_T = TypeVar("_T", bound=Frozen)


class InstanceError(ValueError):
    """A problem with one entity of an instance: which entity, which field, what is wrong."""

    def __init__(self, kind: str, entity_id: str, field: str, problem: str) -> None:
        self.kind = kind
        self.entity_id = entity_id
        self.field = field
        self.problem = problem
        entity = f"{kind} '{entity_id}'" if entity_id else kind
        super().__init__(f"{entity}, field '{field}': {problem}")


@dataclass(frozen=True)
class Offering:
    """A topic taught to one audience in one event: `num_sessions` interchangeable sessions."""

    event: str
    topic: str
    groups: tuple[str, ...]
    audience: str
    num_sessions: int
    num_slots: int
    attendees: int

    def session_id(self, number: int) -> str:
        """The id of session `number` (1-based), e.g. `tot-bali/facilitation/waria/2`."""
        return f"{self.event}/{self.topic}/{self.audience}/{number}"


class Instance(Frozen):
    """A TOT programme: provinces, venues, trainers, methods, topics, groups, events, policy."""

    name: str
    description: str = ""
    language: Literal["en", "id"] | None = Field(
        default=None, description="Language of reports when the command line does not choose."
    )
    provinces: tuple[Province, ...] = Field(min_length=1)
    venues: tuple[Venue, ...] = Field(min_length=1)
    trainers: tuple[Trainer, ...] = Field(min_length=1)
    methods: tuple[Method, ...] = Field(min_length=1)
    topics: tuple[Topic, ...] = Field(min_length=1)
    groups: tuple[Group, ...] = ()
    events: tuple[Event, ...] = Field(min_length=1)
    travel: tuple[TravelLink, ...] = ()
    policy: Policy = Policy()
    pins: tuple[Pin, ...] = Field(
        default=(), description="Sessions fixed in advance: start, room or facilitators (H5)."
    )

    @model_validator(mode="after")
    def _whole(self, info: ValidationInfo) -> Instance:
        _check_unique(self)
        _check_references(self)
        _check_curricula(self)
        _check_pins(self)
        _check_preferred_slots(self)
        _check_objective_range(self)
        if not (info.context or {}).get(LENIENT_KEY, False):
            _check_staffing(self)
            _check_calendars(self)
        return self

    # Lookups, built after validation so that every reference resolves.

    def province(self, province_id: str) -> Province:
        return _by_id(self.provinces, province_id)

    def venue(self, venue_id: str) -> Venue:
        return _by_id(self.venues, venue_id)

    def trainer(self, trainer_id: str) -> Trainer:
        return _by_id(self.trainers, trainer_id)

    def method(self, method_id: str) -> Method:
        return _by_id(self.methods, method_id)

    def topic(self, topic_id: str) -> Topic:
        return _by_id(self.topics, topic_id)

    def group(self, group_id: str) -> Group:
        return _by_id(self.groups, group_id)

    def event(self, event_id: str) -> Event:
        return _by_id(self.events, event_id)

    def rooms(self) -> dict[str, tuple[Venue, Room]]:
        """Every room by id, with its venue."""
        return {room.id: (venue, room) for venue in self.venues for room in venue.rooms}

    def travel_link(self, first: str, second: str) -> TravelLink | None:
        """The travel link between two provinces, if there is one."""
        for link in self.travel:
            if set(link.between) == {first, second}:
                return link
        return None

    def offerings(self) -> list[Offering]:
        """Every topic taught to every audience, in curriculum order."""
        result: list[Offering] = []
        for event in self.events:
            for item in event.curriculum:
                topic = self.topic(item.topic)
                groups = item.groups if item.groups is not None else event.groups
                audiences: list[tuple[str, ...]] = (
                    [(group,) for group in groups] if item.mode == "breakout" else [tuple(groups)]
                )
                for audience in audiences:
                    size = sum(self.group(group).size for group in audience)
                    result.append(
                        Offering(
                            event=event.id,
                            topic=topic.id,
                            groups=audience,
                            audience=_audience_label(audience, event.groups),
                            num_sessions=topic.sessions,
                            num_slots=topic.slots_per_session,
                            attendees=item.attendees if item.attendees is not None else size,
                        )
                    )
        return result


COLLECTIONS = {
    "province": "provinces",
    "venue": "venues",
    "trainer": "trainers",
    "method": "methods",
    "topic": "topics",
    "group": "groups",
    "event": "events",
}
"""Where each kind of top-level entity lives in instance data (rooms live in their venue)."""

LENIENT_KEY = "skip_feasibility_checks"
LENIENT: dict[str, bool] = {LENIENT_KEY: True}
"""Validation context that keeps the structural checks but skips staffing and calendars.

`Instance.model_validate(data, context=LENIENT)` accepts an instance that is well formed but
cannot be scheduled (a position nobody can fill, a window too short), so that the diagnosis
can explain why in planners' words instead of stopping at the first such fact.
"""


def _audience_label(audience: tuple[str, ...], event_groups: tuple[str, ...]) -> str:
    if not audience:
        return "open"
    if len(audience) > 1 and set(audience) == set(event_groups):
        return "all"
    return "+".join(audience)


def _by_id(items: Iterable[_T], wanted: str) -> _T:
    for item in items:
        if getattr(item, "id", None) == wanted:
            return item
    raise KeyError(wanted)


def _check_unique(instance: Instance) -> None:
    kinds: list[tuple[str, Sequence[Frozen]]] = [
        ("province", instance.provinces),
        ("venue", instance.venues),
        ("room", [room for venue in instance.venues for room in venue.rooms]),
        ("trainer", instance.trainers),
        ("method", instance.methods),
        ("topic", instance.topics),
        ("group", instance.groups),
        ("event", instance.events),
    ]
    for kind, items in kinds:
        counts = Counter(str(getattr(item, "id", "")) for item in items)
        for item_id, count in counts.items():
            if count > 1:
                raise InstanceError(kind, item_id, "id", f"the id is used {count} times")


EXACT_OBJECTIVE = 2**53
"""The solver's objective is a double: integers beyond this are no longer exact."""


def _check_objective_range(instance: Instance) -> None:
    """The weighted penalties of any timetable, taken generously, stay integers the solver
    counts exactly; else the status and bound it reports could contradict each other."""
    weights = instance.policy.weights
    days = sum(event.days for event in instance.events)
    fare = max((link.fare for link in instance.travel), default=0)
    rupiah = sum(
        trainer.daily_fee * min(days, trainer.max_days or days) + fare * len(instance.events)
        for trainer in instance.trainers
    ) + sum(
        max((instance.venue(v).daily_cost for v in event.venues), default=0) * event.days
        for event in instance.events
    )
    cost = weights.S5 * -(-rupiah // instance.policy.cost_unit)
    units = (
        sum(
            o.num_sessions * (o.attendees + o.num_slots * (len(o.groups) + 1) + 10)
            for o in instance.offerings()
        )
        + len(instance.trainers) * days
    )
    others = max(weights.of(s) for s in SOFT_IDS if s != "S5") * units * len(SOFT_IDS)
    if cost + others >= EXACT_OBJECTIVE:
        raise InstanceError(
            "policy", "", "weights",
            f"costs and weights could make the objective reach {cost + others:.1e}, beyond the "
            f"{EXACT_OBJECTIVE:.1e} the solver counts exactly; lower the weights or raise "
            "cost_unit",
        )  # fmt: skip


def _check_preferred_slots(instance: Instance) -> None:
    """A trainer's avoided slots exist in some event: `9` in four-slot days is a typo."""
    most = max((len(event.slots) for event in instance.events), default=0)
    for trainer in instance.trainers:
        for slot in trainer.preferences.avoid_slots:
            if slot > most:
                raise InstanceError(
                    "trainer", trainer.id, "preferences.avoid_slots",
                    f"slot {slot} is beyond the {most} slots a day of every event",
                )  # fmt: skip


def _check_references(instance: Instance) -> None:
    provinces = {province.id for province in instance.provinces}
    methods = {method.id for method in instance.methods}
    topics = {topic.id for topic in instance.topics}
    for province in instance.provinces:
        if province.holiday_country is not None and not supported_country(province.holiday_country):
            raise InstanceError(
                "province", province.id, "holiday_country",
                f"'{province.holiday_country}' is not a country the holiday calendar knows",
            )  # fmt: skip
        if province.holiday_subdivision is not None:
            problem = (
                "needs a holiday_country"
                if province.holiday_country is None
                else subdivision_problem(province.holiday_country, province.holiday_subdivision)
            )
            if problem is not None:
                raise InstanceError("province", province.id, "holiday_subdivision", problem)
    for venue in instance.venues:
        _known(provinces, [venue.province], "venue", venue.id, "province", "province")
    for trainer in instance.trainers:
        _known(provinces, [trainer.home], "trainer", trainer.id, "home", "province")
        _known(topics, list(trainer.topics), "trainer", trainer.id, "topics", "topic")
        _known(methods, trainer.methods, "trainer", trainer.id, "methods", "method")
    for topic in instance.topics:
        _known(methods, topic.methods, "topic", topic.id, "methods", "method")
        _known(topics, topic.prerequisites, "topic", topic.id, "prerequisites", "topic")
    seen_pairs: set[frozenset[str]] = set()
    for link in instance.travel:
        name = "-".join(link.between)
        _known(provinces, link.between, "travel link", name, "between", "province")
        pair = frozenset(link.between)
        if len(pair) != 2:
            raise InstanceError(
                "travel link", name, "between", "a link needs two different provinces"
            )
        if pair in seen_pairs:
            raise InstanceError("travel link", name, "between", "the link is listed twice")
        seen_pairs.add(pair)


def _known(
    known: set[str], used: Iterable[str], kind: str, entity_id: str, field: str, target: str
) -> None:
    for ref in used:
        if ref not in known:
            raise InstanceError(kind, entity_id, field, f"{target} '{ref}' is not defined")


def _check_curricula(instance: Instance) -> None:
    provinces = {province.id for province in instance.provinces}
    venues = {venue.id: venue for venue in instance.venues}
    groups = {group.id for group in instance.groups}
    topics = {topic.id: topic for topic in instance.topics}
    methods = {method.id: method for method in instance.methods}
    group_event: dict[str, str] = {}
    for event in instance.events:
        _known(provinces, [event.province], "event", event.id, "province", "province")
        _known(set(venues), event.venues, "event", event.id, "venues", "venue")
        for venue_id in event.venues:
            if venues[venue_id].province != event.province:
                raise InstanceError(
                    "event", event.id, "venues",
                    f"venue '{venue_id}' is in {venues[venue_id].province}, not {event.province}",
                )  # fmt: skip
        _known(groups, event.groups, "event", event.id, "groups", "group")
        for group_id in event.groups:
            if group_id in group_event:
                raise InstanceError(
                    "event", event.id, "groups",
                    f"group '{group_id}' already attends event '{group_event[group_id]}'",
                )  # fmt: skip
            group_event[group_id] = event.id
        attended: set[tuple[str, str]] = set()
        open_topics: set[str] = set()
        for item in event.curriculum:
            where = f"curriculum topic '{item.topic}'"
            if item.topic not in topics:
                raise InstanceError(
                    "event", event.id, "curriculum", f"topic '{item.topic}' is not defined"
                )
            item_groups = item.groups if item.groups is not None else event.groups
            for group_id in item_groups:
                if group_id not in event.groups:
                    raise InstanceError(
                        "event", event.id, "curriculum",
                        f"{where}: group '{group_id}' does not attend this event",
                    )  # fmt: skip
                if (group_id, item.topic) in attended:
                    raise InstanceError(
                        "event", event.id, "curriculum",
                        f"{where}: group '{group_id}' is given this topic twice",
                    )  # fmt: skip
                attended.add((group_id, item.topic))
            if not item_groups and (item.mode == "breakout" or item.attendees is None):
                raise InstanceError(
                    "event", event.id, "curriculum",
                    f"{where}: no groups attend it; name groups or give attendees",
                )  # fmt: skip
            if not item_groups:
                # An offering is its event, topic and groups: two open items would be one.
                if item.topic in open_topics:
                    raise InstanceError(
                        "event", event.id, "curriculum",
                        f"{where}: taught twice with no groups; give one item with more "
                        "attendees, or name the groups of each",
                    )  # fmt: skip
                open_topics.add(item.topic)
            topic = topics[item.topic]
            if topic.slots_per_session > len(event.slots):
                raise InstanceError(
                    "topic", topic.id, "slots_per_session",
                    f"a session of {topic.slots_per_session} slots is longer than a day of "
                    f"event '{event.id}' ({len(event.slots)} slots)",
                )  # fmt: skip
            if not any(methods[m].fits(topic.slots_per_session) for m in topic.methods):
                raise InstanceError(
                    "topic", topic.id, "methods",
                    f"no method allows sessions of {topic.slots_per_session} slots",
                )  # fmt: skip
            for ref in topic.unavailable:
                if ref.day > event.days or ref.slot > len(event.slots):
                    raise InstanceError(
                        "topic", topic.id, "unavailable",
                        f"day {ref.day} slot {ref.slot} is outside event '{event.id}' "
                        f"({event.days} days of {len(event.slots)} slots)",
                    )  # fmt: skip


def _check_pins(instance: Instance) -> None:
    offerings = {f"{o.event}/{o.topic}/{o.audience}": o for o in instance.offerings()}
    rooms = instance.rooms()
    trainers = {trainer.id for trainer in instance.trainers}
    starts: dict[str, set[tuple[int, int]]] = {}
    for pin in instance.pins:
        offering = offerings.get(pin.offering)
        if offering is None:
            raise InstanceError(
                "pin", pin.offering, "offering",
                "no offering of the instance has this id (event/topic/audience)",
            )  # fmt: skip
        event = instance.event(offering.event)
        if pin.day is not None and pin.slot is not None:
            last_slot = pin.slot + offering.num_slots - 1
            if pin.day > event.days or last_slot > len(event.slots):
                raise InstanceError(
                    "pin", pin.offering, "day",
                    f"{offering.num_slots} slot(s) from day {pin.day} slot {pin.slot} leave "
                    f"event '{event.id}' ({event.days} days of {len(event.slots)} slots)",
                )  # fmt: skip
            starts.setdefault(pin.offering, set()).add((pin.day, pin.slot))
            if len(starts[pin.offering]) > offering.num_sessions:
                raise InstanceError(
                    "pin", pin.offering, "day",
                    f"pins start {len(starts[pin.offering])} sessions; "
                    f"the offering has {offering.num_sessions}",
                )  # fmt: skip
        if pin.room is not None:
            if pin.room not in rooms:
                raise InstanceError(
                    "pin", pin.offering, "room", f"room '{pin.room}' is not defined"
                )
            if rooms[pin.room][0].id not in event.venues:
                raise InstanceError(
                    "pin", pin.offering, "room",
                    f"room '{pin.room}' is not in a venue of event '{event.id}'",
                )  # fmt: skip
        _known(trainers, pin.trainers, "pin", pin.offering, "trainers", "trainer")


def _check_staffing(instance: Instance) -> None:
    for topic in instance.topics:
        for need in topic.facilitators:
            qualified = [
                trainer
                for trainer in instance.trainers
                if topic.id in trainer.topics
                and trainer.role in need.trainer_roles
                and any(method in trainer.methods for method in topic.methods)
            ]
            if len(qualified) < need.count:
                roles = "/".join(need.trainer_roles)
                raise InstanceError(
                    "topic", topic.id, "facilitators",
                    f"position '{need.role}' needs {need.count} {roles} trainer(s) qualified for "
                    f"the topic and one of its methods; {len(qualified)} found",
                )  # fmt: skip


def _check_calendars(instance: Instance) -> None:
    provinces = {province.id: province for province in instance.provinces}
    for event in instance.events:
        province = provinces[event.province]
        available = working_days(province, event)
        if len(available) < event.days:
            off = days_off(province, event.window.start, event.window.end)
            named = [f"{day} {name}" for day, name in sorted(off.items())]
            rest = rest_days(province, event, off)
            if rest:
                named.append(f"{', '.join(map(str, rest))} rest day{'s' * (len(rest) > 1)}")
            after = f" after holidays and rest days ({'; '.join(named)})" if named else ""
            raise InstanceError(
                "event", event.id, "window",
                f"{event.window.start}..{event.window.end} has {len(available)} working "
                f"day{'s' * (len(available) != 1)}{after}; the event needs {event.days}",
            )  # fmt: skip
