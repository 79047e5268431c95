"""What a valid record is beyond its JSON Schema: normalisation, cross-field rules
(every cited source exists, periods run forwards) and derived values (current condition).

Every write path (CLI import, web form, API, harvest) goes through `prepare`, so a record
is checked the same way wherever it comes from.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from anyascii import anyascii

from . import codes, edtf, jsontext
from .errors import FieldError, ValidationError
from .schema import integer_paths, record_schema, schema_errors, vocabulary

#: The record's fields in the order people read and edit them (record page, form, diffs).
FIELD_ORDER = ("id", "type", "title", "description", "quantity", "quantity_sources", "names", "place", "period",
               "conditions", "sources", "subjects", "external_ids", "media", "rights", "notes", "provenance")

#: Fields the store maintains; values supplied by a writer are replaced.
SYSTEM_FIELDS = ("created", "modified", "revision")

#: Deepest nesting of lists and objects a record may have (a valid one needs about 6);
#: deeper input is refused (`_clean` counts the levels on its way down) before a recursive
#: step could exhaust the stack.
MAX_DEPTH = 32

#: Largest whole number a JSON float holds exactly (2**53); bigger ones are not normalised.
_EXACT_FLOAT = 2**53

_NONCHARACTERS = "".join(chr(plane + 0xFFFE) + chr(plane + 0xFFFF) for plane in range(0, 0x110000, 0x10000))
#: Characters no record text keeps: C0 controls but tab and newline, DEL, C1 controls
#: (U+0080-U+009F; U+009B is a terminal's CSI), lone surrogates and noncharacters.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _NONCHARACTERS + "]")


#: What `_clean` drops from lists and objects.
_EMPTY = ("", None, [], {})


class TooDeep(ValueError):
    """Lists and objects nested more than `MAX_DEPTH` levels (`normalise` stops there)."""


def _clean(value: Any, depth: int = 1) -> Any:
    """Trim strings, make every line break a newline, drop unsafe characters and empty
    values, recursively; TooDeep past `MAX_DEPTH` levels of lists and objects (counted on
    the way down, so a record is walked once and the stack never runs out)."""
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, list):
        if depth > MAX_DEPTH:
            raise TooDeep
        return [v for v in [_clean(item, depth + 1) for item in value] if v not in _EMPTY]
    if isinstance(value, dict):
        if depth > MAX_DEPTH:
            raise TooDeep
        clean = {}
        for key, item in value.items():
            item = _clean(item, depth + 1)
            if item not in _EMPTY:
                clean[key] = item
        return clean
    return value


def _clean_text(value: str) -> str:
    """`value` in NFC, its line breaks newlines, without `UNSAFE_CHARACTERS`, trimmed. Text
    that is printable but for newlines and tabs holds none of them (they are all control,
    surrogate or unassigned characters), so only other text is searched for them: the search
    took a third of an import's cleaning."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    if not text.isprintable() and not text.replace("\n", "").replace("\t", "").isprintable():
        text = UNSAFE_CHARACTERS.sub("", text)
    return text.strip()


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than `limit` levels (checked without recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack = [(value, 1)]  # lists and objects only: the leaves (most values) are never stacked
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item)
                     if isinstance(child, dict | list))
    return False


def _whole_numbers(value: Any, path: tuple[str, ...]) -> Any:
    """`value` with an integral float at `path` made an int (JSON has one number type, so
    a client may send ``3.0`` for 3); a fractional one stays, for validation to refuse."""
    if not path:
        exact = isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_FLOAT
        return int(value) if exact else value
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(value, list):
        return [_whole_numbers(item, rest) for item in value]
    if isinstance(value, dict) and head in value:
        value[head] = _whole_numbers(value[head], rest)
    return value


def normalise(record: dict[str, Any]) -> dict[str, Any]:
    """A cleaned copy: NFC text, no control characters, no empty fields, whole numbers as
    integers (``quantity: 3.0`` becomes 3; 3.5 is left for validation to refuse). `_clean`
    builds new lists and objects all the way down, so `record` is left as it was. TooDeep
    for a record nested more than `MAX_DEPTH` levels (`too_deep` says so beforehand)."""
    clean = _clean(record)
    for path in integer_paths():
        clean = _whole_numbers(clean, path)
    return clean


def field_rank(name: str) -> int:
    """Where a top-level field comes in `FIELD_ORDER` (fields it does not list come last)."""
    return FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER)


def chronological(conditions: Any) -> list[dict[str, Any]]:
    """Condition assessments in the order they count, the latest last: by the last year of
    their date, undated ones before the dated (in list order); empty when one is malformed."""
    if not isinstance(conditions, list) or not all(
            isinstance(c, dict) and isinstance(c.get("date", ""), str) for c in conditions):
        return []

    def key(item: tuple[int, dict[str, Any]]) -> tuple[int, int]:
        index, assessment = item
        years = edtf.year_range(assessment.get("date", "")) if assessment.get("date") else None
        last = (years[1] if years[1] is not None else years[0]) if years else None
        return (last if last is not None else -10**9, index)

    return [assessment for _, assessment in sorted(enumerate(conditions), key=key)]


def current_status(record: dict[str, Any]) -> str:
    """The status of the latest dated assessment (undated ones count in list order)."""
    ordered = chronological(record.get("conditions") or [])
    return ordered[-1].get("status", "unknown") if ordered else "unknown"


def _rule_errors(record: dict[str, Any]) -> list[FieldError]:
    """Cross-field rules JSON Schema cannot express."""
    errors = []
    source_ids = [s.get("id") for s in record.get("sources", []) if isinstance(s, dict)]
    seen: set[str] = set()
    for i, sid in enumerate(source_ids):
        if sid in seen:
            errors.append(FieldError(f"sources[{i}].id", f"{sid!r} is used by another source",
                                     "duplicate_source", {"value": sid}))
        seen.add(sid)

    def check_refs(refs: Any, path: str) -> None:
        for j, ref in enumerate(refs or []):
            if isinstance(ref, str) and ref not in seen:
                errors.append(FieldError(f"{path}[{j}]", f"{ref!r} is not the id of a source of this record",
                                         "unknown_source", {"value": ref}))

    for i, assessment in enumerate(record.get("conditions") or []):
        if isinstance(assessment, dict):
            check_refs(assessment.get("sources"), f"conditions[{i}].sources")
    check_refs(record.get("quantity_sources"), "quantity_sources")
    if "quantity" in record and not record.get("quantity_sources"):
        errors.append(FieldError("quantity_sources", "a quantity must cite the source that states it",
                                 "quantity_without_source"))
    period = record.get("period")
    if isinstance(period, dict):
        check_refs(period.get("sources"), "period.sources")
        start, end = period.get("start"), period.get("end")
        if isinstance(start, int) and isinstance(end, int) and start > end:
            errors.append(FieldError("period.end", f"{end} is before the start year {start}",
                                     "end_before_start", {"start": start, "end": end}))
    for i, name in enumerate(record.get("names") or []):
        if isinstance(name, dict):
            check_refs(name.get("sources"), f"names[{i}].sources")
    for i, designation in enumerate(record.get("designations") or []):
        if isinstance(designation, dict):
            check_refs(designation.get("sources"), f"designations[{i}].sources")
    return errors + _place_errors(record.get("place"))


def _place_errors(place: Any) -> list[FieldError]:
    """A place says where: a name, a country or a geometry (any one will do); a country
    gives its code or its name."""
    if not isinstance(place, dict):
        return []
    errors = []
    if not any(place.get(key) for key in ("name", "country", "countries", "geometry")):
        errors.append(FieldError("place", "a place needs a name, a country or a geometry", "empty_place"))
    for i, country in enumerate(place.get("countries") or []):
        if isinstance(country, dict) and not (country.get("code") or country.get("name")):
            errors.append(FieldError(f"place.countries[{i}]", "a country needs its code or its name", "empty_country"))
    return errors


def derive_countries(place: Any) -> None:
    """Complete the countries of a place (the code of a known name, the name of a code) and
    make `place.country` the first of them, keeping a different `country` given with them
    as the first country, so nothing a writer sent is dropped."""
    if not isinstance(place, dict) or not isinstance(place.get("countries"), list):
        return
    countries = [codes.complete_country(c) if isinstance(c, dict) else c for c in place["countries"]]
    given = place.get("country")
    known = {str(c.get(key, "")).casefold() for c in countries if isinstance(c, dict) for key in ("name", "code")}
    if isinstance(given, str) and given and given.casefold() not in known:
        countries.insert(0, codes.complete_country({"name": given}))
    place["countries"] = countries
    first = countries[0] if countries and isinstance(countries[0], dict) else {}
    if (first.get("name") or first.get("code")) and (given is None or isinstance(given, str)):
        place["country"] = first.get("name") or first.get("code")  # (a country of another type stays, to be refused)


def max_record_bytes() -> int:
    """The largest record, in bytes of UTF-8 JSON (`x-max-record-bytes` of the schema)."""
    return int(record_schema()["x-max-record-bytes"])


def _size_error(record: dict[str, Any]) -> FieldError | None:
    size = len(jsontext.dumps(record).encode("utf-8", "surrogatepass"))
    limit = max_record_bytes()
    if size <= limit:
        return None
    return FieldError("", f"the record is {size:,} bytes of JSON; a record may have at most {limit:,}",
                      "too_large", {"size": size, "limit": limit})


def validate(record: Any) -> list[FieldError]:
    """All problems of a record, schema and rules, as field-located errors; a record
    over the size limit gets that one error (its fields are not checked further)."""
    if not isinstance(record, dict):
        return [FieldError("", "a record must be a JSON object", "not_an_object")]
    too_large = _size_error(record)
    if too_large:
        return [too_large]
    errors = schema_errors(record)
    return errors or _rule_errors(record)


def prepare(record: dict[str, Any]) -> dict[str, Any]:
    """Normalise, derive and validate a record for storage; raise ValidationError."""
    if not isinstance(record, dict):
        raise ValidationError([FieldError("", "a record must be a JSON object", "not_an_object")])
    try:
        clean = normalise(record)
    except TooDeep:
        raise ValidationError([FieldError("", f"the record nests lists and objects more than {MAX_DEPTH} levels deep",
                                          "too_deep", {"limit": MAX_DEPTH})]) from None
    for field in SYSTEM_FIELDS:
        clean.pop(field, None)
    clean.pop("condition", None)
    status = current_status(clean) if isinstance(clean.get("conditions"), list) else "unknown"
    if status in vocabulary("status"):
        clean["condition"] = {"status": status}
    clean.setdefault("provenance", {"origin": "manual"})
    derive_countries(clean.get("place"))
    errors = validate(clean)
    if errors:
        raise ValidationError(errors)
    return clean


def is_valid_id(text: Any) -> bool:
    """True when `text` has the form of a record id (the schema's `id` pattern)."""
    pattern = record_schema()["properties"]["id"]["pattern"]
    return isinstance(text, str) and re.fullmatch(pattern, text) is not None


def slugify(text: str, limit: int = 40) -> str:
    """ASCII, lowercase, dash-separated slug of a title (empty when nothing is left)."""
    slug = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    return slug[:limit].rstrip("-")


def new_id(title: str) -> str:
    """A fresh id: a slug of the title plus a random suffix, so ids never collide."""
    slug = slugify(title) or "record"
    return f"{slug}-{secrets.token_hex(3)}"
