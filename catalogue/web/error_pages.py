"""Error pages: an HTML page with a heading and a way back for the site, RFC 9457 problem
details under ``/api/``, for every HTTP error, an unknown record and a search that must wait
for its index to be rebuilt."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from ..errors import NotFound, SearchUnavailable, StorageFull
from .i18n import gettext, lazy_gettext
from .problems import problem
from .site import bdi

#: Page titles of the HTTP errors a researcher may meet, translated.
_ERROR_TITLES = {
    400: lazy_gettext("Bad request"),
    401: lazy_gettext("Not signed in"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Method not allowed"),
    409: lazy_gettext("Conflict"),
    410: lazy_gettext("Deleted"),
    413: lazy_gettext("Request too large"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Server error"),
    503: lazy_gettext("Service unavailable"),
}

#: What an HTTP error means, for the pages whose view gave no reason (werkzeug's English
#: defaults: an unknown address, a crash, a plain ``abort(404)``).
_ERROR_TEXTS = {
    400: lazy_gettext("The request could not be understood."),
    401: lazy_gettext("Sign in to see this page."),
    403: lazy_gettext("You may not see this page."),
    404: lazy_gettext("There is no page at this address. Check the address, or search the catalogue."),
    405: lazy_gettext("This address does not take that kind of request."),
    410: lazy_gettext("What was here has been removed."),
    413: lazy_gettext("The request is larger than the server accepts."),
    429: lazy_gettext("Too many requests in a short time. Wait a minute, then try again."),
    500: lazy_gettext("Something went wrong on the server. Try again later; if it keeps happening, "
                      "tell the catalogue's administrators."),
}

#: "Not found" messages by the kind of thing looked for (`errors.NotFound.what`).
_NOT_FOUND = {
    "record": lazy_gettext("No record with id %(id)s."),
    "revision": lazy_gettext("The record %(id)s has no revision %(revision)s."),
    "user": lazy_gettext("No user named %(name)s."),
    "source": lazy_gettext("No harvest source named %(name)s."),
    "pending": lazy_gettext("No pending change %(id)s."),
    "place": lazy_gettext("No place with id %(id)s."),
}


def not_found_text(error: NotFound) -> Markup:
    """The message of `error` in the UI language (its English text for a kind not listed),
    the identifiers it names isolated as data (``<bdi>``)."""
    template = _NOT_FOUND.get(error.what)
    if template is None:
        return Markup.escape(str(error))
    return Markup.escape(str(template)) % {key: bdi(repr(value)) if isinstance(value, str) else value
                                           for key, value in error.key.items()}


def error_page(status: int, title: str, detail: str) -> tuple[str, int]:
    """An HTML error page with a heading and a way back."""
    return render_template("error.html", status=status, title=title, detail=detail), status


def http_error(error: HTTPException) -> Any:
    """The page (or problem details) of an HTTP error, keeping its headers."""
    status = error.code or 500
    if request.path.startswith("/api/"):
        response = problem(status, error.name, error.description or "")
    else:
        title = str(_ERROR_TITLES.get(status, error.name))
        detail = error.description or ""
        if detail == type(error).description and status in _ERROR_TEXTS:  # werkzeug's own English text
            detail = str(_ERROR_TEXTS[status])
        response = make_response(error_page(status, title, detail))
    for name, value in error.get_headers():  # Allow of a 405, WWW-Authenticate, Retry-After
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def not_found(error: NotFound) -> Any:
    """404 for an identifier no record (or user, source, run) has."""
    if request.path.startswith("/api/"):
        return problem(404, "Not Found", str(error))
    return error_page(404, gettext("Not found"), not_found_text(error))


def search_unavailable(error: SearchUnavailable) -> Any:
    """503 with Retry-After while the search index is rebuilt from the store: searches (and
    exports of a search) wait; every other page works meanwhile."""
    detail = gettext("The search index is being rebuilt from the catalogue; try again in a minute. "
                     "Records, their history, OAI-PMH and exports of the whole collection work meanwhile.")
    if request.path.startswith("/api/"):
        response = problem(503, "Search is being rebuilt", detail, retry_after=error.retry_after)
    else:
        response = make_response(error_page(503, gettext("Search is being rebuilt"), detail))
    response.headers["Retry-After"] = str(error.retry_after)
    return response


def storage_full(error: StorageFull) -> Any:
    """503 when the disk holding the catalogue is full: the change was not stored (reading
    goes on); the message says to free space."""
    detail = gettext("The catalogue cannot store changes: the disk holding it is full. Nothing was saved; "
                     "try again once space has been freed.")
    if request.path.startswith("/api/"):
        response = problem(503, "Storage full", detail)
    else:
        response = make_response(error_page(503, gettext("The catalogue's disk is full"), detail))
    response.headers["Retry-After"] = "60"
    return response
