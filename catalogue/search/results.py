"""What a search returns, independent of the engine behind it (the contract between the
index and the web, API and CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

#: Facets every search can count and filter on, in display order (``claims``: ``disagree``
#: for records whose sources name different statuses, see `catalogue.claims`).
FACETS = ("type", "status", "claims", "century", "place", "country", "source")
#: Accepted sort orders.
SORTS = ("relevance", "title", "modified", "-modified")
#: Facet values a search lists per facet, most frequent first (selected values are always
#: listed); a caller may ask for all of them (the statistics of a search do).
FACET_LIMIT = 50
#: What a result says when no record matched every word as typed (`SearchResult.relaxed`;
#: the search page shows these translated).
RELAXED_NOTICES = {
    "variants": "No record has every word as you typed it: showing records that match other spellings "
                "of your words.",
    "typos": "No record has every word as you typed it: showing records that match your words with a letter "
             "or two changed.",
    "some_words": "No record has all of your words: showing records that match some of your words.",
}


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
    """One value of a facet (what a filter names), its count, and (places) its label per language."""

    value: str
    count: int
    labels: dict[str, str] = field(default_factory=dict)


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
    #: None when every word matched as typed; else how the query was relaxed to find records:
    #: "variants" (other spellings), "typos" (a letter or two off) or "some_words" (not every word).
    relaxed: str | None = None
    #: How many of the `total` records have a geometry (the others are not on a map).
    mapped: int = 0
    #: The area (`catalogue.geo.BBox`) the search was limited to, if any.
    area: Any = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
