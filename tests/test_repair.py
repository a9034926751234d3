"""Re-planning after a change: feasible, close to the published timetable, pins kept."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from models import DateRange, Instance, Timetable
from scheduler.checker import check
from scheduler.cli import app
from scheduler.i18n import texts
from scheduler.loader import load_instance, read_structured
from scheduler.repair import (
    METHOD,
    MOVED,
    ROOM,
    TRAINER,
    Change,
    change_name,
    compare,
    event_changes,
    pair_sessions,
    repair,
    status_caveat,
)
from scheduler.scenario import apply_scenario, load_scenario
from scheduler.solve import solve
from scheduler.timetable_io import write_timetable
from tests.conftest import DATA, INSTANCES

SCENARIOS = sorted((INSTANCES / "scenarios").glob("*.yaml"))
PROGRAMME = INSTANCES / "tot-1999.yaml"


def _changed(published: Timetable, timetable: Timetable) -> int:
    return sum(change.kinds != ("kept",) for change in compare(published, timetable))


@pytest.fixture(scope="module")
def programme() -> tuple[Instance, Timetable]:
    instance = load_instance(PROGRAMME)
    # Deterministic, so that the published timetable (and every count below) is the same on
    # every machine and under any load.
    result = solve(instance, time_limit=10, workers=1, seed=1, deterministic=True)
    assert result.timetable is not None
    assert check(instance, result.timetable).feasible
    return instance, result.timetable


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_repair_changes_far_fewer_sessions_than_a_fresh_solve(
    programme: tuple[Instance, Timetable], path: Path
) -> None:
    base, published = programme
    changed = apply_scenario(load_scenario(path), base, path)
    repaired = repair(changed, published, time_limit=8, workers=2, seed=0)
    timetable = repaired.result.timetable
    assert timetable is not None
    report = check(changed, timetable)
    assert report.feasible, report.violations[:3]
    assert report.total == repaired.result.objective
    # The fresh solve is the yardstick, so it must not depend on the machine's load: a
    # wall-clock solve happens, now and then, to land close to the published timetable.
    fresh = solve(changed, time_limit=8, workers=1, seed=0, deterministic=True)
    assert fresh.timetable is not None
    by_repair, by_fresh = _changed(published, timetable), _changed(published, fresh.timetable)
    assert 2 * by_repair < by_fresh, (by_repair, by_fresh)


def test_an_unchanged_instance_keeps_every_session(programme: tuple[Instance, Timetable]) -> None:
    instance, published = programme
    repaired = repair(instance, published, time_limit=10, workers=2, seed=0)
    assert repaired.disruption == 0
    assert repaired.count("kept") == len(published.sessions)


def _without(instance: Instance, trainer_id: str, start: dt.date, end: dt.date) -> Instance:
    data = instance.model_dump(mode="json")
    for trainer in data["trainers"]:
        if trainer["id"] == trainer_id:
            trainer["unavailable"].append(DateRange(start=start, end=end).model_dump(mode="json"))
    return Instance.model_validate(data)


def test_pinned_sessions_never_move() -> None:
    instance = load_instance(INSTANCES / "ntt.yaml")
    published = solve(instance, time_limit=5, workers=2, seed=0).timetable
    assert published is not None
    first_day = min(s.date for s in published.sessions)
    busiest = max(
        {f.trainer for s in published.sessions for f in s.trainers},
        key=lambda t: sum(f.trainer == t for s in published.sessions for f in s.trainers),
    )
    second_day = sorted({s.date for s in published.sessions})[1]
    changed = _without(instance, busiest, second_day, second_day)
    one = next(s for s in published.sessions if s.date > second_day)
    pins = [first_day.isoformat(), one.id]
    repaired = repair(changed, published, pins=pins, time_limit=10, workers=2, seed=0)
    timetable = repaired.result.timetable
    assert timetable is not None
    assert check(changed, timetable).feasible
    kept = {
        (s.event, s.topic, s.groups, s.date, s.slot, s.room, s.trainers) for s in timetable.sessions
    }
    pinned = [s for s in published.sessions if s.date == first_day or s.id == one.id]
    assert pinned
    for session in pinned:
        key = (session.event, session.topic, session.groups, session.date, session.slot)
        assert (*key, session.room, session.trainers) in kept, session.id
    assert not any(
        busiest in {f.trainer for f in s.trainers}
        for s in timetable.sessions
        if s.date == second_day
    )


def _worse_methods(instance: Instance, timetable: Timetable) -> Timetable:
    """`timetable` with, session by session, the first other method of its topic that breaks
    no rule and raises the penalty: a published timetable that a re-plan would like to
    re-teach, though nothing forces it to."""
    sessions = list(timetable.sessions)
    total = check(instance, timetable).total
    for index, session in enumerate(sessions):
        for method in instance.topic(session.topic).methods:
            if method == session.method:
                continue
            trial = [*sessions[:index], session.model_copy(update={"method": method}),
                     *sessions[index + 1:]]  # fmt: skip
            report = check(instance, timetable.model_copy(update={"sessions": tuple(trial)}))
            if report.feasible and report.total > total:
                sessions, total = trial, report.total
                break
    return timetable.model_copy(update={"sessions": tuple(sessions)})


@pytest.fixture(scope="module")
def ntt_methods() -> tuple[Instance, Timetable, Timetable]:
    """NTT, its timetable (deterministic), and that timetable with worse methods."""
    instance = load_instance(INSTANCES / "ntt.yaml")
    result = solve(instance, time_limit=5, workers=1, seed=0, deterministic=True)
    assert result.timetable is not None
    assert check(instance, result.timetable).feasible
    worse = _worse_methods(instance, result.timetable)
    assert check(instance, worse).feasible
    return instance, result.timetable, worse


def _methods(timetable: Timetable) -> dict[str, str]:
    return {session.id: session.method for session in timetable.sessions}


def test_a_method_change_is_a_change_not_kept(
    ntt_methods: tuple[Instance, Timetable, Timetable],
) -> None:
    _instance, published, worse = ntt_methods
    before, after = _methods(published), _methods(worse)
    swapped = sorted(session for session in before if before[session] != after[session])
    assert swapped
    changes = {change.session: change for change in compare(published, worse)}
    for session in swapped:
        change = changes[session]
        assert change.kinds == ("method",)
        assert (change.before, change.after) == (before[session], after[session])
    assert all(changes[s].kinds == ("kept",) for s in before if s not in swapped)
    assert change_name("method", "en") == "method" and change_name("method", "id") == "metode"


def test_a_timetable_that_breaks_no_rule_keeps_its_methods(
    ntt_methods: tuple[Instance, Timetable, Timetable],
) -> None:
    """Methods a re-plan would rather change are kept, as promised to the trainers: the
    timetable breaks no rule, so it is kept whole."""
    instance, _published, worse = ntt_methods
    repaired = repair(instance, worse, time_limit=5, workers=1, seed=0, deterministic=True)
    timetable = repaired.result.timetable
    assert timetable is not None
    report = check(instance, timetable)
    assert report.feasible and report.total == repaired.result.objective
    assert _methods(timetable) == _methods(worse)
    assert timetable.sessions == worse.sessions
    assert repaired.disruption == 0
    assert repaired.count("kept") == len(worse.sessions) and repaired.count("method") == 0
    summary = repaired.summary()
    assert summary.startswith(f"{len(worse.sessions)} sessions kept, 0 moved")
    assert "0 with another method" in summary and "method 2" in summary
    assert "0 dengan metode lain" in repaired.summary("id")


def _disruption(published: Timetable, repaired: Timetable) -> dict[str, int]:
    """The disruption per published session, recounted from the two timetables (see the
    weights in `scheduler.repair`): a session not kept in place loses everything."""
    offerings = {(s.event, s.topic, s.groups) for s in repaired.sessions}
    cost: dict[str, int] = {}
    for old, new in pair_sessions(published, repaired):
        if old is None:
            continue
        if new is None or (new.date, new.slot) != (old.date, old.slot):
            still_offered = (old.event, old.topic, old.groups) in offerings
            cost[old.id] = (MOVED + TRAINER * len(old.trainers) + ROOM + METHOD) * still_offered
            continue
        staff = {(f.trainer, f.role) for f in new.trainers}
        gone = sum((f.trainer, f.role) not in staff for f in old.trainers)
        cost[old.id] = TRAINER * gone + ROOM * (old.room != new.room)
        cost[old.id] += METHOD * (old.method != new.method)
    return cost


def test_the_disruption_counts_every_change_the_repair_shows(
    ntt_methods: tuple[Instance, Timetable, Timetable],
) -> None:
    """A trainer away on their busiest day: the optimal disruption is what the changes
    shown add up to, method changes included, and a session is kept when it costs nothing."""
    instance, _published, worse = ntt_methods
    (trainer, day), _count = Counter(
        (f.trainer, s.date) for s in worse.sessions for f in s.trainers
    ).most_common(1)[0]
    changed = _without(instance, trainer, day, day)
    assert not check(changed, worse).feasible
    repaired = repair(changed, worse, time_limit=5, workers=1, seed=0, deterministic=True)
    timetable = repaired.result.timetable
    assert timetable is not None
    report = check(changed, timetable)
    assert report.feasible and report.total == repaired.result.objective
    assert repaired.result.levels[0].status == "OPTIMAL"
    cost = _disruption(worse, timetable)
    assert 0 < sum(cost.values()) == repaired.disruption
    kept = {change.session for change in repaired.changes if change.kinds == ("kept",)}
    assert kept == {session for session, value in cost.items() if value == 0}


def test_the_status_caveat_in_both_languages() -> None:
    english = status_caveat("en")
    assert english.startswith("The status and bound hold among the timetables")
    assert status_caveat("id") == texts("id", "explain").gettext(english) != english


OPENING = "tot-sulsel/intro-project/all/1"


def test_repair_command_with_a_scenario(runner: CliRunner, tmp_path: Path) -> None:
    published = tmp_path / "t.json"
    solved = runner.invoke(
        app, ["solve", str(PROGRAMME), "--time-limit", "10", "--quiet", "--out", str(published)]
    )
    assert solved.exit_code == 0, solved.output
    out = tmp_path / "repaired.json"
    scenario = INSTANCES / "scenarios" / "ntt-without-rina.yaml"
    result = runner.invoke(
        app,
        ["repair", str(PROGRAMME), "--from", str(published), "--scenario", str(scenario),
         "--pin", OPENING, "--time-limit", "10", "--quiet", "--out", str(out)],
        env={"COLUMNS": "60"},  # a narrow terminal: the ids must still show whole
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "sessions kept" in result.output
    words = " ".join(result.output.split())
    assert "hold among the timetables that change the published one least" in words
    repaired = json.loads(out.read_text(encoding="utf-8"))
    before = json.loads(published.read_text(encoding="utf-8"))
    opening = [[s for s in t["sessions"] if s["id"] == OPENING] for t in (before, repaired)]
    assert opening[0] and opening[0] == opening[1]  # the README's example: the pin holds
    was = {s["id"]: s for s in before["sessions"]}
    altered = [s["id"] for s in repaired["sessions"] if was.get(s["id"]) != s]
    # Only a timetable that had Rina in Kupang must change (a short solve may not use her).
    rina_in_kupang = any(
        s["event"] == "tot-ntt" and any(f["trainer"] == "nat-rina" for f in s["trainers"])
        for s in before["sessions"]
    )
    assert bool(altered) == rina_in_kupang
    assert all(session in result.output for session in altered)  # whole ids, for --pin
    assert all(
        "nat-rina" not in json.dumps(s) or s["event"] != "tot-ntt" for s in repaired["sessions"]
    )
    changed = tmp_path / "changed.yaml"
    applied = runner.invoke(app, ["scenario", "apply", str(scenario), "--out", str(changed)])
    assert applied.exit_code == 0, applied.output
    checked = runner.invoke(app, ["check", str(changed), str(out)])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("nonsense", "--pin 'nonsense' is neither a session of the timetable nor a date "
         "(dates are written YYYY-MM-DD)"),
        ("tot-ntt/intro-project/all/l", "--pin 'tot-ntt/intro-project/all/l' is neither a "
         "session of the timetable nor a date (did you mean 'tot-ntt/intro-project/all/1'?)"),
        ("1999-01-01", "--pin 1999-01-01: the timetable has no session on that date"),
    ],
)  # fmt: skip
def test_a_bad_pin_exits_2(runner: CliRunner, tmp_path: Path, pin: str, message: str) -> None:
    instance = load_instance(INSTANCES / "ntt.yaml")
    timetable = solve(instance, time_limit=3, workers=2, seed=0).timetable
    assert timetable is not None
    published = tmp_path / "t.json"
    write_timetable(published, timetable)
    result = runner.invoke(
        app, ["repair", str(INSTANCES / "ntt.yaml"), "--from", str(published), "--pin", pin]
    )
    assert result.exit_code == 2
    assert f"{published}: {message}" in result.output


def test_a_repair_that_did_not_prove_its_changes_fewest_says_so(
    programme: tuple[Instance, Timetable],
) -> None:
    """Too short a (deterministic) budget: the re-plan moves sessions that a longer one keeps,
    and its caveat says the changes are not proven the fewest, with the bound it reached."""
    base, published = programme
    path = INSTANCES / "scenarios" / "ntt-without-rina.yaml"
    changed = apply_scenario(load_scenario(path), base, path)
    short = repair(changed, published, time_limit=9, workers=1, seed=1, deterministic=True)
    assert short.result.timetable is not None
    assert check(changed, short.result.timetable).feasible
    first = short.result.levels[0]
    assert not short.fewest_proven and first.bound is not None
    assert first.objective is not None and first.objective > first.bound
    assert status_caveat("en", short) == (
        f"The changes were not proven the fewest in the time given (disruption "
        f"{first.objective}, while no re-plan can go below {first.bound:g}): a longer "
        "--time-limit may keep more of the published timetable."
    )
    longer = repair(changed, published, time_limit=12, workers=1, seed=1, deterministic=True)
    assert longer.fewest_proven
    assert longer.result.timetable is not None
    assert check(changed, longer.result.timetable).feasible
    assert longer.disruption is not None and longer.disruption < first.objective
    assert status_caveat("en", longer) == status_caveat("en")


def _published_tiny(runner: CliRunner, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A timetable of tests/data/tiny.yaml published by `tot solve`, and the instance's data
    to change."""
    tiny = DATA / "tiny.yaml"
    published = tmp_path / "t.json"
    solved = runner.invoke(app, ["solve", str(tiny), "-t", "5", "-q", "--out", str(published)])
    assert solved.exit_code == 0, solved.output
    return published, read_structured(tiny)


def _written(tmp_path: Path, data: dict[str, Any]) -> Path:
    """The changed instance `data`, as a file."""
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data, default=str), encoding="utf-8")
    return changed


def test_a_pinned_session_that_now_breaks_a_rule_is_named(
    runner: CliRunner, tmp_path: Path
) -> None:
    """Its trainer is now away on its date: the repair cannot keep it, and says which rule."""
    published, data = _published_tiny(runner, tmp_path)
    session = json.loads(published.read_text(encoding="utf-8"))["sessions"][0]
    trainer = session["trainers"][0]["trainer"]
    for entry in data["trainers"]:
        if entry["id"] == trainer:
            entry["unavailable"] = [{"start": session["date"], "end": session["date"]}]
    changed = _written(tmp_path, data)
    args = ["repair", str(changed), "--from", str(published), "--pin", session["id"], "-t", "5"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    words = " ".join(result.output.split())
    assert "Pinned sessions that break rules of the instance as it is now:" in words
    assert "H5" in words and session["id"] in words and trainer in words


def test_a_repair_with_nothing_pinned_does_not_blame_pins(
    runner: CliRunner, tmp_path: Path
) -> None:
    """The changed instance has no timetable at all: the repair says so, and why."""
    published, data = _published_tiny(runner, tmp_path)
    data["events"][0]["window"]["end"] = data["events"][0]["window"]["start"]  # one day
    data["events"][0]["days"] = 1
    changed = _written(tmp_path, data)
    result = runner.invoke(app, ["repair", str(changed), "--from", str(published), "-t", "5"])
    assert result.exit_code == 1, result.output
    words = " ".join(result.output.split())
    assert "pinned" not in words
    assert "No timetable meets every rule of the instance as it is now." in words
    assert "H4" in words


def test_event_changes_name_a_new_venue(programme: tuple[Instance, Timetable]) -> None:
    """The table of a repair starts with events held elsewhere (or on other dates)."""
    _, published = programme
    plan = published.events[0]
    elsewhere = plan.model_copy(update={"venue": "elsewhere"})
    moved = published.model_copy(update={"events": (elsewhere, *published.events[1:])})
    assert event_changes(published, moved) == [
        Change(plan.event, ("venue",), plan.venue, "elsewhere")
    ]
    assert event_changes(published, published) == []
    assert change_name("venue", "id") == "tempat"
