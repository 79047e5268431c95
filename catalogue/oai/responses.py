"""Builders of OAI-PMH response documents (lxml). Each response holds at most one page of
records, so memory stays bounded whatever the size of the catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from lxml import etree

from ..formats.native import xml_text
from ..formats.oaipmh import OAI_IDENTIFIER_NS, OAI_IDENTIFIER_SCHEMA, OAI_NS, OAI_SCHEMA, XSI, OAIError
from ..timestamps import utc_text, utcnow


def q(name: str) -> str:
    """A qualified name in the OAI-PMH namespace."""
    return f"{{{OAI_NS}}}{name}"


def sub(parent: etree._Element, name: str, text: str | None = None, **attributes: str) -> etree._Element:
    """A child element in the OAI-PMH namespace, text cleaned of characters XML forbids."""
    element = etree.SubElement(parent, q(name), {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def envelope(base_url: str, echo: dict[str, str]) -> etree._Element:
    """The <OAI-PMH> root with responseDate and <request> (echoing `echo` as attributes)."""
    root = etree.Element(q("OAI-PMH"), nsmap={None: OAI_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    sub(root, "responseDate", utcnow())
    sub(root, "request", base_url, **echo)
    return root


def serialize(root: etree._Element) -> bytes:
    """The document as UTF-8 bytes with an XML declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def error(base_url: str, echo: dict[str, str], errors: Iterable[OAIError]) -> bytes:
    """An error response: <request> without attributes for badVerb/badArgument (3.2)."""
    errors = list(errors)
    root = envelope(base_url, echo if all(e.echo for e in errors) else {})
    for problem in errors:
        sub(root, "error", problem.text, code=problem.code)
    return serialize(root)


def header(parent: etree._Element, identifier: str, datestamp: str, deleted: bool,
           set_specs: Iterable[str]) -> etree._Element:
    """An item's <header>: status="deleted" for a tombstone, then its set memberships."""
    element = sub(parent, "header", status="deleted") if deleted else sub(parent, "header")
    sub(element, "identifier", identifier)
    sub(element, "datestamp", datestamp)
    for spec in set_specs:
        sub(element, "setSpec", spec)
    return element


def record(parent: etree._Element, identifier: str, datestamp: str, deleted: bool, set_specs: Iterable[str],
           metadata: etree._Element | None) -> None:
    """A <record>: header, and metadata unless the record is deleted (2.5.1)."""
    element = sub(parent, "record")
    header(element, identifier, datestamp, deleted, set_specs)
    if not deleted and metadata is not None:
        sub(element, "metadata").append(metadata)


def resumption_token(parent: etree._Element, token: str | None, *, cursor: int, total: int,
                     expires: datetime | None) -> None:
    """The <resumptionToken>; empty (no text, no expiry) on the last page (3.5.1)."""
    attributes = {"completeListSize": str(total), "cursor": str(cursor)}
    if token and expires is not None:
        attributes["expirationDate"] = utc_text(expires)
    sub(parent, "resumptionToken", token or None, **attributes)


def oai_identifier_description(repository_id: str, sample: str) -> etree._Element:
    """The oai-identifier <description> payload of Identify."""
    root = etree.Element(f"{{{OAI_IDENTIFIER_NS}}}oai-identifier", nsmap={None: OAI_IDENTIFIER_NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER_NS} {OAI_IDENTIFIER_SCHEMA}")
    for name, value in (("scheme", "oai"), ("repositoryIdentifier", repository_id), ("delimiter", ":"),
                        ("sampleIdentifier", sample)):
        etree.SubElement(root, f"{{{OAI_IDENTIFIER_NS}}}{name}").text = xml_text(value)
    return root
