"""What-if scenarios: a base instance and the changes that turn it into a variant.

A scenario file names its base instance (a path relative to the scenario file) and lists
changes, each addressed by entity kind and id. `scheduler.scenario.apply_scenario` applies
them in order and validates the result as a whole, like any instance.

Removing an entity that something still refers to is an error that names the referrer,
unless the change says `cascade: true`: then references held in lists (a trainer's topics
and methods, a topic's prerequisites and methods, an event's venues and groups, a curriculum
item's groups) lose the id, curriculum items and pins of a removed topic, group or event go
with it, and the result must still be a valid instance. A reference that cannot simply be
dropped (a venue's or trainer's province, an event's province) stays an error either way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, NonNegativeInt, model_validator

from models.common import DateRange, Frozen, Id, SoftId
from models.entities import Pin

EntityKind = Literal["province", "venue", "room", "trainer", "method", "topic", "group", "event"]
"""The kinds of entity a change can address by id."""
ENTITY_KINDS: tuple[EntityKind, ...] = (
    "province", "venue", "room", "trainer", "method", "topic", "group", "event",
)  # fmt: skip


def _date_means_one_day(value: Any) -> Any:
    """A plain date stands for a range of that one day."""
    if isinstance(value, dt.date):
        return {"start": value, "end": value}
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return {"start": day, "end": day}
    return value


Dates = Annotated[DateRange, BeforeValidator(_date_means_one_day)]


class SetChange(Frozen):
    """Give one field of an entity, or of the policy, a new value.

    `field` may be a dotted path into nested fields and mappings: `max_days`,
    `preferences.avoid_slots`, `topics.sti-hiv` (a trainer's proficiency), `weights.S5`.
    """

    kind: Literal["set"]
    entity: EntityKind | Literal["policy"]
    id: Id | None = Field(default=None, description="The entity's id; none for the policy.")
    field: str = Field(min_length=1)
    value: Any

    @model_validator(mode="after")
    def _addressed(self) -> SetChange:
        if self.entity == "policy" and self.id is not None:
            raise ValueError("the policy has no id")
        if self.entity != "policy" and self.id is None:
            raise ValueError(f"id: a {self.entity} is addressed by its id")
        return self


class AddChange(Frozen):
    """Add an entity, written as in an instance file; a room also names its venue."""

    kind: Literal["add"]
    entity: EntityKind
    value: dict[str, Any]
    venue: Id | None = Field(default=None, description="The venue a new room belongs to.")

    @model_validator(mode="after")
    def _venue_of_room(self) -> AddChange:
        if (self.entity == "room") != (self.venue is not None):
            raise ValueError("venue: a room, and only a room, names its venue")
        return self


class RemoveChange(Frozen):
    """Remove an entity; with `cascade`, the references to it go too (see the module doc)."""

    kind: Literal["remove"]
    entity: EntityKind
    id: Id
    cascade: bool = False


class UnavailableChange(Frozen):
    """Mark a trainer, venue or room unavailable on dates (ranges, or single dates)."""

    kind: Literal["unavailable"]
    entity: Literal["trainer", "venue", "room"]
    id: Id
    dates: tuple[Dates, ...] = Field(min_length=1)


class WeightChange(Frozen):
    """Change the weight of a soft rule in the policy."""

    kind: Literal["weight"]
    rule: SoftId
    value: NonNegativeInt


class PinChange(Pin):
    """Pin a session: its start (day and slot of the event), room or facilitators."""

    kind: Literal["pin"]

    def pin(self) -> Pin:
        """The pin this change adds to the instance."""
        return Pin.model_validate(self.model_dump(exclude={"kind"}))


Change = Annotated[
    SetChange | AddChange | RemoveChange | UnavailableChange | WeightChange | PinChange,
    Field(discriminator="kind"),
]
CHANGE_KINDS = ("set", "add", "remove", "unavailable", "weight", "pin")


class Scenario(Frozen):
    """A named variant of a base instance: the base file and the changes, applied in order."""

    name: str
    description: str = ""
    base: Path = Field(description="The base instance file, relative to the scenario file.")
    changes: tuple[Change, ...] = ()
