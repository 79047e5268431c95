"""Area searches: which documents have a geometry, and which lie in a box, as bitsets that
combine with the facet bitsets.

Each document keeps its geometry's bounding box in a column (`BBOX`, 32 bytes: west, south,
east, north as doubles; empty without a geometry), and a geometry that is not a point its
shape as a stored field (`SHAPE`, compressed GeoJSON). Per segment the boxes are read once into
numpy arrays (cached like postings), so a box filter is a few vectorised comparisons over
every geometry, exact for points; a polygon or line whose box meets the area but does not
lie inside it is tested exactly against its own geometry (`catalogue.geo.intersects`).
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np

from ..geo import BBox, Box, geometry_bbox, intersects, positions
from ._whoosh import columns
from .scoring import Leaf, Postings

#: The column of each document's bounding box.
BBOX = "bbox"
#: The stored field of a geometry that is not a point (a point is its own box).
SHAPE = "shape"
_PACK = struct.Struct("<4d")


def pack(box: Box | None) -> bytes:
    """A bounding box as the column stores it (empty for none)."""
    return _PACK.pack(*box) if box else b""


def pack_shape(geometry: Any) -> bytes | None:
    """A geometry as the `SHAPE` field stores it; None for a point or no geometry."""
    if not isinstance(geometry, dict) or geometry.get("type") in (None, "Point"):
        return None
    return zlib.compress(json.dumps(geometry, ensure_ascii=False, separators=(",", ":")).encode())


def _stored_geometry(leaf: Leaf, docnum: int) -> Any:
    """A document's shape as stored (an index written before the `SHAPE` field kept the whole
    record as ``data``); None when it kept neither (a document added to such an index)."""
    stored = leaf.reader.stored_fields(docnum)
    if (shape := stored.get(SHAPE)) is not None:
        return json.loads(zlib.decompress(shape))
    data = stored.get("data")
    return (json.loads(zlib.decompress(data)).get("place") or {}).get("geometry") if data else None


def _shape(postings: Postings, leaf: Leaf, docnum: int) -> Any:
    """A document's geometry, read from its stored shape once and cached with the postings
    ({} when the index kept no shape of it)."""
    key = ("shape", leaf.key, docnum)
    found = postings.cache.get(key)
    if found is None:
        found = _stored_geometry(leaf, docnum) or {}
        postings.cache.put(key, found, 200 + 40 * sum(1 for _ in positions(found)))
    return found


def _read_boxes(leaf: Leaf) -> np.ndarray:
    """A (size, 4) array of the segment's boxes, NaN where a document has no geometry."""
    out = np.full((leaf.size, 4), np.nan)
    reader = leaf.reader
    if BBOX in reader.schema and reader.has_column(BBOX):
        column = reader.column_reader(BBOX, translate=False)
        if not _read_at_once(column, out):
            for docnum, raw in enumerate(column):
                if raw:
                    out[docnum] = _PACK.unpack(raw)
        return out
    for docnum in range(leaf.size):  # an index built before the column (`catalogue reindex` adds it)
        box = geometry_bbox(_stored_geometry(leaf, docnum))
        if box:
            out[docnum] = box
    return out


def _read_at_once(column: Any, out: np.ndarray) -> bool:
    """Fill `out` from a column of boxes in one read: Whoosh 2.7.4 writes a variable-bytes
    column as its values one after another, then their lengths, and reads it value by value
    (4 s for 1,000,000 documents, on the first map of a search after a start). False, with
    nothing filled, for a column of another layout or with a value that is not one box."""
    lengths = getattr(column, "_lengths", None) if isinstance(column, columns.VarBytesColumn.Reader) else None
    if lengths is None:
        return False
    sizes = np.asarray(lengths, dtype=np.int64)
    present = sizes != 0
    if len(sizes) > len(out) or not np.all(sizes[present] == _PACK.size):
        return False
    raw = column._dbfile.get(column._basepos, int(sizes.sum()))
    out[:len(sizes)][present] = np.frombuffer(raw, dtype="<f8").reshape(-1, 4)
    return True


def boxes(postings: Postings, leaf: Leaf) -> np.ndarray:
    """The boxes of a segment, read once and cached with its postings."""
    key = ("bbox", leaf.key)
    found = postings.cache.get(key)
    if found is None:
        found = _read_boxes(leaf)
        postings.cache.put(key, found, found.nbytes + 200)
    return found


def mapped_mask(postings: Postings, known: dict[str, np.ndarray]) -> np.ndarray:
    """Every document that has a geometry (deleted ones included; callers AND with live).
    Each segment's part is taken from `known` (by segment key) or read and added to it: every
    index version (each edit) needs every segment's, and its boxes, 32 bytes a document, may
    have left the posting cache meanwhile (read again, seconds at 1,000,000 records)."""
    parts = []
    for leaf in postings.leaves:
        found = known.get(leaf.key)
        if found is None:
            found = known[leaf.key] = ~np.isnan(boxes(postings, leaf)[:, 0])
        parts.append(found)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _leaf_in(postings: Postings, leaf: Leaf, area: BBox) -> np.ndarray:
    found = boxes(postings, leaf)
    west, south, east, north = found[:, 0], found[:, 1], found[:, 2], found[:, 3]
    mask = np.zeros(leaf.size, dtype=bool)
    for w, s, e, n in area.parts():
        with np.errstate(invalid="ignore"):  # NaN (no geometry) compares false
            meets = (west <= e) & (east >= w) & (south <= n) & (north >= s)
            inside = (west >= w) & (east <= e) & (south >= s) & (north <= n)
        mask |= inside
        for docnum in np.flatnonzero(meets & ~inside & ~mask):  # a shape partly in the box: test it exactly
            shape = _shape(postings, leaf, int(docnum))
            if not shape or intersects(shape, (w, s, e, n)):  # no shape kept: its box decides
                mask[docnum] = True
    return mask


def in_area(postings: Postings, area: BBox) -> np.ndarray:
    """Every document whose geometry lies in the area, wholly or in part."""
    parts = [_leaf_in(postings, leaf, area) for leaf in postings.leaves]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
