"""Re-planning: a feasible timetable close to a published one, after something changed.

The published timetable's sessions are matched to the new instance's offerings (event, topic
and groups). The solver first minimises the *disruption*, then, with the least disruption
kept, the policy's usual objective (`solve(..., first_objective=...)`), by CP-SAT's own
portfolio, which starts from the published timetable given as a hint (the large neighbourhood
search would start from a timetable of its own). Disruption, per published session:

| change                                        | weight |
|-----------------------------------------------|--------|
| the session no longer at its date and slot    | `MOVED` = 10 |
| each facilitator no longer at it              | `TRAINER` = 3 |
| its training method changed                   | `METHOD` = 2 |
| its room changed                              | `ROOM` = 1 |

A session kept at its date and slot with its facilitators, method and room costs nothing,
and only such a session counts as kept. The method is part of what was published: trainers
prepare the session for it, so a new one costs more than a new room and less than a new
facilitator. Pinned sessions (by id, or every session of a date already delivered) must stay
exactly as published. Sessions of offerings that no longer exist are dropped; new offerings'
sessions are new; neither enters the disruption.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from models import EventPlan, Instance, ScheduledSession, Timetable
from scheduler.checker import check
from scheduler.compile import OfferingData
from scheduler.errors import InputError
from scheduler.i18n import texts
from scheduler.model import BoolLit, TimetableModel
from scheduler.solve import Progress, Result, StopHandle, solve

MOVED, TRAINER, METHOD, ROOM = 10, 3, 2, 1
"""Disruption weights: a session moved, a facilitator replaced, a method or a room changed."""

OfferingKey = tuple[str, str, frozenset[str]]
ChangeKind = Literal[
    "kept", "moved", "trainers", "room", "method", "dropped", "new", "venue", "dates"
]


def _key(session: ScheduledSession) -> OfferingKey:
    return session.event, session.topic, frozenset(session.groups)


@dataclass(frozen=True)
class Change:
    """What happened to one session between the published and the repaired timetable."""

    session: str
    """The session's id in the published timetable (in the new one for a `new` session)."""
    kinds: tuple[ChangeKind, ...]
    before: str
    after: str


@dataclass
class Repair:
    """A repaired timetable (in `result`), with its changes against the published one."""

    result: Result
    changes: list[Change]
    events: list[Change] = field(default_factory=list)
    """Events held at another venue or on other dates (their id in `session`): what the
    sessions' dates and rooms follow from."""

    def count(self, kind: ChangeKind) -> int:
        """How many published sessions had a change of `kind` (or how many are new)."""
        return sum(kind in change.kinds for change in self.changes)

    @property
    def disruption(self) -> int | None:
        """The weighted disruption the solver reached (its first level), if it found one."""
        levels = self.result.levels
        return levels[0].objective if levels else None

    @property
    def fewest_proven(self) -> bool:
        """Whether the solver proved that no timetable changes the published one less."""
        levels = self.result.levels
        return bool(levels) and levels[0].status == "OPTIMAL"

    def summary(self, lang: str = "en") -> str:
        """`12 sessions kept, 3 moved, ...`: the changes counted by kind, with the weights."""
        _ = texts(lang, "explain").gettext
        return _(
            "{kept} sessions kept, {moved} moved, {trainers} with other trainers, {rooms} in "
            "another room, {methods} with another method, {dropped} dropped, {new} new "
            "(disruption {disruption}; weights: moved {w_moved}, trainer {w_trainer}, "
            "room {w_room}, method {w_method})."
        ).format(
            kept=self.count("kept"),
            moved=self.count("moved"),
            trainers=self.count("trainers"),
            rooms=self.count("room"),
            methods=self.count("method"),
            dropped=self.count("dropped"),
            new=self.count("new"),
            disruption=self.disruption,
            w_moved=MOVED,
            w_trainer=TRAINER,
            w_method=METHOD,
            w_room=ROOM,
        )


def change_name(kind: ChangeKind, lang: str = "en") -> str:
    """The name of a kind of change, as the table of changes shows it."""
    _ = texts(lang, "explain").gettext
    return {
        "kept": _("kept"),
        "moved": _("moved"),
        "trainers": _("trainers"),
        "room": _("room"),
        "method": _("method"),
        "dropped": _("dropped"),
        "new": _("new"),
        "venue": _("venue"),
        "dates": _("dates"),
    }[kind]


def status_caveat(lang: str = "en", repaired: Repair | None = None) -> str:
    """What the status and bound of a re-planned timetable mean (`tot repair`, and
    `tot compare --stable`): they are proven among the least disruptive timetables only; and
    when `repaired` did not prove its changes the fewest, that it did not."""
    _ = texts(lang, "explain").gettext
    if repaired is not None and repaired.disruption is not None and not repaired.fewest_proven:
        first = repaired.result.levels[0]
        bound = "-" if first.bound is None else f"{first.bound:g}"
        return _(
            "The changes were not proven the fewest in the time given (disruption "
            "{disruption}, while no re-plan can go below {bound}): a longer --time-limit may "
            "keep more of the published timetable."
        ).format(disruption=first.objective, bound=bound)
    return _(
        "The status and bound hold among the timetables that change the published one "
        "least; a fresh `tot solve` may find a lower objective."
    )


def pinned_sessions(published: Timetable, pins: Sequence[str], source: str) -> set[str]:
    """Session ids named by `pins`: session ids, or dates (YYYY-MM-DD) of whole days."""
    ids = {s.id for s in published.sessions}
    chosen: set[str] = set()
    for pin in pins:
        if pin in ids:
            chosen.add(pin)
            continue
        try:
            day = dt.date.fromisoformat(pin)
        except ValueError:
            close = difflib.get_close_matches(pin, sorted(ids), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else " (dates are written YYYY-MM-DD)"
            raise InputError(
                f"{source}: --pin '{pin}' is neither a session of the timetable nor a date{hint}"
            ) from None
        on_day = {s.id for s in published.sessions if s.date == day}
        if not on_day:
            raise InputError(f"{source}: --pin {pin}: the timetable has no session on that date")
        chosen |= on_day
    return chosen


def repair(
    instance: Instance,
    published: Timetable,
    *,
    pins: Sequence[str] = (),
    source: str = "timetable",
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    deterministic: bool = False,
    progress: Callable[[Progress], None] | None = None,
    stop: StopHandle | None = None,
) -> Repair:
    """Re-plan `instance` as close to `published` as its rules allow (see the module doc)."""
    pinned = pinned_sessions(published, pins, source)
    still_valid = check(instance, published).feasible

    def disruption(tm: TimetableModel) -> Any:
        first_variable = len(tm.model.proto.variables)
        _hint_plans(tm, published)
        expression = _disruption(tm, published, pinned)
        _hint_the_rest_false(tm, first_variable)
        if still_valid:
            # The published timetable breaks no rule of the changed instance: keep it whole.
            tm.model.add(expression == 0)
        return expression

    result = solve(
        instance,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        deterministic=deterministic,
        progress=progress,
        stop=stop,
        search="portfolio",
        first_objective=disruption,
    )
    changes = [] if result.timetable is None else compare(published, result.timetable)
    events = [] if result.timetable is None else event_changes(published, result.timetable)
    return Repair(result, changes, events)


def _disruption(tm: TimetableModel, published: Timetable, pinned: set[str]) -> Any:
    """The weighted disruption as an expression on `tm`; pinned sessions kept by constraints.

    The published timetable becomes a complete hint: its decisions and the disruption's own
    literals true, everything else false.
    """
    model, v, problem = tm.model, tm.vars, tm.problem
    offering_of = {
        (problem.events[k.event].id, k.topic_id, frozenset(k.group_ids)): k
        for k in problem.offerings
    }
    trainer_idx = {t.id: t.idx for t in problem.trainers}
    room_idx = {r.id: r.idx for r in problem.rooms}
    method_idx = {m.id: m.idx for m in problem.methods}
    plan_start = {plan.event: plan.start for plan in published.events}
    terms: list[Any] = []
    for session in published.sessions:
        k = offering_of.get(_key(session))
        if k is None:
            continue
        ev = problem.events[k.event]
        slot = session.slot - 1
        places: list[tuple[int, BoolLit, bool]] = []
        for start in range(ev.num_starts):
            for day in range(ev.num_days):
                period = day * ev.num_slots + slot
                if ev.date(start, day) != session.date or (k.idx, period) not in v.x:
                    continue
                place = v.x[k.idx, period]
                block = tm.block_lit(k.event, start)
                if block is not None:
                    place = _both(tm, place, block)
                as_published = ev.dates[start] == plan_start.get(ev.id)
                if as_published:
                    _hint(tm, v.x[k.idx, period], place)
                    _hint(tm, v.method.get((k.idx, period, method_idx.get(session.method, -1))))
                places.append((period, place, as_published))
        kept = _any(tm, [place for _p, place, _h in places])
        if any(hinted for _p, _l, hinted in places):
            _hint(tm, kept)
        must = session.id in pinned
        if must:
            model.add(kept == 1)
        terms.append(MOVED * (1 - kept))
        for facilitation in session.trainers:
            t = trainer_idx.get(facilitation.trainer)
            positions = [n for n, need in enumerate(k.needs) if need.name == facilitation.role]
            options = [(n, t) for n in positions] if t is not None else []
            retained = _retained(tm, k, places, v.staff, options, must)
            terms.append(TRAINER * (1 - retained))
        r = room_idx.get(session.room)
        same_room = _retained(tm, k, places, v.room, [(r,)] if r is not None else [], must)
        terms.append(ROOM * (1 - same_room))
        m = method_idx.get(session.method)
        same_method = _retained(tm, k, places, v.method, [(m,)] if m is not None else [], must)
        terms.append(METHOD * (1 - same_method))
    return sum(terms)


def _retained(
    tm: TimetableModel,
    k: OfferingData,
    places: list[tuple[int, BoolLit, bool]],
    choices: Mapping[Any, BoolLit],
    published: Sequence[tuple[int, ...]],
    must: bool,
) -> BoolLit | int:
    """A literal implying that the session keeps, at one of its published `places`, its
    published trainer, room or method: `choices[k, period, *option]` for one of the
    `published` options; held true for a pinned session. The published place's is hinted."""
    kept = []
    for period, place, hinted in places:
        for option in published:
            lit = choices.get((k.idx, period, *option))
            if lit is None:
                continue
            # A choice with one option is `x` itself: `place` already says it.
            kept.append(place if lit is tm.vars.x[k.idx, period] else _both(tm, place, lit))
            if hinted:
                _hint(tm, lit, kept[-1])
    retained = _any(tm, kept)
    if must:
        tm.model.add(retained == 1)
    return retained


def _hint_plans(tm: TimetableModel, published: Timetable) -> None:
    """Hint each event's published start date and venue (the search starts from them)."""
    problem = tm.problem
    plans = {plan.event: plan for plan in published.events}
    venue_idx = {venue.id: venue.idx for venue in problem.venues}
    for ev in problem.events:
        plan = plans.get(ev.id)
        if plan is None:
            continue
        for start in range(ev.num_starts):
            if ev.dates[start] == plan.start:
                _hint(tm, tm.block_lit(ev.idx, start))
        _hint(tm, tm.vars.venue.get((ev.idx, venue_idx.get(plan.venue, -1))))


def _hint(tm: TimetableModel, *lits: BoolLit | int | None) -> None:
    """Hint each literal of `lits` true, once (CP-SAT rejects a variable hinted twice)."""
    hinted = _hinted(tm)
    for lit in lits:
        if lit is None or isinstance(lit, int) or lit.index in hinted:
            continue
        hinted.add(lit.index)
        tm.model.add_hint(lit, 1)


def _hinted(tm: TimetableModel) -> set[int]:
    table = tm._cache.setdefault("repair_hints", set())
    assert isinstance(table, set)
    return table


def _hint_the_rest_false(tm: TimetableModel, first_variable: int) -> None:
    """Complete the hint: every decision, and every variable made for the disruption from
    `first_variable` on, not hinted true is hinted false.

    A complete hint that is feasible is CP-SAT's first solution; an infeasible one is repaired
    from there.
    """
    hinted = _hinted(tm)
    made = range(first_variable, len(tm.model.proto.variables))
    indices = [var.index for var in tm.vars.decisions()] + list(made)
    for index in indices:
        if index not in hinted:
            hinted.add(index)
            tm.model.add_hint(tm.model.get_bool_var_from_proto_index(index), 0)


def _both(tm: TimetableModel, first: BoolLit, second: BoolLit) -> BoolLit:
    """A literal implying both (the objective makes it true whenever it can be)."""
    if first is second:
        return first
    var = tm.model.new_bool_var("")
    tm.model.add_implication(var, first)
    tm.model.add_implication(var, second)
    return var


def _any(tm: TimetableModel, lits: list[BoolLit]) -> BoolLit | int:
    """A literal implying one of `lits` (0 when there is none)."""
    if not lits:
        return 0
    if len(lits) == 1:
        return lits[0]
    var = tm.model.new_bool_var("")
    tm.model.add_bool_or(lits).only_enforce_if(var)
    return var


def _place(session: ScheduledSession) -> str:
    """`1999-02-01 08:30`: date and start time, words of no language (the changes table is built
    before the language is known); `1999-02-01 #2` (its first slot) for a session without times."""
    if session.start_time is not None:
        return f"{session.date} {session.start_time:%H:%M}"
    return f"{session.date} #{session.slot}"


def _staff(session: ScheduledSession) -> frozenset[tuple[str, str]]:
    return frozenset((f.trainer, f.role) for f in session.trainers)


Pair = tuple[ScheduledSession | None, ScheduledSession | None]


def pair_sessions(before: Timetable, after: Timetable) -> list[Pair]:
    """Each session of `before` with its counterpart in `after` (None: gone), then the new ones.

    Sessions of one offering (event, topic and groups) are interchangeable: those at the same
    date and slot are paired first, the rest in date order.
    """
    earlier: dict[OfferingKey, list[ScheduledSession]] = defaultdict(list)
    later: dict[OfferingKey, list[ScheduledSession]] = defaultdict(list)
    for session in before.sessions:
        earlier[_key(session)].append(session)
    for session in after.sessions:
        later[_key(session)].append(session)
    pairs: list[Pair] = []
    for key, old_sessions in earlier.items():
        new_sessions = sorted(later.pop(key, []), key=lambda s: (s.date, s.slot))
        unmatched = []
        for old in sorted(old_sessions, key=lambda s: (s.date, s.slot)):
            same = next((s for s in new_sessions if (s.date, s.slot) == (old.date, old.slot)), None)
            if same is None:
                unmatched.append(old)
            else:
                new_sessions.remove(same)
                pairs.append((old, same))
        for old in unmatched:
            pairs.append((old, new_sessions.pop(0) if new_sessions else None))
        pairs.extend((None, new) for new in new_sessions)
    for new_sessions in later.values():
        pairs.extend((None, new) for new in new_sessions)
    return pairs


def compare(published: Timetable, repaired: Timetable) -> list[Change]:
    """Per published session: kept, moved, trainers, room or method changed, or dropped; then
    new ones."""
    changes: list[Change] = []
    for old, new in pair_sessions(published, repaired):
        if old is None:
            assert new is not None
            changes.append(Change(new.id, ("new",), "-", _place(new)))
        elif new is None:
            changes.append(Change(old.id, ("dropped",), _place(old), "-"))
        else:
            changes.append(_change(old, new))
    return sorted(changes, key=lambda c: c.session)


PlanChange = tuple[EventPlan, EventPlan, Literal["venue", "dates"]]


def plan_changes(before: Timetable, after: Timetable) -> list[PlanChange]:
    """(plan before, plan after, what differs) for each event of both whose venue or dates
    differ, venue first: the event-level part of a repair's or a comparison's changes."""
    earlier = {plan.event: plan for plan in before.events}
    found: list[PlanChange] = []
    for plan in after.events:
        old = earlier.get(plan.event)
        if old is None:
            continue
        if old.venue != plan.venue:
            found.append((old, plan, "venue"))
        if old.dates != plan.dates:
            found.append((old, plan, "dates"))
    return found


def event_changes(published: Timetable, repaired: Timetable) -> list[Change]:
    """Events whose venue or dates differ between the two timetables."""

    def span(plan: EventPlan) -> str:
        return f"{plan.dates[0]} - {plan.dates[-1]}" if plan.dates else "-"

    return [
        Change(new.event, (what,), old.venue, new.venue)
        if what == "venue"
        else Change(new.event, (what,), span(old), span(new))
        for old, new, what in plan_changes(published, repaired)
    ]


def _change(old: ScheduledSession, new: ScheduledSession) -> Change:
    kinds: list[ChangeKind] = []
    before_parts: list[str] = []
    after_parts: list[str] = []
    if (old.date, old.slot) != (new.date, new.slot):
        kinds.append("moved")
        before_parts.append(_place(old))
        after_parts.append(_place(new))
    gone = _staff(old) - _staff(new)
    if gone:
        kinds.append("trainers")
        before_parts.append(", ".join(sorted(f"-{t}" for t, _r in gone)))
        added = _staff(new) - _staff(old)
        after_parts.append(", ".join(sorted(f"+{t}" for t, _r in added)))
    if old.room != new.room:
        kinds.append("room")
        before_parts.append(old.room)
        after_parts.append(new.room)
    if old.method != new.method:
        kinds.append("method")
        before_parts.append(old.method)
        after_parts.append(new.method)
    if not kinds:
        return Change(old.id, ("kept",), _place(old), _place(new))
    return Change(old.id, tuple(kinds), "; ".join(before_parts), "; ".join(after_parts))
