"""Terminal reports: the timetable as a day x slot grid per event, penalties and violations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from rich.console import Console
from rich.table import Table

from models import SOFT_IDS, Instance, ScheduledSession, SoftId, Timetable
from models.common import RULE_NAMES
from scheduler.itc2007 import Ud2Score


def _session_cell(session: ScheduledSession, instance: Instance) -> str:
    topic = instance.topic(session.topic).title or session.topic
    audience = "+".join(session.groups) if session.groups else ""
    trainers = ", ".join(f.trainer for f in session.trainers)
    length = f" ({session.num_slots} slots)" if session.num_slots > 1 else ""
    head = f"[bold]{topic}[/bold]{length}"
    if audience and len(session.groups) == 1:
        head += f" [cyan]{audience}[/cyan]"
    return f"{head}\n{session.room} · {session.method}\n[dim]{trainers}[/dim]"


def render_timetable(console: Console, instance: Instance, timetable: Timetable) -> None:
    """Print each event as a grid: one column per day, one row per slot of the day."""
    by_event: dict[str, list[ScheduledSession]] = defaultdict(list)
    for session in timetable.sessions:
        by_event[session.event].append(session)
    for plan in timetable.events:
        event = instance.event(plan.event)
        venue = instance.venue(plan.venue)
        title = (
            f"{event.name or event.id} — {venue.name or venue.id}, "
            f"{plan.dates[0]:%a %d %b %Y} to {plan.dates[-1]:%a %d %b %Y}"
            if plan.dates
            else event.name or event.id
        )
        table = Table(title=title, show_lines=True, expand=False)
        table.add_column("slot", no_wrap=True)
        for number, date in enumerate(plan.dates, start=1):
            table.add_column(f"day {number}\n{date:%a %d %b}", overflow="fold")
        cells: dict[tuple[int, int], list[str]] = defaultdict(list)
        for session in sorted(by_event[plan.event], key=lambda s: (s.date, s.slot, s.room)):
            cells[session.day, session.slot].append(_session_cell(session, instance))
            for later in range(session.slot + 1, session.slot + session.num_slots):
                cells[session.day, later].append(f"[dim]… {session.topic} continues[/dim]")
        for slot_number, slot in enumerate(event.slots, start=1):
            row = [f"{slot_number}\n{slot.start:%H:%M}-{slot.end:%H:%M}"]
            for day in range(1, len(plan.dates) + 1):
                row.append("\n\n".join(cells.get((day, slot_number), [])))
            table.add_row(*row)
        console.print(table)


def render_penalties(
    console: Console,
    penalties: Mapping[SoftId, int],
    weights: Mapping[SoftId, int],
    total: int,
    cost_idr: int | None = None,
    title: str = "Penalties per soft constraint",
) -> None:
    """Print penalty, weight and weighted penalty per soft constraint id, and the total."""
    table = Table(title=title)
    table.add_column("id")
    table.add_column("rule")
    table.add_column("penalty", justify="right")
    table.add_column("weight", justify="right")
    table.add_column("weighted", justify="right")
    for soft_id in SOFT_IDS:
        weight = weights.get(soft_id, 0)
        if soft_id not in penalties or weight == 0:
            continue
        value = penalties[soft_id]
        table.add_row(soft_id, RULE_NAMES[soft_id], str(value), str(weight), str(value * weight))
    table.add_row("", "[bold]total[/bold]", "", "", f"[bold]{total}[/bold]")
    console.print(table)
    if cost_idr is not None:
        console.print(f"Cost: Rp {cost_idr:,}".replace(",", "."))


def render_violations(console: Console, violations: Sequence[tuple[str, str]]) -> None:
    """Print each hard violation as `id name: message`."""
    for rule, message in violations:
        console.print(f"[red]{rule}[/red] {RULE_NAMES.get(rule, '')}: {message}", highlight=False)


def render_ud2(console: Console, score: Ud2Score) -> None:
    """Print the ITC2007 validator's terms: hard violations, then the weighted UD2 costs."""
    table = Table(title="ITC2007 Track 3 (UD2)")
    table.add_column("term")
    table.add_column("value", justify="right")
    for name, value in score.terms().items():
        table.add_row(name, str(value))
    console.print(table)
    if score.violations:
        console.print(f"Violations = {score.violations}, Total Cost = {score.cost}")
    else:
        console.print(f"Total Cost = {score.cost}")
