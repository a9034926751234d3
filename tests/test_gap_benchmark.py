"""benchmarks/gap.py: the cost bound from trainer-day counts is a bound."""

from __future__ import annotations

import pytest

from benchmarks import common
from benchmarks.gap import day_count_bound, solve_part
from scheduler.checker import check
from scheduler.loader import load_instance
from scheduler.solve import solve
from tests.conftest import INSTANCES


@pytest.mark.parametrize("name", ["bali", "sulsel", "ntt"])
def test_the_day_count_bound_is_at_most_the_cost_of_a_checked_timetable(name: str) -> None:
    path = INSTANCES / f"{name}.yaml"
    row = day_count_bound(str(path), 10)
    assert row["status"] == "OPTIMAL"
    instance = load_instance(path)
    result = solve(instance, time_limit=3, workers=2, seed=0)
    assert result.timetable is not None
    report = check(instance, result.timetable)
    assert report.feasible
    assert 0 < row["objective"] <= report.penalties["S5"]


def test_cost_alone_is_solved_with_every_other_weight_zero() -> None:
    """On NTT cost alone is proven optimal at once, and no timetable costs less than that."""
    path = str(INSTANCES / "ntt.yaml")
    row = solve_part(path, "S5", 2, 20, 0)
    assert row["status"] == "OPTIMAL"
    assert row["objective"] >= day_count_bound(path, 10)["objective"]
    full = solve(load_instance(path), time_limit=3, workers=2, seed=0)
    assert full.penalties["S5"] >= row["objective"]


def test_the_day_count_bound_is_for_one_event() -> None:
    with pytest.raises(ValueError, match="one event"):
        day_count_bound(str(INSTANCES / "tot-1999.yaml"), 10)


def _failing_task() -> dict[str, object]:
    raise RuntimeError("no timetable to repair")


def test_a_failed_benchmark_task_fails_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    """A task that raises leaves an ERROR row, says so on stderr, and `finish` exits non-zero."""
    common._FAILED.clear()
    row = common.run_isolated(_failing_task)
    assert row["status"] == "ERROR: no timetable to repair"
    assert "_failing_task: ERROR: no timetable to repair" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="1 benchmark task"):
        common.finish()
    common._FAILED.clear()
    common.finish()  # nothing failed: no exit
