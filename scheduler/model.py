"""The CP-SAT model: variables, one function per hard rule, one per soft rule (docs/CONSTRAINTS.md).

Decisions are aggregated per *offering*: the sessions of an offering are interchangeable, so
`x[k, p]` says that offering `k` starts one of its sessions at period `p` (a date index times
the slots of a day, plus the slot). Rooms, methods and facilitators are chosen per started
session: `room[k, p, r]`, `method[k, p, m]` and `staff[k, p, n, t]` (trainer `t` in position
`n`). Where only one choice exists, the choice *is* `x[k, p]` and no variable is made.

Penalty variables are bounded from below only (the objective pushes them down); `solve`
re-evaluates the final assignment with every decision fixed, so the reported penalties are
exact.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ortools.sat.python import cp_model

from models.common import MAX_PROFICIENCY, SoftId
from scheduler.compile import EventData, OfferingData, Problem

BoolLit: TypeAlias = Any
"""A CP-SAT Boolean literal: a Boolean variable or its negation (the API is used untyped)."""
Expr: TypeAlias = Any
"""A CP-SAT linear expression, or a plain integer."""
Guard: TypeAlias = tuple[str, str, str]
"""A family of constraints that an explanation may switch off: (rule id, entity kind, id)."""


@dataclass
class Variables:
    """The decision variables, keyed by indices (see the module docstring)."""

    x: dict[tuple[int, int], BoolLit] = field(default_factory=dict)
    method: dict[tuple[int, int, int], BoolLit] = field(default_factory=dict)
    room: dict[tuple[int, int, int], BoolLit] = field(default_factory=dict)
    staff: dict[tuple[int, int, int, int], BoolLit] = field(default_factory=dict)
    block: dict[tuple[int, int], BoolLit] = field(default_factory=dict)
    venue: dict[tuple[int, int], BoolLit] = field(default_factory=dict)

    def decisions(self) -> list[BoolLit]:
        """Every decision variable once (choices that reuse `x` are not repeated)."""
        seen: dict[int, BoolLit] = {}
        for table in (self.x, self.method, self.room, self.staff, self.block, self.venue):
            for var in table.values():
                seen.setdefault(var.index, var)
        return list(seen.values())


@dataclass
class TimetableModel:
    """A built CP-SAT model with its variables and one penalty expression per soft id."""

    problem: Problem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    vars: Variables = field(default_factory=Variables)
    penalties: dict[SoftId, Expr] = field(default_factory=dict)
    rooms_aggregated: bool = False
    """Rooms left out: only counts of sessions and rooms per period (`_room_counts`)."""
    relaxation: bool = False
    """With rooms left out, whether the counts only bound the whole model (every candidate
    room counts) rather than promise rooms without capacity penalties (`rooms_are_nested`)."""
    guarding: bool = False
    """Whether each hard rule's constraints per entity hang on a literal of `guards`."""
    guards: dict[Guard, BoolLit] = field(default_factory=dict)
    """(rule, kind, entity id) -> the literal that switches those constraints on."""
    _cache: dict[str, object] = field(default_factory=dict)
    _structural: set[int] = field(default_factory=set)
    _guarded: Guard | None = None

    @contextmanager
    def guard(self, rule: str, kind: str, entity: str) -> Iterator[None]:
        """Constraints added inside hold only when the guard literal of (rule, kind, entity) does.

        A no-op unless `guarding`. Definitions made inside (`unguarded`) are left alone, and a
        guard inside a guard keeps the outer one.
        """
        if not self.guarding or self._guarded is not None:
            yield
            return
        key = (rule, kind, entity)
        first = len(self.model.proto.constraints)
        self._guarded = key
        try:
            yield
        finally:
            self._guarded = None
        constraints = self.model.proto.constraints
        indices = [i for i in range(first, len(constraints)) if i not in self._structural]
        if not indices:
            return
        if key not in self.guards:
            self.guards[key] = self.model.new_bool_var("guard_" + "_".join(key))
        literal = self.guards[key].index
        for i in indices:
            constraints[i].enforcement_literal.append(literal)

    @contextmanager
    def unguarded(self) -> Iterator[None]:
        """Constraints added inside define helper literals: no guard ever applies to them."""
        first = len(self.model.proto.constraints)
        try:
            yield
        finally:
            if self.guarding:
                self._structural.update(range(first, len(self.model.proto.constraints)))

    def at_most_one(self, lits: list[BoolLit]) -> None:
        """At most one of `lits`; a linear form when guarding (enforceable by a literal)."""
        if self.guarding:
            self.model.add(sum(lits) <= 1)
        else:
            self.model.add_at_most_one(lits)

    def exactly_one(self, lits: list[BoolLit]) -> None:
        """Exactly one of `lits`; a linear form when guarding (enforceable by a literal)."""
        if self.guarding:
            self.model.add(sum(lits) == 1)
        else:
            self.model.add_exactly_one(lits)

    def objective(self, soft_ids: Iterable[SoftId] | None = None) -> Expr:
        """Weighted sum of the penalties of `soft_ids` (default: all weighted ids)."""
        ids = list(self.penalties) if soft_ids is None else list(soft_ids)
        terms = [
            self.problem.weight(s) * self.penalties[s] for s in ids if self.problem.weight(s) > 0
        ]
        return sum(terms, cp_model.LinearExpr.constant(0)) if terms else 0

    # Lookups shared by several rules.

    def covering(self, k: OfferingData, period: int) -> list[BoolLit]:
        """Starts of offering `k` whose session occupies `period` (same day)."""
        num_slots = self.problem.events[k.event].num_slots
        day = period // num_slots
        return [
            self.vars.x[k.idx, start]
            for start in range(max(day * num_slots, period - k.length + 1), period + 1)
            if (k.idx, start) in self.vars.x
        ]

    def sessions(self, k: OfferingData) -> list[tuple[int, BoolLit]]:
        """(period, literal) of every candidate start of offering `k`."""
        return [(p, self.vars.x[k.idx, p]) for p in k.starts]

    def staff_by_trainer(self) -> dict[int, list[tuple[OfferingData, int, BoolLit]]]:
        """Per trainer: (offering, start period, literal) of every position it may fill."""
        cached = self._cache.get("staff_by_trainer")
        if cached is None:
            table: dict[int, list[tuple[OfferingData, int, BoolLit]]] = defaultdict(list)
            for (k_idx, period, _need, t), lit in self.vars.staff.items():
                table[t].append((self.problem.offerings[k_idx], period, lit))
            cached = dict(table)
            self._cache["staff_by_trainer"] = cached
        return cached  # type: ignore[return-value]

    def trainer_days(
        self, trainer: int
    ) -> dict[tuple[int, int], list[tuple[OfferingData, int, BoolLit]]]:
        """(event, relative day) -> the positions `trainer` may fill that day (computed once)."""
        by_trainer = self._cache.setdefault("trainer_days", {})
        assert isinstance(by_trainer, dict)
        if trainer not in by_trainer:
            table: dict[tuple[int, int], list[tuple[OfferingData, int, BoolLit]]] = defaultdict(
                list
            )
            for k, period, lit in self.staff_by_trainer().get(trainer, []):
                table[k.event, period // self.problem.events[k.event].num_slots].append(
                    (k, period, lit)
                )
            by_trainer[trainer] = dict(table)
        result: dict[tuple[int, int], list[tuple[OfferingData, int, BoolLit]]] = by_trainer[trainer]
        return result

    def trainer_events(self, trainer: int) -> list[int]:
        """The events in which `trainer` may facilitate."""
        return sorted({k.event for k, _p, _l in self.staff_by_trainer().get(trainer, [])})

    def engaged(self, trainer: int, event: int) -> BoolLit:
        """A literal that is true when `trainer` facilitates any session of `event`."""
        items = [
            item for item in self.staff_by_trainer().get(trainer, []) if item[0].event == event
        ]
        return self._indicator(
            ("engaged", trainer, event),
            items,
            self.problem.events[event].num_days * day_capacity(self.problem, trainer, event),
            lambda k: k.num_sessions,
        )

    def works(self, trainer: int, event: int, day: int) -> BoolLit:
        """A literal that is true when `trainer` facilitates in `event` on relative day `day`."""
        num_slots = self.problem.events[event].num_slots
        return self._indicator(
            ("works", trainer, event, day),
            self.trainer_days(trainer).get((event, day), []),
            day_capacity(self.problem, trainer, event),
            lambda k: min(k.num_sessions, num_slots // k.length),
            one_day=True,
        )

    def indicators(self, kind: str) -> dict[tuple[int, ...], BoolLit]:
        """The `engaged` or `works` literals made so far, keyed by their arguments."""
        table = self._cache.get("indicators", {})
        assert isinstance(table, dict)
        return {key[1:]: var for key, var in table.items() if key[0] == kind}

    def _indicator(
        self,
        key: tuple[object, ...],
        items: list[tuple[OfferingData, int, BoolLit]],
        capacity: int,
        most_sessions: Callable[[OfferingData], int],
        one_day: bool = False,
    ) -> BoolLit:
        """A boolean implied by each position literal in `items` (offering, period, literal).

        Besides the implications, two aggregated forms of the same link tighten the LP
        relaxation: the slots of all `items` fit in `capacity` times the indicator, and the
        positions of one offering number at most `most_sessions(offering)` times it. When
        `items` lie in `one_day` of `capacity` slots, long sessions are also counted
        (`_long_sessions_fit`).
        """
        table = self._cache.setdefault("indicators", {})
        assert isinstance(table, dict)
        if key not in table:
            var = self.model.new_bool_var("_".join(str(part) for part in key))
            by_offering: dict[int, list[BoolLit]] = defaultdict(list)
            with self.unguarded():
                for k, _period, lit in items:
                    self.model.add_implication(lit, var)
                    by_offering[k.idx].append(lit)
                if self.guarding:
                    # The aggregated forms hold only under H3/H4, which may be switched off.
                    by_offering.clear()
                    capacity = sum(k.length for k, _p, _l in items)
                self.model.add(sum(k.length * lit for k, _p, lit in items) <= capacity * var)
                for k_idx, lits in by_offering.items():
                    bound = most_sessions(self.problem.offerings[k_idx])
                    if len(lits) > 1 and bound < len(lits):
                        self.model.add(sum(lits) <= bound * var)
                if one_day and not self.guarding:
                    _long_sessions_fit(self.model, items, capacity, var)
            table[key] = var
        result: BoolLit = table[key]
        return result

    def block_lit(self, event: int, start: int) -> BoolLit | None:
        """The literal of block start `start` of `event`, or None when the start is fixed."""
        return self.vars.block.get((event, start))

    def group_starts(self) -> dict[tuple[int, int], list[OfferingData]]:
        """(event, group) -> offerings attended by the group."""
        table: dict[tuple[int, int], list[OfferingData]] = defaultdict(list)
        for k in self.problem.offerings:
            for g in k.groups:
                table[k.event, g].append(k)
        return table

    def group_occupancy(
        self, event: EventData, offerings: list[OfferingData]
    ) -> list[list[BoolLit]]:
        """Per period of `event`: literals of sessions of `offerings` occupying it."""
        occupancy: list[list[BoolLit]] = [[] for _ in range(event.num_periods)]
        for k in offerings:
            for start in k.starts:
                for period in range(start, start + k.length):
                    occupancy[period].append(self.vars.x[k.idx, start])
        return occupancy


def day_capacity(problem: Problem, trainer: int, event: int) -> int:
    """The slots `trainer` may facilitate in a day of `event` (H11)."""
    num_slots = problem.events[event].num_slots
    return min(num_slots, problem.trainers[trainer].max_slots_per_day or num_slots)


def _long_sessions_fit(
    model: cp_model.CpModel,
    items: list[tuple[OfferingData, int, BoolLit]],
    capacity: int,
    var: BoolLit,
) -> None:
    """Positions in `items`, all on one day of `capacity` slots, of sessions `length` slots
    long or longer number at most `capacity // length` times `var`, for each length above one.

    Redundant under H3 (one session at a time, so a day's slots are used once) and H11 (the
    slots a day): the rounded-down count that the plain capacity link leaves to the LP
    relaxation, where two 2-slot sessions fit one and a half times in a 3-slot day.
    """
    for length in sorted({k.length for k, _p, _l in items if k.length > 1}):
        long = [(k, lit) for k, _p, lit in items if k.length >= length]
        most = capacity // length
        if len(long) > most and sum(k.length for k, _l in long) > capacity:
            model.add(sum(lit for _k, lit in long) <= most * var)


def day_decisions(tm: TimetableModel) -> list[BoolLit]:
    """The day-level decisions, in the order a search that proves optimality branches on them.

    Each event's block start and venue, then which trainers are engaged in an event and on
    which days they work, the most expensive trainers first (`engaged` and `works` as made
    by the rules that count them). These fix the cost (S5) and bound the spread (S2) of a
    timetable; with them fixed, the LP relaxation of the rest is close to its integer
    optimum, while with them free it pays for fractions of trainer days. Branching on them
    first, "not working" first, lets the LP bound prune whole day patterns (measured in
    benchmarks/instances.py: the NTT instance is proven optimal several times sooner).
    """
    trainers = tm.problem.trainers
    decisions = [*tm.vars.block.values(), *tm.vars.venue.values()]
    for kind in ("engaged", "works"):
        made = tm.indicators(kind)
        order = sorted(made, key=lambda key: (-trainers[key[0]].fee_units, key))
        decisions += [made[key] for key in order]
    return decisions


def rooms_are_nested(problem: Problem) -> bool:
    """Whether any set of sessions that fits the rooms by size can be given rooms.

    True when each event has one venue, no room is ever closed, and each offering may use
    exactly the rooms of that venue that are large enough (all of them when capacity is
    soft): rooms then differ in size only, and counting per size threshold (Hall's condition
    on nested sets) decides whether a room assignment exists.
    """
    for ev in problem.events:
        if len(ev.venues) != 1:
            return False
        venue_rooms = problem.venues[ev.venues[0]].rooms
        if any(problem.room_closed[r, ev.idx, d] for r in venue_rooms for d in range(ev.num_days)):
            return False
        for k_idx in ev.offerings:
            k = problem.offerings[k_idx]
            large = {r for r in venue_rooms if problem.rooms[r].capacity >= k.attendees}
            if set(k.rooms) != (large if problem.capacity_hard else set(venue_rooms)):
                return False
    return True


def build_model(
    problem: Problem,
    rooms_aggregated: bool = False,
    guarding: bool = False,
    relaxation: bool = False,
) -> TimetableModel:
    """Make the variables, then the hard rules H1-H13, then the penalties of the soft rules.

    With `rooms_aggregated` (only for `rooms_are_nested` problems) no room is chosen: each
    period holds at most as many sessions of each size as there are rooms that large, so a
    room assignment without capacity penalties exists; S1 and S4 are then left out. Used
    as the first phase of a time-then-rooms search.

    A `relaxation` leaves rooms out for any problem: each period holds at most as many
    sessions as there are rooms they may use, per venue (a necessary condition only). Every
    timetable of the whole model is one of the relaxation at no higher penalty (S1 and S4
    are left out), so the relaxation's bound is one of the whole model: a smaller model,
    whose bound CP-SAT raises sooner (see `scheduler.solve`).

    With `guarding` each hard rule's constraints on one entity (H3 for a trainer, H4 for a
    group, ...) hold only under a literal of `tm.guards`, so that an infeasible model can
    name the rules behind it (scheduler.explain); build it from a `relaxed` problem so that
    availability is a constraint rather than a pruned domain.
    """
    tm = TimetableModel(
        problem,
        rooms_aggregated=rooms_aggregated or relaxation,
        guarding=guarding,
        relaxation=relaxation,
    )
    _make_variables(tm)
    for rule in HARD_RULES:
        rule(tm)
    for soft_id, penalty in SOFT_RULES.items():
        # An explanation asks for feasibility only: penalties matter when made hard.
        if problem.counts(soft_id) and (not guarding or soft_id in problem.hard_soft):
            with tm.unguarded():
                tm.penalties[soft_id] = penalty(tm)
            if soft_id in problem.hard_soft:
                with tm.guard(soft_id, "policy", "hard"):
                    tm.model.add(tm.penalties[soft_id] == 0)
    tm.model.minimize(tm.objective())
    return tm


def _make_variables(tm: TimetableModel) -> None:
    model, v, problem = tm.model, tm.vars, tm.problem
    for ev in problem.events:
        if ev.num_starts > 1:
            for start in range(ev.num_starts):
                v.block[ev.idx, start] = model.new_bool_var(f"block_e{ev.idx}_s{start}")
        if len(ev.venues) > 1:
            for venue in ev.venues:
                v.venue[ev.idx, venue] = model.new_bool_var(f"venue_e{ev.idx}_v{venue}")
    for k in problem.offerings:
        ev = problem.events[k.event]
        all_starts = frozenset(range(ev.num_starts))
        for p in k.starts:
            day = p // ev.num_slots
            x = model.new_bool_var(f"x_k{k.idx}_p{p}")
            v.x[k.idx, p] = x
            for m in k.methods:
                v.method[k.idx, p, m] = (
                    x if len(k.methods) == 1 else model.new_bool_var(f"method_k{k.idx}_p{p}_m{m}")
                )
            open_rooms = [
                r
                for r in k.rooms
                if (problem.relaxed or problem.room_closed[r, ev.idx, day] != all_starts)
                and not tm.rooms_aggregated
            ]
            for r in open_rooms:
                v.room[k.idx, p, r] = (
                    x if len(open_rooms) == 1 else model.new_bool_var(f"room_k{k.idx}_p{p}_r{r}")
                )
            for n, need in enumerate(k.needs):
                available = [
                    t
                    for t in need.trainers
                    if problem.relaxed or problem.trainer_closed[t, ev.idx, day] != all_starts
                ]
                for t in available:
                    v.staff[k.idx, p, n, t] = (
                        x
                        if len(available) == need.count
                        else model.new_bool_var(f"staff_k{k.idx}_p{p}_n{n}_t{t}")
                    )


# Hard rules.


def h1_complete(tm: TimetableModel) -> None:
    """H1: every session is scheduled exactly once, with a room, its facilitators and a method."""
    model, v = tm.model, tm.vars
    for k in tm.problem.offerings:
        with tm.guard("H1", "event", tm.problem.events[k.event].id):
            model.add(sum(lit for _p, lit in tm.sessions(k)) == k.num_sessions)
        for p, x in tm.sessions(k):
            methods = [v.method[k.idx, p, m] for m in k.methods]
            if len(methods) > 1:
                model.add(sum(methods) == x)
            rooms = [v.room[k.idx, p, r] for r in k.rooms if (k.idx, p, r) in v.room]
            if not tm.rooms_aggregated and (len(rooms) != 1 or rooms[0] is not x):
                model.add(sum(rooms) == x)
            for n, need in enumerate(k.needs):
                staff = [
                    v.staff[k.idx, p, n, t] for t in need.trainers if (k.idx, p, n, t) in v.staff
                ]
                if len(staff) != need.count or any(lit is not x for lit in staff):
                    model.add(sum(staff) == need.count * x)


def _clock_conflicts(tm: TimetableModel, items: list[tuple[int, int, BoolLit]]) -> None:
    """At most one of `items` (clock start, clock end, literal) may be true at any instant."""
    points = sorted({start for start, _end, _lit in items})
    for point in points:
        active = [lit for start, end, lit in items if start <= point < end]
        if len(active) > 1:
            tm.at_most_one(active)


def _never_same_date(
    tm: TimetableModel, first: tuple[int, int, BoolLit], second: tuple[int, int, BoolLit], gap: int
) -> None:
    """Forbid (event, day, literal) pairs from two events on dates at most `gap` days apart."""
    (e1, d1, lit1), (e2, d2, lit2) = first, second
    ev1, ev2 = tm.problem.events[e1], tm.problem.events[e2]
    for s1 in range(ev1.num_starts):
        for s2 in range(ev2.num_starts):
            if abs((ev1.date(s1, d1) - ev2.date(s2, d2)).days) > gap:
                continue
            clause = [lit1.Not(), lit2.Not()]
            for lit in (tm.block_lit(e1, s1), tm.block_lit(e2, s2)):
                if lit is not None:
                    clause.append(lit.Not())
            tm.model.add_bool_or(clause)


def _may_meet(tm: TimetableModel, e1: int, e2: int, gap: int) -> bool:
    """Whether some dates of two events' windows are at most `gap` days apart."""
    first, second = tm.problem.events[e1].dates, tm.problem.events[e2].dates
    return first[0] - second[-1] <= _days(gap) and second[0] - first[-1] <= _days(gap)


def _days(count: int) -> dt.timedelta:
    return dt.timedelta(days=count)


def h2_room(tm: TimetableModel) -> None:
    """H2: a room holds at most one session at a time.

    Within an event, per period of the day by clock time. Two events that may run on the
    same dates do not share a room on the same date (a room is booked by the day).
    """
    problem = tm.problem
    if tm.rooms_aggregated:
        _room_counts(tm)
        return
    by_room_day: dict[tuple[int, int, int], list[tuple[int, int, BoolLit]]] = defaultdict(list)
    for (k_idx, period, r), lit in tm.vars.room.items():
        k = problem.offerings[k_idx]
        ev = problem.events[k.event]
        start, end = ev.interval(period % ev.num_slots, k.length)
        by_room_day[r, ev.idx, period // ev.num_slots].append((start, end, lit))
    for (r, _e, _day), items in by_room_day.items():
        with tm.guard("H2", "room", problem.rooms[r].id):
            _clock_conflicts(tm, items)
    room_events: dict[int, set[int]] = defaultdict(set)
    for r, e, _day in by_room_day:
        room_events[r].add(e)
    for r, events in room_events.items():
        with tm.guard("H2", "room", problem.rooms[r].id):
            _room_across_events(tm, r, sorted(events), by_room_day)


def _room_across_events(
    tm: TimetableModel,
    r: int,
    ordered: list[int],
    by_room_day: dict[tuple[int, int, int], list[tuple[int, int, BoolLit]]],
) -> None:
    """Room `r` is not used by two of the events `ordered` on the same date."""
    problem = tm.problem
    for i, e1 in enumerate(ordered):
        for e2 in ordered[i + 1 :]:
            if not _may_meet(tm, e1, e2, 0):
                continue
            for d1 in range(problem.events[e1].num_days):
                for d2 in range(problem.events[e2].num_days):
                    lits1 = [lit for _s, _e, lit in by_room_day.get((r, e1, d1), [])]
                    lits2 = [lit for _s, _e, lit in by_room_day.get((r, e2, d2), [])]
                    if lits1 and lits2:
                        _never_same_date(
                            tm, (e1, d1, _any_of(tm, lits1, f"room{r}_e{e1}_d{d1}")),
                            (e2, d2, _any_of(tm, lits2, f"room{r}_e{e2}_d{d2}")), 0,
                        )  # fmt: skip


def _room_counts(tm: TimetableModel) -> None:
    """Per period and size: sessions at least that large <= rooms they may use.

    The rooms counted, per venue of the event, are the candidate rooms of those sessions:
    in a `relaxation` all of them (Hall's condition, necessary for a room assignment), else
    only those at least that large (with `rooms_are_nested`, sufficient for rooms without
    capacity penalties).
    """
    problem = tm.problem
    for ev in problem.events:
        offerings = [problem.offerings[k] for k in ev.offerings]
        occupancy = {k.idx: tm.group_occupancy(ev, [k]) for k in offerings}
        for size in sorted({k.attendees for k in offerings}):
            large = [k for k in offerings if k.attendees >= size]
            usable = {r for k in large for r in k.rooms}
            if not tm.relaxation:
                usable = {r for r in usable if problem.rooms[r].capacity >= size}
            counts = {v: len(usable.intersection(problem.venues[v].rooms)) for v in ev.venues}
            for period in range(ev.num_periods):
                lits = [lit for k in large for lit in occupancy[k.idx][period]]
                if len(lits) <= min(counts.values()):
                    continue
                if len(ev.venues) == 1:
                    tm.model.add(sum(lits) <= counts[ev.venues[0]])
                else:
                    rooms = sum(n * tm.vars.venue[ev.idx, v] for v, n in counts.items())
                    tm.model.add(sum(lits) <= rooms)


def _any_of(tm: TimetableModel, lits: list[BoolLit], name: str) -> BoolLit:
    """A boolean implied by each of `lits`."""
    if len(lits) == 1:
        return lits[0]
    var = tm.model.new_bool_var(f"any_{name}")
    with tm.unguarded():
        for lit in lits:
            tm.model.add_implication(lit, var)
    return var


def h3_trainer(tm: TimetableModel) -> None:
    """H3: a trainer facilitates at most one session at a time (and fills one position of it).

    Within an event, per period of the day by clock time. A trainer does not work in two
    events on the same date (between provinces H10 asks for more).
    """
    problem = tm.problem
    for t in range(len(problem.trainers)):
        with tm.guard("H3", "trainer", problem.trainers[t].id):
            _one_place_at_a_time(tm, t)


def _one_place_at_a_time(tm: TimetableModel, t: int) -> None:
    problem = tm.problem
    for (e, _day), items in tm.trainer_days(t).items():
        ev = problem.events[e]
        _clock_conflicts(
            tm, [(*ev.interval(period % ev.num_slots, k.length), lit) for k, period, lit in items]
        )
    events = tm.trainer_events(t)
    for i, e1 in enumerate(events):
        for e2 in events[i + 1 :]:
            if problem.events[e1].province_idx != problem.events[e2].province_idx:
                continue
            if _may_meet(tm, e1, e2, 0):
                _pairwise_days(tm, t, e1, e2, 0)


def _pairwise_days(tm: TimetableModel, trainer: int, e1: int, e2: int, gap: int) -> None:
    """Forbid `trainer` working in `e1` and `e2` on dates at most `gap` days apart."""
    days1 = sorted(day for e, day in tm.trainer_days(trainer) if e == e1)
    days2 = sorted(day for e, day in tm.trainer_days(trainer) if e == e2)
    for d1 in days1:
        for d2 in days2:
            _never_same_date(
                tm, (e1, d1, tm.works(trainer, e1, d1)), (e2, d2, tm.works(trainer, e2, d2)), gap
            )


def h4_group(tm: TimetableModel) -> None:
    """H4: a group attends at most one session at a time; an offering's sessions never overlap."""
    problem = tm.problem
    for (e, g), offerings in tm.group_starts().items():
        with tm.guard("H4", "group", problem.group_ids[g]):
            for lits in tm.group_occupancy(problem.events[e], offerings):
                if len(lits) > 1:
                    tm.at_most_one(lits)
    for k in problem.offerings:
        if not k.groups and k.length > 1:
            with tm.guard("H4", "event", problem.events[k.event].id):
                for lits in tm.group_occupancy(problem.events[k.event], [k]):
                    if len(lits) > 1:
                        tm.at_most_one(lits)


def h5_availability(tm: TimetableModel) -> None:
    """H5: no session where its event, venue, room, trainers or topic exclude it.

    Working days, the topic's rules and days closed under every block start are pruned when
    compiling (in a `relaxed` problem the topic's rules are constraints here). What is left
    depends on the block start: a room or trainer closed on a day under some starts rules
    those starts out when it is used that day.
    """
    problem = tm.problem
    for (k_idx, period, r), lit in tm.vars.room.items():
        k = problem.offerings[k_idx]
        day = period // problem.events[k.event].num_slots
        with tm.guard("H5", "room", problem.rooms[r].id):
            _closed_under(tm, lit, k.event, problem.room_closed[r, k.event, day])
    for t in range(len(problem.trainers)):
        for e, day in tm.trainer_days(t):
            closed = problem.trainer_closed[t, e, day]
            if closed:
                works = tm.works(t, e, day)
                with tm.guard("H5", "trainer", problem.trainers[t].id):
                    _closed_under(tm, works, e, closed)
    for k in problem.offerings:
        if k.topic_closed:
            with tm.guard("H5", "topic", k.topic_id):
                for period in sorted(k.topic_closed):
                    tm.model.add_bool_or([tm.vars.x[k.idx, period].Not()])
    _pins(tm)


def _pins(tm: TimetableModel) -> None:
    """H5 (pins): a pinned start is taken; the pinned room and trainers serve the session.

    A pin with a start binds the session starting there; one without binds every session
    of its offering. A pinned choice that compiling pruned away leaves the session impossible.
    """
    model, v = tm.model, tm.vars
    for pin in tm.problem.pins:
        k = tm.problem.offerings[pin.offering]
        periods = list(k.starts) if pin.period is None else [pin.period]
        with tm.guard("H5", "pin", k.id):
            for period in periods:
                x = v.x.get((k.idx, period))
                if x is None:  # the pinned start was pruned: no session can start there
                    model.add_bool_or([])
                    continue
                if pin.period is not None:
                    model.add_bool_or([x])
                if pin.room is not None and not tm.rooms_aggregated:
                    room = v.room.get((k.idx, period, pin.room))
                    model.add_bool_or([x.Not()] if room is None else [x.Not(), room])
                for t in pin.trainers:
                    staff = [
                        v.staff[k.idx, period, n, t]
                        for n in range(len(k.needs))
                        if (k.idx, period, n, t) in v.staff
                    ]
                    model.add_bool_or([x.Not(), *staff])


def _closed_under(tm: TimetableModel, lit: BoolLit, event: int, starts: frozenset[int]) -> None:
    """`lit` rules out the block starts `starts` of `event` (itself false if the start is fixed).

    A fixed start that is closed only reaches the model from a `relaxed` problem: otherwise
    compiling has pruned it.
    """
    for start in starts:
        block = tm.block_lit(event, start)
        if block is not None:
            tm.model.add_implication(lit, block.Not())
        else:
            tm.model.add_bool_or([lit.Not()])


def h6_qualification(tm: TimetableModel) -> None:
    """H6: every facilitator is qualified for the topic and the method; positions are filled.

    Topic, role, language and reach are pruned when compiling; the position counts are part
    of H1. Here: a trainer only facilitates a session whose method they can run.
    """
    model, v, problem = tm.model, tm.vars, tm.problem
    for (k_idx, period, _n, t), lit in v.staff.items():
        k = problem.offerings[k_idx]
        if len(k.methods) == 1:
            continue
        usable = [v.method[k_idx, period, m] for m in k.methods if m in problem.trainers[t].methods]
        if len(usable) < len(k.methods):
            with tm.guard("H6", "trainer", problem.trainers[t].id):
                model.add_bool_or(usable).only_enforce_if(lit)


def h7_suitability(tm: TimetableModel) -> None:
    """H7: the room has the facilities the method needs (capacity is pruned when hard)."""
    model, v, problem = tm.model, tm.vars, tm.problem
    for (k_idx, period, r), lit in v.room.items():
        k = problem.offerings[k_idx]
        if len(k.methods) == 1:
            continue
        room = problem.rooms[r]
        usable = [
            v.method[k_idx, period, m]
            for m in k.methods
            if problem.methods[m].facilities <= room.facilities
        ]
        if len(usable) < len(k.methods):
            with tm.guard("H7", "room", room.id):
                model.add_bool_or(usable).only_enforce_if(lit)


def h8_contiguity(tm: TimetableModel) -> None:
    """H8: a multi-slot session runs in consecutive slots of one day.

    Holds by construction: a session is one start variable, and only starts whose slots fit
    in the day are candidates.
    """


def h9_precedence(tm: TimetableModel) -> None:
    """H9: a topic's prerequisites finish before it starts, for the groups that attend both."""
    model, problem = tm.model, tm.problem
    for before_idx, after_idx in problem.prerequisites:
        before, after = problem.offerings[before_idx], problem.offerings[after_idx]
        with tm.guard("H9", "topic", after.topic_id):
            for period, lit in tm.sessions(after):
                for start, other in tm.sessions(before):
                    if start + before.length > period:
                        model.add_bool_or([lit.Not(), other.Not()])
        if not tm.guarding:
            _precedence_counts(tm, before, after)


def _precedence_counts(tm: TimetableModel, before: OfferingData, after: OfferingData) -> None:
    """Aggregated form of H9 for the LP relaxation: once `after` has started, every session
    of `before` has ended.

    Per start `p` of `after`: `before.num_sessions * x[after, p]` is at most the sessions of
    `before` ending by `p`; and the sessions of `after` started by `p`, times
    `before.num_sessions`, are at most `after.num_sessions` times those ended. Redundant
    under the pairwise clauses and H1 (a session of `after` at or before `p` forbids every
    session of `before` not ended by then, and all of them are scheduled), but the clauses
    alone let the LP put half a session before its prerequisite. Left out of an
    explanation's model (`guarding`), where H1 may be switched off.
    """
    model, x = tm.model, tm.vars.x
    for period in after.starts:
        done = [x[before.idx, s] for s in before.starts if s + before.length <= period]
        started = [x[after.idx, s] for s in after.starts if s <= period]
        if after.num_sessions > 1:
            model.add(before.num_sessions * x[after.idx, period] <= sum(done))
        model.add(before.num_sessions * sum(started) <= after.num_sessions * sum(done))


def h10_travel(tm: TimetableModel) -> None:
    """H10: a trainer working in two provinces has the travel days between them free."""
    problem = tm.problem
    for t in range(len(problem.trainers)):
        with tm.guard("H10", "trainer", problem.trainers[t].id):
            _travel_between(tm, t)


def _travel_between(tm: TimetableModel, t: int) -> None:
    problem = tm.problem
    events = tm.trainer_events(t)
    for i, e1 in enumerate(events):
        for e2 in events[i + 1 :]:
            p1, p2 = problem.events[e1].province_idx, problem.events[e2].province_idx
            if p1 == p2:
                continue
            if (p1, p2) not in problem.travel_days:
                tm.at_most_one([tm.engaged(t, e1), tm.engaged(t, e2)])
                continue
            gap = problem.travel_days[p1, p2]
            if _may_meet(tm, e1, e2, gap):
                _pairwise_days(tm, t, e1, e2, gap)


def h11_trainer_limits(tm: TimetableModel) -> None:
    """H11: a trainer's slots per day and days in total stay within their limits.

    A trainer works in at most one event a date (H3, H10), so days are counted per event day.
    """
    model, problem = tm.model, tm.problem
    for trainer in problem.trainers:
        days = tm.trainer_days(trainer.idx)
        with tm.guard("H11", "trainer", trainer.id):
            if trainer.max_slots_per_day is not None:
                for items in days.values():
                    if sum(k.length for k, _p, _l in items) > trainer.max_slots_per_day:
                        model.add(
                            sum(k.length * lit for k, _p, lit in items) <= trainer.max_slots_per_day
                        )
            if trainer.max_days is not None and len(days) > trainer.max_days:
                works = [tm.works(trainer.idx, e, day) for e, day in days]
                model.add(sum(works) <= trainer.max_days)


def h12_event_block(tm: TimetableModel) -> None:
    """H12: an event's sessions lie in one run of its length of consecutive working days.

    Sessions are placed on days of the block by construction; the block starts once.
    """
    for ev in tm.problem.events:
        if ev.num_starts > 1:
            tm.model.add_exactly_one(tm.vars.block[ev.idx, s] for s in range(ev.num_starts))


def h13_one_venue(tm: TimetableModel) -> None:
    """H13: an event uses rooms of a single venue."""
    model, v, problem = tm.model, tm.vars, tm.problem
    for ev in problem.events:
        if len(ev.venues) == 1:
            continue
        model.add_exactly_one(v.venue[ev.idx, venue] for venue in ev.venues)
    for (k_idx, _period, r), lit in v.room.items():
        ev = problem.events[problem.offerings[k_idx].event]
        if len(ev.venues) > 1:
            with tm.guard("H13", "event", ev.id):
                model.add_implication(lit, v.venue[ev.idx, problem.rooms[r].venue])


HARD_RULES: tuple[Callable[[TimetableModel], None], ...] = (
    h1_complete,
    h2_room,
    h3_trainer,
    h4_group,
    h5_availability,
    h6_qualification,
    h7_suitability,
    h8_contiguity,
    h9_precedence,
    h10_travel,
    h11_trainer_limits,
    h12_event_block,
    h13_one_venue,
)


# Soft rules: each returns its penalty as a linear expression.


def _weighted(pairs: Iterable[tuple[int, BoolLit]], constant: int = 0) -> Expr:
    pairs = [(coef, var) for coef, var in pairs if coef]
    if not pairs:
        return constant
    expr = cp_model.LinearExpr.weighted_sum([var for _c, var in pairs], [c for c, _v in pairs])
    return expr + constant if constant else expr


def s1_room_capacity(tm: TimetableModel) -> Expr:
    """S1: attendees above room capacity, per session."""
    problem = tm.problem
    if tm.rooms_aggregated:
        return 0
    return _weighted(
        (max(0, problem.offerings[k_idx].attendees - problem.rooms[r].capacity), lit)
        for (k_idx, _p, r), lit in tm.vars.room.items()
    )


def s2_spread(tm: TimetableModel) -> Expr:
    """S2: days missing below a topic's minimum number of distinct days, per offering."""
    model, problem = tm.model, tm.problem
    missing_vars = []
    for k in problem.offerings:
        if k.min_days <= 1:
            continue
        ev = problem.events[k.event]
        by_date: dict[int, list[BoolLit]] = defaultdict(list)
        for period, lit in tm.sessions(k):
            by_date[period // ev.num_slots].append(lit)
        used_days = []
        for date_idx, lits in by_date.items():
            used = model.new_bool_var(f"dayused_k{k.idx}_d{date_idx}")
            model.add_bool_or(lits).only_enforce_if(used)
            _day_needs_trainers(tm, k, date_idx, used)
            used_days.append(used)
        missing = model.new_int_var(0, k.min_days, f"spread_missing_k{k.idx}")
        model.add(missing >= k.min_days - sum(used_days))
        missing_vars.append(missing)
    return sum(missing_vars) if missing_vars else 0


def _day_needs_trainers(tm: TimetableModel, k: OfferingData, day: int, used: BoolLit) -> None:
    """A day counted for offering `k` (S2) has, for each of its positions, that many of the
    position's trainers working (`works`) on that day.

    Redundant: a counted day holds a session of `k` (S2's own link), whose positions are
    filled by distinct trainers (H1), each of whom then works that day. It matters to the
    LP relaxation, where a spread over more days is otherwise paid for by fractions of
    trainer days that also serve other sessions: here every counted day needs its own
    trainer days, so spreading and day fees (S5) are traded off as in whole numbers. Only
    where each trainer's day is costly or limited (a fee or `max_days`); otherwise a free
    trainer day satisfies it anyway. Left out of an explanation's model (`guarding`).
    """
    if tm.guarding:
        return
    problem = tm.problem
    for need in k.needs:
        trainers = [t for t in need.trainers if (k.event, day) in tm.trainer_days(t)]
        if not all(
            problem.trainers[t].fee_units > 0 or problem.trainers[t].max_days is not None
            for t in trainers
        ):
            continue
        works = [tm.works(t, k.event, day) for t in trainers]
        tm.model.add(need.count * used <= sum(works))


def s3_compactness(tm: TimetableModel) -> Expr:
    """S3: sessions of a group with no adjacent session of that group that day."""
    model, problem = tm.model, tm.problem
    isolated = []
    for (e, g), offerings in tm.group_starts().items():
        ev = problem.events[e]
        occupancy = tm.group_occupancy(ev, offerings)
        by_length: dict[int, list[OfferingData]] = defaultdict(list)
        for k in offerings:
            by_length[k.length].append(k)
        for length, same_length in by_length.items():
            starts: dict[int, list[BoolLit]] = defaultdict(list)
            for k in same_length:
                for period, lit in tm.sessions(k):
                    starts[period].append(lit)
            for period, lits in starts.items():
                slot = period % ev.num_slots
                before = occupancy[period - 1] if slot > 0 else []
                after_slot = slot + length
                after = occupancy[period + length] if after_slot < ev.num_slots else []
                var = model.new_bool_var(f"isolated_e{e}_g{g}_p{period}_l{length}")
                model.add(var >= sum(lits) - sum(before) - sum(after))
                isolated.append(var)
    return sum(isolated) if isolated else 0


def s4_room_stability(tm: TimetableModel) -> Expr:
    """S4: distinct rooms used by an offering, minus one."""
    if tm.rooms_aggregated:
        return 0
    model, v = tm.model, tm.vars
    extra = []
    for k in tm.problem.offerings:
        rooms_used: dict[int, list[BoolLit]] = defaultdict(list)
        for p in k.starts:
            for r in k.rooms:
                if (k.idx, p, r) in v.room:
                    rooms_used[r].append(v.room[k.idx, p, r])
        if len(rooms_used) <= 1:
            continue
        used = []
        for r, lits in rooms_used.items():
            var = model.new_bool_var(f"roomused_k{k.idx}_r{r}")
            for lit in lits:
                model.add_implication(lit, var)
            # Aggregated form of the same link, for the LP relaxation.
            model.add(sum(lits) <= min(k.num_sessions, len(lits)) * var)
            used.append(var)
        model.add(sum(used) >= 1)
        extra.append(sum(used) - 1)
    return sum(extra) if extra else 0


def s5_cost(tm: TimetableModel) -> Expr:
    """S5: trainer fees per day worked, return fares per event away from home, venue days."""
    problem = tm.problem
    terms: list[tuple[int, BoolLit]] = []
    constant = 0
    for trainer in problem.trainers:
        if trainer.fee_units:
            for e, day in tm.trainer_days(trainer.idx):
                terms.append((trainer.fee_units, tm.works(trainer.idx, e, day)))
        for e in tm.trainer_events(trainer.idx):
            province = problem.events[e].province_idx
            fare = problem.fare_units.get((trainer.home, province), 0)
            if province != trainer.home and fare:
                terms.append((fare, tm.engaged(trainer.idx, e)))
    for ev in problem.events:
        for venue in ev.venues:
            days_cost = problem.venues[venue].daily_units * ev.num_days
            if len(ev.venues) == 1:
                constant += days_cost
            else:
                terms.append((days_cost, tm.vars.venue[ev.idx, venue]))
    return _weighted(terms, constant)


def s6_method_variety(tm: TimetableModel) -> Expr:
    """S6: a group having the same method in two adjacent sessions."""
    model, v, problem = tm.model, tm.vars, tm.problem
    repeats = []
    for (e, g), offerings in tm.group_starts().items():
        ev = problem.events[e]
        ending: dict[tuple[int, int], list[BoolLit]] = defaultdict(list)
        starting: dict[tuple[int, int], list[BoolLit]] = defaultdict(list)
        for k in offerings:
            for period in k.starts:
                for m in k.methods:
                    lit = v.method[k.idx, period, m]
                    starting[period, m].append(lit)
                    ending[period + k.length - 1, m].append(lit)
        for (period, m), ends in ending.items():
            if (period + 1) % ev.num_slots == 0 or (period + 1, m) not in starting:
                continue
            var = model.new_bool_var(f"repeat_e{e}_g{g}_p{period}_m{m}")
            model.add(var >= sum(ends) + sum(starting[period + 1, m]) - 1)
            repeats.append(var)
    return sum(repeats) if repeats else 0


def s7_participation(tm: TimetableModel) -> Expr:
    """S7: shortfall of participatory-method slots below the event's target share."""
    model, v, problem = tm.model, tm.vars, tm.problem
    shortfalls = []
    for ev in problem.events:
        if ev.participation_target == 0:
            continue
        participatory = [
            (problem.offerings[k_idx].length, lit)
            for (k_idx, _p, m), lit in v.method.items()
            if problem.offerings[k_idx].event == ev.idx and problem.methods[m].participatory
        ]
        short = model.new_int_var(0, ev.participation_target, f"participation_short_e{ev.idx}")
        model.add(short >= ev.participation_target - _weighted(participatory))
        shortfalls.append(short)
    return sum(shortfalls) if shortfalls else 0


def s8_trainer_fit(tm: TimetableModel) -> Expr:
    """S8: lower proficiency, or a day or slot the trainer would rather avoid."""
    model, problem = tm.model, tm.problem
    terms = []
    for (k_idx, period, _n, t), lit in tm.vars.staff.items():
        k = problem.offerings[k_idx]
        ev = problem.events[k.event]
        trainer = problem.trainers[t]
        day, slot = divmod(period, ev.num_slots)
        penalty = MAX_PROFICIENCY - trainer.proficiency.get(k.topic_idx, MAX_PROFICIENCY)
        if len(problem.avoided[t, k.event, day]) == ev.num_starts:
            penalty += 1
        penalty += int(any(s in trainer.avoid_slots for s in range(slot, slot + k.length)))
        terms.append((penalty, lit))
    avoided_days = []
    for trainer in problem.trainers:
        for (e, day), items in tm.trainer_days(trainer.idx).items():
            ev = problem.events[e]
            starts = problem.avoided[trainer.idx, e, day]
            if not starts or len(starts) == ev.num_starts:
                continue
            # Sessions that day count only when the block puts an avoided date on it.
            on_avoided = sum(tm.vars.block[e, s] for s in starts)
            count = model.new_int_var(0, len(items), f"avoided_t{trainer.idx}_e{e}_d{day}")
            model.add(count >= sum(lit for _k, _p, lit in items) - len(items) * (1 - on_avoided))
            avoided_days.append(count)
    expr = _weighted(terms)
    return expr + sum(avoided_days) if avoided_days else expr


def s9_workload_balance(tm: TimetableModel) -> Expr:
    """S9: the busiest trainer's load (slots) above an even share of all facilitation."""
    model, problem = tm.model, tm.problem
    total = sum(
        k.num_sessions * k.length * sum(need.count for need in k.needs) for k in problem.offerings
    )
    share = -(-total // len(problem.trainers))
    excess = model.new_int_var(0, max(0, total - share), "workload_excess")
    for items in tm.staff_by_trainer().values():
        if sum(k.length for k, _p, _l in items) > share:
            model.add(excess >= sum(k.length * lit for k, _p, lit in items) - share)
    return excess


def s10_partnership(tm: TimetableModel) -> Expr:
    """S10: sessions without a facilitator of the partnership role (community by default)."""
    model, v, problem = tm.model, tm.vars, tm.problem
    partners: dict[tuple[int, int], list[BoolLit]] = defaultdict(list)
    for (k_idx, period, _n, t), lit in v.staff.items():
        if problem.trainers[t].role == problem.partnership_role:
            partners[k_idx, period].append(lit)
    missing = []
    for k in problem.offerings:
        for period, x in tm.sessions(k):
            lits = partners.get((k.idx, period), [])
            if not lits:
                missing.append(x)
            elif any(lit is x for lit in lits):
                continue
            else:
                var = model.new_bool_var(f"no_partner_k{k.idx}_p{period}")
                model.add(var >= x - sum(lits))
                missing.append(var)
    return sum(missing) if missing else 0


def s11_comfort(tm: TimetableModel) -> Expr:
    """S11: late slots, and slots a day beyond the comfortable number, per group."""
    model, problem = tm.model, tm.problem
    terms: list[tuple[int, BoolLit]] = []
    surplus = []
    for k in problem.offerings:
        ev = problem.events[k.event]
        if not k.groups or not ev.late_slots:
            continue
        for period, lit in tm.sessions(k):
            slot = period % ev.num_slots
            late = sum(1 for s in range(slot, slot + k.length) if s in ev.late_slots)
            terms.append((late * len(k.groups), lit))
    if problem.max_daily_slots is not None:
        limit = problem.max_daily_slots
        for (e, g), offerings in tm.group_starts().items():
            ev = problem.events[e]
            occupancy = tm.group_occupancy(ev, offerings)
            for day in range(ev.num_days):
                periods = range(day * ev.num_slots, (day + 1) * ev.num_slots)
                lits = [lit for period in periods for lit in occupancy[period]]
                if len(lits) <= limit:
                    continue
                over = model.new_int_var(0, ev.num_slots - limit, f"surplus_e{e}_g{g}_d{day}")
                model.add(over >= sum(lits) - limit)
                surplus.append(over)
    late_expr = _weighted(terms)
    return late_expr + sum(surplus) if surplus else late_expr


SOFT_RULES: dict[SoftId, Callable[[TimetableModel], Expr]] = {
    "S1": s1_room_capacity,
    "S2": s2_spread,
    "S3": s3_compactness,
    "S4": s4_room_stability,
    "S5": s5_cost,
    "S6": s6_method_variety,
    "S7": s7_participation,
    "S8": s8_trainer_fit,
    "S9": s9_workload_balance,
    "S10": s10_partnership,
    "S11": s11_comfort,
}
