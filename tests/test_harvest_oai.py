"""The OAI-PMH client against real captured responses and a hostile loopback provider."""

from __future__ import annotations

import importlib.util
import time

import pytest

from catalogue.formats import oaipmh
from catalogue.formats.dc import Context, dc_to_record
from harvest import errors
from harvest.addresses import NetworkPolicy
from harvest.checkpoints import overlap_from
from harvest.client import USER_AGENT, Settings
from harvest.oai import OAIClient
from harvest.safexml import parse_xml
from tests.conftest import data_path
from tests.oai_provider import BILLION_LAUGHS, LOOPBACK, Provider

REAL = ("oai-pmh", "real-responses")
#: Quick retries; the read timeout stays generous, because a response answered late on a busy
#: machine would be retried and the one-off fault it carried lost (only the stall test times out).
FAST = {"connect_timeout": 1, "read_timeout": 10, "retries": 2, "backoff": 0.01, "max_backoff": 0.05}
NETWORKS = NetworkPolicy.from_setting(LOOPBACK)


@pytest.fixture
def provider():
    with Provider(page_size=2) as p:
        for n in range(5):
            p.put(f"oai:test:{n}", f"Record {n}", type="Mosque")
        yield p


def client(provider: Provider, sleeps: list[float] | None = None, **overrides: float) -> OAIClient:
    settings = Settings.from_mapping({**FAST, **overrides})
    if sleeps is None:
        return OAIClient(provider.url, settings, networks=NETWORKS)
    return OAIClient(provider.url, settings, networks=NETWORKS, sleep=sleeps.append)


def real(name: str) -> bytes:
    return data_path(*REAL, name).read_bytes()


# -- real responses ---------------------------------------------------------------------


def zenodo_pages(provider: Provider) -> list:
    """The two captured Zenodo pages, served in turn (the capture ends with a token no one knows)."""
    provider.fail("raw", (200, real("zenodo-ListRecords-oai_dc-page1.xml")))
    provider.fail("raw", (200, real("zenodo-ListRecords-oai_dc-resumed.xml")))
    pages: list = []
    with pytest.raises(oaipmh.BadResumptionToken):
        pages.extend(client(provider).list_records("oai_dc"))
    return pages


def test_zenodo_list_pages_through_the_real_token_and_sees_the_deletion(provider):
    pages = zenodo_pages(provider)
    assert [len(p.records) for p in pages] == [50, 3]
    assert pages[0].complete_list_size == 6380 and pages[1].token
    assert provider.requests[1]["resumptionToken"] == pages[0].token
    deleted = [r.identifier for r in pages[1].records if r.deleted]
    assert deleted == ["oai:zenodo.org:8433364"]


def test_real_identify_responses_give_granularity_and_deletion_policy(provider):
    provider.fail("raw", (200, real("zenodo-Identify.xml")))
    provider.fail("raw", (200, real("eperiodica-Identify.xml")))
    zenodo, eperiodica = client(provider).identify(), client(provider).identify()
    assert (zenodo.repository_name, zenodo.granularity, zenodo.deleted_record) == (
        "Zenodo", "YYYY-MM-DDThh:mm:ssZ", "no")
    assert eperiodica.base_url == "https://www.e-periodica.ch/oai/dataprovider"


@pytest.mark.parametrize("name, status", [("zenodo-error-noRecordsMatch-http422.xml", 422),
                                          ("dspace-mit-error-noRecordsMatch.xml", 200)])
def test_no_records_match_is_an_empty_list_even_with_http_422(provider, name, status):
    provider.fail("raw", (status, real(name)))
    assert list(client(provider).records("oai_dc")) == []


def test_bad_resumption_token_from_a_422_body_is_its_own_error(provider):
    provider.fail("raw", (422, real("zenodo-error-badResumptionToken-http422.xml")))
    with pytest.raises(oaipmh.BadResumptionToken, match="invalid or expired"):
        list(client(provider).list_records("oai_dc", token="old"))


def test_dspace_deleted_record_has_no_metadata(provider):
    provider.fail("raw", (200, real("dspace-mit-ListRecords-deleted.xml")))
    (record,) = client(provider).records("oai_dc")
    assert record.deleted and record.metadata is None and record.datestamp == "2017-12-14T15:03:59Z"


def test_zenodo_records_map_to_valid_records_with_provenance_and_citation(provider):
    from catalogue import records

    context = Context("zenodo", "Zenodo", "https://zenodo.org/oai2d")
    live = [r for page in zenodo_pages(provider) for r in page.records if not r.deleted]
    assert len(live) == 52
    for n, oai in enumerate(live):
        mapped = dc_to_record(oai, context)
        record = records.prepare(dict(mapped.record, id=f"z-{n}"))
        assert record["provenance"]["source_identifier"] == oai.identifier
        assert "harvested over OAI-PMH from https://zenodo.org/oai2d" in record["sources"][0]["citation"]
        assert {"scheme": "oai", "value": oai.identifier} in record["external_ids"]
    first = dc_to_record(live[0], context)
    assert first.record["type"] == "other" and first.unmapped_types == ["info:eu-repo/semantics/article"]
    assert "info:eu-repo/semantics/article" in first.record["notes"]
    assert "<" not in first.record["description"] and "&" not in first.record["description"]


# -- network hazards --------------------------------------------------------------------


def test_user_agent_names_the_software(provider):
    client(provider).identify()
    assert provider.user_agents == [USER_AGENT] and "heritage-catalogue" in USER_AGENT


def test_503_retry_after_is_honoured(provider):
    sleeps: list[float] = []
    provider.fail("503", 2)
    assert len(list(client(provider, sleeps).records("oai_dc"))) == 5
    assert sleeps == [2.0]


def test_retry_after_beyond_the_cap_stops_with_a_clear_error(provider):
    provider.fail("503", 3600)
    with pytest.raises(errors.ServerBusy, match="3600"):
        list(client(provider, [], retry_after_cap=60).records("oai_dc"))


def test_5xx_retried_with_exponential_backoff_then_given_up(provider):
    sleeps: list[float] = []
    provider.fail("500", times=2)
    assert len(list(client(provider, sleeps, backoff=1, max_backoff=10).records("oai_dc"))) == 5
    assert sleeps == [1.0, 2.0]
    provider.fail("500", times=3)
    with pytest.raises(errors.HTTPStatusError, match="HTTP 500"):
        client(provider, []).identify()


def test_connection_refused_is_a_network_error_after_retries():
    with Provider() as gone:
        url = gone.url
    sleeps: list[float] = []
    with pytest.raises(errors.NetworkError, match="3 attempts"):
        OAIClient(url, Settings.from_mapping(FAST), networks=NETWORKS, sleep=sleeps.append).identify()
    assert len(sleeps) == 2


def test_a_stalled_server_times_out(provider):
    provider.fail("stall", 2, times=3)
    started = time.monotonic()
    with pytest.raises(errors.NetworkError, match="timed out"):
        client(provider, retries=0, read_timeout=0.3).identify()
    assert time.monotonic() - started < 1.5


def test_total_deadline_stops_the_run(provider):
    provider.fail("503", 5)
    with pytest.raises(errors.DeadlineExceeded):
        client(provider, [], deadline=1).identify()


FRAMINGS = ["length", "chunked", "gzip", "headers"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_trickling_provider_hits_deadline(provider, framing):
    """A byte every 50 ms never lets a read time out; the deadline holds all the same."""
    provider.fail("trickle", {"framing": framing, "interval": 0.05})
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceeded, match=r"deadline of 1\.5 s"):
        client(provider, deadline=1.5).identify()
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("framing", FRAMINGS[:3])
def test_trickling_provider_below_min_rate_is_cut(provider, framing):
    provider.fail("trickle", {"framing": framing, "interval": 0.05})  # about 20 bytes/s
    started = time.monotonic()
    with pytest.raises(errors.TransferTooSlow, match="minimum rate of 500 bytes/s"):
        client(provider, min_rate=500, rate_window=0.5).identify()
    assert time.monotonic() - started < 2.5


def test_trickled_headers_are_cut_after_twice_the_read_timeout(provider):
    provider.fail("trickle", {"framing": "headers", "interval": 0.05})
    started = time.monotonic()
    with pytest.raises(errors.TransferTooSlow, match="headers"):
        client(provider, read_timeout=0.4).identify()
    assert time.monotonic() - started < 2.5


def test_a_slow_but_steady_provider_is_not_cut(provider):
    provider.fail("trickle", {"framing": "chunked", "interval": 0.002})  # hundreds of bytes/s
    identify = client(provider, min_rate=50, rate_window=0.3, deadline=30).identify()
    assert identify.repository_name == "Test provider"


def test_gzip_bomb_is_refused_at_the_byte_limit(provider):
    provider.fail("gzip-bomb", 50_000_000)
    started = time.monotonic()
    with pytest.raises(errors.ResponseTooLarge, match="compression bomb"):
        client(provider, max_bytes=1_000_000).identify()
    assert time.monotonic() - started < 2


def test_doctype_bomb_and_xxe_refused_fast(provider):
    provider.fail("doctype-bomb")
    started = time.monotonic()
    with pytest.raises(errors.UnsafeXML):
        client(provider).identify()
    assert time.monotonic() - started < 1


def test_entities_in_utf16_are_refused_too():
    with pytest.raises(errors.UnsafeXML):
        parse_xml(BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16"))


def test_repeated_token_stops_the_list(provider):
    provider.repeat_tokens = True
    with pytest.raises(errors.EndlessList, match="twice"):
        list(client(provider).list_records("oai_dc"))


def test_too_many_pages_stop_the_list(provider):
    with pytest.raises(errors.EndlessList, match="more than 2 pages"):
        list(client(provider, max_pages=2).list_records("oai_dc"))


def test_invalid_characters_are_reported_per_record_not_fatal(provider):
    provider.fail("invalid-chars")
    records = list(client(provider).records("oai_dc"))
    assert len(records) == 5
    assert records[0].problems and not any(r.problems for r in records[1:])
    title = records[0].metadata[0].text
    assert title == "Record 0" or title.startswith("Record 0")
    assert not any(ord(c) < 32 for c in title)


def test_other_oai_errors_carry_code_and_message(provider):
    body = provider.envelope({}, '<error code="cannotDisseminateFormat">no such format</error>')
    provider.fail("raw", (200, body))
    with pytest.raises(oaipmh.CannotDisseminateFormat, match="cannotDisseminateFormat: no such format"):
        list(client(provider).records("marc"))


def test_not_oai_pmh_and_not_xml_are_clear_errors(provider):
    provider.fail("raw", (200, b"<html><body>hello</body></html>"))
    with pytest.raises(errors.BadXML, match="not an OAI-PMH response"):
        client(provider).identify()
    provider.fail("raw", (200, b"plain text"))
    with pytest.raises(errors.BadXML):
        client(provider).identify()


def test_sets_and_dates_are_sent(provider):
    list(client(provider).list_records("oai_dc", set_spec="a:b", from_="2024-01-01", until="2024-02-01"))
    assert provider.requests[0] == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "a:b",
                                    "from": "2024-01-01", "until": "2024-02-01"}


def test_overlap_is_at_the_provider_granularity():
    assert overlap_from("2024-03-01T10:00:00Z", "YYYY-MM-DD", 60) == "2024-02-29"
    assert overlap_from("2024-03-01T10:00:00Z", "YYYY-MM-DDThh:mm:ssZ", 60) == "2024-03-01T09:59:00Z"


def test_client_and_provider_share_one_class_per_oai_error_code():
    """The eight error codes are defined once (`catalogue.formats.oaipmh`): the provider answers
    with an error's text, the harvester logs its code and the provider's message."""
    assert importlib.util.find_spec("catalogue.oai.errors") is None
    assert not [name for name, value in vars(errors).items()
                if isinstance(value, type) and issubclass(value, oaipmh.OAIError)]
    sent = oaipmh.oai_error("badResumptionToken", "  expired  ")
    assert type(sent) is oaipmh.BadResumptionToken and str(sent) == "OAI-PMH error badResumptionToken: expired"
    silent = oaipmh.oai_error("noRecordsMatch", "")
    assert str(silent) == "OAI-PMH error noRecordsMatch" and silent.text == oaipmh.NoRecordsMatch.default
    odd = oaipmh.oai_error("someLocalCode", "what")
    assert (odd.code, str(odd)) == ("someLocalCode", "OAI-PMH error someLocalCode: what")
