"""Errors a user can act on: each renders as one line naming file, entity, field and problem."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from models import InstanceError
from models.common import ID_PATTERN

_KINDS = {
    "provinces": "province",
    "venues": "venue",
    "rooms": "room",
    "trainers": "trainer",
    "methods": "method",
    "topics": "topic",
    "groups": "group",
    "events": "event",
    "travel": "travel link",
    "sessions": "session",
    "curriculum": "curriculum item",
    "changes": "change",
}


class InputError(Exception):
    """Bad input: the message is one line, ready to show; the CLI exits with status 2."""


class InputWarning(UserWarning):
    """Input that reads, with something its author may not have meant: the CLI shows it as
    one line on stderr (`warning: ...`) and goes on."""


def describe_validation_error(
    source: str, error: ValidationError, raw: Any, top: str = "instance"
) -> InputError:
    """Turn the first pydantic error into one line: `file: entity 'id', field 'f': problem`.

    `top` names the whole document, for a field outside any entity (`instance`, `timetable`).
    """
    details = error.errors(include_url=False)
    # A misspelt field is both unknown and, under its right name, missing: name the typo.
    first = next((d for d in details if d["type"] == "extra_forbidden"), details[0])
    context = first.get("ctx") or {}
    cause = context.get("error")
    if isinstance(cause, InstanceError):
        return InputError(f"{source}: {cause}")
    location = tuple(first["loc"])
    entity, field = _locate(location, raw, top)
    problem = pydantic_problem(first)
    if first["type"] == "extra_forbidden":
        missing = [
            str(d["loc"][-1])
            for d in details
            if d["type"] == "missing" and tuple(d["loc"][:-1]) == location[:-1]
        ]
        close = difflib.get_close_matches(str(location[-1]), missing, n=1)
        if close:
            problem += f" (did you mean '{close[0]}'?)"
    where = f"{entity}, field '{field}'" if field else entity
    return InputError(f"{source}: {where}: {problem}")


def _locate(location: Sequence[str | int], raw: Any, top: str) -> tuple[str, str]:
    """The innermost entity named by `location` in the raw data, and the rest as a field path."""
    entity = top
    field_start = 0
    node = raw
    for position, key in enumerate(location):
        parent = node
        node = _child(node, key)
        if (
            isinstance(key, int)
            and position > 0
            and isinstance(location[position - 1], str)
            and str(location[position - 1]) in _KINDS
        ):
            kind = _KINDS[str(location[position - 1])]
            label = _label(node, key, parent)
            entity = f"{kind} {label}"
            field_start = position + 1
        elif position == 0 and key == "policy":
            entity, field_start = "policy", 1
    field = field_path(location[field_start:])
    return entity, field


def _child(node: Any, key: str | int) -> Any:
    if isinstance(node, Mapping):
        return node.get(key)
    if isinstance(node, Sequence) and not isinstance(node, str) and isinstance(key, int):
        return node[key] if 0 <= key < len(node) else None
    return None


def _label(node: Any, index: int, parent: Any) -> str:
    if isinstance(node, Mapping):
        for key in ("id", "topic", "name"):
            value = node.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f"'{value}'"
        between = node.get("between")
        if isinstance(between, Sequence) and not isinstance(between, str):
            return "'" + "-".join(str(part) for part in between) + "'"
    return f"#{index + 1}"


def field_path(parts: Sequence[str | int]) -> str:
    """`dates[1].start` from pydantic's location ('dates', 0, 'start'): counted from 1."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def pydantic_problem(detail: Mapping[str, Any]) -> str:
    """What is wrong, from one pydantic error detail, in the words of every input message."""
    kind = detail["type"]
    message = str(detail["msg"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    if message.startswith("Assertion failed, "):
        return message.removeprefix("Assertion failed, ")
    value = detail.get("input")
    if kind == "string_pattern_mismatch" and (detail.get("ctx") or {}).get("pattern") == ID_PATTERN:
        return (
            f"{value!r}: an id is letters, digits, '-', '_' and '.' (no spaces or accents), "
            "starting with a letter or a digit"
        )
    well_formed = isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)
    if kind.startswith(("date_", "datetime_")) and not well_formed:
        message += " (dates are written YYYY-MM-DD)"
    if isinstance(value, str | int | float | bool) or value is None:
        return f"{value!r}: {message[0].lower()}{message[1:]}"
    return f"{message[0].lower()}{message[1:]}"
