"""The rules the store itself applies before a write: who and why, documents, keys.

Pure functions over values (no database): what every change records about itself
(:class:`Stamp`), the few rules of a source document, and keys that collide within a fact
or across a set. A fact's content rules live in :mod:`knowledge.validation`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..errors import Problem, ValidationError
from ..models import Document, Fact
from ..validation import bad_characters
from .rows import iso_time, normalize_key

MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who made a change, where, when and why: what every revision row records."""

    actor: str
    guild_id: int | None
    reason: str
    at: str


def make_stamp(actor: str, guild_id: int | None, reason: str, now: datetime) -> Stamp:
    """The who/where/when/why of a change; ``ValueError`` without an actor.

    A reason that is too long or holds invisible characters raises :class:`ValidationError`.
    """
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError("every change needs an actor (who made it)")
    problems = [
        Problem(f"reason {message}", field="reason") for message in _reason_problems(reason)
    ]
    raise_problems(problems)
    return Stamp(actor, guild_id, reason, iso_time(now))


def raise_problems(problems: list[Problem]) -> None:
    """Raise :class:`ValidationError` listing ``problems``, if there are any."""
    if problems:
        raise ValidationError(problems)


def _reason_problems(reason: object) -> list[str]:
    if not isinstance(reason, str):
        return [f"must be text, not {type(reason).__name__}"]
    problems: list[str] = []
    if len(reason) > MAX_REASON:
        problems.append(f"is {len(reason)} characters long; the limit is {MAX_REASON}")
    bad = bad_characters(reason)
    if bad:
        problems.append(f"contains control or invisible formatting characters ({', '.join(bad)})")
    return problems


def document_problems(docs: Sequence[Document]) -> list[Problem]:
    """The few rules the store itself needs of a document: an id, once, and text values."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for doc in docs:
        if not isinstance(doc.id, str) or not doc.id.strip():
            problems.append(Problem("a source document needs an id", field="documents"))
            continue
        if doc.id in seen:
            problems.append(Problem(f"duplicate source document id {doc.id!r}", field="documents"))
        seen.add(doc.id)
        for name in ("title", "publisher", "url", "text"):
            value = getattr(doc, name)
            if not isinstance(value, str) or bad_characters(value, allow_newlines=True):
                problems.append(
                    Problem(f"document {doc.id!r}: {name} must be plain text", field="documents")
                )
    return problems


def own_key_problems(fact: Fact) -> list[Problem]:
    """Keys of one fact that collide once spacing is collapsed.

    Validation already reports keys equal ignoring case; the store's notion of "the same key"
    also ignores runs of spaces, and the unique index would otherwise fail obscurely.
    """
    problems: list[Problem] = []
    folded: set[str] = set()
    normal: set[str] = set()
    for i, key in enumerate(fact.keys):
        if not isinstance(key, str):
            continue
        fold, norm = key.casefold().strip(), normalize_key(key)
        if norm in normal and fold not in folded:
            problems.append(Problem(f"duplicate key {key!r}", fact_id=fact.id, field=f"keys[{i}]"))
        folded.add(fold)
        normal.add(norm)
    return problems


def key_clashes(active: Sequence[Fact]) -> list[Problem]:
    """Keys that more than one of the given (to be active) facts claim."""
    owner: dict[str, str] = {}
    problems: list[Problem] = []
    for fact in active:
        for i, key in enumerate(fact.keys):
            if not isinstance(key, str):
                continue
            first = owner.setdefault(normalize_key(key), fact.id)
            if first != fact.id:
                problems.append(
                    Problem(
                        f"key {key!r} also belongs to fact {first!r}",
                        fact_id=fact.id,
                        field=f"keys[{i}]",
                    )
                )
    return problems
