"""Large neighbourhood search around the incumbent, with CP-SAT as the repair engine.

Each step frees part of the timetable (some offerings, groups, trainers, rooms, the offerings
that carry penalties, or some days or periods of an event), fixes every other decision to its
incumbent value, and lets CP-SAT re-optimise the freed part from the incumbent. A move is kept
when it is no worse. Sizes adapt per kind of neighbourhood: a part solved to optimality grows,
a part that runs out of time shrinks.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.compile import Problem
from scheduler.model import TimetableModel


@dataclass
class Incumbent:
    """The best assignment found by any search thread, shared under a lock."""

    values: list[int] | None = None
    objective: float = float("inf")
    found_at: float | None = None
    first_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Event = field(default_factory=threading.Event)

    def offer(self, values: Sequence[int], objective: float, now: float) -> bool:
        """Keep `values` if they are better than the incumbent; whether they were kept."""
        with self.lock:
            if self.first_at is None:
                self.first_at = now
            if objective >= self.objective:
                return False
            self.values = list(values)
            self.objective = objective
            self.found_at = now
            self.changed.set()
            return True

    def snapshot(self) -> tuple[list[int] | None, float]:
        with self.lock:
            return self.values, self.objective


@dataclass
class Neighbourhood:
    """What one step frees: whole offerings, and/or every session start in some periods."""

    kind: str
    offerings: set[int] = field(default_factory=set)
    periods: dict[int, set[int]] = field(default_factory=dict)
    rooms_of: set[int] = field(default_factory=set)
    """Offerings whose sessions keep their times but may change rooms."""


@dataclass
class _Kind:
    """Adaptive size and statistics of one kind of neighbourhood."""

    name: str
    make: Callable[[float], Neighbourhood]
    size: float
    tries: int = 0
    wins: int = 0


class LargeNeighbourhoodSearch:
    """Improves an incumbent of `tm` until `deadline` or until stopped."""

    def __init__(
        self,
        tm: TimetableModel,
        incumbent: Incumbent,
        seed: int,
        started: float,
        report: Callable[[float], None] | None = None,
    ) -> None:
        self.tm = tm
        self.problem: Problem = tm.problem
        self.incumbent = incumbent
        self.rng = random.Random(seed)
        self.started = started
        self.report = report
        self.stopped = threading.Event()
        self._solver: cp_model.CpSolver | None = None
        self._solver_lock = threading.Lock()
        self.steps = 0
        self.improvements = 0
        self._index_decisions()
        self.kinds = self._kinds()

    def stop(self) -> None:
        self.stopped.set()
        with self._solver_lock:
            if self._solver is not None:
                self._solver.stop_search()

    # Bookkeeping of the decision variables, by offering and period.

    def _index_decisions(self) -> None:
        v = self.tm.vars
        self.x_index: dict[tuple[int, int], int] = {key: var.index for key, var in v.x.items()}
        self.choices: dict[tuple[int, int], list[tuple[int, str, int]]] = defaultdict(list)
        for (k, p, r), var in v.room.items():
            self.choices[k, p].append((var.index, "room", r))
        for (k, p, m), var in v.method.items():
            self.choices[k, p].append((var.index, "method", m))
        for (k, p, _n, t), var in v.staff.items():
            self.choices[k, p].append((var.index, "staff", t))
        self.event_vars = [var.index for var in (*v.block.values(), *v.venue.values())]
        self.group_offerings: dict[int, list[int]] = defaultdict(list)
        self.trainer_offerings: dict[int, list[int]] = defaultdict(list)
        for offering in self.problem.offerings:
            for g in offering.groups:
                self.group_offerings[g].append(offering.idx)
            for t in offering.trainers():
                self.trainer_offerings[t].append(offering.idx)

    def _current(self, values: Sequence[int]) -> dict[int, list[tuple[int, list[tuple[str, int]]]]]:
        """Offering -> its sessions: (start period, chosen (kind, index) pairs)."""
        sessions: dict[int, list[tuple[int, list[tuple[str, int]]]]] = defaultdict(list)
        for (k, p), index in self.x_index.items():
            if values[index]:
                chosen = [(kind, what) for var, kind, what in self.choices[k, p] if values[var]]
                sessions[k].append((p, chosen))
        return sessions

    # Kinds of neighbourhoods.

    def _kinds(self) -> list[_Kind]:
        num = len(self.problem.offerings)
        start = max(2.0, min(6.0, num / 8))
        kinds = [
            _Kind("offerings", self._random_offerings, start),
            _Kind("penalised", self._penalised_offerings, start),
            _Kind("periods", self._periods, 3.0),
            _Kind("days", self._days, 1.0),
        ]
        if any(len(v) > 1 for v in self.group_offerings.values()):
            kinds.append(_Kind("groups", self._groups, start))
        if len(self.trainer_offerings) > 1:
            kinds.append(_Kind("trainers", self._trainers, start))
        if len(self.problem.rooms) > 1:
            kinds.append(_Kind("rooms", self._rooms, start))
            kinds.append(_Kind("room-swaps", self._room_swaps, 3.0))
        return kinds

    def _grow(self, kind: str, pool: Callable[[], list[int]], size: float) -> Neighbourhood:
        free: set[int] = set()
        target = max(1, round(size))
        for _ in range(50):
            if len(free) >= target:
                break
            free.update(pool())
        return Neighbourhood(kind, offerings=free)

    def _random_offerings(self, size: float) -> Neighbourhood:
        count = min(len(self.problem.offerings), max(1, round(size)))
        return Neighbourhood(
            "offerings", offerings=set(self.rng.sample(range(len(self.problem.offerings)), count))
        )

    def _groups(self, size: float) -> Neighbourhood:
        groups = [g for g, ks in self.group_offerings.items() if ks]
        return self._grow("groups", lambda: self.group_offerings[self.rng.choice(groups)], size)

    def _trainers(self, size: float) -> Neighbourhood:
        values, _ = self.incumbent.snapshot()
        assert values is not None
        teaching: dict[int, set[int]] = defaultdict(set)
        for k, sessions in self._current(values).items():
            for _p, chosen in sessions:
                for kind, what in chosen:
                    if kind == "staff":
                        teaching[what].add(k)
        trainers = [t for t, ks in teaching.items() if ks] or list(self.trainer_offerings)
        return self._grow(
            "trainers", lambda: sorted(teaching.get(self.rng.choice(trainers), set())), size
        )

    def _rooms(self, size: float) -> Neighbourhood:
        values, _ = self.incumbent.snapshot()
        assert values is not None
        using: dict[int, set[int]] = defaultdict(set)
        for k, sessions in self._current(values).items():
            for _p, chosen in sessions:
                for kind, what in chosen:
                    if kind == "room":
                        using[what].add(k)
        rooms = [r for r, ks in using.items() if ks]
        if not rooms:
            return self._random_offerings(size)
        return self._grow("rooms", lambda: sorted(using[self.rng.choice(rooms)]), size)

    def _room_swaps(self, size: float) -> Neighbourhood:
        """Every session held in a few rooms may change room, at its time."""
        values, _ = self.incumbent.snapshot()
        assert values is not None
        using: dict[int, set[int]] = defaultdict(set)
        for k, sessions in self._current(values).items():
            for _p, chosen in sessions:
                for kind, what in chosen:
                    if kind == "room":
                        using[what].add(k)
        rooms = list(using)
        count = min(len(rooms), max(2, round(size)))
        chosen_rooms = self.rng.sample(rooms, count)
        offerings = {k for r in chosen_rooms for k in using[r]}
        return Neighbourhood("room-swaps", rooms_of=offerings)

    def _penalised_offerings(self, size: float) -> Neighbourhood:
        values, _ = self.incumbent.snapshot()
        assert values is not None
        weights = self._blame(values)
        bad = [k for k, w in weights.items() if w > 0]
        if not bad:
            return self._random_offerings(size)
        target = max(1, round(size))
        chosen: set[int] = set()
        seed = self.rng.choices(
            bad, weights=[weights[k] for k in bad], k=min(len(bad), max(1, target // 2))
        )
        chosen.update(seed)
        # Fill up with offerings that share a group with the blamed ones: they are what moves.
        neighbours = [
            k2
            for k in seed
            for g in self.problem.offerings[k].groups
            for k2 in self.group_offerings[g]
        ]
        self.rng.shuffle(neighbours)
        for k in neighbours:
            if len(chosen) >= target:
                break
            chosen.add(k)
        while len(chosen) < min(target, len(self.problem.offerings)):
            chosen.add(self.rng.randrange(len(self.problem.offerings)))
        return Neighbourhood("penalised", offerings=chosen)

    def _blame(self, values: Sequence[int]) -> dict[int, int]:
        """A rough penalty per offering, only to aim neighbourhoods (not the objective)."""
        problem = self.problem
        current = self._current(values)
        blame: dict[int, int] = defaultdict(int)
        occupied: dict[tuple[int, int], set[int]] = defaultdict(set)
        for k, sessions in current.items():
            offering = problem.offerings[k]
            for p, _chosen in sessions:
                for g in offering.groups:
                    occupied[offering.event, g].update(range(p, p + offering.length))
        for k, sessions in current.items():
            offering = problem.offerings[k]
            ev = problem.events[offering.event]
            days = {p // ev.num_slots for p, _ in sessions}
            blame[k] += problem.weight("S2") * max(0, offering.min_days - len(days))
            rooms = {what for _p, chosen in sessions for kind, what in chosen if kind == "room"}
            blame[k] += problem.weight("S4") * max(0, len(rooms) - 1)
            for p, chosen in sessions:
                for kind, what in chosen:
                    if kind == "room":
                        blame[k] += problem.weight("S1") * max(
                            0, offering.attendees - problem.rooms[what].capacity
                        )
                slot = p % ev.num_slots
                for g in offering.groups:
                    taken = occupied[offering.event, g]
                    before = slot > 0 and (p - 1) in taken
                    after = slot + offering.length < ev.num_slots and (p + offering.length) in taken
                    if not before and not after:
                        blame[k] += problem.weight("S3")
        return blame

    def _periods(self, size: float) -> Neighbourhood:
        ev = self.rng.choice(self.problem.events)
        count = min(ev.num_periods, max(2, round(size)))
        return Neighbourhood(
            "periods", periods={ev.idx: set(self.rng.sample(range(ev.num_periods), count))}
        )

    def _days(self, size: float) -> Neighbourhood:
        ev = self.rng.choice(self.problem.events)
        count = min(ev.num_days, max(2, round(size)))
        days = self.rng.sample(range(ev.num_days), count)
        periods = {d * ev.num_slots + s for d in days for s in range(ev.num_slots)}
        return Neighbourhood("days", periods={ev.idx: periods})

    # The search.

    def _fixed_model(self, values: Sequence[int], hood: Neighbourhood) -> cp_model.CpModel:
        """A copy of the model with every decision outside `hood` fixed to `values`."""
        model = self.tm.model.clone()
        variables = model.proto.variables

        def fix(index: int, value: int) -> None:
            domain = variables[index].domain
            domain.clear()
            domain.extend((value, value))

        for index in self.event_vars:
            fix(index, values[index])
        for (k, p), index in self.x_index.items():
            if k in hood.offerings:
                continue
            event = self.problem.offerings[k].event
            if p in hood.periods.get(event, ()):
                continue
            fix(index, values[index])
            if values[index]:
                for var, kind, _what in self.choices[k, p]:
                    if values[var] and not (kind == "room" and k in hood.rooms_of):
                        fix(var, 1)
        model.clear_hints()
        hint = model.proto.solution_hint
        hint.vars.extend(range(len(values)))
        hint.values.extend(values)
        return model

    def run(self, deadline: float, step_limit: float = 1.0) -> None:
        """Improve the incumbent until `deadline` (perf_counter seconds) or `stop()`."""
        while not self.stopped.is_set() and time.perf_counter() < deadline - 0.05:
            values, objective = self.incumbent.snapshot()
            if values is None:
                self.incumbent.changed.wait(0.05)
                continue
            kind = self._pick()
            hood = kind.make(kind.size)
            if not hood.offerings and not hood.periods and not hood.rooms_of:
                continue
            model = self._fixed_model(values, hood)
            solver = cp_model.CpSolver()
            parameters = solver.parameters
            parameters.num_workers = 1
            parameters.random_seed = self.rng.randrange(1 << 30)
            parameters.max_time_in_seconds = max(
                0.05, min(step_limit, deadline - time.perf_counter())
            )
            parameters.catch_sigint_signal = False
            parameters.cp_model_probing_level = 0
            with self._solver_lock:
                if self.stopped.is_set():
                    break
                self._solver = solver
            status = solver.solve(model)
            with self._solver_lock:
                self._solver = None
            self.steps += 1
            kind.tries += 1
            solved = status == cp_model.OPTIMAL
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                new_objective = solver.objective_value
                if new_objective < objective - 1e-9:
                    now = time.perf_counter() - self.started
                    if self.incumbent.offer(solver.response_proto.solution, new_objective, now):
                        kind.wins += 1
                        self.improvements += 1
                        if self.report is not None:
                            self.report(new_objective)
                elif new_objective <= objective + 1e-9 and self.rng.random() < 0.5:
                    # Sideways moves keep the search from circling on a plateau.
                    with self.incumbent.lock:
                        if self.incumbent.objective >= new_objective:
                            self.incumbent.values = list(solver.response_proto.solution)
            kind.size = kind.size * 1.15 if solved else max(1.0, kind.size * 0.85)
            limit = (
                len(self.problem.offerings)
                if kind.name not in ("periods", "days", "room-swaps")
                else 10**6
            )
            kind.size = min(kind.size, float(limit))

    def _pick(self) -> _Kind:
        """A kind of neighbourhood, favouring those that have improved the incumbent."""
        scores = [(kind.wins + 1) / (kind.tries + 2) for kind in self.kinds]
        return self.rng.choices(self.kinds, weights=scores, k=1)[0]
