"""Admin pages: user accounts (admins only) and harvest sources (admins add, edit and
remove them; archivists start runs and read the run log)."""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

import harvest.apply
import harvest.leases
import harvest.pending
import harvest.runs
import harvest.sources

from ..access import ROLES
from ..errors import CatalogueError, NotFound
from . import auth, get_catalogue
from .error_pages import not_found_text
from .i18n import gettext
from .site import ROW_ID, Refused, bdi, sentence

bp = Blueprint("admin", __name__, url_prefix="/admin")
#: app.extensions key of the harvest threads started from the web (tests join them).
HARVESTS = "catalogue.harvest_threads"


# -- users ------------------------------------------------------------------------------


def _users_page(error: str | None = None, status: int = 200, **values: Any) -> tuple[str, int]:
    rows = get_catalogue().accounts.users()
    return render_template("admin/users.html", users=rows, roles=ROLES, error=error, values=values), status


def _new_password() -> str:
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        raise Refused(gettext("the two passwords differ"))
    return password


@bp.get("/users")
@auth.role_required("admin")
def users() -> Any:
    """Every account, with forms to add one and change role, state or password."""
    return _users_page()


@bp.post("/users")
@auth.role_required("admin")
def add_user() -> Any:
    """Create an account."""
    name, role = request.form.get("name", "").strip(), request.form.get("role", "")
    try:
        get_catalogue().accounts.add(name, _new_password(), role)
    except CatalogueError as error:
        return _users_page(sentence(gettext("User not added: %(error)s."), error=error), 422, name=name, role=role)
    return redirect(url_for("admin.users"), code=303)


def _user_action(name: str, action: Any) -> Any:
    try:
        get_catalogue().accounts.user(name)
    except CatalogueError:
        abort(404, description=gettext("No user named %(name)s.", name=repr(name)))
    try:
        action()
    except CatalogueError as error:
        return _users_page(sentence(gettext("%(name)s: %(error)s."), name=bdi(name), error=error), 422)
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<name>/role")
@auth.role_required("admin")
def set_role(name: str) -> Any:
    """Change a role (the last active admin stays admin)."""
    return _user_action(name, lambda: get_catalogue().accounts.set_role(name, request.form.get("role", "")))


@bp.post("/users/<name>/active")
@auth.role_required("admin")
def set_active(name: str) -> Any:
    """Disable (ends the sessions) or enable an account."""
    raw = request.form.get("active", "")

    def action() -> None:
        if raw not in ("0", "1"):
            raise Refused(gettext("the new state must be 1 (enable) or 0 (disable), not %(raw)s", raw=repr(raw[:30])))
        get_catalogue().accounts.set_active(name, raw == "1")

    return _user_action(name, action)


@bp.post("/users/<name>/password")
@auth.role_required("admin")
def set_password(name: str) -> Any:
    """Set a new password for someone (ends their sessions)."""
    return _user_action(name, lambda: get_catalogue().accounts.change_password(name, _new_password()))




# -- harvest sources and runs -----------------------------------------------------------


@bp.get("/")
@auth.role_required("archivist")
def index() -> Any:
    """The archivists' desk: pending changes, harvest sources, recent runs, and users for admins."""
    catalogue = get_catalogue()
    return render_template("admin/index.html", pending=len(harvest.pending.list_pending(catalogue)),
                           sources=harvest.sources.list_sources(catalogue),
                           runs=harvest.runs.list_runs(catalogue, limit=10), count_keys=harvest.apply.COUNT_KEYS)


#: The choices of the source form.
_SOURCE_CHOICES = {"protocols": harvest.sources.PROTOCOLS,
                   "id_collision_policies": harvest.sources.ID_COLLISION_POLICIES}


def _source_fields() -> dict[str, Any]:
    """The source form's values, as `add_source`/`update_source` take them."""
    form = request.form
    raw_settings = form.get("settings", "").strip()
    try:
        settings = json.loads(raw_settings) if raw_settings else {}
    except (ValueError, RecursionError) as error:
        raise Refused(gettext("the settings are not valid JSON (%(error)s)", error=error)) from error
    if not isinstance(settings, dict):
        raise Refused(gettext("the settings must be a JSON object"))
    if form.get("id_collision"):
        settings[harvest.sources.ID_COLLISION] = form["id_collision"]
    return {"url": form.get("url", "").strip(), "protocol": form.get("protocol", "oai-pmh"),
            "prefix": form.get("prefix", "").strip() or "oai_dc", "set_spec": form.get("set_spec", "").strip() or None,
            "mapping": form.get("mapping", "").strip() or None, "settings": settings}


def _contact_provider() -> bool:
    """Whether the form asks to check the provider's formats (unless "do not contact it" is ticked)."""
    return request.form.get("no_check") != "1"


def _sources_page(error: str | None = None, status: int = 200, values: dict[str, Any] | None = None) -> Any:
    catalogue = get_catalogue()
    latest = {}
    for run in harvest.runs.list_runs(catalogue, limit=200):
        latest.setdefault(run.source, run)
    return render_template("admin/sources.html", sources=harvest.sources.list_sources(catalogue), latest=latest,
                           **_SOURCE_CHOICES, error=error, values=values or {}), status


@bp.get("/sources")
@auth.role_required("archivist")
def sources() -> Any:
    """Registered sources with their last run; admins add, edit and remove them here."""
    return _sources_page()


@bp.post("/sources")
@auth.role_required("admin")
def add_source() -> Any:
    """Register a source."""
    name = request.form.get("name", "").strip()
    try:
        harvest.sources.add_source(get_catalogue(), name, **_source_fields(), check=_contact_provider())
    except CatalogueError as error:
        return _sources_page(sentence(gettext("Source not added: %(error)s."), error=error), 422, dict(request.form))
    return redirect(url_for("admin.sources"), code=303)


def _source_or_404(name: str) -> Any:
    try:
        return harvest.sources.get_source(get_catalogue(), name)
    except NotFound as error:
        abort(404, description=not_found_text(error))


@bp.route("/sources/<name>/edit", methods=["GET", "POST"])
@auth.role_required("admin")
def edit_source(name: str) -> Any:
    """Change a source's URL, format, set, type mapping or settings."""
    source = _source_or_404(name)
    network = {k: v for k, v in source.settings.items() if k != harvest.sources.ID_COLLISION}
    values = {"url": source.url, "protocol": source.protocol, "prefix": source.prefix or "",
              "set_spec": source.set_spec or "", "mapping": source.mapping or "",
              "settings": json.dumps(network, indent=2) if network else "",
              "id_collision": source.settings.get(harvest.sources.ID_COLLISION, harvest.sources.DEFAULT_ID_COLLISION)}
    if request.method == "GET":
        return render_template("admin/source_form.html", source=source, values=values,
                               **_SOURCE_CHOICES, error=None)
    try:
        harvest.sources.update_source(get_catalogue(), name, **_source_fields(), check=_contact_provider())
    except CatalogueError as error:
        return render_template("admin/source_form.html", source=source, values=dict(request.form),
                               **_SOURCE_CHOICES,
                               error=sentence(gettext("Not saved: %(error)s."), error=error)), 422
    return redirect(url_for("admin.sources"), code=303)


@bp.post("/sources/<name>/remove")
@auth.role_required("admin")
def remove_source(name: str) -> Any:
    """Forget a source (its records, runs and pending changes stay)."""
    _source_or_404(name)
    harvest.sources.remove_source(get_catalogue(), name)
    return redirect(url_for("admin.sources"), code=303)


@bp.post("/sources/<name>/run")
@auth.role_required("archivist")
def run_source(name: str) -> Any:
    """Start a harvest of the source in the background and show its run log."""
    _source_or_404(name)
    catalogue = get_catalogue()
    if harvest.leases.running(catalogue, name):  # the lease, not the log: a killed run holds nothing
        return _sources_page(gettext("A harvest of %(name)s is running already; wait for it to finish.",
                                     name=name), 409)
    full = request.form.get("full", "")
    if full not in ("", "1"):
        return _sources_page(gettext("The full option is a checkbox (1 or absent), not %(raw)s.", raw=repr(full[:30])),
                             422)
    full = full == "1"
    thread = threading.Thread(target=_harvest, args=(current_app._get_current_object(), name, full),
                              name=f"harvest-{name}", daemon=True)
    current_app.extensions.setdefault(HARVESTS, []).append(thread)
    thread.start()
    if not current_app.config["HARVEST_IN_BACKGROUND"]:
        thread.join()
    return redirect(url_for("admin.runs", source=name), code=303)


def _harvest(app: Flask, name: str, full: bool) -> None:
    """Run one harvest in its own thread (and its own SQLite connection); failures are logged in the run."""
    with app.app_context():
        try:
            harvest.runs.run_harvest(get_catalogue(), name, full=full)
        except harvest.leases.HarvestBusy as busy:  # lost the race to another run (cron) after the check above
            app.logger.info("harvest of %s not started: %s", name, busy)
        except Exception:  # the run log shows harvest failures; anything else goes to the app log
            app.logger.exception("harvest of %s failed", name)


@bp.get("/runs")
@auth.role_required("archivist")
def runs() -> Any:
    """The run log, newest first (``?source=`` for one source)."""
    source = request.args.get("source") or None
    return render_template("admin/runs.html", runs=harvest.runs.list_runs(get_catalogue(), source, limit=100),
                           source=source, count_keys=harvest.apply.COUNT_KEYS)


@bp.get(f"/runs/<{ROW_ID}:run_id>")
@auth.role_required("archivist")
def run(run_id: int) -> Any:
    """One run: its counts and every error with the identifier it concerns."""
    catalogue = get_catalogue()
    found = catalogue.harvests.run(run_id)
    if found is None:
        abort(404, description=gettext("No harvest run %(id)s.", id=run_id))
    return render_template("admin/run.html", run=found, errors=harvest.runs.run_errors(catalogue, run_id),
                           count_keys=harvest.apply.COUNT_KEYS)
