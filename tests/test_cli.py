"""The `tot` command as a planner uses it: solve, write, check, interrupt, fail."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from models import Instance
from scheduler.checker import check
from scheduler.cli import _ProgressPrinter, app
from scheduler.loader import instance_from_data, load_instance, read_structured
from scheduler.solve import LevelResult, Progress, Result
from scheduler.timetable_io import read_timetable
from tests.conftest import DATA, INSTANCES


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_solve_writes_a_timetable_that_check_accepts(
    runner: CliRunner, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"timetable{suffix}"
    solved = runner.invoke(
        app, ["solve", str(DATA / "tiny.yaml"), "--time-limit", "10", "--out", str(out)]
    )
    assert solved.exit_code == 0, solved.output
    assert "Penalties per soft constraint" in solved.output
    assert "Cost: Rp " in solved.output
    assert "day 1" in solved.output and "tot-bali" not in solved.stderr
    assert out.exists()
    checked = runner.invoke(app, ["check", str(DATA / "tiny.yaml"), str(out)])
    assert checked.exit_code == 0, checked.output
    assert "Feasible: no hard rule is broken." in checked.output
    total = _total(solved.output)
    assert total == _total(checked.output)


def _total(output: str) -> int:
    line = next(line for line in output.splitlines() if "total" in line)
    return int(line.split("│")[-2].strip())


def test_json_is_complete_and_reads_back(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    result = runner.invoke(app, ["solve", str(DATA / "tiny.yaml"), "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["format"] == "tot-timetable/1"
    assert data["solver"]["status"] in ("OPTIMAL", "FEASIBLE")
    assert data["score"]["total"] == data["solver"]["objective"]
    instance: Instance = load_instance(DATA / "tiny.yaml")
    assert read_timetable(out, instance).sessions[0].id == data["sessions"][0]["id"]


def test_csv_round_trip_keeps_every_session(runner: CliRunner, tmp_path: Path) -> None:
    json_out, csv_out = tmp_path / "t.json", tmp_path / "t.csv"
    runner.invoke(
        app, ["solve", str(DATA / "tiny.yaml"), "-q", "--deterministic", "--out", str(json_out)]
    )
    runner.invoke(
        app, ["solve", str(DATA / "tiny.yaml"), "-q", "--deterministic", "--out", str(csv_out)]
    )
    instance = load_instance(DATA / "tiny.yaml")
    from_json = read_timetable(json_out, instance)
    from_csv = read_timetable(csv_out, instance)
    assert from_csv.sessions == from_json.sessions
    assert from_csv.events == from_json.events


def test_infeasible_instance_exits_1_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    result = runner.invoke(app, ["solve", str(DATA / "infeasible_day.yaml"), "--out", str(out)])
    assert result.exit_code == 1
    assert "No timetable exists" in result.stderr and "proven" in result.stderr
    assert not out.exists()


def test_check_reports_violations_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    runner.invoke(app, ["solve", str(DATA / "tiny.yaml"), "-q", "--out", str(out)])
    data = json.loads(out.read_text())
    data["sessions"][1]["date"] = data["sessions"][0]["date"]
    data["sessions"][1]["slot"] = data["sessions"][0]["slot"]
    data["sessions"][1]["day"] = data["sessions"][0]["day"]
    data["sessions"][1].pop("start_time", None)
    data["sessions"][1].pop("end_time", None)
    out.write_text(json.dumps(data))
    result = runner.invoke(app, ["check", str(DATA / "tiny.yaml"), str(out)])
    assert result.exit_code == 1
    assert "Infeasible:" in result.output


def test_schema_is_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Instance"
    assert {"provinces", "venues", "trainers", "events"} <= set(schema["properties"])


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery as on a terminal")
def test_ctrl_c_keeps_the_best_timetable(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", "solve", str(INSTANCES / "tot-1999.yaml"),
         "--time-limit", "120", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    started = time.monotonic()
    assert process.stderr is not None
    for line in process.stderr:  # wait for the first improving timetable
        if "best" in line or time.monotonic() > deadline:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert time.monotonic() - started < 90
    assert "stopped by the user" in stdout
    assert "Traceback" not in stderr
    assert json.loads(out.read_text())["solver"]["status"] == "FEASIBLE"


def test_progress_lines_show_each_better_timetable_and_a_rising_bound_now_and_then() -> None:
    out = io.StringIO()
    printer = _ProgressPrinter(Console(file=out, width=200, color_system=None), "en")
    reports = [
        (1.0, 700, 500),  # the first timetable
        (1.2, 700, 510),  # the bound only, soon after: not shown
        (1.8, 690, 510),  # a better timetable half a second later: shown
        (4.0, 690, 560),  # the bound only, 2.2 s later: not shown
        (7.0, 690, 580),  # the bound only, 5.2 s after the last line: shown
    ]
    for elapsed, objective, bound in reports:
        printer(Progress(elapsed, objective, bound))
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["1.0s", "1.8s", "7.0s"]
    assert "best 690  bound 580" in lines[-1]


@pytest.mark.parametrize(
    ("option", "value"), [("--seed", "2147483648"), ("--workers", "257"), ("--workers", "0")]
)
def test_out_of_range_solver_options_are_refused(
    runner: CliRunner, option: str, value: str
) -> None:
    """CP-SAT's seed is 32 bits; a huge one crashed the solver before the limit."""
    result = runner.invoke(app, ["solve", str(DATA / "tiny.yaml"), option, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert "Traceback" not in result.output


def test_the_last_progress_line_is_the_result_and_is_not_repeated() -> None:
    out = io.StringIO()
    printer = _ProgressPrinter(Console(file=out, width=200, color_system=None), "en")
    printer(Progress(1.0, 700, 500))
    printer(Progress(1.2, 690, 520))  # better, but too soon after the last line: not shown
    printer.finish(_result(690, 520.0))  # the result that report was: shown now
    printer.finish(_result(690, 520.0))  # the same again: not repeated
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "best 690  bound 520" in lines[-1]


def _result(objective: int, bound: float) -> Result:
    level = LevelResult(("S1",), "FEASIBLE", objective, bound)
    return Result("FEASIBLE", None, objective, bound, None, {}, 1.0, 1.0, 2.0, 0.1, levels=[level])


def test_a_closed_pipe_keeps_the_file_and_the_status(tmp_path: Path) -> None:
    """`tot solve ... --out t.json | head`: the reader goes away before the printout, yet
    the timetable is written and the exit status is still that of a timetable found."""
    out = tmp_path / "t.json"
    args = [sys.executable, "-m", "scheduler.cli", "solve", str(DATA / "tiny.yaml")]
    process = subprocess.Popen(
        [*args, "-t", "5", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the first line
    _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors
    assert b"Traceback" not in errors
    timetable = read_timetable(out, load_instance(DATA / "tiny.yaml"))
    assert check(load_instance(DATA / "tiny.yaml"), timetable).feasible


def test_timetables_as_spreadsheets_save_them(runner: CliRunner, tmp_path: Path) -> None:
    """A timetable saved by a spreadsheet program: a byte-order mark, `;` between columns
    (the Indonesian locale's CSV), times as `8:30`; JSON with a byte-order mark."""
    instance = DATA / "tiny.yaml"
    plain = tmp_path / "t.csv"
    solved = runner.invoke(app, ["solve", str(instance), "-t", "5", "-q", "--out", str(plain)])
    assert solved.exit_code == 0, solved.output
    rows = list(csv.reader(io.StringIO(plain.read_text(encoding="utf-8"))))
    start = rows[0].index("start_time")
    for row in rows[1:]:
        row[start] = row[start].lstrip("0")  # 08:30 -> 8:30
    assert any(row[start].startswith("8:") for row in rows[1:])
    excel = tmp_path / "excel.csv"
    with excel.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    marked = tmp_path / "marked.json"
    json_out = tmp_path / "t.json"
    runner.invoke(app, ["export", str(instance), str(plain), "--out", str(json_out)])
    marked.write_text(json_out.read_text(encoding="utf-8"), encoding="utf-8-sig")
    expected = runner.invoke(app, ["check", str(instance), str(plain)])
    assert expected.exit_code == 0, expected.output
    for path in (excel, marked):
        result = runner.invoke(app, ["check", str(instance), str(path)])
        assert result.exit_code == 0, result.output
        assert result.stdout == expected.stdout


def test_codes_in_either_case(runner: CliRunner, tmp_path: Path) -> None:
    """`holiday_country: id` is Indonesia, and `--lang ID` is Indonesian."""
    data = read_structured(DATA / "tiny.yaml")
    for province in data["provinces"]:
        province["holiday_country"] = "id"
    instance = instance_from_data(data, "lower.yaml")
    assert {p.holiday_country for p in instance.provinces} == {"ID"}
    result = runner.invoke(app, ["solve", str(DATA / "tiny.yaml"), "-t", "5", "--lang", "ID"])
    assert result.exit_code == 0, result.output
    assert "Penalti per aturan lunak" in result.output


def test_the_last_progress_line_is_where_the_search_ended(runner: CliRunner) -> None:
    result = runner.invoke(app, ["solve", str(INSTANCES / "ntt.yaml"), "-t", "3"])
    assert result.exit_code == 0, result.output
    last = result.stderr.strip().splitlines()[-1].split()
    summary = " ".join(result.stdout.split())
    objective = last[last.index("best") + 1]
    assert f"objective {objective}," in summary
