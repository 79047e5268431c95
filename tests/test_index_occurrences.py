"""An analysed field's words kept as occurrences (`catalogue.search.occurrences`) give the pool
the postings, weights and Whoosh values that grouping each document's words gave, alone or
beside postings that come another way (a merged segment's, after the new documents)."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from catalogue.search._whoosh import formats
from catalogue.search.occurrences import frequency_token_items, positional_items
from catalogue.search.segments import FieldPostings


def _documents() -> list[list[str]]:
    """Sequences of terms with repeats, dropped words ("") and one longer than the position table."""
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(40)] + ["é", "😀", ""]
    docs = [[rng.choice(vocabulary) for _ in range(rng.randint(1, 60))] for _ in range(30)]
    docs.append([rng.choice(vocabulary) for _ in range(5000)])
    docs.append(["", "w1", "", "w1"])
    return docs


def _grouped(pool: FieldPostings) -> dict[bytes, list[tuple[int, float, Any]]]:
    """Each term's postings as (document, weight, value bytes or None)."""
    keys, ids, weights, starts, values = pool.by_term()
    found = values.tolist() if values is not None else [None] * len(ids)
    return {key: [(int(ids[p]), float(weights[p]), found[p]) for p in range(starts[i], starts[i + 1])]
            for i, key in enumerate(keys)}


@pytest.mark.parametrize("positional", [True, False])
def test_occurrences_give_the_postings_of_each_documents_grouped_words(positional: bool) -> None:
    items = positional_items if positional else frequency_token_items
    kept, grouped = FieldPostings(), FieldPostings()
    for docnum, sequence in enumerate(_documents()):
        terms, weights, values, length = items(sequence)
        grouped.add_items(docnum, terms, weights, values)
        assert kept.add_sequence(docnum, sequence, positional) == length
    assert kept.occurrences is not None and not kept.ids  # (grouped only when written)
    expected = _grouped(grouped)
    assert _grouped(kept) == expected
    fmt = formats.Positions() if positional else formats.Frequency()
    for key, postings in expected.items():  # (the values Whoosh's own format writes)
        docs = [doc for doc in _documents() if key.decode() in doc]
        assert [fmt.decode_as("positions" if positional else "frequency", value) for *_, value in postings] == \
            [[pos for pos, term in enumerate(doc) if term == key.decode()] if positional else doc.count(key.decode())
             for doc in docs]


@pytest.mark.parametrize("positional", [True, False])
def test_postings_of_another_kind_after_occurrences_keep_every_posting_in_document_order(positional: bool) -> None:
    """A merge adds a segment's postings after the new documents: the occurrences become
    postings first; and a field that had other postings first groups each document's words."""
    items = positional_items if positional else frequency_token_items
    docs = _documents()
    kept, grouped = FieldPostings(), FieldPostings()
    for docnum, sequence in enumerate(docs[:10]):
        grouped.add_items(docnum, *items(sequence)[:3])
        kept.add_sequence(docnum, sequence, positional)
    merged_ids = np.array([10, 12], dtype=np.int64)
    for pool in (kept, grouped):
        value = positional_items(["w1"])[2] * 2 if positional else frequency_token_items(["w1"])[2] * 2
        pool.add_term(b"w1", merged_ids, np.array([1.0, 1.0], dtype=np.float32), value)
        pool.add_term("😀".encode(), np.array([11], dtype=np.int64), np.array([1.0], dtype=np.float32), value[:1])
    assert kept.occurrences is None
    for docnum, sequence in enumerate(docs[13:20], start=13):  # (after bytes keys: grouped per document)
        grouped.add_items(docnum, *items(sequence)[:3])
        kept.add_sequence(docnum, sequence, positional)
    assert kept.occurrences is None
    assert _grouped(kept) == _grouped(grouped)
    for postings in _grouped(kept).values():
        assert [doc for doc, *_ in postings] == sorted(doc for doc, *_ in postings)
