"""Everything Flask: one blueprint module per area of the site (pages, API, OAI-PMH,
exports, admin), forms, i18n, security headers, error pages, the OpenAPI description,
templates, static files and translations. `catalogue.create_app` wires them together;
every view reads and writes through the app's `Catalogue`."""

from __future__ import annotations

from flask import current_app

from ..search import SearchLimits
from ..service import SHARED_KEY, Catalogue, shared


def get_catalogue() -> Catalogue:
    """The catalogue of the current app (opened once, shared by its threads and by the
    commands run as `flask --app catalogue COMMAND`). Serving, its search index follows the
    store in the background (`Catalogue.open_index`): a save never waits long for search."""
    catalogue = shared(current_app.extensions, current_app.config)
    catalogue.open_index()
    return catalogue


def idle(_error: BaseException | None = None) -> None:
    """After each request: the thread's store connection goes back to the pool (PostgreSQL),
    so a node's idle threads hold no database connection."""
    catalogue = current_app.extensions.get(SHARED_KEY)
    if catalogue is not None:
        catalogue.idle()


def search_limits() -> SearchLimits:
    """What one search of the current app may cost (its ``SEARCH_*`` settings, read and
    checked by `create_app`)."""
    return current_app.extensions["search_limits"]
