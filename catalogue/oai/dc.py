"""The `oai_dc` crosswalk: a record as simple Dublin Core, for harvesters that know no
other format. Names become titles with their language, place and period become coverage,
dated condition assessments become dates, cited sources become dc:source."""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..formats.native import xml_text
from ..schema import labels

PREFIX = "oai_dc"
NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _coverage_of_geometry(geometry: dict[str, Any]) -> str:
    """DCMI Point (``east=…; north=…``) or, for a polygon, its DCMI Box."""
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return f"east={lon}; north={lat}"
    positions = [p for ring in geometry.get("coordinates", []) for p in ring]
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return f"northlimit={max(lats)}; eastlimit={max(lons)}; southlimit={min(lats)}; westlimit={min(lons)}"


def _place(place: dict[str, Any]) -> list[tuple[str, str | None]]:
    parts = [place.get(key) for key in ("name", "admin_area", "country")]
    values: list[tuple[str, str | None]] = [(", ".join(p for p in parts if p), None)]
    values += [(n["value"], n.get("lang")) for n in place.get("names", [])]
    if place.get("geometry"):
        values.append((_coverage_of_geometry(place["geometry"]), None))
    return values


def _period(period: dict[str, Any]) -> list[tuple[str, str | None]]:
    values: list[tuple[str, str | None]] = []
    if period.get("label"):
        values.append((period["label"], None))
    years = [str(period[key]) for key in ("start", "end") if key in period]
    if years:
        values.append(("/".join(dict.fromkeys(years)), None))
    return values


def _assessment(assessment: dict[str, Any]) -> str:
    status = labels("status").get(assessment["status"], assessment["status"])
    details = [assessment[key] for key in ("date", "event", "cause") if assessment.get(key)]
    return f"Condition: {status}" + (f" ({'; '.join(details)})" if details else "") + "."


def fields(record: dict[str, Any], record_url: str) -> list[tuple[str, str, str | None]]:
    """The Dublin Core statements of a record: (element, value, language or None)."""
    out: list[tuple[str, str, str | None]] = [("title", record["title"], None)]
    seen = {(record["title"], None)}
    for name in record.get("names", []):
        key = (name["value"], name.get("lang"))
        if key not in seen:
            seen.add(key)
            out.append(("title", *key))
    out.append(("type", labels("type").get(record["type"], record["type"]), None))
    for value, lang in _place(record["place"]) if record.get("place") else []:
        out.append(("coverage", value, lang))
    for value, lang in _period(record["period"]) if record.get("period") else []:
        out.append(("coverage", value, lang))
    if record.get("description"):
        out.append(("description", record["description"], None))
    if record.get("quantity"):
        out.append(("description", f"Group record of {record['quantity']} items.", None))
    for assessment in record.get("conditions", []):
        out.append(("description", _assessment(assessment), None))
        if assessment.get("date"):
            out.append(("date", assessment["date"], None))
    out += [("subject", subject, None) for subject in record.get("subjects", [])]
    for source in record.get("sources", []):
        out.append(("source", source["citation"] + (f" {source['url']}" if source.get("url") else ""), None))
    if record.get("rights"):
        out.append(("rights", record["rights"], None))
    out.append(("identifier", record_url, None))
    out += [("identifier", f"{x['scheme']}:{x['value']}", None) for x in record.get("external_ids", [])]
    out += [("relation", medium["url"], None) for medium in record.get("media", [])]
    return out


def record_to_dc(record: dict[str, Any], record_url: str) -> etree._Element:
    """The ``oai_dc:dc`` element of a record, namespaces and schemaLocation declared."""
    root = etree.Element(f"{{{NAMESPACE}}}dc", nsmap={"oai_dc": NAMESPACE, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{NAMESPACE} {SCHEMA}")
    for element, value, lang in fields(record, record_url):
        child = etree.SubElement(root, f"{{{DC}}}{element}")
        child.text = xml_text(value)
        if lang:
            child.set(XML_LANG, lang)
    return root
