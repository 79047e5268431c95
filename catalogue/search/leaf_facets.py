"""The facet terms of one segment, read from its postings once: what each index version's
facet sets (`catalogue.search.facets`) are built or patched from.

A segment's postings never change, only its deletions, so its facet terms are kept as
postings ordered by document (compact arrays, not a bitset per value): an edit finds the
values of the documents it deleted by binary search, and a value's bitset is made only when
a version's sets are built from scratch or the segment is new."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .bitsets import to_bitset
from .blocks import read_postings
from .documents import FACET_FIELDS
from .scoring import Leaf, Postings


@dataclass(frozen=True)
class FacetTerms:
    """One facet's terms in one segment and their postings ordered by document, then term
    (`doc`, with the index in `terms` of each one's term in `term`)."""

    terms: list[str]
    doc: np.ndarray
    term: np.ndarray

    @classmethod
    def of(cls, terms: list[str], docs: list[np.ndarray]) -> FacetTerms:
        """The facet from each term's documents (`docs`, in the order of `terms`)."""
        if not docs:
            return cls(terms, np.zeros(0, np.int32), np.zeros(0, np.int32))
        owner = np.concatenate([np.full(len(d), i, dtype=np.int32) for i, d in enumerate(docs)])
        flat = np.concatenate(docs).astype(np.int32)
        order = np.lexsort((owner, flat))
        return cls(terms, flat[order], owner[order])

    def bits(self) -> dict[str, int]:
        """Each term's documents as a bitset of the segment's own document numbers."""
        order = np.argsort(self.term, kind="stable")
        docs = self.doc[order]
        bounds = np.searchsorted(self.term[order], np.arange(len(self.terms) + 1))
        return {term: to_bitset(np.bincount(docs[a:b]).astype(bool)) if b > a else 0
                for term, a, b in zip(self.terms, bounds[:-1], bounds[1:], strict=True)}

    def postings_of(self, docs: np.ndarray) -> np.ndarray:
        """Where the postings of `docs` (document numbers of the segment, ascending) are."""
        docs = docs.astype(self.doc.dtype, copy=False)  # (else numpy converts all of `self.doc` per search)
        start = np.searchsorted(self.doc, docs, "left")
        lengths = np.searchsorted(self.doc, docs, "right") - start
        return np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())

    def holding(self, docs: np.ndarray) -> list[str]:
        """The terms that some of `docs` (document numbers of the segment) have."""
        return [self.terms[i] for i in np.unique(self.term[self.postings_of(docs)]).tolist()]


@dataclass(frozen=True)
class LeafFacets:
    """The facet terms of one segment (deletions not applied), with the pairs of place terms
    its documents give together: where the next place posting is of the same document
    (`pair_at`), and the distinct pairs of terms found there with how many documents give each."""

    facets: dict[str, FacetTerms]
    pair_at: np.ndarray
    pair_counts: dict[tuple[int, int], int]

    @property
    def places(self) -> list[str]:
        return self.facets["place"].terms

    def nbytes(self) -> int:
        arrays = sum(f.doc.nbytes + f.term.nbytes + 60 * len(f.terms) for f in self.facets.values())
        return arrays + self.pair_at.nbytes + 100 * len(self.pair_counts)

    def counts(self, live: np.ndarray) -> dict[str, int]:
        """Each place term's live documents in this segment."""
        place = self.facets["place"]
        found = np.bincount(place.term[live[place.doc]], minlength=len(place.terms))
        return dict(zip(place.terms, found.tolist(), strict=True))

    def pairs(self, live: np.ndarray) -> Iterator[tuple[str, str]]:
        """The pairs of place terms that some live document of this segment gives together."""
        place, counts = self.facets["place"], self.pair_counts
        dead = ~live[place.doc[self.pair_at]]
        if dead.any():  # the pairs of deleted documents taken away
            counts = dict(counts)
            for pair, n in _pair_counts(place.term, self.pair_at[dead], len(place.terms)).items():
                counts[pair] -= n
        return ((place.terms[a], place.terms[b]) for (a, b), n in counts.items() if n > 0)


def _pair_counts(place_term: np.ndarray, at: np.ndarray, n_terms: int) -> dict[tuple[int, int], int]:
    """The distinct pairs (term at `at`, term after it) of a segment's place postings, with
    how many times each is found there."""
    keys, found = np.unique(place_term[at].astype(np.int64) * n_terms + place_term[at + 1], return_counts=True)
    return {divmod(int(key), n_terms): int(n) for key, n in zip(keys, found, strict=True)}


def leaf_facets(postings: Postings, leaf: Leaf) -> LeafFacets:
    """The facet terms of a segment, read from its postings once and kept in the posting cache
    (and by the facet sets made from it, `catalogue.search.facets.FacetSets.leaf_facets`)."""
    key = ("facets", leaf.key)
    found = postings.cache.get(key)
    if found is None:
        facets = {}
        for name, fieldname in FACET_FIELDS.items():
            terms: list[str] = []
            docs: list[np.ndarray] = []
            if fieldname in leaf.reader.schema:  # (not in an index built before this facet existed)
                for term in leaf.reader.lexicon(fieldname):
                    terms.append(term.decode("utf-8"))
                    docs.append(read_postings(leaf.reader, fieldname, term)[0])  # (kept here, not in the cache too)
            facets[name] = FacetTerms.of(terms, docs)
        place = facets["place"]
        pair_at = np.flatnonzero(place.doc[1:] == place.doc[:-1])
        found = LeafFacets(facets, pair_at, _pair_counts(place.term, pair_at, len(place.terms)))
        postings.cache.put(key, found, found.nbytes())
    return found
