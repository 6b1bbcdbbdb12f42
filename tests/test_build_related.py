"""tools/build_related.py: the word bridge built from a tiny WordNet written by the test."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from knowledge.matching.text import STOPWORDS

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "build_related.py"
_spec = importlib.util.spec_from_file_location("build_related", _TOOL)
assert _spec is not None and _spec.loader is not None
build_related = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = build_related  # dataclasses look their module up there
_spec.loader.exec_module(build_related)

# (offset, lexicographer file, words with their lex ids, pointers) in WordNet's data format.
_NOUNS = [
    ("00000001", "27", [("petrol", 0), ("gasoline", 0)], ["@ 00000002 n 0000"]),
    ("00000002", "27", [("fuel", 0)], ["~ 00000001 n 0000"]),
    ("00000003", "04", [("negotiation", 0), ("talks", 0)], []),
    ("00000004", "06", [("hospital", 0), ("infirmary", 0)], []),
    ("00000005", "04", [("hospital", 1), ("welcome", 0)], []),
    ("00000006", "18", [("child", 0), ("kid", 0)], []),
    ("00000007", "04", [("attack", 0), ("onslaught", 0)], ["@ 00000008 n 0000"]),
    ("00000008", "04", [("operation", 0)], ["~ 00000007 n 0000"]),
]
# (lemma, offsets in sense order, tag counts)
_NOUN_INDEX = [
    ("petrol", ["00000001"], [5]),
    ("gasoline", ["00000001"], [5]),
    ("fuel", ["00000002"], [20]),
    ("negotiation", ["00000003"], [8]),
    ("talks", ["00000003"], [8]),
    ("hospital", ["00000004", "00000005"], [30, 1]),
    ("infirmary", ["00000004"], [2]),
    ("welcome", ["00000005"], [4]),
    ("child", ["00000006"], [40]),
    ("kid", ["00000006"], [10]),
    ("attack", ["00000007"], [10]),
    ("onslaught", ["00000007"], [2]),
    ("operation", ["00000008"], [10]),
]


def _write_wordnet(folder: Path) -> Path:
    lexfile = {offset: lex for offset, lex, _, _ in _NOUNS}
    lex_ids = {(w, offset): i for offset, _, words, _ in _NOUNS for w, i in words}
    data = ["  1 a licence line, skipped"]
    for offset, lex, words, pointers in _NOUNS:
        listed = " ".join(f"{w} {i:x}" for w, i in words)
        links = " ".join(pointers)
        data.append(
            f"{offset} {lex} n {len(words):02x} {listed} {len(pointers):03d} {links} | a gloss"
        )
    index, counts = [], []
    for lemma, offsets, tags in _NOUN_INDEX:
        index.append(f"{lemma} n {len(offsets)} 0 {len(offsets)} 0 {' '.join(offsets)}")
        for number, (offset, tag) in enumerate(zip(offsets, tags, strict=True), 1):
            key = f"{lemma}%1:{lexfile[offset]}:{lex_ids[lemma, offset]:02d}::"
            counts.append(f"{key} {number} {tag}")
    (folder / "data.noun").write_text("\n".join(data) + "\n", encoding="latin-1")
    (folder / "index.noun").write_text("\n".join(index) + "\n", encoding="latin-1")
    (folder / "cntlist.rev").write_text("\n".join(counts) + "\n", encoding="latin-1")
    (folder / "noun.exc").write_text("children child\n", encoding="latin-1")
    for name in ("verb", "adj", "adv"):
        (folder / f"data.{name}").write_text("", encoding="latin-1")
        (folder / f"index.{name}").write_text("", encoding="latin-1")
    return folder


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The table built from the tiny WordNet."""
    return dict(build_related.build(_write_wordnet(tmp_path_factory.mktemp("wordnet"))))


@pytest.mark.parametrize(
    ("form", "expected", "not_expected"),
    [
        ("petrol", {"gasoline", "fuel"}, set()),  # a synonym and the thing's kind
        ("fuel", set(), {"petrol", "gasoline"}),  # never a kind's members
        ("negotiations", {"talks"}, set()),  # a regular plural is looked up as typed
        ("hospital", {"infirmary"}, {"welcome"}),  # a sense with 1 use in 31 is left out
        ("welcome", set(), {"hospital"}),  # ...on both sides of the link
        ("kids", {"child", "children"}, set()),  # an irregular plural beside its singular
        ("attack", {"onslaught"}, {"operation"}),  # an act's broader act is no synonym
    ],
)
def test_links(
    table: dict[str, list[str]], form: str, expected: set[str], not_expected: set[str]
) -> None:
    """Main senses only; kinds upward for things; inflected forms as keys."""
    found = set(table.get(form, ()))
    assert expected <= found and not (not_expected & found)


def test_main_writes_a_table_the_matcher_reads(tmp_path: Path) -> None:
    """The written file is the tab-separated table, with its provenance on the first line."""
    out = tmp_path / "related.tsv"
    assert build_related.main([str(_write_wordnet(tmp_path)), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# Built by tools/build_related.py from WordNet 3.0")
    rows = dict(line.split("\t") for line in lines[1:])
    assert rows["petrol"].split() == ["fuel", "gasoline"]  # the most common first


def test_shipped_table_links_no_function_words() -> None:
    """The table was built with today's stopwords: a word the analyser drops is never linked
    (rebuild it with tools/build_related.py after changing STOPWORDS)."""
    text = Path(build_related.OUT).read_text(encoding="utf-8")
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    assert len(rows) > 15_000
    assert not [
        form for form, others in rows if form in STOPWORDS or STOPWORDS & set(others.split())
    ]


def test_shipped_table_is_the_one_the_package_reads() -> None:
    """The table ships inside the package, with WordNet's licence beside it."""
    data = Path(build_related.OUT).parent
    assert (data / "related.tsv").is_file() and (data / "WORDNET-LICENSE").is_file()
    assert "Princeton University" in (data / "WORDNET-LICENSE").read_text(encoding="utf-8")
