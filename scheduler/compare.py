"""Compare scenarios: solve a base and its variants side by side, on local processes or Dask.

Each run (the base, then each scenario) is solved and checked on its own, in a process of
its own or on a Dask worker; its key figures (KPIs) are computed from the instance and the
timetable alone, as the checker sees them, never from the solver's model. The comparison is
one table of KPIs, then per scenario what differs from the base timetable.

With a fixed seed and one CP-SAT worker per run, each solve is deterministic
(`solve(..., deterministic=True)`: CP-SAT's deterministic time stands for the time limit), so
the same inputs give the same table wherever the runs are solved; only the measured solve
time differs. Without a seed, time limits are wall-clock seconds.
"""

from __future__ import annotations

import concurrent.futures
import csv
import importlib
import io
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from rich.console import Console
from rich.padding import Padding
from rich.table import Table

from models import SOFT_IDS, Instance, ScheduledSession, SoftId, Timetable
from scheduler.cells import put_text, safe_cell
from scheduler.checker import CheckReport, check
from scheduler.errors import InputError
from scheduler.exports.files import write_file, write_folder
from scheduler.i18n import number as decimal_text
from scheduler.i18n import percent, rule_name, rupiah, short_date, texts
from scheduler.loader import load_instance
from scheduler.repair import pair_sessions, plan_changes, repair, status_caveat
from scheduler.report import Wrapped, fit_columns, keep_units, table_parts
from scheduler.scenario import apply_scenario, load_scenario
from scheduler.solve import solve

Executor = Literal["local", "dask"]
EXECUTORS: tuple[Executor, ...] = ("local", "dask")
OUT_SUFFIXES = (".csv", ".xlsx", ".html")
DIFFERENCES_SUFFIX = "-differences"
"""`--out x.csv` writes the KPIs to `x.csv` and the differences to `x-differences.csv`."""
TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_SHOWN_DIFFERENCES = 25
"""Differences per scenario printed in the terminal; the files hold them all."""


@dataclass(frozen=True)
class Run:
    """One instance to solve: the base or a scenario applied to it."""

    label: str
    """Short name: the file name without its suffix."""
    title: str
    """The scenario's name, or the base instance's."""
    instance: Instance
    published: Timetable | None = None
    """With a timetable, the run re-plans it with the fewest changes (`scheduler.repair`)."""


@dataclass(frozen=True)
class Settings:
    """How each run is solved: seconds, CP-SAT workers per run, seed (None: the policy's)."""

    time_limit: float | None = None
    workers: int = 1
    seed: int | None = None

    @property
    def deterministic(self) -> bool:
        """A fixed seed and one worker per run: the deterministic mode of `solve`."""
        return self.seed is not None and self.workers == 1


@dataclass(frozen=True)
class Kpis:
    """The key figures of one timetable, from the instance and the timetable alone."""

    total: int
    """The checker's weighted total of the soft penalties."""
    cost_idr: int
    penalties: dict[SoftId, int]
    """Unweighted penalty per soft rule id."""
    participatory_share: float
    """Session slots run with a participatory method, over all session slots."""
    partnership_share: float
    """Sessions with a facilitator of the policy's partnership role (community), over all."""
    travel_days: int
    """Days on the road: for each trainer and each event away from home, there and back."""
    busiest_trainer: str
    busiest_load: int
    """Slots the busiest trainer facilitates."""


@dataclass(frozen=True)
class Outcome:
    """How one run ended: status, timetable, objective, gap, time, KPIs, and the check."""

    label: str
    title: str
    status: str
    timetable: Timetable | None
    objective: int | None
    gap: float | None
    runtime: float
    kpis: Kpis | None
    violations: int = 0
    """Hard violations the checker found (0 for every timetable the solver returns)."""
    fewest_proven: bool | None = None
    """For a re-plan (`--stable`), whether its changes were proven the fewest; else None."""

    @property
    def found(self) -> bool:
        return self.timetable is not None and self.violations == 0


@dataclass(frozen=True)
class Difference:
    """One way a scenario's timetable differs from the base's, for a session or an event."""

    subject: str
    """A session id, or an event id for a change of venue or dates."""
    aspect: Literal["moved", "room", "trainers", "method", "added", "removed", "venue", "start"]
    before: str
    after: str


@dataclass
class Comparison:
    """The outcomes of the base (first) and each scenario, and each scenario's differences."""

    outcomes: list[Outcome]
    differences: dict[str, list[Difference]] = field(default_factory=dict)
    stable: bool = False
    """Whether each scenario re-planned the base's timetable with the fewest changes."""

    @property
    def base(self) -> Outcome:
        return self.outcomes[0]


def key_figures(instance: Instance, timetable: Timetable, report: CheckReport) -> Kpis:
    """The KPIs of `timetable`; total, cost and penalties come from the checker's `report`."""
    sessions = timetable.sessions
    slots = sum(session.num_slots for session in sessions)
    participatory = sum(
        session.num_slots for session in sessions if instance.method(session.method).participatory
    )
    role = instance.policy.partnership_role
    roles = {trainer.id: trainer.role for trainer in instance.trainers}
    partnered = sum(
        1 for session in sessions if any(roles[f.trainer] == role for f in session.trainers)
    )
    loads: dict[str, int] = defaultdict(int)
    away: set[tuple[str, str]] = set()
    for session in sessions:
        province = instance.event(session.event).province
        for trainer_id in dict.fromkeys(f.trainer for f in session.trainers):
            loads[trainer_id] += session.num_slots
            if instance.trainer(trainer_id).home != province:
                away.add((trainer_id, session.event))
    travel_days = 0
    for trainer_id, event_id in away:
        link = instance.travel_link(
            instance.trainer(trainer_id).home, instance.event(event_id).province
        )
        travel_days += 2 * link.days if link is not None else 0
    busiest = min(loads, key=lambda t: (-loads[t], t)) if loads else ""
    return Kpis(
        total=report.total,
        cost_idr=report.cost_idr,
        penalties=dict(report.penalties),
        participatory_share=participatory / slots if slots else 0.0,
        partnership_share=partnered / len(sessions) if sessions else 0.0,
        travel_days=travel_days,
        busiest_trainer=busiest,
        busiest_load=loads.get(busiest, 0),
    )


def solve_run(run: Run, settings: Settings) -> Outcome:
    """Solve and check one run (in whatever process or Dask worker it is sent to)."""
    fewest_proven: bool | None = None
    if run.published is not None:
        repaired = repair(
            run.instance,
            run.published,
            time_limit=settings.time_limit,
            workers=settings.workers,
            seed=settings.seed,
            deterministic=settings.deterministic,
        )
        result, fewest_proven = repaired.result, repaired.fewest_proven
    else:
        result = solve(
            run.instance,
            time_limit=settings.time_limit,
            workers=settings.workers,
            seed=settings.seed,
            deterministic=settings.deterministic,
        )
    timetable = result.timetable
    if timetable is None:
        return Outcome(run.label, run.title, result.status, None, None, None, result.runtime, None)
    report = check(run.instance, timetable)
    figures = key_figures(run.instance, timetable, report)
    status = result.status if report.total == result.objective else "CHECK FAILED"
    return Outcome(
        label=run.label,
        title=run.title,
        status=status,
        timetable=timetable,
        objective=result.objective,
        gap=result.gap,
        runtime=result.runtime,
        kpis=figures,
        violations=len(report.violations),
        fewest_proven=fewest_proven,
    )


Progress = Callable[[int, int, Outcome], None]
"""Called as each run ends: runs done, runs in all, the outcome."""


def solve_all(
    runs: Sequence[Run],
    settings: Settings,
    parallel: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Solve every run, `parallel` at a time, locally or on Dask; outcomes in the runs' order.

    `local` solves in this process when `parallel` is 1, else in a pool of new processes;
    `dask` sends the runs to the Dask scheduler at `scheduler`, or to a cluster of `parallel`
    local worker processes started for the purpose.
    """
    if executor == "dask":
        return _solve_on_dask(runs, settings, parallel, scheduler, progress)
    outcomes: dict[int, Outcome] = {}

    def record(index: int, outcome: Outcome) -> None:
        outcomes[index] = outcome
        if progress is not None:
            progress(len(outcomes), len(runs), outcome)

    if parallel <= 1 or len(runs) <= 1:
        for index, run in enumerate(runs):
            record(index, solve_run(run, settings))
    else:
        # New processes, not forks: OR-Tools' threads do not survive a fork.
        context = multiprocessing.get_context("spawn")
        size = min(parallel, len(runs))
        with concurrent.futures.ProcessPoolExecutor(size, mp_context=context) as pool:
            pending = {pool.submit(solve_run, run, settings): i for i, run in enumerate(runs)}
            for future in concurrent.futures.as_completed(pending):
                record(pending[future], future.result())
    return [outcomes[index] for index in range(len(runs))]


def _solve_on_dask(
    runs: Sequence[Run],
    settings: Settings,
    parallel: int,
    scheduler: str | None,
    progress: Progress | None,
) -> list[Outcome]:
    try:
        # Dask is an optional extra; its API is used untyped.
        distributed: Any = importlib.import_module("dask.distributed")
    except ImportError:
        raise InputError(
            "--executor dask: Dask is not installed (pip install 'tot-scheduler[distributed]')"
        ) from None
    cluster = None
    try:
        if scheduler is None:
            cluster = distributed.LocalCluster(
                n_workers=max(1, parallel),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = distributed.Client(cluster)
        else:
            client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        where = scheduler or "a local cluster"
        raise InputError(f"--scheduler {where}: cannot connect ({exc})") from None
    outcomes: dict[int, Outcome] = {}
    try:
        futures = {
            client.submit(solve_run, run, settings, pure=False): index
            for index, run in enumerate(runs)
        }
        for future in distributed.as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            if progress is not None:
                progress(len(outcomes), len(runs), outcome)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return [outcomes[index] for index in range(len(runs))]


def scenario_runs(base_path: Path, scenario_paths: Sequence[Path]) -> list[Run]:
    """The base instance and each scenario applied to it, as runs labelled by file name.

    A scenario written for another base file is an error, and so are two files of one name.
    """
    base = load_instance(base_path)
    runs = [Run(base_path.stem, base.name, base)]
    for path in scenario_paths:
        scenario = load_scenario(path)
        if not _same_file(scenario.base, base_path):
            raise InputError(f"{path}: its base is {scenario.base}, not {base_path}")
        runs.append(Run(path.stem, scenario.name, apply_scenario(scenario, base, path)))
    labels = [run.label for run in runs]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise InputError(f"{', '.join(repeated)}: two runs have the same file name; rename one")
    return runs


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve() or first.samefile(second)
    except OSError:
        return False


def differences(base: Timetable, other: Timetable, lang: str = "en") -> list[Difference]:
    """What differs in `other` from `base`, events first, then sessions in order of id.

    Events may change venue or dates; sessions (paired as `scheduler.repair.pair_sessions`
    does) may move, change room, trainers or training method, or be added or removed.
    """
    _ = texts(lang, "compare").gettext
    found: list[Difference] = []
    for before, plan, what in plan_changes(base, other):
        if what == "venue":
            found.append(Difference(plan.event, "venue", before.venue, plan.venue))
        else:
            found.append(
                Difference(
                    plan.event, "start", _dates(before.dates, lang), _dates(plan.dates, lang)
                )
            )
    pairs = pair_sessions(base, other)
    for was, now in sorted(pairs, key=lambda pair: next(s.id for s in pair if s is not None)):
        if now is None:
            assert was is not None
            found.append(Difference(was.id, "removed", _when(was, lang), ""))
        elif was is None:
            found.append(Difference(now.id, "added", "", _when(now, lang)))
        else:
            session_id = was.id
            if (was.date, was.slot) != (now.date, now.slot):
                found.append(Difference(session_id, "moved", _when(was, lang), _when(now, lang)))
            if was.room != now.room:
                found.append(Difference(session_id, "room", was.room, now.room))
            if _trainers(was) != _trainers(now):
                found.append(Difference(session_id, "trainers", _trainers(was), _trainers(now)))
            if was.method != now.method:
                found.append(Difference(session_id, "method", was.method, now.method))
    return found


def _when(session: ScheduledSession, lang: str) -> str:
    _ = texts(lang, "compare").gettext
    return _("{date}, slot {slot}").format(date=short_date(session.date, lang), slot=session.slot)


def _dates(dates: Sequence[Any], lang: str) -> str:
    if not dates:
        return ""
    return f"{short_date(dates[0], lang)} – {short_date(dates[-1], lang)}"


def _trainers(session: ScheduledSession) -> str:
    return ", ".join(sorted(f.trainer for f in session.trainers))


def compare(
    runs: Sequence[Run],
    settings: Settings,
    parallel: int = 1,
    executor: Executor = "local",
    scheduler: str | None = None,
    progress: Progress | None = None,
    lang: str = "en",
    stable: bool = False,
) -> Comparison:
    """Solve the base (`runs[0]`) and each scenario, and find what differs from the base.

    With `stable`, the base is solved first and each scenario re-plans the base timetable
    with the fewest changes (`scheduler.repair`), so that the differences are the ones the
    scenario forces rather than those of another search.
    """
    replanned = False
    if stable and len(runs) > 1:
        first = solve_all(
            runs[:1], settings, 1, executor, scheduler, _shifted(progress, 0, len(runs))
        )
        published = first[0].timetable
        # Without a base timetable there is nothing to re-plan: the scenarios are solved fresh.
        replanned = published is not None
        rest = [replace(run, published=published) for run in runs[1:]]
        outcomes = first + solve_all(
            rest, settings, parallel, executor, scheduler, _shifted(progress, 1, len(runs))
        )
    else:
        outcomes = solve_all(runs, settings, parallel, executor, scheduler, progress)
    comparison = Comparison(outcomes, stable=replanned)
    base = comparison.base.timetable
    for outcome in outcomes[1:]:
        if base is not None and outcome.timetable is not None:
            comparison.differences[outcome.label] = differences(base, outcome.timetable, lang)
    return comparison


def _shifted(progress: Progress | None, done_before: int, total: int) -> Progress | None:
    """`progress` for a part of the runs: counts offset by the runs already done."""
    if progress is None:
        return None
    report = progress

    def shifted(done: int, _part: int, outcome: Outcome) -> None:
        report(done_before + done, total, outcome)

    return shifted


# What the comparison shows: rows of KPIs, in the terminal, CSV, XLSX and HTML.


@dataclass(frozen=True)
class Row:
    """One KPI across the runs: its name, the text per run and, for a chart, numbers."""

    name: str
    cells: list[str]
    values: list[float | None] | None = None
    timing: bool = False
    """A measured time: the one row that differs between otherwise identical comparisons."""


def status_text(outcome: Outcome, lang: str) -> str:
    _ = texts(lang, "compare").gettext
    if outcome.timetable is not None and outcome.violations:
        return _("broken ({count} violation(s))").format(count=outcome.violations)
    if outcome.timetable is not None and outcome.fewest_proven is False:
        return _("feasible, fewest changes not proven")
    return {
        "OPTIMAL": _("optimal"),
        "FEASIBLE": _("feasible"),
        "INFEASIBLE": _("infeasible"),
        "UNKNOWN": _("no timetable in time"),
        "CHECK FAILED": _("checker disagrees"),
    }.get(outcome.status, outcome.status)


def kpi_rows(comparison: Comparison, lang: str = "en") -> list[Row]:
    """The KPI table: one row per KPI, one cell per run (the base first)."""
    _ = texts(lang, "compare").gettext
    outcomes = comparison.outcomes
    figures = [outcome.kpis for outcome in outcomes]

    def numbers(value: Callable[[Kpis], float]) -> list[float | None]:
        return [None if kpis is None else value(kpis) for kpis in figures]

    def shown(values: Iterable[float | None], text: Callable[[float], str]) -> list[str]:
        return ["–" if value is None else text(value) for value in values]

    def share(value: float) -> str:
        return percent(value, lang, 1)

    rows = [Row(_("status"), [status_text(outcome, lang) for outcome in outcomes])]
    totals = numbers(lambda k: k.total)
    # No chart: scenarios that change the weights (cost-twice) weigh the same timetable
    # differently, so the bars would compare scales rather than timetables.
    rows.append(Row(_("weighted penalty (objective)"), shown(totals, lambda v: f"{v:.0f}")))
    costs = numbers(lambda k: k.cost_idr)
    rows.append(Row(_("total cost"), shown(costs, lambda v: rupiah(int(v), lang)), costs))
    for soft_id in _shown_rules(comparison):
        values = numbers(_penalty_of(soft_id))
        name = _("penalty {rule} {name}").format(rule=soft_id, name=rule_name(soft_id, lang))
        rows.append(Row(name, shown(values, lambda v: f"{v:.0f}")))
    shares = numbers(lambda k: k.participatory_share)
    rows.append(Row(_("participatory share"), shown(shares, share), shares))
    partnered = numbers(lambda k: k.partnership_share)
    rows.append(Row(_("community co-facilitation share"), shown(partnered, share), partnered))
    travel = numbers(lambda k: k.travel_days)
    rows.append(Row(_("trainer travel days"), shown(travel, lambda v: f"{v:.0f}"), travel))
    loads = numbers(lambda k: k.busiest_load)
    rows.append(
        Row(
            _("busiest trainer's load"),
            [
                "–"
                if kpis is None
                else _("{trainer}: {slots} slots").format(
                    trainer=kpis.busiest_trainer, slots=kpis.busiest_load
                )
                for kpis in figures
            ],
            loads,
        )
    )
    rows.append(
        Row(
            _("solve time"),
            [
                _("{seconds} s").format(seconds=decimal_text(outcome.runtime, lang, 1))
                for outcome in outcomes
            ],
            timing=True,
        )
    )
    rows.append(
        Row(
            _("gap"),
            ["–" if outcome.gap is None else share(outcome.gap) for outcome in outcomes],
        )
    )
    return rows


def _penalty_of(soft_id: SoftId) -> Callable[[Kpis], float]:
    return lambda kpis: kpis.penalties.get(soft_id, 0)


def _shown_rules(comparison: Comparison) -> list[SoftId]:
    """The soft rules that count in some run, or have a penalty in one."""
    shown: list[SoftId] = []
    for soft_id in SOFT_IDS:
        for outcome in comparison.outcomes:
            kpis = outcome.kpis
            if kpis is not None and kpis.penalties.get(soft_id, 0) > 0:
                shown.append(soft_id)
                break
    return shown


def difference_summary(found: Sequence[Difference], lang: str) -> str:
    """`4 session(s) moved, 2 room change(s), ...`: the differences counted by kind."""
    _ = texts(lang, "compare").gettext
    counts: dict[str, int] = defaultdict(int)
    for difference in found:
        counts[difference.aspect] += 1
    if not found:
        return _("the same timetable as the base")
    parts = [
        _("{count} session(s) moved").format(count=counts["moved"]),
        _("{count} room change(s)").format(count=counts["room"]),
        _("{count} trainer change(s)").format(count=counts["trainers"]),
        _("{count} method change(s)").format(count=counts["method"]),
    ]
    if counts["venue"]:
        parts.append(_("{count} event(s) at another venue").format(count=counts["venue"]))
    if counts["start"]:
        parts.append(_("{count} event(s) on other dates").format(count=counts["start"]))
    if counts["added"] or counts["removed"]:
        parts.append(
            _("{added} session(s) added, {removed} removed").format(
                added=counts["added"], removed=counts["removed"]
            )
        )
    return ", ".join(parts)


def aspect_text(aspect: str, lang: str) -> str:
    _ = texts(lang, "compare").gettext
    return {
        "moved": _("moved"),
        "room": _("room"),
        "trainers": _("trainers"),
        "method": _("method"),
        "added": _("added"),
        "removed": _("removed"),
        "venue": _("venue"),
        "start": _("dates"),
    }[aspect]


def render_comparison(
    console: Console, comparison: Comparison, lang: str = "en", timing: bool = True
) -> None:
    """Print the KPI table, then each scenario's differences from the base.

    Without `timing`, the solve time row is left out (it is measured, not computed).
    """
    _ = texts(lang, "compare").gettext
    rows = [row for row in kpi_rows(comparison, lang) if timing or not row.timing]

    def kpi_table(run_indices: Sequence[int]) -> Table:
        table = Table(show_lines=False)
        table.add_column(_("key figure"))
        for run_idx in run_indices:
            label = comparison.outcomes[run_idx].label
            heading = _("{label} (base)").format(label=label) if run_idx == 0 else label
            table.add_column(Wrapped(heading), justify="right")
        for row in rows:
            # Amounts and units on one line: `Rp 20,050,000`, `12 slots`.
            cells = [Wrapped(keep_units(row.cells[run_idx])) for run_idx in run_indices]
            table.add_row(Wrapped(row.name), *cells)
        return table

    # Too many runs for the console: the runs in parts, each with the names of the figures.
    parts = table_parts(console, range(len(comparison.outcomes)), kpi_table)
    parts[0].title = _("Scenarios compared with the base")
    for part in parts:
        console.print(part)
    for outcome in comparison.outcomes:
        console.print(f"  {outcome.label}: {outcome.title}", markup=False, highlight=False)
    for note in comparison_notes(comparison, lang):
        console.print(note, markup=False, highlight=False)
    for outcome in comparison.outcomes[1:]:
        console.print()
        heading = _("Differences from the base: {label} ({title})").format(
            label=outcome.label, title=outcome.title
        )
        console.print(heading, style="bold", markup=False, highlight=False)
        found = comparison.differences.get(outcome.label)
        if found is None:
            console.print(_("no timetable to compare"), markup=False)
            continue
        console.print(Wrapped(keep_units(difference_summary(found, lang))))
        if not found:
            continue
        shown = found[:MAX_SHOWN_DIFFERENCES]
        details = Table(show_header=True, box=None, padding=(0, 2, 0, 0))
        for heading in (_("session or event"), _("change"), _("base"), _("scenario")):
            details.add_column(heading)
        for difference in shown:
            details.add_row(
                Wrapped(difference.subject),  # ids break after a '/' only
                Wrapped(aspect_text(difference.aspect, lang)),
                Wrapped(difference.before),
                Wrapped(difference.after),
            )
        if fit_columns(console, details):
            console.print(details)
        else:  # too narrow for the columns: each difference under its session or event
            for difference in shown:
                aspect = aspect_text(difference.aspect, lang)
                line = f"{aspect}: {difference.before or '–'} → {difference.after or '–'}"
                console.print(Wrapped(difference.subject))
                console.print(Padding(Wrapped(line), (0, 0, 0, 2), expand=False))
        if len(found) > MAX_SHOWN_DIFFERENCES:
            console.print(
                _("... and {count} more (--out writes them all)").format(
                    count=len(found) - MAX_SHOWN_DIFFERENCES
                ),
                markup=False,
            )


# Files: CSV (KPIs, and differences beside), XLSX (KPIs and differences), HTML (KPIs, charts,
# differences).


Value = str | int | float | None
"""A cell of a data file: text, a number, or nothing (a run without a timetable)."""


def kpi_data(comparison: Comparison, lang: str = "en") -> tuple[list[str], list[list[Value]]]:
    """The KPIs as data: headings that name each unit, then one row per run (the base first).

    Every soft rule has its column (its unweighted penalty), whether or not it counts in
    these runs, so that files of different comparisons have the same columns. Numbers stay
    numbers: rupiah whole, shares and gap in percent, solve time in seconds.
    """
    _ = texts(lang, "compare").gettext
    headings = [
        _("scenario"),
        _("name"),
        _("status"),
        _("weighted penalty (objective)"),
        _("total cost (IDR)"),
        *(
            _("penalty {rule} {name}").format(rule=soft_id, name=rule_name(soft_id, lang))
            for soft_id in SOFT_IDS
        ),
        _("participatory share (%)"),
        _("community co-facilitation share (%)"),
        _("trainer travel days"),
        _("busiest trainer"),
        _("busiest trainer's load (slots)"),
        _("solve time (s)"),
        _("gap (%)"),
        _("re-plan of the base"),
        _("fewest changes proven"),
    ]
    records: list[list[Value]] = []
    for outcome in comparison.outcomes:
        kpis = outcome.kpis
        figures: list[Value] = (
            [None] * (len(SOFT_IDS) + 7)
            if kpis is None
            else [
                kpis.total,
                kpis.cost_idr,
                *(kpis.penalties.get(soft_id, 0) for soft_id in SOFT_IDS),
                _percent(kpis.participatory_share),
                _percent(kpis.partnership_share),
                kpis.travel_days,
                kpis.busiest_trainer or None,
                kpis.busiest_load,
            ]
        )
        records.append(
            [
                outcome.label,
                outcome.title,
                status_text(outcome, lang),
                *figures,
                round(outcome.runtime, 2),
                None if outcome.gap is None else _percent(outcome.gap),
                _yes_no(outcome.fewest_proven is not None, lang),
                None if outcome.fewest_proven is None else _yes_no(outcome.fewest_proven, lang),
            ]
        )
    return headings, records


def _yes_no(value: bool, lang: str) -> str:
    _ = texts(lang, "compare").gettext
    return _("yes") if value else _("no")


def _percent(share: float) -> float:
    return round(100 * share, 2)


def difference_data(
    comparison: Comparison, lang: str = "en"
) -> tuple[list[str], list[list[Value]]]:
    """Every difference from the base, one row each: scenario, session or event, change,
    before and after (a long table: filter it by scenario or by kind of change)."""
    _ = texts(lang, "compare").gettext
    headings = [
        _("scenario"),
        _("session or event"),
        _("change"),
        _("in the base"),
        _("in the scenario"),
    ]
    records: list[list[Value]] = [
        [label, difference.subject, aspect_text(difference.aspect, lang), difference.before,
         difference.after]
        for label, found in comparison.differences.items()
        for difference in found
    ]  # fmt: skip
    return headings, records


def _csv(headings: Sequence[str], records: Sequence[Sequence[Value]]) -> str:
    """CSV of plain values: numbers as they are, nothing as an empty cell, text formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([safe_cell(cell) for cell in headings])
    for record in records:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in record])
    return buffer.getvalue()


def comparison_csv(comparison: Comparison, lang: str = "en") -> str:
    """The KPIs as CSV, one row per run (the base first): see `kpi_data`."""
    return _csv(*kpi_data(comparison, lang))


def differences_csv(comparison: Comparison, lang: str = "en") -> str:
    """The differences from the base as CSV, one row per difference: see `difference_data`."""
    return _csv(*difference_data(comparison, lang))


def differences_path(path: Path) -> Path:
    """Where `--out x.csv` writes the differences: `x-differences.csv` beside it."""
    return path.with_name(f"{path.stem}{DIFFERENCES_SUFFIX}{path.suffix}")


def comparison_workbook(comparison: Comparison, lang: str = "en") -> Workbook:
    """A workbook: the KPIs (one row per run, numbers as numbers: see `kpi_data`) and every
    difference from the base (`difference_data`)."""
    _ = texts(lang, "compare").gettext
    workbook = Workbook()
    kpis = workbook.active
    kpis.title = _("KPIs")[:31]
    _sheet_table(kpis, *kpi_data(comparison, lang))
    _sheet_table(workbook.create_sheet(_("Differences")[:31]), *difference_data(comparison, lang))
    notes = comparison_notes(comparison, lang)
    if notes:
        _sheet_table(workbook.create_sheet(_("Notes")[:31]), [_("note")], [[n] for n in notes])
    return workbook


_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def _sheet_table(sheet: Any, headings: Sequence[str], rows: Sequence[Sequence[Value]]) -> None:
    """Headings, then rows: text never read as a formula, numbers as numbers, None empty."""
    for column, heading in enumerate(headings, start=1):
        cell = sheet.cell(row=1, column=column)
        put_text(cell, heading)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
    for number, record in enumerate(rows, start=2):
        for column, value in enumerate(record, start=1):
            cell = sheet.cell(row=number, column=column)
            if isinstance(value, str):
                put_text(cell, value)
            else:
                cell.value = value
    for column, heading in enumerate(headings, start=1):
        width = max(
            [
                len(heading),
                *(len("" if r[column - 1] is None else str(r[column - 1])) for r in rows),
            ]
        )
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = min(
            60, width + 2
        )
    sheet.freeze_panes = "A2"


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its run, the value shown, and its geometry in SVG units."""

    label: str
    text: str
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of one KPI across the runs."""

    title: str
    bars: list[Bar]
    height: int


CHART_WIDTH = 320
"""Width of the longest bar, in SVG units."""
BAR_HEIGHT, BAR_GAP = 18, 6


def charts(comparison: Comparison, lang: str = "en") -> list[Chart]:
    """A bar chart for each KPI that has numbers, one bar per run."""
    found: list[Chart] = []
    for row in kpi_rows(comparison, lang):
        if row.values is None:
            continue
        largest = max((abs(v) for v in row.values if v is not None), default=0.0)
        bars = [
            Bar(
                label=outcome.label,
                text=text,
                y=index * (BAR_HEIGHT + BAR_GAP),
                width=0.0 if value is None or largest == 0 else CHART_WIDTH * abs(value) / largest,
            )
            for index, (outcome, value, text) in enumerate(
                zip(comparison.outcomes, row.values, row.cells, strict=True)
            )
        ]
        found.append(Chart(row.name, bars, len(bars) * (BAR_HEIGHT + BAR_GAP)))
    return found


def comparison_notes(comparison: Comparison, lang: str = "en") -> list[str]:
    """What the figures of re-plans (`--stable`) mean, in the words `tot repair` uses; shown
    under the table on screen, on the page and in the workbook."""
    _ = texts(lang, "compare").gettext
    if not comparison.stable:
        return []
    notes = [status_caveat(lang)]
    if any(outcome.fewest_proven is False for outcome in comparison.outcomes):
        notes.append(
            _(
                "A re-plan whose fewest changes were not proven in the time given may show "
                "changes that a longer --time-limit avoids."
            )
        )
    return notes


def comparison_html(comparison: Comparison, lang: str = "en") -> str:
    """One self-contained page: KPI table, an SVG bar chart per KPI, the differences."""
    _ = texts(lang, "compare").gettext
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    scenarios = [
        {
            "label": outcome.label,
            "title": outcome.title,
            "summary": difference_summary(comparison.differences[outcome.label], lang)
            if outcome.label in comparison.differences
            else _("no timetable to compare"),
            "differences": [
                {
                    "subject": d.subject,
                    "aspect": aspect_text(d.aspect, lang),
                    "before": d.before,
                    "after": d.after,
                }
                for d in comparison.differences.get(outcome.label, [])
            ],
        }
        for outcome in comparison.outcomes[1:]
    ]
    labels = {
        "lang": lang,
        "title": _("Scenarios compared with the base"),
        "key_figure": _("key figure"),
        "charts": _("Key figures in charts"),
        "differences": _("Differences from the base"),
        "session": _("session or event"),
        "change": _("change"),
        "base": _("base"),
        "scenario": _("scenario"),
        "base_heading": _("{label} (base)").format(label=comparison.base.label),
    }
    return environment.get_template("compare.html").render(
        labels=labels,
        outcomes=comparison.outcomes,
        rows=kpi_rows(comparison, lang),
        notes=comparison_notes(comparison, lang),
        charts=charts(comparison, lang),
        scenarios=scenarios,
        chart_width=CHART_WIDTH,
        bar_height=BAR_HEIGHT,
    )


def write_comparison(path: Path, comparison: Comparison, lang: str = "en") -> list[Path]:
    """Write the comparison as CSV, XLSX or HTML (by the suffix), whole or not at all; the
    files written (CSV: the KPIs at `path`, the differences at `differences_path(path)`)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        beside = differences_path(path)
        files = {
            path.name: comparison_csv(comparison, lang).encode("utf-8"),
            beside.name: differences_csv(comparison, lang).encode("utf-8"),
        }
        write_folder(path.absolute().parent, files)
        return [path, beside]
    if suffix == ".xlsx":
        buffer = io.BytesIO()
        comparison_workbook(comparison, lang).save(buffer)
        data = buffer.getvalue()
    elif suffix == ".html":
        data = comparison_html(comparison, lang).encode("utf-8")
    else:
        expected = ", ".join(OUT_SUFFIXES)
        raise InputError(f"{path}: cannot write '{suffix}' files (expected one of {expected})")
    write_file(path, data)
    return [path]
