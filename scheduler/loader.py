"""Read an instance file (YAML, JSON, Excel workbook, ITC2007) into a validated `Instance`,
and write one back (YAML, JSON, Excel workbook)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models import Instance
from scheduler.errors import InputError, describe_validation_error
from scheduler.timetable_io import read_text, write_text_atomically

INSTANCE_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".ctt")
WRITABLE_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


class _DatesAsText(yaml.SafeLoader):
    """YAML's safe loader, but dates stay text: the models parse them, so that an impossible
    date (`1999-02-30`) is reported like any other bad field, naming its entity and field,
    instead of failing inside the YAML parser."""


def _date_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_DatesAsText.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


def _unique_keys(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    """A mapping whose keys are all different: YAML would let the last `days:` of two win."""
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key '{key}' appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_DatesAsText.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_keys)


def read_structured(path: Path) -> Any:
    """Parse a YAML or JSON file, turning every failure into a one-line `InputError`."""
    text = read_text(path)
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    try:
        return yaml.load(text, Loader=_DatesAsText)  # a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: {line}invalid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML ({exc})") from None


def instance_shaped(data: Any, source: str) -> dict[str, Any]:
    """`data` if it has the top of an instance file; else bad input that says what it is."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with the instance's sections at the top")
    if {"base", "changes"} <= data.keys():
        raise InputError(
            f"{source}: is a scenario, not an instance (write its instance with "
            f"`tot scenario apply {source} --out FILE`, or compare it with `tot compare`)"
        )
    if {"sessions", "events"} <= data.keys() and "topics" not in data:
        raise InputError(f"{source}: is a timetable, not an instance")
    return data


def instance_from_data(data: Any, source: str) -> Instance:
    """Validate already-parsed data as an instance; `source` names it in errors."""
    data = instance_shaped(data, source)
    try:
        return Instance.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(source, exc, data) from None


def load_instance(path: str | Path) -> Instance:
    """Load and validate an instance from a YAML, JSON, Excel `.xlsx` or ITC2007 `.ctt` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ctt":
        from scheduler.itc2007 import load_ctt  # the ITC2007 reader builds on this module

        return load_ctt(path)
    if suffix == ".xlsx":
        from scheduler.workbook import read_workbook  # pandas loads only when needed

        return read_workbook(path)
    if suffix in INSTANCE_SUFFIXES:
        return instance_from_data(read_structured(path), str(path))
    known = ", ".join(INSTANCE_SUFFIXES)
    raise InputError(f"{path}: unknown kind of file '{suffix}' (expected one of {known})")


def instance_data(instance: Instance) -> dict[str, Any]:
    """The plain data of an instance file: values that differ from the defaults, sets sorted."""
    data = instance.model_dump(mode="json", exclude_defaults=True)
    _sort_sets(data)
    return data


class _InstanceDumper(yaml.SafeDumper):
    """Quotes every clock time alike: YAML 1.1 would read an unquoted 10:00 as 600 (base 60)
    but 08:30 as text, so PyYAML quotes only some of them."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "'" if re.fullmatch(r"\d\d:\d\d", text) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_InstanceDumper.add_representer(str, _represent_text)


def instance_text(instance: Instance, suffix: str) -> str:
    """An instance as the text of an instance file: JSON for `.json`, else YAML."""
    data = instance_data(instance)
    if suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_InstanceDumper, sort_keys=False, allow_unicode=True, width=100)


def _sort_sets(node: Any) -> None:
    """Sort the lists that hold sets (facilities), so that the same instance dumps the same."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "facilities" and isinstance(value, list):
                value.sort()
            else:
                _sort_sets(value)
    elif isinstance(node, list):
        for item in node:
            _sort_sets(item)


def save_instance(path: str | Path, instance: Instance, lang: str = "en") -> None:
    """Write `instance` as YAML, JSON or an Excel workbook (by the suffix), whole or not at all.

    `lang` is the language of a workbook's instruction sheet.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from scheduler.workbook import write_workbook

        write_workbook(path, instance, lang)
    elif suffix in (".json", ".yaml", ".yml"):
        write_text_atomically(path, instance_text(instance, suffix))
    else:
        known = ", ".join(WRITABLE_SUFFIXES)
        raise InputError(
            f"{path}: cannot write an instance as '{suffix}' (expected one of {known})"
        )
