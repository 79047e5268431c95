"""Glue between Flask and the catalogue: one `Catalogue` per app, blueprints and CLI."""

from __future__ import annotations

from flask import Flask, current_app

from ..search import SearchLimits
from ..service import Catalogue


def get_catalogue() -> Catalogue:
    """The catalogue of the current app (opened once, shared by its threads)."""
    catalogue = current_app.extensions.get("catalogue")
    if catalogue is None:
        catalogue = current_app.extensions["catalogue"] = Catalogue(
            current_app.config["DATA"], search_limits=search_limits())
    return catalogue


def search_limits() -> SearchLimits:
    """What one search of the current app may cost (its ``SEARCH_*`` settings)."""
    return current_app.extensions["search_limits"]


def init_app(app: Flask) -> None:
    """Register blueprints and command-line commands on the app."""
    from ..cli import init_app as init_cli
    from . import admin, api, api_write, auth, edit, export, home, oai, records, search, stats

    # read (and checked) at start-up: a bad setting is one clear line, not a failed search later
    app.extensions["search_limits"] = SearchLimits.from_config(app.config)
    init_cli(app)
    for module in (home, search, records, stats, api, api_write, auth, edit, admin, oai, export):
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
        app.register_blueprint(module.bp)
