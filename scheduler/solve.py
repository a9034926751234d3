"""Solve an instance: compile, build the CP-SAT model, search, re-evaluate, decode."""

from __future__ import annotations

import dataclasses
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ortools.sat.python import cp_model

from models import Instance, Score, SoftId, SolverInfo, Timetable
from scheduler import daybound
from scheduler.compile import Problem, compile_instance
from scheduler.daybound import DayModel, build_day_model
from scheduler.decode import decode
from scheduler.decompose import event_instance, merged_decisions, separable_events
from scheduler.lns import Incumbent, LargeNeighbourhoodSearch
from scheduler.model import (
    BoolLit,
    TimetableModel,
    build_model,
    day_decisions,
    rooms_are_nested,
)

STATUS_NAMES = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


@dataclass(frozen=True)
class Progress:
    """A new best timetable, or a higher bound on the best one, during the search."""

    elapsed: float
    objective: float
    bound: float
    level: int = 1
    num_levels: int = 1
    part: str | None = None
    """The event searched on its own, when a programme is searched event by event
    (`scheduler.decompose`): objective and bound are then that event's alone."""


class StopHandle:
    """Stops a running search from another thread (Ctrl-C); the best timetable is kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._targets: list[Callable[[], None]] = []
        self.stopped = False

    def attach(self, target: Callable[[], None]) -> None:
        """Call `target` on stop (at once if already stopped)."""
        with self._lock:
            self._targets.append(target)
            if self.stopped:
                target()

    def detach(self, target: Callable[[], None]) -> None:
        with self._lock:
            if target in self._targets:
                self._targets.remove(target)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            for target in list(self._targets):
                target()


@dataclass
class _Outcome:
    """How one search (one priority level) ended."""

    status: str
    values: list[int] | None = None
    objective: float | None = None
    bound: float | None = None
    first: float | None = None
    best: float | None = None
    work: float = 0.0
    """CP-SAT's deterministic time spent (its work measure, roughly seconds)."""


@dataclass(frozen=True)
class LevelResult:
    """How one priority level of a lexicographic solve ended."""

    soft_ids: tuple[str, ...]
    """The soft ids of the level (`("disruption",)` for a repair's first level)."""
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
        self.objective: float | None = None

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.start
        if self.first is None:
            self.first = now
        self.best = now
        self.objective = self.objective_value
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

    def bounded(self, bound: float) -> None:
        """CP-SAT's `best_bound_callback`: reports a higher bound once a timetable exists."""
        objective = self.objective
        if self.report is not None and objective is not None:
            now = time.perf_counter() - self.start
            self.report(Progress(now, objective, bound, self.level, self.num_levels))


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
    search: str | None = None,
    log: bool = False,
    first_objective: Callable[[TimetableModel], Any] | None = None,
) -> Result:
    """Find the best timetable for `instance` within `time_limit` seconds.

    Defaults come from `instance.policy.solver`. With `deterministic`, the search runs on one
    worker with a fixed seed and a deterministic time budget (CP-SAT's own work measure,
    roughly seconds) instead of the wall clock, so the same input gives the same timetable.
    `search` is `auto`, `portfolio` (CP-SAT alone) or `lns` (large neighbourhood search
    beside CP-SAT; see `scheduler.lns`). `first_objective` builds, on the model, an expression
    minimised before the policy's own levels, its best value then kept (a repair's disruption).
    """
    started = time.perf_counter()
    settings = instance.policy.solver
    time_limit = settings.time_limit if time_limit is None else time_limit
    workers = settings.workers if workers is None else workers
    seed = settings.seed if seed is None else seed

    def parameters(num_workers: int) -> dict[str, Any]:
        return {
            **default_parameters(num_workers, deterministic),
            **settings.cp_sat,
            **(params or {}),
        }

    raw_params = parameters(workers)
    problem = compile_instance(instance)
    tm = build_model(problem)
    build_time = time.perf_counter() - started
    stop = stop or StopHandle()
    progress = _monotone(progress) if progress is not None else None

    levels: list[list[SoftId] | None] = [*(problem.levels or [list(tm.penalties)])]
    first_expression = None
    if first_objective is not None:
        first_expression = first_objective(tm)
        levels.insert(0, None)
    level_results: list[LevelResult] = []
    values: list[int] | None = None
    first: float | None = None
    best: float | None = None
    status = "UNKNOWN"
    bound: float | None = None
    statuses: list[str] = []
    choice = search or settings.search
    by_event = (
        len(levels) == 1
        and first_expression is None
        and choice == "auto"
        and separable_events(problem)
    )
    spare = not by_event and len(levels) == 1 and spare_core(problem, workers, deterministic)
    main_workers = workers - 1 if spare else workers
    main_params = parameters(main_workers) if spare else raw_params
    plan = None if by_event else _plan(tm, main_workers, deterministic, main_params, choice)
    for number, soft_ids in enumerate(levels, start=1):
        remaining = time_limit - (time.perf_counter() - started)
        budget = max(0.1, remaining / (len(levels) - number + 1))
        if deterministic:
            budget = time_limit / len(levels)
        if soft_ids is None and len(levels) > 1:
            budget = FIRST_OBJECTIVE_SHARE * (time_limit if deterministic else remaining)
        expression: Any = first_expression if soft_ids is None else tm.objective(soft_ids)
        label: tuple[str, ...] = ("disruption",) if soft_ids is None else tuple(soft_ids)
        tm.model.minimize(expression)
        context = _Context(started, number, len(levels), progress, stop, seed, log, spare)
        if plan is None:
            outcome = _by_event_search(
                instance, tm, budget, workers, deterministic, raw_params, context
            )
        elif spare:
            outcome = _first_then_spare(plan, tm, budget, workers, raw_params, context)
        else:
            outcome = _run(plan, tm, budget, workers, deterministic, context)
        statuses.append(outcome.status)
        if outcome.values is not None and outcome.objective is not None:
            values = outcome.values
            first = outcome.first if first is None else first
            best = outcome.best if outcome.best is not None else best
            level_value = round(outcome.objective)
            level_results.append(LevelResult(label, outcome.status, level_value, outcome.bound))
            bound = outcome.bound
            if number < len(levels):
                tm.model.add(expression <= level_value)
                _hint(tm.model, values)
        else:
            level_results.append(LevelResult(label, outcome.status, None, None))
            if values is None:
                status = outcome.status
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


def _monotone(report: Callable[[Progress], None]) -> Callable[[Progress], None]:
    """`report`, given for each level and part the best objective and the highest bound so
    far rather than those of the search that found a timetable.

    A solve runs several searches in turn (the day search, then the LP tree search; the
    whole programme after its events); each starts from its own weak bound, and a search
    started from a hint may report a worse timetable first. The user sees neither drop.
    """
    lock = threading.Lock()
    best: dict[tuple[int, str | None], tuple[float, float]] = {}

    def reported(progress: Progress) -> None:
        key = (progress.level, progress.part)
        with lock:
            objective, bound = best.get(key, (math.inf, -math.inf))
            objective = min(objective, progress.objective)
            bound = min(max(bound, progress.bound), objective)
            best[key] = objective, bound
            # Under the lock, so that reports from two threads arrive in order.
            report(dataclasses.replace(progress, objective=objective, bound=bound))

    return reported


FIRST_OBJECTIVE_SHARE = 0.6
"""The share of the time limit for `first_objective` (e.g. a repair's disruption)."""

PORTFOLIO = (
    "pseudo_costs",
    "lb_tree_search",
    "objective_lb_search",
    "default_lp",
    "quick_restart",
    "max_lp",
    "core",
    "no_lp",
)
"""Full-problem workers in order of use; CP-SAT runs its LNS workers beside them."""


TREE_WORKER = "lb_tree_search"
"""CP-SAT's LP tree search, the full-model worker that raises the bound soonest here."""

DAY_WORKER = "days"
"""A full-model worker of our own: depth-first search on `day_decisions`, LP at level 2."""
CUSTOM_SUBSOLVERS = {
    DAY_WORKER: f'name: "{DAY_WORKER}" search_branching: FIXED_SEARCH linearization_level: 2',
}
"""CP-SAT parameters of the workers named here, in CP-SAT's text format."""


def spare_core(problem: Problem, workers: int, deterministic: bool) -> bool:
    """Whether the day models (`scheduler.daybound`) get a core of their own, the search of
    the whole model one worker fewer: on two cores, where they prove the optimum and
    complete its timetable (measured in benchmarks/: Sulsel proven optimal in 28 s instead
    of 40 s, NTT in 4.8 s instead of 6.1 s)."""
    return not deterministic and workers == 2 and daybound.applies(problem)


def default_parameters(workers: int, deterministic: bool) -> dict[str, Any]:
    """CP-SAT settings measured to work best on these models (benchmarks/).

    CP-SAT runs the first listed workers on the whole model (one of two workers, the other
    taking turns at its neighbourhood searches and first-solution heuristics); the LP-based
    ones here prove bounds far better than its default choice and find timetables as good;
    light presolve probing gets the first timetable sooner. One worker (and the
    deterministic mode) searches with the full linear relaxation, every constraint in its
    LP: after 60 s on one core the Bali bound is 595 instead of 416 and its timetable 638
    instead of 889, and NTT is proven optimal in 22 s instead of not at all.
    """
    if deterministic or workers < 2:
        return {"linearization_level": 2}
    return {"subsolvers": list(PORTFOLIO[:workers]), "cp_model_probing_level": 0}


def tree_first(raw_params: Mapping[str, Any], workers: int) -> dict[str, Any]:
    """`raw_params` with CP-SAT's LP tree search as the first worker, if it is one of the
    default workers: on two workers it is then the one on the whole model, and raises the
    bound sooner than the pseudo-cost search (measured in benchmarks/: the Bali and tot-1999
    bounds after 60 s are 2 % higher). Our LNS keeps the default order: there the
    pseudo-cost worker also finds the timetables LNS starts from."""
    subsolvers = list(raw_params.get("subsolvers", []))
    if subsolvers != list(PORTFOLIO[:workers]) or TREE_WORKER not in subsolvers:
        return dict(raw_params)
    subsolvers.remove(TREE_WORKER)
    return {**raw_params, "subsolvers": [TREE_WORKER, *subsolvers]}


def cp_sat_solver(
    workers: int,
    seed: int,
    budget: float,
    deterministic: bool,
    raw_params: Mapping[str, Any],
    log: bool,
) -> cp_model.CpSolver:
    """A CP-SAT solver with `workers`, `seed` and `raw_params` (lists replace, named custom
    subsolvers added), stopped after `budget` seconds, or in the deterministic mode after
    that much of CP-SAT's work measure on one worker."""
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
    for name in parameters.subsolvers:
        if name in CUSTOM_SUBSOLVERS:
            parameters.merge_text_format(f"subsolver_params {{ {CUSTOM_SUBSOLVERS[name]} }}")
    return solver


@dataclass(frozen=True)
class _Context:
    """What every search of one solve shares: clock, level, progress, stop handle, seed."""

    started: float
    level: int
    num_levels: int
    progress: Callable[[Progress], None] | None
    stop: StopHandle
    seed: int
    log: bool
    spare: bool = False
    """Whether a core is kept for `_RelaxedBound`, the searches using one worker fewer."""
    relaxed: bool = False
    """Whether `_RelaxedBound` already runs beside the searches of this context."""
    known: float = math.inf
    """The objective of a timetable found before the searches of this context start."""


@dataclass(frozen=True)
class _Plan:
    """Which search a model gets (`_run`): LNS beside CP-SAT, the day search, or CP-SAT
    alone, and the CP-SAT parameters for it."""

    hybrid: bool
    day_order: list[BoolLit] | None
    params: dict[str, Any]


def _plan(
    tm: TimetableModel,
    workers: int,
    deterministic: bool,
    raw_params: Mapping[str, Any],
    choice: str,
) -> _Plan:
    hybrid = use_lns(tm.problem, workers, deterministic, choice)
    day_order = day_search_order(tm, workers, deterministic, raw_params)
    params = dict(raw_params) if hybrid else tree_first(raw_params, workers)
    return _Plan(hybrid, day_order, params)


def _run(
    plan: _Plan,
    tm: TimetableModel,
    budget: float,
    workers: int,
    deterministic: bool,
    context: _Context,
) -> _Outcome:
    """The search `plan` chose, on `tm`'s model with its objective."""
    if plan.hybrid:
        return _hybrid_search(tm, budget, workers, plan.params, context)
    if plan.day_order is not None:
        return _day_search(tm, plan.day_order, budget, workers, plan.params, context)
    return _bounded_search(tm, budget, workers, deterministic, plan.params, context)


def _first_then_spare(
    plan: _Plan,
    tm: TimetableModel,
    budget: float,
    workers: int,
    first_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """The first timetable on every core (as soon as without a spare one), then `plan` on
    one worker fewer from it, the day models on the core kept (`spare_core`)."""
    end = time.perf_counter() + budget
    first = _first_timetable(tm, budget, workers, first_params, context)
    if first.values is None or first.status == "OPTIMAL" or context.stop.stopped:
        return first
    _hint(tm.model, first.values)
    rest = end - time.perf_counter()
    if rest <= 0.1:
        return first
    known = first.objective if first.objective is not None else math.inf
    context = dataclasses.replace(context, known=known)
    return _in_turn(first, _run(plan, tm, rest, workers - 1, False, context))


def _bounded_search(
    tm: TimetableModel,
    budget: float,
    workers: int,
    deterministic: bool,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """`_portfolio_search`, with `_RelaxedBound` beside it when that applies."""
    search = partial(_portfolio_search, tm, budget, workers, deterministic, raw_params)
    return _with_relaxation(tm, budget, workers, deterministic, context, search)


def _with_relaxation(
    tm: TimetableModel,
    budget: float,
    workers: int,
    deterministic: bool,
    context: _Context,
    search: Callable[[_Context], _Outcome],
) -> _Outcome:
    """`search` of `tm`, with `_RelaxedBound` beside it when that applies: several workers,
    one level, a relaxation to search (the day model, or rooms to leave out), and none
    beside it yet."""
    single = deterministic or (workers < 2 and not context.spare) or context.num_levels > 1
    if single or context.relaxed or not (tm.vars.room or daybound.applies(tm.problem)):
        return search(context)
    return _RelaxedBound(tm, budget, context).beside(search)


class _RelaxedBound:
    """Lower bounds from relaxations, searched one after the other on one more thread beside
    the search of the whole model, and timetables completed from the days of one of them;
    once a bound reaches the best timetable's objective, that proves it optimal and the
    search ends.

    1. The day model (`scheduler.daybound`): sessions and facilitators counted per day,
       solved to optimality in seconds (on one core: NTT 0.2 s, Sulsel 2 s, Bali 5 s).
    2. The day model with slots: the whole model's session starts under the day counts.
       Its optimum is the whole model's on the bundled provinces (NTT 474 in 3 s, Sulsel
       568 in 10-28 s, Bali 631 in 37-60 s on one core, by seed; benchmarks/bounds.py).
       It starts from the day model's optimum, finds timetables, then refutes cheaper
       ones or proves its optimum (`_refuted`). Each of its timetables that
       could beat the best so far is completed on the whole model, with the starts, block
       and venue fixed, in well under a second: facilitators per session, rooms, methods.
       Once it is proven optimal, and no timetable reaches its optimum yet, the whole
       model is searched with only its days fixed, for one that does (`_complete_days`).
    3. Else, for what time is left, the relaxation with rooms counted, not chosen
       (`build_model`'s `relaxation`), whose bound keeps rising.
    """

    def __init__(self, tm: TimetableModel, budget: float, context: _Context) -> None:
        self.problem = tm.problem
        self.whole = dataclasses.replace(tm, model=tm.model.clone())
        """The whole model, copied before the search changes it (hints), to complete
        timetables on from this thread."""
        self.rooms = bool(tm.vars.room)
        """Whether the whole model chooses rooms (else leaving them out relaxes nothing)."""
        self.context = context
        self.deadline = time.perf_counter() + budget
        self.solver = cp_model.CpSolver()
        """The solver of the search running on the thread, to stop it."""
        self.bound = -math.inf
        self.objective = context.known
        self.completed: _Outcome | None = None
        """The best timetable completed here, when better than the search's."""
        self.inner = StopHandle()
        self.ended = threading.Event()
        self._lock = threading.Lock()

    def beside(self, search: Callable[[_Context], _Outcome]) -> _Outcome:
        """Run `search` (the whole model's) with the relaxation's search beside it; its
        outcome with the higher of both bounds, optimal when the bound reaches it."""
        context = self.context
        report = context.progress

        thread = threading.Thread(target=self._run, name="tot-relaxed-bound", daemon=True)

        def tracked(progress: Progress) -> None:
            with self._lock:
                self.objective = min(self.objective, progress.objective)
                progress = dataclasses.replace(progress, bound=max(progress.bound, self.bound))
                if thread.ident is None and not self.ended.is_set():
                    # From the first timetable on: before it, both cores look for one.
                    thread.start()
            if report is not None:
                report(progress)
            self._check()

        inner = dataclasses.replace(context, stop=self.inner, progress=tracked, relaxed=True)
        context.stop.attach(self.inner.stop)
        if math.isfinite(self.objective):
            # A timetable is known already: the search's first report may take seconds
            # (Bali: 1.5 s to presolve the whole model again).
            thread.start()
        try:
            outcome = search(inner)
        finally:
            self.ended.set()
            while thread.is_alive():  # the relaxation may be built still, or just starting
                self.solver.stop_search()
                thread.join(0.05)
            context.stop.detach(self.inner.stop)
        return self._combined(outcome)  # with the last bound the relaxation reported

    def _combined(self, outcome: _Outcome) -> _Outcome:
        completed = self._completed_better(outcome)
        if completed is not None:
            first = outcome.first if outcome.first is not None else completed.first
            outcome = dataclasses.replace(
                completed, bound=outcome.bound, first=first, work=outcome.work
            )
        if outcome.objective is None or not math.isfinite(self.bound):
            return outcome
        bound = max(self.bound, outcome.bound if outcome.bound is not None else -math.inf)
        status = "OPTIMAL" if bound >= outcome.objective - 1e-6 else outcome.status
        return dataclasses.replace(outcome, status=status, bound=min(bound, outcome.objective))

    def _completed_better(self, outcome: _Outcome) -> _Outcome | None:
        """The timetable completed here, if better than `outcome`'s."""
        completed = self.completed
        if completed is None or completed.objective is None:
            return None
        if outcome.objective is not None and outcome.objective <= completed.objective:
            return None
        return completed

    def _run(self) -> None:
        if daybound.applies(self.problem):
            days = build_day_model(self.problem)
            solved = self._search(days.model, DAY_PARAMS)
            if self.ended.is_set() or self._proven():
                return
            with_slots = build_day_model(self.problem, slots=True)
            if solved is not None:
                daybound.hint(with_slots, days, solved.value)
            floor = solved.objective_value if solved is not None and self._optimal(solved) else 0
            optimum = self._refuted(with_slots, floor)
            if optimum is not None:
                # Its optimum bounds the whole model above any other relaxation's.
                self._complete_days(with_slots, optimum)
                return
        if self.ended.is_set() or self._proven() or not self.rooms:
            return
        relaxed = build_model(self.problem, relaxation=True)
        self._search(relaxed.model, RELAXED_PARAMS)

    def _search(
        self,
        model: cp_model.CpModel,
        params: Mapping[str, Any],
        callback: _Completing | None = None,
        ceiling: float = math.inf,
        stall: float | None = None,
    ) -> cp_model.CpSolver | None:
        """Solve `model` (the rest of the budget), its solutions completed by `callback`,
        its bounds reported as they rise, at most `ceiling` (of a model whose objective is
        held below it), stopped once `stall` seconds (or as many as `callback.patience` gives)
        pass without a solution; the solver, when it found a solution."""
        left = self.deadline - time.perf_counter()
        solver = cp_sat_solver(1, self.context.seed, max(0.1, left), False, params, False)
        solver.best_bound_callback = lambda bound: self._bounded(min(bound, ceiling))
        self.solver = solver
        if self.ended.is_set():
            return None
        done = threading.Event()
        if stall is not None and callback is not None:
            callback.last = time.perf_counter()
            since = callback

            def watch() -> None:
                while not done.wait(0.05):
                    if time.perf_counter() - since.last >= since.patience(stall):
                        solver.stop_search()
                        return

            threading.Thread(target=watch, name="tot-stall", daemon=True).start()
        try:
            status = solver.solve(model, callback)
        finally:
            done.set()
        if status == cp_model.OPTIMAL:
            self._bounded(solver.objective_value)
        return solver if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    def _refuted(self, dm: DayModel, floor: float) -> cp_model.CpSolver | None:
        """Solve the day model with slots `dm`, whose optimum is at least `floor` (the day
        model's): first a search that finds its timetables, each completed on the whole
        model, until one lies within `REFUTE_GAP` of `floor` or it stalls (`FIND_PARAMS`,
        `_Completing.patience`). Then, when the best timetable of either lies
        within `REFUTE_GAP` of `floor`, a core-based search that refutes any cheaper one,
        or finds the cheaper ones and proves the cheapest optimal (`REFUTE_PARAMS`); else
        the LP search, finding and proving at once (`DAY_PARAMS`). The solver holding a
        proven optimum of `dm`, when no timetable of the whole model is as cheap; else None
        (the whole model's best then proven optimal when the bound reached it).

        Measured on one core after the day model, seeds 0-5: the first search finds
        Sulsel's 568 or 570 in 0.6 s; the core-based search refutes 567 in 4.3-6.2 s, the
        LP search in 6.5-11.7 s, and the LP search alone finds 568 after 9-17 s. Far from
        the bound (Bali: 648-672 against 620), the core-based search is the slower one
        (not proven in 60 s, where the LP search proves 631; hinted from the best found
        rather than from the day model's optimum, it proved Bali on none of seeds 0-3).
        """
        completing = _Completing(self, dm, floor)
        found = self._search(dm.model, FIND_PARAMS, completing, stall=FIND_STALL)
        completing.floor = 0.0  # the searches after it neither stop early nor stall
        if found is not None and self._optimal(found):
            return found
        with self._lock:
            best = self.objective
        if found is not None:
            best = min(best, found.objective_value)
        if self.ended.is_set() or self._proven():
            return None
        if not math.isfinite(best) or best - floor > REFUTE_GAP * best:
            lp = self._search(dm.model, DAY_PARAMS, completing)
            return lp if lp is not None and self._optimal(lp) else None
        dm.model.add(dm.objective() <= round(best) - 1)  # penalties are whole points
        refuting = self._search(dm.model, REFUTE_PARAMS, completing, ceiling=best)
        if refuting is not None:
            return refuting if self._optimal(refuting) else None
        if self.solver.response_proto.status != cp_model.INFEASIBLE or self.ended.is_set():
            return None
        self._bounded(best)  # no timetable of `dm` is cheaper than `best`
        if found is not None and found.objective_value <= best:
            return found  # its timetable is then an optimum of `dm`
        return None

    @staticmethod
    def _optimal(solver: cp_model.CpSolver) -> bool:
        return bool(solver.best_objective_bound >= solver.objective_value)

    def complete(self, fixed: Mapping[int, int], at_most: float) -> None:
        """Complete a timetable on the whole model with the decisions `fixed` (index ->
        value), if one costs less than `at_most` and than the best so far."""
        with self._lock:
            if at_most >= self.objective:
                return
        completed = complete_timetable(self.whole, fixed, COMPLETION_SECONDS)
        if completed is not None:
            self.record(*completed)

    def _complete_days(self, dm: DayModel, solved: cp_model.CpSolver) -> None:
        """Search the whole model, with the days of the optimum of the day model with slots
        (`dm`, `solved`) fixed, for a timetable at that optimum, the bound: one with its
        starts fixed may cost more, a session's slot within its day deciding a method, a
        room or a facilitator (NTT, seed 1: 476 against 474, found here in 3 s instead of
        by the whole model's search after 18 s)."""
        target = solved.objective_value
        with self._lock:
            if self.objective <= target + 1e-6 or self.ended.is_set():
                return
            hint = self.completed.values if self.completed is not None else None
        left = self.deadline - time.perf_counter()
        solver = cp_sat_solver(1, self.context.seed, max(0.1, left), False, {}, False)
        self.solver = solver
        if not self.ended.is_set():
            complete_days(self.whole, dm, solved.value, target, solver, hint, self.record)

    def record(self, values: list[int], objective: int) -> None:
        """Keep a timetable of the whole model found here, if better than the best so far."""
        now = time.perf_counter() - self.context.started
        with self._lock:
            if objective >= self.objective:
                return
            self.objective = objective
            first = None if self.completed is None else self.completed.first
            self.completed = _Outcome("FEASIBLE", values, objective, None, first or now, now)
            bound = self.bound
        _announce(self.context, now, objective, bound)
        self._check()

    def _bounded(self, bound: float) -> None:
        with self._lock:
            self.bound = max(self.bound, bound)
            objective, bound = self.objective, self.bound
        if math.isfinite(objective):
            now = time.perf_counter() - self.context.started
            _announce(self.context, now, objective, bound)
        self._check()

    def _proven(self) -> bool:
        with self._lock:
            return self.bound >= self.objective - 1e-6

    def _check(self) -> None:
        if self._proven():
            self.inner.stop()


RELAXED_PARAMS = {"subsolvers": [TREE_WORKER], "cp_model_probing_level": 0}
"""The relaxation's one worker: CP-SAT's LP tree search, which raises its bound soonest."""
COMPLETION_SECONDS = 5.0
"""At most this long to complete a timetable from fixed starts (it takes well under 1 s)."""
FIND_PARAMS = {"interleave_search": True}
"""The first search of the day model with slots: CP-SAT's workers (LP searches, neighbourhood
searches, quick restarts) taking turns on one thread, which find its good timetables far
sooner than the LP search alone (Sulsel: 568 or 570 in 0.6 s, against 568 after 9-17 s)."""
FIND_STALL = 1.0
"""The first search ends once this many seconds pass without a better timetable ..."""
FIND_STALL_NEAR = 3.0
"""... or this many while its best lies within `NEAR_GAP` of the day model's optimum, where
one more timetable may bring it within `REFUTE_GAP`: from some of the day model's optima,
Sulsel's first search finds 570 at once and 568 only 2.5-3 s later (seeds 0 and 3)."""
NEAR_GAP = 0.02
REFUTE_GAP = 0.01
"""How far above the day model's optimum, as a share of the best timetable, that timetable
may lie for the core-based search to refute a cheaper one: Sulsel's 568 against 564 (0.7 %).
Its 570 (1.05 %) takes the core-based search 7-16 s to refute 569 and find 568, and within
1.5 % the events of tot-1999 came out worse (1676-1689 against 1667-1682, seeds 0-3)."""
REFUTE_PARAMS = {"optimize_with_core": True, "linearization_level": 2}
"""The second search: core-based, which refutes a cheaper timetable than the best far sooner
than the LP search (Sulsel, 567: 4.3-6.2 s against 6.5-11.7 s, seeds 0-5)."""
DAY_PARAMS = {"linearization_level": 2}
"""The day model's one worker, with every constraint in its LP: it proves the Bali day
model's optimum in 6-15 s where the default linearization takes 28-37 s (two seeds)."""


class _StopAt(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    """Hands each solution to `found` (values, objective), and stops the search at one that
    reaches `target`."""

    def __init__(self, target: float, found: Callable[[list[int], int], None] | None) -> None:
        super().__init__()
        self.target = target
        self.found = found

    def on_solution_callback(self) -> None:
        if self.found is not None:
            self.found(list(self.response_proto.solution), round(self.objective_value))
        if self.objective_value <= self.target + 1e-6:
            self.stop_search()


class _Completing(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    """Hands each timetable of the day model with slots to `_RelaxedBound.complete`, with
    its starts, block and venue as the whole model's decisions.

    Given the day model's optimum (`floor`), it stops the search at a timetable within
    `REFUTE_GAP` of it, which the core-based search takes from there (Sulsel: 568 after
    0.6 s, where waiting for the stall took 1 s more), and tells a stalled search to go on
    longer while its best lies within `NEAR_GAP` (`patience`)."""

    def __init__(self, relaxed: _RelaxedBound, day_model: DayModel, floor: float = 0.0) -> None:
        super().__init__()
        self.relaxed = relaxed
        self.pairs = daybound.decision_pairs(day_model, relaxed.whole)
        self.last = time.perf_counter()
        """When the last solution came (`_RelaxedBound._search` stops a stalled search)."""
        self.best = math.inf
        self.floor = floor

    @property
    def enough(self) -> float:
        """A timetable at most this costly stops the search (none without a floor)."""
        return self.floor / (1 - REFUTE_GAP) if self.floor > 0 else -math.inf

    @property
    def near(self) -> float:
        """While the best lies at most this high, a stalled search goes on longer."""
        return self.floor / (1 - NEAR_GAP) if self.floor > 0 else -math.inf

    def patience(self, stall: float) -> float:
        """How many seconds the search may go without a better timetable."""
        return max(stall, FIND_STALL_NEAR) if self.best <= self.near else stall

    def on_solution_callback(self) -> None:
        self.last = time.perf_counter()
        self.best = min(self.best, self.objective_value)
        fixed = {index: self.value(ours) for index, ours in self.pairs}
        self.relaxed.complete(fixed, self.objective_value)
        if self.best <= self.enough:
            self.stop_search()


def _by_event_search(
    instance: Instance,
    tm: TimetableModel,
    budget: float,
    workers: int,
    deterministic: bool,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """Each event apart, then the programme as a whole (see `scheduler.decompose`).

    The first timetable comes from the whole model, which finds one soonest. Then each event
    is searched on its own, smallest first, in `EVENT_PHASE` of the budget shared out by
    sessions (time an event leaves unused passes to the next): the sum of their bounds
    bounds the programme, and their timetables together are one of the programme, with its
    objective found with every decision fixed. The rest of the budget searches the whole
    model from the better timetable, for the workload balance and what lies between events
    (or, when the joined events break a rule between them, from their decisions).

    Measured on tot-1999 (benchmarks/, 60 s): with two workers the timetable improves from
    1703-1745 to 1668-1683 over four seeds at the same bound; with one worker from 1815 to
    1674 and the bound from 1546 to 1582; in the deterministic mode (60 units of CP-SAT's
    work measure, which `_Clock` shares out) from 1823/1540 to 1715/1575.
    """
    clock = _Clock(budget, deterministic)
    first = clock.spend(_first_timetable(tm, budget, workers, raw_params, context, deterministic))
    if first.values is None or first.status == "OPTIMAL" or context.stop.stopped:
        return first
    events_end = clock.spent() + EVENT_PHASE * clock.left()
    events = sorted(tm.problem.events, key=lambda ev: _event_sessions(tm.problem, ev.idx))
    sizes = [_event_sessions(tm.problem, ev.idx) for ev in events]
    parts: list[tuple[TimetableModel, Sequence[int]]] = []
    bound = 0.0
    for number, ev in enumerate(events):
        part_budget = (events_end - clock.spent()) * sizes[number] / sum(sizes[number:])
        if part_budget <= 0.1 or context.stop.stopped:
            break
        part = build_model(compile_instance(event_instance(instance, ev.id)))
        part.model.minimize(part.objective())
        plan = _plan(part, workers, deterministic, raw_params, "auto")
        of_part = _reported(context, partial(dataclasses.replace, part=ev.id))
        found = clock.spend(_run(plan, part, part_budget, workers, deterministic, of_part))
        if found.values is None or found.bound is None:
            break
        parts.append((part, found.values))
        bound += found.bound
    whole = first
    hint: Mapping[int, int] | Sequence[int] | None = first.values
    if len(parts) == len(events):
        whole = _Outcome("FEASIBLE", first.values, first.objective, bound, first.first, first.best)
        decisions = merged_decisions(tm, parts)
        merged = None
        if decisions is not None:
            merged = complete_timetable(tm, decisions, MERGE_SECONDS, deterministic)
        if merged is not None:
            now = time.perf_counter() - context.started
            _announce(context, now, merged[1], bound)
            together = _Outcome("FEASIBLE", merged[0], merged[1], bound, now, now)
            whole = _in_turn(whole, together)
            hint = whole.values
        elif decisions is not None:
            # Joined, the events break a rule between them (a trainer's days in all): the
            # last search starts from their decisions and mends them.
            hint = decisions
    rest = clock.left()
    if whole.status == "OPTIMAL" or rest <= 0.1 or context.stop.stopped:
        return whole
    if hint is not None:
        _hint(tm.model, hint)
    floor = whole.bound if whole.bound is not None else -math.inf

    def at_least(progress: Progress) -> Progress:
        return dataclasses.replace(progress, bound=max(floor, progress.bound))

    # The events' bound is the one to beat: the default workers, pseudo-cost search leading,
    # look for timetables (tot-1999, 60 s, seeds 0-3: 1668-1683 against 1679-1706 when
    # the LP tree search leads).
    reported = _reported(context, at_least)
    final = _portfolio_search(tm, rest, workers, deterministic, raw_params, reported)
    return _in_turn(whole, final)


class _Clock:
    """What is left of a budget: in wall-clock seconds, or in the deterministic mode in
    CP-SAT's work measure, as the searches spent it (so that the shares come out the same
    on every run)."""

    def __init__(self, budget: float, deterministic: bool) -> None:
        self.budget = budget
        self.deterministic = deterministic
        self.started = time.perf_counter()
        self.work = 0.0

    def spend(self, outcome: _Outcome) -> _Outcome:
        self.work += outcome.work
        return outcome

    def spent(self) -> float:
        return self.work if self.deterministic else time.perf_counter() - self.started

    def left(self) -> float:
        return self.budget - self.spent()


EVENT_PHASE = 0.7
"""Share of the budget, after the first timetable, for searching each event apart."""
MERGE_SECONDS = 10.0
"""Most seconds to complete the events' timetables into one of the programme."""


def _reported(context: _Context, change: Callable[[Progress], Progress]) -> _Context:
    """`context` with each progress report passed through `change` first."""
    report = context.progress
    if report is None:
        return context

    def changed(progress: Progress) -> None:
        report(change(progress))

    return dataclasses.replace(context, progress=changed)


def _event_sessions(problem: Problem, event: int) -> int:
    return sum(problem.offerings[k].num_sessions for k in problem.events[event].offerings)


def complete_timetable(
    tm: TimetableModel,
    decisions: Mapping[int, int],
    time_limit: float,
    deterministic: bool = False,
) -> tuple[list[int], int] | None:
    """The whole assignment, and its objective, of `tm` with its decisions fixed to
    `decisions` and every penalty at its least; None when they break a hard rule."""
    solver = _fixed(tm, decisions, None, time_limit, deterministic)
    if solver is None:
        return None
    return list(solver.response_proto.solution), round(solver.objective_value)


def complete_days(
    tm: TimetableModel,
    dm: DayModel,
    value: Callable[[Any], int],
    target: float,
    solver: cp_model.CpSolver,
    hint: Sequence[int] | None = None,
    found: Callable[[list[int], int], None] | None = None,
) -> tuple[list[int], int] | None:
    """The best timetable `solver` finds on `tm` with the days of a timetable of the day
    model `dm` (`value`, of its solution) fixed (`daybound.with_days_fixed`), and its
    objective; the search stops at `target` (that timetable's objective, a bound when it is
    optimal), and hands each timetable to `found`. From `hint`, a whole assignment."""
    model = daybound.with_days_fixed(dm, tm, value)
    model.minimize(tm.objective())
    if hint is not None:
        _hint(model, hint)
    if solver.solve(model, _StopAt(target, found)) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return list(solver.response_proto.solution), round(solver.objective_value)


def _portfolio_search(
    tm: TimetableModel,
    budget: float,
    workers: int,
    deterministic: bool,
    raw_params: Mapping[str, Any],
    context: _Context,
    first_only: bool = False,
) -> _Outcome:
    """One CP-SAT run on the whole model with its portfolio of workers (stopped at its first
    timetable when `first_only`)."""
    solver = cp_sat_solver(workers, context.seed, budget, deterministic, raw_params, context.log)
    watch = _StopAtFirst if first_only else _Monitor
    monitor = watch(context.started, context.level, context.num_levels, context.progress)
    if context.progress is not None:
        solver.best_bound_callback = monitor.bounded
    context.stop.attach(solver.stop_search)
    code = solver.solve(tm.model, monitor)
    context.stop.detach(solver.stop_search)
    status = STATUS_NAMES.get(code, "UNKNOWN")
    work = solver.response_proto.deterministic_time
    if status not in ("OPTIMAL", "FEASIBLE"):
        return _Outcome(status, work=work)
    first = monitor.first if monitor.first is not None else time.perf_counter() - context.started
    return _Outcome(
        status,
        list(solver.response_proto.solution),
        solver.objective_value,
        solver.best_objective_bound,
        first,
        monitor.best if monitor.best is not None else first,
        work,
    )


def day_search_order(
    tm: TimetableModel, workers: int, deterministic: bool, raw_params: Mapping[str, Any]
) -> list[BoolLit] | None:
    """`day_decisions` when `_day_search` runs (several workers, CP-SAT's default workers,
    trainer days to decide), else None."""
    if deterministic or workers < 2:
        return None
    if list(raw_params.get("subsolvers", [])) != list(PORTFOLIO[:workers]):
        return None  # workers chosen by the policy or the caller
    if num_sessions(tm.problem) > DAY_SEARCH_UP_TO_SESSIONS:
        return None
    order = day_decisions(tm)
    return order if len(order) > len(tm.vars.block) + len(tm.vars.venue) else None


def _day_search(
    tm: TimetableModel,
    order: list[BoolLit],
    budget: float,
    workers: int,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """A day-pattern search first, then CP-SAT's LP tree search from its best timetable.

    First two full-model workers: CP-SAT's pseudo-cost search, which finds the timetables,
    and `DAY_WORKER`, which searches depth first on `order` (block starts, venues, trainer
    days, as `day_decisions` lists them), pruning with the LP bound against the best
    timetable either has found. On small instances that search ends soon, with a proof of
    optimality; when it does not, its bound is worth nothing until it ends, so after its
    share of the budget (`DAY_PHASE`) the default portfolio, whose LP tree search raises the
    bound steadily, takes over from the best timetable so far (measured in benchmarks/).
    """
    share, fewest = DAY_PHASE
    days_budget = min(budget, max(fewest, share * budget))
    search = partial(_days_then_tree, tm, order, budget, days_budget, workers, raw_params)
    if days_budget < DAY_PHASE_MOSTLY * budget and not daybound.applies(tm.problem):
        return search(context)
    # The day models prove optimality sooner than the day search; or a short budget (an
    # event searched apart), most of it the day search's: the relaxations are searched
    # beside both phases.
    return _with_relaxation(tm, budget, workers, False, context, search)


def _days_then_tree(
    tm: TimetableModel,
    order: list[BoolLit],
    budget: float,
    days_budget: float,
    workers: int,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """`_day_search`'s two phases; `_RelaxedBound` beside the second, if not beside both."""
    phase_end = time.perf_counter() + budget
    days_model = tm.model.clone()
    days_model.add_decision_strategy(order, cp_model.CHOOSE_FIRST, cp_model.SELECT_MIN_VALUE)
    params = {**raw_params, "subsolvers": [PORTFOLIO[0], DAY_WORKER], "num_full_subsolvers": 2}
    days = _portfolio_search_model(tm, days_model, days_budget, workers, params, context)
    rest = phase_end - time.perf_counter()
    ended = days.status in ("OPTIMAL", "INFEASIBLE", "MODEL_INVALID")
    if ended or rest <= 0.1 or context.stop.stopped:
        return days
    if days.values is not None:
        _hint(tm.model, days.values)
    tree = _bounded_search(tm, rest, workers, False, raw_params, context)
    return _in_turn(days, tree)


DAY_SEARCH_UP_TO_SESSIONS = 40
"""Up to this many sessions a solve opens with the day search (`_day_search`)."""
DAY_PHASE = (0.2, 12.0)
"""Share of the budget, and fewest seconds, for the day search before the LP tree search."""
DAY_PHASE_MOSTLY = 0.5
"""From this share of the budget up, the day phase has the relaxation's search beside it."""


def _in_turn(earlier: _Outcome, later: _Outcome) -> _Outcome:
    """One outcome of two searches of the same model run one after the other: the better
    timetable, the higher bound, the time of the first timetable of either."""
    if earlier.values is None or earlier.objective is None:
        return later
    if later.values is None or later.objective is None:
        return earlier
    best = later if later.objective < earlier.objective else earlier
    objective = min(earlier.objective, later.objective)
    bounds = [b for b in (earlier.bound, later.bound) if b is not None]
    bound = max(bounds) if bounds else None
    proven = bound is not None and bound >= objective - 1e-6
    return _Outcome(
        "OPTIMAL" if proven else "FEASIBLE",
        best.values,
        objective,
        bound,
        earlier.first,
        best.best,
    )


def use_lns(problem: Problem, workers: int, deterministic: bool, choice: str) -> bool:
    """Whether to run large neighbourhood search beside CP-SAT: as chosen, or by size."""
    if deterministic or workers < 2 or choice == "portfolio":
        return False
    if choice == "lns":
        return True
    return num_sessions(problem) >= LNS_FROM_SESSIONS


def num_sessions(problem: Problem) -> int:
    """The sessions of all offerings: the size by which the search is chosen."""
    return sum(k.num_sessions for k in problem.offerings)


LNS_FROM_SESSIONS = 100
"""From this many sessions up, `auto` search adds LNS (measured in benchmarks/: below it,
as in the 60-session tot-1999, CP-SAT's own workers find better timetables and bounds)."""


class _Shared(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    """Hands the full-model worker's solutions to the shared incumbent; tracks its bound."""

    def __init__(self, incumbent: Incumbent, context: _Context) -> None:
        super().__init__()
        self.incumbent = incumbent
        self.context = context
        self.bound = -float("inf")

    def on_solution_callback(self) -> None:
        now = time.perf_counter() - self.context.started
        self.bound = self.best_objective_bound
        if self.incumbent.offer(self.response_proto.solution, self.objective_value, now):
            _announce(self.context, now, self.objective_value, self.bound)


def _announce(context: _Context, now: float, objective: float, bound: float) -> None:
    if context.progress is not None:
        context.progress(Progress(now, objective, bound, context.level, context.num_levels))


class _StopAtFirst(_Monitor):
    """Stops the search at its first timetable."""

    def on_solution_callback(self) -> None:
        super().on_solution_callback()
        self.stop_search()


def _first_timetable(
    tm: TimetableModel,
    budget: float,
    workers: int,
    raw_params: Mapping[str, Any],
    context: _Context,
    deterministic: bool = False,
) -> _Outcome:
    """The whole portfolio, stopped at its first timetable (or when it ends for good)."""
    params = {**raw_params, "subsolvers": []}
    return _portfolio_search(tm, budget, workers, deterministic, params, context, first_only=True)


BOUND_SHARE = 0.2
"""Share of the LNS phase the full-model worker keeps when rooms are nested."""
TIME_PHASE = (0.25, 30.0)
"""Share of the budget, and most seconds, for the time phase of a time-then-rooms start."""
ROOM_PHASE = (0.05, 10.0)
"""Share of the budget, and most seconds, for choosing rooms once the times are fixed."""


def _times_then_rooms(
    tm: TimetableModel,
    budget: float,
    workers: int,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """Times first, with rooms counted by size only; then rooms for those times.

    For problems whose rooms differ only in size (`rooms_are_nested`), the time phase is a
    much smaller model whose every solution has a room assignment without capacity
    penalties. The room phase fixes the times and chooses rooms on the whole model.
    """
    timing = build_model(tm.problem, rooms_aggregated=True)
    timing.model.minimize(timing.objective([s for s in tm.penalties if s not in ("S1", "S4")]))
    phase = _portfolio_search(
        timing, min(budget * TIME_PHASE[0], TIME_PHASE[1]), workers, False, raw_params, context
    )
    if phase.values is None:
        if phase.status == "INFEASIBLE":
            # Sizes may have to exceed capacities: the whole model decides.
            return _first_timetable(tm, budget, workers, raw_params, context)
        return phase
    rooms_model = tm.model.clone()
    for table in ("x", "method", "staff", "block", "venue"):
        source, target = getattr(timing.vars, table), getattr(tm.vars, table)
        for key, var in source.items():
            target_var = rooms_model.get_int_var_from_proto_index(target[key].index)
            rooms_model.add(target_var == phase.values[var.index])
    rooms = _portfolio_search_model(
        tm, rooms_model, min(budget * ROOM_PHASE[0], ROOM_PHASE[1]), workers, raw_params, context
    )
    if rooms.values is None:
        return _first_timetable(tm, budget, workers, raw_params, context)
    return _Outcome("FEASIBLE", rooms.values, rooms.objective, None, rooms.first, rooms.best)


def _portfolio_search_model(
    tm: TimetableModel,
    model: cp_model.CpModel,
    budget: float,
    workers: int,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """`_portfolio_search` on a variant of `tm`'s model with the same variables."""
    variant = TimetableModel(tm.problem, model=model, vars=tm.vars, penalties=tm.penalties)
    return _portfolio_search(variant, budget, workers, False, raw_params, context)


def _hybrid_search(
    tm: TimetableModel,
    budget: float,
    workers: int,
    raw_params: Mapping[str, Any],
    context: _Context,
) -> _Outcome:
    """CP-SAT on the whole model (for the bound) beside LNS (for the timetable), one incumbent.

    The first timetable comes from the full portfolio, which finds one soonest; from then on
    one worker keeps searching the whole model (and proving its bound) while LNS improves the
    incumbent on the other.
    """
    incumbent = Incumbent()
    phase_end = time.perf_counter() + budget
    if rooms_are_nested(tm.problem) and len(tm.problem.rooms) > 1:
        first = _times_then_rooms(tm, budget, workers, raw_params, context)
    else:
        first = _first_timetable(tm, budget, workers, raw_params, context)
    if first.values is None or first.objective is None or first.status == "OPTIMAL":
        return first
    incumbent.offer(first.values, first.objective, first.first or 0.0)
    _hint(tm.model, first.values)
    budget = phase_end - time.perf_counter()
    if budget <= 0.1 or context.stop.stopped:
        return first
    full_params = {**raw_params, "subsolvers": list(raw_params.get("subsolvers", PORTFOLIO))}
    full_params["subsolvers"] = full_params["subsolvers"][: workers - 1]
    # Where rooms differ only in size the bound is weak and LNS pays more: the full model
    # gets a share of the time for its bound, then its worker joins the LNS.
    full_budget = budget * BOUND_SHARE if rooms_are_nested(tm.problem) else budget
    solver = cp_sat_solver(workers - 1, context.seed, full_budget, False, full_params, context.log)
    shared = _Shared(incumbent, context)
    outcome: dict[str, int] = {}
    deadline = time.perf_counter() + budget

    def announce(value: float) -> None:
        _announce(context, time.perf_counter() - context.started, value, shared.bound)

    search = LargeNeighbourhoodSearch(tm, incumbent, context.seed, context.started, announce)
    helper = LargeNeighbourhoodSearch(tm, incumbent, context.seed + 1, context.started, announce)

    def run_full() -> None:
        code = solver.solve(tm.model, shared)
        outcome["code"] = code
        if code in (cp_model.OPTIMAL, cp_model.INFEASIBLE) or full_budget >= budget:
            search.stop()  # proven optimal or infeasible, or out of time
        else:
            helper.run(deadline)

    thread = threading.Thread(target=run_full, name="tot-cp-sat", daemon=True)
    stoppers = (solver.stop_search, search.stop, helper.stop)
    for stopper in stoppers:
        context.stop.attach(stopper)
    thread.start()
    search.run(deadline)
    solver.stop_search()
    helper.stop()
    thread.join()
    for stopper in stoppers:
        context.stop.detach(stopper)

    code = outcome.get("code", cp_model.UNKNOWN)
    status = STATUS_NAMES.get(code, "UNKNOWN")
    values, objective = incumbent.snapshot()
    if values is None:
        return _Outcome(status if status in ("INFEASIBLE", "MODEL_INVALID") else "UNKNOWN")
    bounds = [shared.bound, first.bound if first.bound is not None else -math.inf]
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bounds.append(solver.best_objective_bound)
    if status == "OPTIMAL":
        bounds.append(solver.objective_value)
    found_bound = max(bounds)
    bound = found_bound if math.isfinite(found_bound) else None
    proven = bound is not None and bound >= objective - 1e-6
    return _Outcome(
        "OPTIMAL" if proven else "FEASIBLE",
        values,
        objective,
        bound,
        incumbent.first_at,
        incumbent.found_at,
    )


def _hint(model: cp_model.CpModel, values: Mapping[int, int] | Sequence[int]) -> None:
    """Hint `values`: a whole assignment, or some variables (index -> value)."""
    model.clear_hints()
    hint = model.proto.solution_hint
    if isinstance(values, Mapping):
        hint.vars.extend(values.keys())
        hint.values.extend(values.values())
    else:
        hint.vars.extend(range(len(values)))
        hint.values.extend(values)


def evaluate(tm: TimetableModel, values: Sequence[int]) -> tuple[int, dict[SoftId, int]]:
    """The exact objective and penalties of an assignment: decisions fixed, penalties minimised."""
    decisions = {var.index: values[var.index] for var in tm.vars.decisions()}
    solver = _fixed(tm, decisions, values, 60.0)
    if solver is None:
        raise RuntimeError("re-evaluating the timetable failed: its decisions break a rule")
    penalties = {soft_id: int(solver.value(expr)) for soft_id, expr in tm.penalties.items()}
    objective = sum(tm.problem.weight(s) * value for s, value in penalties.items())
    return objective, penalties


def _fixed(
    tm: TimetableModel,
    decisions: Mapping[int, int],
    hint: Sequence[int] | None,
    time_limit: float,
    deterministic: bool = False,
) -> cp_model.CpSolver | None:
    """CP-SAT, one worker, after minimising every penalty of `tm` with its decisions fixed
    to `decisions` (variable index -> value), from `hint` (a whole assignment) if given;
    None when those decisions break a hard rule or time runs out."""
    clone = tm.model.clone()
    for index, value in decisions.items():
        clone.add(clone.get_int_var_from_proto_index(index) == value)
    clone.minimize(tm.objective())
    if hint is not None:
        _hint(clone, hint)
    else:
        clone.clear_hints()
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    if deterministic:
        solver.parameters.max_deterministic_time = time_limit
    else:
        solver.parameters.max_time_in_seconds = time_limit
    code = solver.solve(clone)
    return solver if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


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
