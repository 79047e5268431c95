"""Helpers of the OAI-PMH tests: the official validator (tests/data/oai-pmh), the native XSD, a loopback server,
a controllable store clock and a Sickle client that keeps every response it received."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from sickle import Sickle
from werkzeug.serving import make_server

from catalogue.formats.native import NAMESPACE, xsd_path
from tests.conftest import data_path

OAI = "{http://www.openarchives.org/OAI/2.0/}"


@cache
def _validator(path: str) -> Callable[[bytes], list[str]]:
    spec = importlib.util.spec_from_file_location("oai_pmh_validate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.validate_bytes


@cache
def native_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(xsd_path())))


def assert_valid(body: bytes) -> etree._Element:
    """Check a response against the official OAI-PMH and oai_dc schemas (tests/data/oai-pmh)
    and every native record against our XSD; return the root."""
    validate = _validator(str(data_path("oai-pmh", "validate.py")))
    problems = validate(body)
    assert problems == [], problems
    root = etree.fromstring(body)
    for element in root.iter(f"{{{NAMESPACE}}}record"):
        copy = etree.fromstring(etree.tostring(element))
        assert native_schema().validate(copy), native_schema().error_log
    return root


def oai(client: Any, method: str = "get", **arguments: Any) -> etree._Element:
    """One request through the Flask test client: HTTP 200, valid XML; the root element."""
    call = client.post if method == "post" else client.get
    response = call("/oai", query_string=arguments) if method == "get" else call("/oai", data=arguments)
    assert response.status_code == 200
    assert response.content_type == "text/xml; charset=utf-8"
    return assert_valid(response.data)


def oai_query(client: Any, query: str) -> etree._Element:
    """A GET with a raw query string (repeated or odd arguments): HTTP 200, valid XML."""
    response = client.get(f"/oai?{query}")
    assert response.status_code == 200
    return assert_valid(response.data)


def error_codes(root: etree._Element) -> list[str]:
    return [e.get("code") for e in root.iter(f"{OAI}error")]


def texts(root: etree._Element, name: str) -> list[str]:
    return [e.text or "" for e in root.iter(f"{OAI}{name}")]


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on a free loopback port in a thread; yields the /oai URL."""
    server = make_server("127.0.0.1", 0, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/oai"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def closing_bodies(app: Any) -> Any:
    """`app` whose response bodies are closed even when the client drops the connection:
    werkzeug's development server then skips closing them, and a static file left open (a
    browser cancelling a favicon request) fails the test that happens to collect it."""
    def wrapped(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()
    return wrapped


class CheckingSickle(Sickle):
    """Sickle that validates and keeps every response body it receives."""

    def __init__(self, endpoint: str, **kwargs: Any):
        super().__init__(endpoint, timeout=30, **kwargs)
        self.bodies: list[bytes] = []

    def harvest(self, **kwargs: Any) -> Any:
        response = super().harvest(**kwargs)
        body = response.http_response.content
        assert response.http_response.status_code == 200
        assert_valid(body)
        self.bodies.append(body)
        return response


class Clock:
    """The store's clock, set by the test, so datestamps differ without waiting."""

    def __init__(self, start: str = "2024-01-01T00:00:00Z"):
        self.now = start

    def __call__(self) -> str:
        return self.now

    def set(self, stamp: str) -> None:
        self.now = stamp


def install_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Replace `catalogue.store.utcnow` (the time stamped on every write) by a `Clock`."""
    fake = Clock()
    monkeypatch.setattr("catalogue.store.utcnow", fake)
    return fake
