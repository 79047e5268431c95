"""Blueprints, one per area of the site."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every blueprint."""
    from . import home

    app.register_blueprint(home.bp)
