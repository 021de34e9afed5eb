"""Languages of the console: zh and en from Babel catalogues, numbers and dates per locale.

The locale comes from the `plaudit_lang` cookie (the switch in the header) or else from
`Accept-Language`; Chinese is the default. People see times in China time (Asia/Shanghai);
the ledger's own times stay UTC, as its checkpoints are.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, negotiate_locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LANG_COOKIE",
    "LOCALES",
    "PEOPLE_TZ",
    "Formats",
    "choose_locale",
    "translations",
]

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"
LANG_COOKIE = "plaudit_lang"
PEOPLE_TZ = ZoneInfo("Asia/Shanghai")
CATALOGUES = Path(__file__).parent / "locale"


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The cookie's language when it is one we have, else the best match of the header."""
    if cookie in LOCALES:
        return cookie
    wanted = [
        part.split(";")[0].strip().replace("-", "_") for part in (accept_language or "").split(",")
    ]
    found = negotiate_locale([w for w in wanted if w], list(LOCALES), sep="_")
    if found is None:  # zh-CN, en-GB: match on the language alone
        found = negotiate_locale([w.split("_")[0] for w in wanted if w], list(LOCALES))
    return found or DEFAULT_LOCALE


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue (.mo) of a locale; a missing file is a packaging error."""
    path = CATALOGUES / locale / "LC_MESSAGES" / "messages.mo"
    with path.open("rb") as handle:
        return Translations(handle, domain="messages")


class Formats:
    """Locale-aware formatting of the figures and times a page shows."""

    def __init__(self, locale: str) -> None:
        self.locale = Locale.parse("zh_Hans_CN" if locale == "zh" else "en_GB")

    def number(self, value: int | float) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: float, digits: int = 1) -> str:
        return format_percent(value, format="#,##0." + "0" * digits + "%", locale=self.locale)

    def time(self, value: datetime | None, zone: ZoneInfo = PEOPLE_TZ) -> str:
        """A time for people, in China time (or UTC for ledger times: `zone=UTC`)."""
        if value is None:
            return ""
        return format_datetime(value, "medium", tzinfo=zone, locale=self.locale)

    def fen(self, value: int) -> str:
        """Money kept in integer fen, shown in yuan with two decimals."""
        yuan, fen = divmod(value, 100)
        return f"¥{format_decimal(yuan, locale=self.locale)}.{fen:02d}"
