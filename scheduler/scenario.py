"""Scenario files: read them, apply their changes to a base instance, write the result.

Every problem is an `InputError` of one line that names the scenario file, the change (its
number, from 1, and kind) and what is wrong, e.g.
`instances/scenarios/x.yaml: change 2 (unavailable): trainer 'budi' is not defined`.
Each change is checked as it is applied (the entity it names exists, the field exists, the
changed entity is valid on its own); the result is then validated as a whole instance, and a
problem found there is laid at the change that last touched the entity concerned.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from pydantic import BaseModel, ValidationError

from models import (
    AddChange,
    Change,
    Event,
    Group,
    Instance,
    InstanceError,
    Method,
    PinChange,
    Policy,
    Province,
    RemoveChange,
    Room,
    Scenario,
    SetChange,
    Topic,
    Trainer,
    UnavailableChange,
    Venue,
    WeightChange,
)
from models.instance import COLLECTIONS
from models.scenario import CHANGE_KINDS
from scheduler.errors import (
    InputError,
    describe_validation_error,
    field_path,
    pydantic_problem,
)
from scheduler.loader import load_instance, read_structured, save_instance

ENTITY_MODELS: dict[str, type[BaseModel]] = {
    "province": Province,
    "venue": Venue,
    "room": Room,
    "trainer": Trainer,
    "method": Method,
    "topic": Topic,
    "group": Group,
    "event": Event,
}
"""The model of each kind of entity a change can address."""
_KINDS_OF = {collection: kind for kind, collection in COLLECTIONS.items()}
INSTANCE_OUT_SUFFIXES = (".yaml", ".yml", ".json")

Data = dict[str, Any]


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; its `base` comes back relative to the working folder."""
    path = Path(path)
    data = read_structured(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with name, base and changes at the top")
    if "base" not in data and {"events", "trainers"} & data.keys():
        kind = "a timetable" if "sessions" in data else "an instance"
        raise InputError(
            f"{path}: is {kind}, not a scenario (a scenario names its base instance and "
            "the changes to it; see instances/scenarios/)"
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _describe(str(path), exc, data) from None
    return scenario.model_copy(update={"base": Path(os.path.normpath(path.parent / scenario.base))})


def load_base(scenario: Scenario, source: str | Path) -> Instance:
    """The base instance of `scenario` (loaded by `load_scenario`); errors name the scenario."""
    try:
        return load_instance(scenario.base)
    except InputError as exc:
        raise InputError(f"{source}: base {exc}") from None


def apply_scenario(scenario: Scenario, base: Instance, source: str | Path) -> Instance:
    """`base` with every change of `scenario` applied in order, validated as an instance.

    `source` names the scenario in error messages (usually its file).
    """
    applier = _Applier(base.model_dump(mode="json"), str(source))
    for number, change in enumerate(scenario.changes, start=1):
        applier.apply(number, change)
    return applier.result()


def write_instance(path: Path, instance: Instance) -> None:
    """Write `instance` to `path` (YAML or JSON by its suffix), whole or not at all."""
    suffix = path.suffix.lower()
    if suffix not in INSTANCE_OUT_SUFFIXES:
        expected = ", ".join(INSTANCE_OUT_SUFFIXES)
        raise InputError(f"{path}: cannot write '{suffix}' files (expected one of {expected})")
    save_instance(path, instance)


@dataclass
class _Reference:
    """Something that refers to an entity: who, and how to drop the reference (None: cannot)."""

    where: str
    key: tuple[str, str]
    drop: Callable[[], None] | None


class _Applier:
    """Applies changes to instance data in place, remembering which change touched what."""

    def __init__(self, data: Data, source: str) -> None:
        self.data = data
        self.source = source
        self.touched: dict[tuple[str, str], int] = {}
        self.labels: dict[int, str] = {}
        self._number = 0
        self._label = ""

    # Plumbing.

    def _fail(self, problem: str) -> NoReturn:
        raise InputError(f"{self.source}: {self._label}: {problem}")

    def _entities(self, kind: str) -> list[Data]:
        if kind == "room":
            return [room for venue in self.data["venues"] for room in venue["rooms"]]
        entities: list[Data] = self.data.setdefault(COLLECTIONS[kind], [])
        return entities

    def _find(self, kind: str, entity_id: str) -> Data | None:
        return next((e for e in self._entities(kind) if e.get("id") == entity_id), None)

    def _require(self, kind: str, entity_id: str) -> Data:
        entity = self._find(kind, entity_id)
        if entity is None:
            self._fail(f"{kind} '{entity_id}' is not defined")
        return entity

    def _touch(self, kind: str, entity_id: str) -> None:
        self.touched[kind, entity_id] = self._number

    def _validate(self, model: type[BaseModel], value: Data, label: str) -> Data:
        """`value` validated as `model` on its own, as JSON data; errors name the change."""
        try:
            return model.model_validate(value).model_dump(mode="json")
        except ValidationError as exc:
            detail = exc.errors(include_url=False)[0]
            field = field_path(tuple(detail["loc"]))
            where = f"{label}, field '{field}'" if field else label
            self._fail(f"{where}: {pydantic_problem(detail)}")

    # The changes.

    def apply(self, number: int, change: Change) -> None:
        self._number = number
        self._label = f"change {number} ({change.kind})"
        self.labels[number] = self._label
        if isinstance(change, SetChange):
            self._set(change)
        elif isinstance(change, AddChange):
            self._add(change)
        elif isinstance(change, RemoveChange):
            self._remove(change)
        elif isinstance(change, UnavailableChange):
            self._unavailable(change)
        elif isinstance(change, WeightChange):
            self.data.setdefault("policy", {}).setdefault("weights", {})[change.rule] = change.value
            self._touch("policy", "")
        elif isinstance(change, PinChange):
            self.data.setdefault("pins", []).append(change.pin().model_dump(mode="json"))
            self._touch("pin", change.offering)

    def _set(self, change: SetChange) -> None:
        parts = change.field.split(".")
        if change.entity == "policy":
            target: Data = self.data.setdefault("policy", {})
            model: type[BaseModel] = Policy
            label = "policy"
        else:
            assert change.id is not None  # the change's own validation asks for it
            target = self._require(change.entity, change.id)
            model = ENTITY_MODELS[change.entity]
            label = f"{change.entity} '{change.id}'"
            if parts == ["id"]:
                self._fail(f"{label}: an id cannot be changed; remove the entity and add another")
        node: Data = target
        node_model: type[BaseModel] | None = model
        for depth, part in enumerate(parts):
            so_far = ".".join(parts[: depth + 1])
            sub_model: type[BaseModel] | None = None
            if node_model is not None:
                if part not in node_model.model_fields:
                    self._fail(f"{label} has no field '{so_far}'")
                sub_model = _model_of(node_model.model_fields[part].annotation)
            if depth == len(parts) - 1:
                node[part] = change.value
                break
            child = node.get(part)
            if child is None and sub_model is not None:
                child = node[part] = {}
            if not isinstance(child, dict):
                self._fail(f"{label}, field '{so_far}' has no parts to set")
            node, node_model = child, sub_model
        validated = self._validate(model, target, label)
        target.clear()
        target.update(validated)
        self._touch(change.entity, change.id or "")

    def _add(self, change: AddChange) -> None:
        new_id = change.value.get("id")
        if not isinstance(new_id, str):
            self._fail(f"the new {change.entity} needs an id")
        if self._find(change.entity, new_id) is not None:
            self._fail(f"{change.entity} '{new_id}' is already defined")
        label = f"{change.entity} '{new_id}'"
        value = self._validate(ENTITY_MODELS[change.entity], dict(change.value), label)
        if change.entity == "room":
            assert change.venue is not None  # the change's own validation asks for it
            self._require("venue", change.venue)["rooms"].append(value)
            self._touch("venue", change.venue)
        else:
            self._entities(change.entity).append(value)
        self._touch(change.entity, new_id)

    def _unavailable(self, change: UnavailableChange) -> None:
        entity = self._require(change.entity, change.id)
        entity.setdefault("unavailable", []).extend(
            span.model_dump(mode="json") for span in change.dates
        )
        self._touch(change.entity, change.id)

    def _remove(self, change: RemoveChange) -> None:
        kind, entity_id = change.entity, change.id
        entity = self._require(kind, entity_id)
        references = self._references(kind, entity_id)
        blocking = [r for r in references if r.drop is None or not change.cascade]
        if blocking:
            first = blocking[0]
            hint = "" if first.drop is None else "; remove that too, or add cascade: true"
            self._fail(f"{kind} '{entity_id}' is still used by {first.where}{hint}")
        for reference in references:
            assert reference.drop is not None
            reference.drop()
            self.touched[reference.key] = self._number
        if kind == "room":
            venue = next(v for v in self.data["venues"] if any(r is entity for r in v["rooms"]))
            _dropper(venue, "rooms", entity)()
            self._touch("venue", venue["id"])
        else:
            collection = COLLECTIONS[kind]
            self.data[collection] = [e for e in self.data[collection] if e is not entity]
        self._touch(kind, entity_id)

    # What refers to what (see models/scenario.py for the cascade).

    def _references(self, kind: str, entity_id: str) -> list[_Reference]:
        finders: dict[str, Callable[[str], list[_Reference]]] = {
            "province": self._province_references,
            "venue": self._venue_references,
            "room": self._room_references,
            "trainer": self._trainer_references,
            "method": self._method_references,
            "topic": self._topic_references,
            "group": self._group_references,
            "event": self._event_references,
        }
        return finders[kind](entity_id)

    def _province_references(self, province: str) -> list[_Reference]:
        found = [
            _Reference(f"{kind} '{entity['id']}' ({field})", (kind, entity["id"]), None)
            for kind, field in (("venue", "province"), ("trainer", "home"), ("event", "province"))
            for entity in self._entities(kind)
            if entity.get(field) == province
        ]
        for link in list(self.data.get("travel", [])):
            if province in link.get("between", ()):
                name = "-".join(link["between"])
                found.append(
                    _Reference(
                        f"travel link '{name}'",
                        ("travel link", name),
                        _dropper(self.data, "travel", link),
                    )
                )
        return found

    def _venue_references(self, venue_id: str) -> list[_Reference]:
        found = self._list_references("event", "venues", venue_id)
        venue = self._require("venue", venue_id)
        for room in venue.get("rooms", []):
            found += self._room_references(room["id"])
        return found

    def _room_references(self, room_id: str) -> list[_Reference]:
        return [
            _Reference(
                f"pin '{pin['offering']}' (room)",
                ("pin", pin["offering"]),
                self._pin_dropper(pin, room=True),
            )
            for pin in self.data.get("pins", [])
            if pin.get("room") == room_id
        ]

    def _trainer_references(self, trainer_id: str) -> list[_Reference]:
        return [
            _Reference(
                f"pin '{pin['offering']}' (trainers)",
                ("pin", pin["offering"]),
                self._pin_dropper(pin, trainer=trainer_id),
            )
            for pin in self.data.get("pins", [])
            if trainer_id in pin.get("trainers", ())
        ]

    def _method_references(self, method_id: str) -> list[_Reference]:
        return self._list_references("trainer", "methods", method_id) + self._list_references(
            "topic", "methods", method_id
        )

    def _topic_references(self, topic_id: str) -> list[_Reference]:
        found: list[_Reference] = []
        for trainer in self._entities("trainer"):
            topics = trainer.get("topics", {})
            if topic_id in topics:
                found.append(
                    _Reference(
                        f"trainer '{trainer['id']}' (topics)",
                        ("trainer", trainer["id"]),
                        _key_dropper(topics, topic_id),
                    )
                )
        found += self._list_references("topic", "prerequisites", topic_id)
        for event in self._entities("event"):
            for item in event.get("curriculum", []):
                if item.get("topic") == topic_id:
                    found.append(
                        _Reference(
                            f"event '{event['id']}' (curriculum)",
                            ("event", event["id"]),
                            _dropper(event, "curriculum", item),
                        )
                    )
        found += self._pin_references(lambda _event, topic, _audience: topic == topic_id)
        return found

    def _group_references(self, group_id: str) -> list[_Reference]:
        found = self._list_references("event", "groups", group_id)
        for event in self._entities("event"):
            for item in event.get("curriculum", []):
                groups = item.get("groups") or []
                if group_id in groups:
                    rest = [g for g in groups if g != group_id]
                    found.append(
                        _Reference(
                            f"event '{event['id']}' (curriculum topic '{item['topic']}')",
                            ("event", event["id"]),
                            _dropper(event, "curriculum", item)
                            if not rest
                            else _list_dropper(item, "groups", group_id),
                        )
                    )
        found += self._pin_references(
            lambda _event, _topic, audience: group_id in audience.split("+")
        )
        return found

    def _event_references(self, event_id: str) -> list[_Reference]:
        return self._pin_references(lambda event, _topic, _audience: event == event_id)

    def _list_references(self, kind: str, field: str, wanted: str) -> list[_Reference]:
        """Entities of `kind` whose list `field` holds `wanted`."""
        return [
            _Reference(
                f"{kind} '{entity['id']}' ({field})",
                (kind, entity["id"]),
                _list_dropper(entity, field, wanted),
            )
            for entity in self._entities(kind)
            if wanted in (entity.get(field) or ())
        ]

    def _pin_references(self, matches: Callable[[str, str, str], bool]) -> list[_Reference]:
        """Pins whose offering (event, topic, audience) `matches`."""
        found: list[_Reference] = []
        for pin in self.data.get("pins", []):
            parts = str(pin.get("offering", "")).split("/")
            if len(parts) == 3 and matches(*parts):
                found.append(
                    _Reference(
                        f"pin '{pin['offering']}'",
                        ("pin", pin["offering"]),
                        _dropper(self.data, "pins", pin),
                    )
                )
        return found

    def _pin_dropper(
        self, pin: Data, room: bool = False, trainer: str | None = None
    ) -> Callable[[], None]:
        """Drops the room or a trainer from `pin`, and the pin when nothing is left pinned."""

        def drop() -> None:
            if room:
                pin["room"] = None
            if trainer is not None:
                pin["trainers"] = [t for t in pin.get("trainers", []) if t != trainer]
            if pin.get("day") is None and pin.get("room") is None and not pin.get("trainers"):
                _dropper(self.data, "pins", pin)()

        return drop

    # The result.

    def result(self) -> Instance:
        try:
            return Instance.model_validate(self.data)
        except ValidationError as exc:
            kind, entity_id = self._blamed(exc)
            number = self.touched.get((kind, entity_id))
            if number is None and kind in ENTITY_MODELS and not entity_id:
                # The list of all entities of that kind is at fault: the last change to one.
                number = max((n for (k, _i), n in self.touched.items() if k == kind), default=None)
            where = self.labels[number] if number is not None else "after its changes"
            raise describe_validation_error(f"{self.source}: {where}", exc, self.data) from None

    def _blamed(self, error: ValidationError) -> tuple[str, str]:
        """The (kind, id) of the entity the first error is about."""
        first = error.errors(include_url=False)[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, InstanceError):
            return cause.kind, cause.entity_id
        location = tuple(first["loc"])
        blamed = ("instance", "")
        if len(location) == 1 and location[0] in _KINDS_OF:
            blamed = (_KINDS_OF[str(location[0])], "")
        node: Any = self.data
        for position, key in enumerate(location):
            node = node.get(key) if isinstance(node, Mapping) else _item(node, key)
            parent = location[position - 1] if position else None
            if isinstance(key, int) and isinstance(node, Mapping):
                if parent == "rooms":
                    blamed = ("room", str(node.get("id")))
                elif parent == "pins":
                    blamed = ("pin", str(node.get("offering")))
                elif isinstance(parent, str) and parent in _KINDS_OF:
                    blamed = (_KINDS_OF[parent], str(node.get("id")))
            elif position == 0 and key == "policy":
                blamed = ("policy", "")
        return blamed


def _item(node: Any, key: str | int) -> Any:
    if isinstance(node, Sequence) and not isinstance(node, str) and isinstance(key, int):
        return node[key] if 0 <= key < len(node) else None
    return None


def _dropper(owner: Data, field: str, item: Any) -> Callable[[], None]:
    """Removes `item` (this very object) from the list `owner[field]`."""

    def drop() -> None:
        owner[field] = [entry for entry in owner.get(field, []) if entry is not item]

    return drop


def _key_dropper(mapping: Data, key: str) -> Callable[[], None]:
    """Removes `key` from `mapping`."""

    def drop() -> None:
        mapping.pop(key, None)

    return drop


def _list_dropper(owner: Data, field: str, value: str) -> Callable[[], None]:
    """Removes `value` from the list of ids `owner[field]`."""

    def drop() -> None:
        owner[field] = [entry for entry in owner.get(field) or [] if entry != value]

    return drop


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model class of a field, when the field holds one model."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _describe(source: str, error: ValidationError, raw: Data) -> InputError:
    """The first problem of a scenario file as one line naming the change and field."""
    first = error.errors(include_url=False)[0]
    location = tuple(first["loc"])
    if len(location) >= 2 and location[0] == "changes" and isinstance(location[1], int):
        number = location[1] + 1
        changes = raw.get("changes")
        change = _item(changes, location[1])
        kind = change.get("kind") if isinstance(change, Mapping) else None
        kinds = ", ".join(CHANGE_KINDS)
        if first["type"] == "union_tag_not_found":
            return InputError(f"{source}: change {number}: 'kind' is required (one of {kinds})")
        if first["type"] == "union_tag_invalid":
            return InputError(f"{source}: change {number}: kind '{kind}' is not one of {kinds}")
        if not isinstance(change, Mapping):
            return InputError(f"{source}: change {number}: expected a mapping with a kind")
        field = field_path(location[3:])
        where = f"change {number} ({kind})" + (f", field '{field}'" if field else "")
        return InputError(f"{source}: {where}: {pydantic_problem(first)}")
    field = field_path(location)
    where = f"field '{field}'" if field else "scenario"
    return InputError(f"{source}: {where}: {pydantic_problem(first)}")
