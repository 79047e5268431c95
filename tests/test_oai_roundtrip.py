"""A second catalogue mirrors the first through the native format: this catalogue's own
harvester harvests the provider over loopback HTTP into a fresh data directory, and the
two JSONL exports hold the same records, also after edits and deletions upstream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import harvest.runs
import harvest.sources
from catalogue.formats.native import PREFIX
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.conftest import make_app
from tests.oaitools import serve
from tests.recordsamples import make_record

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

#: What the mirror sets itself: provenance naming the harvest source, and its own revision
#: numbers and times. Ids are kept: a mirror answers to the same record ids.
LOCAL = ("provenance", "created", "modified", "revision")


def export(app: Flask) -> list[dict[str, Any]]:
    return [json.loads(line) for line in app.test_client().get("/export/records.jsonl").get_data(as_text=True)
            .splitlines()]


def comparable(records: list[dict[str, Any]], key: Any) -> dict[str, dict[str, Any]]:
    return {key(r): {k: v for k, v in r.items() if k not in LOCAL} for r in records}


def assert_mirrored(origin: Flask, mirror: Flask) -> None:
    ours = comparable(export(origin), lambda r: f"oai:catalogue.test:{r['id']}")
    theirs = comparable(export(mirror), lambda r: r["provenance"]["source_identifier"])
    assert theirs == ours
    assert all(f"oai:catalogue.test:{r['id']}" == r["provenance"]["source_identifier"] for r in export(mirror))
    assert all(r["provenance"]["source_name"] == "origin" for r in export(mirror))


def test_a_second_catalogue_mirrors_the_first_in_the_native_format(demo_app: Flask, tmp_path: Path,
                                                                     second_store: str) -> None:
    with demo_app.app_context():
        origin = get_catalogue()
    origin.import_records((str(i), make_record(id=f"extra-{i}", title=f"Extra {i}")) for i in range(5))
    origin.create(make_record(id="full", title="Every field", place={
        "name": "Xocalı", "geometry": {"type": "Point", "coordinates": [46.79, 39.91]}},
        period={"start": 1900, "end": 1990}, subjects=["a"], external_ids=[{"scheme": "x", "value": "1"}]))
    mirror_app = make_app(tmp_path / "mirror", DATABASE_URL=second_store)
    with mirror_app.app_context():
        mirror: Catalogue = get_catalogue()
    with serve(demo_app) as url:
        harvest.sources.add_source(mirror, "origin", url, prefix=PREFIX)
        run = harvest.runs.run_harvest(mirror, "origin")
        assert run.status == "ok", run.message
        assert run.counts["new"] == 14 and run.counts["failed"] == 0
        assert_mirrored(demo_app, mirror_app)

        origin.update("extra-1", make_record(title="Extra 1, corrected"), base_revision=-1)
        origin.delete("extra-2", reason="duplicate")
        again = harvest.runs.run_harvest(mirror, "origin")
        assert again.status == "ok", again.message
        assert again.counts["updated"] >= 1 and again.counts["deleted"] == 1
        assert_mirrored(demo_app, mirror_app)
    mirror.close()
