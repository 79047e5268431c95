"""Placeholder blueprint 'export' (to be filled by its area's work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("export", __name__)
