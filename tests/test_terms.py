"""The compact terms file (`catalogue.search.terms`): every term's statistics come back as
Whoosh's own term info encodes them, lookups and ordered reads agree with a sorted list of
the keys across block boundaries, and the file is a fraction of Whoosh's hash table."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.filedb.filetables import OrderedHashWriter

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from synthetic import generate

from catalogue.search import terms
from catalogue.search._whoosh import FileStorage, whoosh3
from catalogue.service import Catalogue


def _info(rng: random.Random, offset: int, whole: bool) -> Any:
    info = whoosh3.W3TermInfo()
    info._df = rng.choice([1, 1, 1, 2, 7, 300, 70_000])
    weights = [rng.choice([1.0, 2.0, 0.5, 1.7]) if not whole else float(rng.randint(1, 9)) for _ in range(3)]
    info._weight = sum(weights) * info._df
    info._maxweight = max(weights)
    info._minlength, info._maxlength = rng.choice([(None, 0), (1, 3), (4, 120), (50, 100_000)])
    info._minid = rng.randint(0, 2**32 - 2)
    info._maxid = rng.randint(info._minid, 2**32 - 2)
    info._offset, info._length = offset, rng.randint(18, 3000)
    return info


def _keys(rng: random.Random, count: int) -> list[bytes]:
    keys = set()
    while len(keys) < count:
        field = rng.randrange(4).to_bytes(2, "big")
        size = rng.choice([0, 1, 3, 6, 9, 20, 300])
        keys.add(field + bytes(rng.choice([0, 1, 97, 98, 255]) for _ in range(size)))
    return sorted(keys)


def _write(folder: Path, pairs: list[tuple[bytes, Any]]) -> terms.TermTable:
    storage = FileStorage(str(folder))
    writer = terms.TermTableWriter(storage.create_file("t.trm"))
    writer.extras["fieldmap"].update({"a": 0, "b": 1})
    for key, info in pairs:
        writer.add(key, info)
    writer.close()
    return terms.TermTable(storage.open_file("t.trm"), storage.file_length("t.trm"))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[tuple[bytes, Any]], terms.TermTable]]:
    rng = random.Random(7)
    keys = _keys(rng, 5 * terms.BLOCK_TERMS + 37)
    pairs, offset = [], 40
    for n, key in enumerate(keys):
        info = _info(rng, offset, whole=n // terms.BLOCK_TERMS % 2 == 0)
        pairs.append((key, info))
        offset += info._length + rng.choice([0, 0, 0, 5])  # mostly back to back, as the postings are
    table = _write(tmp_path_factory.mktemp("table"), pairs)
    yield pairs, table
    table.close()


def test_every_term_info_reads_back_as_whoosh_encodes_it(written: tuple[list[tuple[bytes, Any]], Any]) -> None:
    pairs, table = written
    assert table.term_count == len(pairs) and table.fieldmap == {"a": 0, "b": 1}
    for key, info in pairs:
        assert key in table
        assert table.info(key).to_bytes() == info.to_bytes()  # Whoosh's own encoding: float32, length bytes


def test_keys_not_held_are_missed_before_between_and_after(written: tuple[list[tuple[bytes, Any]], Any]) -> None:
    pairs, table = written
    keys = [key for key, _ in pairs]
    held = set(keys)
    probes = [b"", b"\x00", keys[0][:-1] if keys[0] else b"", b"\xff\xff\xff\xff"]
    probes += [key + b"\x00" for key in keys[::5]] + [key[:-1] for key in keys[::3] if key]
    for probe in probes:
        if probe not in held:
            assert probe not in table
            with pytest.raises(KeyError):
                table.info(probe)


def test_ordered_reads_agree_with_the_sorted_keys(written: tuple[list[tuple[bytes, Any]], Any]) -> None:
    pairs, table = written
    keys = [key for key, _ in pairs]
    assert list(table.keys()) == keys
    assert [(k, i.to_bytes()) for k, i in table.items()] == [(k, i.to_bytes()) for k, i in pairs]
    rng = random.Random(3)
    probes = [b"", b"\xff\xff\xff", *rng.sample(keys, 40), *(k + b"\x01" for k in rng.sample(keys, 40))]
    for low in probes:
        assert list(table.keys_from(low)) == [k for k in keys if k >= low]
        assert [k for k, _ in table.items_from(low)] == [k for k in keys if k >= low]
        high = rng.choice(probes)
        assert table.keys_between(low, high) == [k for k in keys if low <= k < high]


def test_keys_must_be_added_in_order_and_inlined_postings_are_refused(tmp_path: Path) -> None:
    writer = terms.TermTableWriter(FileStorage(str(tmp_path)).create_file("t.trm"))
    writer.add(b"\x00\x00b", _info(random.Random(1), 0, True))
    with pytest.raises(ValueError, match="keys must increase"):
        writer.add(b"\x00\x00a", _info(random.Random(1), 0, True))
    writer.close()
    inlined = _info(random.Random(2), 0, True)
    inlined.set_inlined([1], [1.0], [b""])
    with pytest.raises(ValueError, match="inlined"):
        terms.encode_block([b"x"], [inlined])


def test_an_empty_table_and_a_file_of_another_kind(tmp_path: Path) -> None:
    table = _write(tmp_path, [])
    assert list(table.items()) == [] and b"x" not in table and table.keys_between(b"", b"\xff") == []
    table.close()
    storage = FileStorage(str(tmp_path))
    hashed = OrderedHashWriter(storage.create_file("h.trm"))
    hashed.add(b"\x00\x00word", b"1234")
    hashed.close()
    with storage.open_file("h.trm") as dbfile, pytest.raises(ValueError, match="not a term table"):
        terms.TermTable(dbfile, storage.file_length("h.trm"))


def test_the_table_is_a_fraction_of_whoosh_hash_table(tmp_path: Path,
                                                      written: tuple[list[tuple[bytes, Any]], Any]) -> None:
    """Realistic keys (words of a few letters behind a field number): at most a quarter of
    the bytes Whoosh's `OrderedHashWriter` takes for the same terms and statistics."""
    rng = random.Random(11)
    words = sorted({bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
                    for _ in range(3000)})
    pairs, offset = [], 0
    for word in words:
        info = _info(rng, offset, whole=True)
        info._df, info._weight, info._maxweight = 1, 2.0, 2.0
        info._maxid = info._minid
        pairs.append((b"\x00\x03" + word, info))
        offset += info._length
    storage = FileStorage(str(tmp_path))
    _write(tmp_path, pairs).close()
    hashed = OrderedHashWriter(storage.create_file("h.trm"))
    for key, info in pairs:
        hashed.add(key, info.to_bytes())
    hashed.close()
    assert storage.file_length("t.trm") * 4 <= storage.file_length("h.trm")


def test_whoosh_reads_a_segment_through_the_table(tmp_path: Path) -> None:
    """Whoosh's own reader calls over the table of a real segment: its cursor, iteration from
    a word, frequencies, and a search of a word in Whoosh's own query path."""
    catalogue = Catalogue(tmp_path / "data")
    assert catalogue.import_records((f"synthetic:{i}", r) for i, r in enumerate(generate(300))).failed == 0
    reader = catalogue.index._searcher().reader()
    for leaf, _ in reader.leaf_readers():
        assert isinstance(leaf._terms, terms.CompactTermsReader)
        words = list(leaf.lexicon("text"))
        assert len(words) > terms.BLOCK_TERMS  # several blocks
        cursor = leaf.cursor("text")
        seen = []
        while cursor.is_valid():
            seen.append(cursor.text())
            assert cursor.term_info().doc_frequency() == leaf.doc_frequency("text", cursor.text()) > 0
            cursor.next()
        assert [w.encode() for w in seen] == words
        middle = words[len(words) // 2]
        assert cursor.find(middle + b"\x00") == (words[len(words) // 2 + 1].decode()
                                                  if len(words) > len(words) // 2 + 1 else None)
        assert [t for (f, t), _ in leaf.iter_from("text", middle)] [:3] == words[len(words) // 2:][:3]
        assert leaf.frequency("text", middle) == leaf.term_info("text", middle).weight() > 0
        assert leaf.doc_frequency("text", b"\xff-no-such-word") == 0 and ("text", "no-such-word") not in leaf
    word = next(iter(catalogue.search("").hits)).title.split()[0]
    assert catalogue.search(word).total > 0
    catalogue.close()
