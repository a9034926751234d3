"""Scenario files: every kind of change, the bundled 1999 scenarios, and bad changes."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from models import Instance, Pin, Scenario, Timetable
from scheduler.checker import check
from scheduler.cli import app
from scheduler.errors import InputError
from scheduler.loader import load_instance
from scheduler.scenario import apply_scenario, load_base, load_scenario
from scheduler.solve import solve
from tests.conftest import DATA, INSTANCES

SCENARIOS = INSTANCES / "scenarios"
BAD = DATA / "scenarios" / "bad"
TIME_LIMIT = 6.0
"""Seconds per solve of tot-1999: enough for a first timetable on a busy machine."""


@pytest.fixture(scope="module")
def tiny() -> Instance:
    return load_instance(DATA / "tiny.yaml")


@pytest.fixture(scope="module")
def programme() -> Instance:
    return load_instance(INSTANCES / "tot-1999.yaml")


def _apply(base: Instance, *changes: dict[str, Any]) -> Instance:
    scenario = Scenario.model_validate({"name": "t", "base": "x.yaml", "changes": changes})
    return apply_scenario(scenario, base, "t.yaml")


def _fails(base: Instance, *changes: dict[str, Any]) -> str:
    with pytest.raises(InputError) as error:
        _apply(base, *changes)
    return str(error.value)


def _solved(instance: Instance, time_limit: float = 5.0, workers: int = 2) -> Timetable:
    """A timetable of `instance` that the checker accepts, with the solver's total."""
    result = solve(instance, time_limit=time_limit, workers=workers, seed=0)
    assert result.timetable is not None, result.status
    report = check(instance, result.timetable)
    assert report.feasible, [v.message for v in report.violations]
    assert report.total == result.objective
    return result.timetable


# Each kind of change.


def test_set_a_field_a_nested_field_and_a_key_of_a_mapping(programme: Instance) -> None:
    changed = _apply(
        programme,
        {"kind": "set", "entity": "trainer", "id": "nat-budi", "field": "max_days", "value": 6},
        {"kind": "set", "entity": "trainer", "id": "nat-budi", "field": "topics.sti-hiv",
         "value": 2},
        {"kind": "set", "entity": "trainer", "id": "nat-budi",
         "field": "preferences.avoid_slots", "value": [1]},
        {"kind": "set", "entity": "room", "id": "ntt-ngo-room", "field": "capacity", "value": 14},
        {"kind": "set", "entity": "policy", "field": "room_capacity", "value": "soft"},
    )  # fmt: skip
    budi = changed.trainer("nat-budi")
    assert budi.max_days == 6
    assert budi.topics["sti-hiv"] == 2 and budi.topics["ngo-management"] == 3
    assert budi.preferences.avoid_slots == (1,)
    assert budi.preferences.avoid_weekdays == ("saturday",)
    assert changed.rooms()["ntt-ngo-room"][1].capacity == 14
    assert changed.policy.room_capacity == "soft"
    assert programme.trainer("nat-budi").max_days == 12  # the base is left alone


def test_add_a_trainer_and_a_room(programme: Instance) -> None:
    changed = _apply(
        programme,
        {
            "kind": "add",
            "entity": "trainer",
            "value": {
                "id": "ntt-agus",
                "home": "ntt",
                "role": "community",
                "topics": ["partnership", "stakeholders"],
                "methods": ["group-discussion"],
                "daily_fee": 75000,
            },
        },
        {"kind": "add", "entity": "room", "venue": "ntt-ngo-kupang",
         "value": {"id": "ntt-ngo-annex", "capacity": 8, "facilities": ["flipchart"]}},
    )  # fmt: skip
    assert changed.trainer("ntt-agus").topics == {"partnership": 3, "stakeholders": 3}
    assert changed.venue("ntt-ngo-kupang").rooms[-1].id == "ntt-ngo-annex"
    assert len(changed.trainers) == len(programme.trainers) + 1


def test_remove_an_entity_nothing_refers_to(programme: Instance) -> None:
    changed = _apply(programme, {"kind": "remove", "entity": "trainer", "id": "bali-wayan"})
    assert "bali-wayan" not in {trainer.id for trainer in changed.trainers}


def test_remove_with_cascade_drops_every_reference(programme: Instance) -> None:
    changed = _apply(
        programme, {"kind": "remove", "entity": "topic", "id": "stigma-gender", "cascade": True}
    )
    assert "stigma-gender" not in {topic.id for topic in changed.topics}
    assert all("stigma-gender" not in trainer.topics for trainer in changed.trainers)
    assert all(
        item.topic != "stigma-gender" for event in changed.events for item in event.curriculum
    )
    removed_group = _apply(
        programme, {"kind": "remove", "entity": "group", "id": "bali-gay", "cascade": True}
    )
    bali = removed_group.event("tot-bali")
    assert "bali-gay" not in bali.groups
    assert all(item.groups is None or "bali-gay" not in item.groups for item in bali.curriculum)


def test_remove_without_cascade_names_what_still_refers(programme: Instance) -> None:
    assert _fails(programme, {"kind": "remove", "entity": "method", "id": "game"}) == (
        "t.yaml: change 1 (remove): method 'game' is still used by trainer 'nat-sari' (methods); "
        "remove that too, or add cascade: true"
    )
    assert _fails(
        programme, {"kind": "remove", "entity": "province", "id": "ntt", "cascade": True}
    ) == ("t.yaml: change 1 (remove): province 'ntt' is still used by venue 'ntt-hotel-kupang' "
          "(province)")  # fmt: skip


def test_unavailable_dates_for_a_trainer_a_venue_and_a_room(programme: Instance) -> None:
    changed = _apply(
        programme,
        {"kind": "unavailable", "entity": "trainer", "id": "nat-sari",
         "dates": [{"start": "1999-01-21", "end": "1999-01-23"}, "1999-02-15"]},
        {"kind": "unavailable", "entity": "venue", "id": "bali-hotel-sanur",
         "dates": [dt.date(1999, 3, 10)]},
        {"kind": "unavailable", "entity": "room", "id": "bali-dps-hall", "dates": ["1999-03-11"]},
    )  # fmt: skip
    spans = [(span.start, span.end) for span in changed.trainer("nat-sari").unavailable]
    assert spans[-2:] == [
        (dt.date(1999, 1, 21), dt.date(1999, 1, 23)),
        (dt.date(1999, 2, 15), dt.date(1999, 2, 15)),
    ]
    assert dt.date(1999, 3, 10) in changed.venue("bali-hotel-sanur").unavailable[-1]
    assert dt.date(1999, 3, 11) in changed.rooms()["bali-dps-hall"][1].unavailable[-1]


def test_weight(programme: Instance) -> None:
    changed = _apply(programme, {"kind": "weight", "rule": "S5", "value": 2})
    assert changed.policy.weights.S5 == 2
    assert changed.policy.weights.S10 == programme.policy.weights.S10


def test_pins_are_honoured_by_the_solver(tiny: Instance) -> None:
    changed = _apply(
        tiny,
        {"kind": "pin", "offering": "tot-bali/hiv-basics/all", "day": 1, "slot": 2,
         "room": "pendopo", "trainers": ["ketut"]},
        {"kind": "pin", "offering": "tot-bali/partnership/all", "trainers": ["dewi"]},
    )  # fmt: skip
    assert changed.pins[0] == Pin(
        offering="tot-bali/hiv-basics/all", day=1, slot=2, room="pendopo", trainers=("ketut",)
    )
    timetable = _solved(changed)
    hiv = next(s for s in timetable.sessions if s.topic == "hiv-basics")
    assert (hiv.day, hiv.slot, hiv.room) == (1, 2, "pendopo")
    assert [f.trainer for f in hiv.trainers] == ["ketut"]
    partnership = [s for s in timetable.sessions if s.topic == "partnership"]
    assert len(partnership) == 2
    assert all("dewi" in {f.trainer for f in s.trainers} for s in partnership)


def test_the_checker_finds_a_broken_pin(tiny: Instance) -> None:
    timetable = _solved(tiny)
    hiv = next(s for s in timetable.sessions if s.topic == "hiv-basics")
    other_slot = 1 if hiv.slot != 1 else 2
    other_trainer = ({"dewi", "ketut"} - {f.trainer for f in hiv.trainers}).pop()
    pinned = _apply(
        tiny,
        {"kind": "pin", "offering": "tot-bali/hiv-basics/all", "day": hiv.day,
         "slot": other_slot},
        {"kind": "pin", "offering": "tot-bali/hiv-basics/all", "trainers": [other_trainer]},
        {"kind": "pin", "offering": "tot-bali/planning/all", "room": "garden"},
    )  # fmt: skip
    report = check(pinned, timetable)
    messages = [v.message for v in report.violations if v.rule == "H5"]
    assert len(messages) == 3, messages
    assert any(
        f"no session starts on day {hiv.day} ({hiv.date}), slot {other_slot}; its sessions "
        f"start {hiv.date} slot {hiv.slot}" in message
        for message in messages
    )
    assert any(other_trainer in message for message in messages)
    assert any("garden" in message for message in messages)
    assert check(tiny, timetable).feasible


# The bundled scenarios of 1999.


BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


def test_at_least_five_scenarios_are_bundled() -> None:
    assert len(BUNDLED) >= 5


def _bundled(name: str) -> tuple[Instance, Instance]:
    path = SCENARIOS / name
    scenario = load_scenario(path)
    base = load_base(scenario, path)
    return base, apply_scenario(scenario, base, path)


@functools.cache
def _bundled_timetable(name: str) -> Timetable:
    """The checked timetable of a bundled scenario, solved once for every test that asks."""
    return _solved(_bundled(name)[1], TIME_LIMIT)


@pytest.mark.parametrize("path", BUNDLED, ids=[path.stem for path in BUNDLED])
def test_each_bundled_scenario_applies_and_solves(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.base == INSTANCES / "tot-1999.yaml"
    assert scenario.name and scenario.description and scenario.changes
    _bundled_timetable(path.name)


def test_rina_does_not_work_in_kupang() -> None:
    timetable = _bundled_timetable("ntt-without-rina.yaml")
    in_ntt = {f.trainer for s in timetable.sessions if s.event == "tot-ntt" for f in s.trainers}
    assert "nat-rina" not in in_ntt


def test_the_makassar_ngo_office_is_not_used_in_the_first_week() -> None:
    timetable = _bundled_timetable("makassar-first-week.yaml")
    plan = next(plan for plan in timetable.events if plan.event == "tot-sulsel")
    first_week = {dt.date(1999, 2, 8) + dt.timedelta(days=n) for n in range(6)}
    assert plan.venue != "sulsel-ngo-makassar" or not first_week & set(plan.dates)


def test_four_day_tots_and_peer_in_every_session() -> None:
    base, four_days = _bundled("four-day-tots.yaml")
    assert [event.days for event in four_days.events] == [4, 4, 4]
    assert [event.days for event in base.events] == [4, 5, 5]
    assert all(len(plan.dates) == 4 for plan in _bundled_timetable("four-day-tots.yaml").events)
    _, peers = _bundled("peer-in-every-session.yaml")
    assert peers.policy.hard == ("S10",)
    assert all(
        any("community" in need.trainer_roles for need in topic.facilitators)
        for topic in peers.topics
    )
    timetable = _bundled_timetable("peer-in-every-session.yaml")
    assert check(peers, timetable).penalties["S10"] == 0


def test_cost_twice() -> None:
    base, instance = _bundled("cost-twice.yaml")
    assert instance.policy.weights.S5 == 2 * base.policy.weights.S5


# The command and bad changes.


def test_scenario_apply_writes_an_instance_that_loads_back(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = SCENARIOS / "makassar-first-week.yaml"
    _, expected = _bundled(path.name)
    for name in ("changed.yaml", "changed.json"):
        out = tmp_path / name
        result = runner.invoke(app, ["scenario", "apply", str(path), "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "1 change(s) applied" in result.output
        assert load_instance(out) == expected
    data = yaml.safe_load((tmp_path / "changed.yaml").read_text())
    assert data["name"] == expected.name


def test_scenario_apply_replaces_a_file_only_with_force(runner: CliRunner, tmp_path: Path) -> None:
    """The base instance (or any hand-edited file) is not overwritten by accident."""
    path = SCENARIOS / "makassar-first-week.yaml"
    _, expected = _bundled(path.name)
    out = tmp_path / "base.yaml"
    out.write_text("# edited by hand\n")
    result = runner.invoke(app, ["scenario", "apply", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{out}: already exists (add --force to replace it)"
    assert out.read_text() == "# edited by hand\n"
    forced = ["scenario", "apply", str(path), "--out", str(out), "--force"]
    result = runner.invoke(app, forced)
    assert result.exit_code == 0, result.output
    assert load_instance(out) == expected


BAD_CASES = [
    ("add_duplicate.yaml", "change 1 (add): trainer 'ketut' is already defined"),
    ("bad_value.yaml",
     "change 1 (set): trainer 'dewi', field 'max_days': 0: input should be greater than 0"),
    ("cascade_leaves_nothing.yaml",
     "change 1 (remove): instance, field 'venues': tuple should have at least 1 item after "
     "validation, not 0"),
    ("dates_reversed.yaml",
     "change 1 (unavailable), field 'dates[1]': end 1999-02-01 is before start 1999-02-03"),
    ("impossible_date.yaml",
     "change 1 (unavailable), field 'dates[1].end': '1999-02-30': input should be a valid date "
     "or datetime, day value is outside expected range"),
    ("instance_not_scenario.yaml",
     "is an instance, not a scenario (a scenario names its base instance and the changes to "
     "it; see instances/scenarios/)"),
    ("missing_base.yaml", f"base {DATA / 'scenarios' / 'nowhere.yaml'}: no such file"),
    ("pin_outside_event.yaml",
     "change 1 (pin): pin 'tot-bali/planning/all', field 'day': 1 slot(s) from day 3 slot 1 "
     "leave event 'tot-bali' (2 days of 4 slots)"),
    ("pin_unknown_room.yaml",
     "change 1 (pin): pin 'tot-bali/partnership/all', field 'room': room 'hall' is not defined"),
    ("remove_referenced.yaml",
     "change 1 (remove): topic 'hiv-basics' is still used by trainer 'dewi' (topics); remove "
     "that too, or add cascade: true"),
    ("room_without_venue.yaml", "change 1 (add): venue: a room, and only a room, names its venue"),
    ("set_id.yaml",
     "change 1 (set): trainer 'dewi': an id cannot be changed; remove the entity and add another"),
    ("unknown_field.yaml", "change 1 (set): trainer 'dewi' has no field 'fee'"),
    ("unknown_kind.yaml",
     "change 1: kind 'move' is not one of set, add, remove, unavailable, weight, pin"),
    ("unknown_policy_field.yaml", "change 1 (set): policy has no field 'weights.S55'"),
    ("unknown_rule.yaml",
     "change 1 (weight), field 'rule': 'S12': input should be 'S1', 'S2', 'S3', 'S4', 'S5', "
     "'S6', 'S7', 'S8', 'S9', 'S10' or 'S11'"),
    ("unknown_trainer.yaml", "change 2 (unavailable): trainer 'budi' is not defined"),
]  # fmt: skip


def test_every_bad_scenario_has_a_case() -> None:
    assert sorted(name for name, _ in BAD_CASES) == sorted(p.name for p in BAD.iterdir())


@pytest.mark.parametrize(("name", "expected"), BAD_CASES, ids=[name for name, _ in BAD_CASES])
def test_bad_scenario(runner: CliRunner, tmp_path: Path, name: str, expected: str) -> None:
    path = BAD / name
    out = tmp_path / "changed.yaml"
    result = runner.invoke(app, ["scenario", "apply", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [f"{path}: {expected}"]
    assert "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["changed.txt"], "changed.txt: cannot write '.txt' files (expected one of .yaml, "
         ".yml, .json)"),
        (["no/such/folder/changed.yaml"], "no/such/folder/changed.yaml: folder 'no/such/folder' "
         "does not exist"),
    ],
)  # fmt: skip
def test_bad_out(runner: CliRunner, args: list[str], expected: str) -> None:
    path = SCENARIOS / "cost-twice.yaml"
    result = runner.invoke(app, ["scenario", "apply", str(path), "--out", *args])
    assert result.exit_code == 2
    assert result.stderr.strip() == expected


def test_missing_scenario_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["scenario", "apply", "nowhere.yaml", "--out", str(tmp_path / "x.yaml")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "nowhere.yaml: no such file"
