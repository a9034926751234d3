"""Property: no input file, however broken, gets past its reader as anything but valid input
or one line naming the file and the problem.

Each example takes a bundled file (an instance, a timetable, a scenario) and breaks it at
random places: a field removed, given a value of the wrong kind or out of range, a list
emptied or an entry repeated. The reader must either accept the data, and then what follows
(compiling and modelling an instance, checking a timetable, applying a scenario) must not
fail, or raise `InputError` with one line that starts with the file's name.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import math
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import MergedCell

from models import Instance, Timetable
from scheduler.checker import check
from scheduler.compile import compile_instance
from scheduler.diagnose import diagnose, load_lenient
from scheduler.errors import InputError
from scheduler.loader import instance_from_data, load_instance
from scheduler.model import build_model
from scheduler.scenario import apply_scenario, load_scenario
from scheduler.solve import solve
from scheduler.timetable_io import read_timetable, timetable_csv, timetable_json
from scheduler.workbook import read_workbook, write_workbook
from tests.conftest import DATA, INSTANCES

SOURCES = {
    "tiny.yaml": yaml.safe_load((DATA / "tiny.yaml").read_text(encoding="utf-8")),
    "ntt.yaml": yaml.safe_load((INSTANCES / "ntt.yaml").read_text(encoding="utf-8")),
}
ODD_VALUES: list[Any] = [
    None, True, 0, -1, 1, 2, 7, 10**30, -(10**30), 1.5, math.nan, math.inf, "", " ", "x",
    "ghost", "all", "1999-02-30", "1999-02-01", "25:00", "08:30", "sunday", "é", [], [None],
    ["ghost"], [1, 2], {}, {"start": "1999-02-01"}, {"ghost": 1},
]  # fmt: skip
_T = TypeVar("_T")

OUTCOMES: dict[tuple[str, str], int] = {}
"""(kind of file, accepted or rejected) of every example."""


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `node` (dict keys and list indices)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _break(draw: st.DrawFn, data: Any) -> None:
    """Break `data` in place at one random path."""
    path = draw(st.sampled_from(_paths(data)))
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    kind = draw(st.sampled_from(["remove", "replace", "replace", "empty", "repeat"]))
    value = parent[last]
    if kind == "remove":
        del parent[last]
    elif kind == "empty" and isinstance(value, list | dict):
        value.clear()
    elif kind == "repeat" and isinstance(value, list) and value:
        value.append(copy.deepcopy(value[draw(st.integers(0, len(value) - 1))]))
    else:
        parent[last] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))


@st.composite
def broken(draw: st.DrawFn, original: Any) -> Any:
    """A deep copy of `original` broken at one to three places."""
    data = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        if not _paths(data):
            break
        _break(draw, data)
    return data


def _read(kind: str | None, source: str, reader: Callable[[], _T]) -> _T | None:
    """What `reader` returns, or None when it refuses the input with one line that names
    `source`; the outcome is counted under `kind`, if given."""
    try:
        value = reader()
    except InputError as error:
        message = str(error)
        assert message.startswith(f"{source}: "), message
        assert "\n" not in message, message
        outcome = "rejected"
        value = None
    else:
        outcome = "accepted"
    if kind is not None:
        OUTCOMES[kind, outcome] = OUTCOMES.get((kind, outcome), 0) + 1
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_instance_is_one_line_or_valid(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(SOURCES)))
    raw = data.draw(broken(SOURCES[name]))
    with tempfile.TemporaryDirectory() as folder:
        # `tot explain` reads leniently (a position nobody fills is its to tell) and diagnoses.
        path = Path(folder) / name
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        _read(None, str(path), lambda: diagnose(load_lenient(path)))
    instance = _read("instance", name, lambda: instance_from_data(raw, name))
    if instance is not None:
        build_model(compile_instance(instance))


# What the properties break is made when first needed, not when the tests are collected.


@cache
def _tiny() -> Instance:
    return load_instance(DATA / "tiny.yaml")


@cache
def _tiny_timetable() -> Timetable:
    timetable = solve(_tiny(), time_limit=5, deterministic=True).timetable
    assert timetable is not None
    return timetable


@cache
def _tiny_timetable_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(timetable_json(_tiny_timetable()))
    return data


@cache
def _tiny_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(timetable_csv(_tiny_timetable()))))


CSV_VALUES = ["", " ", "x", "ghost", "-1", "0", "9", "1000000000000000000000", "1.5", "nan",
              "1999-02-30", "25:00", "8:30", "08:30+08:00", "dewi:lead", "dewi; ketut", "é"]  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_timetable_is_one_line_or_checked(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.json"
        path.write_text(json.dumps(data.draw(broken(_tiny_timetable_data()))), encoding="utf-8")
        timetable = _read("timetable", str(path), lambda: read_timetable(path, _tiny()))
    if timetable is not None:
        check(_tiny(), timetable)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_csv_timetable_is_one_line_or_checked(data: st.DataObject) -> None:
    rows = copy.deepcopy(_tiny_rows())
    for _ in range(data.draw(st.integers(1, 3))):
        row = data.draw(st.integers(0, len(rows) - 1))
        if not rows[row]:
            continue
        column = data.draw(st.integers(0, len(rows[row]) - 1))
        kind = data.draw(st.sampled_from(["cell", "cell", "drop row", "drop column"]))
        if kind == "drop row":
            del rows[row]
        elif kind == "drop column":
            for line in rows:
                del line[column : column + 1]
        else:
            rows[row][column] = data.draw(st.sampled_from(CSV_VALUES))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
        timetable = _read("csv", str(path), lambda: read_timetable(path, _tiny()))
    if timetable is not None:
        check(_tiny(), timetable)


@cache
def _programme() -> Instance:
    return load_instance(INSTANCES / "tot-1999.yaml")


SCENARIOS = [
    {**yaml.safe_load(path.read_text(encoding="utf-8")), "base": str(INSTANCES / "tot-1999.yaml")}
    for path in sorted((INSTANCES / "scenarios").glob("*.yaml"))
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_scenario_is_one_line_or_applied(data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(SCENARIOS))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.yaml"
        path.write_text(yaml.safe_dump(data.draw(broken(original))), encoding="utf-8")
        # The base, tot-1999, is read once for every example, not from the scenario.
        instance = _read(
            "scenario", str(path), lambda: apply_scenario(load_scenario(path), _programme(), path)
        )
    if instance is not None:
        compile_instance(instance)


WORKBOOK_VALUES: list[Any] = [
    *(value for value in ODD_VALUES if not isinstance(value, list | dict)),
    0.354, dt.time(8, 30), dt.datetime(1999, 2, 1, 8, 30), dt.date(1999, 2, 28), "none",
    "a, b", "=1+1", "partnership:9", "lead: ghost", "1999-02-01..1999-02-03",
]  # fmt: skip


@cache
def _tiny_workbook() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tiny.xlsx"
        write_workbook(path, _tiny())
        return path.read_bytes()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_broken_workbook_is_one_line_or_valid(data: st.DataObject) -> None:
    book = openpyxl.load_workbook(io.BytesIO(_tiny_workbook()))
    for _ in range(data.draw(st.integers(1, 3))):
        sheet = book[data.draw(st.sampled_from(book.sheetnames))]
        row = data.draw(st.integers(1, max(1, sheet.max_row)))
        column = data.draw(st.integers(1, max(1, sheet.max_column)))
        if data.draw(st.booleans()):
            sheet.delete_rows(row) if data.draw(st.booleans()) else sheet.delete_cols(column)
        elif not isinstance(cell := sheet.cell(row, column), MergedCell):
            cell.value = data.draw(st.sampled_from(WORKBOOK_VALUES))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "broken.xlsx"
        book.save(path)
        instance = _read("workbook", str(path), lambda: read_workbook(path))
    if instance is not None:
        build_model(compile_instance(instance))


def test_the_fuzzing_saw_both_outcomes() -> None:
    """Of each kind of file, some broken ones are still valid; most are not."""
    properties = {
        "instance": test_a_broken_instance_is_one_line_or_valid,
        "timetable": test_a_broken_timetable_is_one_line_or_checked,
        "csv": test_a_broken_csv_timetable_is_one_line_or_checked,
        "scenario": test_a_broken_scenario_is_one_line_or_applied,
        "workbook": test_a_broken_workbook_is_one_line_or_valid,
    }
    # The properties above count their outcomes in OUTCOMES when they run first, as in a run
    # of this file (pytest keeps the file's order); run alone, this test runs them itself.
    for kind, run in properties.items():
        if not any(key[0] == kind for key in OUTCOMES):  # run alone: the property did not
            run()
        assert OUTCOMES.get((kind, "accepted"), 0) > 0, kind
        assert OUTCOMES.get((kind, "rejected"), 0) > OUTCOMES.get((kind, "accepted"), 0), kind
