"""A catalogue with something on every page, served for the browser tests: the demo
collection, a record whose sources disagree, a mapped record, many places (a long facet),
a place authority with a map,
an edited record (history), a deleted one, a harvested record with a pending upstream change
and one renamed for an id collision, an archivist and an admin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

import harvest.runs
import harvest.sources
from catalogue.formats import native
from catalogue.records import prepare
from catalogue.service import Catalogue
from catalogue.web import get_catalogue
from tests.archivists import PASSWORD, add_user
from tests.conftest import make_app
from tests.oai_provider import Provider
from tests.oaitools import serve
from tests.recordsamples import make_record

ARCHIVIST, ADMIN = "alice", "root"
DISPUTED = "disputed-mausoleum"
MAPPED = "mapped-test-record"
EDITED = "khojaly-schools"
DELETED = "khojaly-clubs"
#: A place authority with an outline and several names; the mapped record names it as free
#: text only, so its links page proposes a link.
PLACE = "test-place"
#: Places beyond the demo's, so that the place facet is long.
TOWNS = 14
FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 1, "backoff": 0.01, "max_backoff": 0.02}


@dataclass
class Site:
    """The served site: its base URL, the password of its accounts and some record ids."""

    url: str
    password: str
    harvested: str
    renamed: str
    pending: int


def _records(catalogue: Catalogue) -> None:
    catalogue.create(make_record(
        id=DISPUTED, type="mausoleum", title="Disputed mausoleum",
        sources=[{"id": "survey", "citation": "Field survey of the district, 2021.", "publisher": "Survey office",
                  "date": "2021-06"},
                 {"id": "press", "citation": "A newspaper report, 2023.", "publisher": "Daily paper", "date": "2023",
                  "url": "https://news.example.org/report"}],
        conditions=[{"status": "destroyed", "date": "2020", "certainty": "probable", "sources": ["survey"]},
                    {"status": "damaged", "date": "2023", "sources": ["press"]}]))
    place = {"name": "Test place", "geometry": {"type": "Polygon", "coordinates": [
        [[46.78, 39.90], [46.80, 39.90], [46.80, 39.92], [46.78, 39.92], [46.78, 39.90]]]}}
    catalogue.create(make_record(id=MAPPED, type="monument", title="Mapped test record", place=place))
    catalogue.places.save({"id": PLACE, "geometry": place["geometry"], "countries": [{"code": "AZ"}],
                           "names": [{"value": "Test place", "lang": "en", "script": "Latn", "kind": "common"},
                                     {"value": "Sınaq yeri", "lang": "az", "script": "Latn", "kind": "official"}],
                           "external_ids": [{"scheme": "geonames", "value": "587084"}],
                           "sources": [{"id": "survey", "citation": "Field survey of the district, 2021."}]})
    for number in range(TOWNS):
        catalogue.create(make_record(id=f"town-school-{number}", title=f"School of town {number}",
                                     place={"name": f"Town {number:02d}"}))
    record = catalogue.get(EDITED)
    conditions = [dict(record["conditions"][0], certainty="probable")]
    catalogue.update(EDITED, dict(record, title="Schools of the town of Khojaly", conditions=conditions),
                     base_revision=record["revision"], user=ARCHIVIST, message="certainty as the source implies it")
    catalogue.delete(DELETED, reason="duplicate of another record", user=ADMIN)
    words = " ".join(f"The survey describes part {n} of the mausoleum and its surroundings." for n in range(40))
    disputed = catalogue.get(DISPUTED)
    catalogue.update(DISPUTED, dict(disputed, description=words), base_revision=disputed["revision"],
                     user=ARCHIVIST, message="a long description")
    disputed = catalogue.get(DISPUTED)
    catalogue.update(DISPUTED, dict(disputed, description=words.replace("part 17", "the northern part 17")),
                     base_revision=disputed["revision"], user=ARCHIVIST, message="one word in a long text")


def _harvested(catalogue: Catalogue, provider: Provider) -> tuple[str, str, int]:
    """A harvested record edited here with an upstream change waiting, and a native record
    whose upstream id is taken here (renamed)."""
    provider.put("oai:test:1", "Harvested mosque", type="Mosque")
    taken = prepare(make_record(id=MAPPED, type="monument", title="Mapped record, as upstream has it"))
    provider.put_xml("oai:other:1", etree.tostring(native.record_to_xml(taken)).decode())
    harvest.sources.add_source(catalogue, "museum", provider.url, mapping='[types]\nMosque = "mosque"\n',
                               settings=FAST)
    harvest.sources.add_source(catalogue, "mirror", provider.url, prefix=native.PREFIX, settings=FAST)
    harvest.runs.run_harvest(catalogue, "museum")
    harvest.runs.run_harvest(catalogue, "mirror")
    stored = catalogue.store.find_by_source("museum", "oai:test:1")
    catalogue.update(stored.id, dict(stored.data, notes="Seen on site in 2024."), base_revision=stored.revision,
                     user=ARCHIVIST, message="a note from the site visit")
    provider.put("oai:test:1", "Harvested mosque, renamed upstream", type="Mosque")
    harvest.runs.run_harvest(catalogue, "museum")
    (change,) = catalogue.harvests.pending(stored.id)
    renamed = catalogue.store.find_by_source("mirror", "oai:other:1").id
    return stored.id, renamed, change.id


@contextmanager
def rich_site(data: Path) -> Iterator[Site]:
    """Build the site in `data` and serve it on a loopback port while the block runs."""
    app = make_app(data, LOGIN_RATE_LIMIT="1000 per minute", LOGIN_LOCKOUT_AFTER=1000)
    result = app.test_cli_runner().invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    add_user(app, ARCHIVIST)
    add_user(app, ADMIN, "admin")
    with Provider(page_size=5) as provider:
        with app.app_context():
            catalogue = get_catalogue()
            _records(catalogue)
            harvested, renamed, pending = _harvested(catalogue, provider)
        with serve(app) as oai_url:
            yield Site(oai_url.removesuffix("/oai"), PASSWORD, harvested, renamed, pending)
    app.extensions["catalogue"].close()
