"""Blueprints, one per area of the site; each module owns its routes."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every blueprint and the app-wide hooks of the areas that need them."""
    from . import admin, api, api_write, auth, edit, export, home, oai, records, search, stats

    for module in (home, search, records, stats, api, api_write, auth, edit, admin, oai, export):
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
        app.register_blueprint(module.bp)
