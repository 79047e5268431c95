"""The OAI-PMH endpoint through HTTP: every verb, every error code, arguments, sets,
datestamps and resumption tokens; each response is checked against the official schemas."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from werkzeug.datastructures import MultiDict

from catalogue.formats.native import NAMESPACE, xml_to_record
from catalogue.service import Catalogue
from tests.conftest import make_app
from tests.oaitools import OAI, Clock, assert_valid, error_codes, install_clock, oai, oai_query, texts
from tests.recordsamples import make_record

#: The store's semantics, on SQLite and on PostgreSQL; nothing here searches: writes skip
#: the search index (see tests/conftest.py).
pytestmark = [pytest.mark.both_stores, pytest.mark.without_index]

STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
ID = "oai:catalogue.test:"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def filled(catalogue: Catalogue, clock: Clock) -> Catalogue:
    """Seven records written a minute apart (so datestamps differ), one of them deleted."""
    kinds = ["school", "library", "school", "mosque", "museum", "school", "church"]
    for i, kind in enumerate(kinds):
        clock.set(f"2024-01-0{1 + i // 4}T10:0{i % 4}:00Z")
        provenance = {"origin": "harvest", "source_name": "other archive"} if i == 3 else None
        record = make_record(id=f"rec-{i}", type=kind, title=f"Record {i}")
        if provenance:
            record["provenance"] = provenance
        catalogue.create(record)
    clock.set("2024-01-03T12:00:00Z")
    catalogue.delete("rec-1", reason="duplicate of rec-2")
    return catalogue


def identifiers(root: etree._Element) -> list[str]:
    return texts(root, "identifier")


# -- the six verbs -------------------------------------------------------------------------


def test_identify_publishes_config_and_earliest_datestamp(filled: Catalogue, client: FlaskClient) -> None:
    root = oai(client, verb="Identify")
    body = root.find(f"{OAI}Identify")
    assert body.findtext(f"{OAI}repositoryName") == "Heritage catalogue"
    assert body.findtext(f"{OAI}baseURL") == "http://localhost/oai"
    assert root.findtext(f"{OAI}request") == "http://localhost/oai"
    assert body.findtext(f"{OAI}protocolVersion") == "2.0"
    assert texts(body, "adminEmail") == ["admin@catalogue.test"]
    assert body.findtext(f"{OAI}earliestDatestamp") == "2024-01-01T10:00:00Z"
    assert body.findtext(f"{OAI}deletedRecord") == "persistent"
    assert body.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert STAMP.fullmatch(root.findtext(f"{OAI}responseDate"))
    assert "catalogue.test" in etree.tostring(body.find(f"{OAI}description")).decode()


def test_identify_uses_base_url_setting(tmp_path) -> None:
    app = make_app(tmp_path / "d", BASE_URL="https://heritage.example.org/")
    root = oai(app.test_client(), verb="Identify")
    assert root.find(f"{OAI}Identify").findtext(f"{OAI}baseURL") == "https://heritage.example.org/oai"


def test_list_metadata_formats(filled: Catalogue, client: FlaskClient) -> None:
    root = oai(client, verb="ListMetadataFormats")
    assert texts(root, "metadataPrefix") == ["oai_dc", "heritage"]
    assert "http://localhost/schemas/record.xsd" in texts(root, "schema")
    assert client.get("/schemas/record.xsd").data.startswith(b"<?xml")
    per_item = oai(client, verb="ListMetadataFormats", identifier=ID + "rec-0")
    assert texts(per_item, "metadataPrefix") == ["oai_dc", "heritage"]
    assert per_item.find(f"{OAI}request").get("identifier") == ID + "rec-0"


def test_list_sets_lists_non_empty_sets_with_names(filled: Catalogue, client: FlaskClient) -> None:
    root = oai(client, verb="ListSets")
    specs = texts(root, "setSpec")
    assert specs == sorted(set(specs), key=specs.index)  # no repeats
    for spec in ("type", "type:school", "type:mosque", "status", "status:destroyed", "source",
                 "source:other~20archive"):
        assert spec in specs
    assert "type:tomb" not in specs
    names = dict(zip(specs, texts(root, "setName"), strict=True))
    assert names["type:school"] == "Type: School"
    assert names["source:other~20archive"] == "Source: other archive"


def test_get_record_in_both_formats(filled: Catalogue, client: FlaskClient) -> None:
    root = oai(client, verb="GetRecord", identifier=ID + "rec-3", metadataPrefix="oai_dc")
    header = root.find(f".//{OAI}header")
    assert header.findtext(f"{OAI}datestamp") == "2024-01-01T10:03:00Z"
    assert texts(header, "setSpec") == ["type:mosque", "status:destroyed", "source:other~20archive"]
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert root.findtext(f".//{dc}title") == "Record 3"
    assert root.findtext(f".//{dc}identifier") == "http://localhost/records/rec-3"
    native = oai(client, verb="GetRecord", identifier=ID + "rec-3", metadataPrefix="heritage")
    record = xml_to_record(native.find(f".//{{{NAMESPACE}}}record"))
    assert record == filled.get("rec-3")


def test_deleted_record_keeps_a_header_without_metadata(filled: Catalogue, client: FlaskClient) -> None:
    root = oai(client, verb="GetRecord", identifier=ID + "rec-1", metadataPrefix="heritage")
    header = root.find(f".//{OAI}header")
    assert header.get("status") == "deleted"
    assert header.findtext(f"{OAI}datestamp") == "2024-01-03T12:00:00Z"
    assert root.find(f".//{OAI}metadata") is None


def test_list_records_and_identifiers_in_datestamp_order(filled: Catalogue, client: FlaskClient) -> None:
    for verb in ("ListRecords", "ListIdentifiers"):
        root = oai(client, verb=verb, metadataPrefix="oai_dc")
        assert identifiers(root) == [ID + f"rec-{i}" for i in (0, 2, 3, 4, 5, 6, 1)]
        stamps = texts(root, "datestamp")
        assert stamps == sorted(stamps) and all(STAMP.fullmatch(s) for s in stamps)
        assert root.find(f".//{OAI}resumptionToken") is None  # one page: no token
    assert len(oai(client, verb="ListRecords", metadataPrefix="heritage").findall(f".//{OAI}metadata")) == 6


def test_post_works_like_get(filled: Catalogue, client: FlaskClient) -> None:
    root = oai(client, "post", verb="ListIdentifiers", metadataPrefix="oai_dc", set="type:school")
    assert identifiers(root) == [ID + "rec-0", ID + "rec-2", ID + "rec-5"]


# -- selective harvesting ------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "expected"), [
    ({"from": "2024-01-01T10:02:00Z"}, [2, 3, 4, 5, 6, 1]),
    ({"until": "2024-01-01T10:02:00Z"}, [0, 2]),
    ({"from": "2024-01-01T10:02:00Z", "until": "2024-01-01T10:02:00Z"}, [2]),  # inclusive
    ({"from": "2024-01-02", "until": "2024-01-02"}, [4, 5, 6]),  # whole days
    ({"from": "2024-01-03"}, [1]),  # the deletion
    ({"set": "type:school"}, [0, 2, 5]),
    ({"set": "type"}, [0, 2, 3, 4, 5, 6, 1]),
    ({"set": "type:library"}, [1]),  # a deleted record stays in its sets
    ({"set": "source:other~20archive"}, [3]),
    ({"set": "status:destroyed", "from": "2024-01-02"}, [4, 5, 6, 1]),
])
def test_from_until_and_sets(filled: Catalogue, client: FlaskClient, arguments: dict[str, str],
                             expected: list[int]) -> None:
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **arguments)
    assert identifiers(root) == [ID + f"rec-{i}" for i in expected]
    assert root.find(f"{OAI}request").attrib == dict(arguments, verb="ListIdentifiers", metadataPrefix="oai_dc")


# -- paging --------------------------------------------------------------------------------


@pytest.fixture
def paged_app(tmp_path) -> Flask:
    return make_app(tmp_path / "data", OAI_PAGE_SIZE=2)


def test_resumption_tokens_page_through_everything(paged_app: Flask, clock: Clock) -> None:
    with paged_app.app_context():
        from catalogue.web import get_catalogue

        catalogue = get_catalogue()
        catalogue.import_records((str(i), make_record(id=f"r{i}", title=f"R {i}")) for i in range(5))
    client = paged_app.test_client()
    seen, cursors, token, arguments = [], [], None, {"verb": "ListRecords", "metadataPrefix": "heritage"}
    while True:
        root = oai(client, **arguments)
        seen += identifiers(root)
        token = root.find(f".//{OAI}resumptionToken")
        cursors.append((token.get("cursor"), token.get("completeListSize")))
        if not token.text:
            break
        assert STAMP.fullmatch(token.get("expirationDate"))
        arguments = {"verb": "ListRecords", "resumptionToken": token.text}
    assert seen == [ID + f"r{i}" for i in range(5)]
    assert cursors == [("0", "5"), ("2", "5"), ("4", "5")]
    assert token.get("expirationDate") is None
    # the same token gives the same page again (stateless)
    again = oai(client, verb="ListRecords", resumptionToken=arguments["resumptionToken"])
    assert identifiers(again) == [ID + "r4"]


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
@pytest.mark.parametrize("count", [2, 4])
def test_a_list_of_exact_pages_ends_on_its_last_full_page(paged_app: Flask, clock: Clock, verb: str,
                                                           count: int) -> None:
    """N times the page size: N pages, the last one closing the list, never an empty page
    or noRecordsMatch after it."""
    with paged_app.app_context():
        from catalogue.web import get_catalogue

        get_catalogue().import_records((str(i), make_record(id=f"r{i}")) for i in range(count))
    client = paged_app.test_client()
    pages, arguments = [], {"verb": verb, "metadataPrefix": "oai_dc"}
    while True:
        root = oai(client, **arguments)
        assert error_codes(root) == []
        pages.append(identifiers(root))
        token = root.find(f".//{OAI}resumptionToken")
        if token is None or not token.text:
            break
        arguments = {"verb": verb, "resumptionToken": token.text}
    assert pages == [[ID + f"r{i}", ID + f"r{i + 1}"] for i in range(0, count, 2)]
    if count == 2:
        assert token is None  # one complete page: no resumptionToken at all
    else:
        assert (token.text, token.get("cursor"), token.get("completeListSize")) == (None, "2", "4")


def _first_token(client: FlaskClient, verb: str = "ListIdentifiers") -> str:
    root = oai(client, verb=verb, metadataPrefix="oai_dc")
    return root.find(f".//{OAI}resumptionToken").text


def test_tampered_foreign_and_misused_tokens_are_bad(paged_app: Flask, clock: Clock) -> None:
    with paged_app.app_context():
        from catalogue.web import get_catalogue

        get_catalogue().import_records((str(i), make_record(id=f"r{i}")) for i in range(3))
    client = paged_app.test_client()
    token = _first_token(client)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "not-a-token", token + "x"):
        assert error_codes(oai(client, verb="ListIdentifiers", resumptionToken=bad)) == ["badResumptionToken"]
    # a token of ListIdentifiers does not resume ListRecords
    assert error_codes(oai(client, verb="ListRecords", resumptionToken=token)) == ["badResumptionToken"]
    assert error_codes(oai(client, verb="ListSets", resumptionToken=token)) == ["badResumptionToken"]
    other = make_app(paged_app.config["DATA"], SECRET_KEY="another-key", OAI_PAGE_SIZE=2).test_client()
    assert error_codes(oai(other, verb="ListIdentifiers", resumptionToken=token)) == ["badResumptionToken"]
    root = oai(client, verb="ListIdentifiers", resumptionToken=token)
    assert root.find(f"{OAI}request").attrib == {"verb": "ListIdentifiers", "resumptionToken": token}


def test_expired_token_is_bad(paged_app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    with paged_app.app_context():
        from catalogue.web import get_catalogue

        get_catalogue().import_records((str(i), make_record(id=f"r{i}")) for i in range(3))
    client = paged_app.test_client()
    issued_long_ago = int(time.time()) - paged_app.config["OAI_TOKEN_TTL"] - 10
    with monkeypatch.context() as patch:
        patch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp", lambda self: issued_long_ago)
        token = _first_token(client)
    root = oai(client, verb="ListIdentifiers", resumptionToken=token)
    assert error_codes(root) == ["badResumptionToken"]
    assert "expired" in root.findtext(f"{OAI}error")


def test_configured_token_ttl_is_honoured(tmp_path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(tmp_path / "data", OAI_PAGE_SIZE=2, OAI_TOKEN_TTL=60)
    with app.app_context():
        from catalogue.web import get_catalogue

        get_catalogue().import_records((str(i), make_record(id=f"r{i}")) for i in range(3))
    client = app.test_client()
    fresh = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc").find(f".//{OAI}resumptionToken")
    expires = datetime.strptime(fresh.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert 55 <= (expires - datetime.now(UTC)).total_seconds() <= 60
    tokens = {}
    for age in (30, 61, 3600):
        with monkeypatch.context() as patch:
            issued = int(time.time()) - age  # a token made `age` seconds ago
            patch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp", lambda self, issued=issued: issued)
            tokens[age] = _first_token(client)
    assert identifiers(oai(client, verb="ListIdentifiers", resumptionToken=tokens[30])) == [ID + "r2"]
    for age in (61, 3600):
        root = oai(client, verb="ListIdentifiers", resumptionToken=tokens[age])
        assert error_codes(root) == ["badResumptionToken"] and "expired" in root.findtext(f"{OAI}error")


# -- errors --------------------------------------------------------------------------------

BAD_ARGUMENTS = [
    {"verb": "Identify", "extra": "1"},
    {"verb": "GetRecord", "identifier": ID + "rec-0"},
    {"verb": "ListRecords"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-13-01"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-02-30"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00.123Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01T10:00:00+01:00"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-02", "until": "2024-01-01"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2024-01-01", "until": "2024-01-02T00:00:00Z"},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "type school"},
    {"verb": "ListRecords", "metadataPrefix": "oai dc"},
    {"verb": "ListRecords", "metadataPrefix": ""},
    {"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "abc"},
    {"verb": "ListMetadataFormats", "metadataPrefix": "oai_dc"},
    {"verb": "ListSets", "set": "type"},
]


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS)
def test_bad_arguments(filled: Catalogue, client: FlaskClient, arguments: dict[str, str]) -> None:
    root = oai(client, **arguments)
    assert error_codes(root) == ["badArgument"]
    assert root.find(f"{OAI}request").attrib == {}  # nothing echoed (3.2)


def test_repeated_argument_is_bad_argument(filled: Catalogue, client: FlaskClient) -> None:
    for method in ("get", "post"):
        call = client.get if method == "get" else client.post
        data = MultiDict([("verb", "ListRecords"), ("metadataPrefix", "oai_dc"), ("metadataPrefix", "heritage")])
        response = call("/oai", query_string=data) if method == "get" else call("/oai", data=data)
        assert error_codes(assert_valid(response.data)) == ["badArgument"]
    # an argument given once in the URL and once in the POST body is repeated too
    response = client.post("/oai?verb=Identify", data={"verb": "Identify"})
    assert error_codes(assert_valid(response.data)) == ["badVerb"]


@pytest.mark.parametrize("query", ["", "verb=Nope", "verb=Identify&verb=Identify", "verb=identify"])
def test_bad_verb(filled: Catalogue, client: FlaskClient, query: str) -> None:
    root = oai_query(client, query)
    assert error_codes(root) == ["badVerb"]
    assert root.find(f"{OAI}request").attrib == {}


@pytest.mark.parametrize(("arguments", "code"), [
    ({"verb": "GetRecord", "identifier": ID + "rec-0", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": ID + "nope", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "oai:elsewhere.org:rec-0", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "not a URI <at all>", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": ID + "nope"}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": ID + "rec-1"}, "noMetadataFormats"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2030-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "2023-12-31"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "type:tomb"}, "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "colour:red"}, "noRecordsMatch"),
])
def test_other_error_codes_echo_the_request(filled: Catalogue, client: FlaskClient, arguments: dict[str, str],
                                            code: str) -> None:
    root = oai(client, **arguments)
    assert error_codes(root) == [code]
    echoed = root.find(f"{OAI}request").attrib
    assert echoed == {k: v for k, v in arguments.items() if "<" not in v}


def test_empty_repository_has_no_sets(client: FlaskClient) -> None:
    assert error_codes(oai(client, verb="ListSets")) == ["noSetHierarchy"]
    assert error_codes(oai(client, verb="ListRecords", metadataPrefix="oai_dc")) == ["noRecordsMatch"]
    identify = oai(client, verb="Identify")
    assert STAMP.fullmatch(identify.find(f".//{OAI}earliestDatestamp").text)


@pytest.mark.parametrize("query", [
    "verb=%01Identify%EF%BF%BF",
    "verb=GetRecord&metadataPrefix=oai_dc&identifier=oai%3Ax%3A%02%0B",
    "verb=Identify&bad%1Fname=1",
])
def test_characters_xml_forbids_never_reach_the_output(filled: Catalogue, client: FlaskClient, query: str) -> None:
    root = oai_query(client, query)  # well-formed and valid
    assert error_codes(root)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", etree.tostring(root, encoding="unicode"))
