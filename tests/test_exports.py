"""Timetables for people: the workbook read back with pandas, calendars parsed with icalendar,
the web page escaped and rendered in a real browser, and `tot export` / `tot solve --out`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import icalendar
import openpyxl
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from models import EventPlan, Facilitation, Instance, ScheduledSession, Timetable
from scheduler.checker import CheckReport, check
from scheduler.cli import app
from scheduler.errors import InputError
from scheduler.exports import ics as ics_module
from scheduler.exports import write_export
from scheduler.exports.files import write_folder
from scheduler.exports.html import html_page
from scheduler.exports.views import build_view
from scheduler.i18n import rule_name
from scheduler.loader import load_instance
from scheduler.timetable_io import read_timetable, timetable_csv, write_timetable
from tests.conftest import DATA, INSTANCES

DAY_1, DAY_2 = dt.date(1999, 2, 1), dt.date(1999, 2, 2)
ALL = ("women", "waria")
FIXED = [
    # session id, topic, groups, date, day, slot, slots, room, method, trainers
    ("tot-bali/hiv-basics/all/1", "hiv-basics", ALL, DAY_1, 1, 1, 1, "pendopo", "lecture", "dewi"),
    ("tot-bali/partnership/all/1", "partnership", ALL, DAY_1, 1, 2, 1, "pendopo", "discussion",
     "dewi"),
    ("tot-bali/role-play-practice/women/1", "role-play-practice", ("women",), DAY_1, 1, 3, 2,
     "garden", "role-play", "ketut"),
    ("tot-bali/role-play-practice/waria/1", "role-play-practice", ("waria",), DAY_2, 2, 1, 2,
     "garden", "role-play", "ketut"),
    ("tot-bali/partnership/all/2", "partnership", ALL, DAY_2, 2, 3, 1, "pendopo", "discussion",
     "dewi"),
    ("tot-bali/planning/all/1", "planning", ALL, DAY_2, 2, 4, 1, "pendopo", "discussion", "dewi"),
]  # fmt: skip
"""A hand-made timetable of tests/data/tiny.yaml (every hard rule kept), to test exports
without a solver run."""
SLOT_STARTS = {1: dt.time(8, 30), 2: dt.time(10, 30), 3: dt.time(13, 0), 4: dt.time(15, 0)}
FORMULAS = ("=", "+", "-", "@")


def _fixed_timetable(instance: Instance) -> Timetable:
    event = instance.event("tot-bali")
    sessions = []
    for session_id, topic, groups, date, day, slot, num_slots, room, method, trainer in FIXED:
        sessions.append(
            ScheduledSession(
                id=session_id,
                event="tot-bali",
                topic=topic,
                groups=groups,
                date=date,
                day=day,
                slot=slot,
                num_slots=num_slots,
                start_time=event.slots[slot - 1].start,
                end_time=event.slots[slot + num_slots - 2].end,
                venue="sanur",
                room=room,
                method=method,
                trainers=(Facilitation(trainer=trainer, role="lead"),),
            )
        )
    plan = EventPlan(event="tot-bali", venue="sanur", start=DAY_1, dates=(DAY_1, DAY_2))
    return Timetable(instance=instance.name, events=(plan,), sessions=tuple(sessions))


@pytest.fixture(scope="module")
def tiny() -> tuple[Instance, Timetable, CheckReport]:
    instance = load_instance(DATA / "tiny.yaml")
    timetable = _fixed_timetable(instance)
    report = check(instance, timetable)
    assert report.feasible, report.violations
    return instance, timetable, report


def _hostile_instance(tmp_path: Path) -> Instance:
    """tiny.yaml with names that are markup or spreadsheet formulas."""
    data = yaml.safe_load((DATA / "tiny.yaml").read_text(encoding="utf-8"))
    data["trainers"][0]["name"] = "<script>alert(1)</script>"
    data["trainers"][1]["name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    data["topics"][0]["title"] = '=HYPERLINK("http://example.com/x","click")'
    data["topics"][1]["title"] = "+1+2"
    data["methods"][1]["name"] = "-2+3"
    data["groups"][0]["name"] = '<b>women</b> & "friends"'
    data["venues"][0]["name"] = "=1+1"
    data["events"][0]["name"] = "<img src=x onerror=alert(2)>"
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return load_instance(path)


# The workbook


def test_workbook_reads_back_with_every_session(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    out = tmp_path / "plan.xlsx"
    write_export(out, instance, timetable, report, "en")
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["tot-bali", "dewi", "ketut", "sanur", "Sessions", "Score"]
    flat = sheets["Sessions"]
    assert sorted(flat["Session"]) == sorted(s.id for s in timetable.sessions)
    first = flat.set_index("Session").loc["tot-bali/role-play-practice/waria/1"]
    assert (first["Start"], first["End"], first["Day"]) == ("08:30", "12:00", "Tuesday")
    assert first["Date"] == pd.Timestamp(DAY_2)
    grid = pd.read_excel(out, sheet_name="tot-bali", header=1)
    assert list(grid.columns) == [
        "Slot",
        "Day 1\nMonday 1 February 1999",
        "Day 2\nTuesday 2 February 1999",
    ]
    assert list(grid["Slot"]) == [
        "1\n08:30–10:00",
        "2\n10:30–12:00",
        "3\n13:00–14:30",
        "4\n15:00–16:30",
    ]
    assert "role-play-practice continues" in str(grid.iloc[3, 1])
    assert "garden · role-play" in str(grid.iloc[2, 1])
    dewi = pd.read_excel(out, sheet_name="dewi", header=1)
    assert len(dewi) == 4 and set(dewi["Room"]) == {"pendopo"}
    score = sheets["Score"].set_index("Rule id")
    assert score.loc["S3", "Rule"] == "compactness"
    total = sheets["Score"][sheets["Score"]["Rule"] == "Total"]["Weighted"].iloc[0]
    assert total == report.total
    cost = sheets["Score"][sheets["Score"]["Rule"] == "Cost"]["Weighted"].iloc[0]
    assert cost == f"Rp {report.cost_idr:,}"


def test_workbook_is_laid_out_for_reading(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    out = tmp_path / "plan.xlsx"
    write_export(out, instance, timetable, report, "en")
    book = openpyxl.load_workbook(out)
    assert book["tot-bali"].freeze_panes == "B3"
    assert book["Sessions"].freeze_panes == "A2"
    assert book["dewi"].freeze_panes == "A3"
    assert book["tot-bali"].column_dimensions["B"].width >= 30
    assert book["tot-bali"]["B3"].alignment.wrap_text
    widths = [book["Sessions"].column_dimensions[c].width for c in "ABJ"]
    assert all(width >= 10 for width in widths), widths


def test_workbook_in_indonesian(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    out = tmp_path / "jadwal.xlsx"
    write_export(out, instance, timetable, report, "id")
    sheets = pd.read_excel(out, sheet_name=None)
    assert {"Sesi", "Skor"} <= set(sheets)
    grid = pd.read_excel(out, sheet_name="tot-bali", header=1)
    assert list(grid.columns)[1] == "Hari 1\nSenin 1 Februari 1999"
    assert set(sheets["Sesi"]["Hari"]) == {"Senin", "Selasa"}


def test_formulas_are_inert_in_csv_and_workbook(tmp_path: Path) -> None:
    instance = _hostile_instance(tmp_path)
    timetable = _fixed_timetable(instance)
    # Ids cannot start with a formula character; a session id can, in a timetable file.
    hostile_id = '=HYPERLINK("http://example.com","x")'
    sessions = (
        timetable.sessions[0].model_copy(update={"id": hostile_id}),
        *timetable.sessions[1:],
    )
    timetable = timetable.model_copy(update={"sessions": sessions})
    rows = list(csv.reader(io.StringIO(timetable_csv(timetable))))
    assert rows[1][0] == "'" + hostile_id
    assert not any(cell.startswith(FORMULAS) for row in rows for cell in row)
    csv_path = tmp_path / "t.csv"
    write_timetable(csv_path, timetable)
    assert read_timetable(csv_path, instance).sessions[0].id == hostile_id

    out = tmp_path / "plan.xlsx"
    write_export(out, instance, timetable, check(instance, timetable), "en")
    book = openpyxl.load_workbook(out)
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    # the text as typed, no apostrophe to show: a quote-prefixed string cell
                    assert not cell.value.startswith("'"), (sheet.title, cell.value)
                    if cell.value.startswith(FORMULAS):
                        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                        seen += 1
    assert seen >= 6
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name
    flat = pd.read_excel(out, sheet_name="Sessions")
    assert hostile_id in set(flat["Session"])


# The calendars


def _events(path: Path) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    return list(calendar.walk("VEVENT"))


def test_trainer_calendar_has_their_sessions_at_local_times(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    out = tmp_path / "dewi.ics"
    write_export(out, instance, timetable, report, "en", trainer="dewi")
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    zones = list(calendar.walk("VTIMEZONE"))
    assert [str(zone["TZID"]) for zone in zones] == ["Asia/Makassar"]
    standard = next(iter(zones[0].walk("STANDARD")))
    assert standard["TZOFFSETTO"].td == dt.timedelta(hours=8)
    events = _events(out)
    dewi = [s for s in timetable.sessions if any(f.trainer == "dewi" for f in s.trainers)]
    assert len(events) == len(dewi) == 4
    by_uid = {str(event["UID"]).split("@")[0]: event for event in events}
    assert set(by_uid) == {s.id for s in dewi}
    for session in dewi:
        event = by_uid[session.id]
        start, end = event["DTSTART"], event["DTEND"]
        assert start.params["TZID"] == "Asia/Makassar"
        assert start.dt == dt.datetime.combine(
            session.date, SLOT_STARTS[session.slot], tzinfo=start.dt.tzinfo
        )
        assert start.dt.utcoffset() == dt.timedelta(hours=8)
        assert start.dt.astimezone(dt.UTC).hour == SLOT_STARTS[session.slot].hour - 8
        assert end.dt.date() == session.date and end.dt > start.dt
        assert "pendopo" in str(event["LOCATION"]) and "sanur" in str(event["LOCATION"])
    first = by_uid["tot-bali/hiv-basics/all/1"]
    assert str(first["SUMMARY"]) == "hiv-basics · lecture"
    assert "Groups: all groups" in str(first["DESCRIPTION"])


def test_calendar_uids_are_stable_and_cover_every_session(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    write_export(first, instance, timetable, report, "en")
    write_export(second, instance, timetable, report, "id")
    uids = [str(event["UID"]) for event in _events(first)]
    assert len(uids) == len(set(uids)) == len(timetable.sessions)
    assert uids == [str(event["UID"]) for event in _events(second)]


def test_folder_has_one_calendar_per_trainer(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    folder = tmp_path / "ical"
    write_export(folder, instance, timetable, report, "en")
    assert sorted(p.name for p in folder.iterdir()) == ["dewi.ics", "ketut.ics"]
    assert len(_events(folder / "dewi.ics")) == 4
    assert len(_events(folder / "ketut.ics")) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_folder_is_written_whole_or_not_at_all(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance, timetable, report = tiny
    original = ics_module.calendar_bytes

    def failing(view: Any, trainer: str | None) -> bytes:
        if trainer == "ketut":
            raise OSError("disk full")
        return original(view, trainer)

    monkeypatch.setattr(ics_module, "calendar_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        write_export(tmp_path / "ical", instance, timetable, report, "en")
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_left_as_it_was_when_a_file_cannot_go_in(tmp_path: Path) -> None:
    """Into an existing folder: an old file is replaced and a new one added, but a folder is
    where the third should go; nothing changes, and the error names that file."""
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "c.csv").mkdir()
    (tmp_path / "keep.txt").write_text("kept")
    before = _contents(tmp_path)
    files = {"a.csv": b"new a", "b.csv": b"new b", "c.csv": b"new c"}
    with pytest.raises(InputError, match=r"c\.csv: cannot be written"):
        write_folder(tmp_path, files)
    assert _contents(tmp_path) == before


def test_unknown_trainer_is_bad_input(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    with pytest.raises(InputError, match=r"--trainer: 'ayu' is not a trainer of 'Tiny TOT'"):
        write_export(tmp_path / "x.ics", instance, timetable, report, "en", trainer="ayu")
    assert list(tmp_path.iterdir()) == []


def _without_ketut(timetable: Timetable) -> Timetable:
    """The fixed timetable less ketut's sessions (both role plays): ketut facilitates nothing."""
    sessions = tuple(s for s in timetable.sessions if s.topic != "role-play-practice")
    assert all(f.trainer == "dewi" for s in sessions for f in s.trainers)
    return timetable.model_copy(update={"sessions": sessions})


def _contents(folder: Path) -> dict[str, bytes]:
    """Every entry of `folder` by name: a file's bytes, a folder's or a link's target's name."""
    return {
        p.name: str(p.readlink()).encode()
        if p.is_symlink()
        else b"/"
        if p.is_dir()
        else p.read_bytes()
        for p in folder.iterdir()
    }


def test_folder_has_no_calendar_for_a_trainer_without_sessions(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, _ = tiny
    shorter = _without_ketut(timetable)
    folder = tmp_path / "ical"
    written = write_export(folder, instance, shorter, check(instance, shorter), "en")
    assert sorted(p.name for p in folder.iterdir()) == ["dewi.ics"]
    assert written is not None
    assert (written.written, written.removed, written.without_sessions) == (
        ("dewi.ics",), (), ("ketut",)
    )  # fmt: skip


def _other_programme_calendar(tmp_path: Path) -> bytes:
    """dewi's calendar of another programme (tiny.yaml under another name)."""
    data = yaml.safe_load((DATA / "tiny.yaml").read_text(encoding="utf-8"))
    data["name"] = "Tiny TOT, the year after"
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    other = load_instance(path)
    timetable = _fixed_timetable(other)
    out = tmp_path / "other.ics"
    write_export(out, other, timetable, check(other, timetable), "en", trainer="dewi")
    return out.read_bytes()


def test_folder_loses_only_the_stale_calendars_of_an_earlier_export(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    """ketut's calendar from the earlier export goes; every file this tool did not write as
    a trainer's calendar of this programme under a trainer's file name stays as it was."""
    instance, timetable, report = tiny
    folder = tmp_path / "ical"
    write_export(folder, instance, timetable, report, "en")
    ketut = (folder / "ketut.ics").read_bytes()
    write_export(folder / "all.ics", instance, timetable, report, "en")  # every session
    (folder / "ayu.ics").write_bytes(_other_programme_calendar(tmp_path))
    (folder / "holidays.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\nEND:VCALENDAR\r\n"
    )
    for name in ("ketut.ics.bak", "Ketut.ICS", ".ketut.ics", "ketut copy.ics", "notes.txt"):
        (folder / name).write_bytes(ketut)
    (folder / "sub.ics").mkdir()
    (tmp_path / "elsewhere.ics").write_bytes(ketut)
    (folder / "link.ics").symlink_to(tmp_path / "elsewhere.ics")
    before = _contents(folder)

    shorter = _without_ketut(timetable)
    written = write_export(folder, instance, shorter, check(instance, shorter), "en")

    assert written is not None and written.removed == ("ketut.ics",)
    after = _contents(folder)
    assert set(after) == set(before) - {"ketut.ics"}
    assert {name: data for name, data in after.items() if name != "dewi.ics"} == {
        name: data for name, data in before.items() if name not in ("dewi.ics", "ketut.ics")
    }
    assert len(_events(folder / "dewi.ics")) == 4
    assert (tmp_path / "elsewhere.ics").read_bytes() == ketut
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_folder_for_one_trainer_removes_only_their_stale_calendar(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    instance, timetable, report = tiny
    folder = tmp_path / "ical"
    write_export(folder, instance, timetable, report, "en")
    dewi = (folder / "dewi.ics").read_bytes()
    shorter = _without_ketut(timetable)
    written = write_export(folder, instance, shorter, check(instance, shorter), "en", "ketut")
    assert written is not None
    assert (written.written, written.removed, written.without_sessions) == (
        (), ("ketut.ics",), ("ketut",)
    )  # fmt: skip
    assert _contents(folder) == {"dewi.ics": dewi}


def test_stale_calendars_stay_when_the_new_ones_cannot_be_moved_in(
    tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whole or nothing: a calendar that cannot be moved into place puts back the stale ones."""
    instance, timetable, report = tiny
    folder = tmp_path / "ical"
    write_export(folder, instance, timetable, report, "en")
    before = _contents(folder)
    original = os.replace

    def failing(source: Any, target: Any) -> None:
        if Path(target).name == "dewi.ics":
            raise OSError("disk full")
        original(source, target)

    monkeypatch.setattr(os, "replace", failing)
    shorter = _without_ketut(timetable)
    with pytest.raises(InputError, match=rf"^{folder}/dewi.ics: cannot be written \(disk full\)$"):
        write_export(folder, instance, shorter, check(instance, shorter), "en")
    assert _contents(folder) == before  # no staging folder left inside either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ical"]


# The web page


class _Page(HTMLParser):
    """Elements and attributes of a page, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.grid_sessions: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if "data-session" in values:
            self.grid_sessions.append(str(values["data-session"]))
        for name in ("src", "href"):
            if values.get(name):
                self.links.append(str(values[name]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_page_shows_every_session_once_in_its_grid(
    tiny: tuple[Instance, Timetable, CheckReport],
) -> None:
    instance, timetable, report = tiny
    html = html_page(build_view(instance, timetable, report, "en"))
    page = _parse(html)
    assert sorted(page.grid_sessions) == sorted(s.id for s in timetable.sessions)
    assert all(link.startswith("#") for link in page.links), page.links
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert "@media print" in html and "break-before: page" in html
    text = " ".join(page.text)
    assert "Day 1" in text and "Monday 1 February 1999" in text
    assert "08:30–10:00" in text and "compactness" in text
    assert f"Rp {report.cost_idr:,}" in text


def test_page_in_indonesian(tiny: tuple[Instance, Timetable, CheckReport]) -> None:
    instance, timetable, report = tiny
    html = html_page(build_view(instance, timetable, report, "id"))
    assert '<html lang="id">' in html
    text = " ".join(_parse(html).text)
    assert "Hari 1" in text and "Senin 1 Februari 1999" in text and "Pelatih" in text
    assert rule_name("S3", "id") in text and "compactness" not in text


def test_names_are_escaped_in_the_page(tmp_path: Path) -> None:
    instance = _hostile_instance(tmp_path)
    timetable = _fixed_timetable(instance)
    html = html_page(build_view(instance, timetable, check(instance, timetable), "en"))
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = _parse(html)
    assert "<script>alert(1)</script>" in " ".join(page.text)
    assert not {"script", "img", "b"} & set(page.tags)


# A real browser


def _chromium() -> str:
    """The browser binary; a missing one fails the test unless TOT_NO_BROWSER=1."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    if found is None:
        if os.environ.get("TOT_NO_BROWSER") == "1":
            pytest.skip("TOT_NO_BROWSER=1: no browser on this machine")
        pytest.fail("chromium is not installed (apt-get install chromium); TOT_NO_BROWSER=1 skips")
    return found


def _browse(page: Path, work: Path) -> tuple[str, bytes]:
    """The DOM of `page` as headless Chromium renders it, and a screenshot (PNG)."""
    browser = _chromium()
    common = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={work / 'profile'}",
    ]
    url = page.resolve().as_uri()
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    shot = work / "page.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", "--window-size=1280,1600", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.exists(), "the browser wrote no screenshot"
    return dom, shot.read_bytes()


def _check_png(data: bytes, width: int, height: int) -> None:
    """A PNG of that size that is not one flat colour."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (width, height)
    position, compressed = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            compressed += data[position + 8 : position + 8 + length]
        position += 12 + length
    pixels = zlib.decompress(compressed)
    assert len(set(pixels)) > 32, "the screenshot is (nearly) blank"


def test_browser_renders_every_session_and_no_script(tmp_path: Path) -> None:
    instance = _hostile_instance(tmp_path)
    timetable = _fixed_timetable(instance)
    page = tmp_path / "plan.html"
    write_export(page, instance, timetable, check(instance, timetable), "en")
    dom, png = _browse(page, tmp_path)
    rendered = _parse(dom)
    assert sorted(rendered.grid_sessions) == sorted(s.id for s in timetable.sessions)
    assert "script" not in rendered.tags and "img" not in rendered.tags
    assert "<script>alert(1)</script>" in " ".join(rendered.text)
    _check_png(png, 1280, 1600)


# The command line


@pytest.fixture
def fixed_files(tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path) -> Path:
    """The fixed timetable of tiny.yaml as a JSON file."""
    path = tmp_path / "fixed.json"
    write_timetable(path, tiny[1])
    return path


@pytest.mark.parametrize(
    "name", ["plan.xlsx", "plan.html", "plan.ics", "ical", "ical/", "plan.csv", "plan.json"]
)
def test_export_command_writes_every_format(
    runner: CliRunner, fixed_files: Path, tmp_path: Path, name: str
) -> None:
    (tmp_path / "out").mkdir()
    out = f"{tmp_path}/out/{name}"
    result = runner.invoke(app, ["export", str(DATA / "tiny.yaml"), str(fixed_files), "--out", out])
    assert result.exit_code == 0, result.output
    written = "Calendars written to" if name.startswith("ical") else "Timetable written to"
    assert written in result.stdout
    ids = {s.id for s in _fixed_timetable(load_instance(DATA / "tiny.yaml")).sessions}
    assert _session_ids(Path(out.rstrip("/"))) == ids


def test_export_says_when_a_trainers_calendar_is_empty(runner: CliRunner, tmp_path: Path) -> None:
    instance = load_instance(DATA / "tiny.yaml")
    timetable = _fixed_timetable(instance)
    sessions = tuple(
        s.model_copy(
            update={
                "trainers": tuple(f.model_copy(update={"trainer": "ketut"}) for f in s.trainers)
            }
        )
        for s in timetable.sessions
    )
    path = tmp_path / "ketut-only.json"
    write_timetable(path, timetable.model_copy(update={"sessions": sessions}))
    out = tmp_path / "dewi.ics"
    args = ["export", str(DATA / "tiny.yaml"), str(path), "--out", str(out), "--trainer", "dewi"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Trainer 'dewi' has no sessions in this timetable: the calendar is empty" in (
        result.stdout
    )
    assert out.exists()


def _session_ids(out: Path) -> set[str]:
    """The session ids an export holds, read back in its own format."""
    instance = load_instance(DATA / "tiny.yaml")
    if out.suffix in (".json", ".csv"):
        return {s.id for s in read_timetable(out, instance).sessions}
    if out.suffix == ".xlsx":
        return set(pd.read_excel(out, sheet_name="Sessions")["Session"])
    if out.suffix == ".html":
        return set(_parse(out.read_text(encoding="utf-8")).grid_sessions)
    files = sorted(out.glob("*.ics")) if out.is_dir() else [out]
    return {str(e["UID"]).split("@")[0] for path in files for e in _events(path)}


def test_export_command_reads_csv_and_speaks_indonesian(
    runner: CliRunner, fixed_files: Path, tmp_path: Path
) -> None:
    csv_path = tmp_path / "fixed.csv"
    write_timetable(csv_path, read_timetable(fixed_files, load_instance(DATA / "tiny.yaml")))
    out = tmp_path / "ketut.ics"
    result = runner.invoke(
        app,
        [
            "export",
            str(DATA / "tiny.yaml"),
            str(csv_path),
            "--out",
            str(out),
            "--trainer",
            "ketut",
            "--lang",
            "id",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Jadwal ditulis ke" in result.stdout
    events = _events(out)
    assert len(events) == 2
    assert all("Kelompok:" in str(event["DESCRIPTION"]) for event in events)


def test_export_of_an_infeasible_timetable_warns(
    runner: CliRunner, tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    timetable = tiny[1]
    clash = timetable.sessions[1].model_copy(update={"slot": 1})  # same slot as hiv-basics
    broken = timetable.model_copy(
        update={"sessions": (timetable.sessions[0], clash, *timetable.sessions[2:])}
    )
    source = tmp_path / "broken.json"
    write_timetable(source, broken)
    out = tmp_path / "broken.html"
    result = runner.invoke(app, ["export", str(DATA / "tiny.yaml"), str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warning: the timetable breaks" in result.stderr
    assert "Hard rules broken" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--out", "{tmp}/x.ics", "--trainer", "ayu"],
            "--trainer: 'ayu' is not a trainer of 'Tiny TOT' (trainers: dewi, ketut)",
        ),
        (
            ["--out", "{tmp}/x.html", "--trainer", "dewi"],
            "x.html: --trainer is for calendars only (a .ics file or a folder)",
        ),
        (
            ["--out", "{tmp}/x.csv", "--trainer", "dewi"],
            "x.csv: --trainer is for calendars only (a .ics file or a folder)",
        ),
        (["--out", "{tmp}/x.pdf"], "x.pdf: cannot write '.pdf' files (expected one of"),
        (["--out", "{tmp}/missing/x.html"], "x.html: folder"),
        (["--out", "{tmp}/missing/ical/"], "ical: folder"),
        (["--out", "{tmp}/x.html", "--lang", "fr"], "--lang: 'fr' is not one of en, id"),
    ],
)
def test_export_command_rejects_bad_input(
    runner: CliRunner, fixed_files: Path, tmp_path: Path, arguments: list[str], message: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    filled = [argument.replace("{tmp}", str(work)) for argument in arguments]
    result = runner.invoke(app, ["export", str(DATA / "tiny.yaml"), str(fixed_files), *filled])
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert list(work.iterdir()) == []


def test_solve_names_an_unknown_trainer_as_export_does(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "x.ics"
    args = ["solve", str(DATA / "tiny.yaml"), "--out", str(out), "--trainer", "ayu"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "--trainer: 'ayu' is not a trainer of 'Tiny TOT' (trainers: dewi, ketut)"
    )
    assert not out.exists()


def test_export_command_names_a_missing_timetable(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    result = runner.invoke(
        app, ["export", str(DATA / "tiny.yaml"), str(missing), "--out", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 2
    assert f"{missing}: no such file" in result.stderr
    assert not (tmp_path / "x.html").exists()


@pytest.mark.parametrize("name", ["plan.html", "plan.xlsx", "ical/"])
def test_solve_bali_writes_every_session(runner: CliRunner, tmp_path: Path, name: str) -> None:
    """The acceptance runs: a solved timetable (the command checks it) out as page, workbook,
    calendars; every session the curriculum asks for is in it."""
    instance = load_instance(INSTANCES / "bali.yaml")
    wanted = {o.session_id(n) for o in instance.offerings() for n in range(1, o.num_sessions + 1)}
    out = f"{tmp_path}/{name}"
    result = runner.invoke(
        app, ["solve", str(INSTANCES / "bali.yaml"), "--time-limit", "5", "-q", "--out", out]
    )
    assert result.exit_code == 0, result.output
    assert "Timetable written to" in result.stdout
    path = Path(out.rstrip("/"))
    if path.suffix == ".html":
        assert set(_parse(path.read_text(encoding="utf-8")).grid_sessions) == wanted
        dom, png = _browse(path, tmp_path)
        assert set(_parse(dom).grid_sessions) == wanted
        _check_png(png, 1280, 1600)
    elif path.suffix == ".xlsx":
        sheets = pd.read_excel(path, sheet_name=None)
        assert set(sheets["Sessions"]["Session"]) == wanted
        assert {"tot-bali", "Score"} <= set(sheets)
    else:
        files = sorted(path.glob("*.ics"))
        assert {f.stem for f in files} <= {t.id for t in instance.trainers}
        assert all(_events(f) for f in files)  # no empty calendar for a trainer without sessions
        found = {str(e["UID"]).split("@")[0] for f in files for e in _events(f)}
        assert found == wanted


@pytest.fixture(scope="module")
def ntt_solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A timetable of instances/ntt.yaml as `tot solve` writes it in JSON, checked."""
    out = tmp_path_factory.mktemp("ntt") / "solved.json"
    result = CliRunner().invoke(
        app, ["solve", str(INSTANCES / "ntt.yaml"), "--time-limit", "3", "-q", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    timetable = read_timetable(out, load_instance(INSTANCES / "ntt.yaml"))
    report = check(load_instance(INSTANCES / "ntt.yaml"), timetable)
    assert report.feasible, report.violations
    assert timetable.score is not None and timetable.score.total == report.total
    return out


def test_json_from_a_csv_timetable_has_the_score_solve_gave_it(
    runner: CliRunner, ntt_solved: Path, tmp_path: Path
) -> None:
    """A CSV timetable has no score; its JSON export gets the checker's, which for a solved
    timetable is the one `tot solve` wrote: the same rules, penalties, total and cost."""
    instance_path = str(INSTANCES / "ntt.yaml")
    csv_path, json_path = tmp_path / "t.csv", tmp_path / "t.json"
    for source, out in ((ntt_solved, csv_path), (csv_path, json_path)):
        result = runner.invoke(app, ["export", instance_path, str(source), "--out", str(out)])
        assert result.exit_code == 0, result.output
    solved = json.loads(ntt_solved.read_text(encoding="utf-8"))
    exported = json.loads(json_path.read_text(encoding="utf-8"))
    assert exported["score"] == solved["score"]
    assert list(exported["score"]["penalties"]) == list(solved["score"]["penalties"])
    assert "solver" not in exported  # how it was found is not in a CSV file
    assert {k: v for k, v in exported.items() if k != "score"} == {
        k: v for k, v in solved.items() if k not in ("score", "solver")
    }


def test_json_of_an_infeasible_timetable_has_the_checkers_score(
    runner: CliRunner, tiny: tuple[Instance, Timetable, CheckReport], tmp_path: Path
) -> None:
    """Exported all the same, with a warning: the score weighs the soft rules of what is there."""
    instance, timetable, _ = tiny
    shorter = _without_ketut(timetable)
    report = check(instance, shorter)
    assert not report.feasible
    source, out = tmp_path / "shorter.csv", tmp_path / "shorter.json"
    write_timetable(source, shorter)
    result = runner.invoke(app, ["export", str(DATA / "tiny.yaml"), str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Warning: the timetable breaks" in result.stderr
    score = read_timetable(out, instance).score
    assert score is not None
    assert "S1" not in score.penalties  # room capacity is a hard rule here, as in solve's JSON
    assert score.penalties == {s: report.penalties[s] for s in score.penalties}
    assert (score.total, score.cost_idr) == (report.total, report.cost_idr) and report.total > 0


def test_folder_from_a_solved_timetable_has_a_calendar_per_busy_trainer(
    runner: CliRunner, ntt_solved: Path, tmp_path: Path
) -> None:
    """Exported twice into one folder, with a calendar of an earlier export for a trainer who
    has no session: only the trainers with sessions have a calendar, each with all of theirs."""
    instance = load_instance(INSTANCES / "ntt.yaml")
    timetable = read_timetable(ntt_solved, instance)
    per_trainer: dict[str, set[str]] = {}
    for session in timetable.sessions:
        for facilitation in session.trainers:
            per_trainer.setdefault(facilitation.trainer, set()).add(session.id)
    idle = [t.id for t in instance.trainers if t.id not in per_trainer]
    folder = tmp_path / "ical"
    arguments = ["export", str(INSTANCES / "ntt.yaml"), str(ntt_solved), "--out", str(folder)]
    assert runner.invoke(app, arguments).exit_code == 0
    # As an earlier export would have left them; ntt-former is no longer a trainer at all.
    stale = [f"{trainer_id}.ics" for trainer_id in [*idle, "ntt-former"]]
    for name in stale:
        shutil.copy(folder / f"{next(iter(per_trainer))}.ics", folder / name)
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert sorted(p.stem for p in folder.iterdir()) == sorted(per_trainer)
    for trainer_id, session_ids in per_trainer.items():
        events = _events(folder / f"{trainer_id}.ics")
        assert {str(e["UID"]).split("@")[0] for e in events} == session_ids
    assert f"Removed calendar(s) of an earlier export: {', '.join(sorted(stale))}" in result.stdout


@pytest.mark.parametrize(
    ("lang", "no_calendar", "removed"),
    [
        (
            "en",
            "No calendar for trainer(s) without sessions: ketut",
            "Removed calendar(s) of an earlier export: ketut.ics",
        ),
        (
            "id",
            "Tidak ada kalender untuk pelatih yang tidak mendapat sesi: ketut",
            "Kalender dari ekspor sebelumnya dihapus: ketut.ics",
        ),
    ],
)
def test_export_command_says_which_calendars_it_left_out_and_removed(
    runner: CliRunner,
    tiny: tuple[Instance, Timetable, CheckReport],
    tmp_path: Path,
    lang: str,
    no_calendar: str,
    removed: str,
) -> None:
    instance, timetable, report = tiny
    folder = tmp_path / "ical"
    write_export(folder, instance, timetable, report, "en")
    source = tmp_path / "shorter.json"
    write_timetable(source, _without_ketut(timetable))
    result = runner.invoke(
        app, ["export", str(DATA / "tiny.yaml"), str(source), "-o", str(folder), "--lang", lang]
    )
    assert result.exit_code == 0, result.output
    assert no_calendar in result.stdout and removed in result.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["dewi.ics"]


def test_times_are_in_the_time_zone_of_the_events_province(
    tiny: tuple[Instance, Timetable, CheckReport],
) -> None:
    """An event in a WIB province (Java, Sumatra): its calendar entries are Asia/Jakarta times
    and the web page says WIB, not the WITA of Bali, Sulawesi and Nusa Tenggara."""
    instance, timetable, report = tiny
    data = instance.model_dump(mode="json")
    data["provinces"][0]["time_zone"] = "WIB"
    west = Instance.model_validate(data)
    view = build_view(west, timetable, report, "en")
    assert view.time_note == "Times are local time where each event takes place: WIB (UTC+7)."
    assert "WIB (UTC+7)" in html_page(view)
    calendar = icalendar.Calendar.from_ical(ics_module.calendar_bytes(view, None))
    zones = [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]
    assert zones == ["Asia/Jakarta"]
    starts = [event.decoded("DTSTART") for event in calendar.walk("VEVENT")]
    assert starts and all(start.utcoffset() == dt.timedelta(hours=7) for start in starts)
    first = min(timetable.sessions, key=lambda s: (s.date, s.slot))
    assert dt.datetime.combine(first.date, dt.time(8, 30)) in [
        s.replace(tzinfo=None) for s in starts
    ]
