"""Hypothesis strategies: small random TOT instances, as the plain data of an instance file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

FACILITIES = ["projector", "flipchart", "outdoor-area"]
METHODS: list[dict[str, Any]] = [
    {"id": "talk", "facilities": []},
    {"id": "discussion", "participatory": True, "facilities": ["flipchart"]},
    {"id": "slides", "facilities": ["projector"], "max_slots": 1},
    {"id": "practice", "participatory": True, "min_slots": 2},
]
FIRST = dt.date(1999, 2, 1)


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    """A small instance; every topic has a qualified national and community trainer. Some
    events pin their first curriculum topic (a day and slot, a room, the national trainer)."""
    two_provinces = draw(st.booleans())
    provinces: list[dict[str, Any]] = [
        {
            "id": "p0",
            "name": "P0",
            "city": "C0",
            "holiday_country": draw(st.sampled_from(["ID", None])),
        }
    ]
    if two_provinces:
        provinces.append(
            {
                "id": "p1",
                "name": "P1",
                "city": "C1",
                "rest_days": [],
                "time_zone": draw(st.sampled_from(["WIB", "WITA", "WIT"])),
            }
        )
    num_topics = draw(st.integers(2, 4))
    topics = []
    for t in range(num_topics):
        length = draw(st.integers(1, 2))
        methods = [
            "talk",
            *draw(
                st.lists(
                    st.sampled_from(["discussion", "slides", "practice"]), max_size=2, unique=True
                )
            ),
        ]
        needs: list[dict[str, Any]] = [{"role": "lead"}]
        if draw(st.booleans()):
            needs = [
                {"role": "lead", "trainer_roles": ["national", "provincial"]},
                {"role": "co", "trainer_roles": ["community"]},
            ]
        topics.append(
            {
                "id": f"t{t}",
                "sessions": draw(st.integers(1, 2)),
                "slots_per_session": length,
                "min_days": draw(st.integers(0, 2)),
                "methods": methods,
                "facilitators": needs,
                "prerequisites": draw(
                    st.lists(st.sampled_from([f"t{i}" for i in range(t)]), max_size=1, unique=True)
                )
                if t
                else [],
                "days": draw(st.sampled_from(["any", "any", "first", "last", "not-first"])),
            }
        )
    topic_ids = [topic["id"] for topic in topics]
    trainers = [
        {
            "id": "nat",
            "home": "p0",
            "role": "national",
            "topics": topic_ids,
            "methods": [m["id"] for m in METHODS],
            "daily_fee": 500000,
        },
        {
            "id": "peer",
            "home": "p0",
            "role": "community",
            "topics": topic_ids,
            "methods": [m["id"] for m in METHODS],
            "daily_fee": 100000,
        },
    ]
    for i in range(draw(st.integers(0, 2))):
        trainers.append(
            {
                "id": f"extra{i}",
                "home": draw(st.sampled_from([p["id"] for p in provinces])),
                "role": draw(st.sampled_from(["national", "provincial", "community"])),
                "topics": {
                    t: draw(st.integers(1, 3))
                    for t in draw(st.lists(st.sampled_from(topic_ids), min_size=1, unique=True))
                },
                "methods": [
                    "talk",
                    *draw(
                        st.lists(st.sampled_from(["discussion", "slides", "practice"]), unique=True)
                    ),
                ],
                "daily_fee": draw(st.sampled_from([0, 150000, 300000])),
                "max_slots_per_day": draw(st.sampled_from([None, 2, 3])),
                "unavailable": draw(
                    st.sampled_from([[], [{"start": FIRST.isoformat(), "end": FIRST.isoformat()}]])
                ),
                "preferences": {
                    "avoid_slots": draw(st.lists(st.integers(1, 2), max_size=1)),
                    "avoid_weekdays": draw(
                        st.lists(st.sampled_from(["monday", "tuesday"]), max_size=1)
                    ),
                },
            }
        )
    venues: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    groups: list[dict[str, Any]] = []
    for e, province in enumerate(provinces):
        # Some venues or rooms are booked on a day or two of the first weeks.
        closed = st.lists(
            st.integers(0, 10).map(
                lambda offset: {
                    "start": (FIRST + dt.timedelta(days=offset)).isoformat(),
                    "end": (FIRST + dt.timedelta(days=offset + offset % 2)).isoformat(),
                }
            ),
            max_size=1,
        )
        event_venues = [f"v{e}"] if draw(st.integers(0, 3)) else [f"v{e}", f"v{e}b"]
        for venue_id in event_venues:
            rooms = [
                {
                    "id": f"{venue_id}r{r}",
                    "capacity": draw(st.integers(5, 30)),
                    "facilities": draw(st.lists(st.sampled_from(FACILITIES), unique=True)),
                    "unavailable": draw(closed),
                }
                for r in range(draw(st.integers(1, 3)))
            ]
            venues.append(
                {
                    "id": venue_id,
                    "province": province["id"],
                    "daily_cost": draw(st.sampled_from([0, 200000])),
                    "unavailable": draw(closed),
                    "rooms": rooms,
                }
            )
        event_groups = [f"e{e}g{g}" for g in range(draw(st.integers(1, 3)))]
        groups += [{"id": g, "size": draw(st.integers(3, 12))} for g in event_groups]
        days = draw(st.integers(1, 3))
        start = FIRST + dt.timedelta(days=7 * e + draw(st.integers(0, 2)))
        taught = draw(st.lists(st.sampled_from(topic_ids), min_size=1, unique=True))
        events.append(
            {
                "id": f"e{e}",
                "province": province["id"],
                "venues": event_venues,
                "window": {
                    "start": start.isoformat(),
                    "end": (start + dt.timedelta(days=days + draw(st.integers(1, 3)))).isoformat(),
                },
                "days": days,
                "slots": [
                    {"start": f"{8 + 2 * s:02d}:00", "end": f"{9 + 2 * s:02d}:30"}
                    for s in range(draw(st.integers(2, 4)))
                ],
                "groups": event_groups,
                "curriculum": [
                    {"topic": t, "mode": draw(st.sampled_from(["plenary", "breakout"]))}
                    for t in taught
                ],
                "participatory_target": draw(st.sampled_from([0.0, 0.5])),
            }
        )
    pins: list[dict[str, Any]] = []
    for event in events:
        if not draw(st.booleans()):
            continue
        venue = next(venue for venue in venues if venue["id"] == event["venues"][0])
        taught = event["curriculum"][0]
        together = taught["mode"] == "plenary" and len(event["groups"]) > 1
        audience = "all" if together else event["groups"][0]
        pin: dict[str, Any] = {"offering": f"{event['id']}/{taught['topic']}/{audience}"}
        if draw(st.booleans()):
            pin.update(day=draw(st.integers(1, event["days"])), slot=1)
        if draw(st.booleans()):
            pin["room"] = draw(st.sampled_from([room["id"] for room in venue["rooms"]]))
        if len(pin) == 1 or draw(st.booleans()):
            pin["trainers"] = ["nat"]
        pins.append(pin)
    travel = (
        [{"between": ["p0", "p1"], "days": draw(st.integers(0, 2)), "fare": 400000}]
        if two_provinces and draw(st.booleans())
        else []
    )
    weights = {
        s: draw(st.integers(0, 5))
        for s in ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11")
    }
    return {
        "name": "random",
        "provinces": provinces,
        "venues": venues,
        "methods": METHODS,
        "trainers": trainers,
        "topics": topics,
        "groups": groups,
        "events": events,
        "travel": travel,
        "pins": pins,
        "policy": {
            "weights": weights,
            "room_capacity": draw(st.sampled_from(["hard", "soft"])),
            "hard": draw(st.sampled_from([[], ["S10"], ["S6"]])),
            "max_daily_slots": draw(st.sampled_from([None, 2])),
            "late_after": "11:00",
        },
    }
