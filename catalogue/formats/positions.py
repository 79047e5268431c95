"""Coordinates as spreadsheets write them: a latitude and a longitude in two cells, or a
whole geometry in one cell as WKT (``POINT (46.75 39.91)``, ``POLYGON ((...))``) or GeoJSON,
read into the record's GeoJSON geometry (WGS84, longitude first). A position outside the
globe is refused; (0, 0), the usual stand-in for "no coordinates", is flagged.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: A number as a cell may hold it: a decimal point or comma, an optional sign.
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
_WKT = re.compile(r"^\s*(?:SRID=(?P<srid>\d+)\s*;\s*)?(?P<kind>POINT|POLYGON)\s*(?P<z>Z\s*)?\((?P<body>.*)\)\s*$",
                  re.IGNORECASE | re.DOTALL)
#: The note of a (0, 0) position.
NULL_ISLAND = ("the position is (0, 0), in the ocean south of Ghana: a missing coordinate written as 0? "
               "It was kept; correct it if the source has none")


class PositionError(ValueError):
    """A coordinate or geometry that cannot be read or lies outside the globe."""


def number(text: str, what: str) -> float:
    """A coordinate from a cell (``40.1``, ``40,1``, ``-0.5``); PositionError otherwise."""
    text = text.strip()
    if not _NUMBER.match(text):
        raise PositionError(f"{text!r} is not a number ({what})")
    return float(text.replace(",", "."))


def check(lon: float, lat: float) -> None:
    """PositionError when a position lies outside the globe."""
    if not -90 <= lat <= 90:
        raise PositionError(f"latitude {lat:g} is outside -90 to 90")
    if not -180 <= lon <= 180:
        raise PositionError(f"longitude {lon:g} is outside -180 to 180")


def point(lon: float, lat: float) -> dict[str, Any]:
    """A checked GeoJSON Point."""
    check(lon, lat)
    return {"type": "Point", "coordinates": [lon, lat]}


def is_null_island(geometry: dict[str, Any]) -> bool:
    """Whether a geometry is the point (0, 0) (or a polygon with a corner there)."""
    if geometry.get("type") == "Point":
        return list(geometry["coordinates"][:2]) == [0, 0]
    return any(list(p[:2]) == [0, 0] for ring in geometry.get("coordinates", []) for p in ring)


def _position(text: str) -> list[float]:
    parts = text.split()
    if len(parts) not in (2, 3):
        raise PositionError(f"{text.strip()!r} is not a position (longitude latitude)")
    values = [number(part, "in the geometry") for part in parts]
    check(values[0], values[1])
    return values


def _wkt(match: re.Match[str]) -> dict[str, Any]:
    if match["srid"] and match["srid"] != "4326":
        raise PositionError(f"SRID {match['srid']} is not WGS84 (4326); give longitudes and latitudes")
    body = match["body"].strip()
    if match["kind"].upper() == "POINT":
        return {"type": "Point", "coordinates": _position(body)}
    rings = re.findall(r"\(([^()]*)\)", body)
    if not rings or re.sub(r"\([^()]*\)", "", body).replace(",", "").strip():
        raise PositionError("a WKT polygon is POLYGON ((lon lat, lon lat, ...), ...)")
    return {"type": "Polygon", "coordinates": [[_position(p) for p in ring.split(",")] for ring in rings]}


def _geojson(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise PositionError(f"not valid GeoJSON ({error})") from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Point", "Polygon"):
        raise PositionError("the GeoJSON is not a Point or a Polygon")
    coordinates = value.get("coordinates")
    try:
        positions = [coordinates] if value["type"] == "Point" else [p for ring in coordinates for p in ring]
        for position in positions:
            check(float(position[0]), float(position[1]))
    except (TypeError, IndexError, ValueError) as error:
        if isinstance(error, PositionError):
            raise
        raise PositionError("the GeoJSON coordinates are not [longitude, latitude] positions") from None
    return {"type": value["type"], "coordinates": coordinates}


def geometry(text: str) -> dict[str, Any]:
    """A GeoJSON Point or Polygon from a cell holding WKT or GeoJSON; PositionError otherwise."""
    text = text.strip()
    if text.startswith("{"):
        return _geojson(text)
    match = _WKT.match(text)
    if match is None:
        raise PositionError(f"{text[:60]!r} is neither WKT (POINT (lon lat), POLYGON ((...))) nor GeoJSON")
    return _wkt(match)
