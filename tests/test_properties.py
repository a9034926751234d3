"""Property: whatever the solver returns passes the checker; a proven-impossible instance exits 1."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from typer.testing import CliRunner

from scheduler.checker import check
from scheduler.cli import app
from scheduler.errors import InputError
from scheduler.loader import instance_from_data
from scheduler.solve import solve
from tests.strategies import instances

OUTCOMES: dict[str, int] = {}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_solver_output_passes_the_checker(data: dict[str, Any]) -> None:
    try:
        instance = instance_from_data(data, "random")
    except InputError:
        assume(False)
        raise  # not reached: assume(False) abandons the example
    result = solve(instance, time_limit=2.0, deterministic=True)
    OUTCOMES[result.status] = OUTCOMES.get(result.status, 0) + 1
    if result.timetable is not None:
        report = check(instance, result.timetable)
        assert report.violations == (), [v.message for v in report.violations]
        assert report.total == result.objective
    elif result.status == "INFEASIBLE":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "random.yaml"
            out = Path(folder) / "t.json"
            path.write_text(yaml.safe_dump(data))
            cli = CliRunner().invoke(
                app, ["solve", str(path), "--time-limit", "5", "--out", str(out)]
            )
            assert cli.exit_code == 1
            assert "No timetable exists" in cli.stderr
            assert not out.exists()


def test_the_property_saw_both_outcomes() -> None:
    """The random instances cover both feasible and proven-infeasible cases."""
    if not OUTCOMES:  # run alone: the property test did not run first
        test_solver_output_passes_the_checker()
    assert OUTCOMES.get("OPTIMAL", 0) + OUTCOMES.get("FEASIBLE", 0) > 0
    assert OUTCOMES.get("INFEASIBLE", 0) > 0
