"""Placeholder: 'users' commands (to be filled by its area's work)."""

from __future__ import annotations

from flask.cli import AppGroup


def register(cli: AppGroup) -> None:
    """Add the users commands to `cli`."""
