"""The codec of this index's segments: Whoosh's whoosh3 codec with packed posting blocks
(`packing`) and a compact terms file (`terms`).

Its `FORMAT` is kept with the codec in each segment's table of contents: a segment of another
format, or of Whoosh's own codec, is not read but rebuilt (`generations.damage`).
"""

from __future__ import annotations

from typing import Any

from ._whoosh import whoosh3
from .lengths import CompactPerDocWriter
from .packing import BLOCK_LIMIT, CompactLeafMatcher, CompactPostingsWriter
from .terms import CompactFieldWriter, CompactTermsReader

#: The version of the segment layout: 1 packed posting blocks, 2 also the term table.
FORMAT = 2


class CompactCodec(whoosh3.W3Codec):
    """Whoosh's whoosh3 codec with packed posting blocks (`BLOCK_LIMIT` postings each), the
    terms in a `terms.TermTable` and the field lengths written at once (`lengths`)."""

    def __init__(self, blocklimit: int = BLOCK_LIMIT, compression: int = 3, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)
        self.packing_format = FORMAT

    def per_document_writer(self, storage: Any, segment: Any) -> CompactPerDocWriter:
        return CompactPerDocWriter(self, storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> CompactFieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def terms_reader(self, storage: Any, segment: Any) -> CompactTermsReader:
        name = segment.make_filename(self.TERMS_EXT)
        return CompactTermsReader(self, storage.open_file(name), storage.file_length(name),
                                  segment.open_file(storage, self.POSTS_EXT))

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:
            return super().postings_writer(dbfile, byteids=True)
        return CompactPostingsWriter(dbfile, blocklimit=self._blocklimit, compression=self._compression,
                                     inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
