"""English counts for the command line and the run logs, which are in English: "1 record",
"3 records" (the web words its counts through gettext's plural forms instead)."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """`count` with its noun, singular for exactly one: ``counted(1, "record")`` is "1 record"."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
