"""How values are shown to people in the UI language: dates and times as they read them
(the machine value kept in ``<time datetime>``), EDTF dates, years before the common era,
counts of items with their plural forms, and the names of languages and scripts.

Record data is never translated; these helpers only word what the data means."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from .. import edtf
from ..centuries import YearWords, year_span
from .i18n import gettext, ngettext

#: Phrases of "N items of a type", one per record type, with their plural forms.
TYPE_COUNTS: dict[str, Callable[[int], str]] = {
    "school": lambda n: ngettext("%(num)s school", "%(num)s schools", n),
    "library": lambda n: ngettext("%(num)s library", "%(num)s libraries", n),
    "club": lambda n: ngettext("%(num)s club", "%(num)s clubs", n),
    "house_of_culture": lambda n: ngettext("%(num)s house of culture", "%(num)s houses of culture", n),
    "museum": lambda n: ngettext("%(num)s museum", "%(num)s museums", n),
    "tomb": lambda n: ngettext("%(num)s tomb", "%(num)s tombs", n),
    "cemetery": lambda n: ngettext("%(num)s cemetery", "%(num)s cemeteries", n),
    "mausoleum": lambda n: ngettext("%(num)s mausoleum", "%(num)s mausoleums", n),
    "mosque": lambda n: ngettext("%(num)s mosque", "%(num)s mosques", n),
    "church": lambda n: ngettext("%(num)s church", "%(num)s churches", n),
    "monument": lambda n: ngettext("%(num)s monument", "%(num)s monuments", n),
    "archaeological_site": lambda n: ngettext("%(num)s archaeological site", "%(num)s archaeological sites", n),
    "site": lambda n: ngettext("%(num)s site", "%(num)s sites", n),
    "historic_building": lambda n: ngettext("%(num)s historic building", "%(num)s historic buildings", n),
    "religious_building": lambda n: ngettext("%(num)s religious building", "%(num)s religious buildings", n),
    "fortification": lambda n: ngettext("%(num)s fortification", "%(num)s fortifications", n),
    "bridge": lambda n: ngettext("%(num)s bridge", "%(num)s bridges", n),
    "palace": lambda n: ngettext("%(num)s palace", "%(num)s palaces", n),
    "garden_or_landscape": lambda n: ngettext("%(num)s garden or landscape", "%(num)s gardens and landscapes", n),
    "historic_town": lambda n: ngettext("%(num)s historic town or quarter", "%(num)s historic towns and quarters",
                                        n),
    "industrial_heritage": lambda n: ngettext("%(num)s industrial heritage site", "%(num)s industrial heritage sites",
                                              n),
    "collection": lambda n: ngettext("%(num)s collection", "%(num)s collections", n),
    "archive": lambda n: ngettext("%(num)s archive", "%(num)s archives", n),
    "other": lambda n: ngettext("%(num)s other item", "%(num)s other items", n),
}


def type_count(type_key: str | None, number: int) -> str:
    """``14 schools`` / ``1 museum`` / ``14 məktəb``: a group record's quantity with its type."""
    phrase = TYPE_COUNTS.get(type_key or "")
    return phrase(number) if phrase else ngettext("%(num)s item", "%(num)s items", number)


def count_records(number: int) -> str:
    """``1 record`` / ``12 records`` in the UI language."""
    return ngettext("%(num)s record", "%(num)s records", number)


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def _moment(value: Any) -> datetime | None:
    """A stored timestamp (``2026-11-30T19:30:05Z``) as an aware datetime; None when it is not one."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(str(value or "").strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def datetime_text(value: Any) -> str:
    """A timestamp as people read it in the UI language, with its time zone ("Nov 30, 2026,
    7:30 PM UTC", "30 noy 2026 19:30 UTC"); a plain date as a date; the value as given
    when it is neither."""
    moment = _moment(value)
    if moment is None:
        return str(value or "")
    if isinstance(value, str) and _PLAIN_DATE.match(value.strip()):
        return date_text(value)
    locale, zone = _locale(), get_timezone()
    day = format_date(moment.astimezone(zone), "medium", locale=locale)
    time = format_time(moment, locale.time_formats["short"].pattern + " z", tzinfo=zone, locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)


def date_text(value: Any) -> str:
    """The day of a timestamp or ISO date ("Nov 30, 2026", "30 noy 2026"); the value as given otherwise."""
    moment = _moment(value)
    if moment is None:
        return str(value or "")
    return format_date(moment.astimezone(get_timezone()), "medium", locale=_locale())


def time_tag(value: Any, with_time: bool = True) -> Markup:
    """``<time datetime="(stored value)">(as people read it)</time>``; nothing for no value."""
    if not value:
        return Markup("")
    shown = datetime_text(value) if with_time else date_text(value)
    return Markup('<time datetime="%s">%s</time>') % (str(value), shown)


_PLAIN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_EDTF_DAY = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?(?P<q>[?~%]?)$", re.ASCII)


def year_words() -> YearWords:
    """How years before and in the common era are written in the UI language."""
    return YearWords(bce=gettext("%(year)s BCE"), ce=gettext("%(year)s CE"),
                     bce_span=gettext("%(start)s–%(end)s BCE"))


def years_text(start: int | None, end: int | None) -> str:
    """A period's first and last year as people write them ("117–107 BCE", "e.ə. 117–107")."""
    return year_span(start, end, year_words())


def _edtf_part(text: str) -> str | None:
    """One EDTF date in words ("February 1992", "26 fevral 2025", "circa 1992"); None when
    it has a form shown as written (unspecified digits, seasons, times, BCE)."""
    match = _EDTF_DAY.match(text)
    if not match:
        return None
    year, month, day, qualifier = int(match["y"]), match["m"], match["d"], match["q"]
    locale = _locale()
    try:
        if day:
            shown = format_date(date(year, int(month), int(day)), "long", locale=locale)
        elif month:
            shown = format_skeleton("yMMMM", date(year, int(month), 1), locale=locale)
        else:
            shown = str(year)
    except ValueError:  # month 21-24 (a season) or any other form a calendar cannot hold
        return None
    if qualifier == "~":
        return gettext("circa %(date)s", date=shown)
    if qualifier == "?":
        return gettext("%(date)s (uncertain)", date=shown)
    if qualifier == "%":
        return gettext("circa %(date)s (uncertain)", date=shown)
    return shown


def edtf_text(value: Any) -> str:
    """An EDTF date or interval of a record as people read it ("1992–2023", "February 1992");
    a form it does not word is shown as written."""
    text = str(value or "")
    if not edtf.is_valid(text):
        return text
    if "/" not in text:
        return _edtf_part(text) or text
    parts = [("…" if part in ("", "..") else _edtf_part(part)) for part in text.split("/")]
    if None in parts:
        return text
    words = [str(part) for part in parts]
    return ("–" if not any(" " in word for word in words) else " – ").join(words)  # 1992–2023, May 1992 – 2023


def edtf_tag(value: Any) -> Markup:
    """An EDTF date in a ``<time>`` element: the words as text, the EDTF value in ``datetime``
    when it is a plain date (HTML has no intervals or qualifiers)."""
    text = str(value or "")
    if not text:
        return Markup("")
    plain = _EDTF_DAY.match(text)
    if plain and not plain["q"]:
        return Markup('<time datetime="%s">%s</time>') % (text, edtf_text(text))
    return Markup('<span class="edtf" title="%s">%s</span>') % (text, edtf_text(text))


def language_name(tag: str | None) -> str:
    """A BCP 47 tag in words in the UI language ("ingilis", "azərbaycan (kiril)"); the tag
    itself when it is not one the locale data knows."""
    tag = str(tag or "")
    try:
        return Locale.parse(tag, sep="-").get_display_name(_locale()) or tag
    except (ValueError, UnknownLocaleError):
        return _locale().languages.get(tag.split("-")[0].lower(), tag)


def script_name(code: str | None) -> str:
    """An ISO 15924 script code in words ("latın", "Cyrillic"); the code when unknown."""
    code = str(code or "")
    return _locale().scripts.get(code, code)
