"""A segment's field lengths kept in memory and written once, as Whoosh's length columns.

Whoosh's per-document writer adds a scored field's length to its column document by document
(`W3PerDocWriter.add_field`: the column's name formatted, the length byte looked up, packed
and written through three layers of calls, for each of a record's fourteen fields: some 30 µs
a record). `CompactPerDocWriter` (`codec.CompactCodec`'s) keeps each field's length bytes in
a `LengthColumn` instead and writes the bytes Whoosh's writer would have written when it
closes, for new documents and merged ones alike.
"""

from __future__ import annotations

from typing import Any

from ._whoosh import LENGTHS_COLUMN, _lenfield, length_to_byte, whoosh3

#: `length_to_byte` of the lengths most fields have, looked up instead of computed.
_BYTES = [length_to_byte(n) for n in range(4096)]


class LengthColumn:
    """A field's length column (Whoosh's `NumericColumn("B")` writer: a byte a document, the
    file ending at the last document with a length), held in memory until `finish`."""

    def __init__(self, dbfile: Any):
        self._dbfile = dbfile
        self.data = bytearray()

    def add(self, docnum: int, value: int) -> None:
        """A document's length byte (documents in order; 0, the default, is not kept)."""
        if value:
            data = self.data
            if docnum > len(data):
                data.extend(bytes(docnum - len(data)))
            data.append(value)

    def finish(self, doccount: int) -> None:
        self._dbfile.write(bytes(self.data))


class CompactPerDocWriter(whoosh3.W3PerDocWriter):
    """Whoosh's per-document writer with the field lengths in `LengthColumn`s."""

    def __init__(self, codec: Any, storage: Any, segment: Any):
        super().__init__(codec, storage, segment)
        self._lengths: dict[str, LengthColumn] = {}

    def add_field(self, fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
        if value is not None:
            self._storedfields[fieldname] = value
        if length:
            column = self._lengths.get(fieldname)
            if column is None:
                column = self._lengths[fieldname] = self._length_column(fieldname)
            column.add(self._docnum, _BYTES[length] if length < 4096 else length_to_byte(length))
            self._fieldlengths[fieldname] += length

    def _length_column(self, fieldname: str) -> LengthColumn:
        name = _lenfield(fieldname)
        self._create_column(name, LENGTHS_COLUMN)
        column = self._colwriters[name] = LengthColumn(self._colwriters[name]._dbfile)
        return column
