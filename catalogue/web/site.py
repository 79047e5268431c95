"""What every page shares: template helpers (labels in the UI language, isolated record
text, links kept with the current arguments), URL pieces (row ids, ``?revision=``) and the
public base URL."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, request
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from .. import centuries, codes, errors
from ..schema import labels
from . import display, get_catalogue, i18n
from .forms import NAME_KINDS
from .i18n import lazy_gettext

_ROW_MAX = 9223372036854775807


class RowIdConverter(IntegerConverter):
    """A row id in a URL: ASCII digits only (werkzeug's ``int`` takes any Unicode digit,
    ``２``), and a number larger than SQLite's INTEGER is no row (404), not an overflow."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, max=_ROW_MAX)


#: URL converter name of a row id (`RowIdConverter`).
ROW_ID = "row_id"


def whole_number(raw: str | None) -> int | None:
    """`raw` as a whole number that fits a SQLite INTEGER (a revision, a row id), else None."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) > _ROW_MAX:
        return None
    return int(raw)


class BadRevision(ValueError):
    """``?revision=`` is not a whole number from 1; args[0] is what was given (cut short)."""


def revision_arg() -> int | None:
    """The request's ``?revision=N`` as a number, None when absent; BadRevision otherwise."""
    raw = request.args.get("revision", "").strip()
    if not raw:
        return None
    number = whole_number(raw)
    if not number:
        raise BadRevision(raw[:50])
    return number


def century_label(value: str) -> str:
    """A century facet value (``XIV``, ``II BCE``) spelled out: "14th century" / "XIV əsr"."""
    number = centuries.parse(str(value))
    if number is None:
        return str(value)
    size = abs(number)
    if i18n.current_language() == "az":
        return ("e.ə. " if number < 0 else "") + f"{centuries.to_roman(size)} əsr"
    suffix = "th" if 10 <= size % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(size % 10, "th")
    return f"{size}{suffix} century" + (" BCE" if number < 0 else "")


#: UI labels of the stored codes the record schema does not label (the codes stay as stored).
UI_LABELS: dict[str, dict[str, Any]] = {
    "kind": NAME_KINDS,
    "role": {"archivist": lazy_gettext("archivist"), "admin": lazy_gettext("admin")},
    "action": {"create": lazy_gettext("Created"), "update": lazy_gettext("Updated"),
               "delete": lazy_gettext("Deleted"), "restore": lazy_gettext("Restored")},
    "origin": {"manual": lazy_gettext("Entered by hand"), "import": lazy_gettext("Imported"),
               "harvest": lazy_gettext("Harvested")},
    "claims": {"disagree": lazy_gettext("Sources disagree")},
}


def label(vocab: str, key: str | None) -> str:
    """The UI label of a controlled value in the current language (the value itself if
    unknown): the record schema's vocabularies (``type``, ``status``, ``certainty``) and
    `UI_LABELS` (name ``kind``, user ``role``, revision ``action``,
    record ``origin``, the ``claims`` facet)."""
    key = key or ""
    if vocab in UI_LABELS:
        return str(UI_LABELS[vocab].get(key, key))
    return labels(vocab, i18n.current_language()).get(key, key)


def facet_label(facet: str, value: str, labels: dict[str, str] | None = None) -> str:
    """How a facet value is shown: vocabulary labels, centuries spelled out, a place authority
    by its name in the UI language, another place by its name in the UI language when one of
    its records gives it (`labels`), a country code by its name in the UI language, others as is."""
    if facet in ("type", "status", "claims"):
        return label(facet, value)
    if facet == "century":
        return century_label(value)
    if facet == "country" and len(value) == 2 and value.isupper():
        return country_name(value)
    if facet == "place":  # a place authority by its name in the UI language, else its records' name
        authority = place_label(value)
        if authority is not None:
            return authority
    if labels:
        return labels.get(i18n.current_language()) or value
    return value


def place_label(value: str) -> str | None:
    """The name a place authority with the id `value` has in the interface language (Xocalı
    on Azerbaijani pages, Khojaly on English ones); None when `value` is no place's id."""
    return get_catalogue().places.labels([value], i18n.current_language()).get(value)


def place_name(value: str) -> str:
    """A place as a chart shows it: a place authority by its name in the interface language,
    a free-text place as written."""
    return place_label(value) or value


def country_name(code: str | None) -> str:
    """A country code's name in the interface language (the code when there is none)."""
    return (codes.country_name(code, i18n.current_language()) or code) if code else ""


def lang_of(names: Any, value: Any) -> Markup:
    """`` lang="…"`` for an element showing `value` (a title, a place name) when one of the
    record's `names` with that value states its language; nothing otherwise."""
    for name in names or []:
        if isinstance(name, dict) and name.get("value") == value and name.get("lang"):
            return Markup(' lang="%s"') % name["lang"]
    return Markup("")


def bdi(value: Any) -> Markup:
    """Record text as an isolated run (``<bdi>``, escaped): a right-to-left override
    (U+202E) or a right-to-left name inside it cannot reorder the text around it."""
    return Markup("<bdi>%s</bdi>") % value


def isolate(value: Any) -> str:
    """Record text isolated with Unicode isolates (FSI … PDI), where no element may go:
    the page title and attribute values."""
    return f"\u2068{value}\u2069"


def is_http(url: Any) -> bool:
    """Whether a user-supplied URL may be rendered as a link (http and https only)."""
    parts = urlsplit(str(url or "").strip())
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def with_args(**changes: Any) -> str:
    """The current URL with some query arguments replaced (None removes one); ``lang`` is
    dropped unless given, since the language cookie remembers it."""
    args = request.args.to_dict(flat=False)
    args.pop("lang", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    query = urlencode(args, doseq=True)
    return request.path + (f"?{query}" if query else "")


def base_url() -> str:
    """The public base URL: BASE_URL when configured, else taken from the request."""
    return (current_app.config.get("BASE_URL") or request.url_root).rstrip("/")


def _template_context() -> dict[str, Any]:
    return {
        "lang": i18n.current_language(),
        "languages": i18n.LANGUAGES,
    }


class Refused(errors.CatalogueError):
    """A request the web pages refuse with a message already in the UI language (the
    catalogue's own errors are worded in English, for every interface)."""


def english(text: str) -> str | Markup:
    """English text on a page: marked as English (``<span lang="en">``) when the page is in
    another language, so that screen readers and readers know it is no missing translation."""
    if i18n.current_language() == i18n.DEFAULT:
        return text
    return Markup('<span lang="en">%s</span>') % text


def error_text(error: Exception) -> str | Markup:
    """The message of `error` for a page: as it is when it is in the UI language (`Refused`),
    else marked as English (the catalogue's own errors are worded in English)."""
    return str(error) if isinstance(error, Refused) else english(str(error))


def sentence(template: str, **params: Any) -> Markup:
    """A translated sentence (`template`, the result of ``gettext`` without values) with its
    values filled in and escaped; errors among them as `error_text` shows them."""
    return Markup.escape(template) % {key: error_text(value) if isinstance(value, Exception) else value
                                      for key, value in params.items()}


def init_app(app: Flask) -> None:
    """Install what templates use: the row-id URL converter, helpers, filters and tests."""
    app.url_map.converters[ROW_ID] = RowIdConverter
    app.context_processor(_template_context)
    app.jinja_env.globals.update(with_args=with_args, label=label, facet_label=facet_label,
                                 type_count=display.type_count, count_records=display.count_records,
                                 years_text=display.years_text, language_name=display.language_name,
                                 script_name=display.script_name, lang_of=lang_of,
                                 country_name=country_name)
    app.jinja_env.filters.update(bdi=bdi, isolate=isolate, datetime=display.time_tag,
                                 date=partial(display.time_tag, with_time=False), edtf=display.edtf_tag)
    app.jinja_env.tests["http_url"] = is_http
