"""The core's values: immutable dataclasses that every layer passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal, NamedTuple

from .documents.models import DocumentVersion

FactStatus = Literal["active", "retired"]
AnswerStatus = Literal["answered", "no_match"]
# What the query log records: the matcher's verdict, or "passage" for a question no fact
# answered but an unreviewed passage of an ingested document did.
QueryStatus = Literal["answered", "no_match", "passage"]


@dataclass(frozen=True, slots=True)
class Document:
    """A source document that facts quote from (e.g. one published brief)."""

    id: str
    title: str
    publisher: str
    published: date | None
    url: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    """One citation of a fact: where it comes from and the verbatim quote that supports it.

    ``document`` names a :class:`Document` when the quote can be checked against its text;
    a URL-only source leaves it ``None`` and carries its own title, publisher and date.
    """

    quote: str
    document: str | None = None
    title: str = ""
    publisher: str = ""
    published: date | None = None
    url: str = ""


@dataclass(frozen=True, slots=True)
class Fact:
    """A curated, sourced statement that answers a family of questions."""

    id: str
    title: str
    answer: str
    as_of: date
    sources: tuple[Source, ...]
    keys: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    review_by: date | None = None
    status: FactStatus = "active"
    locked: bool = False
    rev: int = 0

    def is_stale(self, today: date) -> bool:
        """True once the fact's review date has passed."""
        return self.review_by is not None and today > self.review_by


@dataclass(frozen=True, slots=True)
class Revision:
    """One recorded change of a fact; revisions are append-only.

    ``before`` and ``after`` are the fact's full content as plain data (``None`` for
    "did not exist"), so any revision can be shown as a diff or restored.
    """

    id: int
    fact_id: str
    rev: int
    action: str
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str = ""
    guild_id: int | None = None


@dataclass(frozen=True, slots=True)
class Alternative:
    """A "did you mean" suggestion."""

    id: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The matcher's verdict on one query: a fact, or an honest no_match with suggestions."""

    query: str
    status: AnswerStatus
    score: float
    fact: Fact | None = None
    alternatives: tuple[Alternative, ...] = field(default_factory=tuple)

    @property
    def answered(self) -> bool:
        """True when a fact answers the query."""
        return self.status == "answered" and self.fact is not None


@dataclass(frozen=True, slots=True)
class Glossary:
    """Matching vocabulary: groups of words or phrases that mean the same thing to a reader.

    Each group's first term is its canonical form; matching rewrites every term of a group,
    in facts and queries alike, to that form.
    """

    synonyms: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What a load or import did (or, with ``dry_run``, would do), by fact id."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class QueryRecord:
    """One logged question: what was asked and what the bot answered (never who asked).

    ``fact_id`` names the fact that answered (status "answered"), ``passage_id`` the passage
    (status "passage", see :attr:`~knowledge.documents.models.Passage.id`).
    """

    id: int
    at: datetime
    query: str
    status: QueryStatus
    fact_id: str | None
    score: float
    guild_id: int | None = None
    channel_id: int | None = None
    passage_id: str | None = None


@dataclass(frozen=True, slots=True)
class Pick:
    """A "did you mean" pick: a question logged without an answer, and the fact its asker
    then chose from the suggestions, as the question's answer in their view.

    ``query`` is the question's text as asked (copied from the query log, row ``query_id``).
    Never who picked: ``picker`` is a keyed hash that only tells different people apart.
    """

    id: int
    at: datetime
    query_id: int
    query: str
    fact_id: str
    guild_id: int | None = None
    picker: str = ""


# --- digests, feedback ---------------------------------------------------------------------

DigestSchedule = Literal["daily", "weekly"]
DigestRunStatus = Literal["posted", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """A guild's digest: where it goes, when (local time in an IANA zone), and whether at all.

    ``weekday`` (0 = Monday … 6 = Sunday) is set for weekly digests only. ``configured_at``
    is when these settings were last changed: slots before it are never due (see
    :func:`knowledge.digest.due_periods`). ``disabled_reason`` says why the bot turned a
    digest off (say, it lost access to the channel).
    """

    guild_id: int
    channel_id: int
    schedule: DigestSchedule
    local_time: time
    timezone: str
    weekday: int | None = None
    enabled: bool = True
    skip_empty: bool = False
    configured_by: str = ""
    configured_at: datetime | None = None
    disabled_reason: str = ""


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What happened to one digest period of one guild: posted, skipped or (so far) failed.

    ``covered_until`` is the end of the time window the digest covered, where one was
    recorded: the next digest starts there.
    """

    id: int
    guild_id: int
    period_key: str
    status: DigestRunStatus
    at: datetime
    message_id: int | None = None
    note: str = ""
    attempts: int = 1
    covered_until: datetime | None = None


class FeedbackCount(NamedTuple):
    """Votes on answers that gave one fact: ``(fact_id, up, down)``."""

    fact_id: str
    up: int
    down: int


@dataclass(frozen=True, slots=True)
class DigestInputs:
    """What a digest is built from, as read from the store for one time window.

    ``facts`` holds every fact, retired ones included (for titles), and ``documents`` the
    current version of every ingested document, removed ones included (for the titles of
    the passages that answered); ``revisions``, ``queries``, ``feedback``, ``ingested``
    (the document versions ingested) and ``picks`` (of "did you mean" suggestions) only what
    happened inside the window.
    """

    facts: tuple[Fact, ...]
    revisions: tuple[Revision, ...] = ()
    queries: tuple[QueryRecord, ...] = ()
    feedback: tuple[FeedbackCount, ...] = ()
    documents: tuple[DocumentVersion, ...] = ()
    ingested: tuple[DocumentVersion, ...] = ()
    picks: tuple[Pick, ...] = ()
