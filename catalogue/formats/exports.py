"""Bulk exports of records, streamed: JSON Lines (lossless, re-importable), CSV (one row
per record for spreadsheets) and GeoJSON (the records that have a geometry, for maps).

CSV columns are listed in `CSV_COLUMNS` with what each holds; a field with several values
(names, subjects, sources, ...) is one cell with the values joined by `` | ``. A text cell
that a spreadsheet would run as a formula (starting with ``= + - @``, tab or CR) gets a
leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..centuries import year_span
from .jsonl import jsonl_lines

FORMATS = ("jsonl", "csv", "geojson")
#: Media types of the formats (for HTTP responses).
MEDIA_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json; charset=utf-8",
}
#: How the values of a multi-valued field are joined in one CSV cell.
JOIN = " | "


# -- CSV -------------------------------------------------------------------------------------


def _join(values: Iterable[Any]) -> str:
    return JOIN.join(str(v) for v in values if v not in (None, ""))


def _name(name: dict[str, Any]) -> str:
    return f"{name['value']} [{name['lang']}]" if name.get("lang") else name["value"]


def _point(record: dict[str, Any], axis: int) -> Any:
    geometry = (record.get("place") or {}).get("geometry") or {}
    return geometry["coordinates"][axis] if geometry.get("type") == "Point" else ""


def _assessment(item: dict[str, Any]) -> str:
    details = [item.get(key) for key in ("date", "event") if item.get(key)]
    return item["status"] + (f" ({'; '.join(details)})" if details else "")


def _country(country: dict[str, Any]) -> str:
    name, code = country.get("name"), country.get("code")
    return f"{name} [{code}]" if name and code else (name or code or "")


def _designation(item: dict[str, Any]) -> str:
    name = " ".join(v for v in (item.get("scheme"), item.get("identifier")) if v)
    details = [item.get(key) for key in ("status", "date") if item.get(key)]
    return name + (f" ({'; '.join(details)})" if details else "")


def _place(record: dict[str, Any], key: str) -> Any:
    return (record.get("place") or {}).get(key, "")


def _period(record: dict[str, Any], key: str) -> Any:
    return (record.get("period") or {}).get(key, "")


def _provenance(record: dict[str, Any], key: str) -> Any:
    return (record.get("provenance") or {}).get(key, "")


#: CSV column -> (what it holds, how it is computed from a record).
CSV_COLUMNS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "id": ("record id", lambda r: r["id"]),
    "type": ("type of heritage (vocabulary key)", lambda r: r["type"]),
    "title": ("display title", lambda r: r["title"]),
    "names": ("names, each as 'value [lang]'", lambda r: _join(_name(n) for n in r.get("names", []))),
    "quantity": ("number of items of a group record", lambda r: r.get("quantity", "")),
    "status": ("current condition status", lambda r: (r.get("condition") or {}).get("status", "unknown")),
    "conditions": ("condition history, each as 'status (date; event)'",
                   lambda r: _join(_assessment(c) for c in r.get("conditions", []))),
    "place": ("place name", lambda r: _place(r, "name")),
    "place_id": ("the place authority the record is linked to (/places/<id>)", lambda r: _place(r, "id")),
    "place_names": ("other names of the place, each as 'value [lang]'",
                    lambda r: _join(_name(n) for n in _place(r, "names") or [])),
    "admin_area": ("administrative area", lambda r: _place(r, "admin_area")),
    "country": ("country (the first, when there are several)", lambda r: _place(r, "country")),
    "countries": ("every country, each as 'name [ISO 3166 code]'",
                  lambda r: _join(_country(c) for c in _place(r, "countries") or [])),
    "longitude": ("longitude of a point geometry (WGS84)", lambda r: _point(r, 0)),
    "latitude": ("latitude of a point geometry (WGS84)", lambda r: _point(r, 1)),
    "geometry": ("the geometry as GeoJSON", lambda r: json.dumps(_place(r, "geometry")) if _place(r, "geometry")
                 else ""),
    "period": ("period label", lambda r: _period(r, "label")),
    "period_start": ("first year of the period", lambda r: _period(r, "start")),
    "period_end": ("last year of the period", lambda r: _period(r, "end")),
    "period_years": ("the period's years as people write them, e.g. '117–107 BCE'",
                     lambda r: year_span((r.get("period") or {}).get("start"), (r.get("period") or {}).get("end"))),
    "designations": ("listings on heritage registers, each as 'scheme identifier (status; date)'",
                     lambda r: _join(_designation(d) for d in r.get("designations", []))),
    "languages": ("languages (ISO 639 codes)", lambda r: _join(r.get("languages", []))),
    "description": ("description", lambda r: r.get("description", "")),
    "subjects": ("subjects", lambda r: _join(r.get("subjects", []))),
    "sources": ("source citations", lambda r: _join(s["citation"] for s in r.get("sources", []))),
    "source_urls": ("source URLs", lambda r: _join(s.get("url") for s in r.get("sources", []))),
    "external_ids": ("identifiers elsewhere, each as 'scheme:value'",
                     lambda r: _join(f"{x['scheme']}:{x['value']}" for x in r.get("external_ids", []))),
    "media": ("media URLs", lambda r: _join(m["url"] for m in r.get("media", []))),
    "links": ("web pages about the item (URLs)", lambda r: _join(link["url"] for link in r.get("links", []))),
    "rights": ("rights statement", lambda r: r.get("rights", "")),
    "notes": ("editorial notes", lambda r: r.get("notes", "")),
    "origin": ("how the record came in: manual, import or harvest", lambda r: _provenance(r, "origin")),
    "source_name": ("harvest or import source", lambda r: _provenance(r, "source_name")),
    "source_identifier": ("identifier at that source", lambda r: _provenance(r, "source_identifier")),
    "created": ("when the record was created (UTC)", lambda r: r.get("created", "")),
    "modified": ("when the record last changed (UTC)", lambda r: r.get("modified", "")),
    "revision": ("revision number", lambda r: r.get("revision", "")),
}


def _cell(value: Any) -> Any:
    """A CSV cell; text a spreadsheet would evaluate is defused with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header row, then one row per record (columns: `CSV_COLUMNS`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for record in records:
        writer.writerow([_cell(compute(record)) for _, compute in CSV_COLUMNS.values()])
        yield flush()


# -- GeoJSON ---------------------------------------------------------------------------------


def feature(record: dict[str, Any]) -> dict[str, Any] | None:
    """The GeoJSON Feature of a record with a geometry (None without one)."""
    geometry = (record.get("place") or {}).get("geometry")
    if not geometry:
        return None
    properties = {
        "id": record["id"],
        "title": record["title"],
        "type": record["type"],
        "status": (record.get("condition") or {}).get("status", "unknown"),
        "place": _place(record, "name"),
        "place_id": _place(record, "id"),
        "countries": [c.get("code") or c.get("name") for c in _place(record, "countries") or []]
        or ([_place(record, "country")] if _place(record, "country") else None),
        "period": _period(record, "label"),
        "quantity": record.get("quantity"),
        "designations": [_designation(d) for d in record.get("designations", [])] or None,
        "links": [link["url"] for link in record.get("links", [])] or None,
    }
    return {"type": "Feature", "id": record["id"], "geometry": geometry,
            "properties": {k: v for k, v in properties.items() if v not in (None, "")}}


def geojson_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A FeatureCollection of the records that have a geometry, one feature per line."""
    yield '{"type": "FeatureCollection", "features": ['
    separator = "\n"
    for record in records:
        item = feature(record)
        if item is not None:
            yield separator + json.dumps(item, ensure_ascii=False, sort_keys=True)
            separator = ",\n"
    yield "\n]}\n"


def stream(fmt: str, records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The export of `records` in format `fmt`, as chunks of text."""
    writers = {"jsonl": jsonl_lines, "csv": csv_lines, "geojson": geojson_lines}
    if fmt not in writers:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](records)
