"""What the index stores of a record: its schema, the document of a record and its postings.

A document is derived from a stored record alone (the index is rebuildable from the store):
the searchable text fields, the period as years, sort keys, the facet values and the record
itself (compressed, so a hit needs no store read).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from typing import Any

from .. import centuries, codes, edtf
from . import pairs, segments
from ._whoosh import fields, formats
from .analysis import ANALYZERS, FIELD_KINDS, SEPARATOR, VALUES, WORD, field_tokens
from .folding import fold_word
from .results import FACETS

#: The index field of each facet.
FACET_FIELDS = {name: f"f_{name}" for name in FACETS}


def index_schema() -> fields.Schema:
    """The stored schema (changing it needs a `catalogue reindex`)."""
    facet = {f"f_{name}": fields.TEXT(analyzer=VALUES, phrase=False) for name in FACETS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        revision=fields.NUMERIC(int, bits=32, sortable=True),
        # title, text, names, place, source: each analysed by its kind
        **{name: fields.TEXT(analyzer=ANALYZERS[kind]) for name, kind in FIELD_KINDS.items()},
        start=fields.NUMERIC(int, bits=32, signed=True),
        end=fields.NUMERIC(int, bits=32, signed=True),
        title_sort=fields.ID(sortable=True),
        modified=fields.ID(sortable=True),
        data=fields.STORED,
        # Adjacent word pairs of the phrase fields: a two-word phrase is one term lookup.
        # (scorable only so Whoosh caches its length column instead of probing the disk per posting)
        **{pairs.PAIRS: fields.FieldType(formats.Existence(), VALUES, scorable=True)},
        **facet,
    )


def _name_values(names: Any) -> list[str]:
    return [n["value"] for n in names or [] if isinstance(n, dict) and isinstance(n.get("value"), str)]


def _sources(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in record.get("sources") or [] if isinstance(s, dict)]


def designation_years(record: dict[str, Any]) -> list[int]:
    """The years the designations of a record are dated (an EDTF range gives its first and last)."""
    years = []
    for designation in record.get("designations") or []:
        span = edtf.year_range(designation.get("date", "")) if isinstance(designation, dict) and \
            isinstance(designation.get("date"), str) else None
        years += [y for y in span or () if isinstance(y, int)]
    return years


def countries(place: dict[str, Any]) -> list[str]:
    """The countries of a place as facet values: ISO 3166 codes where known, names otherwise."""
    listed = place.get("countries")
    if isinstance(listed, list) and listed:
        values = [c.get("code") or c.get("name") for c in listed if isinstance(c, dict)]
    elif isinstance(place.get("country"), str):
        values = [codes.country_code(place["country"]) or place["country"]]
    else:
        values = []
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def span(record: dict[str, Any]) -> tuple[Any, Any]:
    """The years a year or century query finds a record by: its period, else the first and
    last years of its designations (a site on a register has often no period)."""
    period = record.get("period") or {}
    start, end = period.get("start", period.get("end")), period.get("end", period.get("start"))
    if start is None and (years := designation_years(record)):
        return min(years), max(years)
    return start, end


def facet_values(record: dict[str, Any]) -> dict[str, list[str]]:
    """The values a record counts under in each facet: a century is one its period overlaps
    or one of its designations' years."""
    place = record.get("place") or {}
    period = record.get("period") or {}
    start, end = period.get("start"), period.get("end")
    if start is None:
        start = end
    if end is None:
        end = start
    source_values = [s.get("publisher") or s.get("citation") or "" for s in _sources(record)]
    dated = centuries.labels_between(start, end) if isinstance(start, int) else []
    for year in designation_years(record):
        dated += centuries.labels_between(year, year)
    return {
        "type": [record.get("type") or "other"],
        "status": [(record.get("condition") or {}).get("status") or "unknown"],
        "century": list(dict.fromkeys(dated)),
        "place": [place["name"]] if place.get("name") else [],
        "country": countries(place),
        "source": sorted({v for v in source_values if v}),
    }


def snippet_text(record: dict[str, Any]) -> str:
    """The text a snippet is cut from."""
    return str(record.get("description") or record.get("notes") or "")


def document(record: dict[str, Any], revision: int) -> dict[str, Any]:
    """The Whoosh document of a stored record."""
    place = record.get("place") or {}
    sources = _sources(record)
    source_text = [s.get(k, "") for s in sources for k in ("citation", "publisher", "author")]
    names = [record.get("title", ""), *_name_values(record.get("names"))]
    place_names = [place.get("name", ""), *_name_values(place.get("names")), place.get("admin_area", "")]
    conditions = [" ".join(str(c.get(k, "")) for k in ("event", "cause", "note"))
                  for c in record.get("conditions") or [] if isinstance(c, dict)]
    listed = [c.get("name", "") for c in place.get("countries") or [] if isinstance(c, dict)]
    designations = [" ".join(str(d.get(k, "")) for k in ("scheme", "identifier", "note"))
                    for d in record.get("designations") or [] if isinstance(d, dict)]
    text = [*names, *place_names, record.get("description", ""), *(record.get("subjects") or []),
            *source_text, *conditions, (record.get("period") or {}).get("label", ""), *listed, *designations]
    start, end = span(record)
    doc: dict[str, Any] = {
        "id": record["id"],
        "revision": revision,
        "title": record.get("title", ""),
        "text": "\n".join(t for t in text if t),
        "names": "\n".join(t for t in names + place_names if t),
        "place": "\n".join(t for t in place_names if t),
        "source": "\n".join(t for t in source_text if t),
        "title_sort": " ".join(fold_word(w) for w in WORD.findall(record.get("title", ""))) or "~",
        "modified": record.get("modified", ""),
        "data": zlib.compress(json.dumps(record, ensure_ascii=False).encode()),
    }
    if isinstance(start, int) and isinstance(end, int):
        doc["start"], doc["end"] = start, end
    for name, values in facet_values(record).items():
        if values:
            doc[FACET_FIELDS[name]] = SEPARATOR.join(values)
    return doc


def analysed(doc: dict[str, Any], schema: fields.Schema, common: pairs.Common | None) -> dict[str, segments.Items]:
    """The postings of a document's analysed fields (each text tokenised once), adding its
    `pairs` field to `doc` when the generation has common words."""
    toks = {name: field_tokens(doc, name) for name in FIELD_KINDS
            if name in doc and name in schema and type(schema[name].format) is formats.Positions}
    if common and pairs.PAIRS in schema and (found := pairs.doc_pairs(doc, common, toks)):
        doc[pairs.PAIRS] = found
    out = {name: segments.positional_items(t) for name, t in toks.items()}
    for name in (*FACET_FIELDS.values(), pairs.PAIRS):
        if name in doc and name in schema and (items := segments.FORMAT_ITEMS.get(type(schema[name].format))):
            out[name] = items(doc[name])
    return out


def common_words(records: Iterable[dict[str, Any]]) -> pairs.Common:
    """The words of each phrase field found in many of `records` (a sample of the catalogue)."""
    counts: dict[str, dict[str, int]] = {f: {} for f in pairs.PAIR_FIELDS}
    total = 0
    for record in records:
        doc = document(record, 0)
        total += 1
        for fieldname, table in counts.items():
            for word in {t for _, t in field_tokens(doc, fieldname)}:
                table[word] = table.get(word, 0) + 1
    return pairs.pick_common(counts, total)
