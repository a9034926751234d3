"""Spreadsheet safety: text from an instance never runs as a formula in CSV or XLSX."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value`, with text that a spreadsheet would run as a formula made inert.

    A leading `=`, `+`, `-` or `@` (or tab, carriage return) gets a `'` in front, as OWASP
    advises for CSV injection; numbers, dates and other values pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
