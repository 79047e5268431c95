"""Place authorities (issue 16): places with their revisions, records linked by `place.id`,
one place facet value per place labelled in the page's language, place pages and their
API, links proposed by `catalogue places match` and confirmed by archivists in the web,
place ids in every export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from catalogue.errors import ValidationError
from catalogue.service import Catalogue
from tests.archivists import add_user, csrf_token, login

SOURCES = [{"id": "s1", "citation": "A published survey."}]
TOWN = {"id": "ganja-town", "names": [{"value": "Ganja", "lang": "en", "script": "Latn", "kind": "common"},
                                      {"value": "Gəncə", "lang": "az", "script": "Latn", "kind": "official"},
                                      {"value": "Гянджа", "lang": "ru", "script": "Cyrl", "kind": "transliteration"}],
        "countries": [{"code": "AZ"}], "external_ids": [{"scheme": "geonames", "value": "587084"}],
        "sources": SOURCES}


def record(record_id: str, place: dict, **extra: object) -> dict:
    return {"id": record_id, "type": "site", "title": f"Site {record_id}", "sources": SOURCES, "place": place, **extra}


def test_a_place_has_revisions_and_a_bad_one_says_every_problem(catalogue: Catalogue) -> None:
    created = catalogue.places.save(TOWN, user="ana")
    assert created["revision"] == 1 and created["countries"] == [{"code": "AZ", "name": "Azerbaijan"}]
    changed = dict(TOWN, admin_area="Ganja city")
    catalogue.places.save(changed, user="bo", message="admin area", base_revision=1)
    history = catalogue.places.history("ganja-town")
    assert [(r.revision, r.user, r.message) for r in history] == [(1, "ana", "created"), (2, "bo", "admin area")]
    with pytest.raises(ValidationError) as caught:
        catalogue.places.save({"id": "Bad Id", "names": [{"value": "x", "kind": "nickname"}],
                               "external_ids": [{"scheme": "wikidata", "value": "123"}]})
    paths = {e.path for e in caught.value.errors}
    assert {"id", "names[0].kind"} <= paths


def test_a_place_nested_too_deeply_is_refused_with_that_one_error(catalogue: Catalogue) -> None:
    deep: object = "x"
    for _ in range(100_000):  # (far past the stack: counted on the way down, never recursed that far)
        deep = [deep]
    with pytest.raises(ValidationError) as caught:
        catalogue.places.save({"id": "deep-town", "names": [{"value": "Deep", "lang": "en"}], "notes": deep})
    assert [(e.path, e.code, str(e)) for e in caught.value.errors] == [
        ("", "too_deep", "the place nests lists and objects too deeply")]
    allowed: object = "x"
    for _ in range(31):  # (the place is the first level)
        allowed = [allowed]
    with pytest.raises(ValidationError) as caught:  # (32 levels pass that check: `notes` is no list)
        catalogue.places.save({"id": "deep-town", "notes": allowed})
    assert "too_deep" not in [e.code for e in caught.value.errors]


def test_a_record_pointing_at_no_place_is_refused_unless_imported(catalogue: Catalogue) -> None:
    with pytest.raises(ValidationError) as caught:
        catalogue.create(record("r1", {"id": "nowhere", "name": "Nowhere"}))
    assert caught.value.errors[0].path == "place.id"
    # an import keeps the link (an export read back before its places, another catalogue's records)
    report = catalogue.import_records([("file:1", record("r1", {"id": "later", "name": "Later"}))])
    assert report.created == 1 and catalogue.get("r1")["place"]["id"] == "later"
    catalogue.places.save({"id": "later", "names": [{"value": "Later town", "lang": "en"}]})
    assert [h.id for h in catalogue.search("", filters={"place": ["later"]}).hits] == ["r1"]


def test_linking_gives_the_record_every_name_and_search_finds_it_by_each(catalogue: Catalogue) -> None:
    catalogue.places.save(TOWN)
    catalogue.create(record("r1", {"name": "Ganja"}))
    catalogue.create(record("r2", {"name": "GƏNCƏ"}))
    catalogue.create(record("r3", {"name": "Somewhere else"}))
    proposals = catalogue.places.proposals()
    assert {(p.record_id, p.place_id) for p in proposals} == {("r1", "ganja-town"), ("r2", "ganja-town")}
    for proposal in proposals:
        catalogue.places.link(proposal.record_id, proposal.place_id, user="ana")
    linked = catalogue.get("r2")
    assert linked["place"]["id"] == "ganja-town" and linked["place"]["name"] == "GƏNCƏ"  # its own name kept
    assert catalogue.history("r2")[-1].message == "linked to place 'ganja-town'"
    assert {h.id for h in catalogue.search("Гянджа").hits} == {"r1", "r2"}
    place_facet = catalogue.search("").facets["place"]
    assert [(v.value, v.count) for v in place_facet] == [("ganja-town", 2), ("Somewhere else", 1)]
    # a filter written as a name (an address saved before the link) selects the place too
    assert catalogue.search("", filters={"place": ["Gəncə"]}).total == 2


def test_new_names_of_a_place_reach_its_records(catalogue: Catalogue) -> None:
    catalogue.places.save(TOWN)
    catalogue.create(record("r1", {"id": "ganja-town", "name": "Ganja"}))
    names = [*TOWN["names"], {"value": "Elisabethpol", "lang": "en", "kind": "historical"}]
    catalogue.places.save(dict(TOWN, names=names), base_revision=1)
    assert [h.id for h in catalogue.search("Elisabethpol").hits] == ["r1"]


@pytest.fixture
def linked(app: Flask, catalogue: Catalogue) -> Catalogue:
    catalogue.places.save(TOWN)
    catalogue.create(record("r1", {"id": "ganja-town", "name": "Ganja",
                                   "geometry": {"type": "Point", "coordinates": [46.36, 40.68]}}))
    catalogue.create(record("r2", {"name": "Ganja"}))
    return catalogue


def test_the_place_facet_is_labelled_in_the_page_language(client: FlaskClient, linked: Catalogue) -> None:
    catalogue = linked
    catalogue.places.link("r2", "ganja-town")
    en = client.get("/search?lang=en").get_data(as_text=True)
    az = client.get("/search?lang=az").get_data(as_text=True)
    assert 'href="/search?place=ganja-town#results"><bdi>Ganja</bdi>' in en
    assert 'href="/search?place=ganja-town#results"><bdi>Gəncə</bdi>' in az
    assert en.count("place=ganja-town") == 1 and "place=Ganja" not in en


def test_the_place_page_and_its_api(client: FlaskClient, linked: Catalogue) -> None:
    page = client.get("/places/ganja-town?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1><bdi>Ganja</bdi></h1>" in html and 'lang="ru">Гянджа' in html
    assert 'href="https://www.geonames.org/587084"' in html
    # r2 names the place (Ganja) without a link: it is there too, and proposed for a link
    assert 'href="/records/r1"' in html and 'href="/records/r2"' in html and "/places/ganja-town/links" not in html
    assert "id=\"results-map\"" in html and "1 record is on the map." in html and "Revision 1" in html
    assert "1 record has no coordinates and is not on the map." in html
    assert client.get("/places/nowhere").status_code == 404
    api = client.get("/api/places/ganja-town").get_json()
    assert api["record_ids"] == ["r1", "r2"] and api["records"] == 2 and api["names"][1]["value"] == "Gəncə"
    assert api["gazetteer_urls"] == ["https://www.geonames.org/587084"]
    assert client.get("/api/places/nowhere").status_code == 404
    assert [p["id"] for p in client.get("/api/places").get_json()["places"]] == ["ganja-town"]
    history = client.get("/api/places/ganja-town/history").get_json()
    assert history["revisions"][0]["place"]["id"] == "ganja-town"
    record_page = client.get("/records/r1").get_data(as_text=True)
    assert 'href="/places/ganja-town"' in record_page


def test_archivists_confirm_proposed_links_in_the_web(app: Flask, client: FlaskClient, linked: Catalogue) -> None:
    assert client.get("/places/ganja-town/links").status_code == 302  # sign in first
    add_user(app, "ana")
    login(client, "ana")
    html = client.get("/places/ganja-town/links").get_data(as_text=True)
    assert 'value="r2"' in html and 'value="r1"' not in html
    refused = client.post("/places/ganja-town/links", data={"record": "r2"})
    assert refused.status_code == 400 and linked.get("r2")["place"].get("id") is None  # no CSRF token
    token = csrf_token(client, "/places/ganja-town/links")
    done = client.post("/places/ganja-town/links", data={"record": ["r2", "r3-not-proposed"], "csrf_token": token})
    assert done.status_code == 303
    assert linked.get("r2")["place"]["id"] == "ganja-town"
    assert linked.history("r2")[-1].user == "ana"


def test_exports_carry_place_ids(client: FlaskClient, linked: Catalogue) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/export/records.csv").get_data(as_text=True))))
    assert {r["id"]: r["place_id"] for r in rows} == {"r1": "ganja-town", "r2": ""}
    lines = [json.loads(line) for line in client.get("/export/records.jsonl").get_data(as_text=True).splitlines()]
    assert {r["id"]: r["place"].get("id") for r in lines} == {"r1": "ganja-town", "r2": None}
    geojson = client.get("/export/records.geojson").get_json()
    assert [(f["id"], f["properties"]["place_id"]) for f in geojson["features"]] == [("r1", "ganja-town")]
    oai = client.get("/oai?verb=GetRecord&metadataPrefix=heritage&identifier=oai:catalogue.test:r1")
    tree = etree.fromstring(oai.get_data())
    ids = tree.xpath("//*[local-name()='place']/*[local-name()='id']/text()")
    assert ids == ["ganja-town"], oai.get_data(as_text=True)[:500]


def test_the_demo_has_one_place_with_the_seed_names_and_no_coordinates(demo_app: Flask) -> None:
    client = demo_app.test_client()
    place = client.get("/api/places/khojaly").get_json()
    assert {(n["value"], n["lang"]) for n in place["names"]} == {("Khojaly", "en"), ("Xocalı", "az")}
    assert "geometry" not in place and place["records"] > 1
    en = client.get("/search?lang=en").get_data(as_text=True)
    assert en.count('href="/search?place=khojaly#results"') == 1 and "<bdi>Khojaly</bdi>" in en
    az = client.get("/search?lang=az").get_data(as_text=True)
    assert 'href="/search?place=khojaly#results"><bdi>Xocalı</bdi>' in az
    page = client.get("/places/khojaly?lang=en").get_data(as_text=True)
    assert 'id="no-coordinates"' in page and 'id="map"' not in page


@pytest.mark.slow
def test_places_on_the_command_line(cli, tmp_path: Path) -> None:
    file = tmp_path / "places.jsonl"
    file.write_text(json.dumps(TOWN, ensure_ascii=False) + "\n{not json\n" + json.dumps({"id": "x"}) + "\n",
                    encoding="utf-8")
    done = cli("places", "import", str(file))
    assert done.returncode == 1 and "1 created" in done.stdout
    assert ":2:" in done.stderr and ":3: names: is required" in done.stderr
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps(record("r1", {"name": "Gəncə"}), ensure_ascii=False) + "\n", encoding="utf-8")
    assert cli("import", str(records)).returncode == 0
    proposed = cli("places", "match", "--json")
    assert json.loads(proposed.stdout) == {"record": "r1", "name": "Gəncə", "place": "ganja-town"}
    assert cli("places", "match", "--apply").returncode == 0
    assert json.loads(cli("show", "r1", "--json").stdout)["place"]["id"] == "ganja-town"
    assert "ganja-town\tGanja\t1" in cli("places", "list").stdout
    exported = cli("places", "export").stdout
    assert json.loads(exported)["names"] == TOWN["names"]
    unknown = cli("places", "show", "nowhere")
    assert unknown.returncode == 1 and "no place with id 'nowhere'" in unknown.stderr


def test_place_and_map_pages_in_azerbaijani_show_no_english(app: Flask, client: FlaskClient,
                                                            linked: Catalogue) -> None:
    from tests.test_web_az_pages import english_on

    add_user(app, "ana")
    login(client, "ana")
    for path in ("/places", "/places/ganja-town", "/places/ganja-town/links", "/search", "/search?bbox=40,30,50,45",
                 "/places/nowhere"):
        html = client.get(path + ("&" if "?" in path else "?") + "lang=az").get_data(as_text=True)
        assert '<html lang="az">' in html, path
        assert english_on(html) == [], path


def test_editing_a_linked_record_in_the_web_keeps_its_place(app: Flask, client: FlaskClient,
                                                           linked: Catalogue) -> None:
    from tests.archivists import form_fields

    add_user(app, "ana")
    login(client, "ana")
    html = client.get("/records/r1/edit").get_data(as_text=True)
    fields = form_fields(html)
    assert fields["place.id"] == "ganja-town"
    fields.update({"title": "Site r1, renamed", "message": "a clearer title"})
    assert client.post("/records/r1/edit", data=fields).status_code == 303
    assert linked.get("r1")["place"]["id"] == "ganja-town" and linked.get("r1")["title"] == "Site r1, renamed"
    fields = form_fields(client.get("/records/r1/edit").get_data(as_text=True))
    fields.update({"place.id": "atlantis", "message": "moved"})
    refused = client.post("/records/r1/edit", data=fields)
    assert refused.status_code == 422 and "atlantis" in refused.get_data(as_text=True)  # what was typed stays
