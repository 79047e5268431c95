"""Placeholder: 'search' commands (to be filled by its area's work)."""

from __future__ import annotations

from flask.cli import AppGroup


def register(cli: AppGroup) -> None:
    """Add the search commands to `cli`."""
