"""The relaxation with rooms counted, not chosen: its bound is one of the whole model."""

from __future__ import annotations

import pytest
from ortools.sat.python import cp_model

import scheduler.solve
from scheduler.checker import check
from scheduler.compile import compile_instance
from scheduler.decode import decode
from scheduler.loader import load_instance
from scheduler.model import build_model
from scheduler.solve import solve
from tests.conftest import INSTANCES, beside_stand_in, first_timetable


@pytest.mark.parametrize("name", ["bali", "sulsel", "tot-1999"])
def test_a_timetable_of_the_whole_model_is_one_of_the_relaxation(name: str) -> None:
    """Its decisions, rooms left out, satisfy the relaxation at no higher penalty: so the
    relaxation's optimum, and any bound of it, is at most the whole model's optimum."""
    instance, problem, whole, values, objective = first_timetable(name)
    timetable = decode(problem, whole.vars, values)
    report = check(instance, timetable)
    assert report.violations == ()
    assert report.total <= round(objective)  # a first solution: slack allowed

    relaxed = build_model(problem, relaxation=True)
    assert not relaxed.vars.room and len(relaxed.vars.x) == len(whole.vars.x)
    for table in ("x", "method", "staff", "block", "venue"):
        ours, theirs = getattr(whole.vars, table), getattr(relaxed.vars, table)
        assert ours.keys() == theirs.keys()
        for key, var in theirs.items():
            relaxed.model.add(var == values[ours[key].index])
    fixed = cp_model.CpSolver()
    fixed.parameters.num_workers = 2
    fixed.parameters.max_time_in_seconds = 20
    assert fixed.solve(relaxed.model) == cp_model.OPTIMAL
    rooms_only = report.penalties.get("S1", 0) + report.penalties.get("S4", 0)
    assert fixed.objective_value <= report.total - rooms_only


def test_bali_gets_the_relaxations_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """With several workers the relaxation runs beside the search of the whole model; its
    bound is the reported one when higher, and the timetable still passes the checker."""
    seen: list[float] = []
    original = scheduler.solve._RelaxedBound._bounded

    def recording(self: scheduler.solve._RelaxedBound, bound: float) -> None:
        seen.append(bound)
        original(self, bound)

    monkeypatch.setattr(scheduler.solve._RelaxedBound, "_bounded", recording)
    instance = load_instance(INSTANCES / "bali.yaml")
    result = solve(instance, time_limit=8, workers=2, seed=0)
    assert result.timetable is not None and result.objective is not None
    assert result.bound is not None and seen
    assert result.bound >= max(seen) - 1e-6
    assert result.bound <= result.objective
    report = check(instance, result.timetable)
    assert report.violations == ()
    assert report.total == result.objective


def test_one_worker_and_levels_search_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise AssertionError("the relaxation should not run")

    monkeypatch.setattr(scheduler.solve._RelaxedBound, "__init__", refuse)
    instance = load_instance(INSTANCES / "ntt.yaml")
    result = solve(instance, time_limit=2, workers=1, seed=0)
    assert result.timetable is not None
    ranked = instance.policy.model_copy(update={"levels": (("S5",), ("S2", "S8", "S9", "S10"))})
    result = solve(instance.model_copy(update={"policy": ranked}), time_limit=2, workers=2)
    assert result.timetable is not None


def test_the_search_ends_once_the_relaxation_proves_its_timetable() -> None:
    """A search whose best timetable the relaxation's bound reaches is stopped, and its
    outcome called optimal (here a stand-in search, waiting to be stopped, that reports
    an objective of 400 on NTT, whose relaxation's bound passes 400 within seconds)."""
    problem = compile_instance(load_instance(INSTANCES / "ntt.yaml"))
    outcome, seconds, stop = beside_stand_in(build_model(problem), 400.0)
    assert seconds < 30
    assert outcome.status == "OPTIMAL" and outcome.bound == 400.0
    assert not stop.stopped  # the caller's handle: the user did not stop it
