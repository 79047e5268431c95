"""Record pages: a record with every field, citations, map and cite block; its JSON;
its history with field-level diffs. Deleted records answer 410 with their tombstone, and
so does content an admin withheld from the public; admins see it, marked, and withhold
or release revisions from the history page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, jsonify, redirect, render_template, request, url_for

from .. import edtf
from ..errors import CatalogueError, Gone, NotFound, Withheld
from ..formats import citation, jsonld
from ..formats.oaipmh import oai_identifier
from ..service import Revision
from . import get_catalogue
from .auth import role_required
from .changes import change_rows
from .error_pages import error_page, not_found_text
from .i18n import gettext
from .site import ROW_ID, BadRevision, base_url, revision_arg, sentence

bp = Blueprint("records", __name__)


def _revision_arg() -> int | None:
    """``?revision=N`` as a number; 400 (a page) for anything else."""
    try:
        return revision_arg()
    except BadRevision as error:
        abort(400, gettext("The revision must be a whole number from 1, not “%(raw)s”.", raw=error.args[0]))


def _gone_page(error: Gone) -> tuple[str, int]:
    return render_template("gone.html", error=error, record_id=error.record_id), 410


def _withheld_page(error: Withheld) -> tuple[str, int]:
    return render_template("withheld.html", error=error, record_id=error.record_id), 410


def is_admin() -> bool:
    """Whether the signed-in user may see (and withhold or release) withheld content."""
    user = g.get("user")
    return bool(user and user.can("admin"))


def _oai_url(record_id: str) -> str:
    """The OAI-PMH GetRecord URL of a record."""
    identifier = oai_identifier(current_app.config["REPOSITORY_ID"], record_id)
    return f"{base_url()}/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}"


def _timeline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Condition assessments, oldest first (undated ones first, in the order entered)."""
    def key(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        index, assessment = item
        years = edtf.year_range(assessment["date"]) if assessment.get("date") else None
        return ((years[0] if years and years[0] is not None else -10**9), index)

    return [a for _, a in sorted(enumerate(record.get("conditions") or []), key=key)]


def _cite(record: dict[str, Any]) -> dict[str, Any]:
    """The record's citation in every form the page offers, and its meta tags."""
    url = citation.record_url(base_url(), record["id"], record.get("revision", 1))
    repository = current_app.config["REPOSITORY_NAME"]
    accessed = datetime.now(UTC).strftime("%Y-%m-%d")
    page = base_url() + url_for("records.record", record_id=record["id"])
    return {
        "url": url,
        "text": citation.text(record, url, repository, accessed),
        "bibtex": citation.bibtex(record, url, repository, accessed),
        "csl": json.dumps(citation.csl_json(record, url, repository, accessed), ensure_ascii=False, indent=2),
        "ris": citation.ris(record, url, repository, accessed),
        "meta": citation.meta_tags(record, url, page, repository),
    }


def _geometry(record: dict[str, Any]) -> dict[str, Any] | None:
    return (record.get("place") or {}).get("geometry")


@bp.get("/records/<record_id>")
def record(record_id: str) -> Any:
    """A record (``?revision=N``: an old revision, citable); 410 when deleted, 404 when unknown."""
    revision = _revision_arg()
    catalogue = get_catalogue()
    try:
        data = catalogue.get(record_id, revision, include_withheld=is_admin())
    except Gone as error:
        return _gone_page(error)
    except Withheld as error:
        return _withheld_page(error)
    current = catalogue.current(record_id)
    withheld = is_admin() and catalogue.revision(record_id, data["revision"]).withheld
    sources = {s["id"]: number for number, s in enumerate(data.get("sources", []), start=1)}
    return render_template(
        "record.html", record=data, current=current, is_current=revision in (None, current.revision),
        withheld=withheld,
        sources=sources, timeline=_timeline(data), cite=_cite(data), oai_url=_oai_url(record_id),
        geometry=_geometry(data), jsonld=jsonld.record(data, citation.record_url(
            base_url(), record_id, data.get("revision", 1))),
        collisions=catalogue.harvests.collisions(record_id),
    )


@bp.get("/records/<record_id>.json")
def record_json(record_id: str) -> Any:
    """The record as stored (JSON), or a revision with ``?revision=N``."""
    data = _record_as(record_id, ".json")
    if not isinstance(data, dict):
        return data
    response: Response = jsonify(data)
    response.headers["Link"] = f'<{citation.record_url(base_url(), record_id)}>; rel="alternate"; type="text/html"'
    return response


@bp.get("/records/<record_id>.ris")
def record_ris(record_id: str) -> Any:
    """The record's citation as RIS (``?revision=N``: of that revision), for reference managers."""
    data = _record_as(record_id, ".ris")
    if not isinstance(data, dict):
        return data
    name = f"{record_id}-r{data.get('revision', 1)}.ris"
    return Response(_cite(data)["ris"], mimetype="application/x-research-info-systems",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _record_as(record_id: str, suffix: str) -> dict[str, Any] | Any:
    """The record (or ``?revision=N``) a `suffix` format route asked for, or the page to answer
    instead: the record page of an id that itself ends in `suffix`, or why it is gone or
    withheld."""
    catalogue = get_catalogue()
    if catalogue.current(record_id) is None and catalogue.current(f"{record_id}{suffix}") is not None:
        return record(f"{record_id}{suffix}")
    try:
        return catalogue.get(record_id, _revision_arg(), include_withheld=is_admin())
    except Gone as error:
        return _gone_page(error)
    except Withheld as error:
        return _withheld_page(error)


def _history_rows(revisions: list[Revision], admin: bool) -> list[dict[str, Any]]:
    """Each revision with its changes against the one before, newest first (a creation is
    shown as such, not as every field added). The public sees no changes of a withheld
    revision, and the next one is compared with the last revision it may see (`since`), so
    no diff reveals withheld content."""
    rows, previous, since = [], None, None
    for rev in revisions:
        hidden = rev.withheld and not admin
        shown = not hidden and not (rev.action == "create" and previous is None)
        rows.append({"rev": rev, "changes": change_rows(previous, rev.data) if shown else [],
                     "since": since if since != rev.revision - 1 else None})
        if not hidden:
            previous, since = rev.data, rev.revision
    return rows[::-1]


def history_page(record_id: str, status: int = 200, error: str | None = None,
                  values: dict[str, Any] | None = None) -> Any:
    """The history page; `error` (with the `values` the user typed) after a refused form."""
    catalogue = get_catalogue()
    admin = is_admin()
    try:
        revisions = catalogue.history(record_id, include_withheld=admin)
    except NotFound as error_:
        return error_page(404, gettext("Not found"), not_found_text(error_))
    current = catalogue.current(record_id)
    shown = [r for r in revisions if r.data]
    audit: dict[int, list[Any]] = {}
    for entry in catalogue.withholdings(record_id) if admin else []:
        audit.setdefault(entry.revision, []).append(entry)
    return render_template("history.html", record_id=record_id, current=current,
                           rows=_history_rows(revisions, admin), admin=admin, audit=audit, error=error,
                           values=values or {}, title=shown[-1].data.get("title", record_id) if shown else record_id
                           ), status


@bp.get("/records/<record_id>/history")
def history(record_id: str) -> Any:
    """Every revision: who, when, why and what changed field by field."""
    return history_page(record_id)


@bp.post(f"/records/<record_id>/revisions/<{ROW_ID}:revision>/withhold")
@role_required("admin")
def withhold_revision(record_id: str, revision: int) -> Any:
    """Withhold a revision's content from the public; the reason goes to the audit trail."""
    return _set_withheld(record_id, revision, True)


@bp.post(f"/records/<record_id>/revisions/<{ROW_ID}:revision>/release")
@role_required("admin")
def release_revision(record_id: str, revision: int) -> Any:
    """Make a withheld revision public again; the reason goes to the audit trail."""
    return _set_withheld(record_id, revision, False)


def _set_withheld(record_id: str, revision: int, withheld: bool) -> Any:
    reason = request.form.get("reason", "")
    catalogue = get_catalogue()
    change = catalogue.withhold if withheld else catalogue.release
    try:
        change(record_id, revision, reason=reason, user=g.user.name)
    except NotFound as error:
        abort(404, description=not_found_text(error))
    except CatalogueError as error:
        message = sentence(gettext("Revision %(n)s: %(error)s."), n=revision, error=error)
        return history_page(record_id, 422, message, {"revision": revision, "reason": reason})
    return redirect(url_for("records.history", record_id=record_id) + f"#revision-{revision}", code=303)
