"""The OAI-PMH 2.0 endpoint `/oai` (GET and POST) and the native format's XSD, so that
other archives harvest this catalogue with the tools they already run."""

from __future__ import annotations

import gzip
import secrets

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MultiDict

from ..formats.native import XSD_NAME, xsd_path
from ..oai.provider import Provider, Settings
from . import get_catalogue
from .site import base_url

bp = Blueprint("oai", __name__)
#: zlib level of gzipped responses: most of the saving for little CPU.
GZIP_LEVEL = 6


def _secret() -> str | bytes:
    """The key resumption tokens are signed with: the app's SECRET_KEY, else a key for
    this process only (tokens then do not survive a restart)."""
    key = current_app.config.get("SECRET_KEY")
    if not key:
        key = current_app.extensions.setdefault("oai_token_key", secrets.token_hex(32))
    return key


def settings() -> Settings:
    """The provider settings from the app config (and the request, when BASE_URL is unset)."""
    config = current_app.config
    emails = config["ADMIN_EMAIL"]
    if isinstance(emails, str):
        emails = [e.strip() for e in emails.split(",") if e.strip()]
    return Settings(
        repository_name=config["REPOSITORY_NAME"],
        repository_id=config["REPOSITORY_ID"],
        admin_emails=tuple(emails),
        base_url=base_url() + request.path,
        site_url=base_url(),
        page_size=max(1, int(config["OAI_PAGE_SIZE"])),
        token_ttl=int(config["OAI_TOKEN_TTL"]),
        secret=_secret(),
    )


@bp.route("/oai", methods=["GET", "POST"])
def endpoint() -> Response:
    """Answer an OAI-PMH request; every outcome, errors included, is HTTP 200 XML (3.6)."""
    arguments: MultiDict[str, str] = MultiDict(request.args)
    if request.method == "POST":
        arguments.update(request.form)
    body = Provider(get_catalogue().published, settings()).respond(arguments.to_dict(flat=False))
    response = Response(body, status=200, content_type="text/xml; charset=utf-8")
    return compressed(response)


def compressed(response: Response) -> Response:
    """The response gzipped for a client that accepts gzip (Identify declares it). Safe: OAI
    responses hold no secret a compression side channel could reveal, and one page at most."""
    response.vary.add("Accept-Encoding")
    if request.accept_encodings.quality("gzip") > 0:
        response.set_data(gzip.compress(response.get_data(), compresslevel=GZIP_LEVEL))
        response.headers["Content-Encoding"] = "gzip"
    return response


@bp.route(f"/schemas/{XSD_NAME}")
def native_schema() -> Response:
    """The XSD of the native record format (the schema URL ListMetadataFormats gives)."""
    response = Response(xsd_path().read_bytes(), mimetype="application/xml")
    response.cache_control.max_age = 3600
    return response
