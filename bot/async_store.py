"""The fact desk, off the event loop: every call runs on ONE thread that owns the connection.

SQLite connections (and sqlite-utils' ``Database``) refuse use from a thread other than the
one that created them, so ``asyncio.to_thread`` (a pool of threads) fails at random. Here a
one-worker executor opens the desk on its own thread and runs every later call there, in
order; the event loop only awaits the result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, TypeVar

from knowledge.curation.curator import Curator
from knowledge.desk import Asked
from knowledge.digest.gaps import Asker, GapReport
from knowledge.digest.jobs import guild_gaps
from knowledge.documents.answers import PassageHit
from knowledge.documents.models import DocumentMeta, DocumentVersion, ReadText
from knowledge.documents.promote import propose
from knowledge.models import Alternative, Answer, DigestSettings, Fact, Pick
from knowledge.store.documents import DocumentStore, IngestResult
from knowledge.store.facts import FactStore

T = TypeVar("T")


class DeskAPI(Protocol):
    """What the bot needs from ``knowledge.desk.Desk``."""

    @property
    def store(self) -> FactStore: ...

    @property
    def documents(self) -> DocumentStore: ...

    def ask(
        self,
        query: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        log: bool = True,
    ) -> Answer: ...

    def answer(
        self,
        query: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        log: bool = True,
    ) -> tuple[Answer, PassageHit | None]: ...

    def respond(
        self,
        query: str,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
        log: bool = True,
    ) -> Asked: ...

    def passage_for(self, answer: Answer) -> PassageHit | None: ...

    def complete(self, prefix: str, limit: int = 25) -> list[Alternative]: ...

    def fact(self, fact_id: str) -> Fact: ...

    def topics(self) -> dict[str, list[Fact]]: ...

    def today(self) -> date: ...


def desk_matcher(desk: DeskAPI) -> Asker | None:
    """The desk's matcher, to re-ask unanswered questions (a stand-in desk may have none)."""
    matcher: Asker | None = getattr(desk, "matcher", None)
    return matcher


class Busy(Exception):
    """Too many questions are waiting for the database; the caller should try again."""


class StoreClosed(Exception):
    """The store was used before :meth:`AsyncDesk.start` or after :meth:`AsyncDesk.close`."""


class AsyncDesk:
    """Awaitable access to a desk that lives on one dedicated thread.

    ``opener`` runs on that thread and returns the desk (it opens the database there).
    Members' lookups (questions, autocomplete, /show, /sources, /topics) are shed under
    overload: once ``max_pending`` calls wait, another raises :class:`Busy` rather than
    letting a flood of questions queue for minutes. Everything else (moderators' changes,
    digests, :meth:`run`) always waits its turn: a change is never dropped because members
    were asking a lot. At a few milliseconds a question, the default 512 drain in about a
    second, far inside the 15 minutes a deferred interaction has; the tests hold 200
    questions and 20 edits at once.
    """

    def __init__(
        self,
        opener: Callable[[], DeskAPI],
        *,
        max_pending: int = 512,
        thread_name: str = "sitrep-db",
    ) -> None:
        self._opener = opener
        self._max_pending = max_pending
        self._thread_name = thread_name
        self._executor: ThreadPoolExecutor | None = None
        self._desk: DeskAPI | None = None
        self._pending = 0
        self.thread_id: int | None = None

    async def start(self) -> None:
        """Start the thread and open the desk on it."""
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._thread_name)
        loop = asyncio.get_running_loop()
        self._desk = await loop.run_in_executor(self._executor, self._open)

    def _open(self) -> DeskAPI:
        self.thread_id = threading.get_ident()
        return self._opener()

    async def run(self, call: Callable[[DeskAPI], T], *, shed: bool = False) -> T:
        """Run ``call(desk)`` on the desk's thread and return its result.

        With ``shed`` (members' lookups) the call is refused with :class:`Busy` when
        ``max_pending`` calls are already waiting; without it, it always queues.
        """
        if self._executor is None or self._desk is None:
            raise StoreClosed("the fact store is not open")
        if shed and self._pending >= self._max_pending:
            raise Busy(f"{self._pending} calls already waiting")
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, call, self._desk
            )
        finally:
            self._pending -= 1

    async def ask(self, query: str, *, guild_id: int | None, channel_id: int | None) -> Answer:
        """Match a question (the desk logs it, with where it was asked but never who asked)."""
        return await self.run(
            lambda d: d.ask(query, guild_id=guild_id, channel_id=channel_id), shed=True
        )

    async def ask_dated(
        self, query: str, *, guild_id: int | None, channel_id: int | None
    ) -> tuple[Answer, PassageHit | None, date]:
        """:meth:`ask`, the unreviewed passage that answers what no fact does (if one does),
        and the desk's today (to judge staleness), in one trip to the thread."""
        asked, today = await self.respond(query, guild_id=guild_id, channel_id=channel_id)
        return asked.answer, asked.passage, today

    async def respond(
        self, query: str, *, guild_id: int | None, channel_id: int | None
    ) -> tuple[Asked, date]:
        """:meth:`ask_dated` as one :class:`~knowledge.desk.Asked`, which also carries the
        question's id in the query log (for the "did you mean" buttons), and today."""
        return await self.run(
            lambda d: (d.respond(query, guild_id=guild_id, channel_id=channel_id), d.today()),
            shed=True,
        )

    async def pick_suggestion(
        self, fact_id: str, *, query_id: int | None, user_id: int, guild_id: int | None
    ) -> tuple[Fact, date]:
        """The fact a "did you mean" click shows, and today, in one trip to the thread.

        With ``query_id`` (the asker's own click on the suggestions of that logged question)
        the pick is recorded too: the asker said the fact answers the question. A pick the
        store refuses (not a miss of this server, a retired fact) or cannot take at once
        (another process is writing) is left out; the click shows the fact all the same.
        """

        def call(desk: DeskAPI) -> tuple[Fact, date]:
            fact = desk.fact(fact_id)
            if query_id is not None and guild_id is not None:
                desk.store.picks.record(query_id, fact.id, user_id, guild_id=guild_id)
            return fact, desk.today()

        return await self.run(call, shed=True)

    async def complete(self, prefix: str, limit: int = 25) -> list[Alternative]:
        """Suggestions for a partly typed question."""
        return await self.run(lambda d: d.complete(prefix, limit), shed=True)

    async def fact(self, fact_id: str) -> Fact:
        """One fact by id (raises ``FactNotFound``)."""
        return await self.run(lambda d: d.fact(fact_id), shed=True)

    async def fact_and_today(self, fact_id: str) -> tuple[Fact, date]:
        """One fact and the desk's today, in one trip to the thread."""
        return await self.run(lambda d: (d.fact(fact_id), d.today()), shed=True)

    async def topics(self) -> dict[str, list[Fact]]:
        """Active facts grouped by tag."""
        return await self.run(lambda d: d.topics(), shed=True)

    async def today(self) -> date:
        """The desk's today (staleness is judged against it)."""
        return await self.run(lambda d: d.today(), shed=True)

    async def curate(self, actor: str, guild_id: int | None, call: Callable[[Curator], T]) -> T:
        """Run a moderator action (``call`` gets a :class:`Curator` acting as ``actor``).

        Like every call it runs on the store's one thread, so moderators' writes are
        serialised with each other and with the questions being answered. It is never shed:
        however many questions wait, the change waits its turn and is made.
        """
        return await self.run(
            lambda d: call(Curator(d.store, actor, guild_id=guild_id, today=d.today()))
        )

    # Moderators' and feedback calls below always queue (never shed), like :meth:`curate`.

    async def promotion(self, document_id: str, start: int, end: int) -> Fact:
        """The fact a document's passage ``start:end`` proposes (see ``documents.promote``);
        raises ``DocumentNotFound`` or ``DocumentError`` when there is no such passage."""

        def call(desk: DeskAPI) -> Fact:
            passage, meta, text = desk.documents.passage(document_id, start, end)
            return propose(passage, meta, text, today=desk.today())

        return await self.run(call)

    async def record_feedback(
        self,
        message_id: int,
        user_id: int,
        vote: int,
        *,
        fact_id: str,
        guild_id: int | None,
        channel_id: int,
    ) -> bool:
        """Record one person's vote (+1 or -1) on one answer; ``False`` if nothing changed."""
        return await self.run(
            lambda d: d.store.feedback.record(
                message_id,
                user_id,
                vote,
                fact_id=fact_id,
                guild_id=guild_id,
                channel_id=channel_id,
            )
        )

    async def digest_settings(self, guild_id: int) -> DigestSettings | None:
        """The server's digest settings, or ``None`` if it never set one up."""
        return await self.run(lambda d: d.store.digests.settings(guild_id))

    async def pick(self, query_id: int, fact_id: str) -> Pick | None:
        """The pick of ``fact_id`` for logged question ``query_id``, if there was one."""
        return await self.run(lambda d: d.store.picks.get(query_id, fact_id))

    async def gap_report(self, guild_id: int, now: datetime, days: int) -> GapReport:
        """The server's questions without an answer over the ``days`` days up to ``now``."""
        return await self.run(lambda d: guild_gaps(d.store, guild_id, now, days, desk_matcher(d)))

    async def close(self) -> None:
        """Close the desk on its own thread, then stop the thread."""
        executor, desk = self._executor, self._desk
        self._executor = self._desk = None
        if executor is None:
            return
        closer = getattr(desk, "close", None)
        try:
            if callable(closer):
                await asyncio.get_running_loop().run_in_executor(executor, closer)
        finally:
            executor.shutdown(wait=False, cancel_futures=True)

    async def __aenter__(self) -> AsyncDesk:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Source documents, for the moderators' /source commands: never shed, like :meth:`curate`.

    async def ingest_document(
        self, read: ReadText, meta: DocumentMeta, *, actor: str, file_name: str
    ) -> IngestResult:
        """Ingest a checked document (raises ``DocumentError``s as ``documents.ingest`` does).

        An unchanged or restored document reports the passages of its current version, not
        the none it wrote."""

        def call(desk: DeskAPI) -> IngestResult:
            result = desk.documents.ingest(read, meta, actor=actor, file_name=file_name)
            if result.passages:
                return result
            current = _current_version(desk, result.document_id)
            return replace(result, passages=current.passages) if current else result

        return await self.run(call)

    async def sources(self, *, include_removed: bool = False) -> list[DocumentVersion]:
        """The current version of every ingested document, newest ingest first."""
        return await self.run(lambda d: d.documents.sources(include_removed=include_removed))

    async def source(self, document_id: str) -> DocumentVersion | None:
        """The current version of one ingested document, removed or not, if there is one."""
        return await self.run(lambda d: _current_version(d, document_id))

    async def remove_source(self, document_id: str, *, actor: str) -> bool:
        """Stop a document answering; ``False`` if it was already removed (raises
        ``DocumentNotFound`` for an id never ingested)."""
        return await self.run(lambda d: d.documents.remove(document_id, actor=actor))


def _current_version(desk: DeskAPI, document_id: str) -> DocumentVersion | None:
    rows = desk.documents.sources(include_removed=True)
    return next((row for row in rows if row.meta.id == document_id), None)
