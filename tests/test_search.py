"""The search index: top-k retrieval over entries' terms, written in all-or-nothing batches,
on disk or in memory, with the token that ties it to the term index."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.matching.search import SearchIndex, entry_text

ENTRIES = {
    1: entry_text(["jnim", "lead", "ghali"], ["jnim", "lead"], ["jnim"]),
    2: entry_text(["fuel", "import", "senegal"], ["fuel", "import"], []),
    3: entry_text(["kay", "blockad", "jnim"], ["kay"], ["kay"]),
}


def _filled(directory: Path | None = None) -> SearchIndex:
    index = SearchIndex(directory)
    with index.write("g1", replace=True) as batch:
        for row, text in ENTRIES.items():
            batch.add(row, text)
    return index


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        # A term that is a whole key and in the head outranks one in the body alone.
        ([(("jnim",), 1.0)], [1, 3]),
        ([(("kay",), 1.0)], [3]),
        # Clauses add up: both terms beat either.
        ([(("jnim",), 1.0), (("blockad",), 1.0)], [3, 1]),
        # Alternatives within a clause: the entry scores on the one it has.
        ([(("fuell", "fuel"), 1.0)], [2]),
        # A boost puts one clause's entries first.
        ([(("fuel",), 0.1), (("ghali",), 5.0)], [1, 2]),
        ([(("nothing",), 1.0)], []),
    ],
)
def test_top_ranks_entries(
    clauses: list[tuple[tuple[str, ...], float]], expected: list[int]
) -> None:
    assert _filled().top(clauses, 10) == expected


def test_top_stops_at_its_limit() -> None:
    assert _filled().top([(("jnim",), 1.0)], 1) == [1]


@pytest.mark.parametrize(
    ("require", "expected"),
    [
        (None, [3, 1]),
        (["blockad"], [3]),  # only entries holding a required term...
        (["ghali", "blockad"], [3, 1]),  # ... any of them, ranked as without the requirement
        (["mali"], [1]),  # a context term meets it too, though it scores nothing
        (["nothing"], []),
        ([], []),
    ],
)
def test_top_can_require_one_of_some_terms(require: list[str] | None, expected: list[int]) -> None:
    index = _filled()
    with index.write("g2") as batch:
        batch.remove(1)
        batch.add(1, ENTRIES[1], "mali")
    assert index.top([(("jnim",), 1.0), (("blockad",), 1.0)], 10, require) == expected


def test_context_terms_are_never_scored() -> None:
    """A context term is only a way to meet a requirement, never a match of its own."""
    index = SearchIndex()
    with index.write("g1", replace=True) as batch:
        batch.add(1, "jnim", "mali")
    assert index.top([(("mali",), 1.0)], 10) == []


def test_a_failed_batch_publishes_nothing() -> None:
    index = _filled()

    def interrupted() -> None:
        with index.write("g2", replace=True) as batch:
            batch.add(9, entry_text(["cholera"], [], []))
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        interrupted()
    assert index.top([(("cholera",), 1.0)], 10) == []
    assert index.top([(("fuel",), 1.0)], 10) == [2]
    assert (index.generation, len(index)) == ("g1", 3)


def test_remove_and_add_in_one_batch() -> None:
    index = _filled()
    with index.write("g2") as batch:
        batch.remove(2)
        batch.add(4, entry_text(["fuel", "shortag"], ["fuel"], []))
    assert index.top([(("fuel",), 1.0)], 10) == [4]
    assert (index.generation, len(index)) == ("g2", 3)


def test_on_disk_it_outlives_the_process(tmp_path: Path) -> None:
    _filled(tmp_path / "search")
    again = SearchIndex(tmp_path / "search")
    assert again.generation == "g1"
    assert again.top([(("jnim",), 1.0)], 10) == [1, 3]


def test_another_writer_s_commit_is_seen_after_reload(tmp_path: Path) -> None:
    reader = _filled(tmp_path / "search")
    writer = SearchIndex(tmp_path / "search")
    with writer.write("g2") as batch:
        batch.add(5, entry_text(["cholera"], [], []))
    assert reader.top([(("cholera",), 1.0)], 10) == []
    reader.reload()
    assert reader.top([(("cholera",), 1.0)], 10) == [5]


@pytest.mark.parametrize("damage", ["meta.json", "generation"])
def test_a_damaged_directory_starts_afresh(tmp_path: Path, damage: str) -> None:
    """Unreadable index files give an empty index (the term index then rebuilds it); a
    damaged token file matches no database, which has the same effect."""
    directory = tmp_path / "search"
    _filled(directory)
    (directory / damage).write_bytes(b"\x00garbage")
    again = SearchIndex(directory)
    assert again.generation != "g1"
    with again.write("g3", replace=True) as batch:
        batch.add(1, ENTRIES[1])
    assert again.top([(("jnim",), 1.0)], 10) == [1]


def test_new_generations_differ() -> None:
    assert SearchIndex.new_generation() != SearchIndex.new_generation()
