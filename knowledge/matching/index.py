"""The term index: each fact's analysis and its terms' document frequencies, in SQLite, with
a tantivy index of the same terms for retrieval (:mod:`.search`).

The matcher asks tantivy for the few dozen entries that score best on a question's terms,
then reranks them from their stored analysis, so a question costs one top-k search and a
handful of look-ups whatever the size of the store, and a process holds only the vocabulary
in memory. The index lives in the store's database (derived tables, rebuilt whenever the
analyser or glossary changes, so they are a cache rather than part of the versioned schema)
with its search index in a directory beside the database file, or in memory for a matcher
built from a list of facts.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from ..errors import busy_as_error
from ..models import Fact, Glossary
from .evidence import TextEvidence, initialisms
from .parallel import chunks
from .questions import question_forms
from .search import Clause, SearchIndex, entry_text
from .text import (
    COUNT_RE,
    INTENT_WORDS,
    LIGHT_WORDS,
    MAX_ANALYSED_CHARS,
    STOPWORDS,
    Analysis,
    Analyzer,
    is_casualty,
    words,
    words_after,
    words_before,
)

# Bump when index_fact or the text analysis changes in a way the inputs below do not show.
INDEX_VERSION = 18

# Months as news agencies abbreviate them, before a day: "Nov. 22", "Sept 3".
_SHORT_MONTH = r"(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?\s+\d{1,2}\b"
_DAY_OF_MONTH_RE = re.compile(
    r"\b(?:(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december)\s+\d{1,2}\b|" + _SHORT_MONTH + ")",
    re.I,
)
_DATE_RE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d|january|february|march|april|may|june|july|august|september"
    r"|october|november|december|decade|weeks?|years?"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|midnight|noon|dawn|dusk"
    r"|" + _SHORT_MONTH + r")\b"
    # A time of day answers "what time" as a date answers "when": "7 p.m.", "06:00".
    r"|\b\d{1,2}(?:[:.]\d\d)?\s*(?:[ap]\.m\.|[ap]m\b)|\b\d{1,2}:\d\d\b",
    re.I,
)
_KIND_OF_KEY = {"who": "who", "when": "when", "where": "where", "why": "why"}
_SENTENCE_END_RE = re.compile(r"(?<=[.!?;])\s+")

# Marks a context term of an entry: its surroundings' words (a passage's document title),
# stored with the entry but neither posted nor counted, so it is never a way in and never
# makes a word look common; the matcher counts it as covering a question's word.
CONTEXT = "~"

# Marks a phrase derived from a fact's words rather than written by a moderator.
DERIVED = "~"

# Dropped by a rebuild: today's tables, and the postings an index before version 16 kept.
_TABLES = ("meta", "docs", "postings", "terms", "words")
# {p} is the index's table prefix: the facts' index is "match", the passages' another.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS {p}_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS {p}_docs (
    row INTEGER PRIMARY KEY,
    fact_id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    head TEXT NOT NULL,
    terms TEXT NOT NULL,
    phrases TEXT NOT NULL,
    kinds TEXT NOT NULL,
    words TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS {p}_terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS {p}_words (word TEXT PRIMARY KEY, df INTEGER NOT NULL)
    WITHOUT ROWID;
-- Typo correction reads the vocabulary from here rather than holding it (a million passages
-- have some 200,000 words): the words of one length and first letter, and the words that
-- differ from a typed one in their first letter only.
CREATE INDEX IF NOT EXISTS {p}_words_shape ON {p}_words (length(word), substr(word, 1, 1));
CREATE INDEX IF NOT EXISTS {p}_words_tail ON {p}_words (substr(word, 2));
"""
_PREFIX_RE = re.compile(r"[a-z][a-z_]*\Z")
_COLUMNS = "fact_id, title, head, terms, phrases, kinds, words, evidence"
_MARKS = ", ".join("?" * len(_COLUMNS.split(",")))
# The meta entry naming the search index's last write (see :mod:`.search`).
_GENERATION = "search"


def fingerprint(glossary: Glossary) -> str:
    """A digest of everything the index depends on besides the facts themselves."""
    material = [
        INDEX_VERSION,
        [list(group) for group in glossary.synonyms],
        sorted(STOPWORDS),
        sorted(LIGHT_WORDS),
        sorted(INTENT_WORDS),
    ]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


def _count_kind(folded: Sequence[str]) -> str:
    # A number in a sentence about deaths is a toll: it answers "how many were killed", not
    # "how many soldiers does Mali have".
    return "toll" if is_casualty(folded) else "count"


def _sentence_kinds(sentence: str) -> set[str]:
    """What the numbers in one sentence count: deaths (a toll) or anything else (a count).

    Each number is judged by the words around it ("had recorded 312 suspected cases and 7
    deaths" holds a count of cases and a toll), so one death in a sentence does not make all
    its numbers tolls; "killed 84 soldiers" and "84 soldiers dead" stay tolls.
    """
    kinds: set[str] = set()
    for number in COUNT_RE.finditer(sentence):
        near = words_before(sentence, number.start(), 2) + words_after(sentence, number.end(), 3)
        kinds.add(_count_kind(near))
    return kinds


def fact_kinds(fact: Fact, answer_words: Sequence[str] | None = None) -> frozenset[str]:
    """The kinds of answer a fact can give: who, when, where, why (from its keys), count (or
    toll, a count of the dead), when, age, and "if" when it says what would follow from
    something.

    ``answer_words``: the words of the answer, if the caller has read them already.
    """
    kinds: set[str] = set()
    for key in (fact.title, *fact.keys):
        first = words_after(key, 0, 2)  # a key's kind is in its first words
        if first and first[0] in _KIND_OF_KEY:
            kinds.add(_KIND_OF_KEY[first[0]])
        if first in (["how", "many"], ["how", "much"]):
            kinds.add(_count_kind(words(key)))
    for sentence in _SENTENCE_END_RE.split(_DAY_OF_MONTH_RE.sub(" ", fact.answer)):
        kinds |= _sentence_kinds(sentence)
    if _DATE_RE.search(fact.answer):
        kinds.add("when")
    answer_words = words(fact.answer) if answer_words is None else answer_words
    if "if" in answer_words:
        kinds.add("if")
    if _gives_age(answer_words):
        kinds.add("age")
    return frozenset(kinds)


def _gives_age(found: Sequence[str]) -> bool:
    """Whether a text of these words can say how old someone or something is ("aged 45",
    "a 45-year-old", "60 years old"): "how old" is not answered by any number."""
    return "aged" in found or any(
        found[i] in ("year", "years") and found[i + 1] == "old" for i in range(len(found) - 1)
    )


@dataclass(frozen=True, slots=True)
class IndexedFact:
    """A fact as the matcher sees it: its terms, its curated head, its key phrases."""

    fact_id: str
    title: str
    head: frozenset[str]
    terms: frozenset[str]
    phrases: tuple[str, ...]
    kinds: frozenset[str]
    words: frozenset[str]
    # What the entry's text bears out, read when it is indexed; only for entries judged from
    # their text (passages), else None.
    evidence: TextEvidence | None = None


@dataclass(frozen=True, slots=True)
class StoredFact:
    """An analysed fact as the index writes it: its row's values, the terms it is searched
    and counted by, its words. Made where the fact is analysed, so that the workers of a
    parallel build (:mod:`.parallel`) do this work too."""

    values: tuple[str, ...]
    posted: tuple[str, ...]
    words: tuple[str, ...]
    searched: str
    context: str

    @property
    def fact_id(self) -> str:
        return self.values[0]


def stored(fact: IndexedFact) -> StoredFact:
    """``fact`` ready to be written (see :class:`StoredFact`)."""
    head, terms, found = sorted(fact.head), sorted(fact.terms), sorted(fact.words)
    values = (
        fact.fact_id,
        fact.title,
        " ".join(head),
        " ".join(terms),
        "\n".join(fact.phrases),
        " ".join(sorted(fact.kinds)),
        " ".join(found),
        "" if fact.evidence is None else fact.evidence.encode(),
    )
    posted, searched, context = _searched(head, terms, fact.phrases)
    return StoredFact(values, posted, tuple(found), searched, context)


def store_fact(fact: Fact, analyzer: Analyzer) -> StoredFact:
    """:func:`index_fact`, ready to be written: what a parallel build's workers run."""
    return stored(index_fact(fact, analyzer))


def index_fact(fact: Fact, analyzer: Analyzer, *, derive: bool = True) -> IndexedFact:
    """Analyse one fact: title, keys and tags are its head; the answer and quotes its body.

    With ``derive``, the questions derived from the fact's own words (see
    :func:`~knowledge.matching.questions.question_forms`), which no moderator confirmed,
    count less than its keys: their words join the body, not the head, and they are compared
    with a question as phrases, as keys are.
    """
    head_texts = (fact.title, *fact.keys, *(tag.replace("-", " ") for tag in fact.tags))
    body_texts = (fact.answer, *(source.quote for source in fact.sources))
    # Each text is analysed once, though a text may be there twice (a passage is its own
    # title and answer): this runs for every fact when an index is built.
    analysed: dict[str, Analysis] = {}

    def analyse(text: str) -> Analysis:
        if (analysis := analysed.get(text)) is None:
            analysis = analysed[text] = analyzer.analyse(text)
        return analysis

    head_analyses = [analyse(text) for text in head_texts]
    head = {term for analysis in head_analyses for term in analysis.terms}
    terms: set[str] = set()
    derived = [analyse(text) for text in question_forms(fact)] if derive else []
    for text in body_texts:
        analyse(text)
    for analysis in analysed.values():
        terms.update(analysis.terms)
        terms.update(analyzer.inner_terms(analysis))
    # A question may abbreviate a name the fact writes out ("EU" of "the European Union").
    terms.update(analyzer.terms(set().union(*map(initialisms, (*head_texts, *body_texts)))))
    # The title and keys, not the tags, are what a question is compared with; then the
    # derived questions. Measured: a fact with few keys is found more often and no
    # abstention is lost; counted as keys (in the head, or for the kinds of answer they
    # ask for), they cost abstentions.
    phrases = tuple(
        dict.fromkeys(
            [
                *(" ".join(analysis.terms) for analysis in head_analyses[: 1 + len(fact.keys)]),
                # A derived question is never quite a key: the mark keeps its similarity to
                # the very same question below 100, so a fact that has it as a key wins.
                *(" ".join((*analysis.terms, DERIVED)) for analysis in derived if analysis.terms),
            ]
        )
    )

    def words_of(text: str) -> Sequence[str]:
        # An analysis holds the text's words, unless the text was longer than it reads.
        return analysed[text].words if len(text) <= MAX_ANALYSED_CHARS else words(text)

    found: set[str] = set()
    for text in dict.fromkeys((*head_texts, *body_texts)):
        found.update(words_of(text))
    return IndexedFact(
        fact.id,
        fact.title,
        frozenset(head),
        frozenset(terms),
        phrases,
        fact_kinds(fact, words_of(fact.answer)),
        frozenset(found),
    )


class TermIndex:
    """Analysed facts and document frequencies in one SQLite connection, and their search
    index (see :mod:`.search`).

    The search index lives beside the database file, in ``<database>.search/<prefix>/``, or
    in memory when the database is; ``directory`` puts it elsewhere. Writes happen in their
    own short transactions; the connection must not be inside another transaction when they
    are called.
    """

    def __init__(
        self, conn: sqlite3.Connection, prefix: str = "match", *, directory: Path | None = None
    ) -> None:
        # The prefix is the caller's constant, never user text: it names the tables.
        if not _PREFIX_RE.match(prefix):
            raise ValueError(f"bad index table prefix {prefix!r}")
        self.conn = conn
        self.prefix = prefix
        self._schema = _SCHEMA.replace("{p}", prefix)
        conn.executescript(self._schema)
        self.search = SearchIndex(directory or _search_directory(conn, prefix))

    # -- bookkeeping ----------------------------------------------------------------------

    def meta(self, name: str) -> str | None:
        """A stored bookkeeping value (fingerprint, indexed revision), or None."""
        row = self.conn.execute(
            f"SELECT value FROM {self.prefix}_meta WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else str(row[0])

    def size(self) -> int:
        """How many facts are indexed."""
        return int(self.conn.execute(f"SELECT count(*) FROM {self.prefix}_docs").fetchone()[0])

    # -- writes ---------------------------------------------------------------------------

    def rebuild(
        self, facts: Iterable[IndexedFact | StoredFact], meta: Mapping[str, str], *, size: int = 0
    ) -> None:
        """Replace the whole index with ``facts`` (one transaction; ``size``: about how many)."""
        generation = SearchIndex.new_generation()
        with (
            self._transaction() as conn,
            self.search.write(generation, replace=True, size=size) as batch,
        ):
            # Dropped, not emptied: an index from an older version may have other columns.
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {self.prefix}_{table}")
            for statement in self._schema.split(";"):
                if statement.strip():
                    conn.execute(statement)
            # Counted in memory and written once: an upsert per term per fact would cost more
            # than the facts themselves. Rows are numbered here, so that they can be written
            # many at a time.
            terms: Counter[str] = Counter()
            found: Counter[str] = Counter()
            first = 1
            for chunk in chunks(map(_as_stored, facts), 500):
                conn.executemany(
                    f"INSERT INTO {self.prefix}_docs (row, {_COLUMNS}) VALUES (?, {_MARKS})",
                    ((first + i, *fact.values) for i, fact in enumerate(chunk)),
                )
                for i, fact in enumerate(chunk):
                    batch.add(first + i, fact.searched, fact.context)
                    terms.update(fact.posted)
                    found.update(fact.words)
                first += len(chunk)
            conn.executemany(f"INSERT INTO {self.prefix}_terms VALUES (?, ?)", terms.items())
            conn.executemany(f"INSERT INTO {self.prefix}_words VALUES (?, ?)", found.items())
            self._set_meta(conn, {**meta, _GENERATION: generation})

    def update(
        self, facts: Iterable[IndexedFact], remove: Iterable[str], meta: Mapping[str, str]
    ) -> None:
        """Re-index ``facts`` and drop the facts ``remove`` names (one transaction).

        ``facts`` is consumed once the write lock is held: when the database is locked the
        call fails at once (see :func:`~knowledge.store.db.no_wait`) without analysing them.
        """
        generation = SearchIndex.new_generation()
        with self._transaction() as conn:
            written = [stored(fact) for fact in facts]
            with self.search.write(generation, size=len(written)) as batch:
                for fact_id in {*remove, *(fact.fact_id for fact in written)}:
                    row = self._delete(conn, fact_id)
                    if row is not None:
                        batch.remove(row)
                for fact in written:
                    cursor = conn.execute(
                        f"INSERT INTO {self.prefix}_docs ({_COLUMNS}) VALUES ({_MARKS})",
                        fact.values,
                    )
                    assert cursor.lastrowid is not None
                    batch.add(cursor.lastrowid, fact.searched, fact.context)
                    _count(conn, f"{self.prefix}_terms", "term", fact.posted, +1)
                    _count(conn, f"{self.prefix}_words", "word", fact.words, +1)
                self._set_meta(conn, {**meta, _GENERATION: generation})

    def sync(self) -> bool:
        """Bring the search index in line with the stored analyses; whether it was rebuilt.

        It is rebuilt (from the stored terms, without analysing any text) when its last
        write is not the database's: a crash between the two commits, a database restored
        from a backup, a search directory lost. Otherwise it only catches up with other
        processes' writes.
        """
        if self.search.generation == self.meta(_GENERATION):
            self.search.reload()
            return False
        generation = SearchIndex.new_generation()
        with self._transaction() as conn:
            rows = conn.execute(f"SELECT row, head, terms, phrases FROM {self.prefix}_docs")
            with self.search.write(generation, replace=True, size=self.size()) as batch:
                for row, head, terms, phrases in rows:
                    _, searched, context = _searched(
                        head.split(), terms.split(), phrases.split("\n")
                    )
                    batch.add(row, searched, context)
                self._set_meta(conn, {_GENERATION: generation})
        return True

    def _transaction(self) -> _Transaction:
        return _Transaction(self.conn)

    def _set_meta(self, conn: sqlite3.Connection, meta: Mapping[str, str]) -> None:
        conn.executemany(
            f"INSERT INTO {self.prefix}_meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            meta.items(),
        )

    def _delete(self, conn: sqlite3.Connection, fact_id: str) -> int | None:
        """Drop one fact's analysis and its counts; the row it had (None if none)."""
        p = self.prefix
        found = conn.execute(
            f"SELECT row, terms, words FROM {p}_docs WHERE fact_id = ?", (fact_id,)
        ).fetchone()
        if found is None:
            return None
        row, terms, found_words = found
        conn.execute(f"DELETE FROM {p}_docs WHERE row = ?", (row,))
        _count(conn, f"{p}_terms", "term", _posted(terms.split()), -1)
        _count(conn, f"{p}_words", "word", found_words.split(), -1)
        return int(row)

    # -- reads ----------------------------------------------------------------------------

    def df(self, terms: Iterable[str]) -> dict[str, int]:
        """How many facts contain each of ``terms`` (absent terms are left out)."""
        wanted = sorted(set(terms))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.conn.execute(
            f"SELECT term, df FROM {self.prefix}_terms WHERE term IN ({marks})", wanted
        )
        return {str(term): int(df) for term, df in rows}

    def top(
        self, clauses: Sequence[Clause], limit: int, require: Iterable[str] | None = None
    ) -> list[int]:
        """The rows of the ``limit`` facts that score best on ``clauses``, best first, of
        those holding one of ``require`` if given (see :meth:`.search.SearchIndex.top`)."""
        return self.search.top(clauses, limit, require)

    def docs(self, rows: Sequence[int]) -> dict[int, IndexedFact]:
        """The analysed facts at ``rows``."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        found = self.conn.execute(
            "SELECT row, fact_id, title, head, terms, phrases, kinds, evidence"
            f" FROM {self.prefix}_docs WHERE row IN ({marks})",
            list(rows),
        )
        return {
            int(row): IndexedFact(
                fact_id,
                title,
                frozenset(head.split()),
                frozenset(terms.split()),
                tuple(phrases.split("\n")),
                frozenset(kinds.split()),
                frozenset(),
                TextEvidence.decode(evidence) if evidence else None,
            )
            for row, fact_id, title, head, terms, phrases, kinds, evidence in found
        }

    def first(self, limit: int) -> list[tuple[str, str]]:
        """``(fact_id, title)`` of the first facts by id: a starting list for autocomplete."""
        rows = self.conn.execute(
            f"SELECT fact_id, title FROM {self.prefix}_docs ORDER BY fact_id LIMIT ?", (limit,)
        )
        return [(str(fact_id), str(title)) for fact_id, title in rows]

    def vocabulary(self) -> list[str]:
        """Every word any indexed fact contains."""
        return [str(word) for (word,) in self.conn.execute(f"SELECT word FROM {self.prefix}_words")]

    def known(self, candidates: Iterable[str]) -> set[str]:
        """Which of ``candidates`` some indexed fact contains as a word."""
        wanted = sorted(set(candidates))
        found: set[str] = set()
        # In slices: SQLite caps the number of parameters of one statement.
        for at in range(0, len(wanted), 500):
            part = wanted[at : at + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                f"SELECT word FROM {self.prefix}_words WHERE word IN ({marks})", part
            )
            found.update(str(word) for (word,) in rows)
        return found

    def words_shaped(self, length: int, initial: str) -> list[str]:
        """The vocabulary's words of ``length`` characters that begin with ``initial``."""
        rows = self.conn.execute(
            f"SELECT word FROM {self.prefix}_words"
            " WHERE length(word) = ? AND substr(word, 1, 1) = ? ORDER BY word",
            (length, initial),
        )
        return [str(word) for (word,) in rows]

    def words_by_shape(self) -> Iterator[tuple[tuple[int, str], list[str]]]:
        """Every word of the vocabulary, a :meth:`words_shaped` bucket at a time."""
        rows = self.conn.execute(
            f"SELECT length(word), substr(word, 1, 1), word FROM {self.prefix}_words"
            " ORDER BY length(word), substr(word, 1, 1), word"
        )
        for (length, initial), group in groupby(rows, key=lambda row: (row[0], row[1])):
            yield (int(length), str(initial)), [str(word) for _, _, word in group]

    def words_with_tail(self, tail: str) -> list[str]:
        """The vocabulary's words that are one character followed by ``tail``."""
        rows = self.conn.execute(
            f"SELECT word FROM {self.prefix}_words WHERE substr(word, 2) = ? ORDER BY word",
            (tail,),
        )
        return [str(word) for (word,) in rows]

    def words_with_prefix(self, prefix: str, limit: int) -> list[str]:
        """Up to ``limit`` of the vocabulary's words that begin with ``prefix``, those more
        facts contain first."""
        # A range on the key rather than LIKE, whose wildcards a prefix could contain.
        rows = self.conn.execute(
            f"SELECT word FROM {self.prefix}_words WHERE word >= ? AND word < ?"
            " ORDER BY df DESC, word LIMIT ?",
            (prefix, prefix + "\U0010ffff", limit),
        )
        return [str(word) for (word,) in rows]


def _posted(terms: Iterable[str]) -> list[str]:
    """The terms that are searched and counted: all but context terms."""
    return [term for term in terms if not term.startswith(CONTEXT)]


def _searched(
    head: Iterable[str], terms: Iterable[str], phrases: Iterable[str]
) -> tuple[tuple[str, ...], str, str]:
    """A fact's searched and counted terms, the text the search index holds of it, and its
    context terms (unmarked) as the search index holds them."""
    terms = list(terms)
    posted = tuple(_posted(terms))
    whole = {phrase for phrase in phrases if " " not in phrase}
    in_head = set(head)
    text = entry_text(
        posted, (t for t in posted if t in in_head), (t for t in posted if t in whole)
    )
    context = " ".join(t[len(CONTEXT) :] for t in terms if t.startswith(CONTEXT))
    return posted, text, context


def _as_stored(fact: IndexedFact | StoredFact) -> StoredFact:
    return fact if isinstance(fact, StoredFact) else stored(fact)


def _search_directory(conn: sqlite3.Connection, prefix: str) -> Path | None:
    """``<database>.search/<prefix>`` beside the main database file; None in memory."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            path = Path(file)
            return path.with_name(f"{path.name}.search") / prefix
    return None


def _count(
    conn: sqlite3.Connection, table: str, column: str, keys: Iterable[str], delta: int
) -> None:
    rows = [(key, delta) for key in keys]
    conn.executemany(
        f"INSERT INTO {table} ({column}, df) VALUES (?, ?)"
        f" ON CONFLICT ({column}) DO UPDATE SET df = df + excluded.df",
        rows,
    )
    if delta < 0:
        conn.execute(f"DELETE FROM {table} WHERE df <= 0")


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        with busy_as_error():
            self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self.conn.execute("COMMIT" if kind is None else "ROLLBACK")
