"""The solver on real data: every timetable it returns passes the independent checker."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from models import SOFT_IDS, Instance, Policy
from scheduler import solve as solve_module
from scheduler.checker import check
from scheduler.loader import load_instance
from scheduler.solve import Progress, Result, StopHandle, solve
from tests.conftest import DATA, INSTANCES


def assert_checked(instance: Instance, result: Result) -> None:
    """The checker finds no violation and the same total as the solver."""
    assert result.timetable is not None, result.status
    report = check(instance, result.timetable)
    assert report.violations == ()
    assert report.total == result.objective
    for soft_id, value in result.penalties.items():
        assert report.penalties[soft_id] == value, soft_id


def test_tiny_is_solved_to_optimality() -> None:
    instance = load_instance(DATA / "tiny.yaml")
    result = solve(instance, time_limit=20, workers=2)
    assert result.status == "OPTIMAL"
    assert result.bound == result.objective
    assert result.gap == 0
    assert_checked(instance, result)
    assert result.time_to_first is not None and result.time_to_first <= result.runtime


@pytest.mark.parametrize("name", ["bali.yaml", "sulsel.yaml", "ntt.yaml", "tot-1999.yaml"])
def test_bundled_instances_pass_the_checker(name: str) -> None:
    instance = load_instance(INSTANCES / name)
    result = solve(instance, time_limit=6, workers=2)
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert_checked(instance, result)
    assert result.timetable is not None
    assert len(result.timetable.sessions) == sum(o.num_sessions for o in instance.offerings())


def test_deterministic_mode_gives_the_same_timetable_twice() -> None:
    instance = load_instance(INSTANCES / "ntt.yaml")
    first = solve(instance, time_limit=1.5, seed=7, deterministic=True)
    second = solve(instance, time_limit=1.5, seed=7, deterministic=True)
    assert first.timetable is not None and second.timetable is not None
    assert first.timetable.sessions == second.timetable.sessions
    assert first.timetable.events == second.timetable.events
    assert first.objective == second.objective
    assert_checked(instance, first)


def test_priority_levels_keep_the_best_of_level_one() -> None:
    instance = load_instance(DATA / "tiny.yaml")
    policy = instance.policy.model_copy(update={"levels": (("S10",), ("S5", "S8"))})
    ranked = instance.model_copy(update={"policy": policy})
    result = solve(ranked, time_limit=20, workers=2)
    assert [level.soft_ids for level in result.levels][:2] == [("S10",), ("S5", "S8")]
    assert len(result.levels) == 3  # the weighted ids not listed form a last level
    assert_checked(ranked, result)
    only_s10: dict[str, int] = {
        s: (instance.policy.weights.of(s) if s == "S10" else 0) for s in SOFT_IDS
    }
    alone = Policy(weights=instance.policy.weights.model_copy(update=only_s10))
    best_s10 = solve(instance.model_copy(update={"policy": alone}), time_limit=20, workers=2)
    assert result.penalties["S10"] == best_s10.penalties["S10"]


def test_soft_rule_made_hard_holds() -> None:
    instance = load_instance(DATA / "tiny.yaml")
    policy = instance.policy.model_copy(update={"hard": ("S6", "S3")})
    strict = instance.model_copy(update={"policy": policy})
    result = solve(strict, time_limit=20, workers=2)
    assert_checked(strict, result)
    assert result.penalties["S6"] == 0 and result.penalties["S3"] == 0


def test_progress_is_reported_and_stop_keeps_the_best() -> None:
    instance = load_instance(INSTANCES / "tot-1999.yaml")
    stop = StopHandle()
    seen: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress)
        stop.stop()

    started = time.perf_counter()
    result = solve(instance, time_limit=120, workers=2, progress=on_progress, stop=stop)
    assert time.perf_counter() - started < 60
    assert result.stopped
    assert seen and seen[0].objective >= seen[0].bound
    assert_checked(instance, result)


def test_progress_never_goes_back_when_one_search_hands_over_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A day search of three seconds, then the LP tree search from its best timetable: the
    # second search starts from a bound of its own, far below the first one's.
    monkeypatch.setattr(solve_module, "DAY_PHASE", (0.3, 3.0))
    instance = load_instance(INSTANCES / "bali.yaml")
    seen: list[Progress] = []
    result = solve(instance, time_limit=8, workers=2, progress=seen.append)
    assert len(seen) > 1
    for earlier, later in itertools.pairwise(seen):
        assert later.objective <= earlier.objective
        assert later.bound >= earlier.bound
    assert all(p.bound <= p.objective for p in seen)
    assert result.objective is not None and result.objective <= seen[-1].objective
    assert_checked(instance, result)


def test_stop_from_another_thread() -> None:
    instance = load_instance(INSTANCES / "bali.yaml")
    stop = StopHandle()
    timer = threading.Timer(4.0, stop.stop)
    timer.start()
    started = time.perf_counter()
    result = solve(instance, time_limit=120, workers=2, stop=stop)
    timer.cancel()
    assert time.perf_counter() - started < 30
    assert_checked(instance, result)


def test_proven_infeasible_instance() -> None:
    instance = load_instance(DATA / "infeasible_day.yaml")
    result = solve(instance, time_limit=20, workers=2)
    assert result.status == "INFEASIBLE"
    assert result.proven_infeasible and result.timetable is None
