"""One page of hits: ranked by relevance from the fast path's scores, sorted by title or date
from per-version sort keys, or (for a query only Whoosh can answer) from Whoosh itself.

The index keeps no copy of the records: a page's records are read from the store in one
batch (`Records`, the service's door) and their snippets cut from the store's text."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..precedence import give_way
from ._whoosh import wq
from .bitsets import from_bitset, members
from .facets import FacetSets
from .highlight import Marker, make_hit, query_terms
from .results import Hit
from .scoring import rank_key, top

#: The public records among some ids, by id (deleted and withheld ones left out).
Records = Callable[[Sequence[str]], Mapping[str, dict[str, Any]]]


def page_of_hits(searcher: Any, sets: FacetSets, q: wq.Query, matched: int, scores: Any, sort: str, page: int,
                 page_size: int, highlight: bool, records: Records) -> list[Hit]:
    """The hits of one page of the `matched` documents, in the `sort` order."""
    give_way()  # (to a staff request in this process: `catalogue.precedence`)
    if scores is not None and sort == "relevance":
        ranked = ranked_page(matched, scores, page, page_size)
    elif sort != "relevance":
        ranked = sorted_page(searcher, sets, matched, sort, page, page_size)
    else:
        allow = None if matched == sets.live else set(members(matched))
        ranked = whoosh_page(searcher, q, allow, sort, page, page_size)
    return hits(searcher, q, ranked, records, highlight)


def hits(searcher: Any, q: wq.Query, ranked: list[tuple[int, float]], records: Records,
         highlight: bool) -> list[Hit]:
    """Hits of (document number, score) pairs, their records read in one batch; a document
    whose record the store no longer shows (deleted or withheld since the index caught up)
    is left out."""
    ids = [searcher.stored_fields(n)["id"] for n, _ in ranked]
    found = records(ids) if ids else {}
    marker = Marker(query_terms(q, searcher.reader()) if highlight and found else set())
    return [make_hit(found[record_id], score, marker, highlight)
            for record_id, (_, score) in zip(ids, ranked, strict=True) if record_id in found]


def ranked_page(matched: int, scores: Any, page: int, page_size: int) -> list[tuple[int, float]]:
    """A page ranked by the fast path's scores (ties to the lower document number, as Whoosh)."""
    limit = page * page_size
    mask = from_bitset(matched, len(scores))
    docs = top(rank_key(scores), mask, limit)[(page - 1) * page_size:]
    return [(int(n), float(scores[n])) for n in docs]


def sorted_page(searcher: Any, sets: FacetSets, matched: int, sort: str, page: int,
                page_size: int) -> list[tuple[int, float]]:
    """A page ordered by title or date modified, from per-version sort keys, instead of
    Whoosh sorting every match in Python. Ties go by document number like Whoosh's sort,
    reversed with the order for newest first (the latest written document comes first)."""
    column = "title_sort" if sort == "title" else "modified"
    key = sets.sort_key(searcher.reader(), column)
    if sort == "-modified":
        key = -(key * max(sets.size, 1) + np.arange(len(key), dtype=np.int64))
    mask = from_bitset(matched, sets.size)
    docs = top(key, mask, page * page_size)[(page - 1) * page_size:]
    return [(int(n), 0.0) for n in docs]


def whoosh_page(searcher: Any, q: wq.Query, allow: set[int] | None, sort: str, page: int,
                page_size: int) -> list[tuple[int, float]]:
    """A page from Whoosh alone. Relevance scores every match (Whoosh 2.7.4's top-N collector
    misses better documents even unoptimised) and ranks them as the fast path does."""
    limit = page * page_size
    if sort == "relevance":
        results = searcher.search(q, limit=None, filter=allow, optimize=False)
        scores = np.array([hit.score or 0.0 for hit in results], dtype=np.float64)
        keys = rank_key(scores).tolist()
        ranked = sorted(zip(keys, (hit.docnum for hit in results), scores.tolist(), strict=True))
        return [(n, float(score or 0.0)) for _, n, score in ranked[(page - 1) * page_size: limit]]
    results = searcher.search(q, limit=limit, filter=allow, optimize=False,
                              sortedby="title_sort" if sort == "title" else "modified", reverse=sort == "-modified")
    return [(hit.docnum, 0.0) for hit in results[(page - 1) * page_size: limit]]
