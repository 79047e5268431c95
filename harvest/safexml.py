"""Parsing untrusted XML responses: no DOCTYPE or entity declarations (XXE, billion
laughs), no network, no huge trees; a document broken only by control characters or bytes
that are not UTF-8 is read with them marked, so the records holding them can be reported."""

from __future__ import annotations

import codecs
import re
from typing import Any

from lxml import etree

from .errors import BadXML, UnsafeXML

#: Stands in for each invalid character while parsing, so the record holding it can be found.
MARK = "\U0010fffd"
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_REFS = re.compile(r"&#(?:x0*(?:[0-8bcef]|1[0-9a-f]|fff[ef])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|6553[45]));", re.I)
_DECLARATIONS = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    return MARK, error.end  # type: ignore[attr-defined]


codecs.register_error("harvest-mark", _mark_undecodable)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _sanitised(body: bytes) -> bytes | None:
    """The body with invalid characters replaced by MARK; None when it is not UTF-8 XML."""
    declared = _ENCODING.match(body)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return None
    text = body.decode("utf-8", errors="harvest-mark")
    text = _BAD_REFS.sub(MARK, _BAD_CHARS.sub(MARK, text))
    return text.encode("utf-8")


def parse_xml(body: bytes) -> tuple[Any, bool]:
    """Parse an untrusted response; return (root element, whether characters were replaced).

    A DOCTYPE or entity declaration is refused before parsing (XXE, billion laughs). A
    document that is not well-formed only because of control characters or bytes that
    are not UTF-8 is parsed with them marked, so they can be reported per record.
    """
    head = body[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = head.decode("utf-16", errors="replace").encode("utf-8")
    start = _FIRST_ELEMENT.search(head)
    if _DECLARATIONS.search(head[: start.start()] if start else head):
        raise UnsafeXML("the response declares a DOCTYPE or entities; refused unread")
    marked = False
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as first:
        cleaned = _sanitised(body)
        if cleaned is None or cleaned == body:
            raise BadXML(f"the response is not well-formed XML: {first}") from first
        try:
            root = etree.fromstring(cleaned, _parser())
        except etree.XMLSyntaxError as error:
            raise BadXML(f"the response is not well-formed XML: {first}") from error
        marked = True
    if root.getroottree().docinfo.doctype:
        raise UnsafeXML("the response declares a DOCTYPE; refused")
    return root, marked


def strip_marks(element: Any) -> bool:
    """Remove every MARK from an element's text and attributes; True if there was one."""
    found = False
    for node in element.iter():
        for attr in ("text", "tail"):
            value = getattr(node, attr)
            if value and MARK in value:
                setattr(node, attr, value.replace(MARK, ""))
                found = True
        for key, value in node.attrib.items():
            if MARK in value:
                node.set(key, value.replace(MARK, ""))
                found = True
    return found
