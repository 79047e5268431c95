"""Archivists' record pages: create, edit (with optimistic locking and a side-by-side
conflict view), delete with a reason, restore a revision, and review pending upstream
changes from harvests. Every write goes through `Catalogue` with the user and a message."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, make_response, redirect, render_template, request, url_for

import harvest.pending

from ..diff import changes
from ..errors import AlreadyExists, CatalogueError, FieldError, Gone, NotFound, StaleRevision, ValidationError, Withheld
from ..service import StoredRecord
from . import get_catalogue
from .auth import role_required, safe_next
from .changes import change_rows
from .error_pages import not_found_text
from .field_labels import field_label
from .forms import RecordForm, choices, dom_id
from .i18n import gettext, ngettext
from .records import history_page, is_admin
from .site import ROW_ID, error_text, sentence, whole_number

bp = Blueprint("edit", __name__)
bp.add_app_template_filter(dom_id, "dom_id")


def _render_form(form: RecordForm, *, record_id: str | None = None, base_revision: int | None = None,
                 message: str = "", status: int = 200, **extra: Any) -> tuple[str, int]:
    if record_id and "provenance" not in extra:
        stored = get_catalogue().current(record_id)
        extra["provenance"] = stored.data.get("provenance") if stored else None
    extra.setdefault("source_query", request.form.get("source_query", ""))
    extra.setdefault("found", None)
    form_action = url_for("edit.edit_record", record_id=record_id) if record_id else url_for("edit.new_record")
    return render_template("edit/form.html", form=form, record_id=record_id, base_revision=base_revision,
                           message=message, choices=choices, form_action=form_action, **extra), status


def saved(record: dict[str, Any], before: int | None = None) -> None:
    """Tell the archivist what a write did ("Saved as revision 4"), on the page they land on."""
    if before is not None and record.get("revision") == before:
        flash(gettext("Nothing changed: the record stays at revision %(n)s.", n=before))
    else:
        flash(gettext("Saved as revision %(n)s.", n=record.get("revision")))


#: Buttons that change the form rather than save it: add or remove a row, show the sources
#: added so far in the claims' source lists, search other records' sources, reuse one.
REARRANGING = ("add", "remove", "refresh", "find_sources", "reuse")


def _is_rearrange() -> bool:
    """Whether the button pressed changes the form (re-render) rather than saves."""
    return any(request.form.get(name) for name in REARRANGING)


def _rearranged(form: RecordForm) -> dict[str, Any]:
    """Apply a reuse (a copy of another record's source added to the form) and search the
    sources of other records when asked; what the form page shows of that search."""
    catalogue = get_catalogue()
    reuse = request.form.get("reuse", "")
    if reuse:
        record_id, _, source_id = reuse.partition(" ")
        try:
            form.add_source(catalogue.cited_source(record_id, source_id))
        except NotFound:
            form.errors = [FieldError("sources", "", "source_gone")]
    query = request.form.get("source_query", "").strip()
    found = catalogue.find_sources(query) if query and (reuse or request.form.get("find_sources")) else None
    return {"found": found, "source_query": query}


@bp.get("/cited-sources")
@role_required("archivist")
def cited_sources() -> Any:
    """The sources of public records whose citation, author, publisher or URL holds every
    word of ``q``, as JSON, for the record form's "reuse a source" search (read only)."""
    query = request.args.get("q", "").strip()[:200]
    found = get_catalogue().find_sources(query) if query else []
    return jsonify({
        "query": query,
        "status": (ngettext("%(num)s source found.", "%(num)s sources found.", len(found)) if found else
                   gettext("No source of another record matches %(query)s.", query=query) if query else ""),
        "sources": [{"record": item.record_id, "value": f"{item.record_id} {item.source.get('id', '')}",
                     "source": item.source, "records": item.records,
                     "cited_by": ngettext("cited by %(num)s record, e.g. %(title)s",
                                          "cited by %(num)s records, e.g. %(title)s", item.records,
                                          title=item.record_title)}
                    for item in found],
    })


def _check(form: RecordForm, record_id: str | None) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """The record of a submitted form, and the problems that keep it from being saved: those
    of the form's values and a missing edit message, with (as nothing will be saved) the
    record's own, so that every problem shows at once. A record that may be saved is
    checked by the write itself: validation runs once per save."""
    errors: list[FieldError] = []
    try:
        record = form.to_record()
    except ValidationError as error:
        record, errors = None, list(error.errors)
    if not request.form.get("message", "").strip():
        if record is not None:
            try:
                get_catalogue().check(record, record_id)
            except ValidationError as error:
                errors.extend(error.errors)
        errors.append(FieldError("message", gettext("say what you changed and why (the edit message is required)"),
                                 "message_required"))
    return (None if errors else record), errors


def _gone_page(error: Gone) -> tuple[str, int]:
    return render_template("edit/gone.html", error=error), 410


def _live(record_id: str) -> StoredRecord:
    """The live record to edit; a 404, or the deleted-record page (410) with a restore button,
    or a 403 when its current revision is withheld and the user is no admin."""
    try:
        stored = get_catalogue().live(record_id)
    except NotFound as error:
        abort(404, description=not_found_text(error))
    except Gone as error:
        abort(make_response(*_gone_page(error)))
    if stored.withheld and not is_admin():
        _withheld_refusal()
    return stored


def _withheld_refusal() -> None:
    abort(403, description=gettext("The current revision of this record is withheld from the public: only an "
                                   "admin can edit or delete the record, or release the revision."))


@bp.route("/records/new", methods=["GET", "POST"])
@role_required("archivist")
def new_record() -> Any:
    """The empty record form; saving creates revision 1."""
    if request.method == "GET":
        return _render_form(RecordForm.empty())
    form = RecordForm.from_input(request.form, keep_empty=_is_rearrange())
    message = request.form.get("message", "")
    if _is_rearrange():
        return _render_form(form, message=message, **_rearranged(form))
    record, form.errors = _check(form, None)
    if record is None:
        return _render_form(form, message=message, status=422)
    try:
        created = get_catalogue().create(record, user=g.user.name, message=message.strip())
    except ValidationError as error:
        form.errors = error.errors
        return _render_form(form, message=message, status=422)
    except AlreadyExists:
        form.errors = [FieldError("id", gettext("This id is taken (the ids of deleted records are never reused "
                                               "either); choose another one."))]
        return _render_form(form, message=message, status=409)
    except CatalogueError as error:
        form.errors = [FieldError("id", str(error))]
        return _render_form(form, message=message, status=409)
    saved(created)
    return redirect(url_for("records.record", record_id=created["id"]), code=303)


def _base_revision() -> int:
    number = whole_number(request.form.get("base_revision"))
    if number is None:
        abort(400, description=gettext("The form lacks the revision it was based on; "
                                       "reload the record and edit again."))
    return number


@bp.route("/records/<record_id>/edit", methods=["GET", "POST"])
@role_required("archivist")
def edit_record(record_id: str) -> Any:
    """The record form; saving needs the revision it was based on and an edit message."""
    catalogue = get_catalogue()
    stored = _live(record_id)
    if request.method == "GET":
        return _render_form(RecordForm.from_record(stored.data), record_id=record_id, base_revision=stored.revision,
                            provenance=stored.data.get("provenance"), withheld=stored.withheld)
    base = _base_revision()
    form = RecordForm.from_input(request.form, keep_empty=_is_rearrange())
    message = request.form.get("message", "")
    if _is_rearrange():
        return _render_form(form, record_id=record_id, base_revision=base, message=message, **_rearranged(form))
    record, form.errors = _check(form, record_id)
    if record is None:
        return _render_form(form, record_id=record_id, base_revision=base, message=message, status=422)
    try:
        stored = catalogue.update(record_id, record, base_revision=base, user=g.user.name, message=message.strip(),
                                  allow_withheld=is_admin())
    except Withheld:
        _withheld_refusal()
    except StaleRevision as error:
        return _conflict(record_id, form, record, message, error)
    except ValidationError as error:
        form.errors = error.errors
        return _render_form(form, record_id=record_id, base_revision=base, message=message, status=422)
    except Gone as error:
        return _gone_page(error)
    saved(stored, base)
    return redirect(url_for("records.record", record_id=record_id), code=303)


def _conflict(record_id: str, form: RecordForm, mine: dict[str, Any], message: str,
              error: StaleRevision) -> tuple[str, int]:
    """Someone saved meanwhile: show their version and ours side by side, ours still in the form.

    Saving the form again (now based on their revision) stores ours on top; theirs stays
    in the history either way, so neither is lost.
    """
    catalogue = get_catalogue()
    theirs = catalogue.current(record_id)
    latest = catalogue.history(record_id, include_withheld=is_admin())[-1]
    mine_prepared = catalogue.prepare_update(record_id, mine)
    differences = changes(theirs.data if theirs else {}, mine_prepared)
    return _render_form(form, record_id=record_id, base_revision=error.current, message=message, status=409,
                        conflict={"error": error, "theirs": latest, "differences": differences})


@bp.post("/records/<record_id>/delete")
@role_required("archivist")
def delete_record(record_id: str) -> Any:
    """Tombstone a record; the reason is required and shown in place of the record."""
    reason = request.form.get("reason", "").strip()
    catalogue = get_catalogue()
    stored = _live(record_id)
    if not reason:
        return _render_form(RecordForm.from_record(stored.data), record_id=record_id, base_revision=stored.revision,
                            status=422, delete_error=gettext("A deletion needs a reason."))
    base = _base_revision() if request.form.get("base_revision", "").strip() else -1  # -1: scripts, unchecked
    try:
        catalogue.delete(record_id, reason=reason, user=g.user.name, base_revision=base)
    except StaleRevision as error:
        return _render_form(RecordForm.from_record(stored.data), record_id=record_id, base_revision=error.current,
                            status=409, delete_error=gettext("Not deleted: someone saved revision %(n)s meanwhile. "
                                                             "Look at it, then delete again.", n=error.current))
    return redirect(url_for("records.record", record_id=record_id), code=303)


@bp.post("/records/<record_id>/restore")
@role_required("archivist")
def restore_record(record_id: str) -> Any:
    """Make an earlier revision (or, with none named, the deleted record) current again; as
    an edit does, a restore needs a reason (``message``)."""
    raw = request.form.get("revision", "").strip()
    revision = whole_number(raw)
    if raw and revision is None:
        abort(400, description=gettext("The revision to restore must be a number, not %(raw)s.", raw=repr(raw[:30])))
    message = request.form.get("message", "").strip()
    if not message:
        return _restore_needs_reason(record_id, revision)
    try:
        restored = get_catalogue().restore(record_id, revision=revision, user=g.user.name, message=message)
    except NotFound as error:
        abort(404, description=not_found_text(error))
    except ValidationError as error:
        abort(422, description=sentence(gettext("That revision no longer satisfies the record rules: %(error)s"),
                                        error=error))
    except CatalogueError as error:
        abort(400, description=error_text(error))
    saved(restored)
    return redirect(url_for("records.record", record_id=record_id), code=303)


def _restore_needs_reason(record_id: str, revision: int | None) -> Any:
    """The page the restore came from again (the history, or the deleted record's page),
    saying that a reason is needed; nothing is restored."""
    text = gettext("Not restored: say why in the reason field (it is kept in the history).")
    if revision is not None:
        return history_page(record_id, 422, text, {"restore": revision})
    try:
        get_catalogue().get(record_id, include_withheld=is_admin())
    except NotFound as error:
        abort(404, description=not_found_text(error))
    except Gone as error:
        return render_template("edit/gone.html", error=error, restore_error=text), 422
    except Withheld:
        _withheld_refusal()
    abort(400, description=gettext("The record is not deleted: choose the revision to restore on its history page."))


# -- pending upstream changes ------------------------------------------------------------


def _pending_rows(record_id: str | None) -> list[dict[str, Any]]:
    """Pending changes, each with its fields to decide on: which side changed each since
    the source said it last, and what taking it from upstream would change."""
    catalogue = get_catalogue()
    rows = []
    for change in catalogue.harvests.pending(record_id):
        current = catalogue.current(change.record_id)
        hidden = current is not None and current.withheld and not is_admin()
        fields = [] if hidden else harvest.pending.review(catalogue, change.id).fields
        rows.append({"change": change, "current": None if hidden else current, "fields": [
            {"review": item, "label": field_label(item.field), "changes": change_rows(
                {item.field: item.here} if item.here is not None else {},
                {item.field: item.upstream} if item.upstream is not None else {})}
            for item in fields]})
    return rows


def _pending_page(record_id: str | None, status: int = 200, errors: dict[int, str] | None = None) -> Any:
    return render_template("edit/pending.html", rows=_pending_rows(record_id), record_id=record_id,
                           errors=errors or {}), status


@bp.get("/pending")
@role_required("archivist")
def pending() -> Any:
    """Every upstream change held back because the record was edited here; decide on each
    field by field, or reject it."""
    return _pending_page(None)


@bp.get("/records/<record_id>/pending")
@role_required("archivist")
def record_pending(record_id: str) -> Any:
    """The pending upstream changes of one record."""
    if get_catalogue().current(record_id) is None:
        abort(404, description=not_found_text(NotFound.record(record_id)))
    return _pending_page(record_id)


def _decide(change_id: int, accept: bool) -> Any:
    """Accept (the ticked ``field``s when the form says ``choose``, else all) or reject a change."""
    catalogue = get_catalogue()
    chosen = request.form.getlist("field") if request.form.get("choose") else None
    try:
        if not accept:
            harvest.pending.reject_pending(catalogue, change_id, g.user.name)
            flash(gettext("Upstream change rejected: the record stays as it was."))
        elif chosen == []:
            change = harvest.pending.review(catalogue, change_id).change  # unknown or decided: refused below
            one = request.form.get("next", "").startswith("/records/")
            return _pending_page(change.record_id if one else None, 422,
                                 {change_id: gettext("Tick at least one field to take from upstream, or reject "
                                                     "the change.")})
        else:
            result = harvest.pending.accept_pending(catalogue, change_id, g.user.name, chosen)
            flash(gettext("Upstream change accepted as revision %(n)s.", n=result["revision"]) if result
                  else gettext("Upstream deletion accepted: the record is deleted."))
    except NotFound as error:
        abort(404, description=not_found_text(error))
    except ValidationError as error:
        abort(422, description=sentence(gettext("The upstream change is not a valid record: %(error)s"), error=error))
    except CatalogueError as error:
        abort(409, description=error_text(error))
    return redirect(safe_next(request.form.get("next")) or url_for("edit.pending"), code=303)


@bp.post(f"/pending/<{ROW_ID}:change_id>/accept")
@role_required("archivist")
def accept_change(change_id: int) -> Any:
    """Apply an upstream change as a new revision by the current user."""
    return _decide(change_id, accept=True)


@bp.post(f"/pending/<{ROW_ID}:change_id>/reject")
@role_required("archivist")
def reject_change(change_id: int) -> Any:
    """Keep the local record; the upstream change is marked rejected."""
    return _decide(change_id, accept=False)
