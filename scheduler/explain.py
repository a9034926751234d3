"""Why no timetable exists: the smallest set of rules, per entity, that cannot all hold.

Each hard rule's constraints on one entity (H3 for trainer `ayu`, H4 for group `waria`, H5
for room `pendopo`, ...) hang on a guard literal (`build_model(..., guarding=True)` on a
`relaxed` problem, where availability is a constraint instead of a pruned domain). CP-SAT,
solving under all guards as assumptions, returns a subset that is already infeasible; a
deletion filter then shrinks it: a guard whose removal leaves the rest infeasible is dropped,
so that in the end every rule left is needed (minimal, when every check was decided in time).
Each rule is told in planners' words, with the dates and a concrete thing to relax.

The pre-solve diagnosis (`scheduler.diagnose`) runs first and answers the simple cases
without any search.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ortools.sat.python import cp_model

from models import Instance
from models.calendar import date_runs, working_days
from models.common import in_any
from scheduler.compile import compile_instance
from scheduler.diagnose import Finding, diagnose
from scheduler.i18n import and_list, long_date, rule_name, texts
from scheduler.model import Guard, TimetableModel, build_model

Verdict = Literal["feasible", "infeasible", "unknown"]
CHECK_SECONDS = 10.0
"""The longest a single feasibility check of the deletion filter may take."""


@dataclass
class Explanation:
    """The answer of `explain`: a verdict and the reasons, in the language asked for."""

    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)
    stage: Literal["pre-solve", "solver", "none"] = "none"
    """Where the reasons come from: the diagnosis before search, or the solver's core."""
    minimal: bool = False
    """Whether every rule left was shown necessary (each deletion check was decided)."""
    checks: int = 0
    """Feasibility checks the deletion filter ran."""
    runtime: float = 0.0
    guards: list[Guard] = field(default_factory=list)
    """The solver's rules behind `findings`, one each: (rule id, entity kind, entity id)."""


def explain(
    instance: Instance, time_limit: float = 60.0, lang: str = "en", workers: int = 1
) -> Explanation:
    """Diagnose `instance`; if that finds nothing, let CP-SAT find and shrink a conflict."""
    started = time.perf_counter()
    findings = diagnose(instance, lang)
    if findings:
        return Explanation(
            "infeasible", findings, "pre-solve", True, 0, time.perf_counter() - started
        )
    tm = _feasibility_model(instance)
    keys = list(tm.guards)
    deadline = started + time_limit
    verdict, core = _check(tm, keys, deadline - time.perf_counter(), workers)
    if verdict != "infeasible":
        return Explanation(verdict, runtime=time.perf_counter() - started)
    if not core:
        _ = texts(lang, "explain").gettext
        fixed = Finding(
            "H12",
            tuple(("event", event.id) for event in instance.events),
            _(
                "The events cannot be held even with every rule per trainer, room and group "
                "relaxed: the working days, the topics' day rules and unavailable slots leave "
                "no place for their sessions."
            ),
            _("Check the topics' day rules and unavailable slots, and the events' windows."),
        )
        runtime = time.perf_counter() - started
        return Explanation("infeasible", [fixed], "solver", True, 0, runtime)
    core, minimal, checks = _shrink(tm, core, deadline, workers)
    core = _ordered(core)
    day_more = {
        event_id: _a_day_more(instance, event_id, deadline - time.perf_counter(), workers)
        for event_id in dict.fromkeys(_lengthened(instance, key) for key in core)
        if event_id is not None
    }
    view = _in_scope(instance, core)
    told = [_finding(view, key, lang, day_more) for key in core]
    runtime = time.perf_counter() - started
    return Explanation("infeasible", told, "solver", minimal, checks, runtime, core)


def _feasibility_model(instance: Instance) -> TimetableModel:
    """The guarded model of `instance`, relaxed (availability as constraints), without an
    objective: whether a timetable exists, and which guards rule one out."""
    tm = build_model(compile_instance(instance, relaxed=True), guarding=True)
    tm.model.clear_objective()
    return tm


def _check(
    tm: TimetableModel, keys: Sequence[Guard], budget: float, workers: int
) -> tuple[Verdict, list[Guard]]:
    """Solve with the guards of `keys` switched on (the others free); the core if infeasible."""
    model = tm.model
    model.clear_assumptions()
    model.add_assumptions([tm.guards[key] for key in keys])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, budget)
    solver.parameters.num_workers = workers
    solver.parameters.catch_sigint_signal = False
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "feasible", []
    if status != cp_model.INFEASIBLE:
        return "unknown", list(keys)
    by_index = {tm.guards[key].index: key for key in keys}
    core = [by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index]
    return "infeasible", core


def _shrink(
    tm: TimetableModel, core: list[Guard], deadline: float, workers: int
) -> tuple[list[Guard], bool, int]:
    """Deletion filter: drop each guard whose removal leaves the rest infeasible.

    Broad guards (a whole event's sessions, a group) are tried first, so that what remains
    names the specific trainers, rooms and dates behind the conflict.
    """
    current = sorted(core, key=_breadth)
    minimal = True
    checks = 0
    index = 0
    while index < len(current):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return current, False, checks
        candidate = current[:index] + current[index + 1 :]
        verdict, smaller = _check(tm, candidate, min(CHECK_SECONDS, remaining), workers)
        checks += 1
        if verdict == "infeasible":
            kept = set(smaller) if smaller else set(candidate)
            before = [key for key in current[:index] if key in kept]
            current = before + [key for key in current[index + 1 :] if key in kept]
            index = len(before)
        else:
            minimal = minimal and verdict == "feasible"
            index += 1
    return current, minimal, checks


_BREADTH = {"H1": 0, "H4": 1, "H12": 1, "H13": 2}


def _breadth(key: Guard) -> tuple[int, str, str, str]:
    return (_BREADTH.get(key[0], 3), *key)


def _ordered(core: list[Guard]) -> list[Guard]:
    """Rules in catalogue order (H1 ... H13, then soft rules made hard), then by entity."""
    return sorted(core, key=lambda key: (key[0][0] == "S", int(key[0][1:]), key[1], key[2]))


# Telling a rule in planners' words.


def _in_scope(instance: Instance, core: Sequence[Guard]) -> Instance:
    """`instance` with only the events of the conflict, so that the dates and events told
    are theirs: the events whose sessions must all be held (H1 is in the conflict) and those
    its other rules name. All events when no H1 is in the conflict."""
    held = {entity for rule, kind, entity in core if (rule, kind) == ("H1", "event")}
    if not held:
        return instance
    named = held | {entity for _rule, kind, entity in core if kind == "event"}
    groups = {entity for _rule, kind, entity in core if kind == "group"}
    named |= {event.id for event in instance.events if groups & set(event.groups)}
    named |= {entity.split("/")[0] for _rule, kind, entity in core if kind == "pin"}
    events = tuple(event for event in instance.events if event.id in named)
    return instance.model_copy(update={"events": events})


def _lengthened(instance: Instance, key: Guard) -> str | None:
    """The event a day more for which the suggestion for `key` offers (H1, H4), if any."""
    rule, kind, entity = key
    if (rule, kind) in (("H1", "event"), ("H4", "event")):
        return entity
    if (rule, kind) == ("H4", "group"):
        return next(event.id for event in instance.events if entity in event.groups)
    return None


DayMore = Literal["helps", "no room in window", "no timetable", "unknown"]
"""What allowing an event a day more does: gives a timetable, does not fit its window, is
proven to give none, or was not decided in the time left."""


def _a_day_more(instance: Instance, event_id: str, budget: float, workers: int) -> DayMore:
    """What event `event_id` one day longer, in the same window, comes to (decided within
    `budget` seconds): the suggestion to allow it a day more is made only when it helps."""
    event = instance.event(event_id)
    if len(working_days(instance.province(event.province), event)) <= event.days:
        return "no room in window"
    if budget <= 0:
        return "unknown"
    longer = instance.model_copy(
        update={
            "events": tuple(
                e.model_copy(update={"days": e.days + 1}) if e.id == event_id else e
                for e in instance.events
            )
        }
    )
    tm = _feasibility_model(longer)
    verdict, _core = _check(tm, list(tm.guards), min(CHECK_SECONDS, budget), workers)
    if verdict == "feasible":
        return "helps"
    return "no timetable" if verdict == "infeasible" else "unknown"


def _finding(instance: Instance, key: Guard, lang: str, day_more: dict[str, DayMore]) -> Finding:
    """`key` told in planners' words; a day more for an event is suggested only where
    `day_more` says it helps (or could not tell)."""
    rule, kind, entity = key
    _ = texts(lang, "explain").gettext
    tell = _TELLERS.get((rule, kind))
    if tell is None:
        name = rule_name(rule, lang)
        message = _("The policy makes {rule} ({name}) a hard rule.").format(rule=rule, name=name)
        suggestion = _("Make {rule} a weighted soft rule again.").format(rule=rule)
        return Finding(rule, (("policy", rule),), message, suggestion)
    message, suggestion, entities = tell(instance, entity, lang)
    event_id = _lengthened(instance, key)
    verdict = day_more.get(event_id) if event_id is not None else None
    if verdict in ("no room in window", "no timetable"):
        why = (
            _("its window holds no day more")
            if verdict == "no room in window"
            else _("a day more alone finds no timetable")
        )
        suggestion = _("Widen or move the window of '{event}', or drop a topic ({why}).").format(
            event=event_id, why=why
        )
        if (rule, kind) == ("H4", "group"):
            suggestion = _(
                "Give '{group}' fewer sessions, or widen or move the window of '{event}' ({why})."
            ).format(group=entity, event=event_id, why=why)
    return Finding(rule, entities, message, suggestion)


Told = tuple[str, str, tuple[tuple[str, str], ...]]


def _sessions_of(instance: Instance, event_id: str) -> int:
    return sum(o.num_sessions for o in instance.offerings() if o.event == event_id)


def _event_h1(instance: Instance, event_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    event = instance.event(event_id)
    days = working_days(instance.province(event.province), event)
    days_text = _("{count} days").format(count=event.days)
    if event.days == 1:
        days_text = _("1 day")
    slots_text = _("{count} slots").format(count=len(event.slots))
    if len(event.slots) == 1:
        slots_text = _("1 slot")
    sessions = _sessions_of(instance, event_id)
    template = _(
        "All {sessions} sessions of event '{event}' must take place in {days} of {slots}, {when}."
    )
    if sessions == 1:
        template = _(
            "The only session of event '{event}' must take place in {days} of {slots}, {when}."
        )
    when = _("between {first} and {last}").format(
        first=long_date(days[0], lang), last=long_date(days[-1], lang)
    )
    if days[0] == days[-1]:
        when = _("on {date}").format(date=long_date(days[0], lang))
    message = template.format(
        sessions=sessions, event=event_id, days=days_text, slots=slots_text, when=when
    )
    suggestion = _(
        "Widen or move the window of '{event}', allow it a day more ({days} days), or drop a topic."
    ).format(event=event_id, days=event.days + 1)
    return message, suggestion, (("event", event_id),)


def _room_h2(instance: Instance, room_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    venue = next(v for v in instance.venues if any(r.id == room_id for r in v.rooms))
    message = _("Room '{room}' of venue '{venue}' holds one session at a time.").format(
        room=room_id, venue=venue.id
    )
    suggestion = _("Add a room at '{venue}', or book a second venue.").format(venue=venue.id)
    return message, suggestion, (("room", room_id), ("venue", venue.id))


def _listing(ids: Sequence[str], lang: str) -> str:
    """`'a', 'b' and 'c'`, in `lang`."""
    return and_list([f"'{item}'" for item in ids], lang)


def _trainer_topics(instance: Instance, trainer_id: str, lang: str) -> str:
    return _listing(list(instance.trainer(trainer_id).topics), lang)


def _trainer_h3(instance: Instance, trainer_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    trainer = instance.trainer(trainer_id)
    message = _(
        "Trainer '{trainer}' leads one session at a time and works in one event a day; "
        "they are needed for {topics}."
    ).format(trainer=trainer_id, topics=_trainer_topics(instance, trainer_id, lang))
    suggestion = _("Add a trainer qualified for {topics} in {province}.").format(
        topics=_trainer_topics(instance, trainer_id, lang),
        province=instance.province(trainer.home).name,
    )
    return message, suggestion, (("trainer", trainer_id),)


def _group_h4(instance: Instance, group_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    event = next(e for e in instance.events if group_id in e.groups)
    needed = sum(
        o.num_sessions * o.num_slots
        for o in instance.offerings()
        if o.event == event.id and group_id in o.groups
    )
    message = _(
        "Group '{group}' attends one session at a time: {needed} slots of sessions in "
        "{available} slots of event '{event}'."
    ).format(group=group_id, needed=needed, available=event.days * len(event.slots), event=event.id)
    suggestion = _("Allow a day more for '{event}', or give '{group}' fewer sessions.").format(
        event=event.id, group=group_id
    )
    return message, suggestion, (("group", group_id), ("event", event.id))


def _event_h4(instance: Instance, event_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    message = _("A session of event '{event}' cannot overlap another of its own topic.").format(
        event=event_id
    )
    suggestion = _("Allow a day more for '{event}'.").format(event=event_id)
    return message, suggestion, (("event", event_id),)


def _closed_dates(
    instance: Instance, closed: Callable[[dt.date], bool], events: Sequence[str]
) -> list[dt.date]:
    dates: set[dt.date] = set()
    for event_id in events:
        event = instance.event(event_id)
        dates.update(
            day for day in working_days(instance.province(event.province), event) if closed(day)
        )
    return sorted(dates)


def _date_list(dates: Sequence[dt.date], lang: str) -> str:
    """`8 March 1999`, runs of days as `8 March 1999 - 10 March 1999`, joined by commas."""
    return ", ".join(
        long_date(first, lang)
        if first == last
        else f"{long_date(first, lang)} - {long_date(last, lang)}"
        for first, last in date_runs(dates)
    )


def _trainer_events(instance: Instance, trainer_id: str) -> list[str]:
    topics = set(instance.trainer(trainer_id).topics)
    return [e.id for e in instance.events if any(item.topic in topics for item in e.curriculum)]


def _trainer_h5(instance: Instance, trainer_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    trainer = instance.trainer(trainer_id)

    def closed(day: dt.date) -> bool:
        outside = trainer.available is not None and not in_any(day, trainer.available)
        return outside or in_any(day, trainer.unavailable)

    dates = _closed_dates(instance, closed, _trainer_events(instance, trainer_id))
    message = _("Trainer '{trainer}' is unavailable on {dates}.").format(
        trainer=trainer_id, dates=_date_list(dates, lang) or "-"
    )
    suggestion = _(
        "Ask '{trainer}' to come on those dates, or add another trainer qualified for {topics}."
    ).format(trainer=trainer_id, topics=_trainer_topics(instance, trainer_id, lang))
    return message, suggestion, (("trainer", trainer_id),)


def _room_h5(instance: Instance, room_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    venue = next(v for v in instance.venues if any(r.id == room_id for r in v.rooms))
    room = next(r for r in venue.rooms if r.id == room_id)

    def closed(day: dt.date) -> bool:
        shut = venue.available is not None and not in_any(day, venue.available)
        return shut or in_any(day, venue.unavailable) or in_any(day, room.unavailable)

    events = [e.id for e in instance.events if venue.id in e.venues]
    dates = _closed_dates(instance, closed, events)
    message = _("Room '{room}' of venue '{venue}' is closed on {dates}.").format(
        room=room_id, venue=venue.id, dates=_date_list(dates, lang) or "-"
    )
    suggestion = _("Book another room or venue for those dates, or move the window.")
    return message, suggestion, (("room", room_id), ("venue", venue.id))


def _pin_h5(instance: Instance, offering: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    pins = [pin for pin in instance.pins if pin.offering == offering]
    parts = []
    for pin in pins:
        if pin.day is not None and pin.slot is not None:
            parts.append(_("day {day}, slot {slot}").format(day=pin.day, slot=pin.slot))
        if pin.room is not None:
            parts.append(_("room '{room}'").format(room=pin.room))
        parts.extend(_("trainer '{trainer}'").format(trainer=t) for t in pin.trainers)
    message = _("Sessions of '{offering}' are pinned to {what}.").format(
        offering=offering, what=", ".join(parts) or "-"
    )
    suggestion = _("Unpin '{offering}', or pin it elsewhere.").format(offering=offering)
    return message, suggestion, (("pin", offering),)


def _topic_h5(instance: Instance, topic_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    topic = next(topic for topic in instance.topics if topic.id == topic_id)
    days = {
        "first": _("on the first day only"),
        "last": _("on the last day only"),
        "not-first": _("on any day but the first"),
        "not-last": _("on any day but the last"),
    }
    rules = [days[topic.days]] if topic.days in days else []
    if topic.unavailable:
        slots = "; ".join(
            _("day {day}, slot {slot}").format(day=u.day, slot=u.slot) for u in topic.unavailable
        )
        rules.append(_("never in {slots}").format(slots=slots))
    message = _("Sessions of topic '{topic}' take place {rules}.").format(
        topic=topic_id, rules=", ".join(rules)
    )
    suggestion = _(
        "Loosen the days or unavailable slots of '{topic}', or make sure its trainers can "
        "come then."
    ).format(topic=topic_id)
    return message, suggestion, (("topic", topic_id),)


def _trainer_h6(instance: Instance, trainer_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    methods = ", ".join(instance.trainer(trainer_id).methods)
    message = _("Trainer '{trainer}' can only run the methods {methods}.").format(
        trainer=trainer_id, methods=methods
    )
    suggestion = _("Prepare '{trainer}' for another method, or allow more methods.").format(
        trainer=trainer_id
    )
    return message, suggestion, (("trainer", trainer_id),)


def _room_h7(instance: Instance, room_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    venue = next(v for v in instance.venues if any(r.id == room_id for r in v.rooms))
    room = next(r for r in venue.rooms if r.id == room_id)
    message = _("Room '{room}' only has {facilities}.").format(
        room=room_id, facilities=", ".join(room.facilities) or "-"
    )
    suggestion = _("Equip '{room}' for the methods, or book a room that is.").format(room=room_id)
    return message, suggestion, (("room", room_id),)


def _topic_h9(instance: Instance, topic_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    before = _listing(instance.topic(topic_id).prerequisites, lang)
    message = _("Topic '{topic}' must come after {before}.").format(topic=topic_id, before=before)
    suggestion = _("Drop a prerequisite of '{topic}', or relax its day rule.").format(
        topic=topic_id
    )
    return message, suggestion, (("topic", topic_id),)


def _trainer_h10(instance: Instance, trainer_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    events = _trainer_events(instance, trainer_id)
    message = _("Trainer '{trainer}' needs travel days between the events {events}.").format(
        trainer=trainer_id, events=_listing(events, lang)
    )
    suggestion = _(
        "Leave more days between those events, or find a trainer living nearer for {topics}."
    ).format(topics=_trainer_topics(instance, trainer_id, lang))
    return message, suggestion, (("trainer", trainer_id),)


def _trainer_h11(instance: Instance, trainer_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    trainer = instance.trainer(trainer_id)
    limits = []
    if trainer.max_slots_per_day is not None:
        per_day = _("1 slot a day") if trainer.max_slots_per_day == 1 else _("{count} slots a day")
        limits.append(per_day.format(count=trainer.max_slots_per_day))
    if trainer.max_days is not None:
        in_all = _("1 day in all") if trainer.max_days == 1 else _("{count} days in all")
        limits.append(in_all.format(count=trainer.max_days))
    message = _("Trainer '{trainer}' works at most {limits}.").format(
        trainer=trainer_id, limits=", ".join(limits)
    )
    suggestion = _(
        "Raise the limits of '{trainer}', or add a trainer qualified for {topics}."
    ).format(trainer=trainer_id, topics=_trainer_topics(instance, trainer_id, lang))
    return message, suggestion, (("trainer", trainer_id),)


def _event_h13(instance: Instance, event_id: str, lang: str) -> Told:
    _ = texts(lang, "explain").gettext
    message = _("Event '{event}' uses the rooms of one venue only.").format(event=event_id)
    suggestion = _("Book a larger venue for '{event}'.").format(event=event_id)
    return message, suggestion, (("event", event_id),)


_TELLERS: dict[tuple[str, str], Callable[[Instance, str, str], Told]] = {
    ("H1", "event"): _event_h1,
    ("H2", "room"): _room_h2,
    ("H3", "trainer"): _trainer_h3,
    ("H4", "group"): _group_h4,
    ("H4", "event"): _event_h4,
    ("H5", "trainer"): _trainer_h5,
    ("H5", "room"): _room_h5,
    ("H5", "pin"): _pin_h5,
    ("H5", "topic"): _topic_h5,
    ("H6", "trainer"): _trainer_h6,
    ("H7", "room"): _room_h7,
    ("H9", "topic"): _topic_h9,
    ("H10", "trainer"): _trainer_h10,
    ("H11", "trainer"): _trainer_h11,
    ("H13", "event"): _event_h13,
}
