"""Languages of the user-facing text: gettext catalogues per area, dates and money by Babel.

Every text a user reads goes through a catalogue: `texts(lang, area).gettext(message)`, where
`message` is the English text and `scheduler/locale/<lang>/<area>.po` holds its translation.
Catalogues are read from the `.po` files with Babel (no compiled `.mo` to keep in step). Day
and month names and numbers come from Babel's locale data (CLDR).
"""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

Language = Literal["en", "id"]
LANGUAGES: tuple[Language, ...] = ("en", "id")
DEFAULT_LANGUAGE: Language = "en"
LOCALE_DIR = Path(__file__).parent / "locale"


class _Catalogue(gettext.NullTranslations):
    """Translations read from one `.po` file; untranslated messages stay in English."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self._messages = messages

    def gettext(self, message: str) -> str:
        return self._messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


@lru_cache(maxsize=32)
def texts(lang: str, area: str) -> gettext.NullTranslations:
    """The catalogue of `area` (cli, report, checker, exports, workbook) in `lang`."""
    path = LOCALE_DIR / lang / f"{area}.po"
    if lang == "en" or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=lang)
    messages = {
        str(m.id): str(m.string)
        for m in catalogue
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and not m.fuzzy
    }
    return _Catalogue(messages)


def resolve(lang: str | None, instance_language: str | None) -> Language:
    """The language to use: the command line's, else the instance's, else English."""
    for choice in (lang, instance_language):
        if choice in LANGUAGES:
            return choice
    return DEFAULT_LANGUAGE


def weekday(day: dt.date, lang: str, width: str = "wide") -> str:
    """The name of the day of the week: `Monday` / `Senin` (`abbreviated`: `Mon` / `Sen`)."""
    pattern = {"wide": "EEEE", "abbreviated": "EEE"}[width]
    name: str = format_date(day, pattern, locale=lang)
    return name


def long_date(day: dt.date, lang: str) -> str:
    """`Monday 8 March 1999` / `Senin 8 Maret 1999`."""
    text: str = format_date(day, "EEEE d MMMM y", locale=lang)
    return text


def short_date(day: dt.date, lang: str) -> str:
    """`Mon 8 Mar` / `Sen 8 Mar`."""
    text: str = format_date(day, "EEE d MMM", locale=lang)
    return text


def month_name(month: int, lang: str) -> str:
    """`March` / `Maret`."""
    name: str = Locale.parse(lang).months["format"]["wide"][month]
    return name


def rupiah(amount: int, lang: str) -> str:
    """`Rp 3.500.000` (id) or `Rp 3,500,000` (en)."""
    return f"Rp {format_decimal(amount, format='#,##0', locale=lang)}"


def number(value: float, lang: str, digits: int = 2) -> str:
    """`value` with `digits` decimals and the language's separators: `1,234.50` / `1.234,50`."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    locale = lang if lang in LANGUAGES else DEFAULT_LANGUAGE  # as the catalogues fall back
    text: str = format_decimal(value, format=pattern, locale=locale)
    return text


def percent(fraction: float, lang: str, digits: int = 2) -> str:
    """`fraction` as a percentage: `7.12%` / `7,12%`."""
    return number(100 * fraction, lang, digits) + "%"


def and_list(words: Sequence[str], lang: str) -> str:
    """`a, b and c` (`a, b dan c`): words joined as a sentence lists them."""
    if len(words) < 2:
        return "".join(words)
    joined = texts(lang, "rules").gettext("{items} and {last}")
    return joined.format(items=", ".join(words[:-1]), last=words[-1])


def role_name(role: str, lang: str) -> str:
    """A trainer role (models.common.ROLES) in `lang`: `national` / `nasional`."""
    return texts(lang, "rules").gettext(role)


def rule_name(rule_id: str, lang: str) -> str:
    """The short name of a rule id of docs/CONSTRAINTS.md, in `lang`."""
    from models.common import RULE_NAMES

    return texts(lang, "rules").gettext(RULE_NAMES.get(rule_id, rule_id))
