"""The record edit form: a record dict shown as HTML inputs and read back, with repeating
groups (names, conditions, sources, ...) that grow and shrink without JavaScript.

Input names are the record's own field paths (``conditions[0].status``), so a
`FieldError` from validation lands next to the input it is about. The fields that cite
sources (`SOURCE_LISTS`) are ticked from the record's own sources: one checkbox per source,
each of the same name, read back as the list of ticked ids.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .. import records
from ..errors import FieldError, ValidationError
from ..schema import labels, record_schema
from . import field_messages, i18n
from .i18n import gettext, lazy_gettext

#: Single-valued inputs, by path.
SCALARS = ("id", "type", "title", "quantity", "quantity_sources", "description", "subjects", "rights", "notes",
           "languages", "place.id", "place.name", "place.admin_area", "place.country", "place.geometry",
           "period.label", "period.start", "period.end", "period.sources")
_NAME_FIELDS = ("value", "lang", "script", "kind", "sources")
#: Repeating groups and the inputs of each row.
GROUPS: dict[str, tuple[str, ...]] = {
    "names": _NAME_FIELDS,
    "place.names": _NAME_FIELDS,
    "conditions": ("status", "date", "event", "cause", "certainty", "assessed_by", "method", "note", "sources"),
    "designations": ("scheme", "identifier", "date", "status", "url", "note", "sources"),
    "sources": ("id", "citation", "author", "publisher", "date", "url", "pages", "type"),
    "external_ids": ("scheme", "value"),
    "media": ("url", "caption", "licence", "credit"),
    "links": ("url", "label"),
    "place.countries": ("code", "name"),
}
#: Inputs holding a list of codes (source ids, language codes), comma- or space-separated.
ID_LISTS = {"quantity_sources", "period.sources", "names.sources", "place.names.sources", "conditions.sources",
            "designations.sources", "languages"}
#: Inputs citing the record's sources (checkboxes of the same name, or ids typed comma-separated).
SOURCE_LISTS = ID_LISTS - {"languages"}
#: Inputs holding one value per line.
LINES = {"subjects"}
INTEGERS = {"quantity", "period.start", "period.end"}
JSON_FIELDS = {"place.geometry"}
#: The input of the edit message (not part of the record, but checked with it).
MESSAGE = "message"
#: Rows at most per group (a guard against absurd forms, far above any real record).
MAX_ROWS = 500

_ROW_KEY = re.compile(r"^(?P<group>[a-z_.]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?$", re.ASCII)
#: A whole number as typed: ASCII digits, at most 7 of them (years, counts), an optional
#: sign and a zero fraction (``3.0`` is 3, as in the JSON doors; ``3.5`` is refused).
_WHOLE = re.compile(r"(?P<number>-?\d{1,7})(?:\.0+)?", re.ASCII)
Draft = dict[str, Any]


#: UI labels of the name kinds (the schema has no labels for them).
NAME_KINDS = {"official": lazy_gettext("Official"), "common": lazy_gettext("Common"),
              "historical": lazy_gettext("Historical"), "variant": lazy_gettext("Variant"),
              "transliteration": lazy_gettext("Transliteration"), "translation": lazy_gettext("Translation")}


def choices(name: str) -> list[tuple[str, str]]:
    """(value, label) pairs of a select in the UI language: the vocabularies of the record schema."""
    if name in ("type", "status", "certainty", "designation_status"):
        return list(labels(name, i18n.current_language()).items())
    if name == "kind":
        return [(v, str(NAME_KINDS.get(v, v.capitalize())))
                for v in record_schema()["$defs"]["name"]["properties"]["kind"]["enum"]]
    raise KeyError(name)


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in ID_LISTS:
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind in LINES:
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind in JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _assign(record: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        record = record.setdefault(part, {})
    record[last] = value


class RecordForm:
    """The state of one record form: raw input strings, the rows of each group, and errors."""

    def __init__(self, draft: Draft | None = None, errors: list[FieldError] | None = None):
        self.draft: Draft = draft or {"scalars": {}, "groups": {g: [] for g in GROUPS}}
        self.errors: list[FieldError] = list(errors or [])

    # -- building ------------------------------------------------------------------------

    @classmethod
    def empty(cls) -> RecordForm:
        """A new-record form with one empty row in the groups most records need."""
        form = cls()
        for group in ("names", "conditions", "sources"):
            form.add_row(group)
        return form

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> RecordForm:
        """The form showing a stored record."""
        scalars = {key: _text(_lookup(record, key), key) for key in SCALARS}
        groups: dict[str, list[dict[str, str]]] = {}
        for group, fields in GROUPS.items():
            rows = _lookup(record, group) or []
            groups[group] = [
                {f: _text(row.get(f), f"{group}.{f}") for f in fields} for row in rows if isinstance(row, Mapping)
            ]
        return cls({"scalars": scalars, "groups": groups})

    @classmethod
    def from_input(cls, form: Mapping[str, str], keep_empty: bool = False) -> RecordForm:
        """The form as submitted: every input kept, sources without an id given one made from
        their citation, add/remove applied; empty rows dropped unless `keep_empty` (a form
        that comes back to be changed further keeps its rows where the archivist left them,
        so that the anchors of its buttons still point at them)."""
        scalars = {key: _submitted(form, key, key) for key in SCALARS}
        found: dict[str, dict[int, dict[str, str]]] = {g: {} for g in GROUPS}
        for key in form:
            match = _ROW_KEY.match(key)
            if not match or match["group"] not in GROUPS or match["field"] not in GROUPS[match["group"]]:
                continue
            index = int(match["index"])
            if index < MAX_ROWS:
                kind = f"{match['group']}.{match['field']}"
                found[match["group"]].setdefault(index, {})[match["field"]] = _submitted(form, key, kind)
        groups = {
            group: [row for _, row in sorted(rows.items()) if keep_empty or any(v.strip() for v in row.values())]
            for group, rows in found.items()
        }
        self = cls({"scalars": scalars, "groups": groups})
        self._name_sources()
        self._apply(form.get("add", ""), form.get("remove", ""))
        return self

    def _name_sources(self) -> None:
        """Give each source with a citation but no id one made from the citation (unique in
        the record), so that the claims below can cite it before it is saved."""
        rows = self.draft["groups"]["sources"]
        taken = {row.get("id", "").strip() for row in rows}
        for row in rows:
            if not row.get("id", "").strip() and row.get("citation", "").strip():
                row["id"] = _unique(records.slugify(row["citation"], 30) or "source", taken)
                taken.add(row["id"])

    def add_source(self, source: Mapping[str, Any]) -> int:
        """Add a copy of another record's `source` (its id changed when this record uses the
        id already) and return its row; a source this record already has is not repeated."""
        rows = self.draft["groups"]["sources"]
        for index, row in enumerate(rows):
            if row.get("citation", "").strip() == str(source.get("citation", "")).strip() \
                    and row.get("url", "").strip() == str(source.get("url") or "").strip():
                return index
        row = {f: _text(source.get(f), f"sources.{f}") for f in GROUPS["sources"]}
        row["id"] = _unique(row["id"] or records.slugify(row["citation"], 30) or "source",
                            {r.get("id", "").strip() for r in rows})
        if len(rows) < MAX_ROWS:
            rows.append(row)
        return len(rows) - 1

    def source_choices(self) -> list[tuple[str, str]]:
        """(id, citation) of the sources of the form, which the claims pick from."""
        return [(row["id"].strip(), row.get("citation", "").strip() or row["id"].strip())
                for row in self.draft["groups"]["sources"] if row.get("id", "").strip()]

    def cited(self, key: str) -> list[str]:
        """The source ids input `key` cites (``conditions[0].sources``), as typed or ticked."""
        return [part for part in re.split(r"[,\s]+", self.value(key)) if part]

    def _apply(self, add: str, remove: str) -> None:
        if add in GROUPS:
            self.add_row(add)
        match = _ROW_KEY.match(remove or "")
        if match and match["group"] in GROUPS and match["field"] is None:
            rows = self.draft["groups"][match["group"]]
            if int(match["index"]) < len(rows):
                del rows[int(match["index"])]

    def add_row(self, group: str) -> None:
        rows = self.draft["groups"][group]
        if len(rows) < MAX_ROWS:
            rows.append({f: "" for f in GROUPS[group]})

    # -- reading (templates) -------------------------------------------------------------

    def value(self, key: str) -> str:
        """The text an input shows: ``title`` or ``conditions[0].status``."""
        match = _ROW_KEY.match(key)
        if match and match["group"] in GROUPS and match["field"]:
            rows = self.draft["groups"][match["group"]]
            index = int(match["index"])
            return rows[index].get(match["field"], "") if index < len(rows) else ""
        return self.draft["scalars"].get(key, "")

    def rows(self, group: str) -> range:
        """Indices of the rows of a group."""
        return range(len(self.draft["groups"][group]))

    def _known(self) -> set[str]:
        keys = set(SCALARS) | set(GROUPS) | {MESSAGE}
        for group, fields in GROUPS.items():
            for index in self.rows(group):
                keys.add(f"{group}[{index}]")
                keys.update(f"{group}[{index}].{f}" for f in fields)
        return keys

    def _place(self, path: str) -> str:
        """The input (or row, or group) an error path belongs to; "" for the whole form."""
        known = self._known()
        while path and path not in known:
            path = re.sub(r"(\[\d+\]|\.[A-Za-z_]+|^[A-Za-z_]+)$", "", path)
        return path

    def errors_for(self, key: str) -> list[str]:
        """Messages to show next to the input, row or group `key`, in the UI language."""
        return [field_messages.text(e) for e in self.errors if self._place(e.path) == key]

    def summary(self) -> list[tuple[str, str]]:
        """Every problem as (id of the element that shows it, text), for the links of the
        error summary: an input's id, or the message next to a group or row."""
        items = []
        for error in self.errors:
            place = self._place(error.path)
            row = _ROW_KEY.match(place)
            is_input = place in SCALARS or place == MESSAGE or bool(row and row["field"])
            anchor = ("f-" if is_input else "error-") + dom_id(place) if place else ""
            items.append((anchor, field_messages.located(error)))
        return items

    # -- converting ----------------------------------------------------------------------

    def to_record(self) -> dict[str, Any]:
        """The record the input describes; ValidationError (all problems) when it cannot be one."""
        record: dict[str, Any] = {}
        errors: list[FieldError] = []
        for key in SCALARS:
            value = self._convert(key, key, self.draft["scalars"].get(key, ""), errors)
            if value not in (None, "", []):
                _assign(record, key, value)
        for group, fields in GROUPS.items():
            rows = []
            for index, row in enumerate(self.draft["groups"][group]):
                item = {}
                for field in fields:
                    value = self._convert(f"{group}.{field}", f"{group}[{index}].{field}", row.get(field, ""),
                                          errors)
                    if value not in (None, "", []):
                        item[field] = value
                rows.append(item)
            if rows:
                _assign(record, group, rows)
        if (record.get("place") or {}).get("countries"):  # the first listed country is the country
            record["place"].pop("country", None)
        if errors:
            bad = {e.path for e in errors}
            checked = records.normalise(dict(record, id=record.get("id") or "new-record"))
            later = [e for e in records.validate(checked) if e.path not in bad]
            raise ValidationError(errors + later)
        return record

    @staticmethod
    def _convert(kind: str, path: str, text: str, errors: list[FieldError]) -> Any:
        text = text.strip()
        if not text:
            return None
        if kind in ID_LISTS:
            return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]
        if kind in LINES:
            return [line.strip() for line in text.splitlines() if line.strip()]
        if kind in INTEGERS:
            match = _WHOLE.fullmatch(text)
            if not match:
                errors.append(FieldError(path, gettext("%(value)s is not a whole number", value=repr(text[:50])),
                                         "integer", {"value": text}))
                return None
            return int(match["number"])
        if kind in JSON_FIELDS:
            try:
                return json.loads(text)
            except (ValueError, RecursionError) as error:
                errors.append(FieldError(path, gettext("not valid GeoJSON (%(error)s)", error=error), "geojson"))
                return None
        return text


def _submitted(form: Mapping[str, str], key: str, kind: str) -> str:
    """The text of input `key`: for a source list, every ticked checkbox (or typed list) of
    that name, comma-separated."""
    getlist = getattr(form, "getlist", None)
    if kind in SOURCE_LISTS and getlist is not None:
        return ", ".join(str(v).strip() for v in getlist(key) if str(v).strip())
    return str(form.get(key, ""))


def _unique(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... when that is taken."""
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}-{number}"
    return candidate


def dom_id(key: str) -> str:
    """An HTML id made from a field path (``conditions[0].status`` -> ``conditions-0-status``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-")
