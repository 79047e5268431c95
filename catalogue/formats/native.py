"""The catalogue's native full-record XML format, so that another catalogue can harvest
every field losslessly over OAI-PMH: `xml_to_record(record_to_xml(r)) == r`.

The element layout follows the record JSON Schema field by field (`FIELDS` below, in
the order of `schemas/record.xsd`): an object is an element with one child per field,
a list is a wrapper element with one child per item, a scalar is element text.
Numbers keep their JSON kind (``40`` stays an int, ``40.0`` a float).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from ..errors import CatalogueError
from ..schema import schemas_dir
from .oaipmh import XSI

#: The OAI-PMH metadataPrefix of this format.
PREFIX = "heritage"
#: The XML namespace of the format (an identifier; nothing is fetched from it).
NAMESPACE = "https://github.com/heritage-catalogue/schemas/record"
#: File name of the format's XSD in the schemas folder (`catalogue.schema.schemas_dir()`).
XSD_NAME = "record.xsd"

_ILLEGAL_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 forbids (control characters, U+FFFE/FFFF,
    lone surrogates), so the output is always well-formed. A printable text has none of them
    (they are control, surrogate or unassigned characters): it is returned as it is, four
    times faster than the search (most values of a ListRecords page)."""
    return value if value.isprintable() else _ILLEGAL_XML.sub("", value)


def xml_escape(value: str) -> str:
    """`value` as XML element text: `xml_text`, with ``&``, ``<``, ``>`` escaped and a
    carriage return as ``&#13;`` (a parser would read a raw one as a line feed)."""
    printable = value.isprintable()  # (most values: no carriage return, nothing to remove)
    text = value if printable else xml_text(value)
    if "&" in text or "<" in text or ">" in text:  # (three scans are cheaper than three replaces)
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text if printable else text.replace("\r", "&#13;")


def xml_attribute(value: str) -> str:
    """`value` as the text of a double-quoted XML attribute: `xml_escape`, with ``"`` escaped
    and tabs and line feeds as character references (a parser would read them as spaces)."""
    return xml_escape(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


class NativeFormatError(CatalogueError):
    """A native-format document does not have the layout of `schemas/record.xsd`."""


# -- the layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    """Element text: ``str``, ``int`` or ``num`` (a JSON number: int or float)."""

    kind: str = "str"


@dataclass(frozen=True)
class ListOf:
    """A wrapper element holding one `item`-named child per list entry."""

    item: str
    of: Any


@dataclass(frozen=True)
class Obj:
    """An element with one child per field, in the order given."""

    fields: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Geometry:
    """A GeoJSON Point or Polygon: ``<geometry type="Point"><position>lon lat</position>``
    or ``<geometry type="Polygon"><ring><position>…</position>…</ring>…``."""


STR, INT = Scalar("str"), Scalar("int")
SOURCE_REFS = ListOf("source", STR)
NAME = Obj((("value", STR), ("lang", STR), ("script", STR), ("kind", STR), ("sources", SOURCE_REFS)))

#: The record's fields in document order; a field absent from the record is omitted.
FIELDS: tuple[tuple[str, Any], ...] = (
    ("id", STR),
    ("type", STR),
    ("title", STR),
    ("names", ListOf("name", NAME)),
    ("languages", ListOf("language", STR)),
    ("quantity", INT),
    ("quantity_sources", SOURCE_REFS),
    ("place", Obj((("id", STR), ("name", STR), ("names", ListOf("name", NAME)), ("admin_area", STR), ("country", STR),
                   ("countries", ListOf("country", Obj((("code", STR), ("name", STR))))), ("geometry", Geometry())))),
    ("period", Obj((("label", STR), ("start", INT), ("end", INT), ("sources", SOURCE_REFS)))),
    ("condition", Obj((("status", STR),))),
    ("conditions", ListOf("assessment", Obj((
        ("status", STR), ("date", STR), ("event", STR), ("cause", STR), ("certainty", STR), ("assessed_by", STR),
        ("method", STR), ("note", STR), ("sources", SOURCE_REFS))))),
    ("designations", ListOf("designation", Obj((
        ("scheme", STR), ("identifier", STR), ("date", STR), ("status", STR), ("url", STR), ("note", STR),
        ("sources", SOURCE_REFS))))),
    ("sources", ListOf("source", Obj((
        ("id", STR), ("citation", STR), ("author", STR), ("publisher", STR), ("date", STR), ("url", STR),
        ("pages", STR), ("type", STR))))),
    ("description", STR),
    ("subjects", ListOf("subject", STR)),
    ("external_ids", ListOf("external_id", Obj((("scheme", STR), ("value", STR))))),
    ("media", ListOf("medium", Obj((("url", STR), ("caption", STR), ("licence", STR), ("credit", STR))))),
    ("links", ListOf("link", Obj((("url", STR), ("label", STR))))),
    ("rights", STR),
    ("notes", STR),
    ("provenance", Obj((("origin", STR), ("source_name", STR), ("source_identifier", STR),
                        ("harvested_at", STR)))),
    ("created", STR),
    ("modified", STR),
    ("revision", INT),
)
RECORD = Obj(FIELDS)


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


# -- record -> XML ---------------------------------------------------------------------------


def _number_text(value: Any, path: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path}: expected a number, got {value!r}")
    return repr(value) if isinstance(value, float) else str(value)


def _element(name: str, content: str) -> str:
    return f"<{name}>{content}</{name}>" if content else f"<{name}/>"


def _write(out: list[str], name: str, value: Any, spec: Any, path: str) -> None:
    if isinstance(spec, Scalar):
        text = xml_escape(str(value)) if spec.kind == "str" else _number_text(value, path)
        out.append(f"<{name}>{text}</{name}>")
    elif isinstance(spec, ListOf):
        items: list[str] = []
        for i, item in enumerate(value):
            _write(items, spec.item, item, spec.of, f"{path}[{i}]")
        out.append(_element(name, "".join(items)))
    elif isinstance(spec, Obj):
        fields: list[str] = []
        _write_fields(fields, value, spec, path)
        out.append(_element(name, "".join(fields)))
    else:
        out.append(_geometry(name, value, path))


def _write_fields(out: list[str], value: dict[str, Any], spec: Obj, path: str) -> None:
    known = {name for name, _ in spec.fields}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"{path or 'record'}: fields {unknown} have no place in the native format")
    for name, field_spec in spec.fields:
        if name in value and value[name] is not None:
            _write(out, name, value[name], field_spec, f"{path}.{name}" if path else name)


def _position_text(position: list[Any], path: str) -> str:
    return " ".join(_number_text(v, path) for v in position)


def _geometry(name: str, value: dict[str, Any], path: str) -> str:
    kind = value.get("type")
    if kind == "Point":
        content = f"<position>{_position_text(value['coordinates'], path)}</position>"
    elif kind == "Polygon":
        content = "".join(_element("ring", "".join(f"<position>{_position_text(position, path)}</position>"
                                                   for position in ring)) for ring in value["coordinates"])
    else:
        raise ValueError(f"{path}: geometry type {kind!r} is not Point or Polygon")
    return f'<{name} type="{xml_attribute(str(kind))}">{content}</{name}>'


def record_to_text(record: dict[str, Any], schema_location: str | None = None) -> str:
    """The native ``<record>`` element of a stored record (namespace `NAMESPACE`) as XML text,
    with an ``xsi:schemaLocation`` when given (as an OAI-PMH response, written as text, holds it).

    Characters XML cannot carry are dropped; a field outside the format raises ValueError
    (the record schema forbids unknown fields, so a stored record never has one)."""
    root = f'<record xmlns="{NAMESPACE}"'
    if schema_location is not None:
        root += f' xmlns:xsi="{XSI}" xsi:schemaLocation="{xml_attribute(schema_location)}"'
    out = [root + ">"]
    _write_fields(out, record, RECORD, "")
    out.append("</record>")
    return "".join(out)


def record_to_xml(record: dict[str, Any]) -> etree._Element:
    """The native ``<record>`` element of a stored record (`record_to_text`, parsed)."""
    return etree.fromstring(record_to_text(record))


# -- XML -> record ---------------------------------------------------------------------------


def _local(element: etree._Element, path: str) -> str:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith(f"{{{NAMESPACE}}}"):
        raise NativeFormatError(f"{path}: unexpected element {tag!r} (not in the native namespace)")
    return tag[len(NAMESPACE) + 2:]


def _children(element: etree._Element) -> list[etree._Element]:
    """Child elements, skipping comments and processing instructions."""
    return [child for child in element if isinstance(child.tag, str)]


def _parse_number(text: str, path: str, kind: str) -> int | float:
    text = text.strip()
    try:
        if kind == "int" or re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        return float(text)
    except ValueError:
        raise NativeFormatError(f"{path}: {text!r} is not {'an integer' if kind == 'int' else 'a number'}") from None


def _read(element: etree._Element, spec: Any, path: str) -> Any:
    if isinstance(spec, Scalar):
        if _children(element):
            raise NativeFormatError(f"{path}: expected text, found child elements")
        text = element.text or ""
        return text if spec.kind == "str" else _parse_number(text, path, spec.kind)
    if isinstance(spec, ListOf):
        items = []
        for i, child in enumerate(_children(element)):
            if _local(child, path) != spec.item:
                raise NativeFormatError(f"{path}: expected <{spec.item}>, found <{_local(child, path)}>")
            items.append(_read(child, spec.of, f"{path}[{i}]"))
        return items
    if isinstance(spec, Obj):
        return _read_fields(element, spec, path)
    return _read_geometry(element, path)


def _read_fields(element: etree._Element, spec: Obj, path: str) -> dict[str, Any]:
    specs = dict(spec.fields)
    result: dict[str, Any] = {}
    for child in _children(element):
        name = _local(child, path)
        child_path = f"{path}.{name}" if path else name
        if name not in specs:
            raise NativeFormatError(f"{child_path}: not a field of the native format")
        if name in result:
            raise NativeFormatError(f"{child_path}: given more than once")
        result[name] = _read(child, specs[name], child_path)
    return result


def _read_position(element: etree._Element, path: str) -> list[int | float]:
    if _local(element, path) != "position":
        raise NativeFormatError(f"{path}: expected <position>")
    return [_parse_number(part, path, "num") for part in (element.text or "").split()]


def _read_geometry(element: etree._Element, path: str) -> dict[str, Any]:
    kind = element.get("type")
    children = _children(element)
    if kind == "Point" and len(children) == 1:
        return {"type": "Point", "coordinates": _read_position(children[0], path)}
    if kind == "Polygon":
        rings = []
        for ring in children:
            if _local(ring, path) != "ring":
                raise NativeFormatError(f"{path}: expected <ring>")
            rings.append([_read_position(position, path) for position in _children(ring)])
        return {"type": "Polygon", "coordinates": rings}
    raise NativeFormatError(f"{path}: a geometry is a Point with one <position> or a Polygon of <ring>s")


def xml_to_record(element: etree._Element) -> dict[str, Any]:
    """The record dict held by a native ``<record>`` element (inverse of `record_to_xml`).

    Raises NativeFormatError for a document of another layout; the result still has to
    pass `catalogue.records.prepare` like any other incoming record."""
    if not isinstance(element.tag, str) or element.tag != _q("record"):
        raise NativeFormatError(f"expected a <record> element in {NAMESPACE}, found {element.tag!r}")
    return _read_fields(element, RECORD, "")


def xsd_path() -> Any:
    """The path of the format's XSD (`schemas/record.xsd`)."""
    return schemas_dir() / XSD_NAME
