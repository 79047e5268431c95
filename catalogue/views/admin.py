"""Admin pages: user accounts (admins only) and harvest sources (admins add, edit and
remove them; archivists start runs and read the run log)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from .. import auth
from ..errors import CatalogueError
from ..store import users as user_store
from ..web import get_catalogue

bp = Blueprint("admin", __name__, url_prefix="/admin")


# -- users ------------------------------------------------------------------------------


def _users_page(error: str | None = None, status: int = 200, **values: Any) -> tuple[str, int]:
    rows = user_store.list_users(get_catalogue().store)
    return render_template("admin/users.html", users=rows, roles=auth.ROLES, error=error, values=values), status


def _new_password() -> str:
    password = request.form.get("password", "")
    if password != request.form.get("password2", ""):
        raise CatalogueError("the two passwords differ")
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
        auth.add_user(get_catalogue(), name, _new_password(), role)
    except CatalogueError as error:
        return _users_page(f"User not added: {error}.", 422, name=name, role=role)
    return redirect(url_for("admin.users"), code=303)


def _user_action(name: str, action: Any) -> Any:
    try:
        user_store.get_user(get_catalogue().store, name)
    except CatalogueError:
        abort(404, description=f"No user named {name!r}.")
    try:
        action()
    except CatalogueError as error:
        return _users_page(f"{name}: {error}.", 422)
    return redirect(url_for("admin.users"), code=303)


@bp.post("/users/<name>/role")
@auth.role_required("admin")
def set_role(name: str) -> Any:
    """Change a role (the last active admin stays admin)."""
    return _user_action(name, lambda: auth.set_role(get_catalogue(), name, request.form.get("role", "")))


@bp.post("/users/<name>/active")
@auth.role_required("admin")
def set_active(name: str) -> Any:
    """Disable (ends the sessions) or enable an account."""
    active = request.form.get("active") == "1"
    return _user_action(name, lambda: auth.set_active(get_catalogue(), name, active))


@bp.post("/users/<name>/password")
@auth.role_required("admin")
def set_password(name: str) -> Any:
    """Set a new password for someone (ends their sessions)."""
    return _user_action(name, lambda: auth.change_password(get_catalogue(), name, _new_password()))


