"""Signing in and out, and the app-wide protections that come with accounts: the user of
each request (`g.user`), CSRF checks on every form POST and the sign-in throttle (per
client address and per account, kept in the store)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_wtf.csrf import CSRFError, CSRFProtect

from .. import auth
from ..web import get_catalogue
from .site import english, sentence

bp = Blueprint("auth", __name__)
THROTTLE = "catalogue.login_throttle"


def init_app(app: Flask) -> None:
    """CSRF protection (except OAI-PMH and the token API), the sign-in throttle (its
    settings checked now) and the `g.user` hook (the SECRET_KEY policy is applied by
    `create_app`)."""
    from . import api_write, oai

    csrf = CSRFProtect(app)
    csrf.exempt(oai.bp)
    csrf.exempt(api_write.bp)
    app.extensions[THROTTLE] = auth.Throttle.from_config(app.config)
    app.before_request(_load_user)
    app.register_error_handler(CSRFError, _csrf_failed)


def _load_user() -> None:
    g.user = None
    if request.endpoint == "static" or "user" not in session:
        return
    g.user = auth.load_user(get_catalogue())


def _csrf_failed(error: CSRFError) -> Any:
    message = sentence(gettext("The form could not be accepted: it expired or did not come from this site "
                               "(%(reason)s). Go back, reload the page and submit it again."),
                       reason=english(error.description or ""))
    return render_template("auth/problem.html", title=gettext("Form not accepted"), message=message), 400


def _too_many(error: auth.TooManyAttempts, name: str, target: str) -> Any:
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
    target = auth.safe_next(request.values.get("next")) or ""
    if request.method == "GET":
        return render_template("auth/login.html", name="", next=target, error=None)
    name = request.form.get("name", "").strip()
    try:
        user = auth.sign_in(get_catalogue(), name, request.form.get("password", ""), request.remote_addr or "",
                            current_app.extensions[THROTTLE])
    except auth.TooManyAttempts as error:
        return _too_many(error, name, target)
    if user is None:
        return render_template("auth/login.html", name=name, next=target,
                               error=gettext("Wrong name or password (or the account is disabled).")), 401
    auth.start_session(user)
    return redirect(target or url_for("home.index"), code=303)


@bp.post("/logout")
def logout() -> Any:
    """End the session here and every other session of the same user (server-side)."""
    user = g.get("user")
    if user is not None:
        auth.end_sessions(get_catalogue(), user.name)
    session.clear()
    return redirect(url_for("home.index"), code=303)
