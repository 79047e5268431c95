"""Metadata formats: a source is registered only with a prefix the provider offers and this
harvester maps; qualified Dublin Core flavours (nsdl_dc, qdc ...) are read as Dublin Core;
and of several dates the one describing the object wins over repository stamps."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from lxml import etree

import harvest.runs
import harvest.sources
from catalogue.errors import CatalogueError
from catalogue.formats.dc import Context, dc_to_record, object_date
from harvest.oai import parse_record
from tests.archivists import csrf_token, signed_in
from tests.oai_provider import Provider

FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 0, "backoff": 0.01, "max_backoff": 0.02}
NSDL_DC = "http://ns.nsdl.org/nsdl_dc_v1.02/"
#: An NSDL record as NSDL providers write them: dc and dcterms elements side by side.
NSDL_RECORD = f"""<nsdl_dc:nsdl_dc schemaVersion="1.02.020" xmlns:nsdl_dc="{NSDL_DC}"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dct="http://purl.org/dc/terms/"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <dc:title>Caravanserai of Shusha</dc:title>
  <dct:alternative xml:lang="az">Şuşa karvansarayı</dct:alternative>
  <dc:type>monument</dc:type>
  <dct:abstract>A two-storey caravanserai on the old trade road.</dct:abstract>
  <dc:subject>Caravanserais</dc:subject>
  <dct:spatial>Shusha</dct:spatial>
  <dct:temporal>1750-1800</dct:temporal>
  <dc:identifier xsi:type="dct:URI">https://example.org/items/7</dc:identifier>
  <dct:license>CC BY 4.0</dct:license>
  <dc:creator>Survey team</dc:creator>
  <dct:available>2019-03-02T10:00:00Z</dct:available>
  <dct:created>1760</dct:created>
</nsdl_dc:nsdl_dc>"""
#: DSpace's oai_dc: dc.date.accessioned, dc.date.available and dc.date.issued, all as plain dc:date.
DSPACE_OAI_DC = """<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Survey of the Aghdam mosque</dc:title>
  <dc:creator>Mammadov, Elchin</dc:creator>
  <dc:type>Thesis</dc:type>
  <dc:date>2017-12-14T15:03:59Z</dc:date>
  <dc:date>2017-12-14T15:03:59Z</dc:date>
  <dc:date>1998</dc:date>
  <dc:identifier>https://hdl.handle.net/1721.1/112746</dc:identifier>
  <dc:publisher>Massachusetts Institute of Technology</dc:publisher>
</oai_dc:dc>"""
#: DSpace's qdc: the same dates refined (dateAccepted, available, issued).
DSPACE_QDC = """<qdc:qualifieddc xmlns:qdc="http://dspace.org/qualifieddc/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/">
  <dc:title>Survey of the Aghdam mosque</dc:title>
  <dcterms:dateAccepted>2017-12-14T15:03:59Z</dcterms:dateAccepted>
  <dcterms:available>2017-12-14T15:03:59Z</dcterms:available>
  <dcterms:issued>1998-05</dcterms:issued>
  <dcterms:abstract>Measured drawings and photographs.</dcterms:abstract>
</qdc:qualifieddc>"""


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider(page_size=10) as p:
        p.formats.update({"nsdl_dc": NSDL_DC, "marc21": "http://www.loc.gov/MARC21/slim",
                          "arXiv": "http://arxiv.org/OAI/arXiv/"})
        p.put("oai:test:1", "Old mosque", type="mosque")
        yield p


def record_of(metadata: str, datestamp: str = "2017-12-14T15:03:59Z"):
    xml = (f'<record xmlns="http://www.openarchives.org/OAI/2.0/"><header><identifier>oai:x:1</identifier>'
           f"<datestamp>{datestamp}</datestamp></header><metadata>{metadata}</metadata></record>")
    return parse_record(etree.fromstring(xml), False)


# -- the prefix is checked when a source is registered ------------------------------------------


def test_source_add_checks_metadata_prefix(runner, provider):
    result = runner.invoke(args=["source", "add", "arxiv", provider.url, "--prefix", "arXiv"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot map metadataPrefix 'arXiv'" in result.output
    assert "the provider offers oai_dc, heritage, nsdl_dc, marc21, arXiv, of which this harvester can map " \
           "oai_dc, heritage, nsdl_dc" in result.output
    result = runner.invoke(args=["source", "add", "qdc", provider.url, "--prefix", "qdc"])
    assert result.exit_code == 1 and "the provider does not offer metadataPrefix 'qdc'" in result.output
    assert runner.invoke(args=["source", "list"]).output.startswith("No sources")
    result = runner.invoke(args=["source", "add", "nsdl", provider.url, "--prefix", "nsdl_dc"])
    assert result.exit_code == 0, result.output


def test_source_add_without_contacting_the_provider(runner, catalogue):
    with Provider() as gone:
        url = gone.url
    result = runner.invoke(args=["source", "add", "later", url, "--setting", "connect_timeout=0.5"])
    assert result.exit_code == 1 and "could not ask" in result.output and "--no-check" in result.output
    result = runner.invoke(args=["source", "add", "later", url, "--prefix", "arXiv", "--no-check"])
    assert result.exit_code == 1 and "cannot map metadataPrefix 'arXiv'" in result.output
    assert runner.invoke(args=["source", "add", "later", url, "--no-check"]).exit_code == 0
    assert harvest.sources.get_source(catalogue, "later").prefix == "oai_dc"


def test_changing_the_prefix_is_checked_too(catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    with pytest.raises(CatalogueError, match="cannot map metadataPrefix 'marc21'"):
        harvest.sources.update_source(catalogue, "test", prefix="marc21")
    assert harvest.sources.update_source(catalogue, "test", prefix="nsdl_dc").prefix == "nsdl_dc"


def test_admin_form_checks_metadata_prefix_and_keeps_what_was_typed(app, provider):
    admin = signed_in(app, "root", "admin")
    response = admin.post("/admin/sources", data={
        "csrf_token": csrf_token(admin, "/admin/sources"), "name": "arxiv", "url": provider.url,
        "protocol": "oai-pmh", "prefix": "arXiv", "settings": json.dumps(FAST)})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "cannot map metadataPrefix &#39;arXiv&#39;" in page and "can map oai_dc, heritage, nsdl_dc" in page
    assert 'value="arXiv"' in page and 'value="arxiv"' in page


# -- qualified Dublin Core ---------------------------------------------------------------------


def test_nsdl_dc_read_as_dc(catalogue, provider):
    provider.put_xml("oai:test:nsdl", NSDL_RECORD, datestamp="2019-03-02T10:00:00Z")
    harvest.sources.add_source(catalogue, "nsdl", provider.url, prefix="nsdl_dc", settings=FAST)
    run = harvest.runs.run_harvest(catalogue, "nsdl")
    assert run.status == "ok", run.message
    record = catalogue.store.find_by_source("nsdl", "oai:test:nsdl").data
    assert record["title"] == "Caravanserai of Shusha" and record["type"] == "monument"
    assert {"value": "Şuşa karvansarayı", "lang": "az"} in record["names"]
    assert record["description"] == "A two-storey caravanserai on the old trade road."
    assert record["place"] == {"name": "Shusha"}
    assert record["period"] == {"label": "1750-1800", "start": 1750, "end": 1800}
    assert record["rights"] == "CC BY 4.0" and record["subjects"] == ["Caravanserais"]
    assert {"scheme": "url", "value": "https://example.org/items/7"} in record["external_ids"]
    assert record["sources"][0]["date"] == "1760" and record["sources"][0]["author"] == "Survey team"


def test_dspace_qdc_read_as_dc():
    mapped = dc_to_record(record_of(DSPACE_QDC), Context("dspace", "DSpace", "https://dspace.example/oai"))
    assert mapped.record["description"] == "Measured drawings and photographs."
    assert mapped.record["sources"][0]["date"] == "1998-05"


# -- dates -------------------------------------------------------------------------------------


def test_object_date_preferred_over_accession_date(catalogue, provider):
    provider.put_xml("oai:dspace:112746", DSPACE_OAI_DC, datestamp="2017-12-14T15:03:59Z")
    harvest.sources.add_source(catalogue, "dspace", provider.url, settings=FAST)
    harvest.runs.run_harvest(catalogue, "dspace")
    source = catalogue.store.find_by_source("dspace", "oai:dspace:112746").data["sources"][0]
    assert source["date"] == "1998" and "1998" in source["citation"] and "2017" not in source["citation"]


@pytest.mark.parametrize("dates, datestamp, expected", [
    (["2017-12-14T15:03:59Z", "2017-12-14T15:03:59Z", "1998"], "2017-12-14T15:03:59Z", "1998"),
    (["2019-03-02", "1890"], "2019-03-02T10:00:00Z", "1890"),  # the header's day is the repository's
    (["info:eu-repo/date/embargoEnd/2026-11-01", "2025-10-01"], "2025-12-01T00:00:00Z", "2025-10-01"),
    (["2017-12-14T15:03:59Z"], "2017-12-14T15:03:59Z", "2017-12-14"),  # only a stamp: its day
    (["c. 1890", "1890/1900"], "2020-01-01T00:00:00Z", "1890/1900"),  # not EDTF: skipped
])
def test_date_rule(dates, datestamp, expected):
    metadata = ('<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/">'
                + "".join(f"<dc:date>{d}</dc:date>" for d in dates) + "</oai_dc:dc>")
    assert object_date(record_of(metadata, datestamp).metadata, datestamp) == expected
