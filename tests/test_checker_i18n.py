"""Tests of the checker's languages: Indonesian messages, the same verdict in every language."""

from __future__ import annotations

import pytest

from models import Instance, Timetable
from scheduler.checker import _SOFT_RULES, CheckReport, _build_context, check
from tests.test_checker import (
    BASES,
    BROKEN,
    HIV,
    P1,
    P2,
    RPV,
    RPW,
    SOFT,
    Case,
    chain,
    copy_as,
    edit,
    ids,
    lead,
    load,
    move,
    put,
    tiny_timetable,
)


def _timetable(case: Case) -> tuple[Instance, Timetable]:
    instance = load(case.base, *case.tweaks)
    return instance, case.change(instance, BASES[case.base](instance))


def _messages(report: CheckReport) -> list[str]:
    return [violation.message for violation in report.violations]


def test_infeasible_timetable_in_indonesian() -> None:
    """Ketut leads both role plays at once, and partnership/2 is in a room too small."""
    instance = load("tiny")
    change = chain(move(RPV, 1, 3, room="pendopo"), edit(P2, room="garden"))
    timetable = change(instance, tiny_timetable(instance))
    english = check(instance, timetable)
    indonesian = check(instance, timetable, lang="id")
    assert _messages(english) == [
        f"trainer 'ketut' has two sessions at 1999-02-01 13:00: {RPW} and {RPV}",
        f"session {P2}: room 'garden' seats 15, not 18",
    ]
    assert _messages(indonesian) == [
        f"pelatih 'ketut' mendapat dua sesi sekaligus pada 1999-02-01 pukul 13:00: {RPW} dan {RPV}",
        f"sesi {P2}: ruangan 'garden' hanya muat 15 orang, bukan 18",
    ]
    assert not indonesian.feasible


def test_names_are_listed_in_indonesian() -> None:
    instance = load("tiny")
    timetable = copy_as(P1, "tot-bali/partnership/all/3")(instance, tiny_timetable(instance))
    groups = [v.message for v in check(instance, timetable, lang="id").violations if v.rule == "H4"]
    assert groups == [
        "kelompok 'waria' dan 'women' mendapat dua sesi sekaligus pada 1999-02-01 pukul 08:30: "
        f"{P1} dan tot-bali/partnership/all/3"
    ]


def test_two_trainers_in_one_clash() -> None:
    """Dewi and Ketut lead partnership/1 and the waria's role play at once (and Ketut hiv-basics)."""
    instance = load("tiny")
    both = lead("dewi", "ketut")
    change = chain(edit(P1, trainers=both), move(RPV, 1, 1, trainers=both, room="garden"))
    report = check(instance, change(instance, tiny_timetable(instance)), lang="id")
    clashes = [v.message for v in report.violations if v.rule == "H3"]
    assert clashes == [
        "pelatih 'dewi' dan 'ketut' mendapat dua sesi sekaligus pada 1999-02-01 pukul 08:30: "
        f"{P1} dan {RPV}",
        f"pelatih 'ketut' mendapat dua sesi sekaligus pada 1999-02-01 pukul 10:30: {HIV} dan {RPV}",
    ]


def test_day_names_follow_the_language() -> None:
    instance = load("tiny", put("trainers.dewi.preferences", {"avoid_weekdays": ["monday"]}))
    timetable = tiny_timetable(instance)
    charges = {
        lang: [c.message for c in _SOFT_RULES["S8"](_build_context(instance, timetable, lang))]
        for lang in ("en", "id")
    }
    assert f"trainer 'dewi' in {P1}: would rather not work on Monday 1999-02-01" in charges["en"]
    assert (
        f"pelatih 'dewi' di {P1}: lebih suka tidak bertugas pada hari Senin 1999-02-01"
        in (charges["id"])
    )


@pytest.mark.parametrize("case", BROKEN + SOFT, ids=ids(BROKEN + SOFT))
def test_verdict_does_not_depend_on_the_language(case: Case) -> None:
    instance, timetable = _timetable(case)
    english = check(instance, timetable)
    indonesian = check(instance, timetable, lang="id")
    assert [(v.rule, v.sessions) for v in english.violations] == [
        (v.rule, v.sessions) for v in indonesian.violations
    ]
    assert english.penalties == indonesian.penalties
    assert english.weighted == indonesian.weighted
    assert english.total == indonesian.total
    assert english.cost_idr == indonesian.cost_idr
    # Every message is translated: none comes out in English.
    for en, id_ in zip(_messages(english), _messages(indonesian), strict=True):
        assert en != id_, en
    contexts = [_build_context(instance, timetable, lang) for lang in ("en", "id")]
    for rule in _SOFT_RULES.values():
        english_charges, indonesian_charges = (rule(ctx) for ctx in contexts)
        assert [c.points for c in english_charges] == [c.points for c in indonesian_charges]
        for en_charge, id_charge in zip(english_charges, indonesian_charges, strict=True):
            assert en_charge.message != id_charge.message, en_charge.message


def test_unknown_language_falls_back_to_english() -> None:
    instance = load("tiny")
    timetable = edit(P2, room="garden")(instance, tiny_timetable(instance))
    assert _messages(check(instance, timetable, lang="xx")) == _messages(check(instance, timetable))


def test_roles_are_named_in_indonesian() -> None:
    """Ketut, a community trainer, leads hiv-basics, which needs a national trainer."""
    case = next(case for case in BROKEN if case.name == "H6 trainer's role not allowed")
    instance, timetable = _timetable(case)
    messages = _messages(check(instance, timetable, lang="id"))
    assert messages == [
        "sesi tot-bali/hiv-basics/all/1: pelatih 'ketut' berperan sebagai komunitas; "
        "posisi 'lead' membutuhkan nasional"
    ]
