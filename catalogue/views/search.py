"""Placeholder blueprint 'search' (to be filled by its area's work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("search", __name__)
