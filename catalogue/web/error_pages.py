"""Error pages: an HTML page with a heading and a way back for the site, RFC 9457 problem
details under ``/api/``, for every HTTP error, an unknown record and a search that must wait
for its index to be rebuilt."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from ..errors import NotFound, SearchUnavailable, StorageFull
from .problems import problem

#: Page titles of the HTTP errors a researcher may meet, translated.
_ERROR_TITLES = {
    400: lazy_gettext("Bad request"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not found"),
    405: lazy_gettext("Method not allowed"),
    410: lazy_gettext("Deleted"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Server error"),
    503: lazy_gettext("Service unavailable"),
}


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
        response = make_response(error_page(status, title, error.description or ""))
    for name, value in error.get_headers():  # Allow of a 405, WWW-Authenticate, Retry-After
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def not_found(error: NotFound) -> Any:
    """404 for an identifier no record (or user, source, run) has."""
    if request.path.startswith("/api/"):
        return problem(404, "Not Found", str(error))
    return error_page(404, gettext("Not found"), str(error))


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
