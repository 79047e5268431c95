"""Place authorities: what a valid place is, which of its names a page shows, and what a
heritage record linked to it carries.

A place (`$defs/place_authority` of the record schema) is one place with its names in every
language and script, where it lies and its ids in gazetteers. A heritage record points at
it by `place.id` and keeps a copy of its names, so that the record read alone (an export,
OAI-PMH, the search index) still says where it is in every script.
"""

from __future__ import annotations

import copy
from typing import Any

from . import records
from .errors import FieldError, ValidationError
from .schema import place_schema_errors

#: Web pages of a place in the gazetteers `external_ids` names.
GAZETTEER_URLS = {
    "geonames": "https://www.geonames.org/{}",
    "wikidata": "https://www.wikidata.org/wiki/{}",
    "tgn": "http://vocab.getty.edu/page/tgn/{}",
}
#: The form of an id in each gazetteer (the schema checks the characters only).
_ID_FORMS = {"geonames": str.isdigit, "tgn": str.isdigit,
             "wikidata": lambda v: v[:1] == "Q" and v[1:].isdigit()}
#: Which name a page shows first, among the names in its language.
_KIND_ORDER = {"official": 0, "common": 1, "transliteration": 2, "translation": 3, "variant": 4, "historical": 5}


def _rule_errors(place: dict[str, Any]) -> list[FieldError]:
    """What the schema cannot say: cited sources exist, gazetteer ids have their form."""
    errors = []
    known = {s.get("id") for s in place.get("sources") or []}
    for i, name in enumerate(place.get("names") or []):
        for ref in name.get("sources") or []:
            if ref not in known:
                errors.append(FieldError(f"names[{i}].sources", f"cites {ref!r}, which is not in sources",
                                         "unknown_source", {"value": ref}))
    for i, ext in enumerate(place.get("external_ids") or []):
        check = _ID_FORMS.get(ext.get("scheme", ""))
        if check and not check(ext.get("value", "")):
            errors.append(FieldError(f"external_ids[{i}].value",
                                     f"{ext.get('value')!r} is not a {ext.get('scheme')} id", "pattern"))
    return errors


def prepare_place(place: Any) -> dict[str, Any]:
    """A place as it would be stored (cleaned text, countries completed, fields the store
    maintains dropped), or ValidationError listing every problem."""
    if not isinstance(place, dict):
        raise ValidationError([FieldError("", "a place must be a JSON object", "not_an_object")])
    try:
        clean = records.normalise(place)
    except records.TooDeep:
        raise ValidationError([FieldError("", "the place nests lists and objects too deeply", "too_deep")]) from None
    for field in records.SYSTEM_FIELDS:
        clean.pop(field, None)
    records.derive_countries(clean)
    clean.pop("country", None)  # an authority lists its countries; `country` is the record's shorthand
    errors = place_schema_errors(clean)
    if not errors:
        errors = _rule_errors(clean)
    if errors:
        raise ValidationError(errors)
    return clean


def _names(place: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in place.get("names") or [] if isinstance(n, dict) and n.get("value")]


def display_name(place: dict[str, Any], lang: str = "en") -> str:
    """The name a page in `lang` shows: the place's official (else common, ...) name in that
    language, else its English one, else its first name (Xocalı in Azerbaijani, Khojaly in English)."""
    names = _names(place)
    for wanted in (lang, "en"):
        found = [n for n in names if str(n.get("lang", "")).split("-")[0] == wanted]
        if found:
            return min(found, key=lambda n: _KIND_ORDER.get(n.get("kind", ""), 9))["value"]
    return names[0]["value"] if names else place.get("id", "")


def name_values(place: dict[str, Any]) -> list[str]:
    """Every name of a place, each once."""
    return list(dict.fromkeys(n["value"] for n in _names(place)))


def gazetteer_links(place: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(scheme, id, URL) of each external id of a place."""
    return [(e["scheme"], e["value"], GAZETTEER_URLS[e["scheme"]].format(e["value"]))
            for e in place.get("external_ids") or [] if e.get("scheme") in GAZETTEER_URLS]


def linked_place(record_place: dict[str, Any] | None, place: dict[str, Any]) -> dict[str, Any]:
    """A record's place once linked to the authority `place`: its id, the record's own name
    (the authority's display name when it had none), every name of both (the record's own
    first, with their sources) and the authority's countries when the record gave none. The
    geometry stays the record's: an item's position is its own, never the town's."""
    out = copy.deepcopy(record_place or {})
    out["id"] = place["id"]
    out.setdefault("name", display_name(place))
    names = list(out.get("names") or [])
    seen = {(n.get("value"), n.get("lang")) for n in names if isinstance(n, dict)}
    for name in _names(place):
        if (name["value"], name.get("lang")) not in seen:
            names.append({k: v for k, v in name.items() if k != "sources"})  # the place's sources are not the record's
            seen.add((name["value"], name.get("lang")))
    out["names"] = names
    if not out.get("countries") and not out.get("country") and place.get("countries"):
        out["countries"] = copy.deepcopy(place["countries"])
    if not out.get("admin_area") and place.get("admin_area"):
        out["admin_area"] = place["admin_area"]
    return out
