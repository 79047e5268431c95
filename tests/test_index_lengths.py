"""The field lengths a segment keeps (`catalogue.search.lengths`): written at once, the same
column files and totals as Whoosh's per-document writer writes a document at a time."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from whoosh import fields
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage

from catalogue.search.codec import CompactCodec
from catalogue.search.lengths import CompactPerDocWriter

SCHEMA = fields.Schema(title=fields.TEXT(stored=True), body=fields.TEXT(), rare=fields.TEXT())


def _write(folder: Path, writer_class: type, docs: list[dict[str, int]]) -> tuple[dict[str, bytes], dict[str, int]]:
    """The files and field totals a per-document writer of `writer_class` leaves for `docs`
    (field -> length; a document's title stored too)."""
    folder.mkdir()
    storage = FileStorage(str(folder))
    codec = CompactCodec()
    segment = codec.new_segment(storage, "t")
    perdoc: Any = writer_class(codec, storage, segment)
    for docnum, doc in enumerate(docs):
        perdoc.start_doc(docnum)
        for fieldname in sorted(doc):
            perdoc.add_field(fieldname, SCHEMA[fieldname], f"title {docnum}" if fieldname == "title" else None,
                             doc[fieldname])
        perdoc.finish_doc()
    perdoc.close()
    files = {path.name.split(".", 1)[1]: path.read_bytes() for path in folder.iterdir() if path.is_file()}
    return files, dict(segment._fieldlengths)  # (files by what they hold: the segment's name is random)


def test_the_length_columns_are_whooshs_byte_for_byte(tmp_path: Path) -> None:
    rng = random.Random(4)
    lengths = [0, 1, 2, 7, 255, 256, 4095, 4096, 5000, 106_374, 2_000_000]
    docs = [{name: rng.choice(lengths) for name in ("title", "body") if rng.random() < 0.8} for _ in range(300)]
    docs[-40:] = [{"title": 3}] * 40  # (a column that ends before the last documents)
    docs[17]["rare"] = 12
    ours = _write(tmp_path / "ours", CompactPerDocWriter, docs)
    whooshs = _write(tmp_path / "whoosh", whoosh3.W3PerDocWriter, docs)
    assert ours == whooshs
    files, totals = ours
    assert totals["rare"] == 12 and totals["body"] > 0
    assert {"_title_len.col", "_body_len.col", "_rare_len.col", "_stored.col"} <= set(files)
    assert len(files["_rare_len.col"]) == 18 and len(files["_title_len.col"]) == len(docs)
