"""Every user-facing message has an Indonesian translation with the same placeholders."""

from __future__ import annotations

import ast
import datetime as dt
import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from models.common import ROLES, RULE_NAMES
from scheduler.i18n import (
    LOCALE_DIR,
    and_list,
    long_date,
    month_name,
    number,
    percent,
    resolve,
    role_name,
    rule_name,
    rupiah,
    texts,
)
from tests.conftest import ROOT

SOURCES = {
    "cli": ["scheduler/cli.py"],
    "report": ["scheduler/report.py"],
    "checker": ["scheduler/checker.py"],
    "exports": ["scheduler/exports/*.py", "scheduler/export_cli.py"],
    "workbook": ["scheduler/workbook.py", "scheduler/workbook_cli.py"],
    "diagnose": ["scheduler/diagnose.py"],
    "explain": ["scheduler/explain.py", "scheduler/explain_cli.py", "scheduler/repair.py"],
    "compare": ["scheduler/compare.py", "scheduler/scenario_cli.py", "scheduler/scenario.py"],
}
"""Each catalogue of scheduler/locale/id and the Python files (globs) whose `_(...)` it serves."""


def _messages_in(path: Path) -> set[str]:
    """The literal first arguments of `_(...)` calls in a Python file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _catalogue(area: str) -> dict[str, str]:
    with (LOCALE_DIR / "id" / f"{area}.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("area", sorted(SOURCES))
def test_catalogue_matches_the_code(area: str) -> None:
    files = [path for pattern in SOURCES[area] for path in sorted(ROOT.glob(pattern))]
    used = set().union(*(_messages_in(path) for path in files))
    catalogue = _catalogue(area)
    assert used, f"no messages found for {area}"
    assert sorted(used - set(catalogue)) == [], "messages without a translation"
    assert sorted(set(catalogue) - used) == [], "translations of messages no longer used"
    for message, translation in catalogue.items():
        assert translation, message
        assert _fields(message) == _fields(translation), message


def test_every_rule_and_role_name_is_translated() -> None:
    catalogue = _catalogue("rules")
    assert set(catalogue) == set(RULE_NAMES.values()) | set(ROLES) | {"{items} and {last}"}
    assert rule_name("S10", "id") == "kemitraan"
    assert rule_name("S10", "en") == "partnership"
    assert role_name("community", "id") == "komunitas"
    assert role_name("community", "en") == "community"
    assert and_list(["'a'", "'b'", "'c'"], "id") == "'a', 'b' dan 'c'"
    assert and_list(["a", "b"], "en") == "a and b"
    assert and_list(["a"], "en") == "a"


def test_dates_and_money() -> None:
    day = dt.date(1999, 3, 8)
    assert long_date(day, "id") == "Senin 8 Maret 1999"
    assert long_date(day, "en") == "Monday 8 March 1999"
    assert month_name(1, "id") == "Januari"
    assert rupiah(3_500_000, "id") == "Rp 3.500.000"
    assert rupiah(3_500_000, "en") == "Rp 3,500,000"
    assert percent(0.0712, "id") == "7,12%"
    assert percent(0.0712, "en") == "7.12%"
    assert number(1234.5, "id", 1) == "1.234,5"


def test_language_choice() -> None:
    assert resolve("id", "en") == "id"
    assert resolve(None, "id") == "id"
    assert resolve(None, None) == "en"
    assert texts("id", "cli").gettext("stopped by the user") == "dihentikan oleh pengguna"
    assert texts("en", "cli").gettext("stopped by the user") == "stopped by the user"


def test_placeholders_are_never_lost_in_any_catalogue() -> None:
    for path in sorted((LOCALE_DIR / "id").glob("*.po")):
        for message, translation in _catalogue(path.stem).items():
            assert _fields(message) == _fields(translation), (path.name, message)
            assert not re.search(r"\{[^}]*\s[^}]*\}", translation), (path.name, translation)
