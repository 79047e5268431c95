"""The provider gzips its responses for clients that accept gzip, as Identify declares, and
this catalogue's own harvester takes them (within its byte limit, counted after decompression)."""

from __future__ import annotations

import gzip

import pytest
import requests
from flask import Flask

from harvest import errors
from harvest.addresses import NetworkPolicy
from harvest.client import Settings
from harvest.oai import OAIClient
from tests.oai_provider import LOOPBACK
from tests.oaitools import assert_valid, serve


@pytest.fixture
def paged(demo_app: Flask) -> Flask:
    demo_app.config["OAI_PAGE_SIZE"] = 3
    return demo_app


def test_the_harvester_receives_gzip_as_identify_declares(paged: Flask) -> None:
    with paged.app_context():
        expected = sum(1 for _ in paged.extensions["catalogue"].store.iter_records(include_deleted=True))
    with serve(paged) as url:
        client = OAIClient(url, Settings(), networks=NetworkPolicy.from_setting(LOOPBACK))
        encodings: list[str | None] = []
        client.session.hooks["response"].append(lambda r, *a, **k: encodings.append(r.headers.get("Content-Encoding")))
        try:
            assert client.identify().compression == ["gzip"]
            pages = list(client.list_records("oai_dc"))
        finally:
            client.close()
    assert len(pages) > 2 and sum(len(p.records) for p in pages) == expected
    assert encodings == ["gzip"] * (1 + len(pages))


def test_the_byte_limit_counts_the_decompressed_body(paged: Flask) -> None:
    with serve(paged) as url:
        page = requests.get(url, params={"verb": "ListRecords", "metadataPrefix": "oai_dc"}, timeout=10,
                            headers={"Accept-Encoding": "gzip"}, stream=True)
        compressed = page.raw.read()  # the bytes on the wire
        assert page.headers["Content-Encoding"] == "gzip"
        wire = len(compressed)
        assert len(gzip.decompress(compressed)) > 2 * wire
        client = OAIClient(url, Settings(max_bytes=wire + 1), networks=NetworkPolicy.from_setting(LOOPBACK))
        try:
            with pytest.raises(errors.ResponseTooLarge):
                list(client.list_records("oai_dc"))
        finally:
            client.close()


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "br"])
def test_clients_that_do_not_take_gzip_get_plain_xml(paged: Flask, accept: str) -> None:
    with serve(paged) as url:
        response = requests.get(url, params={"verb": "Identify"}, headers={"Accept-Encoding": accept}, timeout=10)
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]
    root = assert_valid(response.content)
    assert root.findtext("{http://www.openarchives.org/OAI/2.0/}Identify/"
                         "{http://www.openarchives.org/OAI/2.0/}compression") == "gzip"
