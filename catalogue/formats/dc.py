"""Dublin Core both ways: a record as simple Dublin Core (`oai_dc`) for harvesters that
know no other format, and a harvested Dublin Core record (oai_dc, or a qualified flavour
such as nsdl_dc or qdc) as a catalogue record.

Out, names become titles with their language, place and period become coverage, dated
condition assessments become dates, cited sources become dc:source.

In, Dublin Core is loose free text, so the mapping is cautious: a type that is not in our
vocabulary becomes ``other`` and is kept in the notes and reported; a coverage becomes a
period only when it reads as years, otherwise a place name; nothing is invented. A
qualified record is read through the same elements: each DCMI term refining a DC element
(dcterms:abstract for description, dcterms:spatial for coverage ...) counts as that element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import codes, edtf
from ..schema import labels, vocabulary
from .native import xml_attribute, xml_escape
from .oaipmh import XSI, OAIRecord
from .text import html_to_text

#: The metadataPrefix, namespace and schema of simple Dublin Core in OAI-PMH.
PREFIX = "oai_dc"
NAMESPACE = "http://www.openarchives.org/OAI/2.0/oai_dc/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
#: metadataPrefixes read as Dublin Core: simple DC and qualified flavours carrying dc and dcterms elements.
DC_PREFIXES = ("oai_dc", "nsdl_dc", "qdc", "oai_qdc", "dcterms", "dcq")
#: DCMI terms read as the DC element they refine.
REFINEMENTS = {
    "title": ("alternative",),
    "description": ("abstract", "tableOfContents"),
    "coverage": ("spatial", "temporal"),
    "rights": ("license", "accessRights"),
}
#: Refinements of date that describe the object, and those that stamp its handling by a repository.
OBJECT_DATES = ("created", "issued", "dateCopyrighted", "valid")
STAMP_DATES = ("available", "dateAccepted", "dateSubmitted", "modified")
SOURCE_ID = "harvested"

#: Free-text types (lowercase) that mean one of ours, beyond our own keys and labels.
TYPE_SYNONYMS = {
    "schools": "school", "libraries": "library", "clubs": "club", "museums": "museum",
    "grave": "tomb", "graves": "tomb", "tombs": "tomb", "burial": "tomb",
    "graveyard": "cemetery", "cemeteries": "cemetery", "necropolis": "cemetery",
    "mausoleums": "mausoleum", "mosques": "mosque", "churches": "church",
    "monuments": "monument", "memorial": "monument",
    "archaeological site": "archaeological_site", "archaeological sites": "archaeological_site",
    "archeological site": "archaeological_site", "site": "archaeological_site",
    "cultural centre": "house_of_culture", "cultural center": "house_of_culture",
}

_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_YEARS = re.compile(r"^(-?\d{1,4})\s*(?:-|–|—|/|to)\s*(-?\d{1,4})$")
_POINT = re.compile(r"(?:^|;)\s*(east|north)\s*=\s*(-?\d+(?:\.\d+)?)", re.I)
_POINT_NAME = re.compile(r"(?:^|;)\s*name\s*=\s*([^;]+)", re.I)


# -- record -> Dublin Core (the provider) ----------------------------------------------


def _coverage_of_geometry(geometry: dict[str, Any]) -> str:
    """DCMI Point (``east=…; north=…``) or, for a polygon, its DCMI Box."""
    if geometry.get("type") == "Point":
        lon, lat = geometry["coordinates"][:2]
        return f"east={lon}; north={lat}"
    positions = [p for ring in geometry.get("coordinates", []) for p in ring]
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return f"northlimit={max(lats)}; eastlimit={max(lons)}; southlimit={min(lats)}; westlimit={min(lons)}"


def _place(place: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The place as coverage: its name, area and country on one line, then each of several
    countries on its own line, its other names, and its geometry."""
    countries = place.get("countries") or []
    parts = [place.get(key) for key in ("name", "admin_area", *(() if len(countries) > 1 else ("country",)))]
    line = ", ".join(p for p in parts if p)
    values: list[tuple[str, str | None]] = [(line, None)] if line else []
    if len(countries) > 1:
        values += [(c.get("name") or c["code"], None) for c in countries]
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


def _designation(designation: dict[str, Any]) -> str:
    status = labels("designation_status").get(designation.get("status", ""), "")
    details = [d for d in (status, designation.get("date")) if d]
    name = " ".join(v for v in (designation["scheme"], designation.get("identifier")) if v)
    return f"Designation: {name}" + (f" ({'; '.join(details)})" if details else "") + "."


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
    for designation in record.get("designations", []):
        out.append(("description", _designation(designation), None))
        if designation.get("date"):
            out.append(("date", designation["date"], None))
    out += [("subject", subject, None) for subject in record.get("subjects", [])]
    out += [("language", language, None) for language in record.get("languages", [])]
    for source in record.get("sources", []):
        out.append(("source", source["citation"] + (f" {source['url']}" if source.get("url") else ""), None))
    if record.get("rights"):
        out.append(("rights", record["rights"], None))
    out.append(("identifier", record_url, None))
    out += [("identifier", f"{x['scheme']}:{x['value']}", None) for x in record.get("external_ids", [])]
    out += [("relation", medium["url"], None) for medium in record.get("media", [])]
    out += [("relation", link["url"], None) for link in record.get("links", [])]
    return out


_DC_ROOT = (f'<oai_dc:dc xmlns:oai_dc="{NAMESPACE}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI}"'
            f' xsi:schemaLocation="{NAMESPACE} {SCHEMA}">')


def record_to_dc(record: dict[str, Any], record_url: str) -> str:
    """The ``oai_dc:dc`` element of a record as XML text, namespaces and schemaLocation
    declared (text, as an OAI-PMH response is written as text)."""
    parts = [_DC_ROOT]
    for element, value, lang in fields(record, record_url):
        language = f' xml:lang="{xml_attribute(lang)}"' if lang else ""
        parts.append(f"<dc:{element}{language}>{xml_escape(value)}</dc:{element}>")
    parts.append("</oai_dc:dc>")
    return "".join(parts)


# -- Dublin Core -> record (the harvester) ----------------------------------------------


def type_table(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Lowercase free text -> type: our keys, their labels in every language, synonyms, overrides."""
    table = dict(TYPE_SYNONYMS)
    for key in vocabulary("type"):
        table[key] = key
        table[key.replace("_", " ")] = key
        for lang in ("en", "az"):
            table[labels("type", lang)[key].lower()] = key
    table.update({k.strip().lower(): v for k, v in (overrides or {}).items()})
    return table


def map_type(values: list[str], table: dict[str, str]) -> tuple[str | None, list[str]]:
    """The first value the table knows (also tried on the last segment of a URI) and the unmapped ones."""
    unmapped = []
    for value in values:
        text = value.strip().lower()
        tail = re.split(r"[/:#]", text)[-1]
        for candidate in (text, tail):
            if candidate in table:
                return table[candidate], []
        unmapped.append(value)
    return None, unmapped


@dataclass
class Context:
    """What the mapping knows about the source: its name, provider and type table."""

    source_name: str
    repository_name: str
    base_url: str
    types: dict[str, str] = field(default_factory=type_table)
    default_type: str = "other"


@dataclass
class Mapped:
    """A mapped record (without id), or None with the reason; dc:type values not mapped."""

    record: dict[str, Any] | None
    problem: str = ""
    unmapped_types: list[str] = field(default_factory=list)


def _values(metadata: Any, name: str, *refinements: str) -> list[tuple[str, str | None]]:
    """(text, xml:lang) of every dc:`name` and dcterms:`name` element, then of its `refinements`."""
    out = []
    refined = tuple(f"{{{DCTERMS_NS}}}{r}" for r in refinements)
    for group in ((f"{{{DC_NS}}}{name}", f"{{{DCTERMS_NS}}}{name}"), *([refined] if refined else [])):
        for element in metadata.iter(*group):
            text = " ".join((element.text or "").split())
            if text:
                out.append((text, element.get(XML_LANG)))
    return out


def _field(metadata: Any, name: str) -> list[str]:
    """The texts of DC element `name` and of the DCMI terms refining it."""
    return [v for v, _ in _values(metadata, name, *REFINEMENTS.get(name, ()))]


def is_stamp(value: str, term: str, datestamp: str) -> bool:
    """Whether a date stamps a repository's handling of the record rather than describing the
    object: a refinement such as dcterms:available, a time of day (DSpace's accessioned and
    available dates in plain dc:date), the day of the header datestamp, or info:eu-repo/date/."""
    return (term in STAMP_DATES or bool(re.search(r"\dT\d{2}:\d{2}", value)) or value.startswith("info:eu-repo/date/")
            or (len(value) >= 10 and bool(datestamp) and value[:10] == datestamp[:10]))


def object_date(metadata: Any, datestamp: str) -> str:
    """The record's date: the first EDTF date that describes the object; a repository stamp
    (see `is_stamp`), reduced to its day, only when there is nothing else."""
    tags = [f"{{{DC_NS}}}date", *(f"{{{DCTERMS_NS}}}{t}" for t in ("date", *OBJECT_DATES, *STAMP_DATES))]
    stamps = []
    for element in metadata.iter(*tags):
        value = " ".join((element.text or "").split())
        term = element.tag.rpartition("}")[2]
        if not value:
            continue
        if is_stamp(value, term, datestamp):
            stamps.append(value[:10] if re.match(r"^\d{4}-\d{2}-\d{2}T", value) else value)
        elif edtf.is_valid(value):
            return value
    return next((v for v in stamps if edtf.is_valid(v)), "")


def plain_text(value: str) -> str:
    """Text of a value some providers send as (escaped) HTML, on one line."""
    return " ".join(html_to_text(value).split())


def _scheme(value: str) -> str:
    lower = value.lower()
    if lower.startswith(("doi:", "10.")) or "doi.org/10." in lower:
        return "doi"
    if lower.startswith("hdl:") or "hdl.handle.net/" in lower:
        return "handle"
    for prefix in ("oai", "urn", "isbn", "issn"):
        if lower.startswith(prefix + ":"):
            return prefix
    if lower.startswith(("http://", "https://")):
        return "url"
    return "local"


def _coverage(values: list[str], record: dict[str, Any], notes: list[str]) -> None:
    """Years become the period, a DCMI Point or a name the place; the rest goes to notes."""
    for value in values:
        years = edtf.year_range(value)
        match = _YEARS.match(value)
        if "period" not in record and (years or match):
            start, end = (years if years else (int(match[1]), int(match[2])))  # type: ignore[index]
            period: dict[str, Any] = {"label": value}
            if start is not None:
                period["start"] = start
            if end is not None:
                period["end"] = end
            record["period"] = period
            continue
        point = dict((k.lower(), float(v)) for k, v in _POINT.findall(value))
        if "place" not in record and {"east", "north"} <= point.keys():
            name = _POINT_NAME.search(value)
            place: dict[str, Any] = {"name": name[1].strip() if name else value}
            if -180 <= point["east"] <= 180 and -90 <= point["north"] <= 90:
                place["geometry"] = {"type": "Point", "coordinates": [point["east"], point["north"]]}
            record["place"] = place
            continue
        if "place" not in record and not any(ch.isdigit() for ch in value):
            record["place"] = {"name": value[:500]}
            continue
        notes.append(f"Coverage given by the source: {value}.")


def _languages(values: list[str], record: dict[str, Any], notes: list[str]) -> None:
    """dc:language as language codes (a code, or a language's name in English or
    Azerbaijani); a value that is neither goes to the notes."""
    found, unknown = [], []
    for value in values:
        code = codes.language_code(value)
        (found if code else unknown).append(code or value)
    if found:
        record["languages"] = list(dict.fromkeys(found))[:50]
    if unknown:
        notes.append("Language given by the source: " + "; ".join(unknown) + ".")


def _citation(creators: list[str], title: str, publisher: str, date: str, identifier: str,
              context: Context) -> str:
    parts = [p for p in ("; ".join(creators), title, ", ".join(x for x in (publisher, date) if x)) if p]
    where = context.repository_name or context.base_url
    return (". ".join(parts) + f". Record {identifier} in {where}, harvested over OAI-PMH from "
            f"{context.base_url}.")[:2000]


def dc_to_record(oai: OAIRecord, context: Context) -> Mapped:
    """Map a Dublin Core record (simple or qualified) to a catalogue record (no id: the catalogue assigns it)."""
    meta = oai.metadata
    if meta is None:
        return Mapped(None, "the record has no metadata")
    notes: list[str] = []
    titles = _values(meta, "title", *REFINEMENTS["title"])
    record: dict[str, Any] = {"title": titles[0][0][:500] if titles else ""}
    names = [{"value": t[:500], **({"lang": lang} if lang and _LANG.match(lang) else {})} for t, lang in titles]
    if len(names) > 1 or any("lang" in n for n in names):
        record["names"] = names
    types = _field(meta, "type")
    mapped, unmapped = map_type(types, context.types)
    record["type"] = mapped or context.default_type
    if unmapped:
        notes.append("Type given by the source: " + "; ".join(unmapped) + ".")
    descriptions = [plain_text(v) for v in _field(meta, "description")]
    if descriptions:
        record["description"] = "\n\n".join(descriptions)[:20000]
    subjects = list(dict.fromkeys(v[:200] for v in _field(meta, "subject")))
    if subjects:
        record["subjects"] = subjects
    _languages(_field(meta, "language"), record, notes)
    _coverage(_field(meta, "coverage"), record, notes)
    rights = "; ".join(_field(meta, "rights"))
    if rights:
        record["rights"] = rights[:2000]
    identifiers = _field(meta, "identifier")
    if oai.identifier and oai.identifier not in identifiers:
        identifiers.append(oai.identifier)
    record["external_ids"] = [{"scheme": _scheme(v), "value": v[:500]} for v in dict.fromkeys(identifiers)]
    creators = _field(meta, "creator")
    publisher = next(iter(_field(meta, "publisher")), "")
    date = object_date(meta, oai.datestamp)
    source: dict[str, Any] = {
        "id": SOURCE_ID,
        "citation": _citation(creators, record["title"], publisher, date, oai.identifier, context),
        "type": "OAI-PMH record",
    }
    if creators:
        source["author"] = "; ".join(creators)[:500]
    if publisher:
        source["publisher"] = publisher[:500]
    if date:
        source["date"] = date
    url = next((v for v in identifiers if v.startswith(("http://", "https://"))), "")
    if url:
        source["url"] = url[:2000]
    record["sources"] = [source]
    if notes:
        record["notes"] = " ".join(notes)[:5000]
    record["provenance"] = {"origin": "harvest", "source_name": context.source_name,
                            "source_identifier": oai.identifier}
    return Mapped(record, unmapped_types=unmapped)
