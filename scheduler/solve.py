"""Solve an instance: compile, build the CP-SAT model, search, re-evaluate, decode."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from models import Instance, Score, SoftId, SolverInfo, Timetable
from scheduler.compile import Problem, compile_instance
from scheduler.decode import decode
from scheduler.model import TimetableModel, build_model

STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


@dataclass(frozen=True)
class Progress:
    """A new best timetable during the search."""

    elapsed: float
    objective: float
    bound: float
    level: int = 1
    num_levels: int = 1


class StopHandle:
    """Stops a running search from another thread (Ctrl-C); the best timetable is kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._solver: cp_model.CpSolver | None = None
        self.stopped = False

    def attach(self, solver: cp_model.CpSolver | None) -> None:
        with self._lock:
            self._solver = solver
            if solver is not None and self.stopped:
                solver.stop_search()

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            if self._solver is not None:
                self._solver.stop_search()


@dataclass(frozen=True)
class LevelResult:
    """How one priority level of a lexicographic solve ended."""

    soft_ids: tuple[SoftId, ...]
    status: str
    objective: int | None
    bound: float | None


@dataclass
class Result:
    """The outcome of `solve`: status, timetable, objective, bound, penalties and times."""

    status: str
    timetable: Timetable | None
    objective: int | None
    bound: float | None
    gap: float | None
    penalties: dict[SoftId, int]
    time_to_first: float | None
    time_to_best: float | None
    runtime: float
    build_time: float
    stopped: bool = False
    levels: list[LevelResult] = field(default_factory=list)
    num_variables: int = 0
    num_constraints: int = 0

    @property
    def found(self) -> bool:
        return self.timetable is not None

    @property
    def proven_infeasible(self) -> bool:
        return self.status == "INFEASIBLE"

    def summary(self) -> str:
        """One line: status, objective, bound, gap and times."""
        parts = [self.status]
        if self.objective is not None:
            parts.append(f"objective {self.objective}")
        if self.bound is not None:
            parts.append(f"bound {self.bound:g}")
        if self.gap is not None:
            parts.append(f"gap {100 * self.gap:.2f}%")
        if self.time_to_first is not None:
            parts.append(f"first after {self.time_to_first:.2f}s")
        parts.append(f"{self.runtime:.2f}s in all")
        if self.stopped:
            parts.append("stopped by the user")
        return ", ".join(parts)


class _Monitor(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    """Records the time of the first and best solutions and reports progress."""

    def __init__(
        self,
        start: float,
        level: int,
        num_levels: int,
        report: Callable[[Progress], None] | None,
    ) -> None:
        super().__init__()
        self.start = start
        self.level = level
        self.num_levels = num_levels
        self.report = report
        self.first: float | None = None
        self.best: float | None = None

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.start
        if self.first is None:
            self.first = now
        self.best = now
        if self.report is not None:
            self.report(
                Progress(
                    now,
                    self.objective_value,
                    self.best_objective_bound,
                    self.level,
                    self.num_levels,
                )
            )


def solve(
    instance: Instance,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    *,
    deterministic: bool = False,
    progress: Callable[[Progress], None] | None = None,
    stop: StopHandle | None = None,
    params: Mapping[str, Any] | None = None,
    log: bool = False,
) -> Result:
    """Find the best timetable for `instance` within `time_limit` seconds.

    Defaults come from `instance.policy.solver`. With `deterministic`, the search runs on one
    worker with a fixed seed and a deterministic time budget (CP-SAT's own work measure,
    roughly seconds) instead of the wall clock, so the same input gives the same timetable.
    """
    started = time.perf_counter()
    settings = instance.policy.solver
    time_limit = settings.time_limit if time_limit is None else time_limit
    workers = settings.workers if workers is None else workers
    seed = settings.seed if seed is None else seed
    raw_params = {**settings.cp_sat, **(params or {})}

    problem = compile_instance(instance)
    tm = build_model(problem)
    build_time = time.perf_counter() - started
    stop = stop or StopHandle()

    levels: list[list[SoftId]] = problem.levels or [list(tm.penalties)]
    level_results: list[LevelResult] = []
    values: list[int] | None = None
    first: float | None = None
    best: float | None = None
    status = "UNKNOWN"
    bound: float | None = None
    statuses: list[str] = []
    for number, soft_ids in enumerate(levels, start=1):
        remaining = (
            time_limit - (time.perf_counter() - started) if not deterministic else time_limit
        )
        budget = max(0.1, remaining / (len(levels) - number + 1))
        if deterministic:
            budget = time_limit / len(levels)
        tm.model.minimize(tm.objective(soft_ids))
        solver = _solver(workers, seed, budget, deterministic, raw_params, log)
        monitor = _Monitor(started, number, len(levels), progress)
        stop.attach(solver)
        code = solver.solve(tm.model, monitor)
        stop.attach(None)
        level_status = STATUS_NAMES.get(code, "UNKNOWN")
        statuses.append(level_status)
        if level_status in ("OPTIMAL", "FEASIBLE"):
            values = list(solver.response_proto.solution)
            if first is None:
                first = (
                    monitor.first if monitor.first is not None else time.perf_counter() - started
                )
            best = monitor.best if monitor.best is not None else best
            level_value = round(solver.objective_value)
            level_results.append(
                LevelResult(tuple(soft_ids), level_status, level_value, solver.best_objective_bound)
            )
            bound = solver.best_objective_bound
            if number < len(levels):
                tm.model.add(tm.objective(soft_ids) <= level_value)
                _hint(tm.model, values)
        else:
            level_results.append(LevelResult(tuple(soft_ids), level_status, None, None))
            if values is None:
                status = level_status
                break
        if stop.stopped:
            break

    if values is None:
        return Result(
            status=status,
            timetable=None,
            objective=None,
            bound=None,
            gap=None,
            penalties={},
            time_to_first=None,
            time_to_best=None,
            runtime=time.perf_counter() - started,
            build_time=build_time,
            stopped=stop.stopped,
            levels=level_results,
            num_variables=len(tm.model.proto.variables),
            num_constraints=len(tm.model.proto.constraints),
        )

    all_optimal = len(statuses) == len(levels) and all(s == "OPTIMAL" for s in statuses)
    status = "OPTIMAL" if all_optimal else "FEASIBLE"
    objective, penalties = evaluate(tm, values)
    if len(levels) > 1:
        bound = float(objective) if all_optimal else None
    gap = None
    if bound is not None:
        gap = max(0.0, (objective - bound) / max(1.0, abs(objective)))
    runtime = time.perf_counter() - started
    timetable = decode(problem, tm.vars, values)
    info = SolverInfo(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        time_to_first=first,
        time_to_best=best,
        runtime=runtime,
        workers=1 if deterministic else workers,
        seed=seed,
        deterministic=deterministic,
    )
    score = Score(penalties=penalties, total=objective, cost_idr=cost_idr(problem, timetable))
    timetable = timetable.model_copy(update={"score": score, "solver": info})
    return Result(
        status=status,
        timetable=timetable,
        objective=objective,
        bound=bound,
        gap=gap,
        penalties=penalties,
        time_to_first=first,
        time_to_best=best,
        runtime=runtime,
        build_time=build_time,
        stopped=stop.stopped,
        levels=level_results,
        num_variables=len(tm.model.proto.variables),
        num_constraints=len(tm.model.proto.constraints),
    )


def _solver(
    workers: int,
    seed: int,
    budget: float,
    deterministic: bool,
    raw_params: Mapping[str, Any],
    log: bool,
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.random_seed = seed
    parameters.log_search_progress = log
    # Ctrl-C is Python's: the CLI stops the search through StopHandle and keeps the best.
    parameters.catch_sigint_signal = False
    if deterministic:
        parameters.num_workers = 1
        parameters.max_deterministic_time = budget
    else:
        parameters.num_workers = workers
        parameters.max_time_in_seconds = budget
    for name, value in raw_params.items():
        if isinstance(value, list | tuple):
            field = getattr(parameters, name)
            field.clear()
            field.extend(value)
        else:
            setattr(parameters, name, value)
    return solver


def _hint(model: cp_model.CpModel, values: Sequence[int]) -> None:
    model.clear_hints()
    for index, value in enumerate(values):
        model.add_hint(model.get_int_var_from_proto_index(index), value)


def evaluate(tm: TimetableModel, values: Sequence[int]) -> tuple[int, dict[SoftId, int]]:
    """The exact objective and penalties of an assignment: decisions fixed, penalties minimised."""
    clone = tm.model.clone()
    for var in tm.vars.decisions():
        clone.add(clone.get_int_var_from_proto_index(var.index) == values[var.index])
    clone.minimize(tm.objective())
    _hint(clone, values)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60.0
    code = solver.solve(clone)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"re-evaluating the timetable failed: {STATUS_NAMES.get(code)}")
    penalties = {soft_id: int(solver.value(expr)) for soft_id, expr in tm.penalties.items()}
    objective = sum(tm.problem.weight(s) * value for s, value in penalties.items())
    return objective, penalties


def cost_idr(problem: Problem, timetable: Timetable) -> int:
    """The rupiah cost of a decoded timetable (fees per day worked, fares, venue days)."""
    trainer_by_id = {t.id: t for t in problem.trainers}
    venue_by_id = {v.id: v for v in problem.venues}
    event_by_id = {e.id: e for e in problem.events}
    worked: set[tuple[str, object]] = set()
    trips: set[tuple[str, str]] = set()
    for session in timetable.sessions:
        for facilitation in session.trainers:
            worked.add((facilitation.trainer, session.date))
            trips.add((facilitation.trainer, session.event))
    total = sum(trainer_by_id[t].fee_idr for t, _day in worked)
    for trainer_id, event_id in trips:
        trainer = trainer_by_id[trainer_id]
        province = event_by_id[event_id].province_idx
        if province != trainer.home:
            total += problem.fare_idr.get((trainer.home, province), 0)
    for plan in timetable.events:
        total += venue_by_id[plan.venue].daily_idr * event_by_id[plan.event].num_days
    return total
