"""A real OAI-PMH client (Sickle) harvests the catalogue over a loopback HTTP server:
completely across many pages, while records change, incrementally and with deletions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from sickle.oaiexceptions import NoRecordsMatch

from catalogue.formats.native import NAMESPACE, xml_to_record
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.conftest import make_app
from tests.oaitools import OAI, CheckingSickle, Clock, install_clock, serve
from tests.recordsamples import make_record

#: Nothing here searches: writes skip the search index (see tests/conftest.py).
pytestmark = pytest.mark.without_index

ID = "oai:catalogue.test:"
COUNT = 23
PAGE = 4


def native(record: Any) -> dict[str, Any]:
    """The record a Sickle record carries in the native format."""
    return xml_to_record(record.xml.find(f".//{{{NAMESPACE}}}record"))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def served(tmp_path: Path, clock: Clock) -> Iterator[tuple[Flask, Catalogue, str]]:
    """An app with 23 records (several per second) served with 4 records per page."""
    app = make_app(tmp_path / "data", OAI_PAGE_SIZE=PAGE)
    with app.app_context():
        catalogue = get_catalogue()
    for second in range(0, COUNT, 3):
        clock.set(f"2024-05-01T08:00:{second:02d}Z")
        catalogue.import_records((str(i), make_record(id=f"r{i:02d}", title=f"Record {i}"))
                                 for i in range(second, min(second + 3, COUNT)))
    with serve(app) as url:
        yield app, catalogue, url
    catalogue.close()


def test_sickle_harvests_every_record_exactly_once(served: tuple[Flask, Catalogue, str]) -> None:
    _, catalogue, url = served
    client = CheckingSickle(url)
    assert client.Identify().granularity == "YYYY-MM-DDThh:mm:ssZ"
    records = list(client.ListRecords(metadataPrefix="heritage"))
    assert [r.header.identifier for r in records] == [ID + f"r{i:02d}" for i in range(COUNT)]
    assert len(client.bodies) == -(-COUNT // PAGE) + 1  # Identify + every page
    for record in records:
        harvested = native(record)
        assert harvested == catalogue.get(harvested["id"])
    headers = list(client.ListIdentifiers(metadataPrefix="oai_dc"))
    assert len(headers) == COUNT
    sets = {s.setSpec for s in client.ListSets()}
    assert {"type", "type:school", "status:destroyed"} <= sets


def test_edits_during_a_harvest_neither_lose_nor_repeat_records(served: tuple[Flask, Catalogue, str],
                                                                clock: Clock) -> None:
    _, catalogue, url = served
    client = CheckingSickle(url)
    harvest = client.ListRecords(metadataPrefix="heritage")
    first = [next(harvest) for _ in range(PAGE + 1)]  # into the second page
    started = etree.fromstring(client.bodies[0]).findtext(f"{OAI}responseDate")
    clock.set(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))  # the edits happen now, after `started`
    seen_already, not_yet = first[0].header.identifier, ID + "r20"
    catalogue.update("r00", make_record(title="Record 0, corrected"), base_revision=-1)
    catalogue.update("r20", make_record(title="Record 20, corrected"), base_revision=-1)
    catalogue.update("r06", make_record(title="Record 6, corrected"), base_revision=-1)  # on the page being read
    catalogue.delete("r15", reason="duplicate")
    catalogue.create(make_record(id="r99", title="Added during the harvest"))
    rest = list(harvest)
    identifiers = [r.header.identifier for r in first + rest]
    assert identifiers == [ID + f"r{i:02d}" for i in range(COUNT)]  # each once, in order, nothing new
    titles = {r.header.identifier: native(r)["title"] for r in first + rest}
    assert titles[seen_already] == "Record 0"
    assert titles[not_yet] == "Record 20"  # as it was when the harvest started
    # the next incremental harvest from the first response's date brings every change
    changes = list(client.ListRecords(metadataPrefix="heritage", **{"from": started}))
    by_id = {r.header.identifier: r for r in changes}
    assert set(by_id) == {ID + i for i in ("r00", "r06", "r15", "r20", "r99")}
    assert by_id[ID + "r15"].header.deleted
    assert native(by_id[ID + "r20"])["title"] == "Record 20, corrected"


def test_incremental_harvest_with_from_and_until_and_deletions(served: tuple[Flask, Catalogue, str],
                                                               clock: Clock) -> None:
    _, catalogue, url = served
    client = CheckingSickle(url)
    window = list(client.ListIdentifiers(metadataPrefix="oai_dc", **{"from": "2024-05-01T08:00:03Z",
                                                                     "until": "2024-05-01T08:00:06Z"}))
    assert [h.identifier for h in window] == [ID + f"r{i:02d}" for i in range(3, 9)]
    clock.set("2024-06-01T00:00:00Z")
    catalogue.delete("r05", reason="not heritage")
    catalogue.update("r07", make_record(title="Record 7, corrected"), base_revision=-1)
    changed = list(client.ListRecords(metadataPrefix="oai_dc", **{"from": "2024-06-01"}))
    assert [(r.header.identifier, r.header.deleted) for r in changed] == [(ID + "r05", True), (ID + "r07", False)]
    assert changed[0].xml.find(f"{OAI}metadata") is None
    assert changed[1].metadata["title"] == ["Record 7, corrected"]
    # a deletion stays visible for good, and a full harvest shows it too
    everything = list(client.ListIdentifiers(metadataPrefix="oai_dc"))
    assert len(everything) == COUNT and sum(h.deleted for h in everything) == 1
    with pytest.raises(NoRecordsMatch):
        list(client.ListRecords(metadataPrefix="oai_dc", **{"from": "2024-06-02"}))


def test_post_harvest(served: tuple[Flask, Catalogue, str]) -> None:
    _, _, url = served
    client = CheckingSickle(url, http_method="POST")
    assert len(list(client.ListIdentifiers(metadataPrefix="oai_dc", set="type:school"))) == COUNT
