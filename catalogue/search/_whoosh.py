"""Whoosh 2.7.4 (pinned), imported in one place: the only module of the project that imports it.

Whoosh 2.7.4's codec has `fixedsize is 0`, a SyntaxWarning when its modules are compiled on
Python 3.8+ (fresh bytecode, e.g. a new install), which pytest would turn into an error. Every
whoosh module the search package uses is imported here, under a filter that silences it, and
the other modules take the names from here (`tests/test_index.py` checks the import on fresh
bytecode).
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)
    from whoosh import analysis, columns, fields, formats, qparser
    from whoosh import index as whoosh_index
    from whoosh import query as wq
    from whoosh import writing as whoosh_writing
    from whoosh.codec import whoosh3
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.filedb.compound import CompoundStorage
    from whoosh.filedb.filestore import FileStorage
    from whoosh.filedb.structfile import StructFile
    from whoosh.index import TOC, EmptyIndexError, FileIndex
    from whoosh.lang.porter import stem
    from whoosh.qparser.common import QueryParserError
    from whoosh.query import positional, ranges, terms
    from whoosh.query.qcore import _NullQuery
    from whoosh.query.spans import SpanNear2
    from whoosh.reading import MultiReader, ReaderClosed, SegmentReader, TermNotFound
    from whoosh.scoring import BM25F
    from whoosh.searching import Searcher
    from whoosh.system import pack_uint, pack_ushort
    from whoosh.util.numeric import byte_to_length, length_to_byte

__all__ = [
    "BM25F", "LENGTHS_COLUMN", "TOC", "CompoundStorage", "EmptyIndexError", "FileIndex", "FileStorage",
    "MultiReader", "QueryParserError", "ReaderClosed", "Searcher", "SegmentReader", "SpanNear2", "StructFile",
    "TermNotFound", "_NullQuery", "_lenfield", "analysis", "byte_to_length", "columns", "fields", "formats",
    "length_to_byte", "pack_uint", "pack_ushort", "positional", "qparser", "ranges", "stem", "terms",
    "whoosh3", "whoosh_index", "whoosh_writing", "wq",
]
