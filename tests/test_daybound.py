"""The day model (scheduler.daybound): every timetable is one of it at no higher penalty, so
its optimum bounds the best timetable; beside the search it proves timetables optimal."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

import scheduler.solve
from scheduler.checker import check
from scheduler.compile import Problem, compile_instance
from scheduler.daybound import (
    DayModel,
    applies,
    build_day_model,
    day_count_pairs,
    decision_pairs,
    hint,
)
from scheduler.decode import decode
from scheduler.errors import InputError
from scheduler.loader import instance_from_data, load_instance
from scheduler.model import TimetableModel, build_model
from scheduler.solve import DAY_PARAMS, cp_sat_solver, solve
from tests.conftest import INSTANCES, beside_stand_in, first_timetable
from tests.strategies import instances


def _day_solver(seconds: float = 30.0) -> cp_model.CpSolver:
    """One worker with the settings the solver gives the day models (CP-SAT's own seed)."""
    return cp_sat_solver(1, 1, seconds, False, DAY_PARAMS, False)


def _day_optimum(dm: DayModel, seconds: float = 30.0) -> tuple[int, float]:
    solver = _day_solver(seconds)
    return solver.solve(dm.model), solver.objective_value


def _slots_from_day_optimum(
    name: str,
) -> tuple[Problem, DayModel, DayModel, cp_model.CpSolver]:
    """The bundled instance `name` compiled, its day model, its day model with slots hinted
    with the day model's optimum (as the solver does), and the solver holding that optimum."""
    problem = compile_instance(load_instance(INSTANCES / f"{name}.yaml"))
    days = build_day_model(problem)
    solver = _day_solver()
    assert solver.solve(days.model) == cp_model.OPTIMAL
    with_slots = build_day_model(problem, slots=True)
    hint(with_slots, days, solver.value)
    return problem, days, with_slots, solver


def _fix_to(dm: DayModel, whole: TimetableModel, values: list[int]) -> None:
    """Fix `dm`'s counts to those of a solution (`values`) of the whole model."""
    problem = dm.problem
    sessions: dict[tuple[int, int], int] = defaultdict(int)
    staff: dict[tuple[int, int, int, int], int] = defaultdict(int)
    for (k_idx, period), var in whole.vars.x.items():
        day = period // problem.events[problem.offerings[k_idx].event].num_slots
        sessions[k_idx, day] += values[var.index]
    for (k_idx, period, n, t), var in whole.vars.staff.items():
        day = period // problem.events[problem.offerings[k_idx].event].num_slots
        staff[k_idx, day, n, t] += values[var.index]
    for day_key, count in sessions.items():
        dm.model.add(dm.sessions[day_key] == count)
    for staff_key, count in staff.items():
        dm.model.add(dm.staff[staff_key] == count)
    for table in ("block", "venue"):
        for key, var in getattr(whole.vars, table).items():
            dm.model.add(getattr(dm, table)[key] == values[var.index])
    if dm.slots is not None:
        for start_key, var in whole.vars.x.items():
            dm.model.add(dm.slots.vars.x[start_key] == values[var.index])


@pytest.mark.parametrize("slots", [False, True])
@pytest.mark.parametrize("name", ["bali", "sulsel", "tot-1999"])
def test_a_timetable_of_the_whole_model_is_one_of_the_day_model(name: str, slots: bool) -> None:
    """Its counts per day (and its starts) satisfy the day model (with slots) at no more
    than the checker's total."""
    instance, problem, whole, values, _objective = first_timetable(name)
    report = check(instance, decode(problem, whole.vars, values))
    assert report.violations == ()

    dm = build_day_model(problem, slots=slots)
    _fix_to(dm, whole, values)
    status, objective = _day_optimum(dm)
    assert status == cp_model.OPTIMAL
    assert objective <= report.total + 1e-6  # CP-SAT reports it as a float


@pytest.mark.parametrize(("name", "best_known"), [("ntt", 474), ("sulsel", 568), ("bali", 631)])
def test_the_day_optimum_lies_below_the_best_timetables(name: str, best_known: int) -> None:
    """Proven within seconds, and at most the objective of a checked timetable (NTT's is
    proven optimal; Sulsel's and Bali's are the best found, with `tot solve` and
    `--time-limit 1200` for Bali), yet above the whole model's own bound after a minute
    (Sulsel 550, Bali 608 in benchmarks/results/instances.csv before the day model)."""
    problem = compile_instance(load_instance(INSTANCES / f"{name}.yaml"))
    status, objective = _day_optimum(build_day_model(problem))
    assert status == cp_model.OPTIMAL
    assert objective <= best_known
    assert objective >= 0.98 * best_known


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.booleans())
def test_the_day_optimum_never_exceeds_a_timetable(data: dict[str, Any], slots: bool) -> None:
    """On small random instances: a day model (with slots or not) without a solution has no
    timetable either, and its optimum is at most the total of any timetable found."""
    try:
        instance = instance_from_data(data, "random")
    except InputError:
        assume(False)
        raise  # not reached: assume(False) abandons the example
    problem = compile_instance(instance)
    assume(applies(problem))
    result = solve(instance, time_limit=2.0, deterministic=True)
    status, objective = _day_optimum(build_day_model(problem, slots=slots), seconds=10)
    if result.timetable is None:
        assume(result.status == "INFEASIBLE")
        return
    report = check(instance, result.timetable)
    assert report.violations == ()
    assert status == cp_model.OPTIMAL
    assert objective <= report.total + 1e-6  # CP-SAT reports it as a float


def test_the_day_model_proves_a_timetable_optimal_beside_the_search() -> None:
    """A stand-in search that reports NTT's day optimum as its objective is stopped within
    seconds and called optimal (the day model runs first on the thread beside it)."""
    problem = compile_instance(load_instance(INSTANCES / "ntt.yaml"))
    status, day_optimum = _day_optimum(build_day_model(problem))
    assert status == cp_model.OPTIMAL
    outcome, seconds, _stop = beside_stand_in(build_model(problem), day_optimum)
    assert seconds < 30
    assert outcome.status == "OPTIMAL" and outcome.bound == day_optimum


def test_timetables_are_completed_from_the_day_model_with_slots() -> None:
    """Beside a stand-in search whose timetable is poor, the day model with slots hands its
    timetables to the whole model to complete: the best, NTT's optimum, passes the checker
    and is proven optimal, and the search is stopped."""
    instance = load_instance(INSTANCES / "ntt.yaml")
    problem = compile_instance(instance)
    whole = build_model(problem)
    outcome, seconds, _stop = beside_stand_in(whole, 10_000.0)
    assert seconds < 40
    assert outcome.status == "OPTIMAL" and outcome.values is not None
    assert outcome.objective == outcome.bound == 474
    report = check(instance, decode(problem, whole.vars, outcome.values))
    assert report.violations == () and report.total == 474


def test_sulsel_reports_the_day_bound() -> None:
    """With two workers the reported bound is at least the day model's optimum once that
    is proven (about 2 s on one core), and the timetable passes the checker."""
    instance = load_instance(INSTANCES / "sulsel.yaml")
    status, day_optimum = _day_optimum(build_day_model(compile_instance(instance)))
    assert status == cp_model.OPTIMAL
    result = solve(instance, time_limit=20, workers=2, seed=0)
    assert result.timetable is not None and result.bound is not None
    assert result.bound >= day_optimum
    report = check(instance, result.timetable)
    assert report.violations == () and report.total == result.objective


def test_the_day_model_with_slots_starts_from_the_day_optimum() -> None:
    """Every day variable of the day model with slots is hinted with its value in the day
    model's optimum, and the slots' own starts are left to the search; on Sulsel the first
    timetable it then finds is within 2 % of the optimum (568), not 30 % above it."""
    _problem, days, with_slots, solver = _slots_from_day_optimum("sulsel")
    given = with_slots.model.proto.solution_hint
    hinted = dict(zip(given.vars, given.values, strict=True))
    assert with_slots.slots is not None
    assert not any(x.index in hinted for x in with_slots.slots.vars.x.values())
    for table in ("block", "venue", "sessions", "used", "staff", "works", "engaged"):
        ours, theirs = getattr(with_slots, table), getattr(days, table)
        assert ours.keys() == theirs.keys()
        for key, var in ours.items():
            assert hinted[var.index] == solver.value(theirs[key])

    class First(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
        objective = float("inf")

        def on_solution_callback(self) -> None:
            First.objective = self.objective_value
            self.stop_search()

    _day_solver(20).solve(with_slots.model, First())
    assert 568 <= First.objective <= 568 * 1.02


def test_only_the_day_model_with_slots_maps_to_the_whole_models_decisions() -> None:
    problem = compile_instance(load_instance(INSTANCES / "ntt.yaml"))
    whole = build_model(problem)
    pairs = decision_pairs(build_day_model(problem, slots=True), whole)
    decisions = {var.index for table in (whole.vars.x, whole.vars.block) for var in table.values()}
    assert {index for index, _ours in pairs} >= decisions
    with pytest.raises(ValueError, match="session starts"):
        decision_pairs(build_day_model(problem), whole)


def test_the_day_counts_map_each_offering_and_day_to_its_starts() -> None:
    """Every start of the whole model is summed once, under its own offering and day; block
    and venue alone map from a day model without slots."""
    problem = compile_instance(load_instance(INSTANCES / "sulsel.yaml"))
    whole = build_model(problem)
    days = build_day_model(problem)
    num_slots = problem.events[0].num_slots
    by_index = {var.index: key for key, var in whole.vars.x.items()}
    seen: list[int] = []
    for indices, count in day_count_pairs(days, whole):
        (key,) = [key for key, var in days.sessions.items() if var is count]
        assert {(by_index[i][0], by_index[i][1] // num_slots) for i in indices} == {key}
        seen += indices
    assert sorted(seen) == sorted(by_index)
    pairs = decision_pairs(days, whole, starts=False)
    decisions = {
        var.index for table in (whole.vars.block, whole.vars.venue) for var in table.values()
    }
    assert {index for index, _ours in pairs} == decisions


def test_a_timetable_at_the_slots_optimum_is_searched_with_its_days_fixed() -> None:
    """Once the day model with slots is proven optimal and no timetable reaches its optimum,
    the whole model is searched with its days fixed: on NTT it finds a timetable at the
    optimum, 474, with the sessions of each day those of the day model's timetable, and the
    checker agrees."""
    instance = load_instance(INSTANCES / "ntt.yaml")
    problem = compile_instance(instance)
    whole = build_model(problem)
    with_slots = build_day_model(problem, slots=True)
    solver = _day_solver()
    assert solver.solve(with_slots.model) == cp_model.OPTIMAL
    stop = scheduler.solve.StopHandle()
    context = scheduler.solve._Context(time.perf_counter(), 1, 1, None, stop, 0, False)
    relaxed = scheduler.solve._RelaxedBound(whole, 30.0, context)
    relaxed._complete_days(with_slots, solver)
    completed = relaxed.completed
    assert completed is not None and completed.values is not None
    assert completed.objective == solver.objective_value == 474
    for indices, count in day_count_pairs(with_slots, whole):
        assert sum(completed.values[i] for i in indices) == solver.value(count)
    report = check(instance, decode(problem, whole.vars, completed.values))
    assert report.violations == () and report.total == 474


def _ntt_refuting(known: float) -> tuple[scheduler.solve._RelaxedBound, DayModel, float]:
    """NTT's relaxation with a timetable of objective `known` already found, its day model
    with slots (hinted from the day model's optimum) and that optimum."""
    problem, _days, with_slots, solver = _slots_from_day_optimum("ntt")
    stop = scheduler.solve.StopHandle()
    context = scheduler.solve._Context(time.perf_counter(), 1, 1, None, stop, 0, False, known=known)
    relaxed = scheduler.solve._RelaxedBound(build_model(problem), 30.0, context)
    return relaxed, with_slots, solver.objective_value


@pytest.mark.parametrize("known", [474.0, 490.0])
def test_the_core_search_refutes_a_timetable_cheaper_than_the_best(known: float) -> None:
    """Near the day model's optimum (NTT: 470), the timetables found first are followed by a
    core-based search that refutes any cheaper one: the bound reaches the optimum, 474,
    whether the best known timetable is at it or above it (the first search then finds
    474, and its timetables are completed on the whole model)."""
    relaxed, with_slots, floor = _ntt_refuting(known)
    assert floor == 470
    optimum = relaxed._refuted(with_slots, floor)
    assert relaxed.solver.response_proto.status == cp_model.INFEASIBLE
    assert relaxed.bound == 474
    assert optimum is not None and optimum.objective_value == 474
    assert relaxed.objective < 490  # found first, and completed on the whole model


def test_the_first_search_stops_within_reach_of_the_refutation() -> None:
    """Given the day model's optimum (NTT: 470), the first search stops at its first
    timetable within `REFUTE_GAP` of it (474) instead of waiting for a stall (here one of a
    minute); while its best lies within `NEAR_GAP` but not `REFUTE_GAP`, it may stall
    longer (`FIND_STALL_NEAR`), farther up as long as `FIND_STALL`."""
    relaxed, with_slots, floor = _ntt_refuting(490.0)
    finding = scheduler.solve._Completing(relaxed, with_slots, floor)
    started = time.perf_counter()
    found = relaxed._search(with_slots.model, scheduler.solve.FIND_PARAMS, finding, stall=60.0)
    assert time.perf_counter() - started < 20
    assert found is not None and found.objective_value == finding.best == 474
    assert finding.best <= finding.enough < 475
    stall, near = scheduler.solve.FIND_STALL, scheduler.solve.FIND_STALL_NEAR
    for best, patience in ((476.0, near), (479.0, near), (480.0, stall), (490.0, stall)):
        finding.best = best
        assert finding.patience(stall) == patience
    without_floor = scheduler.solve._Completing(relaxed, with_slots)
    without_floor.best = 474.0
    assert without_floor.patience(stall) == stall


def test_far_from_the_day_optimum_the_lp_search_proves_the_optimum() -> None:
    """With the best timetable far above the day model's optimum (here 0 given as the
    floor), the LP search, not the refutation, proves the optimum of the day model with
    slots."""
    relaxed, with_slots, _floor = _ntt_refuting(490.0)
    optimum = relaxed._refuted(with_slots, 0.0)
    assert relaxed.solver.response_proto.status == cp_model.OPTIMAL
    assert optimum is not None and optimum.objective_value == relaxed.bound == 474


def test_the_relaxation_starts_at_once_when_a_timetable_is_known() -> None:
    """Given the objective of a timetable found before the search (474, NTT's optimum), the
    relaxation starts without waiting for the search's first report, and proves it: a
    stand-in search that never reports is stopped within seconds, its outcome optimal."""
    relaxed, _with_slots, _floor = _ntt_refuting(474.0)
    started = time.perf_counter()

    def silent(inner: scheduler.solve._Context) -> scheduler.solve._Outcome:
        while not inner.stop.stopped and time.perf_counter() - started < 50:
            time.sleep(0.05)
        return scheduler.solve._Outcome("FEASIBLE", [], 474.0, 0.0, 0.1, 0.1)

    outcome = relaxed.beside(silent)
    assert time.perf_counter() - started < 30
    assert outcome.status == "OPTIMAL" and outcome.bound == 474
