"""The front page: a search box, collection counts and recent changes."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import get_catalogue

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    catalogue = get_catalogue()
    return render_template("home.html", counts=catalogue.counts(), recent=catalogue.recent_changes(10))
