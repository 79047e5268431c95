"""The spreadsheet import mapping: a TOML file saying which column is which record field
(see `harvest/examples/mapping.toml` and `harvest/examples/register-mapping.toml`), checked
whole when it is loaded, so that a mapping that would drop data, or that names an option
the field cannot use, is one clear error before any row is read. How rows become records
under it is `catalogue.formats.maprows`; reading files is the job of `harvest/`.

A column maps to a field name (``"Title" = "title"``) or to an inline table with options
(``"name_ru" = { field = "names", lang = "ru", script = "Cyrl" }``); see `OPTIONS`.
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CatalogueError
from ..schema import record_schema, vocabulary
from .dc import type_table

SOURCE_ID = "source"
#: Fields that hold one value per record, and the kind of value each takes.
SINGLE: dict[str, str] = {
    "title": "text", "type": "controlled", "description": "text", "notes": "text", "rights": "text",
    "quantity": "int", "period.label": "text", "period.start": "int", "period.end": "int",
    "place.name": "text", "place.admin_area": "text", "place.latitude": "float", "place.longitude": "float",
    "place.geometry": "geometry", "source.citation": "text", "source.author": "text", "source.publisher": "text",
    "source.date": "text", "source.url": "text", "source.pages": "text", "source.type": "text",
}
#: Fields that hold a list: every column mapped to one of them is kept, value by value.
LISTS = ("names", "place.names", "subjects", "languages", "links", "place.country", "place.countries")
#: Fields of repeated objects: the columns of one `group` make one object (a condition
#: assessment, a designation, a medium, a name), several groups make several.
GROUPS: dict[str, tuple[str, ...]] = {
    "condition": ("status", "date", "event", "cause", "certainty", "assessed_by", "method", "note"),
    "designation": ("scheme", "identifier", "date", "status", "url", "note"),
    "media": ("url", "caption", "licence", "credit"),
    "name": ("value", "lang", "script", "kind"),
}
#: The controlled vocabulary of each controlled field (a `values` table maps words to it).
CONTROLLED = {"type": "type", "condition.status": "status", "condition.certainty": "certainty",
              "designation.status": "designation_status", "name.kind": "kind"}
#: Options of an inline table besides `field`, and the fields each applies to ("*": any).
OPTIONS: dict[str, tuple[str, ...]] = {
    "lang": ("names", "place.names"), "script": ("names", "place.names"), "kind": ("names", "place.names"),
    "label": ("links",), "separator": ("*",), "values": ("*",), "strip_html": ("*",), "template": ("*",),
    "group": tuple(GROUPS),
}
#: The tables of a mapping file and the keys of its [record] table.
TABLES = ("record", "columns", "separators", "types", "source")
RECORD_KEYS = ("id_column", "id_template", "default_type", "source_name", "delimiter", "sheet", "encoding")
_KINDS = ((bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"), (dict, "a table"),
          (list, "a list"))


def _kind(value: Any) -> str:
    """What a TOML value is, in words ("a table", "a number", ...)."""
    return next((name for cls, name in _KINDS if isinstance(value, cls)), "a date or time")


def group_of(target: str) -> str | None:
    """The group name of a grouped field (``condition`` of ``condition.status``), or None."""
    head, _, rest = target.partition(".")
    return head if head in GROUPS and rest in GROUPS[head] else None


def is_field(target: str) -> bool:
    """Whether an import fills `target`."""
    return (target in SINGLE or target in LISTS or group_of(target) is not None
            or (target.startswith("external_ids.") and len(target) > len("external_ids.")))


def is_list(target: str) -> bool:
    return target in LISTS or target.startswith("external_ids.")


def vocabulary_of(target: str) -> list[str] | None:
    """The allowed values of a controlled field (None for free text)."""
    name = CONTROLLED.get(target)
    defs = record_schema()["$defs"]
    if name == "kind":
        return list(defs["name"]["properties"]["kind"]["enum"])
    if name == "certainty":
        return list(defs["assessment"]["properties"]["certainty"]["enum"])
    return vocabulary(name) if name else None


def template_columns(template: str) -> list[str]:
    """The column names a template uses in braces (``{Code}``)."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


@dataclass(frozen=True)
class Column:
    """One entry of [columns]: where its value comes from (a column, or a `template` over
    columns) and which record field it fills, with its options."""

    key: str
    field: str
    separator: str | None = None
    values: dict[str, str] | None = None
    strip_html: bool = False
    template: str | None = None
    group: str = ""
    lang: str | None = None
    script: str | None = None
    kind: str | None = None
    label: str | None = None
    options: tuple[str, ...] = field(default=(), compare=False)

    @property
    def reads(self) -> list[str]:
        """The file's columns this entry reads."""
        return template_columns(self.template) if self.template is not None else [self.key]


class Mapping:
    """A parsed, checked TOML mapping. Every value of an unexpected type or shape, and every
    mapping that would lose data (two columns into a field that holds one value), is refused
    here with one line naming the table and key, so a row never meets it."""

    def __init__(self, data: dict[str, Any], where: str):
        self.where = where
        unknown = [key for key in data if key not in TABLES]
        if unknown:
            raise CatalogueError(f"{where}: unknown {unknown[0]!r} at the top level; a mapping has the tables "
                                 + ", ".join(f"[{name}]" for name in TABLES))
        table = data.get("columns", {})
        if not isinstance(table, dict):
            raise CatalogueError(f"{where}: [columns] must be a table, not {_kind(table)}")
        separators = self._strings(data, "separators", "the text between values", non_empty=True)
        self.entries = [self._entry(key, value, separators) for key, value in table.items()]
        if not self.entries:
            raise CatalogueError(f"{where}: [columns] maps no column to a field")
        for column in separators:
            if column not in table:
                raise CatalogueError(f"{where}: [separators] {column!r} is not a column of [columns]")
        self._check_losses()
        overrides = self._strings(data, "types", "a record type")
        for word, target in overrides.items():
            self._check_type(f"[types] maps {word!r} to", target)
        self.types = type_table(overrides)
        self._read_record(self._strings(data, "record", "text", non_empty=True))
        self.source = self._strings(data, "source", "text")
        unknown = set(self.source) - {f.split(".")[1] for f in SINGLE if f.startswith("source.")} - {"id"}
        if unknown:
            raise CatalogueError(f"{where}: [source] has unknown keys {sorted(unknown)}")

    # -- [columns] ---------------------------------------------------------------------

    def _entry(self, key: str, value: Any, separators: dict[str, str]) -> Column:
        """One [columns] entry: a field name, or an inline table with `field` and options."""
        if isinstance(value, str):
            options: dict[str, Any] = {"field": value}
        elif isinstance(value, dict):
            options = dict(value)
        else:
            raise CatalogueError(f"{self.where}: [columns] {key!r} must be a record field name in quotes or an"
                                 f" inline table such as {{ field = \"names\", lang = \"ru\" }}, not {_kind(value)}")
        where = f"{self.where}: [columns] {key!r}"
        target = options.pop("field", None)
        if not isinstance(target, str) or not target:
            raise CatalogueError(f"{where} needs field = \"...\", the record field the column fills")
        if not is_field(target):
            raise CatalogueError(f"{where} maps to {target!r}, which is not a field this import fills (one of: "
                                 f"{', '.join((*SINGLE, *LISTS))}, external_ids.SCHEME, "
                                 + ", ".join(f"{g}.{'|'.join(f)}" for g, f in GROUPS.items()) + ")")
        if key in separators:
            if "separator" in options:
                raise CatalogueError(f"{where} has a separator both in [separators] and in its table; give one")
            options["separator"] = separators[key]
        return self._options(key, target, options, where)

    def _options(self, key: str, target: str, options: dict[str, Any], where: str) -> Column:
        """The checked options of an entry (each allowed for its field, of the right kind)."""
        group = group_of(target)
        for name, value in options.items():
            allowed = OPTIONS.get(name)
            if allowed is None:
                raise CatalogueError(f"{where} has an unknown option {name!r} (options: field, "
                                     f"{', '.join(OPTIONS)})")
            if "*" not in allowed and target not in allowed and group not in allowed:
                raise CatalogueError(f"{where}: option {name!r} does not apply to {target!r}")
            wanted = bool if name == "strip_html" else dict if name == "values" else str
            if not isinstance(value, wanted) or (wanted is str and not value and name != "group"):
                what = {bool: "true or false", dict: "a table of words", str: "text in quotes, not empty"}[wanted]
                raise CatalogueError(f"{where}: option {name!r} must be {what}, not {_kind(value)}")
        values = options.get("values")
        if values is not None:
            self._check_values(where, target, values)
        self._check_name_options(where, options)
        if options.get("separator") and not is_list(target):
            raise CatalogueError(f"{where}: {target!r} holds one value, so a separator would split a cell into "
                                 "values it cannot keep; map the column to a list field or drop the separator")
        template = options.get("template")
        if template is not None:
            self._check_template(f"{where}: template", template, constant_ok=True)
        if "group" in options and group is None:
            raise CatalogueError(f"{where}: option 'group' applies to grouped fields only")
        return Column(key, target, options.get("separator"), values, bool(options.get("strip_html")), template,
                      str(options.get("group", "")), options.get("lang"), options.get("script"), options.get("kind"),
                      options.get("label"), tuple(options))

    @staticmethod
    def _check_name_options(where: str, options: dict[str, Any]) -> None:
        """`lang`, `script` and `kind` of names hold what the record schema allows."""
        name = record_schema()["$defs"]["name"]["properties"]
        lang = record_schema()["$defs"]["lang"]["pattern"]
        checks = {"lang": lambda v: re.fullmatch(lang, v),
                  "script": lambda v: re.fullmatch(name["script"]["pattern"], v),
                  "kind": lambda v: v in name["kind"]["enum"]}
        hints = {"lang": "a BCP 47 tag such as ru or az-Cyrl", "script": "an ISO 15924 code such as Cyrl or Arab",
                 "kind": "one of " + ", ".join(name["kind"]["enum"])}
        for option, check in checks.items():
            value = options.get(option)
            if isinstance(value, str) and not check(value):
                raise CatalogueError(f"{where}: {option} {value!r} is not {hints[option]}")

    def _check_values(self, where: str, target: str, values: dict[str, Any]) -> None:
        allowed = vocabulary_of(target)
        for word, meaning in values.items():
            if not isinstance(meaning, str):
                raise CatalogueError(f"{where}: values {word!r} must be text in quotes (\"\" leaves the field"
                                     f" empty), not {_kind(meaning)}")
            if allowed is not None and meaning and meaning not in allowed:
                raise CatalogueError(f"{where}: values maps {word!r} to {meaning!r}, which is not one of: "
                                     f"{', '.join(allowed)}")

    def _check_losses(self) -> None:
        """Two entries filling the same single-valued field (or the same field of one group)
        would keep only one of them: refused."""
        seen: dict[tuple[str, str], str] = {}
        for entry in self.entries:
            if is_list(entry.field):
                continue
            slot = (entry.group if group_of(entry.field) else "", entry.field)
            if slot in seen:
                where = f" of group {entry.group!r}" if entry.group else ""
                raise CatalogueError(
                    f"{self.where}: [columns] {seen[slot]!r} and {entry.key!r} both fill {entry.field!r}{where},"
                    " which holds one value, so one of them would be lost; map one to another field (several "
                    "conditions or designations go in groups: group = \"...\")")
            seen[slot] = entry.key
        fields = {entry.field for entry in self.entries}
        if "place.geometry" in fields and fields & {"place.latitude", "place.longitude"}:
            raise CatalogueError(f"{self.where}: [columns] maps both place.geometry and place.latitude/longitude;"
                                 " a place has one geometry, so map one of them")

    # -- [record] ----------------------------------------------------------------------

    def _read_record(self, record: dict[str, str]) -> None:
        """The [record] table: how ids are made, the default type, provenance and delimiter."""
        unknown = sorted(set(record) - set(RECORD_KEYS))
        if unknown:
            raise CatalogueError(f"{self.where}: [record] has unknown keys {unknown} (known: {', '.join(RECORD_KEYS)})")
        self.id_column, self.id_template = record.get("id_column"), record.get("id_template")
        if bool(self.id_column) == bool(self.id_template):
            raise CatalogueError(f"{self.where}: [record] needs id_column or id_template (one of them)")
        if self.id_template:
            self._check_template(f"{self.where}: [record] id_template", self.id_template)
        self.default_type = record.get("default_type")
        if self.default_type:
            self._check_type("[record] default_type is", self.default_type)
        self.source_name = record.get("source_name")
        self.sheet = record.get("sheet")
        self.encoding = record.get("encoding")
        self.delimiter = record.get("delimiter", ",")
        if len(self.delimiter) != 1 or self.delimiter in "\r\n\"":
            raise CatalogueError(f"{self.where}: [record] delimiter must be one character (not a quote or line"
                                 f" break), not {self.delimiter!r}")

    def _check_type(self, what: str, target: str) -> None:
        if target not in vocabulary("type"):
            raise CatalogueError(f"{self.where}: {what} {target!r}, which is not a type "
                                 f"(one of: {', '.join(vocabulary('type'))})")

    @staticmethod
    def _check_template(where: str, template: str, constant_ok: bool = False) -> None:
        """A template names columns in braces: ``example-{Code}``; without braces it is a
        constant (allowed for field values, not for ids)."""
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        except ValueError as error:
            raise CatalogueError(f"{where} {template!r} is not usable: {error}") from None
        if any(not name or name.isdigit() for name in names) or (not names and not constant_ok):
            raise CatalogueError(f"{where} {template!r} must name columns in braces, e.g. \"example-{{Code}}\"")

    def _strings(self, data: dict[str, Any], name: str, what: str, non_empty: bool = False) -> dict[str, str]:
        """Table `name` of `data` (empty when absent), every value of it text."""
        table = data.get(name, {})
        if not isinstance(table, dict):
            raise CatalogueError(f"{self.where}: [{name}] must be a table, not {_kind(table)}")
        for key, value in table.items():
            if not isinstance(value, str):
                raise CatalogueError(f"{self.where}: [{name}] {key!r} must be {what} in quotes, not {_kind(value)}")
            if non_empty and not value:
                raise CatalogueError(f"{self.where}: [{name}] {key!r} is empty")
        return table

    # -- what rows need ------------------------------------------------------------------

    def needed_columns(self) -> set[str]:
        """Every column the file must have."""
        needed = {name for entry in self.entries for name in entry.reads}
        if self.id_column:
            needed.add(self.id_column)
        if self.id_template:
            needed |= set(template_columns(self.id_template))
        return needed

    def column_of(self, path: str, groups: dict[str, list[str]] | None = None) -> str | None:
        """The column whose field a validation error path points into (`groups`: the group
        names in the order their objects were made, per grouped field, to find a
        ``conditions[1].status``)."""
        best = None
        for entry in self.entries:
            for prefix in _record_paths(entry, groups or {}):
                if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                    best = entry.key
        return best


#: Where a grouped field lands in the record.
GROUP_LISTS = {"condition": "conditions", "designation": "designations", "media": "media", "name": "names"}


def _record_paths(entry: Column, groups: dict[str, list[str]]) -> list[str]:
    """The record paths an entry fills (to name its column in a validation error)."""
    target = entry.field
    head, _, rest = target.partition(".")
    if group_of(target):
        order = groups.get(head, [])
        index = order.index(entry.group) if entry.group in order else 0
        return [f"{GROUP_LISTS[head]}[{index}].{rest}"]
    if head == "source":
        return [f"sources[0].{rest}"]
    if target.startswith("external_ids."):
        return ["external_ids"]
    if target in ("place.latitude", "place.longitude", "place.geometry"):
        return ["place.geometry"]
    if target in ("place.country", "place.countries"):
        return ["place.country", "place.countries"]
    return [target]


def parse_mapping(text: str, where: str) -> Mapping:
    """Check a mapping given as TOML text; a CatalogueError says what is wrong."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise CatalogueError(f"{where}: not valid TOML: {error}") from error
    return Mapping(data, where)


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a TOML mapping file; a CatalogueError says what is wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogueError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from error
    return parse_mapping(text, str(path))
