"""A record as readable lines for the terminal (`catalogue show ID`): every field that is set,
in the order of the record schema, lists one item per line; a field this module does not
know yet is printed as JSON rather than left out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..schema import labels

INDENT = "  "


def _join(parts: Iterable[Any], separator: str = ", ") -> str:
    return separator.join(str(p) for p in parts if p not in (None, "", []))


def _refs(item: dict[str, Any], key: str = "sources") -> str:
    refs = item.get(key) or []
    return f" [{', '.join(refs)}]" if refs else ""


def _name(name: dict[str, Any]) -> str:
    details = _join((name.get("lang"), name.get("script"), name.get("kind")))
    return name["value"] + (f" ({details})" if details else "") + _refs(name)


def _geometry(geometry: dict[str, Any]) -> str:
    if geometry.get("type") == "Point":
        lon, lat, *rest = geometry["coordinates"]
        return f"latitude {lat}, longitude {lon}" + (f", elevation {rest[0]}" if rest else "")
    rings = geometry.get("coordinates") or []
    return f"polygon of {sum(len(r) for r in rings)} positions in {len(rings)} ring(s): {json.dumps(rings)}"


def _place(place: dict[str, Any]) -> list[str]:
    lines = [f"place: {_join((place.get('name'), place.get('admin_area')))}".rstrip()]
    countries = place.get("countries") or []
    if countries:
        lines.append(INDENT + "countries: " + _join(
            (f"{c.get('name') or ''} [{c['code']}]".strip() if c.get("code") else c.get("name")) for c in countries))
    elif place.get("country"):
        lines.append(INDENT + f"country: {place['country']}")
    lines += [INDENT + f"name: {_name(n)}" for n in place.get("names") or []]
    if place.get("geometry"):
        lines.append(INDENT + "coordinates: " + _geometry(place["geometry"]))
    return lines


def _assessment(item: dict[str, Any]) -> str:
    status = labels("status").get(item.get("status", ""), item.get("status", ""))
    details = [item.get("event"), item.get("cause") and f"cause: {item['cause']}",
               item.get("certainty") and f"certainty: {item['certainty']}",
               item.get("assessed_by") and f"assessed by: {item['assessed_by']}",
               item.get("method") and f"method: {item['method']}", item.get("note") and f"note: {item['note']}"]
    return f"{item.get('date') or 'undated'}: {status}" + "".join(f"; {d}" for d in details if d) + _refs(item)


def _designation(item: dict[str, Any]) -> str:
    status = labels("designation_status").get(item.get("status", ""), "")
    head = _join((item.get("scheme"), item.get("identifier")), " ")
    details = _join((_join((status, item.get("date")), " "), item.get("url"),
                      item.get("note") and f"note: {item['note']}"), "; ")
    return head + (f": {details}" if details else "") + _refs(item)


def _source(source: dict[str, Any]) -> str:
    details = _join(source.get(k) for k in ("author", "publisher", "date", "url", "pages", "type"))
    return f"[{source['id']}] {source['citation']}" + (f" ({details})" if details else "")


def _text(name: str, value: str) -> list[str]:
    lines = value.split("\n")
    if len(lines) == 1:
        return [f"{name}: {value}"]
    return [f"{name}:"] + [INDENT + line for line in lines]


def _items(name: str, values: list[str]) -> list[str]:
    return [f"{name}:"] + [INDENT + v for v in values] if values else []


def _each(record: dict[str, Any]) -> dict[str, Any]:
    """Every field's lines, in schema order (a field absent from the record gives none)."""
    period = record.get("period") or {}
    years = (f" {period.get('start', '…')}–{period.get('end', '…')}"
             if "start" in period or "end" in period else "")
    provenance = record.get("provenance") or {}
    return {
        "type": [f"type: {labels('type').get(record.get('type', ''), record.get('type'))} ({record.get('type')})"],
        "names": _items("names", [_name(n) for n in record.get("names") or []]),
        "languages": [f"languages: {_join(record.get('languages') or [])}"],
        "quantity": [f"quantity: {record.get('quantity')}" + _refs(record, "quantity_sources")],
        "place": _place(record.get("place") or {}),
        "period": [f"period: {period.get('label', '')}{years}".rstrip() + _refs(period)],
        "condition": [f"condition: {(record.get('condition') or {}).get('status', 'unknown')}"],
        "conditions": _items("condition history", [_assessment(c) for c in record.get("conditions") or []]),
        "designations": _items("designations", [_designation(d) for d in record.get("designations") or []]),
        "sources": _items("sources", [_source(s) for s in record.get("sources") or []]),
        "description": _text("description", str(record.get("description", ""))),
        "subjects": [f"subjects: {_join(record.get('subjects') or [], '; ')}"],
        "external_ids": _items("external ids", [f"{x['scheme']}: {x['value']}" for x in record.get("external_ids")
                                                or []]),
        "media": _items("media", [_join((m["url"], m.get("caption"), m.get("licence"), m.get("credit")), " · ")
                                  for m in record.get("media") or []]),
        "links": _items("links", [_join((link["url"], link.get("label")), " · ") for link in record.get("links")
                                  or []]),
        "rights": _text("rights", str(record.get("rights", ""))),
        "notes": _text("notes", str(record.get("notes", ""))),
        "provenance": ["provenance: " + _join(provenance.get(k) for k in ("origin", "source_name",
                                                                          "source_identifier", "harvested_at"))],
        "created": [f"created: {record.get('created')}, last changed: {record.get('modified')}"],
    }


#: Fields printed with another (or in the heading).
_WITH_OTHERS = ("id", "title", "revision", "quantity_sources", "modified")


def record_lines(record: dict[str, Any]) -> list[str]:
    """The lines `catalogue show` prints for a record: a heading, then every field that is set."""
    revision = f", revision {record['revision']}" if record.get("revision") else ""
    lines = [f"{record.get('title', '')}  [{record.get('id')}{revision}]"]
    known = _each(record)
    for field in known:
        if field in record or (field == "created" and "modified" in record):
            lines += [INDENT + line.replace("\n", "\n" + INDENT * 3) for line in known[field]]
    for field in sorted(set(record) - set(known) - set(_WITH_OTHERS)):
        lines.append(INDENT + f"{field}: {json.dumps(record[field], ensure_ascii=False)}")
    return lines
