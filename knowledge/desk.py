"""The desk: one object that answers questions from the store, for the CLI and the bot alike.

It keeps an in-memory :class:`~knowledge.matcher.Matcher` over the active facts and rebuilds
it only when the store reports a committed change, so asking costs a few milliseconds while
moderators' edits show up in the very next answer.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Final, TypeVar

from .curation.files import load_seeds
from .curation.sources import load_glossary
from .documents.answers import (
    PASSAGE_INDEX,
    PASSAGE_INDEX_VERSION,
    PassageHit,
    PassageMatcher,
    index_passages,
    store_passage,
)
from .errors import FactNotFound, StoreBusy
from .matching.index import TermIndex, fingerprint, index_fact, store_fact
from .matching.lexicon import is_english_word
from .matching.matcher import MatchConfig, Matcher, Scored
from .matching.parallel import analysed
from .matching.text import Analyzer, words
from .models import Alternative, Answer, Fact, Glossary, SyncReport
from .store.backup import backup_before_migration
from .store.db import no_wait, open_db, utc_now
from .store.documents import DocumentStore
from .store.facts import FactStore

_T = TypeVar("_T")
Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: how far :meth:`Desk.reindex` has got."""
# How many entries are analysed between two reports of progress.
PROGRESS_EVERY: Final = 500


@dataclass(frozen=True, slots=True)
class Asked:
    """A question answered: the verdict, the passage that answered what no fact did (if
    one did), and the question's id in the query log (``None`` when it was not logged, or
    was held back because another process was writing)."""

    answer: Answer
    passage: PassageHit | None = None
    query_id: int | None = None


class Desk:
    """Answers questions from a :class:`FactStore`, logging each one for the gaps report."""

    def __init__(
        self,
        store: FactStore,
        glossary: Glossary,
        *,
        clock: Callable[[], datetime] = utc_now,
        config: MatchConfig | None = None,
    ) -> None:
        self.store = store
        self.glossary = glossary
        self.clock = clock
        self._config = config
        self._analyzer = Analyzer(glossary)
        self._fingerprint = fingerprint(glossary)
        self._index = TermIndex(store.db.conn)
        self._matcher: Matcher | None = None
        self._built_at = -1
        self.documents = DocumentStore(store.db, clock=clock)
        self._passage_index = TermIndex(store.db.conn, PASSAGE_INDEX)
        self._passage_fingerprint = f"{self._fingerprint}:{PASSAGE_INDEX_VERSION}"
        self._passages: PassageMatcher | None = None
        self._passages_at = -1

    def close(self) -> None:
        """Close the database connection; the desk must not be used afterwards.

        Questions still held back by a locked database are written first, waiting the busy
        timeout at most; after that they are dropped (the query log feeds statistics, never a
        fact or its history)."""
        try:
            with contextlib.suppress(StoreBusy):
                self.store.queries.flush()
        finally:
            self.store.db.close()

    def today(self) -> date:
        """Today's date by the desk's clock (staleness is judged against it)."""
        return self.clock().date()

    @property
    def matcher(self) -> Matcher:
        """The matcher over the active facts, caught up with any change to the store."""
        changes = self.store.changes
        if self._matcher is None or self._built_at != changes:
            try:
                with no_wait(self.store.db.conn):
                    self._refresh_index()
            except StoreBusy:
                # Another process is writing. A reader never waits for the write lock: it
                # answers from the index as last committed (a changed fact is looked up fresh,
                # a retired one is skipped) and catches up on a later question.
                if self._matcher is None:
                    self._matcher = self._over_index()
                return self._matcher
            self._built_at = changes
            self._matcher = self._over_index()
        return self._matcher

    def _over_index(self) -> Matcher:
        return Matcher.over(self._index, self._analyzer, self._active, self._config)

    def _refresh_index(self) -> None:
        """Bring the term index up to date: only the facts changed since it was last written,
        or everything when the glossary or the analysis rules changed."""
        if self._index.meta("fingerprint") != self._fingerprint:
            self._rebuild_facts()
            return
        self._index.sync()
        changed, newest = self.store.changed_since(int(self._index.meta("revision") or 0))
        if changed:
            active = [fact for fact in map(self._active, changed) if fact is not None]
            self._index.update(
                (index_fact(fact, self._analyzer) for fact in active),
                remove=changed,
                meta={"revision": str(newest)},
            )

    def _active(self, fact_id: str) -> Fact | None:
        try:
            fact = self.store.get(fact_id)
        except FactNotFound:
            return None
        return fact if fact.status == "active" else None

    def ask(
        self,
        query: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        log: bool = True,
    ) -> Answer:
        """Answer ``query`` from the facts alone; a query with any content is logged (never
        who asked). Where a passage may answer instead, use :meth:`answer`."""
        answer = self.matcher.ask(query)
        if log and words(query):
            self.store.queries.log(answer, guild_id=guild_id, channel_id=channel_id)
        return answer

    def answer(
        self,
        query: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        log: bool = True,
    ) -> tuple[Answer, PassageHit | None]:
        """Answer ``query`` from the facts, else from a passage (see :meth:`passage_for`).

        A query with any content is logged once, after the passage check, so that one a
        passage answered is logged as such (status "passage") and not as a gap."""
        asked = self.respond(query, guild_id=guild_id, channel_id=channel_id, log=log)
        return asked.answer, asked.passage

    def respond(
        self,
        query: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        log: bool = True,
    ) -> Asked:
        """:meth:`answer`, with the query log's id for the question (``None`` if it was not
        logged, or not yet), so that a later "did you mean" pick can name it."""
        answer = self.matcher.ask(query)
        hit = self.passage_for(answer)
        query_id = None
        if log and words(query):
            query_id = self.store.queries.log(
                answer, passage=hit, guild_id=guild_id, channel_id=channel_id
            )
        return Asked(answer, hit, query_id)

    @property
    def passage_matcher(self) -> PassageMatcher:
        """The matcher over active documents' passages, caught up with any ingest or removal."""
        generation = self.documents.generation()
        if self._passages is None or self._passages_at != generation:
            try:
                with no_wait(self.store.db.conn):
                    self._refresh_passage_index()
            except StoreBusy:
                # As for facts: answer from the passage index as last committed meanwhile.
                if self._passages is None:
                    self._passages = self._over_passages()
                return self._passages
            self._passages_at = generation
            self._passages = self._over_passages()
        return self._passages

    def _over_passages(self) -> PassageMatcher:
        return PassageMatcher.over(
            self._passage_index, self._analyzer, self.documents.passage_by_id
        )

    def _refresh_passage_index(self) -> None:
        """Bring the passage index up to date: the passages of the documents ingested,
        removed or restored since it was last written, or all of them when the glossary or
        the analysis rules changed."""
        index = self._passage_index
        if index.meta("fingerprint") != self._passage_fingerprint:
            self._rebuild_passages()
            return
        index.sync()
        changed, newest = self.documents.changed_since(int(index.meta("event") or 0))
        if changed:
            stale = [pid for doc in sorted(changed) for pid in self.documents.passage_ids(doc)]
            index.update(
                index_passages(self.documents.passages(changed), self._analyzer),
                remove=stale,
                meta={"event": str(newest)},
            )

    def _rebuild_facts(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every active fact afresh (one transaction); how many were indexed."""
        _, newest = self.store.changed_since(0)
        facts = self.store.facts()
        self._index.rebuild(
            _with_progress(
                analysed(facts, store_fact, self.glossary, size=len(facts)), len(facts), progress
            ),
            {"fingerprint": self._fingerprint, "revision": str(newest)},
            size=len(facts),
        )
        return len(facts)

    def _rebuild_passages(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Index every active document's passages afresh (one transaction); how many."""
        newest = self.documents.generation()
        total = self.documents.passage_count()
        passages = self.documents.passages()
        self._passage_index.rebuild(
            _with_progress(
                analysed(passages, store_passage, self.glossary, size=total), total, progress
            ),
            {"fingerprint": self._passage_fingerprint, "event": str(newest)},
            size=total,
        )
        return total

    def reindex(self, progress: Progress | None = None) -> tuple[int, int]:
        """Rebuild the facts' and the passages' indexes from the store, whatever state they
        are in; ``(facts, passages)`` indexed.

        Each index is rebuilt in one transaction, so an interrupted rebuild leaves it as it
        was: safe to stop at any moment and run again. ``progress(what, done, total)`` is
        called as entries are analysed (``what`` is "facts" or "passages").
        """
        try:
            facts = self._rebuild_facts(partial(progress, "facts") if progress else None)
            passages = self._rebuild_passages(partial(progress, "passages") if progress else None)
        finally:
            # The matchers remember entries by index row, which a rebuild renumbers: they
            # are built again over the new indexes on the next question, even when only the
            # first rebuild went through.
            self._matcher = self._passages = None
        return facts, passages

    def passage_for(self, answer: Answer) -> PassageHit | None:
        """The passage answering a question no curated fact answered (facts always win)."""
        if answer.answered or not words(answer.query):
            return None
        return self.passage_matcher.ask(answer.query)

    def warm(self) -> None:
        """Build both matchers, read their vocabularies and load the English word list now, not on
        the first question: a long-running process (the bot) pays for them at start-up."""
        self.passage_matcher.ask(self.matcher.ask("warm up the matcher").query)
        self.matcher.warm()
        self.passage_matcher.warm()
        is_english_word("warm")

    def explain(self, query: str, limit: int = 5) -> list[Scored]:
        """The top candidates for ``query`` with their score parts."""
        return self.matcher.explain(query, limit)

    def complete(self, prefix: str, limit: int = 25) -> list[Alternative]:
        """Facts fitting a partly typed query, for autocomplete (at most 25)."""
        return self.matcher.complete(prefix, limit)

    def fact(self, fact_id: str) -> Fact:
        """The fact with that id, whatever its status; raises FactNotFound."""
        return self.store.get(fact_id)

    def topics(self) -> dict[str, list[Fact]]:
        """Active facts grouped by tag, tags in alphabetical order; untagged under "other"."""
        groups: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.store.facts():
            for tag in fact.tags or ("other",):
                groups[tag].append(fact)
        return {tag: groups[tag] for tag in sorted(groups)}


def _with_progress(
    entries: Iterable[_T], total: int, progress: Callable[[int, int], None] | None
) -> Iterator[_T]:
    """``entries``, reporting ``(done, total)`` every :data:`PROGRESS_EVERY` and at the end."""
    done = 0
    for done, entry in enumerate(entries, 1):
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
        yield entry
    if progress is not None:
        progress(done, total)


def load_seed_dir(
    store: FactStore,
    seeds: Path,
    *,
    actor: str,
    dry_run: bool = False,
    today: date | None = None,
) -> SyncReport:
    """Sync the fact set in ``seeds`` into the store: validated whole first, then all-or-nothing.

    With ``today``, an ``as_of`` after it is refused while reading, with its file and line.
    """
    fact_set = load_seeds(seeds, today=today)
    return store.sync(fact_set.documents, fact_set.facts, actor=actor, dry_run=dry_run)


def open_desk(
    db_path: str | Path,
    seeds: Path,
    *,
    clock: Callable[[], datetime] = utc_now,
    config: MatchConfig | None = None,
) -> Desk:
    """Open (or create) the database; a database with no facts yet is filled from ``seeds``.

    A database with an older schema is backed up beside itself (``backups/``) before the
    store migrates it.
    """
    if str(db_path) != ":memory:":
        backup_before_migration(Path(db_path), now=clock())
    store = FactStore(open_db(db_path), clock=clock)
    # An emptiness check, not a load: at 100k facts loading them all took seconds.
    if store.is_empty():
        load_seed_dir(store, seeds, actor="sitrep:first-run", today=clock().date())
    glossary_path = seeds / "glossary.toml"
    glossary = load_glossary(glossary_path) if glossary_path.exists() else Glossary()
    return Desk(store, glossary, clock=clock, config=config)
