"""ITC2007 Track 3 through the engine: reading, scoring, writing, and the checker's agreement."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scheduler.checker import check
from scheduler.cli import app
from scheduler.itc2007 import (
    CttInstance,
    parse_sol,
    read_ctt,
    read_sol,
    score_solution,
    solution_lines,
    solution_to_timetable,
    to_instance,
)
from scheduler.solve import solve
from tests.conftest import DATA, ITC

SAMPLES = [  # instance, RC, MWD, CC, RS, total (FORMAT.md §6)
    ("comp01", 4, 0, 0, 1, 5),
    ("comp02", 0, 10, 26, 0, 36),
    ("comp03", 0, 20, 46, 0, 66),
    ("comp04", 0, 5, 32, 0, 37),
    ("comp05", 0, 190, 114, 1, 305),
    ("comp06", 0, 5, 28, 7, 40),
    ("comp07", 0, 0, 10, 4, 14),
]


def test_toy_example_scores_as_the_report_says() -> None:
    ctt = read_ctt(ITC / "toy.ctt")
    score = score_solution(ctt, read_sol(ITC / "sample_solutions" / "toy_itc2007_example.sol", ctt))
    assert score.terms() == {
        "Lectures": 0, "Conflicts": 3, "Availability": 0, "RoomOccupation": 2,
        "RoomCapacity": 8, "MinWorkingDays": 15, "CurriculumCompactness": 4, "RoomStability": 3,
    }  # fmt: skip
    assert (score.violations, score.cost) == (5, 30)


@pytest.mark.parametrize(("name", "rc", "mwd", "cc", "rs", "total"), SAMPLES)
def test_sample_solutions(name: str, rc: int, mwd: int, cc: int, rs: int, total: int) -> None:
    ctt = read_ctt(ITC / f"{name}.ctt")
    solution = read_sol(ITC / "sample_solutions" / f"{name}.sol", ctt)
    score = score_solution(ctt, solution)
    assert score.violations == 0
    assert (score.room_capacity, score.min_working_days) == (rc, mwd)
    assert (score.curriculum_compactness, score.room_stability, score.cost) == (cc, rs, total)
    # The general checker, on the same timetable of the mapped instance, agrees exactly.
    instance = to_instance(ctt, name)
    report = check(instance, solution_to_timetable(ctt, solution))
    assert report.feasible, [v.message for v in report.violations[:3]]
    assert report.total == total
    assert (report.penalties["S1"], 5 * report.penalties["S2"]) == (rc, mwd)
    assert (2 * report.penalties["S3"], report.penalties["S4"]) == (cc, rs)


def test_check_command_reports_the_validator_terms(runner: CliRunner) -> None:
    toy = runner.invoke(
        app,
        ["check", str(ITC / "toy.ctt"), str(ITC / "sample_solutions" / "toy_itc2007_example.sol")],
    )
    assert toy.exit_code == 1
    assert "Violations = 5, Total Cost = 30" in toy.output
    comp01 = runner.invoke(
        app, ["check", str(ITC / "comp01.ctt"), str(ITC / "sample_solutions" / "comp01.sol")]
    )
    assert comp01.exit_code == 0
    assert "Total Cost = 5" in comp01.output and "Violations" not in comp01.output


@pytest.mark.parametrize("name", ["toy", "comp01"])
def test_solve_writes_a_sol_that_scores_what_the_solver_said(
    runner: CliRunner, tmp_path: Path, name: str
) -> None:
    out = tmp_path / f"{name}.sol"
    solved = runner.invoke(
        app, ["solve", str(ITC / f"{name}.ctt"), "--time-limit", "15", "--out", str(out)]
    )
    assert solved.exit_code == 0, solved.output
    assert "Cost:" not in solved.output  # no rupiah for a benchmark without fees
    objective = int(solved.output.split("objective ")[1].split(",")[0])
    checked = runner.invoke(app, ["check", str(ITC / f"{name}.ctt"), str(out)])
    assert checked.exit_code == 0, checked.output
    assert f"Total Cost = {objective}" in checked.output
    ctt = read_ctt(ITC / f"{name}.ctt")
    lines = out.read_text().split()
    assert len(lines) == 4 * sum(c.lectures for c in ctt.courses.values())
    assert {lines[i + 1] for i in range(0, len(lines), 4)} <= set(ctt.rooms)


def test_sol_needs_a_ctt_instance(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["solve", str(DATA / "tiny.yaml"), "--out", str(tmp_path / "t.sol")]
    )
    assert result.exit_code == 2
    assert "(.sol needs a .ctt instance)" in result.stderr


BAD = [
    ("bad_header.ctt", "line 3: header: expected 'Rooms: <value>', found 'Room: 2'"),
    (
        "count_mismatch.ctt",
        "line 9: the header announces 5 line(s) of COURSES but the section has 4",
    ),
    (
        "curriculum_count_mismatch.ctt",
        "line 20: curriculum 'Cur1': announces 4 course(s) but lists 3",
    ),
    (
        "day_out_of_range.ctt",
        "line 31: unavailability of course 'ArcTec': day 5 is out of range 0..4",
    ),
    ("duplicate_room.ctt", "line 17: room 'A': defined twice"),
    (
        "lectures_not_a_number.ctt",
        "line 10: course 'SceCosC': lectures: 'three' is not a whole number",
    ),
    ("missing_end.ctt", "the file ends where 'END.' was expected"),
    (
        "period_out_of_range.ctt",
        "line 27: unavailability of course 'TecCos': period 4 is out of range 0..3",
    ),
    (
        "unknown_course_in_curriculum.ctt",
        "line 21: curriculum 'Cur2': course 'GeoTec' is not defined",
    ),
    ("unknown_course_unavailable.ctt", "line 24: unavailability: course 'TecCoz' is not defined"),
]


@pytest.mark.parametrize(("name", "expected"), BAD, ids=[n for n, _ in BAD])
def test_malformed_ctt(runner: CliRunner, name: str, expected: str, tmp_path: Path) -> None:
    path = DATA / "itc2007" / name
    result = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "x.sol")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{path}: {expected}"
    assert not (tmp_path / "x.sol").exists()


def test_validator_skips_what_the_official_one_skips() -> None:
    ctt = read_ctt(ITC / "toy.ctt")
    solution = parse_sol(
        "SceCosC A 0 0\nSceCosC B 0 0\nNoSuch A 1 1\nArcTec Z 1 1\nArcTec A 9 0\nGeotec A x y\nTecCos A 1 1\n",
        ctt,
    )
    assert [a.course for a in solution.assignments] == ["SceCosC"]
    assert len(solution.warnings) == 5


@st.composite
def small_ctt(draw: st.DrawFn) -> CttInstance:
    """A random small CB-CTT instance that has feasible timetables more often than not."""
    rng = random.Random(draw(st.integers(0, 10**6)))
    days, periods = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    num_courses = draw(st.integers(2, 6))
    teachers = [f"t{i}" for i in range(draw(st.integers(1, num_courses)))]
    from scheduler.itc2007 import Course

    courses = {
        f"c{i}": Course(
            f"c{i}", rng.choice(teachers), rng.randint(1, 3), rng.randint(1, 3), rng.randint(5, 60)
        )
        for i in range(num_courses)
    }
    rooms = {f"r{i}": rng.randint(10, 60) for i in range(draw(st.integers(1, 3)))}
    curricula = {
        f"q{i}": sorted(rng.sample(sorted(courses), rng.randint(1, min(3, num_courses))))
        for i in range(draw(st.integers(1, 3)))
    }
    unavailable = {
        (c, rng.randrange(days), rng.randrange(periods))
        for c in courses
        for _ in range(rng.randint(0, 2))
    }
    return CttInstance("random", days, periods, courses, rooms, curricula, unavailable)


@settings(max_examples=15, deadline=None)
@given(small_ctt())
def test_random_cbctt_ud2_equals_the_solver_objective(ctt: CttInstance) -> None:
    instance = to_instance(ctt, "random")
    result = solve(instance, time_limit=3, deterministic=True)
    assume(result.timetable is not None)  # no timetable exists: nothing to compare
    assert result.timetable is not None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.sol"
        path.write_text("\n".join(solution_lines(result.timetable)) + "\n")
        score = score_solution(ctt, read_sol(path, ctt))
    assert score.violations == 0
    assert score.cost == result.objective
