"""Archivists' record pages: create, edit (with optimistic locking and a side-by-side
conflict view), delete with a reason, restore a revision, and review pending upstream
changes from harvests. Every write goes through `Catalogue` with the user and a message."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext

import harvest.pending

from ..diff import changes
from ..errors import AlreadyExists, CatalogueError, FieldError, Gone, NotFound, StaleRevision, ValidationError, Withheld
from ..service import StoredRecord
from . import get_catalogue
from .auth import role_required, safe_next
from .error_pages import not_found_text
from .forms import RecordForm, choices, dom_id
from .records import is_admin
from .site import ROW_ID, error_text, sentence, whole_number

bp = Blueprint("edit", __name__)
bp.add_app_template_filter(dom_id, "dom_id")


def _render_form(form: RecordForm, *, record_id: str | None = None, base_revision: int | None = None,
                 message: str = "", status: int = 200, **extra: Any) -> tuple[str, int]:
    return render_template("edit/form.html", form=form, record_id=record_id, base_revision=base_revision,
                           message=message, choices=choices, **extra), status


def _is_rearrange() -> bool:
    """Whether the button pressed adds or removes a row (re-render) rather than saves."""
    return bool(request.form.get("add") or request.form.get("remove"))


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
        errors.append(FieldError("message", gettext("say what you changed and why (the edit message is required)")))
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
    form = RecordForm.from_input(request.form)
    message = request.form.get("message", "")
    if _is_rearrange():
        return _render_form(form, message=message)
    record, form.errors = _check(form, None)
    if record is None:
        return _render_form(form, message=message, status=422)
    try:
        saved = get_catalogue().create(record, user=g.user.name, message=message.strip())
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
    return redirect(url_for("records.record", record_id=saved["id"]), code=303)


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
    form = RecordForm.from_input(request.form)
    message = request.form.get("message", "")
    if _is_rearrange():
        return _render_form(form, record_id=record_id, base_revision=base, message=message)
    record, form.errors = _check(form, record_id)
    if record is None:
        return _render_form(form, record_id=record_id, base_revision=base, message=message, status=422)
    try:
        catalogue.update(record_id, record, base_revision=base, user=g.user.name, message=message.strip(),
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
    """Make an earlier revision (or, with none named, the deleted record) current again."""
    raw = request.form.get("revision", "").strip()
    revision = whole_number(raw)
    if raw and revision is None:
        abort(400, description=gettext("The revision to restore must be a number, not %(raw)s.", raw=repr(raw[:30])))
    try:
        get_catalogue().restore(record_id, revision=revision, user=g.user.name,
                                message=request.form.get("message", "").strip())
    except NotFound as error:
        abort(404, description=not_found_text(error))
    except ValidationError as error:
        abort(422, description=sentence(gettext("That revision no longer satisfies the record rules: %(error)s"),
                                        error=error))
    except CatalogueError as error:
        abort(400, description=error_text(error))
    return redirect(url_for("records.record", record_id=record_id), code=303)


# -- pending upstream changes ------------------------------------------------------------


def _pending_rows(record_id: str | None) -> list[dict[str, Any]]:
    """Pending changes with what each would change in the current record."""
    catalogue = get_catalogue()
    rows = []
    for change in catalogue.harvests.pending(record_id):
        current = catalogue.current(change.record_id)
        if current is not None and current.withheld and not is_admin():
            current = None  # its content is withheld: compared with nothing
        differences = changes(current.data if current else {}, change.data) if change.data else []
        rows.append({"change": change, "current": current, "differences": differences})
    return rows


@bp.get("/pending")
@role_required("archivist")
def pending() -> Any:
    """Every upstream change held back because the record was edited here; accept or reject each."""
    return render_template("edit/pending.html", rows=_pending_rows(None), record_id=None)


@bp.get("/records/<record_id>/pending")
@role_required("archivist")
def record_pending(record_id: str) -> Any:
    """The pending upstream changes of one record."""
    if get_catalogue().current(record_id) is None:
        abort(404, description=not_found_text(NotFound.record(record_id)))
    return render_template("edit/pending.html", rows=_pending_rows(record_id), record_id=record_id)


def _decide(change_id: int, accept: bool) -> Any:
    try:
        if accept:
            harvest.pending.accept_pending(get_catalogue(), change_id, g.user.name)
        else:
            harvest.pending.reject_pending(get_catalogue(), change_id, g.user.name)
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
