"""Signing in and out, and what accounts mean for every request: the user of the request
(`g.user`, from the session cookie), the login and role decorators, the sign-in form with
its throttle, the CSRF error page and the SECRET_KEY policy. Accounts themselves live in
`Catalogue.accounts`; `create_app` installs the hooks defined here."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from ..access import TooManyAttempts, User, check_role
from ..errors import ConfigurationError
from . import get_catalogue
from .i18n import gettext, ngettext
from .site import english, label, sentence

bp = Blueprint("auth", __name__)
#: app.extensions key of the sign-in limits (`access.Throttle`), read at start-up.
THROTTLE = "catalogue.login_throttle"
SECRET_FILE = "secret_key"  # noqa: S105 - a file name, not a secret

F = TypeVar("F", bound=Callable[..., Any])


# -- the user of a request ---------------------------------------------------------------


def load_user() -> None:
    """Before each request: `g.user` is the user of the session cookie (None: anonymous);
    a stale cookie is cleared."""
    g.user = None
    if request.endpoint == "static" or "user" not in session:
        return
    name, version = session.get("user"), session.get("v")
    if not isinstance(name, str) or not isinstance(version, int):
        return
    g.user = get_catalogue().accounts.session_user(name, version)
    if g.user is None:
        session.clear()


def start_session(user: User) -> None:
    """Sign `user` in: a fresh session (no fixation) bound to the current session version."""
    session.clear()
    session.permanent = True
    session["user"], session["v"] = user.name, user.session_version


def login_redirect() -> Any:
    """Send an anonymous visitor to the login page, coming back here afterwards."""
    target = request.full_path if request.method == "GET" else (request.referrer or request.path)
    return redirect(url_for("auth.login", next=safe_next(target.rstrip("?"))))


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (no scheme, host or protocol-relative URL)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c in target for c in "\\\r\n\t") or ":" in target.split("?", 1)[0]:
        return None
    return target


def login_required(view: F) -> F:
    """Let only signed-in users through; others are sent to `/login?next=`."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            return login_redirect()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(role: str) -> Callable[[F], F]:
    """Like `login_required`, and a 403 for a user whose role does not include `role`."""
    check_role(role)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                return login_redirect()
            if not user.can(role):
                abort(403, description=gettext("This needs the %(role)s role.", role=label("role", role)))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def csrf_failed(error: CSRFError) -> Any:
    """The page of a form refused by the CSRF check (expired, or from another site)."""
    message = sentence(gettext("The form could not be accepted: it expired or did not come from this site "
                               "(%(reason)s). Go back, reload the page and submit it again."),
                       reason=english(error.description or ""))
    return render_template("auth/problem.html", title=gettext("Form not accepted"), message=message), 400


# -- pages -------------------------------------------------------------------------------


def _too_many(error: TooManyAttempts, name: str, target: str) -> Any:
    """The sign-in form again, saying why and for how long (429 with Retry-After)."""
    if error.per == "address":
        message = gettext("Too many sign-in attempts from your address. Wait a minute, then try again.")
    else:
        minutes = (error.retry_after + 59) // 60
        message = ngettext("Too many failed sign-ins with this name: it is locked for %(num)s minute. "
                           "Wait, or ask an admin to set a new password.",
                           "Too many failed sign-ins with this name: it is locked for %(num)s minutes. "
                           "Wait, or ask an admin to set a new password.", minutes)
    page = render_template("auth/login.html", error=message, name=name, next=target)
    return page, 429, {"Retry-After": str(error.retry_after)}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; on success back to `next` (same site only) or the front page."""
    target = safe_next(request.values.get("next")) or ""
    if request.method == "GET":
        return render_template("auth/login.html", name="", next=target, error=None)
    name = request.form.get("name", "").strip()
    try:
        user = get_catalogue().accounts.sign_in(name, request.form.get("password", ""), request.remote_addr or "",
                                                current_app.extensions[THROTTLE])
    except TooManyAttempts as error:
        return _too_many(error, name, target)
    if user is None:
        return render_template("auth/login.html", name=name, next=target,
                               error=gettext("Wrong name or password (or the account is disabled).")), 401
    start_session(user)
    return redirect(target or url_for("home.index"), code=303)


@bp.post("/logout")
def logout() -> Any:
    """End the session here and every other session of the same user (server-side)."""
    user = g.get("user")
    if user is not None:
        get_catalogue().accounts.end_sessions(user.name)
    session.clear()
    return redirect(url_for("home.index"), code=303)


# -- secret key --------------------------------------------------------------------------


def is_production(app: Flask) -> bool:
    """Production unless testing, debugging or serving the demo; `ENV` overrides.

    ``CATALOGUE_ENV=production`` (or ``development``) decides explicitly; otherwise an app
    that is neither TESTING nor DEBUG and has DEMO_ON_EMPTY switched off is a deployment.
    """
    env = str(app.config.get("ENV") or "").lower()
    if env in ("production", "development"):
        return env == "production"
    return not (app.testing or app.debug or app.config.get("DEMO_ON_EMPTY"))


def shared_store(app: Flask) -> bool:
    """Whether the store is a database several web nodes share (DATABASE_URL names PostgreSQL)."""
    return str(app.config.get("DATABASE_URL") or "").startswith(("postgresql:", "postgres:"))


def configure_secret_key(app: Flask) -> None:
    """Make sure SECRET_KEY is set: required in production and on a shared store (every node
    must sign sessions, CSRF and resumption tokens with the same key), else kept in the data
    directory."""
    if app.config.get("SECRET_KEY"):
        return
    if shared_store(app):
        raise ConfigurationError(
            "SECRET_KEY is not set: DATABASE_URL names a PostgreSQL store that several web nodes may share, "
            "and every node must sign sessions, CSRF tokens and OAI-PMH resumption tokens with the same key. "
            "Set CATALOGUE_SECRET_KEY, the same on each node (e.g. to the output of: "
            "python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if is_production(app):
        raise ConfigurationError(
            "SECRET_KEY is not set: refusing to start in production without it. Set CATALOGUE_SECRET_KEY "
            "(e.g. to the output of: python -c 'import secrets; print(secrets.token_hex(32))'), or set "
            "CATALOGUE_ENV=development to use a generated development key."
        )
    app.config["SECRET_KEY"] = development_key(Path(app.config["DATA"]))


def development_key(data_dir: Path) -> str:
    """A random key generated once into the data directory (readable by its owner only)."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = path.open("x", encoding="ascii")
    except FileExistsError:  # another process generated it meanwhile
        return path.read_text(encoding="ascii").strip()
    with fd:
        path.chmod(0o600)
        fd.write(key + "\n")
    return key
