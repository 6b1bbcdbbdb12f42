"""Fact files, the source index and the glossary: loading, validation with locations, export."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge import validation
from knowledge.curation.export import fact_to_toml, write_fact_files
from knowledge.curation.files import (
    FactSet,
    check_seeds,
    load_fact_bytes,
    load_fact_file,
    load_seeds,
)
from knowledge.curation.sources import load_documents, load_glossary
from knowledge.curation.tomlfile import MAX_FILE_BYTES
from knowledge.errors import Problem, ValidationError
from knowledge.models import Document, Fact, Glossary, Source
from knowledge.store.rows import fact_from_state, fact_state

REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "data" / "files" / "seeds"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    """A writable copy of the valid test seeds."""
    root = tmp_path / "seeds"
    shutil.copytree(FIXTURE, root)
    return root


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Write (or overwrite) files under ``root``; text is written as UTF-8."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)


def describe(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems) or "(no problems)"


def assert_reported(
    problems: list[Problem],
    file: str,
    line: int | None,
    fact_id: str | None,
    field: str | None,
    fragment: str,
) -> None:
    """One problem names exactly this place, and its text shows file:line, fact and field."""
    for p in problems:
        if (
            p.file is not None
            and p.file.endswith(file)
            and (p.line, p.fact_id, p.field) == (line, fact_id, field)
            and fragment in p.message
        ):
            text = str(p)
            assert (f"{file}:{line}" if line else file) in text
            assert fact_id is None or f"fact {fact_id!r}" in text
            assert field is None or f"field {field!r}" in text
            return
    pytest.fail(
        f"no problem at {file}:{line} {fact_id} {field} ~{fragment!r} in:\n{describe(problems)}"
    )


# --------------------------------------------------------------------------- valid seeds


def test_shipped_seeds_validate() -> None:
    """Every file shipped under seeds/ loads with no problem at all (and there are facts)."""
    problems = check_seeds(REPO / "seeds")
    assert problems == [], describe(problems)
    assert load_seeds(REPO / "seeds").facts


def test_fixture_seeds_load() -> None:
    """The test seeds load whole: documents with text, facts sorted by id, the glossary."""
    fact_set = load_seeds(FIXTURE)
    assert [d.id for d in fact_set.documents] == ["test-brief"]
    assert fact_set.documents[0].text.startswith("A short test brief")
    assert [f.id for f in fact_set.facts] == ["fuel-blockade", "jnim-leadership", "jnim-strength"]
    assert fact_set.glossary.synonyms[1] == ("fuel", "diesel", "petrol")


def test_document_source_is_described_by_its_document() -> None:
    """A `source = <id>` citation carries the document's title, publisher, date and url."""
    fact = {f.id: f for f in load_seeds(FIXTURE).facts}["jnim-strength"]
    doc_source, url_source = fact.sources
    assert doc_source == Source(
        quote="JNIM boasts approximately 6,000 fighters",
        document="test-brief",
        title="A test brief",
        publisher="Test Center",
        published=date(2025, 11, 4),
        url="https://example.org/brief",
    )
    assert url_source.document is None
    assert url_source.published == date(2025, 10, 1)


def test_glossary_is_optional(seeds: Path) -> None:
    """Without glossary.toml the glossary is empty, not an error."""
    (seeds / "glossary.toml").unlink()
    assert load_seeds(seeds).glossary == Glossary()


def test_single_file_loaders(seeds: Path) -> None:
    """load_documents, load_fact_file and load_glossary read one file each."""
    documents = load_documents(seeds / "sources" / "index.toml")
    facts = load_fact_file(seeds / "facts" / "jnim.toml", {d.id: d for d in documents})
    assert [f.id for f in facts] == ["jnim-leadership", "jnim-strength"]
    assert load_glossary(seeds / "glossary.toml").synonyms[0][1] == "GSIM"


# --------------------------------------------------------------------------- malformed facts

GOOD_FIRST = """\
[[fact]]
id = "extra-first"
title = "A first extra fact"
answer = "A first extra answer."
keys = ["first extra key"]
tags = ["extra"]
as_of = 2025-11-04

[[fact.sources]]
source = "test-brief"
quote = "JNIM boasts approximately 6,000 fighters"

"""
# The fact under test is the second one in facts/extra.toml, so every case also checks that
# the Nth [[fact]] header is matched with the Nth fact: its line k is reported as 12 + k.
EXTRA = """\
[[fact]]
id = "extra"
title = "An extra fact"
answer = "An extra answer."
keys = ["extra key"]
tags = ["extra"]
as_of = 2025-11-04

[[fact.sources]]
source = "test-brief"
quote = "JNIM boasts approximately 6,000 fighters"
"""


def extra(old: str = "", new: str = "") -> str:
    """facts/extra.toml with ``old`` replaced by ``new`` in its second fact."""
    assert old in EXTRA
    return GOOD_FIRST + EXTRA.replace(old, new, 1)


X = "facts/extra.toml"
MALFORMED: list[tuple[str, str | bytes, tuple[str, int | None, str | None, str | None, str]]] = [
    # (case, content of facts/extra.toml, (file, line, fact id, field, message fragment))
    (
        "duplicate id across two files",
        extra('id = "extra"', 'id = "jnim-leadership"'),
        ("facts/jnim.toml", 2, "jnim-leadership", "id", "already used at"),
    ),
    (
        "missing answer",
        extra('answer = "An extra answer."\n'),
        (X, 13, "extra", "answer", "missing required field 'answer'"),
    ),
    (
        "quote not in its document",
        extra("approximately 6,000", "approximately 60,000"),
        (X, 23, "extra", "sources[0].quote", "not found verbatim in document 'test-brief'"),
    ),
    (
        "date as a string that is no date",
        extra("as_of = 2025-11-04", 'as_of = "2025-13-01"'),
        (X, 19, "extra", "as_of", "'2025-13-01' is not a valid date"),
    ),
    (
        "date as a quoted valid date",
        extra("as_of = 2025-11-04", 'as_of = "2025-11-04"'),
        (X, 19, "extra", "as_of", "without quotes"),
    ),
    (
        "datetime instead of a date",
        extra("as_of = 2025-11-04", "as_of = 2025-11-04T10:00:00"),
        (X, 19, "extra", "as_of", "without a time of day"),
    ),
    (
        "control character in a title",
        extra("An extra fact", "An extra\\u0007 fact"),
        (X, 15, "extra", "title", "U+0007"),
    ),
    (
        "bidi override in a title",
        extra("An extra fact", "An extra \u202efact"),
        (X, 15, "extra", "title", "U+202E"),
    ),
    (
        "unknown source document id",
        extra('source = "test-brief"', 'source = "no-such-brief"'),
        (X, 22, "extra", "sources[0].source", "unknown source document 'no-such-brief'"),
    ),
    (
        "unknown field, with a spelling hint",
        extra("answer =", "answr ="),
        (X, 16, "extra", "answr", "unknown field 'answr' (did you mean 'answer'?)"),
    ),
    (
        "unknown source field",
        extra("quote =", "quot ="),
        (X, 23, "extra", "sources[0].quot", "unknown field 'quot'"),
    ),
    (
        "document source with its own url",
        extra('source = "test-brief"', 'source = "test-brief"\nurl = "https://example.org"'),
        (X, 23, "extra", "sources[0].url", "takes only source and quote"),
    ),
    (
        "source with neither document nor url",
        extra('source = "test-brief"\n'),
        (X, 21, "extra", "sources[0]", "needs `source"),
    ),
    (
        "byte-order mark",
        b"\xef\xbb\xbf" + extra().encode(),
        (X, 1, None, None, "byte-order mark"),
    ),
    (
        "bytes that are not UTF-8",
        extra().encode().replace(b"An extra fact", b"An extra \xff fact"),
        (X, 15, "extra", "title", "not valid UTF-8: byte 0xff"),
    ),
    (
        "TOML syntax error",
        extra('answer = "An extra answer."', 'answer = "An extra answer'),
        (X, 16, "extra", "answer", "TOML syntax error"),
    ),
    (
        "lone surrogate escape",
        extra("An extra fact", "An extra \\ud800 fact"),
        (X, 15, "extra", "title", "not a Unicode scalar value"),
    ),
    (
        "oversized answer",
        extra("An extra answer.", "x" * 1501),
        (X, 16, "extra", "answer", "the limit is 1500"),
    ),
    (
        "key used by two facts (case and spacing differ)",
        extra('"extra key"', '"JNIM  FIGHTERS"'),
        ("facts/jnim.toml", 19, "jnim-strength", "keys[0]", "also a key of fact 'extra'"),
    ),
    (
        "keys not a list",
        extra('keys = ["extra key"]', 'keys = "extra key"'),
        (X, 17, "extra", "keys", "must be a list of text"),
    ),
    (
        "a key that is not text, in a multi-line list",
        extra('keys = ["extra key"]', 'keys = [\n  "extra key",\n  5,\n]'),
        (X, 17, "extra", "keys[1]", "keys[1] must be text, not a number"),
    ),
    (
        "nested list as a key",
        extra('keys = ["extra key"]', 'keys = [["extra key"]]'),
        (X, 17, "extra", "keys[0]", "not a list"),
    ),
    (
        "review_by before as_of",
        extra("as_of = 2025-11-04", "as_of = 2025-11-04\nreview_by = 2025-01-01"),
        (X, 20, "extra", "review_by", "before as_of"),
    ),
    (
        "unknown top-level table",
        extra() + "\n[meta]\nauthor = 'me'\n",
        (X, 25, None, "meta", "unknown top-level entry 'meta'"),
    ),
    (
        "file over 1 MiB",
        extra() + "#" * MAX_FILE_BYTES,
        (X, None, None, None, "larger than the 1024 KiB limit"),
    ),
    (
        "values nested too deeply",
        extra('keys = ["extra key"]', "keys = " + "[" * 50_000),
        (X, None, None, None, "nested too deeply"),
    ),
]


@pytest.mark.parametrize(
    ("content", "expected"),
    [pytest.param(content, expected, id=case) for case, content, expected in MALFORMED],
)
def test_malformed_fact_file_is_reported_where_it_is_wrong(
    seeds: Path, content: str | bytes, expected: tuple[str, int | None, str | None, str | None, str]
) -> None:
    """A malformed fact file is rejected with a problem naming file, line, fact id and field."""
    write(seeds, {X: content})
    problems = check_seeds(seeds)
    assert_reported(problems, *expected)
    with pytest.raises(ValidationError) as caught:
        load_seeds(seeds)
    assert caught.value.problems == problems


def test_duplicate_id_names_both_places(seeds: Path) -> None:
    """A repeated id names the other file and line too."""
    write(seeds, {X: extra('id = "extra"', 'id = "jnim-leadership"')})
    (problem,) = [p for p in check_seeds(seeds) if p.field == "id"]
    assert f"{seeds}/facts/extra.toml:14" in problem.message


GLOSSARY = '[[synonyms]]\nterms = ["fuel", "diesel"]\n'


def test_every_problem_of_every_file_is_reported_at_once(seeds: Path) -> None:
    """Problems in several facts and files all come back from one check."""
    write(
        seeds,
        {
            X: extra("answer =", "answr =").replace('keys = ["first extra key"]', "keys = 3"),
            "facts/more.toml": EXTRA.replace('"extra"', '"more"').replace("2025-11-04", "'x'"),
            "glossary.toml": GLOSSARY + '\n[[synonyms]]\nterms = ["Diesel", "gasoil"]\n',
        },
    )
    problems = check_seeds(seeds)
    assert_reported(problems, X, 5, "extra-first", "keys", "must be a list")
    assert_reported(problems, X, 16, "extra", "answr", "unknown field")
    assert_reported(problems, X, 13, "extra", "answer", "missing required field")
    assert_reported(problems, "facts/more.toml", 7, "more", "as_of", "not a valid date")
    assert_reported(
        problems, "glossary.toml", 5, None, "terms[0]", "already in the synonym group at line 1"
    )
    assert_reported(problems, "facts/more.toml", 5, "more", "keys[0]", "also a key of fact 'extra'")
    assert len(problems) == 6, describe(problems)


def test_load_fact_file_checks_duplicates_within_the_file(seeds: Path) -> None:
    """Within one file, a repeated id is reported by load_fact_file itself."""
    path = seeds / X
    write(seeds, {X: GOOD_FIRST + GOOD_FIRST.replace("first extra key", "other key")})
    documents = {d.id: d for d in load_documents(seeds / "sources" / "index.toml")}
    with pytest.raises(ValidationError) as caught:
        load_fact_file(path, documents)
    assert_reported(caught.value.problems, X, 14, "extra-first", "id", f"{path}:2")


def test_load_fact_bytes_reads_an_upload() -> None:
    """An upload is read like a file and labelled with its name."""
    documents = {d.id: d for d in load_seeds(FIXTURE).documents}
    assert [f.id for f in load_fact_bytes(extra().encode(), documents)] == ["extra-first", "extra"]
    with pytest.raises(ValidationError) as caught:
        load_fact_bytes(extra("answer =", "answr =").encode(), documents, name="up.toml")
    assert_reported(caught.value.problems, "up.toml", 16, "extra", "answr", "unknown field")


# --------------------------------------------------------------------------- index and glossary

INDEX = (FIXTURE / "sources" / "index.toml").read_text()
MALFORMED_OTHER: list[tuple[str, dict[str, str], tuple[str, int | None, str | None, str]]] = [
    # (case, files to write, (file, line, field, message fragment)); no fact id: not a fact
    (
        "document file missing",
        {"sources/index.toml": INDEX.replace("brief.txt", "gone.txt")},
        ("sources/index.toml", 8, "file", "cannot read the file"),
    ),
    (
        "document file outside the sources directory",
        {"sources/index.toml": INDEX.replace('"brief.txt"', '"../glossary.toml"')},
        ("sources/index.toml", 8, "file", "must be a path inside"),
    ),
    (
        "document id repeated",
        {"sources/index.toml": INDEX + "\n" + INDEX.split("\n", 1)[1]},
        ("sources/index.toml", 11, "id", "duplicate document id 'test-brief' (first at line 3)"),
    ),
    (
        "document url not http",
        {"sources/index.toml": INDEX.replace("https://example.org/brief", "ftp://x")},
        ("sources/index.toml", 7, "url", "http(s)"),
    ),
    (
        "document missing publisher",
        {"sources/index.toml": INDEX.replace('publisher = "Test Center"\n', "")},
        ("sources/index.toml", 2, "publisher", "missing required field"),
    ),
    (
        "index missing",
        {"sources/index.toml": ""},  # replaced by a deletion in the test
        ("sources/index.toml", None, None, "cannot read the file"),
    ),
    (
        "glossary term in two groups",
        {"glossary.toml": GLOSSARY + '\n[[synonyms]]\nterms = [\n  "gasoil",\n  "FUEL",\n]\n'},
        ("glossary.toml", 7, "terms[1]", "already in the synonym group at line 1"),
    ),
    (
        "glossary empty term",
        {"glossary.toml": '[[synonyms]]\nterms = ["fuel", " "]\n'},
        ("glossary.toml", 2, "terms[1]", "may not be empty"),
    ),
    (
        "glossary group of one",
        {"glossary.toml": '[[synonyms]]\nterms = ["fuel"]\n'},
        ("glossary.toml", 2, "terms", "at least two terms"),
    ),
    (
        "glossary unknown field",
        {"glossary.toml": '[[synonyms]]\nterms = ["a", "b"]\nterm = ["c"]\n'},
        ("glossary.toml", 3, "term", "unknown field 'term'"),
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"),
    [pytest.param(files, expected, id=case) for case, files, expected in MALFORMED_OTHER],
)
def test_malformed_index_or_glossary_is_reported(
    seeds: Path, files: dict[str, str], expected: tuple[str, int | None, str | None, str]
) -> None:
    """A broken source index or glossary is reported with file, line and field."""
    write(seeds, files)
    if files == {"sources/index.toml": ""}:
        (seeds / "sources" / "index.toml").unlink()
    file, line, field, fragment = expected
    assert_reported(check_seeds(seeds), file, line, None, field, fragment)


def test_as_of_in_the_future_is_a_problem_only_given_today() -> None:
    """check_seeds(today=...) flags an as_of after today; without today it cannot know."""
    assert check_seeds(FIXTURE) == []
    problems = check_seeds(FIXTURE, today=date(2025, 11, 3))
    assert_reported(problems, "facts/fuel.toml", 7, "fuel-blockade", "as_of", "in the future")


def test_missing_facts_directory_is_a_problem(tmp_path: Path) -> None:
    """Pointing at a directory without facts/ is reported, not taken as an empty fact set."""
    problems = check_seeds(tmp_path)
    assert any(p.file == str(tmp_path / "facts") for p in problems), describe(problems)


# --------------------------------------------------------------------------- export and round trips


@pytest.mark.parametrize("root", [REPO / "seeds", FIXTURE], ids=["shipped", "fixture"])
def test_export_round_trip(root: Path, tmp_path: Path) -> None:
    """load_seeds -> write_fact_files -> load_seeds gives back the same facts and documents."""
    before = load_seeds(root)
    written = write_fact_files(tmp_path, before.facts, before.documents)
    after = load_seeds(tmp_path)
    assert after == FactSet(before.documents, before.facts, Glossary())
    assert all(path.is_file() for path in written)
    assert not list(tmp_path.rglob(".*.tmp")), "temp files were left behind"


def test_export_layout(tmp_path: Path) -> None:
    """Facts are grouped by first tag (untagged ones in facts.toml); documents keyed by id."""
    fact_set = load_seeds(FIXTURE)
    untagged = replace(fact_set.facts[0], id="untagged", tags=(), keys=("untagged",))
    docs = {d.id: d for d in fact_set.documents}
    written = write_fact_files(tmp_path, (*fact_set.facts, untagged), docs)
    names = sorted(str(p.relative_to(tmp_path)) for p in written)
    assert names == [
        "facts/facts.toml",
        "facts/fuel.toml",
        "facts/jnim.toml",
        "sources/index.toml",
        "sources/test-brief.txt",
    ]
    assert (tmp_path / "sources" / "test-brief.txt").read_bytes() == (
        FIXTURE / "sources" / "brief.txt"
    ).read_bytes()


def test_fact_to_toml_writes_only_what_the_file_format_holds() -> None:
    """Document sources are source + quote; review_by, status, locked and rev are omitted."""
    fact = {f.id: f for f in load_seeds(FIXTURE).facts}["jnim-strength"]
    text = fact_to_toml([replace(fact, status="retired", locked=True, rev=7)])
    assert text.count("[[fact.sources]]") == 2
    for absent in ("review_by", "status", "locked", "rev", "Test Center"):
        assert absent not in text
    assert 'publisher = "Elsewhere"' in text
    assert "published = 2025-10-01" in text


# --------------------------------------------------------------------------- property tests

HYP_DOC = Document(
    id="hyp-doc",
    title="Hypothesis brief",
    publisher="Test Center",
    published=date(2025, 11, 4),
    url="https://example.org/hyp",
    text=(FIXTURE / "sources" / "brief.txt").read_text(encoding="utf-8"),
)
DOCS = {HYP_DOC.id: HYP_DOC}
WORDS = HYP_DOC.text.split()

slugs = st.from_regex(r"[a-z0-9]{1,10}(-[a-z0-9]{1,10}){0,2}", fullmatch=True)
plain = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs"))
texts = st.text(plain, min_size=1, max_size=40).filter(
    lambda s: bool(s.strip()) and not validation.MENTION_RE.search(s)
)
quotes = st.text(st.one_of(plain, st.sampled_from("\n\t")), min_size=1, max_size=60).filter(
    lambda s: bool(s.strip()) and not validation.MENTION_RE.search(s)
)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def document_sources(draw: st.DrawFn) -> Source:
    start = draw(st.integers(0, len(WORDS) - 1))
    length = draw(st.integers(1, 8))
    quote = " ".join(WORDS[start : start + length])
    d = HYP_DOC
    return Source(quote, d.id, d.title, d.publisher, d.published, d.url)


url_sources = st.builds(
    Source,
    quote=quotes,
    title=texts,
    publisher=st.one_of(st.just(""), texts),
    published=st.one_of(st.none(), days),
    url=st.from_regex(r"https://example\.org/[a-z0-9/]{0,20}", fullmatch=True),
)


def normal(key: str) -> str:
    return " ".join(key.casefold().split())


@st.composite
def facts(draw: st.DrawFn) -> Fact:
    as_of = draw(days)
    review_by = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda n: as_of + timedelta(n))))
    return Fact(
        id=draw(slugs),
        title=draw(texts),
        answer=draw(texts),
        as_of=as_of,
        review_by=review_by,
        sources=tuple(
            draw(st.lists(st.one_of(document_sources(), url_sources), min_size=1, max_size=3))
        ),
        keys=tuple(draw(st.lists(texts, max_size=5, unique_by=normal))),
        tags=tuple(draw(st.lists(slugs, max_size=3))),
    )


def without_shared_keys(fact_list: list[Fact]) -> list[Fact]:
    """Drop keys that an earlier fact already uses, as the files demand."""
    seen: set[str] = set()
    out = []
    for fact in fact_list:
        keys = tuple(k for k in fact.keys if normal(k) not in seen)
        seen.update(normal(k) for k in keys)
        out.append(replace(fact, keys=keys))
    return out


fact_lists = st.lists(facts(), min_size=1, max_size=3, unique_by=lambda f: f.id).map(
    without_shared_keys
)


@settings(max_examples=40, deadline=None)
@given(fact_lists)
def test_fact_to_toml_round_trips(fact_list: list[Fact]) -> None:
    """Any valid facts written with fact_to_toml load back equal."""
    assert load_fact_bytes(fact_to_toml(fact_list).encode(), DOCS) == tuple(fact_list)


@settings(max_examples=40, deadline=None)
@given(
    facts(),
    st.sampled_from(["active", "retired"]),
    st.booleans(),
    st.integers(0, 10_000),
)
def test_fact_state_round_trips_through_json(
    fact: Fact, status: str, locked: bool, rev: int
) -> None:
    """A fact read from a file is JSON-able as a revision keeps it, and restored exactly."""
    fact = replace(fact, status=status, locked=locked, rev=rev)  # type: ignore[arg-type]
    data = json.loads(json.dumps(fact_state(fact)))
    assert fact_from_state(data, rev=rev) == fact
