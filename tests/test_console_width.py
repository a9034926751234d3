"""Tables in an 80-column terminal: no line wider than the terminal, no word or id cut."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from rich.console import Console
from rich.table import Table

from models import Timetable
from scheduler.compare import Comparison, Difference, Kpis, Outcome, render_comparison
from scheduler.explain_cli import _print_changes
from scheduler.loader import load_instance
from scheduler.repair import Change, Repair
from scheduler.report import (
    NO_BREAK_SPACE,
    Wrapped,
    fit_columns,
    keep_units,
    render_penalties,
    render_timetable,
    render_violations,
)
from scheduler.solve import Result, solve
from tests.conftest import INSTANCES

NARROW = 80
WIDE = 250
NTT = INSTANCES / "ntt.yaml"
IDS = [
    "tot-sulsel/peer-outreach/sulsel-women+sulsel-waria/1",
    "tot-sulsel/barriers-support/sulsel-waria/1",
    "tot-bali/barriers-support/bali-gay/1",
]


def _rendered(print_to: Callable[[Console], None], width: int) -> str:
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    print_to(console)
    return console.export_text()


def _pieces(text: str) -> set[str]:
    """Words and ids cut after each '/', between white space (a no-break one too), borders,
    colons and arrows (the narrow layouts' own)."""
    return set(re.findall(r"[^\s\u2500-\u257f/:→]+/?|/", text))


def _assert_narrow_and_whole(print_to: Callable[[Console], None], width: int = NARROW) -> str:
    """Rendered in `width` columns: every line fits, and every word is one the wide rendering
    has (a word cut in two leaves pieces the wide one has not)."""
    narrow = _rendered(print_to, width)
    wide = _rendered(print_to, WIDE)
    assert max(len(line) for line in narrow.splitlines()) <= width
    assert _pieces(narrow) - _pieces(wide) == set()
    return narrow


# The helpers.


def test_wrapped_breaks_between_words_and_after_slashes_only() -> None:
    text = f"{IDS[0]} costs Rp{NO_BREAK_SPACE}20,050,000"
    lines = _rendered(lambda console: console.print(Wrapped(text)), 30).splitlines()
    assert lines == [
        "tot-sulsel/peer-outreach/",
        "sulsel-women+sulsel-waria/1",
        "costs Rp 20,050,000",
    ]


def test_wrapped_folds_a_word_wider_than_the_line_as_the_last_resort() -> None:
    lines = _rendered(lambda console: console.print(Wrapped("ab sulsel-bapelkes")), 8)
    assert lines.splitlines() == ["ab", "sulsel-b", "apelkes"]


def test_keep_units_joins_numbers_to_their_units() -> None:
    assert keep_units("Rp 20,050,000") == f"Rp{NO_BREAK_SPACE}20,050,000"
    assert keep_units("ntt-yuli: 12 slots") == f"ntt-yuli: 12{NO_BREAK_SPACE}slots"
    assert keep_units("4,1 s") == f"4,1{NO_BREAK_SPACE}s"
    assert keep_units("slot 2, Rpx 3") == "slot 2, Rpx 3"  # no unit after the number


def _table(*cells: str) -> Table:
    table = Table()
    for heading in ("a", "b"):
        table.add_column(heading)
    table.add_row(*(Wrapped(cell) for cell in cells))
    return table


def test_a_table_that_fits_keeps_rich_layout() -> None:
    table = _table("short", "words")
    assert fit_columns(Console(width=NARROW), table)
    assert [column.width for column in table.columns] == [None, None]


def test_fit_columns_gives_each_column_its_widest_word() -> None:
    table = _table("x " * 40 + "sulsel-bapelkes-kelas2", "y " * 40 + "group-discussion")
    assert fit_columns(Console(width=NARROW), table)
    widths = [column.width or 0 for column in table.columns]
    assert widths[0] >= len("sulsel-bapelkes-kelas2")
    assert widths[1] >= len("group-discussion")
    assert sum(widths) == NARROW - 7  # three borders and two cells of padding a column


def test_fit_columns_declines_when_the_widest_words_do_not_fit() -> None:
    table = _table("a" * 40, "b" * 40)
    assert not fit_columns(Console(width=NARROW), table)
    assert [column.width for column in table.columns] == [None, None]


# `tot solve`: the day x slot grid of each event.


@pytest.fixture(scope="module")
def ntt_timetable() -> Timetable:
    result = solve(load_instance(NTT), time_limit=1.0, workers=1, seed=3, deterministic=True)
    assert result.timetable is not None
    return result.timetable


def test_the_grid_fits_80_columns_in_parts_with_words_whole(ntt_timetable: Timetable) -> None:
    instance = load_instance(NTT)
    narrow = _assert_narrow_and_whole(
        lambda console: render_timetable(console, instance, ntt_timetable)
    )
    assert narrow.count("┏") > 1  # four days do not fit side by side: the grid comes in parts
    assert narrow.count("TOT NTT, Kupang") == 1  # the title once, over the first part
    for day in range(1, len(ntt_timetable.events[0].dates) + 1):
        assert narrow.count(f"day {day} ") == 1
    for session in ntt_timetable.sessions:
        assert session.room in narrow
        assert session.method in narrow


def test_the_grid_of_a_wide_terminal_is_one_table(ntt_timetable: Timetable) -> None:
    instance = load_instance(NTT)
    wide = _rendered(lambda console: render_timetable(console, instance, ntt_timetable), WIDE)
    assert wide.count("┏") == 1


# `tot repair`: what changed.


def _repair() -> Repair:
    result = Result("OPTIMAL", None, 0, 0.0, 0.0, {}, 0.5, 0.5, 1.0, 0.1)
    changes = [
        Change("tot-sulsel", ("venue",), "sulsel-ngo-makassar", "sulsel-bapelkes"),
        Change(IDS[0], ("room",), "sulsel-ngo-hall", "sulsel-bapelkes-kelas1"),
        Change(
            IDS[1],
            ("moved", "trainers", "room"),
            "1999-02-11 08:00; -sulsel-nur; sulsel-ngo-yard",
            "1999-02-12 10:00; +sulsel-hasna; sulsel-bapelkes-aula",
        ),
        Change("tot-sulsel/sti-hiv/all/2", ("dropped",), "1999-02-16 08:00", "-"),
    ]
    return Repair(result, changes[1:], changes[:1])


def test_what_changed_fits_80_columns_with_whole_ids() -> None:
    narrow = _assert_narrow_and_whole(lambda console: _print_changes(console, _repair(), "en"))
    lines = narrow.splitlines()
    for session_id in (*IDS[:2], "tot-sulsel/sti-hiv/all/2"):
        assert session_id in lines  # whole, on a line of its own, to copy into --pin
    assert "  room: sulsel-ngo-hall → sulsel-bapelkes-kelas1" in lines
    assert "  dropped: 1999-02-16 08:00 → -" in lines


def test_what_changed_is_a_table_where_it_fits() -> None:
    wide = _rendered(lambda console: _print_changes(console, _repair(), "en"), 140)
    assert "┃ Session" in wide
    assert any(IDS[0] in line and "sulsel-bapelkes-kelas1" in line for line in wide.splitlines())


def test_what_changed_in_indonesian_fits_too() -> None:
    _assert_narrow_and_whole(lambda console: _print_changes(console, _repair(), "id"))


# `tot compare`: key figures and differences.


def _outcome(label: str, cost_idr: int) -> Outcome:
    kpis = Kpis(
        total=2463,
        cost_idr=cost_idr,
        penalties={"S2": 3, "S5": 2113},
        participatory_share=0.52,
        partnership_share=0.31,
        travel_days=12,
        busiest_trainer="nat-sari",
        busiest_load=14,
    )
    return Outcome(label, label.replace("-", " "), "FEASIBLE", None, 2463, 0.0712, 5.5, kpis)


def _comparison(num_scenarios: int) -> Comparison:
    labels = ["makassar-first-week", "peer-in-every-session", "ntt-without-rina", "cost-twice"]
    outcomes = [_outcome("tot-1999", 20_050_000)]
    outcomes += [_outcome(label, 21_050_000) for label in labels[:num_scenarios]]
    found = [
        Difference("tot-bali", "venue", "bali-sanur", "bali-sanur-ballroom-annex"),
        Difference(IDS[2], "room", "bali-sanur-ballroom", "bali-sanur-garden"),
        Difference(IDS[0], "moved", "Thu 11 Feb, slot 2", "Fri 12 Feb, slot 3"),
        Difference(IDS[1], "trainers", "sulsel-hasna, sulsel-nur", "sulsel-icha"),
    ]
    return Comparison(outcomes, {outcome.label: found for outcome in outcomes[1:]})


@pytest.mark.parametrize("num_scenarios", [1, 4])
def test_the_comparison_fits_80_columns(num_scenarios: int) -> None:
    comparison = _comparison(num_scenarios)
    narrow = _assert_narrow_and_whole(
        lambda console: render_comparison(console, comparison, "en", timing=False)
    )
    assert "Rp 20,050,000" in narrow
    assert "14 slots" in narrow
    for outcome in comparison.outcomes:
        assert outcome.label in narrow
    assert narrow.count("bali-sanur-ballroom-annex") == num_scenarios


def test_a_comparison_too_wide_for_80_columns_comes_in_parts() -> None:
    narrow = _rendered(lambda console: render_comparison(console, _comparison(4), "en"), NARROW)
    assert narrow.count("┏") > 1
    assert narrow.count("Scenarios compared with the base") == 1
    assert narrow.count("key figure") == narrow.count("┏")  # each part names the figures


def test_the_comparison_of_a_wide_terminal_is_one_table() -> None:
    wide = _rendered(lambda console: render_comparison(console, _comparison(4), "en"), WIDE)
    assert wide.count("┏") == 1
    assert any(IDS[2] in line for line in wide.splitlines())


def test_ids_break_after_a_slash_only() -> None:
    comparison = _comparison(1)
    narrow = _assert_narrow_and_whole(
        lambda console: render_comparison(console, comparison, "en"), width=50
    )
    assert "tot-sulsel/peer-outreach/" in narrow.splitlines()


def test_cost_line_says_why_s5_points_differ_from_the_rupiah() -> None:
    """Fees are counted in whole cost units, each rounded: 385 points for Rp 3,825,000."""

    def cost_line(points: int, cost_idr: int) -> str:
        console = Console(width=200, record=True, file=io.StringIO())
        render_penalties(console, {"S5": points}, {"S5": 1}, points, cost_idr, "en", 10_000)
        return console.export_text().strip().splitlines()[-1]

    assert cost_line(385, 3_825_000) == (
        "Cost: Rp 3,825,000 (S5 counts 385 points: each fee, fare and venue rate in units of "
        "Rp 10,000, rounded)"
    )
    assert cost_line(160, 1_600_000) == "Cost: Rp 1,600,000"


def test_violations_wrap_under_their_message() -> None:
    long_id = "tot-sulsel/peer-outreach/sulsel-women+sulsel-waria/1"
    message = f"session {long_id}: 1999-01-31 is not a working day of event 'tot-sulsel'"
    console = Console(width=80, record=True, file=io.StringIO())
    render_violations(console, [("H5", message), ("H12", "event 'x' has 0 plans")])
    lines = [line.rstrip() for line in console.export_text().splitlines()]
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("H5 availability: session ")
    indent = len("H12 event block: ")
    assert all(line.startswith(" " * indent) for line in lines[1:-1])
    assert long_id in " ".join(lines)
    assert lines[-1] == "H12 event block: event 'x' has 0 plans"
