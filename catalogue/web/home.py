"""The front page (a search box, collection counts and recent changes); its `init_app`
installs the site-wide pieces every page needs (see `site.py`)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

from . import get_catalogue, site

bp = Blueprint("home", __name__)


def init_app(app: Flask) -> None:
    site.init_app(app)


@bp.get("/")
def index() -> str:
    catalogue = get_catalogue()
    return render_template("home.html", counts=catalogue.store.counts(), recent=catalogue.store.recent_changes(10))
