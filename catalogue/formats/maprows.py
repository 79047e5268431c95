"""Rows of a spreadsheet as records, under a checked mapping (`catalogue.formats.csvmap`).

Each row is read into a partial record (`build`); rows sharing an id are merged in file
order (`merge`), so a register that gives one site on several rows (a name per row, a
country per row) makes one record with everything; then the record is completed (its
source, default type, countries, position) and validated (`finish`). Problems name their
column; notices (a (0, 0) position, a formula's value) go along without stopping the row.
Nothing a mapped column holds is dropped silently: a value that does not fit is an error.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import codes, records
from ..errors import CatalogueError, Notice, ValidationError
from ..schema import labels
from . import positions
from .csvmap import CONTROLLED, GROUP_LISTS, SINGLE, SOURCE_ID, Column, Mapping, group_of, vocabulary_of
from .text import html_to_text

#: Fields of the record filled from the [source] table and source.* columns.
_FIRST = {"condition": "status", "designation": "scheme", "media": "url", "name": "value"}


@dataclass
class Built:
    """One row (or, after `merge`, several rows) read into a partial record."""

    where: str
    record_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    source: dict[str, Any] = field(default_factory=dict)
    #: (field group, group name, object, the source it cites) of every grouped object.
    items: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    countries: list[dict[str, Any]] = field(default_factory=list)
    #: Whether every country came from a `place.country` column (one stays `place.country`).
    country_field: bool = True
    position: dict[str, float] = field(default_factory=dict)
    geometry: dict[str, Any] | None = None
    quantity_source: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def problem(self, column: str, message: str) -> None:
        self.problems.append(f"column {column!r}: {message}")


def _lookup(table: dict[str, str], word: str) -> str | None:
    """A `values` entry for a cell word: exact, else ignoring case and surrounding spaces."""
    if word in table:
        return table[word]
    folded = word.strip().casefold()
    return next((v for k, v in table.items() if k.strip().casefold() == folded), None)


def _controlled(mapping: Mapping, entry: Column, word: str) -> str | None:
    """The vocabulary value a word stands for: a `values` word, a value, or its English or
    Azerbaijani label (for types also the mapping's [types] and common synonyms)."""
    if entry.field == "type":
        return mapping.types.get(word.strip().lower())
    allowed = vocabulary_of(entry.field) or []
    if word in allowed:
        return word
    vocab = {"condition.status": "status", "condition.certainty": "certainty",
             "designation.status": "designation_status"}.get(entry.field)
    folded = word.strip().casefold()
    for value in allowed:
        names = {value, value.replace("_", " ")}
        if vocab:
            names |= {labels(vocab, lang)[value] for lang in ("en", "az")}
        if folded in {n.casefold() for n in names}:
            return value
    return None


class _Reader:
    """Reads the cells of one row into a `Built`."""

    def __init__(self, mapping: Mapping, cells: dict[str, str], where: str):
        self.mapping, self.cells = mapping, {k: (v or "") for k, v in cells.items()}
        self.built = Built(where, "", lines=[where])
        self.built.source = {"id": str(mapping.source.get("id", SOURCE_ID))}
        self.built.source.update({k: v for k, v in mapping.source.items() if k != "id"})
        self.groups: dict[tuple[str, str], dict[str, Any]] = {}
        self.group_data: set[tuple[str, str]] = set()

    def read(self) -> Built:
        for entry in self.mapping.entries:
            value = self._raw(entry)
            if value:
                self._cell(entry, value)
        built = self.built
        built.record_id = self._record_id()
        for (head, group), item in self.groups.items():
            if (head, group) in self.group_data:
                built.items.append((head, group, item, built.source))
        return built

    def _raw(self, entry: Column) -> str:
        """The text an entry reads: its cell, or its template filled (empty when a column it
        names is empty, so no half-made value is stored; a constant template is always given)."""
        if entry.template is None:
            return self.cells.get(entry.key, "").strip()
        names = entry.reads
        if any(not self.cells.get(name, "").strip() for name in names):
            return ""
        try:
            return entry.template.format_map({k: v.strip() for k, v in self.cells.items()}).strip()
        except (KeyError, ValueError, IndexError, AttributeError) as error:
            self.built.problem(entry.key, f"the template {entry.template!r} is not usable: {error}")
            return ""

    def _cell(self, entry: Column, value: str) -> None:
        if any("\udc80" <= ch <= "\udcff" for ch in value):
            self.built.problem(entry.key, "not valid text in the file's encoding; give --encoding (e.g. cp1252)")
            return
        if entry.strip_html:
            value = html_to_text(value)
        pieces = value.split(entry.separator) if entry.separator else [value]
        for piece in (p.strip() for p in pieces):
            if piece and entry.values is not None and (mapped := _lookup(entry.values, piece)) is not None:
                piece = mapped
            if piece:
                self._put(entry, piece)

    def _put(self, entry: Column, value: str) -> None:
        """Put one value where its field goes, checked for its kind."""
        target, built = entry.field, self.built
        if target in CONTROLLED:
            found = _controlled(self.mapping, entry, value)
            if found is None:
                built.problem(entry.key, f"type {value!r} is neither a record type nor listed in the mapping's "
                              "[types] or the column's values" if target == "type" else
                              f"{value!r} is not one of {', '.join(vocabulary_of(target) or [])} (a values table"
                              " in the mapping can map the file's words to them)")
                return
            value = found
        head, _, rest = target.partition(".")
        if group_of(target):
            key = (head, entry.group)
            self.groups.setdefault(key, {})[rest] = value
            if entry.template is None or entry.reads:
                self.group_data.add(key)
            return
        kind = SINGLE.get(target)
        if kind == "int":
            if not value.lstrip("+-").isdigit() or not value.isascii():
                built.problem(entry.key, f"{value!r} is not a whole number")
                return
            self._set(target, int(value))
            if target == "quantity":
                built.quantity_source = built.source
        elif kind == "float":
            try:
                built.position[rest] = positions.number(value, rest)
            except positions.PositionError as error:
                built.problem(entry.key, str(error))
                built.position[rest] = float("nan")  # reported: no second complaint about the position
        elif kind == "geometry":
            try:
                built.geometry = positions.geometry(value)
            except positions.PositionError as error:
                built.problem(entry.key, str(error))
        elif kind is not None:
            self._set(target, value)
        else:
            self._add(entry, value)

    def _add(self, entry: Column, value: str) -> None:
        """A value of a list field."""
        target, fields = entry.field, self.built.fields
        if target in ("names", "place.names"):
            name = {"value": value, "lang": entry.lang, "script": entry.script, "kind": entry.kind}
            name = {k: v for k, v in name.items() if v}
            _list(fields, target).append(name)
        elif target == "subjects":
            _list(fields, target).append(value)
        elif target == "languages":
            code = codes.language_code(value)
            if code is None:
                self.built.problem(entry.key, f"{value!r} is neither a language code (ISO 639) nor a language name")
                return
            _list(fields, target).append(code)
        elif target == "links":
            _list(fields, target).append({"url": value, **({"label": entry.label} if entry.label else {})})
        elif target in ("place.country", "place.countries"):
            code = codes.country_code(value) if len(value) == 2 else None
            self.built.countries.append({"code": code} if code else {"name": value})
            self.built.country_field &= target == "place.country"
        else:  # external_ids.SCHEME
            _list(fields, "external_ids").append({"scheme": target.split(".", 1)[1], "value": value})

    def _set(self, target: str, value: Any) -> None:
        head, _, rest = target.partition(".")
        if head == "source":
            self.built.source[rest] = value
        elif rest:
            self.built.fields.setdefault(head, {})[rest] = value
        else:
            self.built.fields[head] = value

    def _record_id(self) -> str:
        mapping = self.mapping
        if mapping.id_column:
            value = self.cells.get(mapping.id_column, "").strip().lower()
            if not records.is_valid_id(value):
                self.built.problem(mapping.id_column, f"{value!r} is not an id (lowercase letters, digits, '.', '_',"
                                   " '-')" if value else "the id is empty")
            return value
        template = mapping.id_template or ""
        text = template.format_map({k: v.strip() for k, v in self.cells.items()})
        value = records.slugify(text, 128)
        if not value:
            self.built.problems.append(f"the id template gives nothing for this row ({text!r})")
        return value


def _list(fields: dict[str, Any], path: str) -> list[Any]:
    head, _, rest = path.partition(".")
    holder = fields.setdefault(head, {}) if rest else fields
    return holder.setdefault(rest or head, [])


def build(mapping: Mapping, cells: dict[str, str], where: str) -> Built:
    """One row's cells (column -> text) read into a partial record."""
    return _Reader(mapping, cells, where).read()


# -- several rows, one record --------------------------------------------------------------


def _line(where: str) -> str:
    return where.rsplit(":", 1)[-1]


def _merge_fields(into: dict[str, Any], new: dict[str, Any], path: str, built: Built, where: str) -> None:
    """Add a later row's fields: lists grow (without repeating a value), equal values stay,
    different values of a field holding one are a problem (neither is dropped silently)."""
    for key, value in new.items():
        name = f"{path}.{key}" if path else key
        if key not in into:
            into[key] = copy.deepcopy(value)
        elif isinstance(value, list):
            into[key].extend(v for v in value if v not in into[key])
        elif isinstance(value, dict) and isinstance(into[key], dict):
            _merge_fields(into[key], value, name, built, where)
        elif into[key] != value:
            built.problems.append(f"line {_line(where)} gives {name} {value!r}, but line {_line(built.lines[0])}"
                                  f" gave {into[key]!r}; a record holds one {name}")


def _add_item(items: list[tuple[str, str, dict[str, Any], dict[str, Any]]],
              item: tuple[str, str, dict[str, Any], dict[str, Any]]) -> None:
    """A later row's object of a group: the same object told again (all it says an earlier
    object of its group and source says already) adds nothing; one that says more replaces
    the one it completes; any other is another object (a later assessment, say)."""
    head, group, obj, source = item
    for index, (h, g, known, s) in enumerate(items):
        if (h, g, s) != (head, group, source):
            continue
        if obj.items() <= known.items():
            return
        if known.items() <= obj.items():
            items[index] = item
            return
    items.append(item)


def merge(rows: list[Built]) -> Built:
    """Rows sharing an id as one partial record, in file order."""
    first = copy.deepcopy(rows[0])
    for row in rows[1:]:
        first.lines.append(row.where)
        first.problems += row.problems
        first.notices += row.notices
        _merge_fields(first.fields, row.fields, "", first, row.where)
        for item in row.items:
            _add_item(first.items, item)
        first.countries += [c for c in row.countries if c not in first.countries]
        first.country_field &= row.country_field
        for key, value in row.position.items():
            if first.position.setdefault(key, value) != value:
                first.problems.append(f"line {_line(row.where)} gives another {key} ({value:g}) than line "
                                      f"{_line(first.where)} ({first.position[key]:g})")
        if row.geometry is not None:
            if first.geometry not in (None, row.geometry):
                first.problems.append(f"line {_line(row.where)} gives another geometry than line {_line(first.where)}")
            first.geometry = row.geometry
        first.quantity_source = first.quantity_source or row.quantity_source
    return first


# -- the record ----------------------------------------------------------------------------


def _sources(built: Built, mapping: Mapping) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The distinct sources the rows cite, with ids (the mapping's id, then id-2, id-3 ...),
    and the id of each by its content."""
    distinct: list[dict[str, Any]] = []
    for source in [built.source, *(item[3] for item in built.items)]:
        if source not in distinct:
            distinct.append(source)
    ids, out = {}, []
    base = str(mapping.source.get("id", SOURCE_ID))
    for number, source in enumerate(distinct, start=1):
        sid = base if number == 1 else f"{base}-{number}"
        ids[repr(sorted(source.items()))] = sid
        out.append(dict(source, id=sid))
    return out, ids


def _complete(built: Built, mapping: Mapping) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The record of a (merged) partial record, and the group names of its grouped objects
    in order (to name the column of a validation error)."""
    record = copy.deepcopy(built.fields)
    record["id"] = built.record_id
    if "type" not in record and mapping.default_type:
        record["type"] = mapping.default_type
    sources, ids = _sources(built, mapping)
    if not any(s.get("citation") for s in sources):
        built.problems.append("no source citation: give [source] citation in the mapping or a source.citation column")
    record["sources"] = sources
    order: dict[str, list[str]] = {}
    for head, group, item, source in built.items:
        if _FIRST[head] not in item and head != "condition":
            built.problems.append(f"a {head} needs its {_FIRST[head]}: map a column (or a template) to "
                                  f"{head}.{_FIRST[head]}" + (f" in group {group!r}" if group else ""))
            continue
        obj = dict(item)
        if head == "condition":  # a note or a date without a status: the source states none
            obj.setdefault("status", "unknown")
        if head in ("condition", "designation"):
            obj["sources"] = [ids[repr(sorted(source.items()))]]
        record.setdefault(GROUP_LISTS[head], []).append(obj)
        order.setdefault(head, []).append(group)
    if "quantity" in record:
        record["quantity_sources"] = [ids[repr(sorted((built.quantity_source or built.source).items()))]]
    _place(built, record, mapping)
    record["provenance"] = {"origin": "import", "source_identifier": record["id"]}
    if mapping.source_name:
        record["provenance"]["source_name"] = str(mapping.source_name)
    return record, order


def _place(built: Built, record: dict[str, Any], mapping: Mapping) -> None:
    """Countries and the position into the record's place."""
    place = record.get("place") or {}
    if built.countries:
        if len(built.countries) == 1 and built.country_field:
            country = built.countries[0]
            place["country"] = country.get("name") or codes.country_name(country["code"]) or country["code"]
        else:
            place["countries"] = built.countries
    if built.position and not any(v != v for v in built.position.values()):  # (NaN: reported already)
        if set(built.position) != {"latitude", "longitude"}:
            built.problems.append("a position needs both latitude and longitude")
        else:
            try:
                built.geometry = positions.point(built.position["longitude"], built.position["latitude"])
            except positions.PositionError as error:
                columns = [e.key for e in mapping.entries if e.field in ("place.latitude", "place.longitude")]
                built.problems.append(f"columns {', '.join(map(repr, columns))}: {error}")
    if built.geometry is not None:
        place["geometry"] = built.geometry
        if positions.is_null_island(built.geometry):
            built.notices.append(positions.NULL_ISLAND)
    if place:
        record["place"] = place


def finish(mapping: Mapping, built: Built) -> Any:
    """The validated record of a (merged) partial record, or a CatalogueError naming each
    column at fault."""
    record, order = _complete(built, mapping)
    if built.problems:
        return CatalogueError("; ".join(dict.fromkeys(built.problems)))
    try:
        return records.prepare(record)
    except ValidationError as error:
        located = []
        for problem in error.errors:
            column = mapping.column_of(problem.path, order)
            located.append(f"column {column!r}: {problem.message}" if column else str(problem))
        return CatalogueError("; ".join(located))


def row_record(mapping: Mapping, cells: dict[str, str], where: str = "") -> Any:
    """The validated record one row makes on its own, or a CatalogueError."""
    return finish(mapping, build(mapping, cells, where))


def records_of(mapping: Mapping, rows: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, Any]]:
    """(location, record, CatalogueError or Notice) for rows given as (location, cells or
    CatalogueError), rows sharing an id merged in file order: each record comes where its
    first row was, after its notices. Rows are read to the end first (a later row may
    belong to an earlier record)."""
    order: list[Any] = []
    by_id: dict[str, list[Built]] = {}
    for where, cells in rows:
        if isinstance(cells, CatalogueError | Notice):
            order.append((where, cells))
            continue
        built = build(mapping, cells, where)
        key = built.record_id if records.is_valid_id(built.record_id) else f"\0{len(order)}"
        if key in by_id:  # a later row of a record: merged into it (its problems too)
            by_id[key].append(built)
            continue
        by_id[key] = [built]
        order.append(key)
    for key in order:
        if isinstance(key, tuple):
            yield key
            continue
        group = by_id[key]
        built = merge(group) if len(group) > 1 else group[0]
        where = built.where + (f" (with line{'s' if len(group) > 2 else ''} "
                               f"{', '.join(_line(w) for w in built.lines[1:])})" if len(group) > 1 else "")
        record = finish(mapping, built)
        for notice in dict.fromkeys(built.notices):
            yield where, Notice(notice)
        yield where, record
