"""Placeholder blueprint 'api_write' (to be filled by its area's work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_write", __name__)
