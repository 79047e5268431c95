"""Search at its edges, as a researcher meets them: snippets cut from long descriptions
(where the window starts and ends, the ellipses, every match marked, nothing unescaped) and
periods that touch a queried year or century at exactly one end. Found untested by mutation
testing (tests/mutation/score.py)."""

from __future__ import annotations

import pytest

from catalogue.service import Catalogue
from tests.recordsamples import make_record

FILLER = "lorem ipsum dolor sit amet " * 20  # 540 characters without a matched word


def snippet(catalogue: Catalogue, query: str, record_id: str) -> str:
    """The snippet of `record_id` among the hits of `query`."""
    hits = {hit.id: str(hit.snippet) for hit in catalogue.search(query).hits}
    assert record_id in hits, (query, sorted(hits))
    return hits[record_id]


def test_a_short_description_is_the_whole_snippet_with_the_match_marked(catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="short", description="A domed bathhouse & its cistern."))
    assert snippet(catalogue, "cistern", "short") == "A domed bathhouse &amp; its <mark>cistern</mark>."


def test_a_match_far_into_a_long_description_is_shown_with_a_little_context_before(catalogue: Catalogue) -> None:
    description = FILLER + "the caravanserai of Shusha " + FILLER
    catalogue.create(make_record(id="long", description=description))
    text = snippet(catalogue, "caravanserai", "long")
    assert text.startswith("…") and text.endswith("…")
    before, _, after = text[1:].partition("<mark>caravanserai</mark>")
    match = description.index("caravanserai")
    # Up to a quarter of the window before the match, starting at a word (words here are at most 5 letters).
    assert description[:match].endswith(before) and description[match - len(before) - 1] == " "
    assert 55 - 6 <= len(before) <= 55, before
    assert len(before) + len("caravanserai") + len(after) - 1 == 220  # the window, then the ellipsis


def test_a_match_at_the_very_start_has_no_leading_ellipsis(catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="first", description="Caravanserai " + FILLER))
    text = snippet(catalogue, "caravanserai", "first")
    assert text.startswith("<mark>Caravanserai</mark> lorem") and text.endswith("…")
    assert len(text.replace("<mark>", "").replace("</mark>", "")) == 220 + 1


def test_every_match_in_the_window_is_marked_and_none_beyond_it(catalogue: Catalogue) -> None:
    description = "Tomb one. Tomb two. " + FILLER + "Tomb far away."
    catalogue.create(make_record(id="many", description=description))
    text = snippet(catalogue, "tomb", "many")
    assert text.count("<mark>") == 2 and text.startswith("<mark>Tomb</mark> one. <mark>Tomb</mark> two.")
    assert "far away" not in text


def test_a_description_without_a_match_is_cut_to_the_window_and_escaped(catalogue: Catalogue) -> None:
    description = "<b>" + FILLER
    catalogue.create(make_record(id="nomatch", title="Zanzibar", description=description))
    text = snippet(catalogue, "zanzibar", "nomatch")
    assert "<mark>" not in text and "<b>" not in text
    assert text == description[:220].replace("<", "&lt;").replace(">", "&gt;") + "…"


def test_a_description_of_exactly_the_window_has_no_ellipsis(catalogue: Catalogue) -> None:
    description = ("x" * 219) + "."
    catalogue.create(make_record(id="exact", title="Zanzibar", description=description))
    assert snippet(catalogue, "zanzibar", "exact") == description


def test_a_match_ending_the_description_is_marked_with_nothing_after(catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="end", description=FILLER + "a ruined mausoleum"))
    text = snippet(catalogue, "mausoleum", "end")
    assert text.endswith("<mark>mausoleum</mark>") and text.startswith("…")


@pytest.mark.parametrize(("query", "found"), [
    ("year:1300", False), ("year:1301", True), ("year:1400", True), ("year:1401", False),
    ("year:[1200 TO 1300]", False), ("year:[1200 TO 1301]", True), ("year:[1400 TO 1500]", True),
    ("year:[1401 TO 1500]", False), ("year:{1300 TO 1500]", True), ("year:[1200 TO 1301}", False),
    ("year:{1400 TO 1500]", False), ("year:[1400 TO 1500}", True),
    ("year:[* TO 1301]", True), ("year:[* TO 1300]", False), ("year:[1400 TO *]", True), ("year:[1401 TO]", False),
    ("century:XIV", True), ("century:XIII", False), ("century:XV", False), ("century:14", True),
    ("century:[XII TO XIV]", True), ("century:[XV TO XVI]", False), ("century:[* TO XIII]", False),
    ("century:[XIV TO *]", True), ("century:[XV TO]", False),
])
def test_a_period_is_found_by_every_year_it_touches_and_no_other(catalogue: Catalogue, query: str,
                                                                 found: bool) -> None:
    """The XIV century is 1301-1400: its first and last years overlap, the years around do not."""
    catalogue.create(make_record(id="tombs", period={"label": "XIV century", "start": 1301, "end": 1400}))
    assert (catalogue.search(query).total == 1) is found, query


def test_a_year_typed_with_a_sign_or_leading_zeros_is_that_year(catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="bce", period={"label": "V century BCE", "start": -500, "end": -401}))
    assert [catalogue.search(q).total for q in ("year:-450", "year:-0450", "year:+450", "year:-401", "year:-400")] \
        == [1, 1, 0, 1, 0]
    assert catalogue.search('century:"V BCE"').total == 1 and catalogue.search("century:V").total == 0


@pytest.mark.parametrize(("query", "message"), [
    ("year:13x0", "a year is a whole number such as 1350 or -500, not “13x0”"),
    ("century:XXXX", "“XXXX” is not a century from XXX BCE to XXX; write e.g. XIV, 14 or II BCE"),
])
def test_an_unreadable_year_or_century_is_answered_with_how_to_write_it(catalogue: Catalogue, query: str,
                                                                        message: str) -> None:
    result = catalogue.search(query)
    assert result.total == 0 and message in (result.notice or ""), result.notice


@pytest.mark.parametrize("query", ['stem:"stone tower"', 'variant:"old stone tower"', 'country:"stone tower"'])
def test_a_phrase_in_a_field_without_positions_is_answered_with_where_phrases_work(catalogue: Catalogue,
                                                                                 query: str) -> None:
    """Whoosh fails such a phrase (a 500 before); the user is told, and its words are searched."""
    result = catalogue.search(query)
    fieldname = query.split(":")[0]
    assert f"a phrase cannot be searched in the field {fieldname}; phrases are searched in title, text" \
        in (result.notice or ""), result.notice


def test_a_year_beyond_any_record_is_searched_and_the_user_told(catalogue: Catalogue) -> None:
    catalogue.create(make_record(id="late", period={"label": "XXI century", "start": 2001, "end": 2100}))
    result = catalogue.search("year:[2050 TO 99999999999999999999]")
    assert result.total == 1
    assert "the year 99999999999999999999 lies beyond the years a record can have" in (result.notice or "")


@pytest.mark.parametrize(("query", "found"), [
    ("century:[* TO XIV]", True), ("century:[* TO XIII]", False), ("century:[XIV TO XV]", True),
    ("century:[XIII TO XIV]", True), ("century:[XV TO *]", False), ("year:[* TO *]", True),
])
def test_a_period_inside_a_century_is_found_by_century_ranges_that_hold_it(catalogue: Catalogue, query: str,
                                                                           found: bool) -> None:
    """1320-1340 lies inside the XIV century, away from both of its ends."""
    catalogue.create(make_record(id="mid", period={"label": "1320s-1330s", "start": 1320, "end": 1340}))
    assert (catalogue.search(query).total == 1) is found, query


def test_a_long_unreadable_century_is_quoted_to_its_first_30_characters(catalogue: Catalogue) -> None:
    result = catalogue.search("century:" + "Q" * 40)
    assert f"“{'Q' * 30}” is not a century" in (result.notice or ""), result.notice


@pytest.fixture
def extremes(catalogue: Catalogue) -> Catalogue:
    """Two records at the first and the last year a record can have, and one of 450 BCE."""
    catalogue.create(make_record(id="first", period={"label": "earliest", "start": -100000, "end": -100000}))
    catalogue.create(make_record(id="last", period={"label": "latest", "start": 3000, "end": 3000}))
    catalogue.create(make_record(id="bce", period={"label": "450 BCE", "start": -450, "end": -450}))
    return catalogue


@pytest.mark.parametrize(("query", "ids", "beyond"), [
    ("year:-100000", ["first"], False), ("year:3000", ["last"], False),
    ("year:-100002", [], True), ("year:3002", [], True),
    ("year:-0000000000000000000000450", ["bce"], False), ("year:+0000000000000000000000450", [], False),
    ("year:[-99999999999999999999 TO -99000]", ["first"], True),
    ("year:[2999 TO 99999999999999999999]", ["last"], True),
    ("year:[ TO -100000]", ["first"], False),
])
def test_the_first_and_last_years_a_record_can_have_are_searchable_and_beyond_them_is_said(
        extremes: Catalogue, query: str, ids: list[str], beyond: bool) -> None:
    result = extremes.search(query)
    assert sorted(hit.id for hit in result.hits) == ids, query
    assert ("lies beyond the years a record can have (-100000 to 3000)" in (result.notice or "")) is beyond, \
        result.notice


def test_a_long_year_is_quoted_to_its_first_30_characters(catalogue: Catalogue) -> None:
    assert f"not “{'7x' * 15}”" in (catalogue.search("year:" + "7x" * 25).notice or "")
    assert f"the year {'9' * 30} lies beyond" in (catalogue.search("year:" + "9" * 40).notice or "")


def test_a_spelling_found_by_its_sound_marks_every_spelling_of_that_name(catalogue: Catalogue) -> None:
    """"Hojaly" is no word of the record: it matches by the phonetic key of its names alone."""
    catalogue.create(make_record(id="x", title="Xocalı mosque", description="The Xocalı mosque by the Khojaly road."))
    assert snippet(catalogue, "Hojaly", "x") == "The <mark>Xocalı</mark> mosque by the <mark>Khojaly</mark> road."


def test_a_match_after_a_long_unbroken_run_of_text_is_shown_with_part_of_that_run(catalogue: Catalogue) -> None:
    """No space to start the window at: it starts a quarter of the window before the match."""
    catalogue.create(make_record(id="run", description="z" * 300 + ",tomb stands " + FILLER))
    text = snippet(catalogue, "tomb", "run")
    assert text.startswith("…" + "z" * 54 + ",<mark>tomb</mark> stands lorem")


def test_a_match_starting_just_past_the_window_is_left_out(catalogue: Catalogue) -> None:
    description = "Tomb " + "x" * 214 + " tomb and more"  # the second "tomb" starts at character 220
    catalogue.create(make_record(id="edge", description=description))
    text = snippet(catalogue, "tomb", "edge")
    assert text == "<mark>Tomb</mark> " + "x" * 214 + " …"
