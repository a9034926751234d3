"""Read an instance file (YAML or JSON) into a validated `Instance`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from models import Instance
from scheduler.errors import InputError, describe_validation_error

INSTANCE_SUFFIXES = (".yaml", ".yml", ".json", ".ctt")


def read_structured(path: Path) -> Any:
    """Parse a YAML or JSON file, turning every failure into a one-line `InputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: {line}invalid YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: invalid YAML ({exc})") from None


def instance_from_data(data: Any, source: str) -> Instance:
    """Validate already-parsed data as an instance; `source` names it in errors."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping with the instance's sections at the top")
    try:
        return Instance.model_validate(data)
    except ValidationError as exc:
        raise describe_validation_error(source, exc, data) from None


def load_instance(path: str | Path) -> Instance:
    """Load and validate an instance from a YAML, JSON or ITC2007 `.ctt` file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".ctt":
        from scheduler.itc2007 import load_ctt  # the ITC2007 reader builds on this module

        return load_ctt(path)
    if suffix in INSTANCE_SUFFIXES:
        return instance_from_data(read_structured(path), str(path))
    known = ", ".join(INSTANCE_SUFFIXES)
    raise InputError(f"{path}: unknown kind of file '{suffix}' (expected one of {known})")
