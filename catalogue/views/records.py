"""Record pages: a record with every field, citations, map and cite block; its JSON;
its history with field-level diffs. Deleted records answer 410 with their tombstone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template
from flask_babel import gettext

from .. import citation, edtf, jsonld
from ..diff import changes
from ..errors import Gone, NotFound
from ..store import Revision
from ..web import get_catalogue
from .site import BadRevision, base_url, error_page, revision_arg

bp = Blueprint("records", __name__)


def _revision_arg() -> int | None:
    """``?revision=N`` as a number; 400 (a page) for anything else."""
    try:
        return revision_arg()
    except BadRevision as error:
        abort(400, gettext("The revision must be a whole number from 1, not “%(raw)s”.", raw=error.args[0]))


def _gone_page(error: Gone) -> tuple[str, int]:
    return render_template("gone.html", error=error, record_id=error.record_id), 410


def _oai_url(record_id: str) -> str | None:
    """The OAI-PMH GetRecord URL of a record, when the OAI provider is installed."""
    if not any(rule.rule == "/oai" for rule in current_app.url_map.iter_rules()):
        return None
    identifier = f"oai:{current_app.config['REPOSITORY_ID']}:{record_id}"
    return f"{base_url()}/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}"


def _timeline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Condition assessments, oldest first (undated ones first, in the order entered)."""
    def key(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        index, assessment = item
        years = edtf.year_range(assessment["date"]) if assessment.get("date") else None
        return ((years[0] if years and years[0] is not None else -10**9), index)

    return [a for _, a in sorted(enumerate(record.get("conditions") or []), key=key)]


def _cite(record: dict[str, Any]) -> dict[str, Any]:
    url = citation.permanent_url(base_url(), record["id"], record.get("revision", 1))
    repository = current_app.config["REPOSITORY_NAME"]
    accessed = datetime.now(UTC).strftime("%Y-%m-%d")
    return {
        "url": url,
        "text": citation.text(record, url, repository, accessed),
        "bibtex": citation.bibtex(record, url, repository, accessed),
        "csl": json.dumps(citation.csl_json(record, url, repository, accessed), ensure_ascii=False, indent=2),
    }


def _geometry(record: dict[str, Any]) -> dict[str, Any] | None:
    return (record.get("place") or {}).get("geometry")


@bp.get("/records/<record_id>")
def record(record_id: str) -> Any:
    """A record (``?revision=N``: an old revision, citable); 410 when deleted, 404 when unknown."""
    revision = _revision_arg()
    catalogue = get_catalogue()
    try:
        data = catalogue.get(record_id, revision)
    except Gone as error:
        return _gone_page(error)
    current = catalogue.store.get(record_id)
    sources = {s["id"]: number for number, s in enumerate(data.get("sources", []), start=1)}
    return render_template(
        "record.html", record=data, current=current, is_current=revision in (None, current.revision),
        sources=sources, timeline=_timeline(data), cite=_cite(data), oai_url=_oai_url(record_id),
        geometry=_geometry(data), jsonld=jsonld.record(data, citation.permanent_url(
            base_url(), record_id, data.get("revision", 1))),
    )


@bp.get("/records/<record_id>.json")
def record_json(record_id: str) -> Any:
    """The record as stored (JSON), or a revision with ``?revision=N``."""
    catalogue = get_catalogue()
    if catalogue.store.get(record_id) is None and catalogue.store.get(f"{record_id}.json") is not None:
        return record(f"{record_id}.json")  # an id that itself ends in .json
    try:
        data = catalogue.get(record_id, _revision_arg())
    except Gone as error:
        return _gone_page(error)
    response: Response = jsonify(data)
    response.headers["Link"] = f'<{base_url()}/records/{record_id}>; rel="alternate"; type="text/html"'
    return response


def _history_rows(revisions: list[Revision]) -> list[dict[str, Any]]:
    """Each revision with its changes against the one before, newest first."""
    rows, previous = [], None
    for rev in revisions:
        rows.append({"rev": rev, "changes": changes(previous, rev.data)})
        previous = rev.data
    return rows[::-1]


@bp.get("/records/<record_id>/history")
def history(record_id: str) -> Any:
    """Every revision: who, when, why and what changed field by field."""
    catalogue = get_catalogue()
    try:
        revisions = catalogue.history(record_id)
    except NotFound as error:
        return error_page(404, gettext("Not found"), str(error))
    current = catalogue.store.get(record_id)
    return render_template("history.html", record_id=record_id, current=current, rows=_history_rows(revisions),
                           title=revisions[-1].data.get("title", record_id))
