"""A lower bound on the best timetable from a model of days, not slots.

The whole model (`scheduler.model`) places each session on a period and gives it a room and
facilitators; its LP relaxation pays for fractions of trainer days and of sessions, and its
search has to refute day patterns one slot at a time (docs/CONSTRAINTS.md, "Bounds"). This
model keeps only what each day holds: how many sessions of each offering fall on each day of
its event, and how many of them each trainer facilitates in each position. It is small
enough for CP-SAT to solve to optimality in seconds, and every timetable of the whole model
is one of it at no higher penalty (below), so its optimum bounds the whole model's.

Kept exactly, per day: the sessions of an offering (H1) and its allowed days (H5, from the
compiled candidate starts); positions filled by distinct trainers of the position (H1, H6);
trainer availability under each block start (H5); the slots and days a trainer may work
(H11), with long sessions counted whole; block and venue (H12, H13); fees, fares and venue
days (S5); spread (S2); proficiency and avoided dates (S8); workload balance (S9).

Counted, as necessary conditions only: a group's slots a day (H4); sessions per room set of
the chosen venue (H2); a topic not before the last day of its prerequisite (H9); S10, one
session with a partner per position filled by a partnership trainer; S3, a group's only
session of a day; S11, the group slots beyond the day's early slots, and beyond
`max_daily_slots`; S7, with every session that may use a participatory method using one;
S8's avoided slots, when every start of the day hits one.

Left out: which slot (S6, adjacency beyond a lone session), rooms (S1, S4), a trainer's
dates across events (H3 and H10 between events).

With `slots`, the whole model's session starts lie under the day counts, with its own
rules on them (H4, H9, S3, S11); and per period, the positions of the sessions running then
are filled by distinct trainers working that day, those beyond the ones who do not avoid
the slot by ones who do (S8). Left out then: methods (S6), rooms, and which trainer fills
which session within a day. On the bundled provinces its optimum is the whole model's, and
its timetables complete on the whole model at the same objective (`scheduler.solve`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ortools.sat.python import cp_model

from models.common import MAX_PROFICIENCY, SoftId
from scheduler.compile import EventData, OfferingData, Problem
from scheduler.model import (
    BoolLit,
    Expr,
    TimetableModel,
    day_capacity,
    h4_group,
    h9_precedence,
    s3_compactness,
    s11_comfort,
)

IntVar: TypeAlias = Any
"""A CP-SAT integer variable (the API is used untyped, as in `scheduler.model`)."""


@dataclass
class DayModel:
    """The day model with its variables and one penalty expression per soft id."""

    problem: Problem
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    block: dict[tuple[int, int], BoolLit] = field(default_factory=dict)
    venue: dict[tuple[int, int], BoolLit] = field(default_factory=dict)
    sessions: dict[tuple[int, int], IntVar] = field(default_factory=dict)
    """(offering, day) -> how many of its sessions fall on that relative day."""
    most: dict[tuple[int, int], int] = field(default_factory=dict)
    """(offering, day) -> the most sessions of the offering that fit in that day."""
    used: dict[tuple[int, int], BoolLit] = field(default_factory=dict)
    days: dict[int, list[int]] = field(default_factory=dict)
    """Offering -> the relative days on which its sessions may fall."""
    staff: dict[tuple[int, int, int, int], IntVar] = field(default_factory=dict)
    """(offering, day, position, trainer) -> sessions that day with the trainer there."""
    works: dict[tuple[int, int, int], BoolLit] = field(default_factory=dict)
    """(trainer, event, day) -> whether the trainer facilitates in the event that day."""
    engaged: dict[tuple[int, int], BoolLit] = field(default_factory=dict)
    penalties: dict[SoftId, list[Expr]] = field(default_factory=lambda: defaultdict(list))
    slots: TimetableModel | None = None
    """With slots: the whole model's session starts `x`, its group and precedence rules."""
    _block_in: dict[tuple[int, frozenset[int]], BoolLit] = field(default_factory=dict)

    def objective(self) -> Expr:
        """The weighted sum of the penalties, as the whole model's `objective()`."""
        weight = self.problem.weight
        return sum(
            (weight(s) * sum(terms) for s, terms in self.penalties.items() if weight(s) > 0),
            cp_model.LinearExpr.constant(0),
        )

    def block_in(self, event: int, starts: frozenset[int]) -> BoolLit | bool:
        """True when `event`'s block starts at one of `starts` (a literal, or a constant)."""
        ev = self.problem.events[event]
        if not starts:
            return False
        if len(starts) == ev.num_starts:
            return True
        if (event, starts) not in self._block_in:
            lit = self.model.new_bool_var(f"block_e{event}_in_{min(starts)}")
            self.model.add(sum(self.block[event, s] for s in starts) == lit)
            self._block_in[event, starts] = lit
        return self._block_in[event, starts]


def applies(problem: Problem) -> bool:
    """Whether the day model bounds `problem`: one weighted objective and nothing relaxed."""
    return not problem.relaxed and problem.levels is None and not problem.pins


def build_day_model(problem: Problem, slots: bool = False) -> DayModel:
    """Variables, then each hard rule's day form, then the penalties (module docstring)."""
    dm = DayModel(problem)
    _events(dm)
    _sessions_per_day(dm)
    _trainer_days(dm)
    if slots:
        _slots(dm)
    _group_days(dm)
    _room_days(dm)
    _precedence(dm)
    _penalties(dm)
    for soft_id in problem.hard_soft:
        dm.model.add(sum(dm.penalties.get(soft_id, []), cp_model.LinearExpr.constant(0)) == 0)
    dm.model.minimize(dm.objective())
    return dm


def hint(target: DayModel, source: DayModel, value: Callable[[IntVar], int]) -> None:
    """Hint the day variables of `target` (the day model with slots) with their values in
    `source` (`value`, of the day model's solution): its search then starts from the day
    model's optimum (Sulsel: its first timetable 572 at 0.2 s, not 745)."""
    for table in ("block", "venue", "sessions", "used", "staff", "works", "engaged"):
        theirs = getattr(source, table)
        for key, var in getattr(target, table).items():
            if key in theirs:
                target.model.add_hint(var, value(theirs[key]))


def decision_pairs(
    dm: DayModel, whole: TimetableModel, starts: bool = True
) -> list[tuple[int, IntVar]]:
    """(index of a decision of `whole`, the variable of `dm` that stands for it): session
    starts, block and venue, which a timetable of the day model with slots fixes on the
    whole model for it to be completed (facilitators per session, rooms, methods); without
    `starts`, block and venue only (of any day model)."""
    if starts and dm.slots is None:
        raise ValueError("only the day model with slots has session starts")
    tables = [(whole.vars.block, dm.block), (whole.vars.venue, dm.venue)]
    if starts and dm.slots is not None:
        tables.insert(0, (whole.vars.x, dm.slots.vars.x))
    return [
        (whole_var.index, ours)
        for table, theirs in tables
        for key, ours in theirs.items()
        if (whole_var := table.get(key)) is not None
    ]


def with_days_fixed(
    dm: DayModel, whole: TimetableModel, value: Callable[[IntVar], int]
) -> cp_model.CpModel:
    """A copy of `whole`'s model with the days of a timetable of `dm` (`value`, of its
    solution) fixed: the sessions of each offering on each day, block and venue. Left to
    it: each session's slot within its day, facilitators, rooms and methods."""
    model = whole.model.clone()
    for indices, count in day_count_pairs(dm, whole):
        model.add(
            sum(model.get_int_var_from_proto_index(index) for index in indices) == value(count)
        )
    for index, ours in decision_pairs(dm, whole, starts=False):
        model.add(model.get_int_var_from_proto_index(index) == value(ours))
    return model


def day_count_pairs(dm: DayModel, whole: TimetableModel) -> list[tuple[list[int], IntVar]]:
    """(indices of `whole`'s starts of an offering on a day, the variable of `dm` counting
    its sessions that day): a timetable of a day model fixes these sums on the whole model,
    which leaves it the slot of each session within its day to choose."""
    starts: dict[tuple[int, int], list[int]] = defaultdict(list)
    for (k_idx, period), x in whole.vars.x.items():
        num_slots = dm.problem.events[dm.problem.offerings[k_idx].event].num_slots
        starts[k_idx, period // num_slots].append(x.index)
    return [(starts[key], count) for key, count in dm.sessions.items() if key in starts]


def _events(dm: DayModel) -> None:
    """H12 and H13: one block start and one venue per event; S5's venue days."""
    model, problem = dm.model, dm.problem
    for ev in problem.events:
        if ev.num_starts > 1:
            for start in range(ev.num_starts):
                dm.block[ev.idx, start] = model.new_bool_var(f"block_e{ev.idx}_s{start}")
            model.add_exactly_one(dm.block[ev.idx, s] for s in range(ev.num_starts))
        for venue in ev.venues:
            days_cost = problem.venues[venue].daily_units * ev.num_days
            if len(ev.venues) == 1:
                dm.penalties["S5"].append(days_cost)
                continue
            dm.venue[ev.idx, venue] = model.new_bool_var(f"venue_e{ev.idx}_v{venue}")
            dm.penalties["S5"].append(days_cost * dm.venue[ev.idx, venue])
        if len(ev.venues) > 1:
            model.add_exactly_one(dm.venue[ev.idx, v] for v in ev.venues)


def _most_per_day(starts: list[int], length: int) -> int:
    """The most sessions of `length` slots, not overlapping, that start at `starts` (slots)."""
    count, free_from = 0, 0
    for slot in sorted(starts):
        if slot >= free_from:
            count, free_from = count + 1, slot + length
    return count


def _sessions_per_day(dm: DayModel) -> None:
    """H1 and H6 per day: sessions on allowed days, positions filled by distinct trainers."""
    model, problem = dm.model, dm.problem
    for k in problem.offerings:
        ev = problem.events[k.event]
        slots_by_day: dict[int, list[int]] = defaultdict(list)
        for period in k.starts:
            slots_by_day[period // ev.num_slots].append(period % ev.num_slots)
        for day, slots in slots_by_day.items():
            most = min(k.num_sessions, _most_per_day(slots, k.length))
            count = model.new_int_var(0, most, f"sessions_k{k.idx}_d{day}")
            used = model.new_bool_var(f"used_k{k.idx}_d{day}")
            model.add(count >= used)
            model.add(count <= most * used)
            dm.sessions[k.idx, day], dm.most[k.idx, day], dm.used[k.idx, day] = count, most, used
            _positions(dm, k, ev, day)
        dm.days[k.idx] = sorted(slots_by_day)
        model.add(sum(dm.sessions[k.idx, day] for day in slots_by_day) == k.num_sessions)


def _positions(dm: DayModel, k: OfferingData, ev: EventData, day: int) -> None:
    model, problem = dm.model, dm.problem
    count, most = dm.sessions[k.idx, day], dm.most[k.idx, day]
    by_trainer: dict[int, list[IntVar]] = defaultdict(list)
    for n, need in enumerate(k.needs):
        filled = []
        for t in need.trainers:
            closed = problem.trainer_closed[t, ev.idx, day]
            if len(closed) == ev.num_starts:
                continue
            var = model.new_int_var(0, most, f"staff_k{k.idx}_d{day}_n{n}_t{t}")
            away = dm.block_in(ev.idx, closed)
            if away is not False:
                model.add(var == 0).only_enforce_if(away)
            dm.staff[k.idx, day, n, t] = var
            by_trainer[t].append(var)
            filled.append(var)
        model.add(sum(filled) == need.count * count)
    for vars_ in by_trainer.values():
        if len(vars_) > 1:
            model.add(sum(vars_) <= count)


def _trainer_days(dm: DayModel) -> None:
    """H11 per day and in all, with `works` and `engaged` as the whole model's; S5's fees
    and fares; and, as in its `_day_needs_trainers`, a day with a session of an offering
    has each position's count of its trainers working."""
    model, problem = dm.model, dm.problem
    by_day: dict[tuple[int, int, int], list[tuple[OfferingData, IntVar]]] = defaultdict(list)
    for (k_idx, day, _n, t), var in dm.staff.items():
        k = problem.offerings[k_idx]
        by_day[t, k.event, day].append((k, var))
    by_event: dict[tuple[int, int], list[BoolLit]] = defaultdict(list)
    for (t, e, day), items in sorted(by_day.items()):
        trainer = problem.trainers[t]
        capacity = day_capacity(problem, t, e)
        works = model.new_bool_var(f"works_t{t}_e{e}_d{day}")
        dm.works[t, e, day] = works
        by_event[t, e].append(works)
        model.add(sum(k.length * var for k, var in items) <= capacity * works)
        for k, var in items:
            model.add(var <= dm.most[k.idx, day] * works)
        for length in sorted({k.length for k, _v in items if k.length > 1}):
            long = [var for k, var in items if k.length >= length]
            if len(long) > 1:
                model.add(sum(long) <= capacity // length * works)
        if (t, e) not in dm.engaged:
            dm.engaged[t, e] = model.new_bool_var(f"engaged_t{t}_e{e}")
        model.add_implication(works, dm.engaged[t, e])
        if trainer.fee_units:
            dm.penalties["S5"].append(trainer.fee_units * works)
    for (t, e), engaged in dm.engaged.items():
        model.add(sum(by_event[t, e]) >= engaged)
        province = problem.events[e].province_idx
        fare = problem.fare_units.get((problem.trainers[t].home, province), 0)
        if province != problem.trainers[t].home and fare:
            dm.penalties["S5"].append(fare * engaged)
    for trainer in problem.trainers:
        days = [works for (t, _e), lits in by_event.items() if t == trainer.idx for works in lits]
        if trainer.max_days is not None and len(days) > trainer.max_days:
            model.add(sum(days) <= trainer.max_days)
    for k in problem.offerings:
        for day in dm.days[k.idx]:
            for n, need in enumerate(k.needs):
                works = [
                    dm.works[t, k.event, day]
                    for t in need.trainers
                    if (k.idx, day, n, t) in dm.staff
                ]
                model.add(need.count * dm.used[k.idx, day] <= sum(works))


def _group_days(dm: DayModel) -> None:
    """H4: a group's sessions of a day fit in its slots; S3 and S11 as far as days tell."""
    model, problem = dm.model, dm.problem
    by_group: dict[tuple[int, int], list[OfferingData]] = defaultdict(list)
    for k in problem.offerings:
        for g in k.groups:
            by_group[k.event, g].append(k)
    for (e, g), offerings in sorted(by_group.items()):
        ev = problem.events[e]
        for day in range(ev.num_days):
            on_day = [k for k in offerings if (k.idx, day) in dm.sessions]
            if not on_day:
                continue
            slots = sum(k.length * dm.sessions[k.idx, day] for k in on_day)
            model.add(slots <= ev.num_slots)
            count = sum(dm.sessions[k.idx, day] for k in on_day)
            if problem.counts("S3") and dm.slots is None:
                alone = model.new_bool_var(f"alone_e{e}_g{g}_d{day}")
                model.add(count != 1).only_enforce_if(alone.Not())
                dm.penalties["S3"].append(alone)
            if problem.counts("S11") and dm.slots is None:
                if ev.late_slots:
                    late = model.new_int_var(0, ev.num_slots, f"late_e{e}_g{g}_d{day}")
                    model.add(late >= slots - (ev.num_slots - len(ev.late_slots)))
                    dm.penalties["S11"].append(late)
                limit = problem.max_daily_slots
                if limit is not None and limit < ev.num_slots:
                    over = model.new_int_var(0, ev.num_slots, f"surplus_e{e}_g{g}_d{day}")
                    model.add(over >= slots - limit)
                    dm.penalties["S11"].append(over)


def _room_days(dm: DayModel) -> None:
    """H2 and H13: the sessions of a day that may only use a set of rooms of the chosen
    venue fill at most those rooms' slots (rooms closed all day not counted)."""
    model, problem = dm.model, dm.problem
    for ev in problem.events:
        for day in range(ev.num_days):
            on_day = [problem.offerings[i] for i in ev.offerings if (i, day) in dm.sessions]
            for venue in ev.venues:
                open_rooms = {
                    r
                    for r in problem.venues[venue].rooms
                    if len(problem.room_closed[r, ev.idx, day]) < ev.num_starts
                }
                room_sets = {frozenset(k.rooms) & open_rooms for k in on_day}
                for rooms in room_sets:
                    inside = [k for k in on_day if frozenset(k.rooms) & open_rooms <= rooms]
                    most = sum(k.length * dm.most[k.idx, day] for k in inside)
                    if most <= len(rooms) * ev.num_slots:
                        continue
                    slots = sum(k.length * dm.sessions[k.idx, day] for k in inside)
                    limit = model.add(slots <= len(rooms) * ev.num_slots)
                    if len(ev.venues) > 1:
                        limit.only_enforce_if(dm.venue[ev.idx, venue])


def _precedence(dm: DayModel) -> None:
    """H9: no session of a prerequisite on a day after one of the topic that needs it."""
    model, problem = dm.model, dm.problem
    for before, after in problem.prerequisites:
        num_days = problem.events[problem.offerings[after].event].num_days
        for day in range(num_days):
            if (after, day) not in dm.used:
                continue
            later = [
                dm.sessions[before, d]
                for d in range(day + 1, num_days)
                if (before, d) in dm.sessions
            ]
            if later:
                model.add(sum(later) == 0).only_enforce_if(dm.used[after, day])


def _penalties(dm: DayModel) -> None:
    """S2, S7, S8, S9 and S10 on the day variables (S3, S5, S11 are added with their rules)."""
    model, problem = dm.model, dm.problem
    for k in problem.offerings:
        if k.min_days > 1 and problem.counts("S2"):
            used = [dm.used[k.idx, day] for day in dm.days[k.idx]]
            missing = model.new_int_var(0, k.min_days, f"spread_missing_k{k.idx}")
            model.add(missing >= k.min_days - sum(used))
            dm.penalties["S2"].append(missing)
    if problem.counts("S7"):
        for ev in problem.events:
            may = sum(
                problem.offerings[i].num_sessions * problem.offerings[i].length
                for i in ev.offerings
                if any(problem.methods[m].participatory for m in problem.offerings[i].methods)
            )
            dm.penalties["S7"].append(max(0, ev.participation_target - may))
    if problem.counts("S8"):
        _trainer_fit(dm)
    if problem.counts("S9"):
        total = sum(
            k.num_sessions * k.length * sum(need.count for need in k.needs)
            for k in problem.offerings
        )
        share = -(-total // len(problem.trainers))
        excess = model.new_int_var(0, max(0, total - share), "workload_excess")
        loads: dict[int, list[Expr]] = defaultdict(list)
        for (k_idx, _d, _n, t), var in dm.staff.items():
            loads[t].append(problem.offerings[k_idx].length * var)
        for terms in loads.values():
            model.add(excess >= sum(terms) - share)
        dm.penalties["S9"].append(excess)
    if problem.counts("S10"):
        partners: dict[tuple[int, int], list[IntVar]] = defaultdict(list)
        for (k_idx, day, _n, t), var in dm.staff.items():
            if problem.trainers[t].role == problem.partnership_role:
                partners[k_idx, day].append(var)
        for (k_idx, day), count in dm.sessions.items():
            missing = model.new_int_var(0, dm.most[k_idx, day], f"no_partner_k{k_idx}_d{day}")
            model.add(missing >= count - sum(partners.get((k_idx, day), [])))
            dm.penalties["S10"].append(missing)


def _trainer_fit(dm: DayModel) -> None:
    model, problem = dm.model, dm.problem
    for (k_idx, day, _n, t), var in dm.staff.items():
        k, trainer = problem.offerings[k_idx], problem.trainers[t]
        ev = problem.events[k.event]
        penalty = MAX_PROFICIENCY - trainer.proficiency.get(k.topic_idx, MAX_PROFICIENCY)
        slots = [p % ev.num_slots for p in k.starts if p // ev.num_slots == day]
        hit = all(trainer.avoid_slots.intersection(range(s, s + k.length)) for s in slots)
        if hit and dm.slots is None:
            penalty += 1
        avoided = problem.avoided[t, k.event, day]
        if len(avoided) == ev.num_starts:
            penalty += 1
        elif avoided:
            on_avoided = dm.block_in(k.event, avoided)
            count = model.new_int_var(0, dm.most[k_idx, day], f"avoided_k{k_idx}_d{day}_t{t}")
            model.add(count >= var).only_enforce_if(on_avoided)
            dm.penalties["S8"].append(count)
        if penalty:
            dm.penalties["S8"].append(penalty * var)


def _slots(dm: DayModel) -> None:
    """The whole model's session starts under the day counts, with its H4, H9, S3 and S11;
    and per period, positions of sessions running then filled by distinct trainers working
    that day, those who avoid the slot counted (S8)."""
    model, problem = dm.model, dm.problem
    tm = TimetableModel(problem, model=model)
    dm.slots = tm
    for k in problem.offerings:
        ev = problem.events[k.event]
        by_day: dict[int, list[BoolLit]] = defaultdict(list)
        for period in k.starts:
            x = model.new_bool_var(f"x_k{k.idx}_p{period}")
            tm.vars.x[k.idx, period] = x
            by_day[period // ev.num_slots].append(x)
        for day, lits in by_day.items():
            model.add(sum(lits) == dm.sessions[k.idx, day])
    h4_group(tm)
    h9_precedence(tm)
    if problem.counts("S3"):
        dm.penalties["S3"].append(s3_compactness(tm))
    if problem.counts("S11"):
        dm.penalties["S11"].append(s11_comfort(tm))
    for ev in problem.events:
        for period in range(ev.num_periods):
            _positions_at(dm, tm, ev, period)


def _positions_at(dm: DayModel, tm: TimetableModel, ev: EventData, period: int) -> None:
    """For each set of trainers that alone may fill some positions: the positions of those
    running at `period` number at most its trainers working that day (H3), and those beyond
    its trainers who do not avoid the slot are filled by trainers who do (S8).

    Only trainers who avoid one slot count as avoiding it: a session covering two slots
    that a trainer avoids costs one point, not two.
    """
    model, problem = dm.model, dm.problem
    day, slot = divmod(period, ev.num_slots)
    running: list[tuple[frozenset[int], int, list[BoolLit]]] = []
    for k_idx in ev.offerings:
        k = problem.offerings[k_idx]
        covering = tm.covering(k, period)
        if not covering:
            continue
        for n, need in enumerate(k.needs):
            eligible = frozenset(t for t in need.trainers if (k.idx, day, n, t) in dm.staff)
            running.append((eligible, need.count, covering))
    if not running:
        return
    hits: list[tuple[BoolLit, int]] = []
    for trainers in {eligible for eligible, _c, _l in running} | {
        frozenset().union(*(eligible for eligible, _c, _l in running))
    }:
        positions = sum(
            count * sum(covering) for eligible, count, covering in running if eligible <= trainers
        )
        working = [(t, dm.works[t, ev.idx, day]) for t in trainers if (t, ev.idx, day) in dm.works]
        model.add(positions <= sum(works for _t, works in working))
        free = [works for t, works in working if problem.trainers[t].avoid_slots != {slot}]
        if len(free) < len(working) and problem.counts("S8"):
            hit = model.new_int_var(0, len(working), f"avoid_e{ev.idx}_p{period}_{len(hits)}")
            model.add(hit >= positions - sum(free))
            hits.append((hit, len(working)))
    if hits:
        most = model.new_int_var(0, max(top for _h, top in hits), f"avoid_e{ev.idx}_p{period}")
        for hit, _top in hits:
            model.add(most >= hit)
        dm.penalties["S8"].append(most)
