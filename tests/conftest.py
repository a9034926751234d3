"""Shared fixtures: paths to test data and bundled instances, and a CLI runner.

Property tests draw new examples on every local run; under `CI` (set by `.ci/run`) they draw
the same ones every time, so that a failure there is one anybody can reproduce, and a
random example found locally is fixed before it can fail an unrelated change.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import settings
from ortools.sat.python import cp_model
from typer.testing import CliRunner

import scheduler.solve
from models import Instance
from scheduler.compile import Problem, compile_instance
from scheduler.loader import load_instance
from scheduler.model import TimetableModel, build_model

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
INSTANCES = ROOT / "instances"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


ITC = ROOT / "benchmarks" / "data" / "itc2007"


def first_timetable(name: str) -> tuple[Instance, Problem, TimetableModel, list[int], float]:
    """The bundled instance `name`, compiled, its whole model, and the values and objective
    of the model's first solution (two workers, at most 20 s)."""
    instance = load_instance(INSTANCES / f"{name}.yaml")
    problem = compile_instance(instance)
    whole = build_model(problem)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.max_time_in_seconds = 20
    solver.parameters.stop_after_first_solution = True
    assert solver.solve(whole.model) == cp_model.FEASIBLE
    return instance, problem, whole, list(solver.response_proto.solution), solver.objective_value


def beside_stand_in(
    tm: TimetableModel, objective: float
) -> tuple[scheduler.solve._Outcome, float, scheduler.solve.StopHandle]:
    """`_RelaxedBound` beside a stand-in search that reports a timetable of `objective`
    and then waits (at most 50 s) to be stopped: the outcome, the seconds it took, and the
    caller's stop handle."""
    started = time.perf_counter()
    stop = scheduler.solve.StopHandle()
    context = scheduler.solve._Context(started, 1, 1, None, stop, 0, False)
    relaxed = scheduler.solve._RelaxedBound(tm, 60.0, context)

    def waiting(inner: scheduler.solve._Context) -> scheduler.solve._Outcome:
        assert inner.progress is not None
        inner.progress(scheduler.solve.Progress(0.1, objective, 0.0))
        while not inner.stop.stopped and time.perf_counter() - started < 50:
            time.sleep(0.05)
        return scheduler.solve._Outcome("FEASIBLE", [], objective, 0.0, 0.1, 0.1)

    outcome = relaxed.beside(waiting)
    return outcome, time.perf_counter() - started, stop
