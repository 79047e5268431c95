"""Areas and geometries in WGS84: the `bbox=WEST,SOUTH,EAST,NORTH` of area searches, a
geometry's bounding box, and the exact test whether a geometry lies (partly) in an area.

A box whose west edge is east of its east edge crosses the antimeridian (``170,-20,-170,20``
covers the Pacific around 180°).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .errors import CatalogueError

Box = tuple[float, float, float, float]


class BadBox(CatalogueError):
    """A `bbox` argument that is not an area; the message says why and how to write one."""


@dataclass(frozen=True)
class BBox:
    """An area: west, south, east and north edges in degrees (WGS84)."""

    west: float
    south: float
    east: float
    north: float

    def parts(self) -> list[Box]:
        """The box as (west, south, east, north) boxes that do not cross the antimeridian."""
        if self.west <= self.east:
            return [(self.west, self.south, self.east, self.north)]
        return [(self.west, self.south, 180.0, self.north), (-180.0, self.south, self.east, self.north)]

    def text(self) -> str:
        """The box as a `bbox` argument (``44.5,39.8,47.1,41.2``)."""
        return ",".join(f"{v:g}" for v in (self.west, self.south, self.east, self.north))


USAGE = ("write bbox=WEST,SOUTH,EAST,NORTH in degrees (longitude -180 to 180, latitude -90 to 90),"
         " e.g. 44.5,38.3,50.5,42")


def parse_bbox(text: str) -> BBox:
    """A `bbox` argument as an area; BadBox saying what is wrong and how to write it."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise BadBox(f"bbox needs 4 numbers, not {len(parts)}: {USAGE}")
    values = []
    for name, part in zip(("WEST", "SOUTH", "EAST", "NORTH"), parts, strict=True):
        try:
            value = float(part)
        except ValueError:
            raise BadBox(f"bbox {name} {part[:30]!r} is not a number: {USAGE}") from None
        if not math.isfinite(value):
            raise BadBox(f"bbox {name} must be a finite number: {USAGE}")
        values.append(value)
    west, south, east, north = values
    for name, value, limit in (("WEST", west, 180), ("EAST", east, 180), ("SOUTH", south, 90), ("NORTH", north, 90)):
        if abs(value) > limit:
            raise BadBox(f"bbox {name} {value:g} is outside -{limit} to {limit}: {USAGE}")
    if south > north:
        raise BadBox(f"bbox SOUTH {south:g} is north of NORTH {north:g}: {USAGE}")
    return BBox(west, south, east, north)


def positions(geometry: Any) -> Iterator[tuple[float, float]]:
    """Every (longitude, latitude) of a GeoJSON geometry, whatever its type."""
    if isinstance(geometry, dict):
        yield from _walk(geometry.get("coordinates"))


def _walk(node: Any) -> Iterator[tuple[float, float]]:
    """The positions in a GeoJSON coordinates array, at any depth. (A module function: a
    nested one that calls itself is a reference cycle, left for the garbage collector at
    each call, one per record indexed.)"""
    if isinstance(node, list | tuple) and len(node) >= 2 and all(isinstance(v, int | float) for v in node[:2]):
        yield float(node[0]), float(node[1])
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)


def geometry_bbox(geometry: Any) -> Box | None:
    """The bounding box of a GeoJSON geometry; None without one."""
    found = list(positions(geometry))
    if not found:
        return None
    xs, ys = [p[0] for p in found], [p[1] for p in found]
    return min(xs), min(ys), max(xs), max(ys)


def _rings(geometry: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The rings (polygons) or paths (lines) of a geometry as lists of positions."""
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind in ("LineString", "MultiPoint"):
        coords = [coords]
    elif kind == "MultiPolygon":
        coords = [ring for polygon in coords for ring in polygon]
    return [[(float(p[0]), float(p[1])) for p in ring] for ring in coords if isinstance(ring, list)]


def _in_rings(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Whether a point is inside polygon rings (even-odd rule: holes are outside)."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _segments_cross(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float],
                    d: tuple[float, float]) -> bool:
    def orient(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    d1, d2, d3, d4 = orient(c, d, a), orient(c, d, b), orient(a, b, c), orient(a, b, d)
    return ((d1 > 0) != (d2 > 0) or d1 == 0 or d2 == 0) and ((d3 > 0) != (d4 > 0) or d3 == 0 or d4 == 0)


def intersects(geometry: Any, box: Box) -> bool:
    """Whether a geometry lies in the box, wholly or in part (its edge touching counts)."""
    west, south, east, north = box
    found = list(positions(geometry))
    if any(west <= x <= east and south <= y <= north for x, y in found):
        return True
    if not isinstance(geometry, dict) or geometry.get("type") in ("Point", "MultiPoint"):
        return False
    rings = _rings(geometry)
    corners = [(west, south), (east, south), (east, north), (west, north)]
    if geometry.get("type") in ("Polygon", "MultiPolygon") and any(_in_rings(x, y, rings) for x, y in corners):
        return True
    sides = list(zip(corners, corners[1:] + corners[:1], strict=True))
    closed = geometry.get("type") in ("Polygon", "MultiPolygon")
    for ring in rings:
        edges = zip(ring, ring[1:] + (ring[:1] if closed else []), strict=False)
        if any(_segments_cross(a, b, c, d) for a, b in edges for c, d in sides):
            return True
    return False
