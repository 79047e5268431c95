"""Countries (ISO 3166-1 alpha-2) and languages (ISO 639) by code and by name, from the
Unicode CLDR data that Babel ships (already installed with Flask-Babel), so an import or a
harvest can read "Azerbaijan", "Azərbaycan" or "AZ" as the same country, and "English" or
"en" as the same language, without a table of our own to keep up to date.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from babel import Locale

#: Languages whose CLDR names are read (the interface languages).
NAME_LANGUAGES = ("en", "az")
#: CLDR territory codes that are not countries (regions, the EU, pseudo-codes).
NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
_CODE = re.compile(r"^[A-Za-z]{2}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


@cache
def _countries() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Country names by language and code, and codes by (case-folded) name in any language."""
    names: dict[str, dict[str, str]] = {}
    codes: dict[str, str] = {}
    for lang in NAME_LANGUAGES:
        table = {code: name for code, name in Locale(lang).territories.items()
                 if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES}
        names[lang] = table
        for code, name in table.items():
            codes.setdefault(_key(name), code)
    return names, codes


def country_name(code: str, lang: str = "en") -> str | None:
    """The name of a country code in `lang` (English when that language has none); None for no country."""
    names, _ = _countries()
    code = code.upper()
    return names.get(lang, {}).get(code) or names["en"].get(code)


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a code or a country name (English or Azerbaijani, any
    case); None when `text` is neither."""
    names, codes = _countries()
    text = text.strip()
    if _CODE.match(text) and text.upper() in names["en"]:
        return text.upper()
    return codes.get(_key(text))


def complete_country(entry: dict[str, Any]) -> dict[str, Any]:
    """A ``{code, name}`` country with what one of them tells filled in: the code of a known
    name, the English name of a code. Unknown names stay as they are, without a code."""
    out = dict(entry)
    if isinstance(out.get("code"), str) and _CODE.match(out["code"]):
        out["code"] = out["code"].upper()
    code, name = out.get("code"), out.get("name")
    if isinstance(name, str) and name and not code and (found := country_code(name)):
        out["code"] = found
    if isinstance(code, str) and code and not name and (found := country_name(code)):
        out["name"] = found
    return out


@cache
def _languages() -> dict[str, str]:
    """Language codes by (case-folded) name in any interface language."""
    codes: dict[str, str] = {}
    for lang in NAME_LANGUAGES:
        for code, name in Locale(lang).languages.items():
            if "_" not in code:
                codes.setdefault(_key(name), code)
    return codes


@cache
def language_names(tag: str) -> tuple[str, ...]:
    """The names of a language tag's language in the interface languages (``az-Cyrl`` ->
    Azerbaijani, azərbaycan); () for a code CLDR does not name."""
    head = tag.strip().partition("-")[0].lower()
    found = (Locale(lang).languages.get(head) for lang in NAME_LANGUAGES)
    return tuple(dict.fromkeys(n for n in found if n))


def language_code(text: str) -> str | None:
    """A language tag for a code (``en``, ``az-Cyrl``, ``aze``: kept, the language part
    lowercased) or a language name in English or Azerbaijani (``English`` -> ``en``); None
    when `text` is neither."""
    text = text.strip()
    if _LANGUAGE.match(text):
        head, _, rest = text.partition("-")
        return head.lower() + (f"-{rest}" if rest else "")
    return _languages().get(_key(text))

