"""What the index stores of a record: its schema, the document of a record and its postings.

A document is derived from a stored record alone (the index is rebuildable from the store),
plus the extra place names a place authority may give (`PlaceNames`): the searchable text
fields, the period as years, sort keys, the facet values and the geometry's box (with the
shape itself when it is not a point, for exact area tests). The record itself is not kept:
a page of hits reads its records from the store, the one copy of them.

Every word of the record's text (names, places, country, type and condition in every UI
language, description, subjects, notes, sources, condition notes, period) is indexed four
ways: folded (``text``), stemmed (``stem``), by its variant key (``variant``), and, for
Chinese and Japanese, by its reading (``reading``); the title (``title``), names and places
(``names``, ``place``) and sources (``source``) also have fields of their own, and the
country its ISO codes (``country``, see `catalogue.search.countries`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from .. import centuries, claims, codes, edtf, schema
from ..geo import geometry_bbox
from . import cjk, countries, pairs, segments, spatial
from ._whoosh import columns, fields, formats
from .analysis import (
    ANALYZERS,
    FIELD_KINDS,
    PHRASE_FIELDS,
    SEPARATOR,
    VALUES,
    Words,
    compounds,
    field_sequence,
    joined_words,
    sequence,
    word_pattern,
    words,
)
from .folding import fold_word
from .results import FACETS

#: The index field of each facet.
FACET_FIELDS = {name: f"f_{name}" for name in FACETS}
#: Extra names of a record's place, as (name, BCP 47 language or ""), e.g. from a place authority.
PlaceNames = Callable[[dict[str, Any]], Iterable[tuple[str, str]]]
#: Separates the parts of a place facet term (see `place_term`).
LANG_MARK = "\x1e"


def place_term(name: str, lang: str, primary: bool) -> str:
    """A place facet term: the name, its language and whether it is the record's own ``place.name``."""
    return f"{name}{LANG_MARK}{lang}{LANG_MARK}{'p' if primary else ''}"


def read_place_term(value: str) -> tuple[str, str, bool]:
    """(name, language, primary) of a place facet term (an index of 0.1 holds plain names)."""
    name, _, rest = value.partition(LANG_MARK)
    lang, _, primary = rest.partition(LANG_MARK)
    return name, lang, primary == "p"


def index_schema() -> fields.Schema:
    """The stored schema (changing it needs a `catalogue reindex`)."""
    facet = {f"f_{name}": fields.TEXT(analyzer=VALUES, phrase=False) for name in FACETS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        revision=fields.NUMERIC(int, bits=32, sortable=True),
        # title, text, stem, names, place, source, variant, reading, country: each analysed by its kind
        **{name: fields.TEXT(analyzer=ANALYZERS[kind], phrase=name in PHRASE_FIELDS)
           for name, kind in FIELD_KINDS.items()},
        start=fields.NUMERIC(int, bits=32, signed=True),
        end=fields.NUMERIC(int, bits=32, signed=True),
        title_sort=fields.ID(sortable=True),
        modified=fields.ID(sortable=True),
        # a geometry that is not a point, for exact area tests (`catalogue.search.spatial`)
        **{spatial.SHAPE: fields.STORED},
        # the bounding box of the record's geometry, for area searches (`catalogue.search.spatial`)
        **{spatial.BBOX: fields.COLUMN(columns.VarBytesColumn())},
        # Adjacent word pairs of the phrase fields: a two-word phrase is one term lookup.
        # (scorable only so Whoosh caches its length column instead of probing the disk per posting)
        **{pairs.PAIRS: fields.FieldType(formats.Existence(), VALUES, scorable=True)},
        **facet,
    )


def _name_values(names: Any) -> list[str]:
    return [n["value"] for n in names or [] if isinstance(n, dict) and isinstance(n.get("value"), str)]


def _sources(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in record.get("sources") or [] if isinstance(s, dict)]


def _place(record: dict[str, Any]) -> dict[str, Any]:
    place = record.get("place")
    return place if isinstance(place, dict) else {}


def designation_years(record: dict[str, Any]) -> list[int]:
    """The years the designations of a record are dated (an EDTF range gives its first and last)."""
    years = []
    for designation in record.get("designations") or []:
        span = edtf.year_range(designation.get("date", "")) if isinstance(designation, dict) and \
            isinstance(designation.get("date"), str) else None
        years += [y for y in span or () if isinstance(y, int)]
    return years


def country_values(place: dict[str, Any]) -> list[str]:
    """The countries of a place as facet values: ISO 3166 codes where known (a name in any
    language or long form that names one country, see `countries.codes_of`), names otherwise."""
    listed = place.get("countries")
    if isinstance(listed, list) and listed:
        values = [c.get("code") or _country_code(c.get("name")) for c in listed if isinstance(c, dict)]
    elif isinstance(place.get("country"), str):
        values = [_country_code(place["country"])]
    else:
        values = []
    return list(dict.fromkeys(v for v in values if isinstance(v, str) and v))


def _country_code(name: Any) -> Any:
    """The code of a country name when it names exactly one country, else the name."""
    if not isinstance(name, str):
        return name
    found = codes.country_code(name) or countries.codes_of(name)
    return found if isinstance(found, str) else found[0] if len(found) == 1 else name


def span(record: dict[str, Any]) -> tuple[Any, Any]:
    """The years a year or century query finds a record by: its period, else the first and
    last years of its designations (a site on a register has often no period)."""
    period = record.get("period") or {}
    start, end = period.get("start", period.get("end")), period.get("end", period.get("start"))
    if start is None and (years := designation_years(record)):
        return min(years), max(years)
    return start, end


@lru_cache(maxsize=64)
def _labels(vocab: str, value: str) -> str:
    """A vocabulary value's labels in every UI language, as searchable text."""
    table = schema.record_schema().get("x-labels", {}).get(vocab, {})
    return " ".join(dict.fromkeys(table.get(value, {}).values()))


def place_names(record: dict[str, Any], extra: PlaceNames | None = None) -> list[tuple[str, str]]:
    """(name, language) of a record's place: its name, its other names, and `extra` ones."""
    place = _place(record)
    found: dict[str, str] = {}
    langs = {n.get("value"): n.get("lang", "") for n in place.get("names") or [] if isinstance(n, dict)}
    if isinstance(place.get("name"), str) and place["name"].strip():
        found[place["name"]] = langs.get(place["name"]) or ""
    for name in _name_values(place.get("names")):
        found.setdefault(name, langs.get(name) or "")
    if extra is not None and place:
        for name, lang in extra(record):
            if isinstance(name, str) and name.strip():
                found.setdefault(name, lang or "")
    return list(found.items())


def _place_terms(record: dict[str, Any], extra: PlaceNames | None) -> list[str]:
    """The place facet terms of a record: each name of its place with its language; a record
    linked to a place authority (`place.id`) counts under the place's id as its own, so the
    facet's value for that place is its id and its names only label it."""
    place = _place(record)
    place_id = place.get("id") if isinstance(place.get("id"), str) else None
    own = None if place_id else place.get("name")
    found = [place_term(name, lang, name == own) for name, lang in place_names(record, extra)]
    return [place_term(place_id, "", True), *found] if place_id else found


def facet_values(record: dict[str, Any], extra: PlaceNames | None = None) -> dict[str, list[str]]:
    """The values a record counts under in each facet: a place under each of its names, each
    with its language (see `catalogue.search.facets.PlaceGroups`); a century is one its period
    overlaps or one of its designations' years."""
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
        "claims": [claims.DISAGREE] if claims.disagree(record) else [],
        "century": list(dict.fromkeys(dated)),
        "place": _place_terms(record, extra),
        "country": country_values(_place(record)),
        "source": sorted({v for v in source_values if v}),
    }


def snippet_text(record: dict[str, Any]) -> str:
    """The text a snippet is cut from."""
    return str(record.get("description") or record.get("notes") or "")


def _text(record: dict[str, Any], names: list[str], places: list[str], source_text: list[str]) -> list[str]:
    """Every searchable text of a record, names first."""
    place = _place(record)
    conditions = [" ".join(str(c.get(k, "")) for k in ("event", "cause", "note"))
                  for c in record.get("conditions") or [] if isinstance(c, dict)]
    # (in order, not a set: a set's order changes with the hash seed, and each process would index another text)
    statuses = dict.fromkeys([(record.get("condition") or {}).get("status"), *(
        c.get("status") for c in record.get("conditions") or [] if isinstance(c, dict))])
    designations = [" ".join([*(str(d.get(k, "")) for k in ("scheme", "identifier", "note")),
                              _labels("designation_status", str(d.get("status")))])
                    for d in record.get("designations") or [] if isinstance(d, dict)]
    languages = [" ".join(codes.language_names(tag)) for tag in record.get("languages") or [] if isinstance(tag, str)]
    return [*names, *places, place.get("admin_area", ""), *countries.values(place),
            _labels("type", str(record.get("type"))), *(_labels("status", str(s)) for s in statuses if s),
            record.get("description", ""), *(record.get("subjects") or []), record.get("notes", ""),
            *source_text, *conditions, (record.get("period") or {}).get("label", ""), *designations, *languages]


def document(record: dict[str, Any], revision: int, extra: PlaceNames | None = None) -> dict[str, Any]:
    """The Whoosh document of a stored record (`extra`: more names of its place)."""
    place = _place(record)
    title = record.get("title", "")
    sources = _sources(record)
    source_text = [s.get(k, "") for s in sources for k in ("citation", "publisher", "author")]
    names = [title, *_name_values(record.get("names"))]
    named_places = place_names(record, extra)
    places = [name for name, _ in named_places]
    place_text = [*places, place.get("admin_area", "")]
    text = "\n".join(t for t in _text(record, names, places, source_text) if isinstance(t, str) and t)
    start, end = span(record)
    iso = countries.place_codes(place)
    joined = " ".join(compounds(text))
    loose = f"{text}\n{joined}" if joined else text
    doc: dict[str, Any] = {
        "id": record["id"],
        "revision": revision,
        "title": title,
        "text": text,
        "stem": loose,
        "variant": loose,
        "names": "\n".join(t for t in names + place_text if t),
        "place": "\n".join(t for t in place_text if t),
        "source": "\n".join(t for t in source_text if t),
        "title_sort": " ".join(fold_word(w) for w in word_pattern(title).findall(title)) or "~",
        "modified": record.get("modified", ""),
    }
    if iso:
        doc["country"] = " ".join(c.lower() for c in iso)
    if cjk.has_cjk(text):
        langs = [n.get("lang", "") for n in [*(record.get("names") or []), *(place.get("names") or [])]
                 if isinstance(n, dict)]
        doc["reading"] = " ".join(cjk.readings(text, cjk.japanese(text, langs, iso)))
    if isinstance(start, int) and isinstance(end, int):
        doc["start"], doc["end"] = start, end
    doc[spatial.BBOX] = spatial.pack(geometry_bbox(place.get("geometry")))
    if (shape := spatial.pack_shape(place.get("geometry"))) is not None:
        doc[spatial.SHAPE] = shape
    for name, values in facet_values(record, extra).items():
        if values:
            doc[FACET_FIELDS[name]] = SEPARATOR.join(values)
    return doc


def analysed(doc: dict[str, Any], schema: fields.Schema,
             common: pairs.Common | None) -> dict[str, segments.Items | list[str]]:
    """What `segments.add_document` indexes of a document's analysed fields: the term at each
    position of its texts (each tokenised once), the postings of its facet fields; adds its
    `pairs` field to `doc` when the generation has common words."""
    split: dict[str, Words] = {}  # each distinct text split into words once
    sequences = {}
    for name, kind in FIELD_KINDS.items():
        if name in doc and name in schema:
            text = doc[name] or ""
            if text not in split:
                base = doc.get("text") or ""
                if base in split and text.startswith(base + "\n"):  # the text and its joined compounds
                    split[text] = joined_words(split[base], words(text[len(base) + 1:]))
                else:
                    split[text] = words(text)
            sequences[name] = sequence(kind, split[text])
    if common and pairs.PAIRS in schema and (found := pairs.doc_pairs(doc, common, sequences)):
        doc[pairs.PAIRS] = found
    out: dict[str, segments.Items | list[str]] = dict(sequences)
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
            for word in set(field_sequence(doc, fieldname)) - {""}:
                table[word] = table.get(word, 0) + 1
    return pairs.pick_common(counts, total)
