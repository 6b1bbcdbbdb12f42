"""What a digest says. Pure: no I/O.

Content
    :func:`build_digest` turns what the store recorded in a time window
    (:class:`~knowledge.models.DigestInputs`) into a :class:`Digest`: new and changed facts,
    new source documents, facts due for review, the most asked facts, the questions only an
    unreviewed passage answered (curation candidates), the top unanswered questions (grouped
    by :mod:`.gaps`), the questions whose askers picked their answer from the "did you
    mean" suggestions (proposed keys) and facts with negative feedback.
    :func:`digest_layout` arranges it as titled sections of short lines for any surface;
    :func:`render_digest_text` as plain text.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from ..documents.models import DOCUMENT_ACTIVE, DocumentVersion
from ..models import DigestInputs, Fact, QueryRecord, Revision
from .gaps import (
    Asker,
    FactFeedback,
    Gap,
    GapReport,
    PickedQuestion,
    clean_text,
    disliked_facts,
    group_unanswered,
    picked_questions,
    without_picked,
)
from .schedule import _aware

TOP = 5
"""Entries per ranked section (most asked, passage answers, unanswered, negative feedback)."""
MAX_LINES = 10
"""Lines per section before "… and N more"."""
MAX_LINE = 100
"""Characters per line: an embed field of 10 such lines stays well under Discord's 1024."""
MAX_TITLE = 60
MAX_EXAMPLES = 3
"""Phrasings kept per passage that answered questions (the most asked first)."""
PASSAGES_TITLE = "Asked and answered only from unreviewed passages"
PICKED_TITLE = "Asked, then picked from the suggestions"
_CONTENT_FIELDS = ("title", "answer", "keys", "tags", "as_of", "review_by", "sources")
# --- content -------------------------------------------------------------------------------

ChangeKind = Literal["new", "changed", "retired", "restored"]


@dataclass(frozen=True, slots=True)
class FactChange:
    """A fact that is new or changed in the window; ``fields`` names what changed."""

    fact_id: str
    title: str
    kind: ChangeKind
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewDue:
    """An active fact whose review date has passed."""

    fact_id: str
    title: str
    review_by: date


@dataclass(frozen=True, slots=True)
class AskedFact:
    """A fact that answered questions in the window, and how many."""

    fact_id: str
    title: str
    count: int


@dataclass(frozen=True, slots=True)
class NewDocument:
    """A source document ingested in the window (its newest version there), still active.

    ``version`` above 1 with ``first`` false: a new version of a document ingested before.
    """

    document_id: str
    title: str
    publisher: str
    passages: int
    version: int = 1
    first: bool = True


@dataclass(frozen=True, slots=True)
class PassageAnswered:
    """A passage that answered questions no fact did: a candidate for a curated fact.

    ``passage_id`` is ``DOC@VERSION:START-END``; ``examples`` are the questions asked,
    most asked first.
    """

    passage_id: str
    document_id: str
    title: str
    count: int
    last_asked: datetime
    examples: tuple[str, ...] = ()

    @property
    def span(self) -> str:
        """``START-END``, the passage's offsets as `sitrep promote` takes them ("" if the id
        has none)."""
        return self.passage_id.rpartition("@")[2].partition(":")[2]


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one digest reports for the window ``since``–``until``.

    ``questions`` counts the questions asked in the window, ``unanswered_count`` those
    that got no answer and ``passage_count`` those only an unreviewed passage answered; the
    ranked sections hold at most :data:`TOP` entries each.
    """

    since: datetime
    until: datetime
    today: date
    new: tuple[FactChange, ...] = ()
    changed: tuple[FactChange, ...] = ()
    review_due: tuple[ReviewDue, ...] = ()
    most_asked: tuple[AskedFact, ...] = ()
    unanswered: tuple[Gap, ...] = ()
    disliked: tuple[FactFeedback, ...] = ()
    questions: int = 0
    unanswered_count: int = 0
    new_documents: tuple[NewDocument, ...] = ()
    from_passages: tuple[PassageAnswered, ...] = ()
    passage_count: int = 0
    picked: tuple[PickedQuestion, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to report."""
        return not (
            self.new
            or self.changed
            or self.review_due
            or self.most_asked
            or self.unanswered
            or self.disliked
            or self.new_documents
            or self.from_passages
            or self.picked
        )


def build_digest(
    inputs: DigestInputs,
    *,
    since: datetime,
    until: datetime,
    today: date,
    matcher: Asker | None = None,
    top: int = TOP,
) -> Digest:
    """The digest of ``since`` (inclusive) to ``until`` (exclusive), both timezone-aware.

    Revisions, document versions and queries outside the window are ignored;
    ``inputs.feedback`` is taken as given (it comes pre-counted for the window). ``today``
    decides which facts are due for review. With a ``matcher``, unanswered questions and
    questions answered from a passage that a fact answers now are left out (the gap was
    closed, the passage curated), and unanswered ones carry their closest facts.
    Questions picked for from the "did you mean" suggestions are listed as proposed keys
    (see :func:`~.gaps.picked_questions`) and not again among the unanswered ones.
    """
    _aware(since)
    _aware(until)
    if since > until:
        raise ValueError("since must not be after until")
    facts = {fact.id: fact for fact in inputs.facts}
    revisions = [r for r in inputs.revisions if since <= r.at < until]
    queries = [q for q in inputs.queries if since <= q.at < until]
    ingested = [d for d in inputs.ingested if since <= _utc(d.ingested_at) < until]
    new, changed = _changes(revisions, facts)
    asked = Counter(q.fact_id for q in queries if q.status == "answered" and q.fact_id)
    picks = [p for p in inputs.picks if since <= p.at < until]
    picked = picked_questions(picks, facts, matcher)
    return Digest(
        since=since,
        until=until,
        today=today,
        new=tuple(new),
        changed=tuple(changed),
        review_due=tuple(_review_due(facts.values(), today)),
        most_asked=tuple(
            AskedFact(fact_id, _title(facts, fact_id), count)
            for fact_id, count in sorted(asked.items(), key=lambda item: (-item[1], item[0]))[:top]
        ),
        unanswered=tuple(group_unanswered(without_picked(queries, picked), matcher, limit=top)),
        disliked=tuple(disliked_facts(inputs.feedback, facts)[:top]),
        questions=len(queries),
        unanswered_count=sum(q.status == "no_match" for q in queries),
        new_documents=tuple(_new_documents(ingested)),
        from_passages=tuple(
            passage_answers(queries, inputs.documents, matcher, limit=top),
        ),
        passage_count=sum(q.status == "passage" for q in queries),
        picked=tuple(picked[:top]),
    )


def passage_answers(
    queries: Iterable[QueryRecord],
    documents: Iterable[DocumentVersion] = (),
    matcher: Asker | None = None,
    *,
    limit: int | None = None,
) -> list[PassageAnswered]:
    """Questions answered from a passage (status "passage"), grouped by passage, most
    asked first; ``documents`` give the titles (a passage of an unknown one shows its id).

    With a ``matcher``, a question a fact answers now is left out: the passage was curated.
    """
    titles = {d.meta.id: d.meta.title for d in documents}
    grouped: dict[str, list[QueryRecord]] = defaultdict(list)
    answered_now: dict[str, bool] = {}
    for record in queries:
        if record.status != "passage" or not record.passage_id:
            continue
        if matcher is not None:
            if record.query not in answered_now:
                answered_now[record.query] = matcher.ask(record.query).answered
            if answered_now[record.query]:
                continue
        grouped[record.passage_id].append(record)
    found = []
    for passage_id, records in grouped.items():
        document_id = passage_id.rpartition("@")[0] or passage_id
        spellings = Counter(clean_text(r.query) for r in records)
        found.append(
            PassageAnswered(
                passage_id=passage_id,
                document_id=document_id,
                title=titles.get(document_id, document_id),
                count=len(records),
                last_asked=max(r.at for r in records),
                examples=tuple(text for text, _ in spellings.most_common(MAX_EXAMPLES)),
            )
        )
    found.sort(key=lambda p: (-p.count, -p.last_asked.timestamp(), p.passage_id))
    return found if limit is None else found[: max(0, limit)]


def _new_documents(ingested: Iterable[DocumentVersion]) -> list[NewDocument]:
    """Each document ingested in the window once, as its newest version there; documents
    removed since are left out (they no longer answer)."""
    by_id: dict[str, list[DocumentVersion]] = defaultdict(list)
    for version in ingested:
        by_id[version.meta.id].append(version)
    found = []
    for document_id in sorted(by_id):
        versions = sorted(by_id[document_id], key=lambda v: v.version)
        newest = versions[-1]
        if newest.status != DOCUMENT_ACTIVE:
            continue
        found.append(
            NewDocument(
                document_id=document_id,
                title=newest.meta.title,
                publisher=newest.meta.publisher,
                passages=newest.passages,
                version=newest.version,
                first=versions[0].version == 1,
            )
        )
    return found


def _utc(moment: datetime) -> datetime:
    """A stored time as an aware one: the store takes a naive time as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _title(facts: dict[str, Fact], fact_id: str) -> str:
    fact = facts.get(fact_id)
    return fact.title if fact is not None else fact_id


def _changes(
    revisions: Sequence[Revision], facts: dict[str, Fact]
) -> tuple[list[FactChange], list[FactChange]]:
    """New and changed facts: each fact's state before its first and after its last revision."""
    by_fact: dict[str, list[Revision]] = defaultdict(list)
    for revision in revisions:
        by_fact[revision.fact_id].append(revision)
    new: list[FactChange] = []
    changed: list[FactChange] = []
    for fact_id in sorted(by_fact):
        ordered = sorted(by_fact[fact_id], key=lambda r: (r.rev, r.id))
        before, after = ordered[0].before, ordered[-1].after
        if after is None:
            continue
        title = str(after.get("title") or _title(facts, fact_id))
        retired = after.get("status") == "retired"
        if before is None:
            if not retired:  # added and retired within one window: nothing to tell
                new.append(FactChange(fact_id, title, "new"))
            continue
        fields = tuple(name for name in _CONTENT_FIELDS if before.get(name) != after.get(name))
        was_retired = before.get("status") == "retired"
        if retired and not was_retired:
            changed.append(FactChange(fact_id, title, "retired", fields))
        elif was_retired and not retired:
            changed.append(FactChange(fact_id, title, "restored", fields))
        elif fields and not retired:
            changed.append(FactChange(fact_id, title, "changed", fields))
    return new, changed


def _review_due(facts: Iterable[Fact], today: date) -> list[ReviewDue]:
    due = [
        ReviewDue(fact.id, fact.title, fact.review_by)
        for fact in facts
        if fact.status == "active" and fact.review_by is not None and fact.is_stale(today)
    ]
    due.sort(key=lambda item: (item.review_by, item.fact_id))
    return due


# --- layout --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    """A titled list of short lines: an embed field, or a block of plain text."""

    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestLayout:
    """A digest arranged for any surface: a title, a one-line summary and sections.

    Lines are plain text, at most :data:`MAX_LINE` characters, free of control and
    invisible characters. Unanswered questions are user text: a chat surface must still
    escape markdown and mentions in them.
    """

    title: str
    summary: str
    sections: tuple[Section, ...] = ()


def digest_layout(digest: Digest) -> DigestLayout:
    """The digest as title, summary and sections; an empty one has a summary only."""
    title = f"Sitrep digest — {_day(digest.until)}"
    if digest.is_empty:
        return DigestLayout(title, f"No changes since {_day(digest.since)}.")
    sections = [
        _section("New facts", [_fact_line(c.title, c.fact_id) for c in digest.new]),
        _section("Changed facts", [_change_line(c) for c in digest.changed]),
        _section("New documents", [_document_line(d) for d in digest.new_documents]),
        _section(
            "Due for review",
            [
                _fact_line(r.title, r.fact_id, f": review due {r.review_by.isoformat()}")
                for r in digest.review_due
            ],
        ),
        _section(
            "Most asked",
            [_fact_line(a.title, a.fact_id, f": {_times(a.count)}") for a in digest.most_asked],
        ),
        _section(PASSAGES_TITLE, [_passage_line(p) for p in digest.from_passages]),
        *gap_report_sections(GapReport(digest.unanswered, digest.disliked, digest.picked)),
    ]
    return DigestLayout(title, _summary(digest), tuple(s for s in sections if s.lines))


def gap_report_sections(report: GapReport) -> tuple[Section, ...]:
    """Sections for unanswered questions, questions picked for from the suggestions and
    negative feedback (empty ones left out)."""
    sections = (
        _section("Unanswered questions", [_gap_line(gap) for gap in report.unanswered]),
        _section(PICKED_TITLE, [_picked_line(p) for p in report.picked]),
        _section(
            "Negative feedback",
            [
                _fact_line(f.title, f.fact_id, f": {f.down} down, {f.up} up")
                for f in report.disliked
            ],
        ),
    )
    return tuple(s for s in sections if s.lines)


def render_digest_text(digest: Digest) -> str:
    """The digest as plain text (for `sitrep digest --preview`).

    An empty digest is the single line "No changes since <date>.".
    """
    layout = digest_layout(digest)
    if not layout.sections:
        return layout.summary
    lines = [layout.title, layout.summary]
    for section in layout.sections:
        lines += ["", section.title, *(f"  - {line}" for line in section.lines)]
    return "\n".join(lines)


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """The layout as JSON-ready data: ``{"title", "summary", "sections": [{"title", "lines"}]}``."""
    layout = digest_layout(digest)
    return {
        "title": layout.title,
        "summary": layout.summary,
        "sections": [{"title": s.title, "lines": list(s.lines)} for s in layout.sections],
    }


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _summary(digest: Digest) -> str:
    parts = []
    if digest.new:
        parts.append(f"{len(digest.new)} new")
    if digest.changed:
        parts.append(f"{len(digest.changed)} changed")
    if digest.review_due:
        parts.append(f"{len(digest.review_due)} due for review")
    if digest.new_documents:
        count = len(digest.new_documents)
        parts.append(f"{count} new source document{'' if count == 1 else 's'}")
    question = "question" if digest.questions == 1 else "questions"
    outcome = f"{digest.unanswered_count} unanswered"
    if digest.passage_count:
        outcome += f", {digest.passage_count} from unreviewed passages"
    parts.append(f"{digest.questions} {question} ({outcome})")
    return f"Since {_day(digest.since)}: " + ", ".join(parts) + "."


def _section(title: str, lines: Sequence[str]) -> Section:
    shown = [_cut(line, MAX_LINE) for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        shown[-1] = f"… and {len(lines) - MAX_LINES + 1} more"
    return Section(title, tuple(shown))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fact_line(title: str, fact_id: str, suffix: str = "") -> str:
    """``Title (id)suffix``, the title shortened so that the id and suffix still fit."""
    tail = f" ({fact_id}){suffix}"
    room = max(20, min(MAX_TITLE, MAX_LINE - len(tail)))
    return _cut(clean_text(title), room) + tail


def _change_line(change: FactChange) -> str:
    what = ", ".join(change.fields)
    if change.kind in ("retired", "restored"):
        what = change.kind + (f"; {what}" if what and change.kind == "restored" else "")
    return _fact_line(change.title, change.fact_id, f": {what}" if what else "")


def _document_line(document: NewDocument) -> str:
    """``Title (id): P passages[, new version N][; publisher]``: the publisher last, as the
    part a long line may lose."""
    count = document.passages
    details = "1 passage" if count == 1 else f"{count} passages"
    if not document.first:
        details += f", new version {document.version}"
    publisher = clean_text(document.publisher)
    if publisher:
        details += f"; {publisher}"
    line = _fact_line(document.title, document.document_id, f": {details}")
    return _cut(line, MAX_LINE)


def _passage_line(passage: PassageAnswered) -> str:
    """``“question”: N times; from Title (doc START-END)``, the reference being what
    `sitrep promote` takes: the question and title are shortened so that it still fits."""
    question = clean_text(passage.examples[0] if passage.examples else "")
    title = clean_text(passage.title)
    ref = f"{passage.document_id} {passage.span}" if passage.span else passage.passage_id
    times = _times(passage.count)
    room = MAX_LINE - len(f"“”: {times}; from  ({ref})")
    # The question may take what the title (at least 20 characters of it) leaves.
    question = _cut(question, max(10, min(MAX_TITLE, room - min(len(title), 20))))
    title = _cut(title, max(10, room - len(question)))
    return _cut(f"“{question}”: {times}; from {title} ({ref})", MAX_LINE)


def _picked_line(picked: PickedQuestion) -> str:
    """``“question”: N times; picked Title (id)``: the question and title are shortened so
    that the id, what a moderator adds the key to, still fits."""
    times = _times(picked.count)
    tail = f" ({picked.fact_id})"
    title = clean_text(picked.title)
    room = MAX_LINE - len(f"“”: {times}; picked {tail}")
    # The question may take what the title (at least 20 characters of it) leaves.
    question = _cut(clean_text(picked.text), max(10, min(MAX_TITLE, room - min(len(title), 20))))
    title = _cut(title, max(10, room - len(question)))
    return _cut(f"“{question}”: {times}; picked {title}{tail}", MAX_LINE)


def _gap_line(gap: Gap) -> str:
    line = f"“{clean_text(gap.text, MAX_TITLE)}”: {_times(gap.count)}"
    if gap.closest:
        line += f"; closest: {_cut(clean_text(gap.closest[0].title), 40)}"
    return line
