"""Writers of OAI-PMH response documents. Each response holds at most one page of records,
so memory stays bounded whatever the size of the catalogue.

A response is written as escaped text, element by element, not built as an lxml tree: a
ListRecords page of 100 records holds some six thousand elements, and making each one a
tree node took half the time of the page."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..formats.native import xml_attribute, xml_escape
from ..formats.oaipmh import OAI_IDENTIFIER_NS, OAI_IDENTIFIER_SCHEMA, OAI_NS, OAI_SCHEMA, XSI, OAIError
from ..timestamps import utc_text, utcnow

DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"


def _attributes(attributes: dict[str, str]) -> str:
    if not attributes:  # (most elements of a page)
        return ""
    return "".join(f' {name}="{xml_attribute(value)}"' for name, value in attributes.items())


def element(name: str, text: str | None = None, /, **attributes: str) -> str:
    """An element holding text (escaped, cleaned of characters XML forbids), or empty for None."""
    if text is None:
        return f"<{name}{_attributes(attributes)}/>"
    return f"<{name}{_attributes(attributes)}>{xml_escape(text)}</{name}>"


def wrap(name: str, content: str, /, **attributes: str) -> str:
    """An element around `content`, which is XML already."""
    return f"<{name}{_attributes(attributes)}>{content}</{name}>"


def document(base_url: str, echo: dict[str, str], body: str) -> bytes:
    """The response as UTF-8 bytes: the <OAI-PMH> root with responseDate and <request>
    (echoing `echo` as attributes), then `body`."""
    root = {"xmlns": OAI_NS, "xmlns:xsi": XSI, "xsi:schemaLocation": f"{OAI_NS} {OAI_SCHEMA}"}
    head = element("responseDate", utcnow()) + element("request", base_url, **echo)
    return (DECLARATION + wrap("OAI-PMH", head + body, **root)).encode("utf-8")


def error(base_url: str, echo: dict[str, str], errors: Iterable[OAIError]) -> bytes:
    """An error response: <request> without attributes for badVerb/badArgument (3.2)."""
    errors = list(errors)
    body = "".join(element("error", problem.text, code=problem.code) for problem in errors)
    return document(base_url, echo if all(e.echo for e in errors) else {}, body)


def header(identifier: str, datestamp: str, deleted: bool, set_specs: Iterable[str]) -> str:
    """An item's <header>: status="deleted" for a tombstone, then its set memberships."""
    content = (element("identifier", identifier) + element("datestamp", datestamp)
               + "".join(element("setSpec", spec) for spec in set_specs))
    return wrap("header", content, status="deleted") if deleted else wrap("header", content)


def record(identifier: str, datestamp: str, deleted: bool, set_specs: Iterable[str], metadata: str | None) -> str:
    """A <record>: header, and metadata (XML text) unless the record is deleted (2.5.1)."""
    content = header(identifier, datestamp, deleted, set_specs)
    if not deleted and metadata is not None:
        content += wrap("metadata", metadata)
    return wrap("record", content)


def resumption_token(token: str | None, *, cursor: int, total: int, expires: datetime | None) -> str:
    """The <resumptionToken>; empty (no text, no expiry) on the last page (3.5.1)."""
    attributes = {"completeListSize": str(total), "cursor": str(cursor)}
    if token and expires is not None:
        attributes["expirationDate"] = utc_text(expires)
    return element("resumptionToken", token or None, **attributes)


def oai_identifier_description(repository_id: str, sample: str) -> str:
    """The oai-identifier <description> payload of Identify."""
    root = {"xmlns": OAI_IDENTIFIER_NS, "xmlns:xsi": XSI,
            "xsi:schemaLocation": f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}"}
    content = "".join(element(name, value) for name, value in (
        ("scheme", "oai"), ("repositoryIdentifier", repository_id), ("delimiter", ":"), ("sampleIdentifier", sample)))
    return wrap("oai-identifier", content, **root)
