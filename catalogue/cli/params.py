"""Argument types of the command line that read text as people and scripts write it."""

from __future__ import annotations

from typing import Any

import click


class WholeNumber(click.IntRange):
    """A whole number written in ASCII digits, within `min`..`max` when given. Python's `int`
    also reads other scripts' digits ("３", "٣"), which a store id or revision never has:
    such an argument is refused with the usual message rather than read as another number."""

    name = "whole number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not (value.strip().lstrip("+-").isascii()):
            self.fail(f"{value!r} is not a whole number written in the digits 0-9.", param, ctx)
        return super().convert(value, param, ctx)
