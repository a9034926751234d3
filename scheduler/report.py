"""Terminal reports: the timetable as a day x slot grid per event, penalties and violations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models import SOFT_IDS, Instance, ScheduledSession, SoftId, Timetable
from scheduler.i18n import long_date, rule_name, rupiah, short_date, texts
from scheduler.itc2007 import Ud2Score


def _session_cell(session: ScheduledSession, instance: Instance, _: Callable[[str], str]) -> str:
    topic = escape(instance.topic(session.topic).title or session.topic)
    trainers = escape(", ".join(f.trainer for f in session.trainers))
    length = (
        " " + _("({count} slots)").format(count=session.num_slots) if session.num_slots > 1 else ""
    )
    head = f"[bold]{topic}[/bold]{length}"
    if len(session.groups) == 1:
        head += f" [cyan]{escape(session.groups[0])}[/cyan]"
    return f"{head}\n{escape(session.room)} · {escape(session.method)}\n[dim]{trainers}[/dim]"


def render_timetable(
    console: Console, instance: Instance, timetable: Timetable, lang: str = "en"
) -> None:
    """Print each event as a grid: one column per day, one row per slot of the day."""
    _ = texts(lang, "report").gettext
    by_event: dict[str, list[ScheduledSession]] = defaultdict(list)
    for session in timetable.sessions:
        by_event[session.event].append(session)
    for plan in timetable.events:
        event = instance.event(plan.event)
        venue = instance.venue(plan.venue)
        name = escape(event.name or event.id)
        title = name
        if plan.dates:
            title = _("{event} — {venue}, {first} to {last}").format(
                event=name,
                venue=escape(venue.name or venue.id),
                first=long_date(plan.dates[0], lang),
                last=long_date(plan.dates[-1], lang),
            )
        table = Table(title=title, show_lines=True, expand=False)
        table.add_column(_("slot"), no_wrap=True)
        for number, date in enumerate(plan.dates, start=1):
            heading = _("day {number}").format(number=number)
            table.add_column(f"{heading}\n{short_date(date, lang)}", overflow="fold")
        cells: dict[tuple[int, int], list[str]] = defaultdict(list)
        for session in sorted(by_event[plan.event], key=lambda s: (s.date, s.slot, s.room)):
            cells[session.day, session.slot].append(_session_cell(session, instance, _))
            for later in range(session.slot + 1, session.slot + session.num_slots):
                more = _("… {topic} continues").format(topic=escape(session.topic))
                cells[session.day, later].append(f"[dim]{more}[/dim]")
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
    lang: str = "en",
) -> None:
    """Print penalty, weight and weighted penalty per soft constraint id, and the total."""
    _ = texts(lang, "report").gettext
    table = Table(title=_("Penalties per soft constraint"))
    table.add_column(_("id"))
    table.add_column(_("rule"))
    table.add_column(_("penalty"), justify="right")
    table.add_column(_("weight"), justify="right")
    table.add_column(_("weighted"), justify="right")
    for soft_id in SOFT_IDS:
        weight = weights.get(soft_id, 0)
        if soft_id not in penalties or weight == 0:
            continue
        value = penalties[soft_id]
        table.add_row(
            soft_id, rule_name(soft_id, lang), str(value), str(weight), str(value * weight)
        )
    table.add_row("", f"[bold]{_('total')}[/bold]", "", "", f"[bold]{total}[/bold]")
    console.print(table)
    if cost_idr:  # none for an instance without fees, fares or venue rates (ITC2007)
        console.print(_("Cost: {amount}").format(amount=rupiah(cost_idr, lang)))


def render_violations(
    console: Console, violations: Sequence[tuple[str, str]], lang: str = "en"
) -> None:
    """Print each hard violation as `id name: message`."""
    for rule, message in violations:
        console.print(
            f"[red]{rule}[/red] {escape(rule_name(rule, lang))}: {escape(message)}",
            highlight=False,
        )


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
