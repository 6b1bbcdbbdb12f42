"""knowledge.drafts: what moderators type into forms and options, parsed, every problem named."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sample import FACTS

from knowledge.curation.drafts import (
    FactDraft,
    field_label,
    form_values,
    parse_date,
    parse_dates,
    parse_fact_id,
    parse_form,
    parse_source,
    split_list,
    split_tags,
)
from knowledge.errors import ValidationError
from knowledge.models import Source

FORM = {
    "title": "  Who leads JNIM ",
    "answer": "JNIM is led by Iyad ag-Ghali.",
    "keys": "who leads JNIM\nJNIM leader",
    "tags": "jnim, leadership",
    "dates": "2025-11-04, 2026-02-01",
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a, b ,c", ("a", "b", "c")),
        ("one key\nanother key", ("one key", "another key")),
        ("who, what and when\nsecond", ("who, what and when", "second")),  # lines keep commas
        ("  spaced   out  , x", ("spaced out", "x")),
        ("dup, Dup, DUP , other", ("dup", "other")),
        ("\n\n a \n\n", ("a",)),
        ("", ()),
        (" , ,\n", ()),
        ("a\r\nb", ("a", "b")),
    ],
)
def test_split_list(text: str, expected: tuple[str, ...]) -> None:
    """One per line, else comma-separated; trimmed, empties and repeats dropped."""
    assert split_list(text) == expected


def test_split_tags_makes_slugs() -> None:
    """Tags are lowercased and inner spaces become hyphens, repeats dropped."""
    assert split_tags("JNIM, Armed Groups, jnim") == ("jnim", "armed-groups")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-04", (date(2025, 11, 4), None)),
        (" 2025-11-04 , 2026-02-01 ", (date(2025, 11, 4), date(2026, 2, 1))),
        ("2025-11-04 2026-02-01", (date(2025, 11, 4), date(2026, 2, 1))),
        ("2025-11-04 -> 2026-02-01", (date(2025, 11, 4), date(2026, 2, 1))),
        ("2025-11-04→2026-02-01", (date(2025, 11, 4), date(2026, 2, 1))),
        ("2025-11-04;", (date(2025, 11, 4), None)),
    ],
)
def test_parse_dates(text: str, expected: tuple[date, date | None]) -> None:
    """The Dates field: as of, and an optional review-by date."""
    assert parse_dates(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "give the date the fact was true"),
        ("  ", "give the date the fact was true"),
        ("2025-11-04, 2026-01-01, 2027-01-01", "at most two dates"),
        ("2025-13-01", "as of '2025-13-01' is not a date; write YYYY-MM-DD"),
        ("4 Nov 2025", "'4 Nov 2025' is not a date; write YYYY-MM-DD"),
        ("2025-11-04, soon", "review by 'soon' is not a date"),
        ("yesterday", "'yesterday' is not a date"),
        ("20251104", "'20251104' is not a date"),
        ("2025-02-30", "as of '2025-02-30' is not a date"),
    ],
)
def test_parse_dates_errors_are_short_and_specific(text: str, message: str) -> None:
    """A bad date names which one and shows the expected form."""
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        parse_dates(text)
    assert len(str(caught.value)) < 100


def test_parse_date_shortens_long_input() -> None:
    """A pasted essay is not echoed back whole."""
    with pytest.raises(ValueError, match="…") as caught:
        parse_date("x" * 500, "as of")
    assert len(str(caught.value)) < 110


def test_parse_form_reads_every_field() -> None:
    """A filled form becomes a draft with lists, slugs and dates."""
    draft = parse_form(FORM)
    assert draft == FactDraft(
        title="Who leads JNIM",
        answer="JNIM is led by Iyad ag-Ghali.",
        keys=("who leads JNIM", "JNIM leader"),
        tags=("jnim", "leadership"),
        as_of=date(2025, 11, 4),
        review_by=date(2026, 2, 1),
    )


def test_parse_form_joins_the_lines_of_an_answer() -> None:
    """An answer is one paragraph: line breaks typed in the form become spaces."""
    draft = parse_form(FORM | {"answer": "First line  \n\n  second line.\r\nThird."})
    assert draft.answer == "First line second line. Third."


def test_parse_form_lists_every_problem_by_field() -> None:
    """Missing title and answer and a bad date are reported together, by form field."""
    with pytest.raises(ValidationError) as caught:
        parse_form({"title": " ", "dates": "yesterday"})
    problems = {(p.field, p.message) for p in caught.value.problems}
    assert problems == {
        ("title", "is required"),
        ("answer", "is required"),
        ("dates", "'yesterday' is not a date; write YYYY-MM-DD, e.g. 2025-11-04"),
    }


def test_form_values_round_trip_through_parse_form() -> None:
    """A fact's prefilled form, submitted unchanged, gives back the fact's content."""
    fact = FACTS[0]
    draft = parse_form(form_values(fact))
    assert draft.to_fact(fact.id, fact.sources) == fact
    assert form_values(fact)["keys"].count("\n") == len(fact.keys) - 1


@pytest.mark.parametrize("text", ["jnim-leadership", "a", "x1-2-3"])
def test_parse_fact_id_accepts_slugs(text: str) -> None:
    """Lowercase slugs are ids."""
    assert parse_fact_id(f" {text} ") == text


@pytest.mark.parametrize("text", ["Not A Slug", "-lead", "a--b", "é", "", "a" * 65, "a_b"])
def test_parse_fact_id_refuses_others(text: str) -> None:
    """Anything else is refused with an example."""
    with pytest.raises(ValidationError, match="jnim-leadership"):
        parse_fact_id(text)


def test_parse_source_document() -> None:
    """A document id with its quote."""
    assert parse_source(" soufan-2025-11-04 ", " the quote ") == Source(
        quote="the quote", document="soufan-2025-11-04"
    )


def test_parse_source_url_with_details() -> None:
    """A URL source carries its title, publisher and date."""
    source = parse_source(
        "https://example.org/a",
        "words",
        title="A report",
        publisher="Example",
        published="2025-10-01",
    )
    assert source == Source(
        quote="words",
        url="https://example.org/a",
        title="A report",
        publisher="Example",
        published=date(2025, 10, 1),
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "fields"),
    [
        (("https://example.org/a", "q"), {}, {"source_title"}),
        (("https://exa mple.org", "q"), {"title": "t"}, {"url"}),
        (("Not an id", "q"), {}, {"source"}),
        (("brief", ""), {}, {"quote"}),
        (("brief", "q"), {"title": "t"}, {"source"}),
        (("https://example.org/a", "q"), {"title": "t", "published": "May"}, {"published"}),
        (("ftp://example.org", " "), {}, {"source", "quote"}),
    ],
)
def test_parse_source_problems(
    args: tuple[str, str], kwargs: dict[str, str], fields: set[str]
) -> None:
    """Every problem of the source options is named by its option."""
    with pytest.raises(ValidationError) as caught:
        parse_source(*args, **kwargs)
    assert {p.field for p in caught.value.problems} == fields


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("title", "Title"),
        ("keys[3]", "Keys"),
        ("tags", "Tags"),
        ("as_of", "Dates"),
        ("review_by", "Dates"),
        ("dates", "Dates"),
        ("sources[0].quote", "Quote"),
        ("sources[1].source", "Source"),
        ("sources", "Source"),
        ("source_title", "Source title"),
        ("reason", "Reason"),
        (None, ""),
    ],
)
def test_field_label(field: str | None, label: str) -> None:
    """Problems are reported under the label the moderator sees."""
    assert field_label(field) == label
