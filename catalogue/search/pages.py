"""One page of hits: ranked by relevance from the fast path's scores, sorted by title or date
from per-version sort keys, or (for a query only Whoosh can answer) from Whoosh itself."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._whoosh import wq
from .facets import FacetSets, from_bitset, members
from .highlight import make_hit, query_terms
from .results import Hit
from .scoring import rank_key, top


def page_of_hits(searcher: Any, sets: FacetSets, q: wq.Query, matched: int, scores: Any, sort: str, page: int,
                 page_size: int, highlight: bool) -> list[Hit]:
    """The hits of one page of the `matched` documents, in the `sort` order."""
    if scores is not None and sort == "relevance":
        return ranked_page(searcher, q, matched, scores, page, page_size, highlight)
    if sort != "relevance":
        return sorted_page(searcher, sets, q, matched, sort, page, page_size, highlight)
    allow = None if matched == sets.live else set(members(matched))
    return whoosh_page(searcher, q, allow, sort, page, page_size, highlight)


def ranked_page(searcher: Any, q: wq.Query, matched: int, scores: Any, page: int, page_size: int,
                highlight: bool) -> list[Hit]:
    """A page ranked by the fast path's scores (ties to the lower document number, as Whoosh)."""
    limit = page * page_size
    mask = from_bitset(matched, len(scores))
    docs = top(rank_key(scores), mask, limit)[(page - 1) * page_size:]
    terms = query_terms(q, searcher.reader()) if highlight else set()
    return [make_hit(searcher.stored_fields(int(n))["data"], float(scores[n]), terms, highlight) for n in docs]


def sorted_page(searcher: Any, sets: FacetSets, q: wq.Query, matched: int, sort: str, page: int,
                page_size: int, highlight: bool) -> list[Hit]:
    """A page ordered by title or date modified, from per-version sort keys, instead of
    Whoosh sorting every match in Python. Ties go by document number like Whoosh's sort,
    reversed with the order for newest first (the latest written document comes first)."""
    column = "title_sort" if sort == "title" else "modified"
    key = sets.sort_key(searcher.reader(), column)
    if sort == "-modified":
        key = -(key * max(sets.size, 1) + np.arange(len(key), dtype=np.int64))
    mask = from_bitset(matched, sets.size)
    docs = top(key, mask, page * page_size)[(page - 1) * page_size:]
    terms = query_terms(q, searcher.reader()) if highlight else set()
    return [make_hit(searcher.stored_fields(int(n))["data"], 0.0, terms, highlight) for n in docs]


def whoosh_page(searcher: Any, q: wq.Query, allow: set[int] | None, sort: str, page: int, page_size: int,
                highlight: bool) -> list[Hit]:
    """A page from Whoosh alone. Relevance scores every match (Whoosh 2.7.4's top-N collector
    misses better documents even unoptimised) and ranks them as the fast path does."""
    limit = page * page_size
    terms = query_terms(q, searcher.reader()) if highlight else set()
    if sort == "relevance":
        results = searcher.search(q, limit=None, filter=allow, optimize=False)
        scores = np.array([hit.score or 0.0 for hit in results], dtype=np.float64)
        keys = rank_key(scores).tolist()
        ranked = sorted(zip(keys, (hit.docnum for hit in results), scores.tolist(), strict=True))
        return [make_hit(searcher.stored_fields(n)["data"], float(score or 0.0), terms, highlight)
                for _, n, score in ranked[(page - 1) * page_size: limit]]
    results = searcher.search(q, limit=limit, filter=allow, optimize=False,
                              sortedby="title_sort" if sort == "title" else "modified", reverse=sort == "-modified")
    return [make_hit(hit["data"], 0.0, terms, highlight) for hit in results[(page - 1) * page_size: limit]]
