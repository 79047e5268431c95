"""Condition statuses worded as claims, in the UI language: who says it, in which source,
when, with what certainty ("Destroyed — according to AzerNEWS, 26 February 2025; certainty
not stated"), and, when the sources disagree, each source's claim. The software states what
sources say; it never states a status as a fact of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from babel.lists import format_list
from flask import Flask, url_for
from flask_babel import get_locale
from markupsafe import Markup

from .. import claims
from . import display
from .i18n import gettext
from .site import bdi, label, sentence

#: The URL of a source's entry (its ``id``) on the page that lists the record's sources.
SourceLink = Callable[[str], str]


def source_name(source: dict[str, Any]) -> str:
    """How a claim names a source: its publisher, else its author, else its title or citation."""
    for key in ("publisher", "author", "title", "citation"):
        if isinstance(source.get(key), str) and source[key].strip():
            return source[key]
    return str(source.get("id", ""))


def _source(source: dict[str, Any], link: SourceLink) -> Markup:
    """A source as a claim names it: its name linked to its entry, with its date."""
    name = Markup('<a href="%s">%s</a>') % (link(source.get("id", "")), bdi(source_name(source)))
    if source.get("date"):
        return Markup("%s, %s") % (name, display.edtf_tag(source["date"]))
    return name


def _joined(items: list[Markup]) -> Markup:
    """Items joined as a list in the UI language ("A, B and C", "A, B və C"), each kept as markup."""
    marks = [f"\ue000{number}\ue001" for number in range(len(items))]
    joined = Markup.escape(format_list(marks, locale=get_locale() or "en"))
    for mark, item in zip(marks, items, strict=True):
        joined = joined.replace(mark, item)
    return joined


def status_badge(status: str | None) -> Markup:
    """A status as a coloured label (the words say it, the colour only repeats it)."""
    status = status or "unknown"
    return Markup('<span class="status status-%s">%s</span>') % (status, label("status", status))


def claim_sentence(claim: claims.Claim, link: SourceLink) -> Markup:
    """One claim as a sentence: status (and the date it describes), the sources that state
    it with their dates, and the certainty, or that none is stated."""
    cited = _joined([_source(s, link) for s in claim.sources]) if claim.sources else None
    certainty = (gettext("certainty: %(certainty)s", certainty=label("certainty", claim.certainty))
                 if claim.certainty else gettext("certainty not stated"))
    params: dict[str, Any] = {"status": status_badge(claim.status), "certainty": certainty}
    if claim.date:
        params["date"] = display.edtf_tag(claim.date)
    if cited is None:
        template = (gettext("%(status)s as of %(date)s — no source cited; %(certainty)s") if claim.date
                    else gettext("%(status)s — no source cited; %(certainty)s"))
    else:
        params["sources"] = cited
        template = (gettext("%(status)s as of %(date)s — according to %(sources)s; %(certainty)s") if claim.date
                    else gettext("%(status)s — according to %(sources)s; %(certainty)s"))
    return sentence(template, **params)


def record_claims(record: dict[str, Any], link: SourceLink | None = None) -> dict[str, Any]:
    """What a page says of a record's condition: the current claim as a sentence (None
    without any assessment), whether the sources disagree, and each source's claim."""
    link = link or (lambda source_id: f"#source-{source_id}")
    current = claims.current(record)
    disagree = claims.disagree(record)
    return {
        "status": (record.get("condition") or {}).get("status") or "unknown",
        "current": claim_sentence(current, link) if current else None,
        "disagree": disagree,
        "each": [claim_sentence(c, link) for c in claims.by_source(record)] if disagree else [],
    }


def hit_claims(record: dict[str, Any]) -> dict[str, Any]:
    """`record_claims` for a search result: the sources link to the record page's entries."""
    page = url_for("records.record", record_id=record["id"])
    return record_claims(record, lambda source_id: f"{page}#source-{source_id}")


def init_app(app: Flask) -> None:
    """Give templates the claim helpers."""
    app.jinja_env.globals.update(record_claims=record_claims, hit_claims=hit_claims, status_badge=status_badge)
