"""Candidate retrieval on tantivy: the few dozen entries best worth reranking for a question.

The term index (:mod:`.index`) keeps each entry's analysis in SQLite, which is the truth;
this module keeps a tantivy index of the same entries' terms, which is derived from it. A
question's terms become a BM25 query, and tantivy's top-k search (block-max WAND, in Rust)
returns the best rows without reading every entry that shares a common term, which is what
keeps a million passages answerable in milliseconds.

The two stores are tied by a generation token: every write to the term index draws a new
one, commits tantivy with it, and then commits SQLite with it. Whenever the two disagree (a
crash between the commits, a database restored from a backup, a directory deleted), the
search index is rebuilt from the stored analyses, which needs no text analysis and takes
seconds even for a large store.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final

import tantivy

from .parallel import PARALLEL_FROM

# An entry's terms are one field, a term written once for each of: being a term of the
# entry, of its title, keys or tags, and a whole key ("Mali"). BM25 turns the count into a
# boost that grows less with each repeat, so the facts most about a term come first. One
# field, not three, halves the cost of a search (measured on 100k passages: p50 0.23 ms
# against 0.55 ms, with the same recall).
FIELD: Final = "terms"
# An entry's context terms (a passage's document title, see :data:`.index.CONTEXT`): never
# scored, only a way to meet a search's requirement (see :meth:`SearchIndex.top`).
CONTEXT_FIELD: Final = "context"
# The writer's memory budget a thread: tantivy flushes a segment whenever it is reached, so
# a bulk build stays within it whatever the store's size.
WRITER_HEAP: Final = 32_000_000
_GENERATION: Final = "generation"


def entry_text(body: Iterable[str], head: Iterable[str], key: Iterable[str]) -> str:
    """What the search index holds of an entry: its terms, those of its title, keys or tags
    again, and those that are a whole key once more (see :data:`FIELD`)."""
    return " ".join((*body, *head, *key))


Clause = tuple[Iterable[str], float]
"""One query slot: terms that are alternatives (an entry scores on the best of them), and
how much the slot counts."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # Indexed, to delete by row; fast, to read the rows of hits without loading documents.
    builder.add_integer_field("row", stored=False, indexed=True, fast=True)
    # The terms are the analyser's, already folded and stemmed: split on spaces only.
    builder.add_text_field(FIELD, stored=False, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field(
        CONTEXT_FIELD, stored=False, tokenizer_name="whitespace", index_option="basic"
    )
    return builder.build()


SCHEMA: Final = _schema()


class SearchIndex:
    """A tantivy index of entries' terms, on disk in ``directory`` or, without one, in memory."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._memory_generation: str | None = None
        self._index = self._open()
        self._searcher = self._index.searcher()

    def _open(self) -> tantivy.Index:
        if self.directory is None:
            return tantivy.Index(SCHEMA)
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            index = tantivy.Index(SCHEMA, path=str(self.directory), reuse=True)
            if index.schema != SCHEMA:
                raise ValueError("schema changed")
            return index
        except (OSError, ValueError):
            # Derived data from an older version, or damaged: start afresh; the next sync
            # finds the generation missing and rebuilds it from the term index.
            self._clear()
            return tantivy.Index(SCHEMA, path=str(self.directory), reuse=False)

    def _clear(self) -> None:
        assert self.directory is not None
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)

    # -- the generation token ---------------------------------------------------------------

    @property
    def generation(self) -> str | None:
        """The token of the last committed write (None before the first, or if unknown)."""
        if self.directory is None:
            return self._memory_generation
        with contextlib.suppress(OSError):
            return (self.directory / _GENERATION).read_text(encoding="ascii").strip() or None
        return None

    def _set_generation(self, token: str) -> None:
        if self.directory is None:
            self._memory_generation = token
            return
        # Written whole or not at all: a torn token would match nothing and force a rebuild,
        # which is safe, but a rename is as cheap.
        path = self.directory / _GENERATION
        temporary = path.with_suffix(".tmp")
        temporary.write_text(token, encoding="ascii")
        os.replace(temporary, path)

    @staticmethod
    def new_generation() -> str:
        """A fresh token for one write."""
        return uuid.uuid4().hex

    # -- writes -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self, generation: str, *, replace: bool = False, size: int = 0) -> Iterator[Batch]:
        """A batch of changes, published at once when the block ends without an error and
        dropped otherwise; with ``replace``, the batch becomes the whole index. ``size`` is
        about how many entries it adds: a large batch is written on both cores."""
        threads = 2 if size >= PARALLEL_FROM else 1
        writer = self._index.writer(heap_size=WRITER_HEAP * threads, num_threads=threads)
        try:
            if replace:
                writer.delete_all_documents()
            yield Batch(writer)
        except BaseException:
            writer.rollback()
            raise
        writer.commit()
        writer.wait_merging_threads()
        self._set_generation(generation)
        self.reload()

    def reload(self) -> None:
        """See the latest commit, this process's or another's."""
        self._index.reload()
        self._searcher = self._index.searcher()

    # -- reads ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._searcher.num_docs)

    def top(
        self, clauses: Sequence[Clause], limit: int, require: Iterable[str] | None = None
    ) -> list[int]:
        """The rows of the ``limit`` entries that score best on ``clauses``, best first.

        An entry's score sums its clauses' (BM25, so a rare term counts more than a common
        one); a clause scores on its best term, which counts more where it is in the title,
        keys or tags, and more again where it is a whole key.

        With ``require``, only entries holding one of its terms, as a term or a context
        term, are considered; it changes no score. A few rare required terms make a search
        over a million entries read their postings rather than those of every common term.
        """
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for terms, boost in clauses:
            alternatives = [
                tantivy.Query.boost_query(tantivy.Query.term_query(SCHEMA, FIELD, term), boost)
                for term in terms
            ]
            if alternatives:
                best = tantivy.Query.disjunction_max_query(alternatives)
                parts.append((tantivy.Occur.Should, best))
        if not parts or limit <= 0:
            return []
        if require is not None:
            needed = [
                (tantivy.Occur.Should, tantivy.Query.term_query(SCHEMA, field, term))
                for term in dict.fromkeys(require)
                for field in (FIELD, CONTEXT_FIELD)
            ]
            if not needed:
                return []
            gate = tantivy.Query.const_score_query(tantivy.Query.boolean_query(needed), 0.0)
            parts.append((tantivy.Occur.Must, gate))
        found = self._searcher.search(tantivy.Query.boolean_query(parts), limit, count=False)
        addresses = [address for _, address in found.hits]
        rows = self._searcher.fast_field_values("row", addresses)
        # Every document has a row (the schema has had one from the start).
        return [int(row) for row in rows if row is not None]


class Batch:
    """The changes of one :meth:`SearchIndex.write`."""

    def __init__(self, writer: tantivy.IndexWriter) -> None:
        self._writer = writer

    def add(self, row: int, text: str, context: str = "") -> None:
        """Index the entry at ``row``, whose :func:`entry_text` is ``text`` and context terms
        ``context`` (space-separated)."""
        fields = {FIELD: text, CONTEXT_FIELD: context} if context else {FIELD: text}
        self._writer.add_document(tantivy.Document(row=row, **fields))

    def remove(self, row: int) -> None:
        """Drop the entry at ``row``."""
        self._writer.delete_documents_by_term("row", row)
