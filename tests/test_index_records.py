"""The index keeps no copy of the records (issue 18): a page of hits reads its records from
the store in one batch, deleted and withheld ones left out, and an index written when each
document carried its record's JSON still answers, takes writes and area searches."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from catalogue.geo import parse_bbox
from catalogue.search import _whoosh as whoosh
from catalogue.search import documents, generations, writing
from catalogue.service import Catalogue

SOURCES = [{"id": "s1", "citation": "A published survey."}]
#: A triangle whose box covers (44..46, 40..42); its north-west corner is outside the shape.
TRIANGLE = {"type": "Polygon", "coordinates": [[[44, 40], [46, 40], [46, 42], [44, 40]]]}
#: Inside the triangle's box but outside its shape.
CORNER = "44.1,41.5,44.5,41.9"


def record(record_id: str, description: str = "", geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    place = {"name": "Town", **({"geometry": geometry} if geometry else {})}
    return {"id": record_id, "type": "site", "title": f"Caravanserai {record_id}", "sources": SOURCES,
            "place": place, "description": description}


def stored_fields(catalogue: Catalogue) -> list[dict[str, Any]]:
    """Every live document's stored fields."""
    reader = generations.open_index(catalogue.index.live()).reader()
    try:
        return [fields for _, fields in reader.iter_docs()]
    finally:
        reader.close()


def ids(catalogue: Catalogue, query: str = "", box: str | None = None) -> set[str]:
    area = parse_bbox(box) if box else None
    return {h.id for h in catalogue.search(query, area=area, page_size=100).hits}


def test_the_index_stores_ids_and_shapes_only_and_hits_come_from_the_store(catalogue: Catalogue) -> None:
    catalogue.create(record("a", "A domed <b>caravanserai</b> on the silk road.",
                            {"type": "Point", "coordinates": [45, 41]}))
    catalogue.create(record("b", "Ruins of a bath house.", TRIANGLE))
    fields = {f["id"]: f for f in stored_fields(catalogue)}
    assert set(fields["a"]) == {"id"}  # a point is its own box: nothing but the id
    assert set(fields["b"]) == {"id", "shape"}
    assert json.loads(zlib.decompress(fields["b"]["shape"])) == TRIANGLE
    assert "data" not in generations.open_index(catalogue.index.live()).schema.names()
    hit = catalogue.search("silk").hits[0]
    assert hit.record == catalogue.get("a") and hit.title == "Caravanserai a"
    assert str(hit.snippet) == "A domed &lt;b&gt;caravanserai&lt;/b&gt; on the <mark>silk</mark> road."
    assert ids(catalogue, box=CORNER) == set() and ids(catalogue, box="45.5,40.2,45.9,40.4") == {"b"}


def test_public_records_leaves_out_deleted_withheld_and_unknown_ids(catalogue: Catalogue) -> None:
    for name in "abcd":
        catalogue.create(record(name))
    catalogue.delete("b", reason="duplicate")
    catalogue.withhold("c", 1, reason="a private owner's address")
    found = catalogue.public_records(["d", "a", "b", "c", "nope", "a"])
    assert set(found) == {"a", "d"} and found["a"] == catalogue.get("a")


def test_a_page_leaves_out_a_record_hidden_since_the_index_caught_up(catalogue: Catalogue) -> None:
    """The store changed behind the index's back (a write another process has not indexed
    yet): the page shows the store's current record and never a withheld or deleted one."""
    for name in "abc":
        catalogue.create(record(name, "stone caravanserai"))
    catalogue.store.set_withheld("a", 1, True, reason="private", user="admin")
    edited = dict(catalogue.get("b"), description="stone caravanserai, its roof rebuilt")
    catalogue.store.write("b", {k: v for k, v in edited.items() if k not in ("created", "modified", "revision")},
                          action="update", base_revision=1, user="u", message="", origin="manual")
    options = {"filters": {}, "sort": "relevance", "page": 1, "page_size": 10, "facets": False, "highlight": True}
    result = catalogue.index.search("caravanserai", **options)
    assert [h.id for h in result.hits] == ["b", "c"] or [h.id for h in result.hits] == ["c", "b"]
    assert {h.id: h.record["description"] for h in result.hits}["b"] == "stone caravanserai, its roof rebuilt"
    catalogue.index.sync(catalogue.store)
    assert ids(catalogue, "caravanserai") == {"b", "c"}


def test_a_search_index_without_a_record_reader_says_so(tmp_path: Path, catalogue: Catalogue) -> None:
    from catalogue.errors import CatalogueError
    from catalogue.search import SearchIndex

    catalogue.create(record("a"))
    bare = SearchIndex(catalogue.index.path)
    with pytest.raises(CatalogueError, match="without a way to read records"):
        bare.search("", filters={}, sort="relevance", page=1, page_size=5, facets=False, highlight=False)
    bare.close()


def _schema_with_records() -> Any:
    """The schema of an index written before issue 18: each record's JSON stored, no shape field."""
    schema = documents.index_schema()
    schema.remove("shape")
    schema.add("data", whoosh.fields.STORED)
    return schema


def _document_with_record(record: dict[str, Any], revision: int, extra: Any = None) -> dict[str, Any]:
    doc = documents.document(record, revision, extra)
    doc.pop("shape", None)
    doc["data"] = zlib.compress(json.dumps(record, ensure_ascii=False).encode())
    return doc


def test_an_index_that_stores_the_records_still_works_until_a_reindex_shrinks_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generations, "index_schema", _schema_with_records)
    monkeypatch.setattr(writing, "document", _document_with_record)
    old = Catalogue(tmp_path / "data")
    old.create(record("old", "stone caravanserai", TRIANGLE))
    assert "data" in stored_fields(old)[0]
    old.close()
    monkeypatch.undo()
    catalogue = Catalogue(tmp_path / "data")
    assert ids(catalogue, "caravanserai") == {"old"}
    assert ids(catalogue, box=CORNER) == set()  # the shape read from the stored record
    catalogue.create(record("new", "stone caravanserai", TRIANGLE))
    assert ids(catalogue, "caravanserai") == {"old", "new"}
    assert catalogue.search("stone").hits[0].record["description"] == "stone caravanserai"
    assert ids(catalogue, box=CORNER) == {"new"}  # no shape kept for it: its box decides
    assert catalogue.reindex() == 2
    assert "data" not in generations.open_index(catalogue.index.live()).schema.names()
    assert all("data" not in fields for fields in stored_fields(catalogue))
    assert ids(catalogue, box=CORNER) == set() and ids(catalogue, "caravanserai") == {"old", "new"}
    catalogue.close()
