"""The bounds of one search (query length, typo tolerance, expansions, time), read from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from .. import config
from ..errors import CatalogueError


@dataclass(frozen=True)
class SearchLimits:
    """What one search may cost, whatever door it comes through (the ``SEARCH_*`` settings).

    Typo tolerance, prefix and range expansion and long queries are where a few characters
    can ask for seconds of work; these bounds keep every search short.
    """

    max_query_length: int = config.SEARCH_MAX_QUERY_LENGTH
    max_edit_distance: int = config.SEARCH_MAX_EDIT_DISTANCE
    max_fuzzy_word_length: int = config.SEARCH_MAX_FUZZY_WORD_LENGTH
    max_fuzzy_terms: int = config.SEARCH_MAX_FUZZY_TERMS
    max_expansion_terms: int = config.SEARCH_MAX_EXPANSION_TERMS
    time_budget_ms: int = config.SEARCH_TIME_BUDGET_MS
    #: Not a bound of one search but of all a process's: its cache of decoded postings.
    cache_mb: int = config.SEARCH_CACHE_MB

    #: (smallest, largest) accepted value of each limit.
    RANGES: ClassVar[dict[str, tuple[int, int]]] = {"max_edit_distance": (0, 2), "max_fuzzy_terms": (0, 1000)}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> SearchLimits:
        """The limits of an app's settings (``SEARCH_MAX_QUERY_LENGTH`` ...); CatalogueError
        naming the setting when one is not a whole number in its range."""
        values = {}
        for item in fields(cls):
            low, high = cls.RANGES.get(item.name, (1, 10**9))
            values[item.name] = whole_setting(settings, f"SEARCH_{item.name.upper()}", item.default, low, high)
        return cls(**values)


def whole_setting(settings: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    """A setting that is a whole number from `low` to `high` (given as a number or as digits,
    e.g. from the environment); CatalogueError naming the setting otherwise."""
    raw = settings.get(name, default)
    number = raw if isinstance(raw, int) and not isinstance(raw, bool) else \
        int(raw) if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() else None
    if number is None or not low <= number <= high:
        raise CatalogueError(f"the setting {name} must be a whole number from {low} to {high}, not {str(raw)[:50]!r}")
    return number


def query_too_long(query: str, limits: SearchLimits) -> bool:
    """True when a query typed into any door is longer than the limit (it is refused)."""
    return len(query.strip()) > limits.max_query_length
