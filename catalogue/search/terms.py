"""A segment's terms file as sorted, compressed blocks of keys and term statistics.

Whoosh 2.7.4 keeps a segment's terms in an on-disk hash table (`OrderedHashWriter`): each
term's key and its 34 bytes of statistics behind two lengths, two 12-byte hash slots and an
index entry, about 80 bytes a term, which made the terms file most of a small index.
`TermTableWriter` writes the terms in key order, `BLOCK_TERMS` to a block: each block's key
lengths, keys and every statistic as a narrow array (`packing.put_array`), then zlib, about
ten bytes a term. `TermTable` finds a key by a binary search over every block's first key
(kept in memory) and then within the block (the blocks read last are kept decompressed).
`CompactFieldWriter` and `CompactTermsReader` are Whoosh's whoosh3 field writer and terms
reader over such a table; `codec.CompactCodec` uses them.
"""

from __future__ import annotations

import bisect
import functools
import json
import struct
import zlib
from collections.abc import Iterator
from itertools import accumulate, pairwise
from typing import Any

from ._whoosh import TermNotFound, length_to_byte, pack_ushort, whoosh3
from .packing import LENGTHS, Unsupported, put_array, put_numbers, take_array, whole_numbers

#: Terms a block holds: a lookup decodes one block, and the first key of each is kept in memory.
BLOCK_TERMS = 64
#: Decompressed blocks a table keeps (about 3 kB each): a query's words fall in a few blocks.
CACHED_BLOCKS = 128
#: The table's last bytes: where its directory starts, its length, the magic.
_FOOTER = struct.Struct("<QI4s")
_MAGIC = b"CTT1"
#: The directory's head: number of blocks, length of its JSON part.
_HEAD = struct.Struct("<II")
_COUNT = struct.Struct("<H")
_BASE = struct.Struct("<Q")
#: Whoosh's mark of a term with no documents (minimum and maximum id).
_NO_ID = 0xFFFFFFFF
#: How a column's code (`packing.put_array`, `packing.put_numbers`) is read, value by value.
_NUMBERS = {1: struct.Struct("<B"), 2: struct.Struct("<H"), 4: struct.Struct("<I"), 8: struct.Struct("<f")}
#: Field lengths by their length byte, as Whoosh's term info decodes them.
_LENGTHS = LENGTHS.tolist()  # (a list: one length at a time)


def _float32(values: list[float]) -> list[float]:
    """`values` rounded to float32, as Whoosh's term info stores weights."""
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def _put_floats(out: list[bytes], values: list[float]) -> None:
    values = _float32(values)
    put_numbers(out, values, whole_numbers(values))


#: What a block keeps of each term, a column each, in this order (`info_columns`, `encode_columns`).
STATISTICS = ("df", "weight", "shortest", "longest", "top", "first", "last", "offset", "length")


def info_columns(infos: list[Any]) -> list[list[Any]]:
    """The `STATISTICS` columns of Whoosh term infos (postings not inlined): lengths as Whoosh's
    length bytes, a missing document number as `_NO_ID`."""
    if any(info.is_inlined() for info in infos):
        raise ValueError("a term table keeps no inlined postings")
    return [
        [info._df for info in infos],
        [info._weight for info in infos],
        [0 if info._minlength is None else length_to_byte(info._minlength) for info in infos],
        [length_to_byte(info._maxlength) for info in infos],
        [info._maxweight for info in infos],
        [_NO_ID if info._minid is None else info._minid for info in infos],
        [_NO_ID if info._maxid is None else info._maxid for info in infos],
        [info._offset for info in infos],
        [info._length for info in infos],
    ]


def encode_block(keys: list[bytes], infos: list[Any]) -> bytes:
    """One block: the keys (ascending) and their Whoosh term infos (postings not inlined)."""
    return encode_columns(keys, info_columns(infos))


def encode_columns(keys: list[bytes], stats: list[list[Any]]) -> bytes:
    """One block: the keys (ascending) and their `STATISTICS` columns."""
    df, weight, shortest, longest, top, first, last, offsets, lengths = stats
    base = offsets[0]
    out = [_COUNT.pack(len(keys))]
    put_array(out, [len(key) for key in keys])
    out += [b"".join(keys), _BASE.pack(base)]
    put_array(out, df)
    _put_floats(out, weight)
    put_array(out, shortest)
    put_array(out, longest)
    _put_floats(out, top)
    put_array(out, first)
    put_array(out, last)
    put_array(out, [offset - base for offset in offsets])
    put_array(out, lengths)
    return zlib.compress(b"".join(out), 6)


class Block:
    """A decompressed block: its keys found by a binary search over their slices, a term's
    statistics unpacked from its columns when asked for (nothing else is decoded)."""

    __slots__ = ("base", "columns", "ends", "raw")

    def __init__(self, data: bytes):
        self.raw = raw = zlib.decompress(data)
        (count,) = _COUNT.unpack_from(raw)
        lengths, at = take_array(raw, _COUNT.size, count)
        self.ends = list(accumulate(lengths.tolist(), initial=at))
        (self.base,) = _BASE.unpack_from(raw, self.ends[-1])
        at = self.ends[-1] + _BASE.size
        self.columns = []
        for _ in range(9):  # df, weight, min and max length, max weight, min and max id, offset, length
            unpacker = _NUMBERS.get(raw[at]) if at < len(raw) else None
            if unpacker is None:
                raise Unsupported("a damaged block of terms")
            self.columns.append((unpacker, at + 1))
            at += 1 + count * unpacker.size
        if at != len(raw):
            raise Unsupported("a damaged block of terms")

    def __len__(self) -> int:
        return len(self.ends) - 1

    def key(self, i: int) -> bytes:
        return self.raw[self.ends[i]:self.ends[i + 1]]

    def keys(self) -> list[bytes]:
        raw = self.raw
        return [raw[a:b] for a, b in pairwise(self.ends)]

    def find(self, key: bytes) -> int:
        """Where `key` is or would go (bisect_left over the keys, without slicing them all)."""
        raw, ends = self.raw, self.ends
        low, high = 0, len(ends) - 1
        while low < high:
            middle = (low + high) // 2
            if raw[ends[middle]:ends[middle + 1]] < key:
                low = middle + 1
            else:
                high = middle
        return low

    def info(self, i: int) -> Any:
        """The Whoosh term info of the block's `i`-th key."""
        raw = self.raw
        df, weight, shortest, longest, top, first, last, offset, length = [
            unpacker.unpack_from(raw, at + i * unpacker.size)[0] for unpacker, at in self.columns]
        info = whoosh3.W3TermInfo()
        info._df, info._weight, info._maxweight = df, float(weight), float(top)
        info._minlength, info._maxlength = _LENGTHS[shortest], _LENGTHS[longest]
        info._minid = None if first == _NO_ID else first
        info._maxid = None if last == _NO_ID else last
        info._offset, info._length = self.base + offset, length
        return info


class TermTableWriter:
    """Writes (key, term info) pairs, in increasing key order, to a terms file."""

    def __init__(self, dbfile: Any):
        self.dbfile = dbfile
        self.extras: dict[str, Any] = {"fieldmap": {}}
        self._keys: list[bytes] = []
        self._stats: list[list[Any]] = [[] for _ in STATISTICS]
        self._firsts: list[bytes] = []
        self._offsets: list[int] = []
        self._count = 0
        self._last = b""

    def add(self, key: bytes, info: Any) -> None:
        self.add_many([key], info_columns([info]))

    def add_many(self, keys: list[bytes], stats: list[list[Any]]) -> None:
        """Add `keys` (ascending, after those added) with their `STATISTICS` columns; full
        blocks are encoded straight from the columns."""
        if not keys:
            return
        if (self._count and keys[0] <= self._last) or any(a >= b for a, b in pairwise(keys)):
            raise ValueError(f"keys must increase: {self._last!r}..{keys[0]!r}")
        self._count += len(keys)
        self._last = keys[-1]
        at = 0
        while at < len(keys):
            end = min(at + BLOCK_TERMS - len(self._keys), len(keys))
            part = [column[at:end] for column in stats]
            if not self._keys and end - at == BLOCK_TERMS:  # (a whole block: encoded as it comes)
                self._write(keys[at:end], part)
            else:
                self._keys += keys[at:end]
                for held, column in zip(self._stats, part, strict=True):
                    held += column
                if len(self._keys) == BLOCK_TERMS:
                    self._write(self._keys, self._stats)
                    self._keys, self._stats = [], [[] for _ in STATISTICS]
            at = end

    def _write(self, keys: list[bytes], stats: list[list[Any]]) -> None:
        self._firsts.append(keys[0])
        self._offsets.append(self.dbfile.tell())
        self.dbfile.write(encode_columns(keys, stats))

    def close(self) -> None:
        if self._keys:
            self._write(self._keys, self._stats)
        where = self.dbfile.tell()
        meta = json.dumps({"fieldmap": self.extras["fieldmap"], "terms": self._count}).encode()
        out = [_HEAD.pack(len(self._firsts), len(meta)), meta,
               struct.pack(f"<{len(self._offsets) + 1}Q", *self._offsets, where)]
        put_array(out, [len(key) for key in self._firsts])
        out.append(b"".join(self._firsts))
        directory = zlib.compress(b"".join(out), 6)
        self.dbfile.write(directory)
        self.dbfile.write(_FOOTER.pack(where, len(directory), _MAGIC))
        self.dbfile.close()


class TermTable:
    """Reads a file `TermTableWriter` wrote: lookups, and keys or items in order from a key."""

    def __init__(self, dbfile: Any, length: int):
        self.dbfile = dbfile
        if length < _FOOTER.size:
            raise ValueError("a terms file shorter than its footer")
        where, size, magic = _FOOTER.unpack(dbfile.get(length - _FOOTER.size, _FOOTER.size))
        if magic != _MAGIC:
            raise ValueError("not a term table")
        raw = zlib.decompress(dbfile.get(where, size))
        count, metalength = _HEAD.unpack_from(raw)
        at = _HEAD.size + metalength
        meta = json.loads(raw[_HEAD.size:at])
        self.fieldmap: dict[str, int] = meta["fieldmap"]
        self.extras = {"fieldmap": self.fieldmap}
        self.term_count: int = meta["terms"]
        self.offsets = list(struct.unpack_from(f"<{count + 1}Q", raw, at))
        lengths, at = take_array(raw, at + 8 * (count + 1), count)
        ends = list(accumulate(lengths.tolist(), initial=at))
        self.firsts = [raw[a:b] for a, b in pairwise(ends)]
        self.block = functools.lru_cache(maxsize=CACHED_BLOCKS)(self.read_block)

    def read_block(self, number: int) -> Block:
        """Block `number`, decoded (`block` is the same, through the cache)."""
        start, end = self.offsets[number], self.offsets[number + 1]
        return Block(self.dbfile.get(start, end - start))

    def _block_of(self, key: bytes) -> int:
        """The block that holds `key` if any block does (the first block for a key before all)."""
        return max(bisect.bisect_right(self.firsts, key) - 1, 0)

    def _find(self, key: bytes) -> tuple[Block, int] | None:
        if not self.firsts:
            return None
        block = self.block(self._block_of(key))
        i = block.find(key)
        return (block, i) if i < len(block) and block.key(i) == key else None

    def __contains__(self, key: bytes) -> bool:
        return self._find(key) is not None

    def info(self, key: bytes) -> Any:
        """The term info of `key`; KeyError when the table does not hold it."""
        found = self._find(key)
        if found is None:
            raise KeyError(key)
        return found[0].info(found[1])

    def _blocks_from(self, key: bytes) -> Iterator[Block]:
        """The block that may hold `key` (through the cache), then every block after it (not
        kept: a long walk would push a query's blocks out of the cache)."""
        number = self._block_of(key)
        for n in range(number, len(self.firsts)):
            yield self.block(n) if n == number else self.read_block(n)

    def items_from(self, key: bytes) -> Iterator[tuple[bytes, Any]]:
        """(key, term info) from the first key ≥ `key` to the end, in order."""
        for block in self._blocks_from(key):
            for i in range(block.find(key), len(block)):  # (0 in the blocks after the first)
                yield block.key(i), block.info(i)

    def keys_from(self, key: bytes) -> Iterator[bytes]:
        """The keys from the first ≥ `key` to the end, in order."""
        for block in self._blocks_from(key):
            keys = block.keys()
            yield from keys[bisect.bisect_left(keys, key):]

    def keys_between(self, low: bytes, high: bytes) -> list[bytes]:
        """The keys ≥ `low` and < `high`, in order, read block by block (none kept decoded)."""
        out: list[bytes] = []
        first = self._block_of(low)
        last = bisect.bisect_left(self.firsts, high)
        for n in range(first, last):
            keys = self.read_block(n).keys()
            out += keys[bisect.bisect_left(keys, low):bisect.bisect_left(keys, high)]
        return out

    def keys(self) -> Iterator[bytes]:
        return self.keys_from(b"")

    def items(self) -> Iterator[tuple[bytes, Any]]:
        return self.items_from(b"")

    def close(self) -> None:
        self.block.cache_clear()
        self.dbfile.close()


class CompactFieldWriter(whoosh3.W3FieldWriter):
    """Whoosh's field writer with the terms in a `TermTableWriter`."""

    def __init__(self, codec: Any, storage: Any, segment: Any):  # (not Whoosh's: it starts a hash file)
        self._codec, self._storage, self._segment = codec, storage, segment
        self._fieldname = self._fieldid = self._btext = self._fieldobj = self._format = None
        self._tindex = TermTableWriter(self._create_file(whoosh3.W3Codec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"]
        self._postfile = self._create_file(whoosh3.W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def finish_term(self) -> None:
        self._tindex.add(pack_ushort(self._fieldid) + self._btext, self._postwriter.finish_postings())


class CompactTermsReader(whoosh3.W3TermsReader):
    """Whoosh's terms reader over a `TermTable`."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any):  # (Whoosh's opens a hash file)
        self._codec, self._dbfile, self._postfile = codec, dbfile, postfile
        self._tindex = TermTable(dbfile, length)
        self._fieldmap = self._tindex.fieldmap
        self._fieldunmap = [None] * len(self._fieldmap)
        for fieldname, number in self._fieldmap.items():
            self._fieldunmap[number] = fieldname

    def __contains__(self, term: tuple[str, bytes]) -> bool:
        return self._keycoder(*term) in self._tindex

    def field_terms(self, fieldname: str) -> list[bytes]:
        """Every term of `fieldname` in order, read block by block in one pass."""
        number = self._fieldmap.get(fieldname)
        if number is None:
            return []
        low = self._keycoder(fieldname, b"")
        high = pack_ushort(number + 1) if number + 1 < 65536 else b"\xff\xff\xff"
        return [key[len(low):] for key in self._tindex.keys_between(low, high)]

    def cursor(self, fieldname: str, fieldobj: Any) -> CompactFieldCursor:
        return CompactFieldCursor(self._tindex, self._keycoder(fieldname, b""), fieldobj)

    def items(self) -> Iterator[tuple[tuple[str, bytes], Any]]:
        return ((self._keydecoder(key), info) for key, info in self._tindex.items())

    def items_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[tuple[str, bytes], Any]]:
        found = self._tindex.items_from(self._keycoder(fieldname, prefix))
        return ((self._keydecoder(key), info) for key, info in found)

    def term_info(self, fieldname: str, tbytes: bytes) -> Any:
        try:
            return self._tindex.info(self._keycoder(fieldname, tbytes))
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return self._tindex.info(self._keycoder(fieldname, tbytes)).weight()

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return self._tindex.info(self._keycoder(fieldname, tbytes)).doc_frequency()


class CompactFieldCursor:
    """A field's terms in order, with their infos (Whoosh's FieldCursor over a `TermTable`)."""

    def __init__(self, table: TermTable, prefix: bytes, fieldobj: Any):
        self._table, self._prefix, self._fieldobj = table, prefix, fieldobj
        self._items: Iterator[tuple[bytes, Any]] = iter(())
        self._text: Any = None
        self._info: Any = None
        self.first()

    def first(self) -> Any:
        return self.find(b"")

    def find(self, term: Any) -> Any:
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._items = self._table.items_from(self._prefix + term)
        return self.next()

    def next(self) -> Any:
        found = next(self._items, None)
        if found is None or not found[0].startswith(self._prefix):  # the end of the field
            self._items, self._text, self._info = iter(()), None, None
            return None
        key, self._info = found
        self._text = self._fieldobj.from_bytes(key[len(self._prefix):])
        return self._text

    def text(self) -> Any:
        return self._text

    def term_info(self) -> Any:
        return self._info

    def is_valid(self) -> bool:
        return self._text is not None
