"""A programme of separate events, solved one event at a time: the parts add up to the whole."""

from __future__ import annotations

import datetime as dt

import pytest
from ortools.sat.python import cp_model

import scheduler.solve
from models import DateRange, Instance
from scheduler.checker import check
from scheduler.compile import compile_instance
from scheduler.decode import decode
from scheduler.decompose import event_instance, merged_decisions, separable_events
from scheduler.loader import load_instance
from scheduler.model import TimetableModel, build_model
from scheduler.solve import complete_timetable
from tests.conftest import INSTANCES


def _programme() -> Instance:
    return load_instance(INSTANCES / "tot-1999.yaml")


def _moved(instance: Instance, event_id: str, start: dt.date, end: dt.date) -> Instance:
    events = tuple(
        ev.model_copy(update={"window": DateRange(start=start, end=end)})
        if ev.id == event_id
        else ev
        for ev in instance.events
    )
    return instance.model_copy(update={"events": events})


def test_events_months_apart_are_separable() -> None:
    programme = _programme()
    assert separable_events(compile_instance(programme))
    assert not separable_events(compile_instance(load_instance(INSTANCES / "bali.yaml")))


def test_events_within_a_travel_day_are_not_separable() -> None:
    programme = _programme()
    # NTT's window ends on Wednesday 27 January; a trainer may travel on the 28th.
    close = _moved(programme, "tot-sulsel", dt.date(1999, 1, 28), dt.date(1999, 2, 6))
    assert not separable_events(compile_instance(close))
    apart = _moved(programme, "tot-sulsel", dt.date(1999, 1, 29), dt.date(1999, 2, 8))
    assert separable_events(compile_instance(apart))


def test_event_instance_keeps_one_event_and_drops_the_workload_balance() -> None:
    programme = _programme()
    part = event_instance(programme, "tot-bali")
    assert [ev.id for ev in part.events] == ["tot-bali"]
    assert part.policy.weights.of("S9") == 0
    assert programme.policy.weights.of("S9") > 0
    assert part.trainers == programme.trainers and part.venues == programme.venues
    offerings = {o.event for o in part.offerings()}
    assert offerings == {"tot-bali"}


def _solved_part(programme: Instance, event_id: str) -> tuple[TimetableModel, list[int], int]:
    part = build_model(compile_instance(event_instance(programme, event_id)))
    part.model.minimize(part.objective())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 3.0
    assert solver.solve(part.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    solution = list(solver.response_proto.solution)
    # the part's own objective with its penalties at their least for its decisions
    completed = complete_timetable(
        part, {v.index: solution[v.index] for v in part.vars.decisions()}, 20
    )
    assert completed is not None
    return part, *completed


def test_events_timetables_together_are_one_of_the_programme() -> None:
    programme = _programme()
    whole = build_model(compile_instance(programme))
    parts = [_solved_part(programme, ev.id) for ev in programme.events]
    decisions = merged_decisions(whole, [(part, values) for part, values, _objective in parts])
    assert decisions is not None
    completed = complete_timetable(whole, decisions, 20.0)
    assert completed is not None
    values, objective = completed
    timetable = decode(whole.problem, whole.vars, values)
    report = check(programme, timetable)
    assert report.violations == ()
    assert report.total == objective
    # Every penalty but the workload balance belongs to one event.
    workload = programme.policy.weights.of("S9") * report.penalties["S9"]
    assert objective == sum(part_objective for _p, _v, part_objective in parts) + workload


@pytest.fixture
def searched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the events that `solve` searches on their own, in order."""
    events: list[str] = []

    def recorded(instance: Instance, event_id: str) -> Instance:
        events.append(event_id)
        return event_instance(instance, event_id)

    monkeypatch.setattr(scheduler.solve, "event_instance", recorded)
    return events


def test_programme_solve_goes_event_by_event_and_passes_the_checker(searched: list[str]) -> None:
    programme = _programme()
    result = scheduler.solve.solve(programme, time_limit=15, workers=2, seed=1)
    # smallest first: NTT (18 sessions), Sulsel (19), Bali (23)
    assert searched == ["tot-ntt", "tot-sulsel", "tot-bali"]
    assert result.timetable is not None and result.bound is not None
    report = check(programme, result.timetable)
    assert report.violations == ()
    assert report.total == result.objective
    assert result.bound <= result.objective


def test_deterministic_mode_goes_event_by_event_and_repeats_itself(searched: list[str]) -> None:
    """The shares of the budget are counted in CP-SAT's work measure: the same every run."""
    programme = _programme()
    runs = [
        scheduler.solve.solve(programme, time_limit=12, seed=7, deterministic=True)
        for _ in range(2)
    ]
    assert searched[:3] == ["tot-ntt", "tot-sulsel", "tot-bali"]
    assert searched[3:] == searched[:3]
    first, second = runs
    assert first.timetable is not None and second.timetable is not None
    assert first.timetable.sessions == second.timetable.sessions
    assert first.objective == second.objective
    report = check(programme, first.timetable)
    assert report.violations == () and report.total == first.objective


def test_events_that_clash_when_joined_are_mended_by_the_whole_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each national trainer may work one day in all: every event alone takes the cheapest
    national trainer, so joined they break H11, and the last search mends that."""
    programme = _programme()
    trainers = tuple(
        t.model_copy(update={"max_days": 1}) if t.role == "national" else t
        for t in programme.trainers
    )
    strict = programme.model_copy(update={"trainers": trainers})
    joined: list[bool] = []
    complete = scheduler.solve.complete_timetable

    def recorded(*args: object) -> object:
        outcome = complete(*args)  # type: ignore[arg-type]
        if args[2] == scheduler.solve.MERGE_SECONDS:  # not a day model's timetable completed
            joined.append(outcome is not None)
        return outcome

    monkeypatch.setattr(scheduler.solve, "complete_timetable", recorded)
    result = scheduler.solve.solve(strict, time_limit=15, workers=2, seed=0)
    assert joined == [False]
    assert result.timetable is not None and result.bound is not None
    report = check(strict, result.timetable)
    assert report.violations == ()
    assert report.total == result.objective
    assert result.bound <= result.objective
