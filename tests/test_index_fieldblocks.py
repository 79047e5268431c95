"""The field-at-once block writer (`catalogue.search.fieldblocks`) against the term-by-term
writer on postings the catalogue's records seldom give: weights that are not whole numbers,
blocks long enough to be compressed among short ones, field lengths missing from some
documents, and a term whose lengths Whoosh's writer fails on. `test_index_bulk.py` compares
the two on records."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import fields
from whoosh.filedb.filestore import FileStorage

from catalogue.search import fieldblocks, segments
from catalogue.search.codec import CompactCodec
from catalogue.search.occurrences import encode_count, encode_positions
from catalogue.search.segments import FieldPostings

#: The writer under test (the tests replace the module's name for the term-by-term one).
WRITE_TERMS = fieldblocks.write_terms
SCHEMA = fields.Schema(tag=fields.ID(), kind=fields.KEYWORD(scorable=True), body=fields.TEXT())


def terms_writer(fast: bool, written: list[int] | None = None) -> Callable[..., None]:
    """A `fieldblocks.write_terms` that writes a field's terms at once (`fast`, the module's own)
    or term by term (its `one_by_one`), noting how many in `written`."""

    def write_terms(fieldwriter: Any, keys: Any, *args: Any) -> None:
        if written is not None:
            written.append(len(keys))
        if fast:
            WRITE_TERMS(fieldwriter, keys, *args)
        else:
            for number in range(len(keys)):
                args[-1](number)

    return write_terms


def _pool(rng: random.Random, fieldname: str, docs: int, whole: bool) -> FieldPostings:
    """Postings of a few hundred terms over `docs` documents: most terms in one document or a
    few, some in most of them; weights whole or not; a TEXT field's positions as Whoosh encodes them."""
    fmt = SCHEMA[fieldname].format
    pool = FieldPostings()
    words = [f"w{n:03d}" for n in range(300)]
    for docnum in range(docs):
        chosen = sorted({rng.choice(words[:8]) for _ in range(3)} | {rng.choice(words) for _ in range(4)})
        counts = [rng.randint(1, 4) for _ in chosen]
        weights = [float(c) if whole else c * rng.choice([0.5, 1.25, 3.1]) for c in counts]
        if isinstance(fmt, fields.formats.Positions):
            values = [encode_positions(sorted(rng.sample(range(60), c))) for c in counts]
            weights = [float(c) for c in counts]
        elif isinstance(fmt, fields.formats.Frequency):
            values = [encode_count(c) for c in counts]
            weights = [float(c) for c in counts]
        else:
            values = []
        pool.add_items(docnum, chosen, weights, values)
    return pool


def _written(folder: Path, monkeypatch: pytest.MonkeyPatch, fast: bool, pools: dict[str, FieldPostings],
             lengths: np.ndarray | None, blocklimit: int) -> dict[str, bytes] | type[BaseException]:
    """The postings and terms files written from `pools`, or the kind of error writing them raised."""
    monkeypatch.setattr(fieldblocks, "write_terms", terms_writer(fast))
    folder.mkdir()
    storage = FileStorage(str(folder))
    codec = CompactCodec(blocklimit=blocklimit)
    fieldwriter = codec.field_writer(storage, codec.new_segment(storage, "t"))
    try:
        for fieldname in sorted(pools):
            fieldwriter.start_field(fieldname, SCHEMA[fieldname])
            segments._write_field(fieldwriter, pools[fieldname], lengths)
            fieldwriter.finish_field()
        fieldwriter.close()
    except Exception as error:  # (compared with the other writer's)
        fieldwriter._postfile.close()
        fieldwriter._tindex.dbfile.close()
        return type(error)
    return {path.suffix: path.read_bytes() for path in folder.iterdir()}


@pytest.mark.parametrize("blocklimit", [1024, 16])
@pytest.mark.parametrize("whole", [True, False])
def test_the_field_at_once_writer_writes_the_term_by_term_writers_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blocklimit: int, whole: bool) -> None:
    rng = random.Random(blocklimit + whole)
    docs = 700
    lengths = np.array([0 if n < 40 else rng.randint(1, 400) for n in range(docs)], dtype=np.int64)
    for with_lengths in (lengths, None):
        pools = {name: _pool(random.Random(name), name, docs, whole) for name in SCHEMA.names()}
        name = f"{blocklimit}-{whole}-{with_lengths is None}"
        slow = _written(tmp_path / f"slow-{name}", monkeypatch, False, pools, with_lengths, blocklimit)
        pools = {name: _pool(random.Random(name), name, docs, whole) for name in SCHEMA.names()}
        fast = _written(tmp_path / f"fast-{name}", monkeypatch, True, pools, with_lengths, blocklimit)
        assert isinstance(slow, dict) and set(slow) == {".pst", ".trm"}
        assert fast == slow
        assert b"x\x9c" in slow[".pst"] or b"x^" in slow[".pst"]  # (some blocks compressed)


def test_a_term_whose_lengths_whoosh_fails_on_fails_as_in_whoosh(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lengths in a term's first block and none in a later one: Whoosh's writer fails on the
    term (its statistics take the minimum of a length and None); so does the fast one, after
    writing the terms before it, rather than give it other statistics."""
    docs = 40
    lengths = np.array([5 if n < 20 else 0 for n in range(docs)], dtype=np.int64)
    results = []
    for fast in (False, True):
        pool = FieldPostings()
        for docnum in range(docs):
            pool.add_items(docnum, ["a", "common"] if docnum == 0 else ["common"], [1.0] * (2 - bool(docnum)), [])
        results.append(_written(tmp_path / f"{fast}", monkeypatch, fast, {"tag": pool}, lengths, 16))
    assert results[0] is TypeError and results[1] is TypeError
