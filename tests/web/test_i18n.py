"""The console's catalogues: every message in both languages, compiled files up to date,
and the language chosen from the cookie or Accept-Language."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from plaudit.web.i18n import LOCALES, Formats, choose_locale

LOCALE_DIR = Path(__file__).parents[2] / "src" / "plaudit" / "web" / "locale"
# the same in Chinese: names and abbreviations
SAME_IN_ZH = {"TGI"}


def _catalogue(locale: str, kind: str = "po") -> dict[str, str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as handle:
        catalog = read_po(handle) if kind == "po" else read_mo(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_every_message_has_both_languages() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        wanted = {str(m.id) for m in read_po(handle) if m.id}
    assert len(wanted) > 100
    for locale in LOCALES:
        catalogue = _catalogue(locale)
        missing = sorted(m for m in wanted if not catalogue.get(m))
        assert not missing, f"{locale} lacks translations of {missing}"
    zh = _catalogue("zh")
    untranslated = sorted(m for m in wanted if zh[m] == m and m not in SAME_IN_ZH)
    assert not untranslated, f"zh messages still in English: {untranslated}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogues_match_their_sources(locale: str) -> None:
    assert _catalogue(locale, "mo") == _catalogue(locale), "run scripts/web-i18n.sh"


def test_templates_use_only_catalogued_messages() -> None:
    """Extracting again finds nothing new (the .pot is what the templates say)."""
    from babel.messages.extract import extract_from_dir

    web = LOCALE_DIR.parent
    method_map = [("templates/**.html", "jinja2"), ("**.py", "python")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    found = {str(m[2]) for m in extract_from_dir(web, method_map, options) if m[2]}
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        known = {str(m.id) for m in read_po(handle) if m.id}
    assert found <= known, f"run scripts/web-i18n.sh: new messages {sorted(found - known)}"


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, None, "zh"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        (None, "fr-FR,en;q=0.5", "en"),
        (None, "fr-FR", "zh"),
        ("en", "zh-CN", "en"),
        ("xx", "en", "en"),
    ],
)
def test_locale_from_cookie_then_header(
    cookie: str | None, header: str | None, expected: str
) -> None:
    assert choose_locale(cookie, header) == expected


def test_numbers_and_times_follow_the_locale_in_china_time() -> None:
    moment = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 00:30 the next day in Beijing
    zh, en = Formats("zh"), Formats("en")
    assert en.number(1234567) == "1,234,567"
    assert zh.number(1234567) == "1,234,567"
    assert en.percent(0.1234) == "12.3%"
    assert "12月5日" in zh.time(moment)
    assert "00:30" in zh.time(moment)
    assert "5 Dec 2026" in en.time(moment)
    assert en.fen(123456) == "¥1,234.56"


@pytest.mark.parametrize("locale", LOCALES)
def test_no_message_holds_a_bare_percent_sign(locale: str) -> None:
    """Jinja's newstyle gettext formats every message with `%`: a bare one breaks the page."""
    named = re.compile(r"%%|%\(\w+\)s")  # an escaped sign; a named placeholder
    bad = [s for s in _catalogue(locale).values() if "%" in named.sub("", s)]
    assert not bad, f"write %% (or ％ in Chinese): {bad}"
