"""Terminal reports: the timetable as a day x slot grid per event, penalties and violations.

Also what keeps tables readable in a narrow terminal (80 columns): cells that wrap only
between words and after a '/' of an id (`Wrapped`), and column widths that never cut a word
(`fit_columns`); a table that cannot fit so is printed in parts, or otherwise, by its caller.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from models import SOFT_IDS, EventPlan, Instance, ScheduledSession, SoftId, Timetable
from scheduler.i18n import long_date, rule_name, rupiah, short_date, texts
from scheduler.itc2007 import Ud2Score

Key = TypeVar("Key")
NO_BREAK_SPACE = "\u00a0"
_PIECE = re.compile(r"[^ /\n]*/ *|[^ /\n]+ *| +")
"""What `Wrapped` never breaks: a word up to and with its '/' (if any), and the spaces after it.
Only the ASCII space separates words, so no-break spaces hold."""
_UNIT_SPACE = re.compile(r"(?<=\bRp) (?=\d)|(?<=\d) (?=[^\W\d])")


def keep_units(text: str) -> str:
    """`text` with a no-break space between a number and its unit: `Rp 20,050,000`, `0.51 s`.

    Rich breaks lines at any white space, this one too; `Wrapped` cells do not.
    """
    return _UNIT_SPACE.sub(NO_BREAK_SPACE, text)


class Wrapped:
    """Text that wraps only at spaces and after a '/', so no word is cut: ids such as
    `tot-bali/partnership/all/1` break between their parts, and no-break spaces hold.

    A word wider than the whole cell is folded, as the last resort. Rich's own wrapping
    breaks at every white space and cuts words to fit columns narrower than they are.
    """

    def __init__(self, text: str | Text) -> None:
        self.text = text if isinstance(text, Text) else Text(text)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = self.text.plain.split("\n")
        widest_word = max(
            (cell_len(piece.rstrip(" ")) for line in lines for piece in _PIECE.findall(line)),
            default=0,
        )
        return Measurement(widest_word, max(cell_len(line) for line in lines))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        width = max(1, options.max_width)
        lines: list[Text] = []
        for line in self.text.split("\n", allow_blank=True):
            lines.extend(line.divide(_breaks(line.plain, width)))
        for line in lines:
            line.rstrip()
        wrapped = Text("\n").join(lines)
        # The no-break spaces have held; what is printed (or piped) is an ordinary space.
        wrapped.plain = wrapped.plain.replace(NO_BREAK_SPACE, " ")
        wrapped.justify = self.text.justify
        wrapped.overflow = "fold"
        yield wrapped


def _breaks(line: str, width: int) -> list[int]:
    """Offsets at which to break `line` so that each part fits `width` cells (see `Wrapped`)."""
    offsets: list[int] = []
    used = 0
    for match in _PIECE.finditer(line):
        piece, start = match.group(), match.start()
        word = piece.rstrip(" ")
        if used and used + cell_len(word) > width:
            offsets.append(start)
            used = 0
        if cell_len(word) > width:
            chunks = chop_cells(word, width)
            for chunk in chunks[:-1]:
                start += len(chunk)
                offsets.append(start)
            used = cell_len(chunks[-1]) + len(piece) - len(word)
        else:
            used += cell_len(piece)
    return offsets


def _extra_width(table: Table) -> int:
    """The cells of a line of `table` that are borders or padding, not content."""
    num_columns = len(table.columns)
    _top, right, _bottom, left = table.padding
    padding = (left + right) * num_columns
    if not table.pad_edge and num_columns:
        padding -= left + right
    borders = num_columns - 1 + (2 if table.show_edge else 0) if table.box else 0
    return padding + borders


def _share_widths(minimums: Sequence[int], maximums: Sequence[int], room: int) -> list[int]:
    """Each column its minimum, and the rest of `room` in proportion to what each lacks."""
    wants = [maximum - minimum for minimum, maximum in zip(minimums, maximums, strict=True)]
    spare = room - sum(minimums)
    total_want = sum(wants)
    if total_want <= spare:
        return list(maximums)
    widths = [
        minimum + want * spare // total_want for minimum, want in zip(minimums, wants, strict=True)
    ]
    # What rounding down left over goes one cell each to the columns that lack most.
    left_over = room - sum(widths)
    lacking = sorted(range(len(widths)), key=lambda idx: widths[idx] - maximums[idx])
    for idx in lacking[:left_over]:
        widths[idx] += 1
    return widths


def fit_columns(console: Console, table: Table) -> bool:
    """Set column widths so that `table` fits the console's width with no word cut.

    Each column gets at least its widest word (of `Wrapped` cells: its widest piece between
    breaks); a table that fits as rich lays it out is left as it is. False, changing nothing,
    when even the widest words do not fit side by side.
    """
    room = console.width - _extra_width(table)
    options = console.options.update_width(max(1, room))
    minimums: list[int] = []
    maximums: list[int] = []
    for column in table.columns:
        renderables: list[RenderableType] = [*column.cells]
        if table.show_header:
            renderables.append(column.header)
        measures = [Measurement.get(console, options, item) for item in renderables]
        maximum = max((m.maximum for m in measures), default=1)
        minimum = maximum if column.no_wrap else max((m.minimum for m in measures), default=1)
        minimums.append(max(minimum, column.min_width or 0))
        maximums.append(max(maximum, minimum))
    if sum(minimums) > room:
        return False
    if sum(maximums) > room:
        for column, column_width in zip(
            table.columns, _share_widths(minimums, maximums, room), strict=True
        ):
            column.width = column_width
    return True


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
    """Print each event as a grid: one column per day, one row per slot of the day.

    A grid too wide for the console, with no word cut, is printed in parts of as many
    consecutive days as fit.
    """
    by_event: dict[str, list[ScheduledSession]] = defaultdict(list)
    for session in timetable.sessions:
        by_event[session.event].append(session)
    for plan in timetable.events:
        _render_event(console, instance, plan, by_event[plan.event], lang)


def _render_event(
    console: Console,
    instance: Instance,
    plan: EventPlan,
    sessions: Sequence[ScheduledSession],
    lang: str,
) -> None:
    _ = texts(lang, "report").gettext
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
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for session in sorted(sessions, key=lambda s: (s.date, s.slot, s.room)):
        cells[session.day, session.slot].append(_session_cell(session, instance, _))
        for later in range(session.slot + 1, session.slot + session.num_slots):
            more = _("… {topic} continues").format(topic=escape(session.topic))
            cells[session.day, later].append(f"[dim]{more}[/dim]")

    def grid(days: Sequence[int]) -> Table:
        table = Table(show_lines=True, expand=False)
        table.add_column(_("slot"), no_wrap=True)
        for day in days:
            heading = _("day {number}").format(number=day)
            table.add_column(f"{heading}\n{short_date(plan.dates[day - 1], lang)}")
        for slot_number, slot in enumerate(event.slots, start=1):
            row: list[RenderableType] = [f"{slot_number}\n{slot.start:%H:%M}-{slot.end:%H:%M}"]
            for day in days:
                markup = "\n\n".join(cells.get((day, slot_number), []))
                row.append(Wrapped(Text.from_markup(markup)))
            table.add_row(*row)
        return table

    parts = table_parts(console, range(1, len(plan.dates) + 1), grid)
    parts[0].title = title
    for part in parts:
        console.print(part)


def table_parts(
    console: Console, keys: Sequence[Key], table_of: Callable[[Sequence[Key]], Table]
) -> list[Table]:
    """`table_of(keys)` if it fits the console with no word cut (see `fit_columns`), else the
    tables of as many consecutive keys as fit, one key a table at the narrowest.

    The keys are what the columns show (days, runs), other columns repeat in each part.
    """
    whole = table_of(keys)
    if fit_columns(console, whole):
        return [whole]
    parts: list[Table] = []
    part: list[Key] = []
    fitted: Table | None = None
    for key in keys:
        candidate = table_of([*part, key])
        if fit_columns(console, candidate):
            part.append(key)
            fitted = candidate
            continue
        if fitted is not None:
            parts.append(fitted)
        part = [key]
        fitted = table_of(part)
        fit_columns(console, fitted)  # too wide on its own: rich folds it, the last resort
    if fitted is not None:
        parts.append(fitted)
    return parts


def render_penalties(
    console: Console,
    penalties: Mapping[SoftId, int],
    weights: Mapping[SoftId, int],
    total: int,
    cost_idr: int | None = None,
    lang: str = "en",
    cost_unit: int | None = None,
) -> None:
    """Print penalty, weight and weighted penalty per soft constraint id, and the total; then
    the cost in rupiah, saying why S5's points differ from it (each amount rounded to
    `cost_unit`) when they do."""
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
        line = _("Cost: {amount}").format(amount=rupiah(cost_idr, lang))
        points = penalties.get("S5")
        if cost_unit and points is not None and points * cost_unit != cost_idr:
            line += " " + _(
                "(S5 counts {points} points: each fee, fare and venue rate in units of {unit}, "
                "rounded)"
            ).format(points=points, unit=rupiah(cost_unit, lang))
        console.print(Wrapped(keep_units(line)))


def render_violations(
    console: Console, violations: Sequence[tuple[str, str]], lang: str = "en"
) -> None:
    """Print each hard violation as `id name: message`, a long message wrapping under itself
    (breaking between words and after the '/' of an id only)."""
    if not violations:
        return
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for rule, message in violations:
        grid.add_row(
            Text.from_markup(f"[red]{rule}[/red] {escape(rule_name(rule, lang))}:"),
            Wrapped(message),
        )
    console.print(grid, highlight=False)


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
