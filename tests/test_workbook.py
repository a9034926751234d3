"""Instances as Excel workbooks: read, write, round trips, the template, and bad workbooks."""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from models import Instance
from models.instance import LENIENT
from scheduler.checker import check
from scheduler.cli import app, show_warning
from scheduler.loader import load_instance, save_instance
from scheduler.timetable_io import read_timetable
from scheduler.workbook import (
    SHEETS,
    WorkbookWarning,
    example_instance,
    read_workbook,
    write_workbook,
)
from tests.conftest import DATA, INSTANCES
from tests.strategies import instances

Book = Any
"""An openpyxl workbook (openpyxl has no type information)."""


def _solved_and_checked(runner: CliRunner, instance_path: Path, out: Path, *args: str) -> None:
    """Solve through the CLI, then check the written timetable with the independent checker."""
    result = runner.invoke(app, ["solve", str(instance_path), "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    instance = load_instance(instance_path)
    report = check(instance, read_timetable(out, instance))
    assert report.feasible, [violation.message for violation in report.violations]


# The bundled workbook and round trips.


def test_bundled_workbook_holds_the_yaml_instance() -> None:
    assert load_instance(INSTANCES / "tot-1999.xlsx") == load_instance(INSTANCES / "tot-1999.yaml")


@pytest.mark.parametrize("name", sorted(path.name for path in INSTANCES.glob("*.yaml")))
def test_bundled_instances_round_trip(tmp_path: Path, name: str) -> None:
    instance = load_instance(INSTANCES / name)
    path = tmp_path / "plan.xlsx"
    write_workbook(path, instance)
    assert read_workbook(path) == instance


def test_round_trip_keeps_every_odd_value(tmp_path: Path) -> None:
    """Values that an empty cell cannot say, formula-like text, error codes, CP-SAT lists."""
    data = example_instance().model_dump(mode="json")
    data["name"] = '=HYPERLINK("http://example.org")'
    data["description"] = "'=quoted already"
    data["provinces"][0]["holiday_country"] = None
    data["provinces"][1]["name"] = "#N/A"
    data["venues"][0]["available"] = []
    data["venues"][0]["rooms"][0]["name"] = "-5"
    data["trainers"][0]["available"] = []
    data["trainers"][1]["name"] = "@home"
    data["trainers"][1]["languages"] = []
    data["topics"][1]["facilitators"] = []
    data["events"][0]["curriculum"][0].update(groups=[], attendees=12)
    data["pins"][0]["offering"] = "tot-bali/partnership/open"  # open to all: no groups
    data["events"][0]["slots"][0]["start"] = "08:30:15"
    data["policy"].update(levels=[["S10"], ["S1", "S3"], []], hard=["S6"], max_daily_slots=3)
    data["policy"]["solver"]["cp_sat"] = {
        "num_workers": 3,
        "max_time_in_seconds": 1.5,
        "log_search_progress": True,
        "subsolvers": ["default_lp", "no_lp"],
        "name": "run",
    }
    instance = Instance.model_validate(data, context=LENIENT)
    path = tmp_path / "odd.xlsx"
    write_workbook(path, instance)
    assert read_workbook(path) == instance
    policy = instance.policy.model_copy(update={"levels": ()})
    write_workbook(path, instance.model_copy(update={"policy": policy}))
    assert read_workbook(path).policy.levels == ()


def test_text_never_runs_as_a_formula(tmp_path: Path) -> None:
    """Formula-like text is a quote-prefixed string cell holding the text as typed: Excel shows
    it without a stray apostrophe and never runs it."""
    data = example_instance().model_dump(mode="json")
    data["trainers"][0]["name"] = "=cmd|' /C calc'!A0"
    data["trainers"][1]["name"] = "-Ketut +peer"
    data["groups"][0]["name"] = "+1"
    path = tmp_path / "plan.xlsx"
    write_workbook(path, Instance.model_validate(data))
    cells = [
        cell for sheet in openpyxl.load_workbook(path) for row in sheet.iter_rows() for cell in row
    ]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    guarded = {c.value: c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@"}
    assert set(guarded) == {"=cmd|' /C calc'!A0", "-Ketut +peer", "+1"}
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in guarded.values())
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith("'")]
    with zipfile.ZipFile(path) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert not [name for name in sheets if b"<f>" in archive.read(name)]
    back = read_workbook(path)
    assert back.trainer("dewi").name == "=cmd|' /C calc'!A0"
    assert back.trainer("ketut").name == "-Ketut +peer"


def test_older_workbooks_with_quoted_formulas_still_read(tmp_path: Path) -> None:
    """Workbooks written before quote prefixes held formula-like text as `'-...`."""
    path = tmp_path / "old.xlsx"
    write_workbook(path, example_instance())
    book = openpyxl.load_workbook(path)
    book["Trainers"]["B3"] = "'-Ketut +peer"
    book.save(path)
    assert read_workbook(path).trainer("ketut").name == "-Ketut +peer"


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=instances())
def test_read_of_write_is_identity(tmp_path: Path, data: dict[str, Any]) -> None:
    instance = Instance.model_validate(data)
    path = tmp_path / "random.xlsx"
    write_workbook(path, instance)
    assert read_workbook(path) == instance


def _pinned() -> Instance:
    """tests/data/tiny.yaml with pins of every form, and every top-level field not its default."""
    data = load_instance(DATA / "tiny.yaml").model_dump(mode="json")
    data["pins"] = [
        {"offering": "tot-bali/partnership/all", "day": 1, "slot": 1, "room": "pendopo",
         "trainers": ["dewi", "ketut"]},
        {"offering": "tot-bali/partnership/all", "day": 2, "slot": 3},
        {"offering": "tot-bali/role-play-practice/waria", "room": "garden"},
        {"offering": "tot-bali/hiv-basics/all", "trainers": ["ketut"]},
    ]  # fmt: skip
    data.update(description="With pins", language="id")
    data["travel"] = [{"between": ["bali", "ntb"], "days": 1}]
    data["provinces"].append({"id": "ntb", "name": "Nusa Tenggara Barat", "city": "Mataram"})
    data["policy"]["weights"]["S5"] = 3
    return Instance.model_validate(data)


def _converted_there_and_back(runner: CliRunner, instance: Instance, tmp_path: Path) -> Path:
    """`instance` as YAML, converted to a workbook and back by `tot convert`: the workbook,
    once both conversions gave `instance` again."""
    source, book, back = tmp_path / "in.yaml", tmp_path / "in.xlsx", tmp_path / "back.yaml"
    save_instance(source, instance)
    for args in ([source, book], [book, back]):
        result = runner.invoke(app, ["convert", *map(str, args)])
        assert result.exit_code == 0, result.output
    assert load_instance(book) == load_instance(back) == instance
    return book


def test_every_top_level_field_survives_a_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    """YAML -> workbook -> YAML through tot convert, pins included (they were once dropped)."""
    instance = _pinned()
    defaults = {name: info.get_default() for name, info in Instance.model_fields.items()}
    assert [name for name, default in defaults.items() if getattr(instance, name) == default] == []
    book = _converted_there_and_back(runner, instance, tmp_path)
    rows = list(openpyxl.load_workbook(book)["Pins"].iter_rows(values_only=True))
    assert rows == [
        ("offering", "day", "slot", "room", "trainers"),
        ("tot-bali/partnership/all", 1, 1, "pendopo", "dewi, ketut"),
        ("tot-bali/partnership/all", 2, 3, None, None),
        ("tot-bali/role-play-practice/waria", None, None, "garden", None),
        ("tot-bali/hiv-basics/all", None, None, None, "ketut"),
    ]


def test_workbook_without_pins_sheet_has_no_pins(tmp_path: Path) -> None:
    """Workbooks written before the Pins sheet existed still read."""
    path = tmp_path / "old.xlsx"
    write_workbook(path, _pinned())
    book = openpyxl.load_workbook(path)
    book.remove(book["Pins"])
    book.save(path)
    assert read_workbook(path) == _pinned().model_copy(update={"pins": ()})


# tot convert and tot template.


def test_convert_both_ways(runner: CliRunner, tmp_path: Path) -> None:
    source = INSTANCES / "sulsel.yaml"
    book, yaml_back, json_back = tmp_path / "s.xlsx", tmp_path / "s.yaml", tmp_path / "s.json"
    for args in ([source, book], [book, yaml_back], [book, json_back]):
        result = runner.invoke(app, ["convert", *map(str, args)])
        assert result.exit_code == 0, result.output
        assert f"Converted {args[0]} to {args[1]}" in result.output
    expected = load_instance(source)
    assert load_instance(book) == load_instance(yaml_back) == load_instance(json_back) == expected
    # Clock times are written as instance files write them: 'HH:MM', every one quoted alike.
    times = re.findall(r"(?:start|end|late_after): (\S+:\S+)", yaml_back.read_text())
    assert times and all(re.fullmatch(r"'\d\d:\d\d'", time) for time in times), times
    assert '"08:00"' in json_back.read_text()


def test_convert_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"a planner's own workbook")
    result = runner.invoke(app, ["convert", str(DATA / "tiny.yaml"), str(target)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{target}: already exists (add --force to replace it)"
    assert target.read_bytes() == b"a planner's own workbook"
    result = runner.invoke(app, ["convert", str(DATA / "tiny.yaml"), str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert read_workbook(target) == load_instance(DATA / "tiny.yaml")


def test_convert_reports_a_target_it_cannot_write(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "folder.xlsx"
    target.mkdir()
    result = runner.invoke(app, ["convert", str(DATA / "tiny.yaml"), str(target), "--force"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{target}: cannot be written (Is a directory)"
    assert [path.name for path in tmp_path.iterdir()] == ["folder.xlsx"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", str(DATA / "tiny.yaml"), "t.pdf"],
         "t.pdf: cannot write an instance as '.pdf' (expected one of .yaml, .yml, .json, .xlsx)"),
        (["convert", "missing.yaml", "t.xlsx"], "missing.yaml: no such file"),
        (["template", "t.yaml"], "t.yaml: a template is an Excel workbook; name it .xlsx"),
        (["template", "t.xlsx", "--lang", "fr"], "--lang: 'fr' is not one of en, id"),
    ],
)  # fmt: skip
def test_convert_and_template_refuse_bad_arguments(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == expected
    assert list(tmp_path.iterdir()) == []


def test_template_is_a_small_instance_with_instructions(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", str(path), "--lang", "id"])
    assert result.exit_code == 0, result.output
    assert "Templat ditulis ke" in result.output
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Petunjuk", *(sheet.name for sheet in SHEETS)]
    assert book["Petunjuk"]["A1"].value == "Cara mengisi buku kerja ini"
    assert book["Trainers"]["A1"].value == "id" and book["Trainers"].freeze_panes == "A2"
    assert read_workbook(path) == example_instance("id")
    for sheet in SHEETS:  # an example row in every sheet
        assert book[sheet.name].max_row >= 2, sheet.name
    english = tmp_path / "en.xlsx"
    assert runner.invoke(app, ["template", str(english)]).exit_code == 0
    assert openpyxl.load_workbook(english).sheetnames[0] == "Instructions"
    assert read_workbook(english) == example_instance()


def test_indonesian_template_solves_in_indonesian(runner: CliRunner, tmp_path: Path) -> None:
    """`tot template --lang id` writes language id, so its reports are Indonesian."""
    path = tmp_path / "t.xlsx"
    assert runner.invoke(app, ["template", str(path), "--lang", "id"]).exit_code == 0
    assert openpyxl.load_workbook(path)["Instance"]["C2"].value == "id"
    assert read_workbook(path).language == "id"
    english = tmp_path / "en.xlsx"
    assert runner.invoke(app, ["template", str(english)]).exit_code == 0
    assert openpyxl.load_workbook(english)["Instance"]["C2"].value is None
    out = tmp_path / "t.json"
    args = ["--out", str(out), "--time-limit", "5", "--workers", "1", "--quiet"]
    result = runner.invoke(app, ["solve", str(path), *args])
    assert result.exit_code == 0, result.output
    assert "Penalti per aturan lunak" in result.output, result.output
    instance = read_workbook(path)
    report = check(instance, read_timetable(out, instance))
    assert report.feasible, [violation.message for violation in report.violations]


def test_template_help_does_not_speak_of_an_instance(runner: CliRunner) -> None:
    result = runner.invoke(app, ["template", "--help"])
    assert result.exit_code == 0
    assert "instance's" not in result.output
    assert "default: en" in " ".join(result.output.split())


def _bali_rows(bali: Instance) -> dict[str, list[dict[str, Any]]]:
    """The Bali instance as the rows a planner would type into each sheet of the template."""

    def joined(values: Any) -> str:
        return ", ".join(str(value) for value in values)

    trainer_dates = [
        {"trainer": t.id, "kind": kind, "start": span.start, "end": span.end}
        for t in bali.trainers
        for kind in ("available", "unavailable")
        for span in getattr(t, kind) or ()
    ]
    return {
        "Instance": [{"name": bali.name, "description": bali.description}],
        "Provinces": [
            {"id": p.id, "name": p.name, "city": p.city, "holiday_country": p.holiday_country,
             "rest_days": joined(p.rest_days), "time_zone": p.time_zone}
            for p in bali.provinces
        ],
        "BlackoutDates": [
            {"province": p.id, "date": day} for p in bali.provinces for day in p.blackout_dates
        ],
        "Travel": [
            {"province_a": link.between[0], "province_b": link.between[1], "days": link.days,
             "fare": link.fare}
            for link in bali.travel
        ],
        "Venues": [
            {"id": v.id, "name": v.name, "province": v.province, "city": v.city,
             "daily_cost": v.daily_cost}
            for v in bali.venues
        ],
        "VenueDates": [
            {"venue": v.id, "kind": "unavailable", "start": span.start, "end": span.end}
            for v in bali.venues
            for span in v.unavailable
        ],
        "Rooms": [
            {"id": r.id, "venue": v.id, "name": r.name, "capacity": r.capacity,
             "facilities": joined(sorted(r.facilities))}
            for v in bali.venues
            for r in v.rooms
        ],
        "RoomDates": [],
        "Trainers": [
            {"id": t.id, "name": t.name, "home": t.home, "role": t.role,
             "languages": joined(t.languages), "methods": joined(t.methods),
             "daily_fee": t.daily_fee, "max_slots_per_day": t.max_slots_per_day,
             "max_days": t.max_days, "avoid_weekdays": joined(t.preferences.avoid_weekdays),
             "avoid_slots": joined(t.preferences.avoid_slots)}
            for t in bali.trainers
        ],
        "TrainerTopics": [
            {"trainer": t.id, "topic": topic, "proficiency": level}
            for t in bali.trainers
            for topic, level in t.topics.items()
        ],
        "TrainerDates": trainer_dates,
        "Methods": [
            {"id": m.id, "name": m.name, "participatory": m.participatory,
             "facilities": joined(sorted(m.facilities)), "min_slots": m.min_slots,
             "max_slots": m.max_slots}
            for m in bali.methods
        ],
        "Topics": [
            {"id": t.id, "title": t.title, "sessions": t.sessions,
             "slots_per_session": t.slots_per_session, "min_days": t.min_days,
             "methods": joined(t.methods), "prerequisites": joined(t.prerequisites),
             "days": t.days}
            for t in bali.topics
        ],
        "Facilitators": [
            {"topic": t.id, "role": need.role, "count": need.count,
             "trainer_roles": joined(need.trainer_roles)}
            for t in bali.topics
            for need in t.facilitators
        ],
        "TopicUnavailable": [
            {"topic": t.id, "day": ref.day, "slot": ref.slot}
            for t in bali.topics
            for ref in t.unavailable
        ],
        "Groups": [
            {"id": g.id, "name": g.name, "size": g.size, "language": g.language}
            for g in bali.groups
        ],
        "Events": [
            {"id": e.id, "name": e.name, "province": e.province, "venues": joined(e.venues),
             "window_start": e.window.start, "window_end": e.window.end, "days": e.days,
             "groups": joined(e.groups), "participatory_target": e.participatory_target}
            for e in bali.events
        ],
        "Slots": [
            {"event": e.id, "start": slot.start, "end": slot.end}
            for e in bali.events
            for slot in e.slots
        ],
        "Pins": [
            {"offering": pin.offering, "day": pin.day, "slot": pin.slot, "room": pin.room,
             "trainers": joined(pin.trainers)}
            for pin in bali.pins
        ],
        "Curriculum": [
            {"event": e.id, "topic": item.topic,
             "groups": joined(item.groups) if item.groups is not None else None,
             "mode": item.mode, "attendees": item.attendees}
            for e in bali.events
            for item in e.curriculum
        ],
        "Policy": [
            {"setting": "room_capacity", "value": bali.policy.room_capacity},
            {"setting": "partnership_role", "value": bali.policy.partnership_role},
            {"setting": "late_after", "value": bali.policy.late_after},
        ],
        "Weights": [],
    }  # fmt: skip


@pytest.mark.slow
def test_template_filled_in_with_pandas_solves(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    assert runner.invoke(app, ["template", str(path)]).exit_code == 0
    headers = {
        name: list(frame.columns)
        for name, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl").items()
    }
    bali = load_instance(INSTANCES / "bali.yaml")
    rows = _bali_rows(bali)
    assert set(rows) == {sheet.name for sheet in SHEETS}
    with pd.ExcelWriter(path, engine="openpyxl", mode="a", if_sheet_exists="replace") as writer:
        for name, sheet_rows in rows.items():
            assert {key for row in sheet_rows for key in row} <= set(headers[name]), name
            frame = pd.DataFrame(sheet_rows, columns=headers[name])
            frame.to_excel(writer, sheet_name=name, index=False)
    assert load_instance(path) == bali
    _solved_and_checked(runner, path, tmp_path / "t.json", "--time-limit", "10", "--workers", "1")


@pytest.mark.slow
def test_bundled_workbook_solves(runner: CliRunner, tmp_path: Path) -> None:
    book = INSTANCES / "tot-1999.xlsx"
    _solved_and_checked(runner, book, tmp_path / "t.json", "--time-limit", "10", "--quiet")


# Bad workbooks: one line naming file, sheet, row, column and problem; exit status 2.

Edit = Callable[[Book], None]


def _set(sheet: str, row: int, column: str, value: object) -> Edit:
    """Write `value` into `row` of `sheet`, in the column headed `column`."""

    def edit(book: Book) -> None:
        headers = [cell.value for cell in book[sheet][1]]
        book[sheet].cell(row=row, column=headers.index(column) + 1).value = value

    return edit


def _remove_sheet(sheet: str) -> Edit:
    return lambda book: book.remove(book[sheet])


def _remove_column(sheet: str, column: str) -> Edit:
    def edit(book: Book) -> None:
        headers = [cell.value for cell in book[sheet][1]]
        book[sheet].delete_cols(headers.index(column) + 1)

    return edit


def _remove_rows(sheet: str) -> Edit:
    return lambda book: book[sheet].delete_rows(2, book[sheet].max_row)


def _rename(sheet: str, name: str) -> Edit:
    return lambda book: setattr(book[sheet], "title", name)


def _own_sheet_instead_of(sheet: str, own: str) -> Edit:
    """Remove `sheet`, add a planner's own sheet named `own`."""

    def edit(book: Book) -> None:
        book.remove(book[sheet])
        book.create_sheet(own).append(["my notes"])

    return edit


def _pins(*rows: dict[str, object]) -> Edit:
    """Fill the Pins sheet with `rows`, from row 2."""

    def edit(book: Book) -> None:
        headers = [cell.value for cell in book["Pins"][1]]
        for number, values in enumerate(rows, start=2):
            for column, value in values.items():
                book["Pins"].cell(row=number, column=headers.index(column) + 1).value = value

    return edit


_OPENING = "tot-bali/partnership/all"


BAD = [
    ("fee_not_a_number", _set("Trainers", 3, "daily_fee", "abc"),
     "sheet Trainers, row 3, column daily_fee: 'abc' is not a number"),
    ("missing_sheet", _remove_sheet("Rooms"), "sheet Rooms is missing"),
    ("missing_column", _remove_column("Trainers", "role"),
     "sheet Trainers, row 1, column role: the column is missing"),
    ("unknown_column", _set("Trainers", 1, "daily_fee", "daly_fee"),
     "sheet Trainers, row 1, column daly_fee: is not a column of this sheet (the columns are id, "
     "name, home, role, languages, methods, daily_fee, max_slots_per_day, max_days, "
     "avoid_weekdays, avoid_slots)"),
    ("bad_date", _set("Events", 2, "window_start", "1999-02-30"),
     "sheet Events, row 2, column window_start: '1999-02-30' is not a date (use a date cell or "
     "YYYY-MM-DD)"),
    ("bad_time", _set("Slots", 3, "start", "8h30"),
     "sheet Slots, row 3, column start: '8h30' is not a time (use a time cell or HH:MM)"),
    ("fractional_sessions", _set("Topics", 2, "sessions", 2.5),
     "sheet Topics, row 2, column sessions: 2.5 is not a whole number"),
    ("not_yes_or_no", _set("Methods", 3, "participatory", "maybe"),
     "sheet Methods, row 3, column participatory: 'maybe' is not yes or no (TRUE or FALSE)"),
    ("error_value", _set("Rooms", 3, "capacity", "#N/A"),
     "sheet Rooms, row 3, column capacity: holds an error value (#N/A, #REF!, ...), not data"),
    ("zero_capacity", _set("Rooms", 2, "capacity", 0),
     "sheet Rooms, row 2, column capacity: 0: input should be greater than 0"),
    ("unknown_role", _set("Trainers", 3, "role", "peer"),
     "sheet Trainers, row 3, column role: 'peer': input should be 'national', 'provincial' or "
     "'community'"),
    ("unknown_facility", _set("Rooms", 2, "facilities", "projector, projektor"),
     "sheet Rooms, row 2, column facilities: 'projektor': input should be 'projector', "
     "'flipchart', 'whiteboard', 'sound-system', 'video-player', 'breakout-space', "
     "'outdoor-area' or 'wheelchair-access'"),
    ("bad_id", _set("Rooms", 3, "id", "the garden"),
     "sheet Rooms, row 3, column id: 'the garden' is not an id: use letters, digits, '-', '_' "
     "and '.', starting with a letter or digit"),
    ("duplicate_id", _set("Trainers", 3, "id", "dewi"),
     "sheet Trainers, row 3, column id: 'dewi' is already the id of row 2"),
    ("room_of_unknown_venue", _set("Rooms", 3, "venue", "nowhere"),
     "sheet Rooms, row 3, column venue: venue 'nowhere' is not in sheet Venues"),
    ("unknown_topic_of_trainer", _set("TrainerTopics", 2, "topic", "hiv-101"),
     "sheet TrainerTopics, row 2, column topic: topic 'hiv-101' is not defined"),
    ("window_reversed", _set("Events", 2, "window_end", dt.date(1999, 1, 30)),
     "sheet Events, row 2, column window_end: end 1999-01-30 is before start 1999-02-01"),
    ("curriculum_group_not_in_event", _set("Curriculum", 3, "groups", "women, staff"),
     "sheet Curriculum, row 3, column topic: curriculum topic 'hiv-basics': group 'staff' does "
     "not attend this event"),
    ("no_slots", _remove_rows("Slots"),
     "sheet Events, row 2, column id: no slots in sheet Slots; at least 1 needed"),
    ("no_provinces", _remove_rows("Provinces"), "sheet Provinces: no rows; at least 1 needed"),
    ("sheet_name_typo", _rename("Facilitators", "Facilitator"),
     "sheet Facilitator: did you mean Facilitators?"),
    ("required_sheet_translated", _rename("Trainers", "Pelatih"),
     "sheet Trainers is missing; sheet Pelatih has its columns: name it Trainers"),
    ("optional_sheet_translated", _rename("Weights", "Bobot"),
     "sheet Weights is missing; sheet Bobot has its columns: name it Weights"),
    ("pins_sheet_translated", _rename("Pins", "Dikunci"),
     "sheet Pins is missing; sheet Dikunci has its columns: name it Pins"),
    ("required_sheet_missing_beside_own_sheet", _own_sheet_instead_of("Trainers", "Notes"),
     "sheet Trainers is missing (sheet Notes is not read: the sheet names stay in English)"),
    ("bad_setting", _set("Policy", 2, "value", "medium"),
     "sheet Policy, row 2, column value: 'medium': input should be 'hard' or 'soft'"),
    ("negative_weight", _set("Weights", 4, "weight", -1),
     "sheet Weights, row 4, column weight: -1: input should be greater than or equal to 0"),
    ("pin_of_unknown_offering", _pins({"offering": "tot-bali/hiv-101/all", "room": "garden"}),
     "sheet Pins, row 2, column offering: 'tot-bali/hiv-101/all': no offering of the instance "
     "has this id (event/topic/audience); did you mean tot-bali/hiv-basics/all?"),
    ("pin_of_a_plenary_breakout",
     _pins({"offering": "tot-bali/role-play-practice/all", "room": "garden"}),
     "sheet Pins, row 2, column offering: 'tot-bali/role-play-practice/all': no offering of the "
     "instance has this id (event/topic/audience); did you mean "
     "tot-bali/role-play-practice/women or tot-bali/role-play-practice/waria?"),
    ("pin_without_audience", _pins({"offering": "tot-bali/partnership", "day": 1, "slot": 1}),
     "sheet Pins, row 2, column offering: 'tot-bali/partnership': no offering of the instance "
     "has this id (event/topic/audience); did you mean tot-bali/partnership/all?"),
    ("pin_far_from_any_offering", _pins({"offering": "xyz", "trainers": "dewi"}),
     "sheet Pins, row 2, column offering: 'xyz': no offering of the instance has this id "
     "(event/topic/audience)"),
    ("pin_without_offering", _pins({"day": 1, "slot": 1}),
     "sheet Pins, row 2, column offering: is required"),
    ("pin_day_not_a_number", _pins({"offering": _OPENING, "day": "first", "slot": 1}),
     "sheet Pins, row 2, column day: 'first' is not a number"),
    ("pin_day_without_slot", _pins({"offering": _OPENING, "day": 1}),
     "sheet Pins, row 2, column day: day and slot are given together or not at all"),
    ("pin_of_unknown_trainer", _pins({"offering": _OPENING, "trainers": "dewi, budi"}),
     "sheet Pins, row 2, column trainers: trainer 'budi' is not defined"),
    ("pin_of_unknown_room", _pins({"offering": _OPENING, "day": 1, "slot": 1},
                                  {"offering": _OPENING, "room": "hall"}),
     "sheet Pins, row 3, column room: room 'hall' is not defined"),
    ("pin_after_the_event", _pins({"offering": "tot-bali/role-play-practice/women", "day": 2,
                                   "slot": 4}),
     "sheet Pins, row 2, column day: 2 slot(s) from day 2 slot 4 leave event 'tot-bali' "
     "(2 days of 4 slots)"),
    ("pins_start_too_many_sessions", _pins({"offering": _OPENING, "day": 1, "slot": 1},
                                           {"offering": _OPENING, "day": 2, "slot": 1},
                                           {"offering": _OPENING, "day": 1, "slot": 1},
                                           {"offering": _OPENING, "day": 2, "slot": 3}),
     "sheet Pins, row 5, column day: pins start 3 sessions; the offering has 2"),
]  # fmt: skip


@pytest.fixture
def good_workbook(tmp_path: Path) -> Path:
    """tests/data/tiny.yaml as a workbook: trainers dewi (row 2) and ketut (row 3), ..."""
    path = tmp_path / "good.xlsx"
    save_instance(path, load_instance(DATA / "tiny.yaml"))
    return path


@pytest.mark.parametrize(("name", "edit", "expected"), BAD, ids=[case[0] for case in BAD])
def test_bad_workbook(
    runner: CliRunner, good_workbook: Path, tmp_path: Path, name: str, edit: Edit, expected: str
) -> None:
    book = openpyxl.load_workbook(good_workbook)
    edit(book)
    path = tmp_path / f"{name}.xlsx"
    book.save(path)
    out = tmp_path / "t.json"
    result = runner.invoke(app, ["solve", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"{path}: {expected}"
    assert "Traceback" not in result.output
    assert not out.exists()


def test_good_workbook_is_good(good_workbook: Path) -> None:
    """The bad cases above break a workbook that loads."""
    assert load_instance(good_workbook) == load_instance(DATA / "tiny.yaml")


def test_not_a_workbook_and_no_half_written_target(runner: CliRunner, tmp_path: Path) -> None:
    fake = tmp_path / "plan.xlsx"
    fake.write_text("name: not a workbook\n", encoding="utf-8")
    target = tmp_path / "plan.yaml"
    result = runner.invoke(app, ["convert", str(fake), str(target)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{fake}: is not an Excel workbook (.xlsx), or it is damaged"
    assert not target.exists()


# Empty cells and defaults: an empty cell takes the model's default; `none` says none.


def _edited(path: Path, *edits: Edit) -> Path:
    book = openpyxl.load_workbook(path)
    for edit in edits:
        edit(book)
    book.save(path)
    return path


def test_empty_cells_take_the_defaults_that_are_not_none(good_workbook: Path) -> None:
    """Blank holiday_country, rest_days and languages: ID, sunday and id, as in YAML."""
    path = _edited(
        good_workbook,
        _set("Provinces", 2, "holiday_country", None),
        _set("Provinces", 2, "rest_days", None),
        _set("Trainers", 2, "languages", "  "),
    )
    instance = read_workbook(path)
    assert instance == load_instance(DATA / "tiny.yaml")
    bali = instance.province("bali")
    assert (bali.holiday_country, bali.rest_days) == ("ID", ("sunday",))
    assert instance.trainer("dewi").languages == ("id",)


@pytest.mark.parametrize("word", ["none", "None", " NONE ", "(none)"])
def test_none_says_no_holidays_no_rest_days_no_languages(good_workbook: Path, word: str) -> None:
    path = _edited(
        good_workbook,
        _set("Provinces", 2, "holiday_country", word),
        _set("Provinces", 2, "rest_days", word),
        _set("Trainers", 2, "languages", word),
    )
    instance = read_workbook(path)
    bali = instance.province("bali")
    assert (bali.holiday_country, bali.rest_days) == (None, ())
    assert instance.trainer("dewi").languages == ()


def test_convert_writes_none_where_the_instance_has_none(runner: CliRunner, tmp_path: Path) -> None:
    """YAML -> workbook -> YAML keeps no holidays, no rest days and no languages."""
    data = load_instance(DATA / "tiny.yaml").model_dump(mode="json")
    data["provinces"][0].update(holiday_country=None, rest_days=[])
    data["trainers"][0]["languages"] = []
    instance = Instance.model_validate(data)
    book = _converted_there_and_back(runner, instance, tmp_path)
    provinces = list(openpyxl.load_workbook(book)["Provinces"].iter_rows(values_only=True))
    assert provinces[1] == ("bali", "Bali", "Denpasar", "none", None, "none", "WITA")
    trainers = openpyxl.load_workbook(book)["Trainers"]
    assert [trainers["E2"].value, trainers["E3"].value] == ["none", "id"]
    defaults = load_instance(DATA / "tiny.yaml")
    write_workbook(book, defaults)
    provinces = list(openpyxl.load_workbook(book)["Provinces"].iter_rows(values_only=True))
    assert provinces[1] == ("bali", "Bali", "Denpasar", "ID", None, "sunday", "WITA")


# Sheets the tool does not read.


def test_own_sheet_is_read_past_with_a_warning(good_workbook: Path) -> None:
    path = _edited(good_workbook, lambda book: book.create_sheet("Notes").append(["my notes"]))
    with pytest.warns(WorkbookWarning) as caught:
        instance = read_workbook(path)
    assert instance == load_instance(DATA / "tiny.yaml")
    assert [str(warning.message) for warning in caught] == [
        f"{path}: sheets not read (not sheets of this workbook; the sheet names stay in "
        "English): Notes"
    ]


def test_left_out_optional_sheet_beside_own_sheet_is_named(
    runner: CliRunner, good_workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warning names the optional sheets left out too; the command line shows it on stderr
    and goes on. In Indonesian when the workbook's language is."""
    path = _edited(
        good_workbook,
        _remove_sheet("Weights"),
        lambda book: book.create_sheet("Catatan").append(["rule", "bobot"]),
    )
    monkeypatch.setattr(warnings, "showwarning", show_warning)
    target = tmp_path / "back.yaml"
    result = runner.invoke(app, ["convert", str(path), str(target)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (
        f"warning: {path}: sheets not read (not sheets of this workbook; the sheet names stay in "
        "English): Catatan; sheets left out, read as empty: Weights"
    )
    assert load_instance(target) == load_instance(DATA / "tiny.yaml")
    _edited(path, _set("Instance", 2, "language", "id"))
    with pytest.warns(WorkbookWarning, match="lembar yang tidak dibaca .*: Catatan; lembar yang"):
        read_workbook(path)


def test_instruction_sheet_in_either_language_reads_without_warning(tmp_path: Path) -> None:
    for lang in ("en", "id"):
        path = tmp_path / f"{lang}.xlsx"
        write_workbook(path, load_instance(DATA / "tiny.yaml"), lang)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            read_workbook(path)
