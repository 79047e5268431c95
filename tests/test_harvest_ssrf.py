"""Server-side request forgery: a harvest source can lead only to public addresses (or to
networks the operator allows with CATALOGUE_HARVEST_ALLOW_NETWORKS), checked when the source
is registered, on every connection (the address actually dialled) and on every redirect."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

import harvest.runs
import harvest.sources
from catalogue.errors import CatalogueError
from catalogue.web import get_catalogue
from tests.archivists import csrf_token, signed_in
from tests.conftest import make_app
from tests.oai_provider import Provider

FAST = {"connect_timeout": 1, "read_timeout": 5, "retries": 0, "backoff": 0.01, "max_backoff": 0.02}
REAL_GETADDRINFO = socket.getaddrinfo


@pytest.fixture
def provider() -> Iterator[Provider]:
    with Provider(page_size=2) as p:
        p.put("oai:test:1", "Old mosque", type="mosque")
        yield p


def app_allowing(tmp_path: Path, networks: str) -> Flask:
    return make_app(tmp_path / "data", HARVEST_ALLOW_NETWORKS=networks)


def catalogue_of(app: Flask):
    with app.app_context():
        return get_catalogue()


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> None:
    """Make the names in `answers` resolve to the given addresses (others resolve as usual)."""
    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return REAL_GETADDRINFO(answers[host], port, *args, **kwargs)
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


REFUSED = [
    ("http://127.0.0.1:{port}/oai", "127.0.0.1 is a loopback address"),
    ("http://2130706433:{port}/oai", "odd notation"),
    ("http://0x7f000001:{port}/oai", "odd notation"),
    ("http://0177.0.0.1:{port}/oai", "odd notation"),
    ("http://127.1:{port}/oai", "odd notation"),
    ("http://[::1]:{port}/oai", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]:{port}/oai", "IPv4-mapped"),
    ("http://10.0.0.1/oai", "10.0.0.1 is a private address"),
    ("http://192.168.1.1/oai", "private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://0.0.0.0:{port}/oai", "unspecified address"),
    ("http://224.0.0.1/oai", "multicast address"),
    ("http://240.0.0.1/oai", "reserved address"),
    ("http://user@127.0.0.1:{port}/oai", "credentials"),
    ("http://user:secret@example.org/oai", "credentials"),
    ("http://localhost:{port}/oai", "localhost resolves to "),  # 127.0.0.1 or ::1, loopback either way
    ("file:///etc/passwd", "not an http(s) URL"),
    ("gopher://example.org/", "not an http(s) URL"),
    ("http://example.org/oai\nHost: evil", "whitespace or control characters"),
    ("http://example.org/o ai", "whitespace or control characters"),
    ("http://example.org/oai\x00", "whitespace or control characters"),
    ("http://example.org/\u202eioa", "whitespace or control characters"),
]


@pytest.mark.parametrize("url, reason", REFUSED)
def test_ssrf_refuses_inward_and_odd_urls_at_registration(tmp_path, provider, url, reason):
    catalogue = catalogue_of(app_allowing(tmp_path, ""))
    with pytest.raises(CatalogueError, match=re.escape(reason)):
        harvest.sources.add_source(catalogue, "inward", url.format(port=provider.port),
                              settings=FAST)
    assert harvest.sources.list_sources(catalogue) == [] and provider.requests == []


def test_ssrf_refuses_decimal_loopback(tmp_path, provider):
    app = app_allowing(tmp_path, "")
    port = provider.port
    result = app.test_cli_runner().invoke(args=["source", "add", "inward", f"http://2130706433:{port}/oai"])
    assert result.exit_code == 1 and "odd notation" in result.output and "Traceback" not in result.output
    result = app.test_cli_runner().invoke(args=["source", "add", "inward", provider.url, "--no-check"])
    assert result.exit_code == 1 and "127.0.0.1 is a loopback address" in result.output
    assert "CATALOGUE_HARVEST_ALLOW_NETWORKS" in result.output
    assert provider.requests == []


def test_ssrf_odd_notations_stay_refused_even_when_loopback_is_allowed(catalogue, provider):
    port = provider.port
    for url in (f"http://2130706433:{port}/oai", f"http://[::ffff:127.0.0.1]:{port}/oai",
                f"http://user@127.0.0.1:{port}/oai"):
        with pytest.raises(CatalogueError):
            harvest.sources.add_source(catalogue, "odd", url, settings=FAST)
    assert provider.requests == []


def test_ssrf_refuses_a_name_resolving_to_a_private_address(tmp_path, monkeypatch):
    catalogue = catalogue_of(app_allowing(tmp_path, "127.0.0.0/8"))
    fake_dns(monkeypatch, {"intranet.example": "10.1.2.3"})
    with pytest.raises(CatalogueError, match=re.escape("intranet.example resolves to 10.1.2.3, a private address")):
        harvest.sources.add_source(catalogue, "inward", "http://intranet.example/oai", check=False)


def test_ssrf_refused_in_the_admin_form_keeps_what_was_typed(tmp_path, provider):
    app = app_allowing(tmp_path, "")
    admin = signed_in(app, "root", "admin")
    response = admin.post("/admin/sources", data={
        "csrf_token": csrf_token(admin, "/admin/sources"), "name": "inward", "url": "http://169.254.169.254/",
        "protocol": "oai-pmh", "prefix": "oai_dc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "169.254.169.254 is a link-local address" in page
    assert 'value="inward"' in page and 'value="http://169.254.169.254/"' in page


def test_source_registered_earlier_is_refused_on_connection_when_its_network_is_not_allowed(tmp_path, provider):
    allowing = app_allowing(tmp_path, "127.0.0.0/8")
    harvest.sources.add_source(catalogue_of(allowing), "test", provider.url, settings=FAST)
    catalogue_of(allowing).close()
    provider.requests.clear()
    strict = catalogue_of(app_allowing(tmp_path, ""))  # the operator withdrew the allowance
    run = harvest.runs.run_harvest(strict, "test")
    assert run.status == "failed" and "127.0.0.1 is a loopback address" in run.message
    assert provider.requests == []


def test_dns_rebinding_is_caught_at_connection(tmp_path, provider, monkeypatch):
    """The name was public when the source was registered; it now resolves to loopback."""
    port = provider.port
    catalogue = catalogue_of(app_allowing(tmp_path, ""))
    fake_dns(monkeypatch, {"rebind.example": "93.184.216.34"})
    harvest.sources.add_source(catalogue, "test", f"http://rebind.example:{port}/oai", settings=FAST, check=False)
    fake_dns(monkeypatch, {"rebind.example": "127.0.0.1"})
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "failed" and "rebind.example resolves to 127.0.0.1, a loopback address" in run.message
    assert provider.requests == [] and catalogue.store.find_by_source("test", "oai:test:1") is None


@pytest.mark.parametrize("location, reason", [
    ("http://10.0.0.1/oai", "10.0.0.1 is a private address"),
    ("http://127.0.0.2:{port}/oai", "127.0.0.2 is a loopback address"),
    ("http://metadata.example/latest", "metadata.example resolves to 169.254.169.254, a link-local address"),
    ("http://2130706433:{port}/oai", "odd notation"),
    ("http://user:pw@127.0.0.1:{port}/oai", "credentials"),
    ("file:///etc/passwd", "not an http(s) URL"),
])
def test_redirect_to_private_address_refused(tmp_path, provider, monkeypatch, location, reason):
    fake_dns(monkeypatch, {"metadata.example": "169.254.169.254"})
    catalogue = catalogue_of(app_allowing(tmp_path, "127.0.0.1/32"))  # the provider's address only
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    port = provider.port
    provider.fail("redirect", location.format(port=port))
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "failed" and reason in run.message
    assert catalogue.store.find_by_source("test", "oai:test:1") is None


def test_redirect_within_allowed_networks_is_followed(catalogue, provider):
    harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
    provider.fail("redirect", provider.url + "?verb=Identify")
    run = harvest.runs.run_harvest(catalogue, "test")
    assert run.status == "ok" and run.counts["new"] == 1


def test_a_bad_allow_networks_setting_is_a_clear_error(tmp_path, provider):
    catalogue = catalogue_of(app_allowing(tmp_path, "127.0.0.0/8, 10.0.0/33"))
    message = "CATALOGUE_HARVEST_ALLOW_NETWORKS: '10.0.0/33' is not a network"
    with pytest.raises(CatalogueError, match=re.escape(message)):
        harvest.sources.add_source(catalogue, "test", provider.url, settings=FAST)
