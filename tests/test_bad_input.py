"""Bad input: one line naming file, entity, field and problem; exit status 2; no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scheduler.cli import app, show_warning
from tests.conftest import DATA

BAD = DATA / "bad"

CASES = [
    ("accented_id.yaml", "trainer 'déwi', field 'id': 'déwi': an id is letters, digits, '-', '_' and '.' (no spaces or accents)"),
    ("avoided_slot_out_of_range.yaml", "trainer 'dewi', field 'preferences.avoid_slots': slot 9 is beyond the 4 slots a day of every event"),
    ("bad_date.yaml", "event 'tot-bali', field 'window.end': '1999-02-30': input should be a valid date"),
    ("bad_json.json", "line 1: invalid JSON"),
    ("count_too_large.yaml", "topic 'partnership', field 'min_days': 1000000000000000000000000000000: input should be less than or equal to 1000"),
    ("curriculum_group_not_in_event.yaml", "event 'tot-bali', field 'curriculum': curriculum topic 'partnership': group 'staff' does not attend this event"),
    ("duplicate_key.yaml", "line 45: invalid YAML (key 'daily_fee' appears twice in one mapping)"),
    ("duplicate_trainer.yaml", "trainer 'dewi', field 'id': the id is used 2 times"),
    ("duplicate_travel_link.yaml", "travel link 'bali-bali', field 'between': a link needs two different provinces"),
    ("fee_too_large.yaml", "trainer 'dewi', field 'daily_fee': 5000000000000: input should be less than or equal to 1000000000000"),
    ("fee_with_separator.yaml", "trainer 'dewi', field 'daily_fee': 400.0: rupiah are a whole number written without separators or decimals (650000, not 650.000 or 650,000)"),
    ("fee_not_a_number.yaml", "trainer 'ketut', field 'daily_fee': 'abc': input should be a valid integer"),
    ("missing_capacity.yaml", "room 'pendopo', field 'capacity': is required"),
    ("misspelt_field.yaml", "event 'tot-bali', field 'windw': is not a known field (did you mean 'window'?)"),
    ("negative_fee.yaml", "trainer 'dewi', field 'daily_fee': -5: input should be greater than or equal to 0"),
    ("negative_weight.yaml", "policy, field 'weights.S3': -1: input should be greater than or equal to 0"),
    ("no_qualified_trainer.yaml", "topic 'planning', field 'facilitators': position 'lead' needs 1 provincial trainer(s)"),
    ("not_a_mapping.yaml", "expected a mapping with the instance's sections at the top"),
    ("open_topic_twice.yaml", "event 'tot-bali', field 'curriculum': curriculum topic 'hiv-basics': taught twice with no groups; give one item with more attendees, or name the groups of each"),
    ("objective_out_of_range.yaml", "policy, field 'weights': costs and weights could make the objective reach 1.8e+18, beyond the 9.0e+15"),
    ("scenario_as_instance.yaml", "is a scenario, not an instance (write its instance with `tot scenario apply"),
    ("session_longer_than_day.yaml", "topic 'role-play-practice', field 'slots_per_session': a session of 5 slots is longer than a day"),
    ("slot_time_with_zone.yaml", "event 'tot-bali', field 'slots[4].end': 16:30+08:00: a clock time has no time zone (the province's time_zone gives it)"),
    ("slot_ends_before_start.yaml", "event 'tot-bali', field 'slots[1]': end 08:00 is not after start 08:30"),
    ("timetable_as_instance.json", "is a timetable, not an instance"),
    ("topics_nested_list.yaml", "trainer 'ketut', field 'topics': a list of topics holds topic ids only"),
    ("unknown_facility.yaml", "room 'garden', field 'facilities[1]': 'projektor': input should be 'projector'"),
    ("unknown_field.yaml", "method 'lecture', field 'colour': is not a known field"),
    ("unknown_holiday_country.yaml", "province 'bali', field 'holiday_country': 'XX' is not a country"),
    ("unknown_holiday_subdivision.yaml", "province 'bali', field 'holiday_subdivision': 'NT' is not a subdivision of 'ID'"),
    ("unknown_method_of_topic.yaml", "topic 'planning', field 'methods': method 'brainstorm' is not defined"),
    ("unknown_prerequisite.yaml", "topic 'role-play-practice', field 'prerequisites': topic 'hiv-101' is not defined"),
    ("unknown_role.yaml", "trainer 'ketut', field 'role': 'peer': input should be 'national', 'provincial' or 'community'"),
    ("unknown_topic_of_trainer.yaml", "trainer 'dewi', field 'topics': topic 'hiv-basic' is not defined"),
    ("unquoted_impossible_date.yaml", "event 'tot-bali', field 'window.end': '1999-02-29': input should be a valid date"),
    ("venue_in_other_province.yaml", "event 'tot-bali', field 'venues': venue 'sanur' is in ntt, not bali"),
    ("window_reversed.yaml", "event 'tot-bali', field 'window': end 1999-02-03 is before start 1999-02-05"),
    ("window_shorter_than_event.yaml", "event 'tot-bali', field 'window': 1999-02-01..1999-02-03 has 3 working days; the event needs 4"),
    ("window_too_short_after_holidays.yaml", "event 'tot-bali', field 'window': 1999-01-18..1999-01-20 has 1 working day after holidays and rest days (1999-01-19 Eid al-Fitr; 1999-01-20 Eid al-Fitr Second Day); the event needs 2"),
    ("yaml_syntax.yaml", "line 6: invalid YAML"),
    ("zero_capacity.yaml", "room 'pendopo', field 'capacity': 0: input should be greater than 0"),
]  # fmt: skip


def test_every_bad_file_has_a_case() -> None:
    assert sorted(name for name, _ in CASES) == sorted(p.name for p in BAD.iterdir())


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[name for name, _ in CASES])
@pytest.mark.parametrize("command", ["solve", "check"])
def test_bad_instance(
    runner: CliRunner, command: str, name: str, expected: str, tmp_path: Path
) -> None:
    path = BAD / name
    out = tmp_path / "t.json"
    args = (
        [command, str(path), "--out", str(out)]
        if command == "solve"
        else [command, str(path), str(out)]
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: {expected}")
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["solve", "missing.yaml"], "missing.yaml: no such file"),
        (["solve", "plan.txt"], "plan.txt: unknown kind of file '.txt'"),
        (["solve", str(DATA / "tiny.yaml"), "--out", "t.pdf"], "t.pdf: cannot write '.pdf' files"),
        (
            ["solve", str(DATA / "tiny.yaml"), "--out", "no/such/folder/t.json"],
            "folder 'no/such/folder' does not exist",
        ),
        (["check", str(DATA / "tiny.yaml"), "missing.json"], "missing.json: no such file"),
    ],
)
def test_bad_paths(runner: CliRunner, args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("target", ["t.json", "calendars/"])
def test_unwritable_output(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """A file system that refuses the file (or folder) is one line and exit 2, not a traceback."""

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    out = tmp_path / target
    args = ["solve", str(DATA / "tiny.yaml"), "--time-limit", "5", "-q", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"{str(out).rstrip('/')}: cannot be written (Permission denied)"
    assert not out.exists()


def test_output_over_an_input_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    """`--out` naming the instance (or the timetable read) would lose the planner's file."""
    instance = tmp_path / "plan.json"
    instance.write_text(json.dumps(yaml.safe_load((DATA / "tiny.yaml").read_text()), default=str))
    before = instance.read_text()
    timetable = tmp_path / "t.json"
    solved = runner.invoke(app, ["solve", str(instance), "-t", "5", "-q", "--out", str(timetable)])
    assert solved.exit_code == 0, solved.output
    for args in (
        ["solve", str(instance), "-t", "5", "--out", str(instance)],
        ["export", str(instance), str(timetable), "--out", str(instance)],
        ["export", str(instance), str(timetable), "--out", str(timetable)],
        ["repair", str(instance), "--from", str(timetable), "-t", "5", "--out", str(timetable)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        out = args[-1]
        assert result.stderr.strip() == (
            f"{out}: is an input of this command; write the result to another file"
        )
    assert instance.read_text() == before


def test_force_never_replaces_an_input(runner: CliRunner, tmp_path: Path) -> None:
    """`--force` replaces an existing file, but not the instance converted or the scenario
    (or its base) applied: that would lose the planner's comments and sheets."""
    instance = tmp_path / "plan.yaml"
    instance.write_text((DATA / "tiny.yaml").read_text())
    scenario = tmp_path / "cheaper.yaml"
    scenario.write_text("name: cheaper\nbase: plan.yaml\nchanges: []\n")
    before = instance.read_text(), scenario.read_text()
    for args in (
        ["convert", str(instance), str(instance), "--force"],
        ["scenario", "apply", str(scenario), "--out", str(instance), "--force"],
        ["scenario", "apply", str(scenario), "--out", str(scenario), "--force"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        out = args[2] if args[0] == "convert" else args[-2]
        assert result.stderr.strip() == (
            f"{out}: is an input of this command; write the result to another file"
        )
    assert (instance.read_text(), scenario.read_text()) == before


def test_an_existing_folder_named_as_a_file_is_not_written_into(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`--out t.xlsx` where t.xlsx is a folder: one line, exit 2, not calendars in it."""
    out = tmp_path / "t.xlsx"
    out.mkdir()
    args = ["solve", str(DATA / "tiny.yaml"), "-t", "5", "-q", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"{out}: cannot be written (Is a directory)"
    assert list(out.iterdir()) == []


def test_bad_timetable_csv(runner: CliRunner, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "session,event,topic,groups,date,day,slot,num_slots,start_time,end_time,venue,room,method,trainers\n"
        "x,tot-bali,planning,women;waria,1999-02-31,1,1,1,,,sanur,pendopo,discussion,dewi:lead\n"
    )
    result = runner.invoke(app, ["check", str(DATA / "tiny.yaml"), str(table)])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == f"{table}: row 2, column date: '1999-02-31': input should be a valid date or datetime, day value is outside expected range"
    )
    # A date as spreadsheets of the region write it: the format is said.
    table.write_text(table.read_text().replace("1999-02-31", "01/02/1999"))
    result = runner.invoke(app, ["check", str(DATA / "tiny.yaml"), str(table)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"{table}: row 2, column date: '01/02/1999': ")
    assert result.stderr.strip().endswith("(dates are written YYYY-MM-DD)")


def test_real_process_prints_no_traceback() -> None:
    path = BAD / "unknown_topic_of_trainer.yaml"
    done = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "solve", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        done.stderr.strip()
        == f"{path}: trainer 'dewi', field 'topics': topic 'hiv-basic' is not defined"
    )


OTHER_TIMETABLE = {
    "format": "tot-timetable/1",
    "instance": "TOT Kupang",
    "events": [
        {"event": "tot-ntt", "venue": "kupang", "start": "1999-01-21", "dates": ["1999-01-21"]}
    ],
    "sessions": [],
}


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "other.json",
            json.dumps(OTHER_TIMETABLE),
            "timetable of 'TOT Kupang' (events 'tot-ntt'): none of its events is one of 'Tiny TOT'",
        ),
        (
            "format.json",
            json.dumps(OTHER_TIMETABLE | {"format": "tot-timetable/9"}),
            "timetable, field 'format': 'tot-timetable/9': input should be 'tot-timetable/1'",
        ),
        ("plan.xlsx", "PK\x03\x04", "cannot read '.xlsx' timetables (expected .json or .csv)"),
    ],
)
@pytest.mark.parametrize("command", ["check", "repair", "export"])
def test_bad_timetable(
    runner: CliRunner, tmp_path: Path, command: str, name: str, content: str, expected: str
) -> None:
    """A timetable of another instance, of another format or in a workbook is bad input."""
    timetable = tmp_path / name
    timetable.write_text(content)
    instance = str(DATA / "tiny.yaml")
    out = tmp_path / "out.html"
    args = {
        "check": ["check", instance, str(timetable)],
        "repair": ["repair", instance, "--from", str(timetable), "--out", str(tmp_path / "r.json")],
        "export": ["export", instance, str(timetable), "--out", str(out)],
    }[command]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"{timetable}: {expected}"]
    assert not out.exists() and not (tmp_path / "r.json").exists()


def test_timetable_of_a_namesake_programme_is_read_with_a_warning(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timetable of another programme sharing an event id: read, with one warning line."""
    timetable = tmp_path / "t.json"
    args = ["solve", str(DATA / "tiny.yaml"), "-t", "5", "-q", "--out", str(timetable)]
    assert runner.invoke(app, args).exit_code == 0
    data = json.loads(timetable.read_text(encoding="utf-8"))
    data["instance"] = "Example TOT"
    timetable.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(warnings, "showwarning", show_warning)
    result = runner.invoke(app, ["check", str(DATA / "tiny.yaml"), str(timetable)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (
        f"warning: {timetable}: a timetable of 'Example TOT', read as one of 'Tiny TOT'"
    )


def test_an_unwritable_folder_is_found_before_the_search(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after a long search: the folder of --out is tried first."""

    def refuse(*_args: object, **_kwargs: object) -> object:
        raise PermissionError(13, "Permission denied")

    def no_search(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("the search ran")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    monkeypatch.setattr("scheduler.cli.solve", no_search)
    out = tmp_path / "t.json"
    result = runner.invoke(app, ["solve", str(DATA / "tiny.yaml"), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == f"{out}: cannot be written (Permission denied)"
