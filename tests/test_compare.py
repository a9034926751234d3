"""`tot compare`: KPIs, differences, files, determinism, and runs on a real Dask cluster."""

from __future__ import annotations

import csv
import importlib
import io
from html import escape
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from rich.console import Console
from typer.testing import CliRunner

from models import SOFT_IDS, Timetable
from scheduler.checker import check
from scheduler.cli import app
from scheduler.compare import (
    Comparison,
    Outcome,
    Run,
    Settings,
    aspect_text,
    charts,
    compare,
    comparison_csv,
    comparison_html,
    comparison_workbook,
    difference_summary,
    differences,
    differences_csv,
    key_figures,
    render_comparison,
    scenario_runs,
    solve_run,
    status_text,
)
from scheduler.i18n import rule_name, texts
from scheduler.loader import load_instance
from scheduler.repair import status_caveat
from scheduler.solve import solve
from tests.conftest import DATA, INSTANCES

TINY = DATA / "tiny.yaml"
TINY_SCENARIOS = sorted((DATA / "scenarios").glob("*.yaml"))
NTT = INSTANCES / "ntt.yaml"
NTT_SCENARIOS = sorted((DATA / "scenarios" / "ntt").glob("*.yaml"))
DETERMINISTIC = Settings(time_limit=1.0, workers=1, seed=3)
"""One worker and one deterministic second: NTT is not solved to optimality in that time, so
equal results across runs are the deterministic mode's doing, not the optimum's."""


def _table(comparison: Comparison) -> str:
    """The comparison as printed, without the measured solve times."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_comparison(console, comparison, "en", timing=False)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def _essence(comparison: Comparison) -> list[tuple[object, ...]]:
    """What must not depend on where or when the runs were solved."""
    return [
        (
            outcome.label,
            outcome.status,
            outcome.objective,
            outcome.kpis,
            None if outcome.timetable is None else outcome.timetable.sessions,
            None if outcome.timetable is None else outcome.timetable.events,
        )
        for outcome in comparison.outcomes
    ]


# Key figures and differences.


def test_key_figures_from_instance_and_timetable() -> None:
    instance = load_instance(DATA / "checker" / "three_provinces.yaml")
    result = solve(instance, time_limit=5, workers=1, seed=0)
    assert result.timetable is not None
    report = check(instance, result.timetable)
    kpis = key_figures(instance, result.timetable, report)
    # Dewi (Bali) also teaches in NTT, two days each way; Andi teaches at home in Sulsel.
    assert kpis.travel_days == 4
    assert (kpis.busiest_trainer, kpis.busiest_load) == ("dewi", 2)
    assert kpis.participatory_share == 0.0 and kpis.partnership_share == 0.0
    assert kpis.cost_idr == report.cost_idr == 100_000 * 3 + 1_500_000
    assert kpis.total == report.total == result.objective


def test_shares_of_the_tiny_workshop() -> None:
    instance = load_instance(TINY)
    outcome = solve_run(Run("tiny", instance.name, instance), Settings(5.0, 1))
    assert outcome.found and outcome.kpis is not None and outcome.timetable is not None
    sessions = outcome.timetable.sessions
    slots = sum(s.num_slots for s in sessions)
    participatory = sum(s.num_slots for s in sessions if instance.method(s.method).participatory)
    with_ketut = sum(1 for s in sessions if "ketut" in {f.trainer for f in s.trainers})
    assert outcome.kpis.participatory_share == participatory / slots
    assert outcome.kpis.partnership_share == with_ketut / len(sessions)


def _moved(timetable: Timetable) -> Timetable:
    """The timetable with its first session one slot later, in another room, with another
    trainer, and its last session gone."""
    first = timetable.sessions[0]
    trainers = tuple(f.model_copy(update={"trainer": "someone"}) for f in first.trainers)
    changed = first.model_copy(
        update={"slot": first.slot + 1, "room": "elsewhere", "trainers": trainers}
    )
    return timetable.model_copy(update={"sessions": (changed, *timetable.sessions[1:-1])})


def test_differences_name_each_session_and_what_changed() -> None:
    instance = load_instance(TINY)
    result = solve(instance, time_limit=5, workers=1, seed=0)
    assert result.timetable is not None
    base = result.timetable
    assert differences(base, base) == []
    found = differences(base, _moved(base))
    first, last = base.sessions[0], base.sessions[-1]
    assert [(d.subject, d.aspect) for d in found] == sorted(
        [(first.id, "moved"), (first.id, "room"), (first.id, "trainers"), (last.id, "removed")]
    )
    room = next(d for d in found if d.aspect == "room")
    assert (room.before, room.after) == (first.room, "elsewhere")
    moved = next(d for d in found if d.aspect == "moved")
    assert moved.after.endswith(f"slot {first.slot + 1}")


def test_a_change_of_method_is_a_difference() -> None:
    instance = load_instance(TINY)
    result = solve(instance, time_limit=5, workers=1, seed=0)
    assert result.timetable is not None
    base = result.timetable
    assert check(instance, base).feasible
    index, session = next(
        (i, s) for i, s in enumerate(base.sessions) if len(instance.topic(s.topic).methods) > 1
    )
    other = next(m for m in instance.topic(session.topic).methods if m != session.method)
    sessions = list(base.sessions)
    sessions[index] = session.model_copy(update={"method": other})
    found = differences(base, base.model_copy(update={"sessions": tuple(sessions)}))
    assert [(d.subject, d.aspect, d.before, d.after) for d in found] == [
        (session.id, "method", session.method, other)
    ]
    assert "1 method change(s)" in difference_summary(found, "en")
    assert "1 perubahan metode" in difference_summary(found, "id")


# The command.


def test_compare_prints_every_run_and_the_differences(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "comparison.csv"
    args = ["compare", str(TINY), *map(str, TINY_SCENARIOS), "--time-limit", "5"]
    result = runner.invoke(app, [*args, "--parallel", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for label in ("tiny (base)", "cost-heavy", "dewi-away", "opening-pinned"):
        assert label in result.stdout
    for name in ("total cost", "penalty S5 cost", "participatory share",
                 "community co-facilitation share", "trainer travel days",
                 "busiest trainer's load", "solve time", "gap"):  # fmt: skip
        assert name in result.stdout
    assert "Differences from the base: dewi-away (Dewi away on Monday)" in result.stdout
    assert "Differences from the base: cost-heavy (Cost first)" in result.stdout
    assert "4/4 scenarios done" in result.stderr
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert [row[0] for row in rows] == ["scenario", "tiny", *(p.stem for p in TINY_SCENARIOS)]
    beside = tmp_path / "comparison-differences.csv"
    assert f"Differences from the base written to {beside}" in " ".join(result.stdout.split())
    found = list(csv.DictReader(beside.open(encoding="utf-8")))
    assert {row["scenario"] for row in found} <= {p.stem for p in TINY_SCENARIOS}


def test_compare_in_indonesian(runner: CliRunner) -> None:
    args = ["compare", str(TINY), str(TINY_SCENARIOS[0]), "--time-limit", "5", "--lang", "id"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "biaya total" in result.stdout and "tiny (dasar)" in result.stdout
    assert "2/2 skenario selesai" in result.stderr


def test_a_scenario_without_a_timetable_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    scenario = tmp_path / "no-peer.yaml"
    scenario.write_text(
        f"name: No peer facilitator\nbase: {TINY}\nchanges:\n"
        "  - {kind: unavailable, entity: trainer, id: ketut, "
        "dates: [{start: 1999-02-01, end: 1999-02-03}]}\n"
    )
    result = runner.invoke(app, ["compare", str(TINY), str(scenario), "--time-limit", "5"])
    assert result.exit_code == 1, result.output
    assert "infeasible" in result.stdout
    assert "no timetable to compare" in result.stdout


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--executor", "cloud"], "--executor: 'cloud' is not one of local, dask"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler: only with --executor dask"),
        (["--out", "comparison.pdf"],
         "comparison.pdf: cannot write '.pdf' files (expected one of .csv, .xlsx, .html)"),
        ([str(DATA / "scenarios" / "bad" / "unknown_field.yaml")],
         f"{DATA / 'scenarios' / 'bad' / 'unknown_field.yaml'}: change 1 (set): trainer 'dewi' "
         "has no field 'fee'"),
        ([str(NTT_SCENARIOS[0])],
         f"{NTT_SCENARIOS[0]}: its base is {NTT}, not {TINY}"),
    ],
)  # fmt: skip
def test_bad_compare_exits_2(runner: CliRunner, extra: list[str], expected: str) -> None:
    result = runner.invoke(app, ["compare", str(TINY), str(TINY_SCENARIOS[0]), *extra])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == expected
    assert "Traceback" not in result.output


def test_a_folder_where_the_differences_go_is_refused_before_solving(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "c-differences.csv").mkdir()
    out = tmp_path / "c.csv"
    result = runner.invoke(app, ["compare", str(TINY), str(TINY_SCENARIOS[0]), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"{tmp_path / 'c-differences.csv'}: is a folder; the comparison is written as a file "
        "of that name"
    )
    assert not out.exists()


# Files.


@pytest.fixture(scope="module")
def tiny_comparison(tmp_path_factory: pytest.TempPathFactory) -> Comparison:
    """The tiny comparison, with a scenario whose name a spreadsheet would run as a formula."""
    folder = tmp_path_factory.mktemp("scenarios")
    formula = folder / "formula.yaml"
    formula.write_text(
        f"name: '=HYPERLINK(\"http://x\") <b>bold</b>'\nbase: {TINY}\n"
        "changes:\n  - {kind: weight, rule: S6, value: 5}\n"
    )
    runs = scenario_runs(TINY, [*TINY_SCENARIOS, formula])
    return compare(runs, Settings(5.0, 1))


def test_csv_is_formula_safe(tiny_comparison: Comparison) -> None:
    rows = list(csv.reader(io.StringIO(comparison_csv(tiny_comparison))))
    assert rows[-1][1] == '\'=HYPERLINK("http://x") <b>bold</b>'
    assert len(rows) == 1 + len(tiny_comparison.outcomes)


def test_csv_has_plain_numbers_with_their_units(tiny_comparison: Comparison) -> None:
    """Numbers a spreadsheet reads as numbers (no currency, percent or thousands separators),
    the unit in each column's name, and every rule's penalty in a column of its own."""
    rows = list(csv.DictReader(io.StringIO(comparison_csv(tiny_comparison))))
    assert [row["scenario"] for row in rows] == [o.label for o in tiny_comparison.outcomes]
    for row, outcome in zip(rows, tiny_comparison.outcomes, strict=True):
        kpis = outcome.kpis
        assert kpis is not None and outcome.gap is not None
        assert row["status"] in ("optimal", "feasible")
        assert int(row["weighted penalty (objective)"]) == kpis.total
        assert int(row["total cost (IDR)"]) == kpis.cost_idr
        for soft_id in SOFT_IDS:
            column = f"penalty {soft_id} {rule_name(soft_id, 'en')}"
            assert int(row[column]) == kpis.penalties.get(soft_id, 0)
        share = float(row["participatory share (%)"])
        assert share == pytest.approx(100 * kpis.participatory_share, abs=0.005)
        partnered = float(row["community co-facilitation share (%)"])
        assert partnered == pytest.approx(100 * kpis.partnership_share, abs=0.005)
        assert int(row["trainer travel days"]) == kpis.travel_days
        assert row["busiest trainer"] == kpis.busiest_trainer
        assert int(row["busiest trainer's load (slots)"]) == kpis.busiest_load
        assert float(row["solve time (s)"]) == pytest.approx(outcome.runtime, abs=0.005)
        assert float(row["gap (%)"]) == pytest.approx(100 * outcome.gap, abs=0.005)


def test_csv_of_the_differences_has_one_row_each(tiny_comparison: Comparison) -> None:
    rows = list(csv.reader(io.StringIO(differences_csv(tiny_comparison))))
    headings = ["scenario", "session or event", "change", "in the base", "in the scenario"]
    assert rows[0] == headings
    expected = [
        [label, d.subject, aspect_text(d.aspect, "en"), d.before, d.after]
        for label, found in tiny_comparison.differences.items()
        for d in found
    ]
    assert rows[1:] == expected
    assert len(rows) > 1
    indonesian = next(csv.reader(io.StringIO(differences_csv(tiny_comparison, "id"))))
    assert indonesian == [
        "skenario",
        "sesi atau acara",
        "perubahan",
        "di jadwal dasar",
        "di skenario",
    ]


def test_workbook_has_kpis_and_differences(tiny_comparison: Comparison, tmp_path: Path) -> None:
    path = tmp_path / "comparison.xlsx"
    comparison_workbook(tiny_comparison).save(path)
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["KPIs", "Differences"]
    kpis = workbook["KPIs"]
    assert kpis.cell(row=2, column=1).value == "tiny"
    title = kpis.cell(row=kpis.max_row, column=2)
    assert title.value.startswith("=HYPERLINK")  # shown as typed, never evaluated:
    assert title.data_type == "s" and title.quotePrefix
    headings = [cell.value for cell in kpis[1]]
    cost = kpis.cell(row=2, column=headings.index("total cost (IDR)") + 1)
    assert isinstance(cost.value, int) and cost.value > 0
    assert cost.data_type == "n"
    differences_sheet = workbook["Differences"]
    expected = sum(len(found) for found in tiny_comparison.differences.values())
    assert differences_sheet.max_row == 1 + expected


def test_html_is_self_contained_with_a_chart(tiny_comparison: Comparison) -> None:
    titles = [chart.title for chart in charts(tiny_comparison)]
    assert "total cost" in titles
    # The objective weighs timetables by each scenario's weights: no bars for it.
    assert "weighted penalty (objective)" not in titles
    page = comparison_html(tiny_comparison)
    assert "<svg" in page and "<rect" in page
    assert "<script" not in page and "<link" not in page
    assert " src=" not in page and " href=" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert "Differences from the base" in page


def test_compare_writes_each_kind_of_file(runner: CliRunner, tmp_path: Path) -> None:
    for suffix in (".xlsx", ".html"):
        out = tmp_path / f"comparison{suffix}"
        args = ["compare", str(TINY), str(TINY_SCENARIOS[0]), "--time-limit", "5"]
        result = runner.invoke(app, [*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
        assert f"Comparison written to {out}" in result.stdout


# Determinism, locally and on Dask.


@pytest.fixture(scope="module")
def ntt_local() -> Comparison:
    return compare(scenario_runs(NTT, NTT_SCENARIOS), DETERMINISTIC, parallel=2)


def test_comparing_twice_gives_identical_tables(ntt_local: Comparison) -> None:
    assert all(outcome.found for outcome in ntt_local.outcomes)
    for outcome in ntt_local.outcomes:
        assert outcome.timetable is not None
        instance = next(r.instance for r in scenario_runs(NTT, NTT_SCENARIOS)
                        if r.label == outcome.label)  # fmt: skip
        assert check(instance, outcome.timetable).feasible
    again = compare(scenario_runs(NTT, NTT_SCENARIOS), DETERMINISTIC, parallel=1)
    assert _table(again) == _table(ntt_local)
    assert _essence(again) == _essence(ntt_local)
    assert ntt_local.differences == again.differences


def test_a_dask_cluster_gives_the_local_results(ntt_local: Comparison) -> None:
    distributed: Any = importlib.import_module("dask.distributed")  # used untyped
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        on_dask = compare(
            scenario_runs(NTT, NTT_SCENARIOS),
            DETERMINISTIC,
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    assert _essence(on_dask) == _essence(ntt_local)
    assert _table(on_dask) == _table(ntt_local)


def test_stable_comparison_of_a_scenario_that_changes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    """A scenario that leaves the base's timetable valid and as good, re-planned with
    `--stable`, is told as the same timetable."""
    same = tmp_path / "same.yaml"
    same.write_text(
        f"name: Same weights\nbase: {TINY.resolve()}\n"
        "changes:\n  - {kind: weight, rule: S5, value: 1}\n",
        encoding="utf-8",
    )
    args = ["compare", str(TINY), str(same), "--time-limit", "5", "--stable"]
    result = runner.invoke(app, [*args, "--parallel", "1"])
    assert result.exit_code == 0, result.output
    assert "Differences from the base: same (Same weights)" in result.stdout
    assert "the same timetable as the base" in result.stdout


@pytest.mark.parametrize("lang", ["en", "id"])
def test_stable_comparison_says_what_its_status_means(
    runner: CliRunner, tmp_path: Path, lang: str
) -> None:
    """As `tot repair` does, and in its words: a re-plan's status and bound hold among the
    timetables that change the base's least; a fresh comparison has no such caveat."""
    args = ["compare", str(TINY), str(TINY_SCENARIOS[0]), "--time-limit", "5", "--lang", lang]
    caveat = " ".join(status_caveat(lang).split())
    page, table = tmp_path / "c.html", tmp_path / "c.csv"
    stable = runner.invoke(app, [*args, "--stable", "--parallel", "1", "--out", str(page)])
    assert stable.exit_code == 0, stable.output
    assert caveat in " ".join(stable.stdout.split())
    assert escape(caveat) in " ".join(page.read_text(encoding="utf-8").split())  # files too
    fresh = runner.invoke(app, [*args, "--parallel", "1", "--out", str(table)])
    assert fresh.exit_code == 0, fresh.output
    assert caveat not in " ".join(fresh.stdout.split())
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    replan = texts(lang, "compare").gettext("re-plan of the base")
    assert {row[replan] for row in rows} == {texts(lang, "compare").gettext("no")}


def test_stable_comparison_changes_only_what_the_scenario_forces() -> None:
    """With `stable`, the scenarios' timetables differ from the base no more than fresh ones,
    and not at all where the base's timetable still holds."""
    runs = scenario_runs(NTT, NTT_SCENARIOS)
    settings = Settings(time_limit=5.0, workers=2, seed=0)
    stable = compare(runs, settings, stable=True)
    fresh = compare(runs, settings)
    base = stable.base
    assert base.timetable is not None
    for outcome in stable.outcomes[1:]:
        assert outcome.timetable is not None and outcome.status != "CHECK FAILED"
        run = next(r for r in runs if r.label == outcome.label)
        assert check(run.instance, outcome.timetable).feasible
    moved_stable = {label: len(found) for label, found in stable.differences.items()}
    moved_fresh = {label: len(found) for label, found in fresh.differences.items()}
    for run in runs[1:]:
        if check(run.instance, base.timetable).feasible:  # nothing has to change
            assert moved_stable[run.label] == 0, (run.label, moved_stable)
    # A fresh solve may land on another of several equally good timetables, or on the same
    # one when the instance is solved to optimality; stable ones change no more in all.
    assert sum(moved_stable.values()) <= sum(moved_fresh.values()), (moved_stable, moved_fresh)


def test_a_replan_not_proven_fewest_is_marked() -> None:
    """A --stable run whose fewest changes were not proven says so in its status."""
    timetable = Timetable(instance="x", events=(), sessions=())
    outcome = Outcome("s", "t", "FEASIBLE", timetable, 1, None, 1.0, None, fewest_proven=False)
    assert status_text(outcome, "en") == "feasible, fewest changes not proven"
    assert status_text(outcome, "id") == "layak, perubahan paling sedikit belum terbukti"
    proven = Outcome("s", "t", "FEASIBLE", timetable, 1, None, 1.0, None, fewest_proven=True)
    assert status_text(proven, "en") == "feasible"
