"""Why no timetable exists: the solver's conflict, shrunk and told in planners' words."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.compile import compile_instance
from scheduler.explain import _check, explain
from scheduler.loader import instance_from_data, load_instance, read_structured
from scheduler.model import build_model
from scheduler.solve import solve
from tests.conftest import DATA, INSTANCES

INFEASIBLE = DATA / "infeasible"

# file -> (rule id, entity kind, entity id) that the explanation must name.
EXPECTED = {
    "solver-trainers-away.yaml": [
        ("H5", "trainer", "ayu"),
        ("H5", "trainer", "budi"),
        ("H4", "group", "women"),
    ],
    "solver-prerequisite-last-day.yaml": [("H9", "topic", "planning")],
    "solver-trainer-two-events.yaml": [("H3", "trainer", "dewi")],
    "solver-one-room.yaml": [("H2", "room", "pendopo")],
    "solver-community-every-session.yaml": [("S10", "policy", "S10"), ("H11", "trainer", "ketut")],
    "solver-pinned-away.yaml": [
        ("H5", "pin", "tot-bali/partnership/women"),
        ("H5", "trainer", "ayu"),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_conflict_names_the_cause(name: str) -> None:
    instance = load_instance(INFEASIBLE / name)
    assert solve(instance, time_limit=10, workers=1).proven_infeasible
    explanation = explain(instance, time_limit=30)
    assert explanation.verdict == "infeasible"
    assert explanation.stage == "solver"
    assert explanation.minimal
    named = {(f.rule, kind, entity) for f in explanation.findings for kind, entity in f.entities}
    for expected in EXPECTED[name]:
        assert expected in named, (expected, explanation.findings)
    assert all(f.message and f.suggestion for f in explanation.findings)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_conflict_is_minimal(name: str) -> None:
    """Each rule of the explanation is needed: without it, the others can all hold."""
    instance = load_instance(INFEASIBLE / name)
    explanation = explain(instance, time_limit=30)
    tm = build_model(compile_instance(instance, relaxed=True), guarding=True)
    tm.model.clear_objective()
    keys = explanation.guards
    assert len(keys) == len(explanation.findings)
    assert [key[0] for key in keys] == [f.rule for f in explanation.findings]
    assert _check(tm, keys, 10, 1)[0] == "infeasible"
    for key in keys:
        assert _check(tm, [k for k in keys if k != key], 10, 1)[0] == "feasible", key


def test_trainer_dates_are_named() -> None:
    explanation = explain(load_instance(INFEASIBLE / "solver-trainers-away.yaml"))
    ayu = next(f for f in explanation.findings if ("trainer", "ayu") in f.entities)
    assert ayu.message == "Trainer 'ayu' is unavailable on Tuesday 2 February 1999."
    assert "add another trainer qualified for 'partnership'" in ayu.suggestion


def test_only_the_events_of_the_conflict_are_told() -> None:
    """A second event, in March, that can be held: neither its dates nor the trainer's March
    absence belong in the explanation of the February conflict."""
    data = read_structured(INFEASIBLE / "solver-trainers-away.yaml")
    data["trainers"][0]["unavailable"].append({"start": "1999-03-02", "end": "1999-03-02"})
    data["groups"].append({"id": "waria", "size": 8})
    later = {**data["events"][0], "id": "tot-ubud", "venues": ["ubud"], "groups": ["waria"]}
    later["window"] = {"start": "1999-03-01", "end": "1999-03-05"}
    data["events"].append(later)
    explanation = explain(instance_from_data(data, "two events"))
    ayu = next(f for f in explanation.findings if ("trainer", "ayu") in f.entities)
    assert ayu.message == "Trainer 'ayu' is unavailable on Tuesday 2 February 1999."
    assert all("tot-ubud" not in f.message + f.suggestion for f in explanation.findings)


def test_a_topics_own_day_rule_is_named() -> None:
    """NTT with two of its three national trainers away all January and the third from the
    25th: no national trainer can open the TOT in day 1, slot 1 (intro-project's own rule,
    which compiling prunes from the domains of an ordinary solve)."""
    data = read_structured(INSTANCES / "ntt.yaml")
    for trainer in data["trainers"]:
        if trainer["id"] in ("nat-sari", "nat-rina"):
            trainer["unavailable"] = [{"start": "1999-01-01", "end": "1999-01-31"}]
    instance = instance_from_data(data, "ntt-away.yaml")
    explanation = explain(instance, time_limit=30)
    assert explanation.verdict == "infeasible"
    assert explanation.minimal
    opening = next(f for f in explanation.findings if ("topic", "intro-project") in f.entities)
    assert opening.rule == "H5"
    assert opening.message == (
        "Sessions of topic 'intro-project' take place on the first day only, never in day 1, "
        "slot 2; day 1, slot 3; day 1, slot 4."
    )
    named = {entity for f in explanation.findings for _kind, entity in f.entities}
    assert {"nat-sari", "nat-rina", "nat-budi"} <= named


def test_a_day_more_is_suggested_only_where_it_finds_a_timetable() -> None:
    """One room, four sessions, two slots a day: a one-day event fits in two days, if its
    window holds them, and six sessions do not; the suggestion offers a day more only when it
    was tried and found a timetable, and says why not otherwise."""
    data = read_structured(INFEASIBLE / "solver-one-room.yaml")
    narrow = explain(instance_from_data(data, "narrow"))
    data["events"][0]["window"]["end"] = "1999-02-02"
    wide = explain(instance_from_data(data, "wide"))
    # A third group with two sessions: six sessions for the one room, four slots in two days.
    data["groups"].append({"id": "staff", "size": 5})
    data["topics"].append({"id": "more", "sessions": 2, "methods": ["discussion"]})
    data["trainers"].append({**data["trainers"][0], "id": "citra", "topics": ["more"]})
    data["events"][0]["groups"].append("staff")
    data["events"][0]["curriculum"].append({"topic": "more", "groups": ["staff"]})
    crowded = explain(instance_from_data(data, "crowded"))
    (narrow_h1,) = [f for f in narrow.findings if f.rule == "H1"]
    (wide_h1,) = [f for f in wide.findings if f.rule == "H1"]
    (crowded_h1,) = [f for f in crowded.findings if f.rule == "H1"]
    assert narrow_h1.message.endswith("in 1 day of 2 slots, on Monday 1 February 1999.")
    assert wide_h1.message.endswith("between Monday 1 February 1999 and Tuesday 2 February 1999.")
    assert "allow it a day more (2 days)" in wide_h1.suggestion
    assert "(its window holds no day more)" in narrow_h1.suggestion
    assert "(a day more alone finds no timetable)" in crowded_h1.suggestion
    for finding in (narrow_h1, crowded_h1):
        assert "allow it a day more" not in finding.suggestion


def test_indonesian_explanation() -> None:
    explanation = explain(load_instance(INFEASIBLE / "solver-trainers-away.yaml"), lang="id")
    ayu = next(f for f in explanation.findings if ("trainer", "ayu") in f.entities)
    assert ayu.message == "Pelatih 'ayu' tidak tersedia pada Selasa 2 Februari 1999."
    dewi = explain(load_instance(INFEASIBLE / "solver-trainer-two-events.yaml"))
    (told,) = [f for f in dewi.findings if ("trainer", "dewi") in f.entities]
    assert told.suggestion.endswith(" in Bali.")  # the province's name, not its id


@pytest.mark.parametrize("path", [DATA / "tiny.yaml", INSTANCES / "ntt.yaml"])
def test_feasible_instances_are_said_to_be_feasible(path: Path) -> None:
    assert explain(load_instance(path), time_limit=30).verdict == "feasible"


def test_explain_command_fits_one_screen(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", str(INFEASIBLE / "solver-one-room.yaml")])
    assert result.exit_code == 1, result.output
    assert "Room 'pendopo' of venue 'sanur' holds one session at a time." in result.output
    assert "Add a room at 'sanur'" in result.output
    assert len(result.output.splitlines()) <= 25


def test_explain_command_counts_checks_only_when_it_searched(runner: CliRunner) -> None:
    found = runner.invoke(app, ["explain", str(INFEASIBLE / "pre-travel-days.yaml")])
    searched = runner.invoke(app, ["explain", str(INFEASIBLE / "solver-one-room.yaml")])
    assert found.exit_code == searched.exit_code == 1
    assert found.output.rstrip().endswith("s.") and "checks)" not in found.output
    assert searched.output.rstrip().endswith("checks).")


def test_explain_command_on_a_feasible_instance(runner: CliRunner) -> None:
    result = runner.invoke(app, ["explain", str(DATA / "tiny.yaml")])
    assert result.exit_code == 0, result.output
    assert "A timetable exists" in result.output


def test_solve_explains_when_it_proves_infeasibility(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    result = runner.invoke(
        app, ["solve", str(INFEASIBLE / "solver-trainer-two-events.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "Trainer 'dewi' leads one session at a time" in result.output
    assert not out.exists()


def test_explain_bad_input_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nprovinces: [\n", encoding="utf-8")
    result = runner.invoke(app, ["explain", str(bad)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
