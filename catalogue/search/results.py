"""What a search returns, independent of the engine behind it (the contract between the
index and the web, API and CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

#: Facets every search can count and filter on, in display order.
FACETS = ("type", "status", "century", "place", "country", "source")
#: Accepted sort orders.
SORTS = ("relevance", "title", "modified", "-modified")
#: Facet values a search lists per facet, most frequent first (selected values are always
#: listed); a caller may ask for all of them (the statistics of a search do).
FACET_LIMIT = 50


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
