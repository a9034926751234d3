"""benchmarks/bounds.py: an event's day model with slots, and its timetable completed on the
whole model and checked."""

from __future__ import annotations

from benchmarks.bounds import bound_one
from tests.conftest import INSTANCES


def test_the_ntt_event_of_the_programme_is_proven_optimal_by_its_day_model() -> None:
    """Its optimum with slots, 466, is reached by a checked timetable of the whole model
    (with the starts fixed, or else with only the days fixed), so 466 is the event's
    optimum."""
    row = bound_one(str(INSTANCES / "tot-1999.yaml"), "tot-ntt", True, 60.0, 0)
    assert row["status"] == "OPTIMAL" and row["bound"] == 466
    assert row["completed"] == row["checker_total"] == 466
    assert row["feasible"] is True and row["completed_by"] in ("starts", "days")
