"""Working days: the dates of an event's window that are neither holidays nor rest days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Container, Iterable
from functools import lru_cache

import holidays

from models.common import WEEKDAYS
from models.entities import Event, Province


@lru_cache(maxsize=64)
def _public_holidays(
    country: str, subdivision: str | None, years: tuple[int, ...]
) -> dict[dt.date, str]:
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=years)
    return dict(calendar.items())


def supported_country(country: str) -> bool:
    """Whether the `holidays` package knows `country`."""
    return country in holidays.list_supported_countries()


def subdivision_problem(country: str, subdivision: str) -> str | None:
    """Why the `holidays` package cannot give `country`'s calendar for `subdivision`, if it
    cannot; None when it can."""
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        known = holidays.list_supported_countries().get(country, [])
        listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        return (
            f"'{subdivision}' is not a subdivision of '{country}' the holiday calendar knows"
            f" (it knows {listed or 'none'})"
        )
    return None


def days_off(province: Province, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """Public holidays and blackout dates of `province` between `start` and `end`, with names."""
    off: dict[dt.date, str] = {}
    if province.holiday_country is not None:
        years = tuple(range(start.year, end.year + 1))
        for day, name in _public_holidays(
            province.holiday_country, province.holiday_subdivision, years
        ).items():
            if start <= day <= end:
                off[day] = name
    for day in province.blackout_dates:
        if start <= day <= end:
            off.setdefault(day, "blackout")
    return off


def is_rest_day(province: Province, day: dt.date) -> bool:
    """Whether `day` is one of the province's weekly rest days."""
    return WEEKDAYS[day.weekday()] in province.rest_days


def rest_days(province: Province, event: Event, off: Container[dt.date]) -> list[dt.date]:
    """The weekly rest days of the event's window that are not already days `off`."""
    return [day for day in event.window.days() if day not in off and is_rest_day(province, day)]


def working_days(province: Province, event: Event) -> list[dt.date]:
    """The dates of the event's window on which training can take place, in order."""
    off = days_off(province, event.window.start, event.window.end)
    return [day for day in event.window.days() if day not in off and not is_rest_day(province, day)]


def date_runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """The first and last date of each run of consecutive dates among `days`, in order."""
    runs: list[list[dt.date]] = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]
