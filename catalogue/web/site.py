"""What every page shares: template helpers (labels in the UI language, isolated record
text, links kept with the current arguments), URL pieces (row ids, ``?revision=``) and the
public base URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, current_app, request
from markupsafe import Markup
from werkzeug.routing import IntegerConverter

from .. import centuries
from ..schema import labels
from . import i18n

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


def label(vocab: str, key: str | None) -> str:
    """The UI label of a vocabulary value in the current language (the value itself if unknown)."""
    key = key or ""
    return labels(vocab, i18n.current_language()).get(key, key)


def facet_label(facet: str, value: str, labels: dict[str, str] | None = None) -> str:
    """How a facet value is shown: vocabulary labels, centuries spelled out, a place by its
    name in the UI language when one of its records gives it (`labels`), others as is."""
    if facet in ("type", "status"):
        return label(facet, value)
    if facet == "century":
        return century_label(value)
    if labels:
        return labels.get(i18n.current_language()) or value
    return value


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


def init_app(app: Flask) -> None:
    """Install what templates use: the row-id URL converter, helpers, filters and tests."""
    app.url_map.converters[ROW_ID] = RowIdConverter
    app.context_processor(_template_context)
    app.jinja_env.globals.update(with_args=with_args, label=label, facet_label=facet_label)
    app.jinja_env.filters.update(bdi=bdi, isolate=isolate)
    app.jinja_env.tests["http_url"] = is_http
