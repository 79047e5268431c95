"""OAI-PMH responses at the provider's edges that are not about paging, as a harvester reads
them over HTTP: what every error response repeats of the request and says of the problem,
the formats and sets as advertised, and Identify's sample identifier. Found untested by
mutation testing (catalogue.oai.provider)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from catalogue.formats.oaipmh import XSI
from tests.conftest import make_app
from tests.oaitools import OAI, error_codes, oai, oai_query, texts
from tests.recordsamples import make_record

BASE = "https://heritage.example.org"
ID = "oai:catalogue.test:"


@pytest.fixture
def app(tmp_path) -> Flask:
    """A repository answering at BASE/oai."""
    return make_app(tmp_path / "data", BASE_URL=BASE + "/")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _add(app: Flask, *records: dict) -> None:
    with app.app_context():
        from catalogue.web import get_catalogue

        for record in records:
            get_catalogue().create(record)


@pytest.mark.parametrize(("query", "code"), [
    ("", "badVerb"),
    ("verb=Identify&extra=1", "badArgument"),
    ("verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:catalogue.test:nope", "idDoesNotExist"),
    ("verb=ListRecords&resumptionToken=not-a-token", "badResumptionToken"),
])
def test_every_error_response_names_the_endpoint_it_answers_for(client: FlaskClient, query: str, code: str) -> None:
    """<request> holds the base URL in error responses too (3.2), echoed arguments or not."""
    root = oai_query(client, query)
    assert error_codes(root) == [code]
    assert root.findtext(f"{OAI}request") == BASE + "/oai"


@pytest.mark.parametrize(("arguments", "message"), [
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": ID + "nope"},
     "No item has the identifier 'oai:catalogue.test:nope' in this repository."),
    ({"verb": "GetRecord", "metadataPrefix": "marc21", "identifier": ID + "r1"},
     "The metadataPrefix 'marc21' is not offered; use one of oai_dc, heritage."),
    ({"verb": "ListSets", "resumptionToken": "any"},
     "This repository lists all sets at once and issues no ListSets tokens."),
])
def test_an_error_says_what_was_asked_and_what_to_ask_instead(app: Flask, client: FlaskClient,
                                                              arguments: dict[str, str], message: str) -> None:
    _add(app, make_record(id="r1"))
    assert texts(oai(client, **arguments), "error") == [message]


def test_each_format_advertises_the_namespace_and_schema_its_records_carry(app: Flask, client: FlaskClient) -> None:
    """What ListMetadataFormats promises is what GetRecord delivers, format by format."""
    _add(app, make_record(id="r1"))
    root = oai(client, verb="ListMetadataFormats")
    formats = list(zip(texts(root, "metadataPrefix"), texts(root, "schema"), texts(root, "metadataNamespace"),
                       strict=True))
    assert [prefix for prefix, _, _ in formats] == ["oai_dc", "heritage"]
    assert formats[1][1] == BASE + "/schemas/record.xsd"
    for prefix, schema, namespace in formats:
        metadata = oai(client, verb="GetRecord", metadataPrefix=prefix, identifier=ID + "r1").find(f".//{OAI}metadata")
        [payload] = list(metadata)
        assert etree.QName(payload).namespace == namespace
        assert payload.get(f"{{{XSI}}}schemaLocation") == f"{namespace} {schema}"


def test_identify_gives_a_sample_identifier_this_repository_could_issue(app: Flask, client: FlaskClient) -> None:
    """The oai-identifier description's sample is of this repository's form, with a local
    part the catalogue accepts as a record id: a record of that id is served under it."""
    sample = oai(client, verb="Identify").findtext(
        ".//{http://www.openarchives.org/OAI/2.0/oai-identifier}sampleIdentifier")
    assert sample.startswith(ID)
    _add(app, make_record(id=sample.removeprefix(ID)))
    assert error_codes(oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=sample)) == []


def test_parent_sets_are_named_for_what_they_group(app: Flask, client: FlaskClient) -> None:
    record = make_record(id="r1", type="school")
    record["provenance"] = {"origin": "harvest", "source_name": "other archive"}
    _add(app, record)
    root = oai(client, verb="ListSets")
    names = dict(zip(texts(root, "setSpec"), texts(root, "setName"), strict=True))
    assert {spec: names[spec] for spec in ("type", "status", "source")} == {
        "type": "Records by type of heritage", "status": "Records by current condition",
        "source": "Records by the source they were harvested or imported from"}


MARKUP = 'A & B <i>x</i> "quoted" \'single\' ]]> &amp; Ходжалы 𝔛'


def test_text_that_looks_like_markup_reaches_the_harvester_as_the_same_text(app: Flask, client: FlaskClient) -> None:
    """Responses are written as text: every value that XML must escape (ampersands, angle
    brackets, quotes, a CDATA end, an entity already spelled out, line breaks and tabs,
    characters beyond the BMP) reads back from both formats exactly as stored, the native
    format the whole record."""
    from catalogue.formats.native import xml_to_record

    record = make_record(id="r1", title=MARKUP, description="line one\r\nline two\ttabbed\rend",
                         names=[{"value": MARKUP, "lang": "az"}, {"value": "Xocalı", "lang": "az-Latn"}])
    record["provenance"] = {"origin": "harvest", "source_name": 'archive "A&B" <x>'}
    _add(app, record)
    with app.app_context():
        from catalogue.web import get_catalogue

        stored = get_catalogue().get("r1")
    assert stored["description"] == "line one\nline two\ttabbed\nend"  # line breaks are stored as \n
    dc = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=ID + "r1")
    titles = dc.findall(".//{http://purl.org/dc/elements/1.1/}title")
    assert [(t.text, t.get("{http://www.w3.org/XML/1998/namespace}lang")) for t in titles] == [
        (MARKUP, None), (MARKUP, "az"), ("Xocalı", "az-Latn")]
    assert dc.findtext(".//{http://purl.org/dc/elements/1.1/}description") == stored["description"]
    native = oai(client, verb="GetRecord", metadataPrefix="heritage", identifier=ID + "r1")
    [payload] = list(native.find(f".//{OAI}metadata"))
    back = xml_to_record(payload)
    assert back == stored
    assert ("source:" + "archive~20~22A~26B~22~20~3Cx~3E") in texts(dc, "setSpec")


@pytest.mark.parametrize("token", ['a"b<c>&d', "tab\there", "line\nbreak", "cr\rhere", "&amp;", "' <x/> '"])
def test_an_echoed_argument_reads_back_as_it_was_sent(client: FlaskClient, token: str) -> None:
    """<request> echoes the arguments as attributes: quotes, angle brackets, ampersands and
    whitespace that an attribute would otherwise fold into spaces all come back unchanged."""
    root = oai(client, verb="ListRecords", resumptionToken=token)
    assert error_codes(root) == ["badResumptionToken"]
    assert root.find(f"{OAI}request").attrib == {"verb": "ListRecords", "resumptionToken": token}


def test_an_error_message_quoting_markup_reads_back_as_it_was_sent(client: FlaskClient) -> None:
    identifier = 'oai:a:"<&>\'</error>'
    root = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier)
    assert root.findtext(f"{OAI}error") == f"No item has the identifier {identifier!r} in this repository."
