"""What a researcher reads, through HTTP: statuses stated as claims (who, which source, when,
how certain) and disagreements between sources, the filter for them, long facet lists cut
to their top values, links that keep the focus on the results, readable history diffs, and
citations for reference managers (RIS, Highwire Press and Dublin Core meta tags)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import html

from catalogue.service import Catalogue
from catalogue.web.search import FACET_TOP
from tests.archivists import signed_in
from tests.recordsamples import make_record

CLAIM = "Destroyed — according to AzerNEWS, February 26, 2025; certainty not stated"
DISPUTED = make_record(
    id="disputed-mausoleum", type="mausoleum", title="Disputed mausoleum",
    sources=[{"id": "survey", "citation": "Field survey of the district, 2021.", "publisher": "Survey office",
              "date": "2021-06"},
             {"id": "press", "citation": "A newspaper report, 2023.", "publisher": "Daily paper", "date": "2023",
              "url": "https://news.example.org/report"}],
    conditions=[{"status": "destroyed", "date": "2020", "certainty": "probable", "sources": ["survey"]},
                {"status": "damaged", "date": "2023", "sources": ["press"]}])


def text(page: bytes | str) -> str:
    """Visible text of a page, whitespace collapsed."""
    doc = html.fromstring(page)
    for element in doc.xpath("//script|//style|//head"):
        element.drop_tree()
    return " ".join(doc.text_content().split())


@pytest.fixture
def disputed(demo_app: Flask, catalogue: Catalogue) -> str:
    catalogue.create(DISPUTED)
    return DISPUTED["id"]


def test_status_is_a_claim_with_who_where_when_and_certainty(demo_app: Flask, client: FlaskClient) -> None:
    record = text(client.get("/records/khojaly-schools").data)
    assert CLAIM in record
    assert re.search(r"Certainty\s*not stated", record)  # the timeline says it too, instead of leaving it out
    results = text(client.get("/search?q=schools").data)
    assert CLAIM in results
    page = client.get("/records/khojaly-schools").get_data(as_text=True)
    assert '<a href="#source-afandiyev-2025"><bdi>AzerNEWS</bdi></a>' in page  # to the source's entry
    az = text(client.get("/records/khojaly-schools?lang=az").data)
    assert "Dağıdılmış — mənbəyə görə: AzerNEWS, 26 fevral 2025; əminlik dərəcəsi göstərilməyib" in az


def test_sources_that_disagree_are_shown_each_with_its_claim(client: FlaskClient, disputed: str) -> None:
    page = text(client.get(f"/records/{disputed}").data)
    assert "The sources disagree about the condition." in page
    assert "Damaged as of 2023 — according to Daily paper, 2023; certainty not stated" in page
    assert "Destroyed as of 2020 — according to Survey office, June 2021; certainty: Probable" in page
    hit = text(client.get("/search?q=mausoleum").data)
    assert "The sources disagree about the condition." in hit and "according to Survey office" in hit
    sources = client.get(f"/records/{disputed}").get_data(as_text=True)
    assert 'href="https://news.example.org/report"' in sources  # a source shows its URL


def test_a_filter_finds_the_records_whose_sources_disagree(client: FlaskClient, disputed: str) -> None:
    page = client.get("/search").get_data(as_text=True)
    assert 'href="/search?claims=disagree#results"' in page
    assert "Sources disagree" in text(page)
    found = client.get("/search?claims=disagree").get_data(as_text=True)
    assert re.findall(r'<h3><a href="/records/([^"]+)"', found) == [disputed]
    api = client.get("/api/search?claims=disagree").json
    assert [hit["id"] for hit in api["hits"]] == [disputed] and api["facets"]["claims"][0]["value"] == "disagree"
    assert "Mənbələr razılaşmır" in text(client.get("/search?claims=disagree&lang=az").data)


def test_long_facets_show_their_top_values_and_a_link_to_all(demo_app: Flask, catalogue: Catalogue,
                                                             client: FlaskClient) -> None:
    for number in range(FACET_TOP + 4):
        catalogue.create(make_record(id=f"town-{number}", title=f"School {number}", place={"name": f"Town {number}"}))
    page = html.fromstring(client.get("/search?q=school").data)
    places = page.xpath('//section[@id="facet-place"]//li')
    assert len(places) == FACET_TOP + 5  # Khojaly and 12 towns, all in the page ...
    assert len([li for li in places if li.get("hidden") is not None]) == 5  # ... the rest of the top hidden
    (more,) = page.xpath('//section[@id="facet-place"]//a[@data-show-more]')
    assert more.text_content() == "Show all 13 values"
    assert more.get("href") == "/search?q=school&more=place#facet-place"  # works without JavaScript
    assert page.xpath('//section[@id="facet-place"]/@data-filter-label') == ["Filter the values of Place"]
    everything = html.fromstring(client.get("/search?q=school&more=place").data)
    assert not everything.xpath('//section[@id="facet-place"]//li[@hidden]')
    assert everything.xpath('//section[@id="facet-place"]//a[text()="Show the most frequent values only"]')
    assert not page.xpath('//section[@id="facet-type"]//a[@data-show-more]')  # a short list has no link


def test_results_come_first_and_links_keep_the_focus_on_them(demo_app: Flask, client: FlaskClient) -> None:
    page = client.get("/search?q=Khojaly&page_size=2").get_data(as_text=True)
    doc = html.fromstring(page)
    assert doc.xpath('//a[@class="skip"][@href="#results"]')  # skip to results
    assert doc.xpath('//h2[@id="results"][@tabindex="-1"]')
    results, panel = page.index('class="results"'), page.index('<details class="filter-panel"')
    assert results < panel  # results before the filters in reading order
    assert doc.xpath('//details[@class="filter-panel"]/summary')[0].text_content().strip() == "Filter"
    assert doc.xpath('//form[@class="sort-form"]/@action') == ["/search#results"]
    facet_links = doc.xpath('//div[@class="facets"]//a[not(@data-show-more)]/@href')
    assert facet_links and all(href.endswith("#results") for href in facet_links)


def test_pages_keep_the_focus_on_results(demo_app: Flask, client: FlaskClient) -> None:
    demo_app.config["PAGE_SIZE"] = 2
    doc = html.fromstring(client.get("/search?q=Khojaly").data)
    pages = doc.xpath('//nav[@class="pagination"]//a/@href')
    assert pages and all(href.endswith("#results") for href in pages)


def test_history_labels_fields_and_marks_words(demo_app: Flask, catalogue: Catalogue, client: FlaskClient) -> None:
    record = catalogue.get("khojaly-schools")
    conditions = [dict(record["conditions"][0], certainty="probable")]
    catalogue.update("khojaly-schools", dict(record, title="Schools of the town of Khojaly", conditions=conditions),
                     base_revision=1, user="ayla", message="certainty and title")
    page = client.get("/records/khojaly-schools/history").get_data(as_text=True)
    assert "Assessment 1 › Certainty" in page and "conditions[0].certainty" not in page
    assert ('Schools of <ins><span class="visually-hidden">added: </span>the town of </ins>Khojaly' in page)
    assert '<ins><span class="visually-hidden">added: </span>Probable</ins>' in page  # the label, not the code
    assert "Created: the first revision of the record." in text(page)
    assert "Field" in text(page) and "Identifier" not in text(page)  # the creation lists no fields


def test_ris_and_meta_tags_for_reference_managers(demo_app: Flask, catalogue: Catalogue,
                                                  client: FlaskClient) -> None:
    record = catalogue.get("khojaly-schools")
    catalogue.update("khojaly-schools", dict(record, title="Schools, renamed"), base_revision=1, user="a")
    ris = client.get("/records/khojaly-schools.ris?revision=1")
    assert ris.status_code == 200 and ris.mimetype == "application/x-research-info-systems"
    assert ris.headers["Content-Disposition"] == 'attachment; filename="khojaly-schools-r1.ris"'
    body = ris.get_data(as_text=True)
    assert body.startswith("TY  - DATA\r\nTI  - Schools of Khojaly\r\n") and body.endswith("ER  - \r\n")
    assert "UR  - http://localhost/records/khojaly-schools?revision=1\r\n" in body
    assert "N1  - Record khojaly-schools, revision 1. Based on: Afandiyev, Mazahir." in body
    assert "TI  - Schools, renamed" in client.get("/records/khojaly-schools.ris").get_data(as_text=True)
    assert client.get("/records/nope.ris").status_code == 404
    assert client.get("/records/khojaly-schools.ris?revision=x").status_code == 400
    catalogue.delete("khojaly-clubs", reason="duplicate")
    assert client.get("/records/khojaly-clubs.ris").status_code == 410

    doc = html.fromstring(client.get("/records/khojaly-schools?revision=1").data)
    meta = {m.get("name"): m.get("content") for m in doc.xpath("//meta[@name]")}
    assert meta["citation_title"] == "Schools of Khojaly" == meta["DC.title"]
    assert meta["citation_public_url"] == "http://localhost/records/khojaly-schools?revision=1" == meta["DC.identifier"]
    assert meta["citation_publisher"] == "Heritage catalogue" and re.fullmatch(r"\d{4}/\d\d/\d\d",
                                                                                meta["citation_date"])
    assert "citation_publisher=AzerNEWS" in meta["citation_reference"]
    assert meta["DC.source"].startswith("Afandiyev, Mazahir.")
    assert doc.xpath('//link[@rel="schema.DC"]')
    assert doc.xpath('//link[@type="application/x-research-info-systems"]/@href') == [
        "/records/khojaly-schools.ris?revision=1"]
    citation = unescape(doc.xpath('//p[@id="citation-text"]')[0].text_content())
    assert "Based on: Afandiyev, Mazahir. Opinion article" in citation
    assert doc.xpath('//button[@data-copy="citation-text"][@hidden]')  # shown by the script when it can copy


def test_login_page_shows_no_command_and_the_desk_has_one_name(demo_app: Flask) -> None:
    visitor = demo_app.test_client()
    login = visitor.get("/login").get_data(as_text=True)
    assert "catalogue user add" not in login and "<code>" not in login
    archivist = signed_in(demo_app, "ayla")
    home = html.fromstring(archivist.get("/").data)
    assert home.xpath('//nav//a[@href="/admin/"]')[0].text_content() == "Archivists' desk"
    desk = html.fromstring(archivist.get("/admin/").data)
    assert desk.xpath("//h1")[0].text_content() == "Archivists' desk"
    assert "Administration" not in text(archivist.get("/").data)
