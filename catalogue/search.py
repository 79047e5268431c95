"""What a search returns, independent of the engine behind it (the contract between the
index and the web, API and CLI)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from markupsafe import Markup

from . import config
from .errors import CatalogueError

#: Facets every search can count and filter on, in display order.
FACETS = ("type", "status", "century", "place", "source")
#: Accepted sort orders.
SORTS = ("relevance", "title", "modified", "-modified")
#: Facet values a search lists per facet, most frequent first (selected values are always
#: listed); a caller may ask for all of them (the statistics of a search do).
FACET_LIMIT = 50


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

    #: (smallest, largest) accepted value of each limit.
    RANGES: ClassVar[dict[str, tuple[int, int]]] = {"max_edit_distance": (0, 2), "max_fuzzy_terms": (0, 1000)}

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> SearchLimits:
        """The limits of an app's settings (``SEARCH_MAX_QUERY_LENGTH`` ...); CatalogueError
        naming the setting when one is not a whole number in its range."""
        values = {}
        for item in fields(cls):
            name = f"SEARCH_{item.name.upper()}"
            raw = settings.get(name, item.default)
            low, high = cls.RANGES.get(item.name, (1, 10**9))
            number = raw if isinstance(raw, int) and not isinstance(raw, bool) else \
                int(raw) if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() else None
            if number is None or not low <= number <= high:
                raise CatalogueError(f"the setting {name} must be a whole number from {low} to {high}, "
                                     f"not {str(raw)[:50]!r}")
            values[item.name] = number
        return cls(**values)


def query_too_long(query: str, limits: SearchLimits) -> bool:
    """True when a query typed into any door is longer than the limit (it is refused)."""
    return len(query.strip()) > limits.max_query_length


@dataclass
class Hit:
    """One matching record."""

    id: str
    title: str
    score: float
    record: dict[str, Any]
    #: Escaped HTML with the matched terms in <mark>; never raw record text.
    snippet: Markup = field(default_factory=Markup)


@dataclass
class FacetValue:
    value: str
    count: int


@dataclass
class SearchResult:
    """A page of hits with facet counts over the whole result set."""

    query: str
    total: int
    page: int
    page_size: int
    sort: str = "relevance"
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    filters: dict[str, list[str]] = field(default_factory=dict)
    #: A "did you mean" query, when the search found few hits.
    suggestion: str | None = None
    #: A message when the query could not be read as written (it was searched as plain text).
    notice: str | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
