"""The diagnosis before solving: each infeasible instance is explained by the right rule."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from models import Instance
from models.instance import LENIENT
from scheduler.diagnose import Finding, diagnose, load_lenient
from scheduler.errors import InputError
from scheduler.loader import load_instance
from scheduler.solve import solve
from tests.conftest import DATA, INSTANCES
from tests.strategies import instances

INFEASIBLE = DATA / "infeasible"
BAD = DATA / "bad"

CASES: list[tuple[str, set[str], list[tuple[str, str]], bool]] = [
    # file, the rules of its findings, entities some finding must name, passes strict loading
    ("pre-no-co-facilitator.yaml", {"H6"}, [("topic", "hiv-basics"), ("position", "co-facilitator"), ("event", "tot-bali")], False),
    ("pre-language.yaml", {"H6"}, [("topic", "role-play-practice"), ("group", "waria"), ("trainer", "ketut")], True),
    ("pre-no-travel-link.yaml", {"H6"}, [("topic", "role-play-practice"), ("event", "tot-bali"), ("trainer", "ketut")], True),
    ("pre-no-common-method.yaml", {"H6"}, [("topic", "hiv-basics"), ("method", "lecture"), ("method", "discussion")], True),
    ("pre-room-too-small.yaml", {"H7"}, [("topic", "partnership"), ("room", "pendopo"), ("group", "women")], True),
    ("pre-no-facilities.yaml", {"H7"}, [("topic", "role-play-practice"), ("method", "role-play"), ("venue", "sanur")], True),
    ("pre-holidays.yaml", {"H12"}, [("event", "tot-bali"), ("date", "1999-01-19"), ("date", "1999-01-20")], False),
    ("pre-group-overbooked.yaml", {"H4"}, [("group", "women"), ("group", "waria"), ("event", "tot-bali")], True),
    ("pre-topic-rules.yaml", {"H5"}, [("topic", "planning"), ("event", "tot-bali")], True),
    ("pre-trainer-limits.yaml", {"H11"}, [("trainer", "ketut"), ("topic", "role-play-practice")], True),
    ("pre-trainer-unavailable.yaml", {"H5"}, [("trainer", "ketut"), ("topic", "role-play-practice"), ("position", "lead")], True),
    ("pre-venue-closed.yaml", {"H5"}, [("event", "tot-bali"), ("venue", "sanur")], True),
    ("pre-venue-open-apart.yaml", {"H5"}, [("event", "tot-bali"), ("venue", "sanur"), ("group", "women"), ("group", "waria")], True),
    ("pre-one-venue.yaml", {"H13"}, [("venue", "hotel"), ("venue", "ngo-office"), ("topic", "hiv-basics"), ("topic", "condom-negotiation")], True),
    ("pre-travel-days.yaml", {"H10"}, [("trainer", "dewi"), ("event", "tot-bali"), ("event", "tot-ntt")], True),
    ("pre-no-link-between-events.yaml", {"H10"}, [("trainer", "dewi"), ("province", "ntt"), ("province", "sulsel")], True),
    ("pre-prerequisite-cycle.yaml", {"H9"}, [("topic", "partnership"), ("topic", "hiv-basics"), ("topic", "role-play-practice")], True),
]  # fmt: skip
IDS = [name.removeprefix("pre-").removesuffix(".yaml") for name, *_ in CASES]


def _named(findings: list[Finding]) -> set[tuple[str, str]]:
    return {entity for finding in findings for entity in finding.entities}


def test_every_infeasible_file_has_a_case() -> None:
    assert sorted(name for name, *_ in CASES) == sorted(
        path.name for path in INFEASIBLE.glob("pre-*.yaml")
    )


@pytest.mark.parametrize(("name", "rules", "entities", "strict"), CASES, ids=IDS)
def test_diagnosis_names_the_cause(
    name: str, rules: set[str], entities: list[tuple[str, str]], strict: bool
) -> None:
    findings = diagnose(load_lenient(INFEASIBLE / name))
    assert {finding.rule for finding in findings} == rules
    assert set(entities) <= _named(findings)
    for finding in findings:
        assert finding.message.endswith(".") and finding.suggestion.endswith(".")
        assert "{" not in finding.message + finding.suggestion


@pytest.mark.parametrize(("name", "rules", "entities", "strict"), CASES, ids=IDS)
def test_each_infeasible_file_really_has_no_timetable(
    name: str, rules: set[str], entities: list[tuple[str, str]], strict: bool
) -> None:
    path = INFEASIBLE / name
    if not strict:
        with pytest.raises(InputError, match=str(path)):
            load_instance(path)
        return
    result = solve(load_instance(path), time_limit=5, workers=1)
    assert result.timetable is None
    assert result.proven_infeasible


@pytest.mark.parametrize("path", sorted(INSTANCES.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_instances_have_no_findings(path: Path) -> None:
    instance = load_instance(path)
    assert diagnose(instance) == []
    assert diagnose(instance, "id") == []


def test_the_cycle_is_reported_in_order() -> None:
    (finding,) = diagnose(load_lenient(INFEASIBLE / "pre-prerequisite-cycle.yaml"))
    ring = "'partnership' → 'hiv-basics' → 'role-play-practice' → 'partnership'"
    assert ring in finding.message
    topics = [entity_id for kind, entity_id in finding.entities if kind == "topic"]
    assert topics == ["partnership", "hiv-basics", "role-play-practice"]


def test_holidays_are_named_with_their_dates() -> None:
    (finding,) = diagnose(load_lenient(INFEASIBLE / "pre-holidays.yaml"))
    assert "Eid al-Fitr on Tuesday 19 January 1999" in finding.message
    assert "has only 1 working day." in finding.message
    assert finding.suggestion == (
        "Extend the window to end on Thursday 21 January 1999, or shorten the event to 1 day."
    )


def test_indonesian() -> None:
    (finding,) = diagnose(load_lenient(INFEASIBLE / "pre-holidays.yaml"), "id")
    assert finding.rule == "H12"
    assert finding.message.startswith(
        "Acara 'tot-bali' memerlukan 2 hari kerja, tetapi rentang waktunya dari Senin 18 Januari "
        "1999 sampai Rabu 20 Januari 1999 hanya memiliki 1 hari kerja."
    )
    assert "Hari Raya Idul Fitri pada Selasa 19 Januari 1999" in finding.message
    assert finding.suggestion == (
        "Perpanjang rentang waktunya hingga berakhir pada Kamis 21 Januari 1999, atau persingkat "
        "acaranya menjadi 1 hari."
    )
    (position,) = diagnose(load_lenient(INFEASIBLE / "pre-no-co-facilitator.yaml"), "id")
    assert position.message == (
        "Topik 'hiv-basics' dalam acara 'tot-bali' membutuhkan pengisi posisi 'co-facilitator' "
        "(komunitas), dan tidak ada yang bisa mengisi posisi itu. Tidak ada pelatih komunitas "
        "yang menguasai topik ini."
    )


def test_the_reason_a_trainer_cannot_fill_a_position_is_named() -> None:
    (language,) = diagnose(load_lenient(INFEASIBLE / "pre-language.yaml"))
    assert "'ketut' does not speak bug" in language.message
    reach = diagnose(load_lenient(INFEASIBLE / "pre-no-travel-link.yaml"))
    assert all("no travel link to Bali" in finding.message for finding in reach)
    assert all("travel link between Nusa Tenggara Timur and Bali" in f.suggestion for f in reach)


# Near misses: one change away from an infeasible file, and feasible, so nothing is reported.


def _data(name: str) -> dict[str, Any]:
    data = yaml.safe_load((INFEASIBLE / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _lenient(data: dict[str, Any]) -> Instance:
    return Instance.model_validate(data, context=LENIENT)


def test_a_language_obstacle_names_the_group_that_speaks_it() -> None:
    (finding,) = diagnose(load_lenient(INFEASIBLE / "pre-language.yaml"))
    assert "'ketut' does not speak bug, the language of 'waria'" in finding.message


def test_topics_no_room_holds_are_told_once_per_audience_and_size() -> None:
    """Plenary topics that no room holds share one finding, naming the largest room; a topic
    with more attendees than the rest is told apart, with its own count."""
    data = _data("pre-room-too-small.yaml")
    (together,) = diagnose(_lenient(data))
    assert together.message.startswith("Topics 'partnership', 'hiv-basics' and 'planning'")
    assert "33 people, but the largest room that suits their methods, 'pendopo', holds 30" in (
        together.message
    )
    data["events"][0]["curriculum"][3]["attendees"] = 40
    first, planning = diagnose(_lenient(data))
    assert first.message.startswith("Topics 'partnership' and 'hiv-basics'")
    assert planning.message.startswith("Topic 'planning'")
    assert "40 people" in planning.message and "40 people" not in first.message


def test_windows_far_enough_apart_leave_time_to_travel() -> None:
    data = _data("pre-travel-days.yaml")
    data["events"][1]["window"] = {"start": "2001-03-09", "end": "2001-03-10"}
    assert diagnose(_lenient(data)) == []
    data["events"][1]["window"] = {"start": "2001-03-06", "end": "2001-03-08"}
    (finding,) = diagnose(_lenient(data))
    assert finding.rule == "H10"
    assert "start on Friday 9 March 2001 or later" in finding.suggestion


def test_a_cycle_among_topics_no_group_takes_together_is_harmless() -> None:
    data = _data("pre-prerequisite-cycle.yaml")
    curriculum = data["events"][0]["curriculum"]
    data["events"][0]["curriculum"] = [item for item in curriculum if item["topic"] != "hiv-basics"]
    assert diagnose(_lenient(data)) == []


def test_a_room_just_big_enough_is_fine() -> None:
    data = _data("pre-room-too-small.yaml")
    data["groups"][0]["size"] = 22
    assert diagnose(_lenient(data)) == []
    data["groups"][0]["size"] = 23
    assert {finding.rule for finding in diagnose(_lenient(data))} == {"H7"}
    data["policy"] = {"room_capacity": "soft"}
    assert diagnose(_lenient(data)) == []


def test_a_second_peer_facilitator_is_enough() -> None:
    data = _data("pre-trainer-unavailable.yaml")
    peer = copy.deepcopy(data["trainers"][1])
    peer.update(id="wayan", unavailable=[])
    data["trainers"].append(peer)
    assert diagnose(_lenient(data)) == []


# Loading leniently.


@pytest.mark.parametrize("path", sorted(BAD.iterdir()), ids=lambda p: p.name)
def test_lenient_loading_reports_malformed_files_like_the_loader(path: Path) -> None:
    with pytest.raises(InputError) as strict:
        load_instance(path)
    feasibility = (
        "no_qualified_trainer.yaml",
        "window_shorter_than_event.yaml",
        "window_too_short_after_holidays.yaml",
    )
    if path.name in feasibility:  # well formed, and found by the diagnosis
        rules = {finding.rule for finding in diagnose(load_lenient(path))}
        assert rules == ({"H6"} if path.name.startswith("no_qualified") else {"H12"})
        return
    with pytest.raises(InputError) as lenient:
        load_lenient(path)
    assert str(lenient.value) == str(strict.value)


def test_lenient_loading_of_a_missing_file() -> None:
    with pytest.raises(InputError, match="no such file"):
        load_lenient(INFEASIBLE / "missing.yaml")


# Whatever the diagnosis reports, the solver cannot schedule either.


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(instances())
def test_every_finding_is_a_real_infeasibility(data: dict[str, Any]) -> None:
    findings = diagnose(_lenient(data))
    try:
        instance = Instance.model_validate(data)
    except ValidationError:
        assert findings, "the loader rejects what the diagnosis finds nothing wrong with"
        return
    if findings:
        result = solve(instance, time_limit=5, workers=1)
        assert result.timetable is None, findings


@pytest.mark.parametrize(
    "name", ["pre-trainer-unavailable.yaml", "pre-no-travel-link.yaml", "pre-no-facilities.yaml"]
)
def test_breakouts_failing_alike_are_told_once(name: str) -> None:
    """Each group's breakout of a topic fails for the same reason: one finding says it."""
    findings = diagnose(load_lenient(DATA / "infeasible" / name))
    told = [(f.rule, f.message, f.suggestion) for f in findings]
    assert findings
    assert len(told) == len(set(told))


def _tiny_with_pin(pin: dict[str, object]) -> Instance:
    data = load_instance(DATA / "tiny.yaml").model_dump(mode="json")
    data["pins"] = [pin]
    return Instance.model_validate(data)


@pytest.mark.parametrize(
    ("pin", "rule", "start"),
    [
        ({"offering": "tot-bali/hiv-basics/all", "trainers": ["dewi", "ketut"]}, "H6",
         "Sessions of 'tot-bali/hiv-basics/all' are pinned to 2 trainers ('dewi' and 'ketut'), "
         "but topic 'hiv-basics' has 1 facilitator position(s)."),
        ({"offering": "tot-bali/partnership/all", "room": "garden"}, "H7",
         "Sessions of 'tot-bali/partnership/all' are pinned to room 'garden', which cannot host "
         "them: it holds 15, for 18 people."),
    ],
)  # fmt: skip
def test_a_pin_that_cannot_hold_is_named_with_its_reason(
    pin: dict[str, object], rule: str, start: str
) -> None:
    findings = diagnose(_tiny_with_pin(pin))
    assert [f.rule for f in findings] == [rule]
    assert findings[0].message.startswith(start)
    assert ("pin", pin["offering"]) in findings[0].entities
