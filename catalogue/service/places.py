"""Place authorities through the one door: places with their revisions, links from heritage
records to them (each link a revision of the record, written by `Catalogue.update`) and the
links `places match` proposes for records that name a place as free text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import places as core
from ..errors import CatalogueError, FieldError, NotFound, ValidationError
from ..search import fold
from ..store.places import PlaceRevision, PlaceStore
from .rules import content

if TYPE_CHECKING:
    from .catalogue import Catalogue

_NON_WORD = re.compile(r"[^a-z0-9]+")


def name_key(name: str) -> str:
    """A place name as matching compares it: folded to lowercase ASCII (Xocalı and XOCALI
    alike), words separated by single spaces."""
    return " ".join(_NON_WORD.split(fold(name))).strip()


@dataclass(frozen=True)
class Proposal:
    """A link `places match` proposes: the record whose free-text place `name` is one of the
    names of the place `place_id`."""

    record_id: str
    name: str
    place_id: str


@dataclass
class PlaceImport:
    """What an import of places did: ids created, updated and unchanged, and each bad place
    with its location and problems."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


class Places:
    """The place authorities of a catalogue (`Catalogue.places`)."""

    def __init__(self, catalogue: Catalogue):
        self._catalogue = catalogue
        self._db = PlaceStore(catalogue.store)

    # -- reads -------------------------------------------------------------------------

    def get(self, place_id: str) -> dict[str, Any]:
        """A place as stored; NotFound when there is none."""
        found = self._db.get(place_id)
        if found is None:
            raise NotFound(f"no place with id {place_id!r}", "place", id=place_id)
        return found

    def all(self) -> list[dict[str, Any]]:
        """Every place, in id order."""
        return self._db.all()

    def history(self, place_id: str) -> list[PlaceRevision]:
        """Every revision of a place, oldest first; NotFound for an unknown id."""
        found = self._db.history(place_id)
        if not found:
            raise NotFound(f"no place with id {place_id!r}", "place", id=place_id)
        return found

    def labels(self, ids: Iterable[str], lang: str) -> dict[str, str]:
        """The name a page in `lang` shows for each of `ids` that is a place (facet labels)."""
        out = {}
        for place_id in dict.fromkeys(ids):
            place = self._db.get(place_id)
            if place is not None:
                out[place_id] = core.display_name(place, lang)
        return out

    def record_count(self, place_id: str) -> int:
        """How many public records are at the place: linked to it, or naming it by one of its
        names (the place facet's count, as its search finds them)."""
        return self._catalogue.search("", filters={"place": [place_id]}, page_size=1, facets=False,
                                      highlight=False).total

    def check_reference(self, record: dict[str, Any], origin: str) -> None:
        """ValidationError when an archivist or a script (origin `manual` or `api`) points a
        record at a place (`place.id`) that does not exist. Imports and harvests keep such an
        id (the records of another catalogue, or of an export, may come before their places):
        the record keeps its place's name, and its link works once the place is added."""
        place_id = (record.get("place") or {}).get("id")
        if place_id and origin in ("manual", "api") and self._db.get(place_id) is None:
            raise ValidationError([FieldError("place.id", f"no place with id {place_id!r}; add the place first",
                                              "unknown_place", {"value": place_id})])

    # -- writes ------------------------------------------------------------------------

    def save(self, place: Any, *, user: str = "system", message: str = "",
             base_revision: int | None = None) -> dict[str, Any]:
        """Create a place (`base_revision` None) or store its next revision (-1: whatever
        the current one is); ValidationError listing every problem. Records linked to it take
        its new names in a revision of their own, so search finds them by every name."""
        data = core.prepare_place(place)
        if base_revision is not None:
            current = self.get(data["id"])
            if content(current) == data:
                return current
        stored = self._db.write(data, base_revision=base_revision, user=user,
                                message=message or ("created" if base_revision is None else "updated"))
        if base_revision is not None:
            for record_id in self._db.linked(data["id"]):
                self.link(record_id, data["id"], user=user, message=f"names of place {data['id']!r} updated")
        return stored

    def import_places(self, items: Iterable[tuple[str, Any]], *, user: str = "system",
                      message: str = "imported") -> PlaceImport:
        """Create or update each (location, place); a bad one (or a reader's error in its
        place) is reported with its location and the rest go on."""
        report = PlaceImport()
        for where, place in items:
            if isinstance(place, Exception):  # a line a reader could not read
                report.errors.append((where, str(place)))
                continue
            try:
                place_id = place.get("id") if isinstance(place, dict) else None
                current = self._db.get(place_id) if isinstance(place_id, str) else None
                if current is None:
                    report.created.append(self.save(place, user=user, message=message)["id"])
                    continue
                stored = self.save(place, user=user, message=message, base_revision=-1)
                (report.unchanged if stored["revision"] == current["revision"] else report.updated).append(place_id)
            except ValidationError as error:
                report.errors.append((where, "; ".join(f"{e.path or 'place'}: {e.message}" for e in error.errors)))
            except CatalogueError as error:
                report.errors.append((where, str(error)))
        return report

    def link(self, record_id: str, place_id: str, *, user: str = "system", message: str = "",
             base_revision: int | None = -1, origin: str = "manual") -> dict[str, Any]:
        """Point a record at a place (`place.id`), giving it the place's names (see
        `catalogue.places.linked_place`): a revision of the record, none when nothing changes."""
        place = self.get(place_id)
        current = self._catalogue.live(record_id)
        record = content(current.data)
        record["place"] = core.linked_place(record.get("place"), place)
        return self._catalogue.update(record_id, record, base_revision=base_revision, user=user,
                                      message=message or f"linked to place {place_id!r}", origin=origin)

    def _name_keys(self) -> dict[str, set[str]]:
        """Each folded name of a place and the ids of the places that have it."""
        keys: dict[str, set[str]] = {}
        for place in self.all():
            for name in core.name_values(place):
                keys.setdefault(name_key(name), set()).add(place["id"])
        return keys

    # -- matching ----------------------------------------------------------------------

    def proposals(self, place_id: str | None = None) -> list[Proposal]:
        """Links to propose: each live record with a free-text place name (and no place id)
        that is, folded, a name of exactly one place (of `place_id` only, when given).
        A name two places share proposes nothing: an archivist links such records by hand."""
        keys = self._name_keys()
        out = []
        for record_id, name in self._db.unlinked_names():
            found = keys.get(name_key(name), set())
            if len(found) == 1 and (place_id is None or place_id in found):
                out.append(Proposal(record_id, name, next(iter(found))))
        return out
