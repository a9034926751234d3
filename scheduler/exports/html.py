"""The timetable as one self-contained web page: a grid per event, a list per trainer and per
venue, and the score; it prints one event per page.

The page needs no network: styles are inline, there are no scripts, fonts or images, and a
Content-Security-Policy forbids loading anything. Every text is escaped by the template engine.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from scheduler.exports.files import write_file
from scheduler.exports.views import ExportView

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def html_page(view: ExportView) -> str:
    """The page of `view`."""
    template = _environment().get_template("timetable.html")
    return template.render(view=view, labels=view.labels)


def write_html(path: Path, view: ExportView) -> None:
    """Write the page of `view` to `path`, whole or not at all."""
    write_file(path, html_page(view).encode("utf-8"))
