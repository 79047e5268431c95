"""Imports in the web: archivists upload a CSV, .xlsx, .ods, .xls or JSON Lines file with a
mapping (uploaded, pasted, or one an admin saved), see the dry run (the first records as they
would be stored, every line's error and warning, the counts), confirm, and follow the import
running in the background; it lands in the harvest log with its counts and can be run again.
Admins keep the saved mappings. Every file is checked by `harvest.tables` as the command line
checks it; a file refused whole changes nothing."""

from __future__ import annotations

import json
import threading
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, url_for

import harvest.imports
import harvest.leases
import harvest.runs
from harvest.sheets import FileLimits
from harvest.tables import SUFFIXES

from ..errors import CatalogueError, NotFound
from ..service import Upload
from . import auth, get_catalogue
from .admin import HARVESTS
from .i18n import gettext
from .site import ROW_ID

bp = Blueprint("imports", __name__, url_prefix="/imports")
#: Room for the form's other fields beside the file, in a request's size limit.
FORM_SLACK = 1024 * 1024
#: Seconds between reloads of the progress page of a running import (without JavaScript).
REFRESH_SECONDS = 2


def limits() -> FileLimits:
    """What an import file may be (the IMPORT_* settings)."""
    return FileLimits.from_config(current_app.config)


def upload_limit() -> None:
    """Let the upload form's request be as large as an import file may be (the site's
    MAX_CONTENT_LENGTH is smaller), and refuse a larger one with a clear message before its
    body is read. Runs before the CSRF check, which reads the form."""
    if request.method != "POST" or request.endpoint != "imports.upload":
        return
    allowed = limits().max_bytes + FORM_SLACK
    if request.content_length is not None and request.content_length > allowed:
        abort(413, description=gettext(
            "The upload is %(size)s bytes; an import file may have at most %(limit)s (the setting "
            "IMPORT_MAX_BYTES). Split the file, or ask an admin to raise the limit. Nothing was imported.",
            size=f"{request.content_length:,}", limit=f"{limits().max_bytes:,}"))
    request.max_content_length = allowed


def _import_runs() -> list[Any]:
    """The latest runs of imports in the harvest log."""
    return [run for run in harvest.runs.list_runs(get_catalogue(), limit=200) if run.source.startswith("import: ")]


def _form_page(error: str | None = None, status: int = 200, values: dict[str, str] | None = None) -> Any:
    catalogue = get_catalogue()
    return render_template("imports/upload.html", error=error, values=values or {},
                           mappings=catalogue.uploads.mappings(), runs=_import_runs()[:20],
                           suffixes=", ".join(SUFFIXES), max_bytes=limits().max_bytes), status


@bp.get("/")
@auth.role_required("archivist")
def index() -> Any:
    """The upload form, the saved mappings to choose from and the latest imports."""
    return _form_page()


def _filename(raw: str) -> str:
    """The file's name without any folder a browser sent along."""
    name = PureWindowsPath(PurePosixPath(raw).name).name.strip()
    return name[:200]


def _mapping_choice(form: Any, files: Any) -> tuple[str | None, str | None]:
    """(mapping text, saved mapping name) the form chose: an uploaded mapping file, pasted
    text, or a saved mapping, in that order; (None, None) for none."""
    uploaded = files.get("mapping_file")
    if uploaded is not None and uploaded.filename:
        raw = uploaded.read(200_000)
        try:
            return raw.decode("utf-8-sig"), _filename(uploaded.filename)
        except UnicodeDecodeError:
            raise CatalogueError(gettext("the mapping file is not UTF-8 text")) from None
    text = form.get("mapping_text", "").strip()
    if text:
        return text, None
    name = form.get("mapping_name", "").strip()
    if name:
        return get_catalogue().uploads.mapping(name).text, name
    return None, None


@bp.post("/")
@auth.role_required("archivist")
def upload() -> Any:
    """Keep an uploaded file with its mapping, then show its dry run."""
    try:
        return _upload()
    finally:
        for part in request.files.values():  # large parts sit in temporary files: closed now
            part.close()


def _upload() -> Any:
    form = request.form
    values = {k: form.get(k, "") for k in ("mapping_name", "mapping_text", "sheet", "encoding")}
    file = request.files.get("file")
    if file is None or not file.filename:
        return _form_page(gettext("Choose the file to import."), 422, values)
    filename = _filename(file.filename)
    if not filename.lower().endswith(SUFFIXES):
        return _form_page(gettext("%(name)s is not a file an import reads (%(kinds)s).", name=filename,
                                  kinds=", ".join(SUFFIXES)), 422, values)
    content = file.read(limits().max_bytes + 1)
    if len(content) > limits().max_bytes:
        return _form_page(gettext("The file is larger than the %(limit)s bytes an import reads (IMPORT_MAX_BYTES). "
                                  "Nothing was imported.", limit=f"{limits().max_bytes:,}"), 413, values)
    try:
        mapping, mapping_name = _mapping_choice(form, request.files)
        if mapping is None and not filename.lower().endswith((".jsonl", ".ndjson")):
            raise CatalogueError(gettext("a spreadsheet needs a mapping of its columns: choose a saved mapping, "
                                         "upload one or paste it"))
        kept = get_catalogue().uploads.add(filename, content, mapping=mapping, mapping_name=mapping_name,
                                           sheet=values["sheet"].strip() or None,
                                           encoding=values["encoding"].strip() or None, user=g.user.name)
    except CatalogueError as error:
        return _form_page(gettext("Not uploaded: %(error)s.", error=error), 422, values)
    return redirect(url_for("imports.preview", token=kept.token), code=303)


def _upload_or_404(token: str) -> Upload:
    try:
        return get_catalogue().uploads.get(token)
    except NotFound as error:
        abort(404, description=str(error))


@bp.get("/<token>")
@auth.role_required("archivist")
def preview(token: str) -> Any:
    """The dry run of an upload: records as they would be stored, every line's problem, the counts."""
    kept = _upload_or_404(token)
    try:
        report = harvest.imports.preview(get_catalogue(), kept, limits())
    except CatalogueError as error:
        return render_template("imports/preview.html", upload=kept, report=None, refused=str(error)), 422
    return render_template("imports/preview.html", upload=kept, report=report, refused=None,
                           as_json=lambda r: json.dumps(r, ensure_ascii=False, indent=2, sort_keys=True))


@bp.post("/<token>/run")
@auth.role_required("archivist")
def start(token: str) -> Any:
    """Start the import of an upload in the background (again, for an upload imported before)."""
    kept = _upload_or_404(token)
    try:
        begun = harvest.imports.begin(get_catalogue(), kept)  # logged now: the next page shows it
    except harvest.leases.HarvestBusy:
        abort(409, description=gettext("This file is being imported already; wait for the import to finish."))
    app = current_app._get_current_object()
    thread = threading.Thread(target=_import, args=(app, kept, g.user.name, begun), name=f"import-{kept.id}",
                              daemon=True)
    app.extensions.setdefault(HARVESTS, []).append(thread)
    thread.start()
    if not current_app.config.get("HARVEST_IN_BACKGROUND", True):
        thread.join()
    return redirect(url_for("imports.progress", run_id=begun[1]), code=303)


def _import(app: Flask, kept: Upload, user: str, begun: Any) -> None:
    """Run one import in its own thread (and its own database connection); its outcome is
    logged in its run, anything unexpected also in the app log."""
    with app.app_context():
        catalogue = get_catalogue()
        try:
            harvest.imports.run_upload(catalogue, kept, user=user, limits=FileLimits.from_config(app.config),
                                       begun=begun)
        except Exception:  # the run log says it failed; the app log says why
            app.logger.exception("import of %s failed", kept.filename)
        finally:
            catalogue.close_thread()  # this thread's connection, not the store


def _run_or_404(run_id: int) -> Any:
    found = get_catalogue().harvests.run(run_id)
    if found is None or not found.source.startswith("import: "):
        abort(404, description=gettext("No import run %(id)s.", id=run_id))
    return found


@bp.get(f"/runs/<{ROW_ID}:run_id>")
@auth.role_required("archivist")
def progress(run_id: int) -> Any:
    """Where an import stands: reloads itself while it runs (and updates in place with
    JavaScript); when it has ended, its counts and the way to its log and to run it again."""
    harvest.leases.reap(get_catalogue(), [_run_or_404(run_id)])  # a run whose process died: 'interrupted'
    run = _run_or_404(run_id)
    return render_template("imports/run.html", run=run, upload=get_catalogue().uploads.of_run(run_id),
                           refresh=REFRESH_SECONDS if run.status == "running" else None)


@bp.get(f"/runs/<{ROW_ID}:run_id>.json")
@auth.role_required("archivist")
def progress_json(run_id: int) -> Any:
    """An import run's status and counts, for the progress page's script."""
    run = _run_or_404(run_id)
    return {"id": run.id, "status": run.status, "counts": run.counts, "message": run.message,
            "finished": run.finished}


# -- saved mappings (admins) ------------------------------------------------------------


def _mappings_page(error: str | None = None, status: int = 200, values: dict[str, str] | None = None) -> Any:
    return render_template("imports/mappings.html", mappings=get_catalogue().uploads.mappings(), error=error,
                           values=values or {}), status


@bp.get("/mappings")
@auth.role_required("archivist")
def mappings() -> Any:
    """The saved mappings (their TOML text); admins add, replace and remove them here."""
    return _mappings_page()


@bp.post("/mappings")
@auth.role_required("admin")
def save_mapping() -> Any:
    """Save a mapping (checked as an import checks it), replacing one of the same name."""
    values = {"name": request.form.get("name", ""), "text": request.form.get("text", "")}
    try:
        get_catalogue().uploads.save_mapping(values["name"], values["text"].replace("\r\n", "\n"), g.user.name)
    except CatalogueError as error:
        return _mappings_page(gettext("Mapping not saved: %(error)s.", error=error), 422, values)
    return redirect(url_for("imports.mappings"), code=303)


@bp.post("/mappings/<name>/remove")
@auth.role_required("admin")
def remove_mapping(name: str) -> Any:
    """Forget a saved mapping (uploads that used it keep their copy)."""
    if not get_catalogue().uploads.remove_mapping(name):
        abort(404, description=gettext("No saved mapping named %(name)s.", name=repr(name)))
    return redirect(url_for("imports.mappings"), code=303)
