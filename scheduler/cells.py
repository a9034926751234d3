"""Spreadsheet safety: text from an instance never runs as a formula in CSV or XLSX.

A CSV file has no cell types, so text that a spreadsheet would run as a formula gets a `'`
in front (`safe_cell`), as OWASP advises. A workbook has them: such text is stored as it is,
as a string cell with Excel's quote prefix (`put_text`), so Excel shows the text as typed and
never evaluates it, and reading the cell gives the text back.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet would take `text`, typed into a cell, for a formula."""
    return text.startswith(FORMULA_STARTS)


def safe_cell(value: object) -> object:
    """`value`, with text that a spreadsheet would run as a formula made inert (for CSV).

    A leading `=`, `+`, `-` or `@` (or tab, carriage return) gets a `'` in front, as OWASP
    advises for CSV injection; numbers, dates and other values pass unchanged.
    """
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def put_text(cell: Any, text: str) -> None:
    """Store `text` in an openpyxl cell as a string, never a formula nor an error code.

    Formula-like text keeps its characters and gets the quote prefix style (what Excel does
    when one types `'=x`): Excel shows `=x` and never evaluates it.
    """
    cell.value = text
    cell.data_type = "s"
    if is_formula_like(text):
        cell.quotePrefix = True
