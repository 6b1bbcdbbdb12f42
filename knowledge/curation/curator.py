"""Moderators' actions on the fact store, for the bot and the CLI alike.

Every write goes through :class:`~knowledge.store.FactStore`, which validates, enforces
locks and records a revision in the same transaction. The :class:`Curator` adds what a
person at a form or a terminal needs around it: document sources described from their
document, edits from a form merged with changes made meanwhile, the revision each action
wrote (for the reply and the mod-log), and fact-file import and export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Final

from ..errors import FactExists, FactLocked, FactNotFound, KeyConflict, Problem, ValidationError
from ..matching.questions import DEFAULT_LIMIT, question_forms
from ..models import Fact, Revision, Source, SyncReport
from ..store.facts import FactStore
from ..store.rows import normalize_key
from ..validation import MAX_KEYS, source_problems
from .drafts import FactDraft
from .export import fact_to_toml
from .files import Locate, field_locator, load_fact_bytes
from .tomlfile import MAX_FILE_BYTES

EXPORT_NAME: Final = "sitrep-facts-{date}.toml"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did: the fact as it now is, and the revision written (``None``: no change)."""

    fact: Fact
    revision: Revision | None

    @property
    def changed(self) -> bool:
        """True if the action wrote a revision."""
        return self.revision is not None


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """A checked fact file and what importing it would do (a dry run of the sync)."""

    name: str
    facts: tuple[Fact, ...]
    report: SyncReport
    replace: bool = False
    locate: Locate | None = dataclasses.field(default=None, compare=False, repr=False)


class Curator:
    """One person's moderator actions on a store, stamped with who they are and where."""

    def __init__(
        self,
        store: FactStore,
        actor: str,
        *,
        guild_id: int | None = None,
        today: date | None = None,
    ) -> None:
        """Act on ``store`` as ``actor`` (e.g. ``discord:123`` or ``cli:ana``) in ``guild_id``.

        ``today`` dates exports (default: the system's date).
        """
        self.store = store
        self.actor = actor
        self.guild_id = guild_id
        self.today = today or date.today()

    # --- single facts ------------------------------------------------------------------------

    def check_new(self, fact_id: str, source: Source) -> Source:
        """Refuse early what an ``add`` would refuse for its id or source; the described source.

        Lets a form open only once its id is free and its quote is found, so nobody types a
        whole fact to learn that the quote was wrong.
        """
        try:
            self.store.get(fact_id)
        except FactNotFound:
            return self.describe(source)
        raise FactExists(fact_id)

    def describe(self, source: Source) -> Source:
        """The source with its document's title, publisher, date and URL, after checking it.

        Raises ValidationError if the document is unknown, the quote is not in it, or a URL
        source lacks what it needs.
        """
        documents = self.store.documents()
        problems = [
            Problem(message, field=field)
            for field, message in source_problems(source, documents, index=0)
        ]
        if problems:
            raise ValidationError(problems)
        doc = documents.get(source.document) if source.document is not None else None
        if doc is None:
            return source
        return Source(source.quote, doc.id, doc.title, doc.publisher, doc.published, doc.url)

    def editable(self, fact_id: str) -> Fact:
        """The fact, to fill an edit form with; :class:`FactLocked` if it cannot be saved."""
        fact = self.store.get(fact_id)
        if fact.locked:
            raise FactLocked(fact_id)
        return fact

    def add(self, fact_id: str, draft: FactDraft, source: Source, *, reason: str = "") -> Outcome:
        """Add a new fact from a form and its first source."""
        fact = draft.to_fact(fact_id, (self.describe(source),))
        added = self.store.add(fact, actor=self.actor, guild_id=self.guild_id, reason=reason)
        return Outcome(added, self._revision(added))

    def edit(self, base: Fact, draft: FactDraft, *, reason: str = "") -> Outcome:
        """Save a form that was filled from ``base``: only the fields the person changed.

        A field someone else changed meanwhile is kept, unless this form changed it too:
        then :class:`~knowledge.errors.EditConflict` and nothing is written.
        """
        changes = {k: v for k, v in draft.changes().items() if getattr(base, k) != v}
        if not changes:
            return Outcome(self.store.get(base.id), None)
        return self._apply(
            base.id,
            lambda: self.store.merge_edit(
                base.id, base, actor=self.actor, guild_id=self.guild_id, reason=reason, **changes
            ),
        )

    def add_key(self, fact_id: str, key: str, *, reason: str = "") -> Outcome:
        """Give the fact one more key (alias); a key it already has changes nothing."""
        key = " ".join(key.split())
        return self._apply(
            fact_id,
            lambda: self.store.add_key(
                fact_id, key, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def add_asked_key(self, fact_id: str, question: str, *, reason: str = "") -> Outcome:
        """Add a question people asked as a key of the fact, if the fact is still active.

        A retired fact is left as it is (no revision; the outcome shows it retired): a key
        there would answer nobody, and restoring it is a decision of its own. A key the fact
        already has changes nothing, as for :meth:`add_key`.
        """
        fact = self.store.get(fact_id)
        if fact.status != "active":
            return Outcome(fact, None)
        return self.add_key(fact_id, question, reason=reason)

    def suggested_keys(self, fact_id: str) -> tuple[str, ...]:
        """The question keys derived from the fact's words (see
        :func:`~knowledge.matching.questions.question_forms`) that no other fact owns, to
        offer a moderator; none for a retired or locked fact, which takes no keys."""
        fact = self.store.get(fact_id)
        if fact.status != "active" or fact.locked:
            return ()
        forms = question_forms(fact, limit=2 * DEFAULT_LIMIT)
        owned = self.store.key_owners(forms)
        return tuple(form for form in forms if form not in owned)[:DEFAULT_LIMIT]

    def accept_suggested_keys(self, fact_id: str, rev: int, *, reason: str = "") -> Outcome | int:
        """Add the keys :meth:`suggested_keys` gives, as they were shown for revision ``rev``
        of the fact; the fact's current revision instead, changing nothing, if it moved on
        (the keys shown may no longer be the ones derived)."""
        fact = self.store.get(fact_id)
        if fact.rev != rev:
            return fact.rev
        return self.add_keys(fact_id, self.suggested_keys(fact_id), reason=reason)

    def add_keys(self, fact_id: str, keys: Sequence[str], *, reason: str = "") -> Outcome:
        """Give the fact several more keys in one revision (accepted suggestions, say).

        Keys it already has, keys another fact owns and keys past the limit of a fact's
        keys are left out, so accepting a list never fails for one of its entries; with
        nothing left to add, nothing changes.
        """
        wanted = list(dict.fromkeys(" ".join(key.split()) for key in keys if key.strip()))
        while True:
            fact = self.store.get(fact_id)
            have = {normalize_key(key) for key in fact.keys}
            new = [key for key in wanted if normalize_key(key) not in have]
            new = new[: max(0, MAX_KEYS - len(fact.keys))]
            if not new:
                return Outcome(fact, None)
            write = partial(
                self.store.merge_edit,
                fact_id,
                fact,
                actor=self.actor,
                guild_id=self.guild_id,
                reason=reason,
                keys=(*fact.keys, *new),
            )
            try:
                return self._apply(fact_id, write)
            except KeyConflict as conflict:
                # Another fact's key: drop it and try the rest (each try writes nothing).
                wanted = [k for k in wanted if normalize_key(k) != normalize_key(conflict.key)]

    def remove_key(self, fact_id: str, key: str, *, reason: str = "") -> Outcome:
        """Take a key (alias) off the fact."""
        return self._apply(
            fact_id,
            lambda: self.store.remove_key(
                fact_id, key, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def add_source(self, fact_id: str, source: Source, *, reason: str = "") -> Outcome:
        """Cite one more source; its quote must occur in its document."""
        described = self.describe(source)
        return self._apply(
            fact_id,
            lambda: self.store.add_source(
                fact_id, described, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def remove_source(self, fact_id: str, number: int, *, reason: str = "") -> Outcome:
        """Remove the source numbered ``number`` (1-based, as /sources lists them)."""
        return self._apply(
            fact_id,
            lambda: self.store.remove_source(
                fact_id, number - 1, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def retire(self, fact_id: str, *, reason: str = "") -> Outcome:
        """Take the fact out of service (it keeps its history and can be restored)."""
        return self._apply(
            fact_id,
            lambda: self.store.retire(
                fact_id, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def restore(self, fact_id: str, *, reason: str = "") -> Outcome:
        """Put a retired fact back in service."""
        return self._apply(
            fact_id,
            lambda: self.store.restore(
                fact_id, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def lock(self, fact_id: str, *, reason: str = "") -> Outcome:
        """Protect the fact from every change but unlock."""
        return self._apply(
            fact_id,
            lambda: self.store.lock(
                fact_id, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def unlock(self, fact_id: str, *, reason: str = "") -> Outcome:
        """Lift the lock."""
        return self._apply(
            fact_id,
            lambda: self.store.unlock(
                fact_id, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def revert(self, fact_id: str, rev: int, *, reason: str = "") -> Outcome:
        """Record a new revision that restores the state right after revision ``rev``."""
        return self._apply(
            fact_id,
            lambda: self.store.revert(
                fact_id, rev, actor=self.actor, guild_id=self.guild_id, reason=reason
            ),
        )

    def history(self, fact_id: str) -> list[Revision]:
        """The fact's revisions, oldest first."""
        return self.store.history(fact_id)

    def fact_history(self, fact_id: str) -> tuple[Fact, list[Revision]]:
        """The fact and its revisions (oldest first), for a history page."""
        return self.store.get(fact_id), self.store.history(fact_id)

    def find(self, fact_id: str) -> Fact | None:
        """The fact with that id, or ``None`` (for suggestions, where a miss is normal)."""
        try:
            return self.store.get(fact_id)
        except FactNotFound:
            return None

    def revisions_of(self, fact_id: str) -> list[Revision]:
        """The fact's revisions, or none if there is no such fact (for suggestions)."""
        try:
            return self.store.history(fact_id)
        except FactNotFound:
            return []

    # --- whole files -------------------------------------------------------------------------

    def read_import(self, data: bytes, name: str) -> tuple[Fact, ...]:
        """The facts of a fact file, checked whole against the stored documents.

        Every problem of the file is reported at once (ValidationError, with lines); a file
        over 1 MiB, or without any fact (which could retire everything), is refused.
        """
        if len(data) > MAX_FILE_BYTES:
            problem = Problem(f"the file is larger than {MAX_FILE_BYTES // 1024} KiB", file=name)
            raise ValidationError([problem])
        facts = load_fact_bytes(data, self.store.documents(), name=name, today=self.today)
        if not facts:
            raise ValidationError([Problem("the file holds no [[fact]] tables", file=name)])
        return facts

    def plan_import(self, data: bytes, name: str, *, replace: bool = False) -> ImportPlan:
        """Check a fact file whole and say what importing it would do; nothing is written.

        Without ``replace`` the file adds and changes facts; with it, active facts the file
        does not mention are retired too.
        """
        facts = self.read_import(data, name)
        locate = field_locator(data, name)
        with _in_file(name, facts, locate):
            report = self.store.sync(
                [], facts, actor=self.actor, retire_missing=replace, dry_run=True
            )
        return ImportPlan(name, facts, report, replace, locate)

    def run_import(self, plan: ImportPlan) -> SyncReport:
        """Import a planned file: checked again, then all of it or nothing, in one transaction."""
        return self.import_facts(plan.facts, plan.name, replace=plan.replace, locate=plan.locate)

    def import_file(self, data: bytes, name: str, *, replace: bool = False) -> SyncReport:
        """Read a fact file and import it, without a dry run first (the store checks it)."""
        facts = self.read_import(data, name)
        return self.import_facts(facts, name, replace=replace, locate=field_locator(data, name))

    def import_facts(
        self,
        facts: tuple[Fact, ...],
        name: str,
        *,
        replace: bool = False,
        locate: Locate | None = None,
    ) -> SyncReport:
        """Import facts read from file ``name`` in one transaction (the store checks them);
        ``locate`` gives the store's problems their line in the file."""
        with _in_file(name, facts, locate):
            return self.store.sync(
                [],
                facts,
                actor=self.actor,
                guild_id=self.guild_id,
                reason=f"import of {name}"[:200],
                retire_missing=replace,
            )

    def export(self) -> tuple[str, str]:
        """The active facts as one fact file: ``(file name, TOML text)``.

        ``sitrep import`` and ``/fact import`` load it, and so does ``sitrep load`` from a
        seeds directory's ``facts/`` beside the sources it cites.
        """
        return export_name(self.today), export_toml(self.store.facts(), self.today)

    # --- internals ---------------------------------------------------------------------------

    def _apply(self, fact_id: str, write: Callable[[], Fact]) -> Outcome:
        """Run one single-fact write and find the revision it wrote, if any."""
        before = self.store.get(fact_id).rev
        fact = write()
        return Outcome(fact, None if fact.rev == before else self._revision(fact))

    def _revision(self, fact: Fact) -> Revision | None:
        history = self.store.history(fact.id)
        return next((rev for rev in reversed(history) if rev.rev == fact.rev), None)


def export_toml(facts: list[Fact], today: date) -> str:
    """Facts as a fact file with a short header saying what it is and how to load it."""
    header = (
        f"# Sitrep fact export of {today.isoformat()}: {len(facts)} active fact(s).\n"
        "# Load it with `sitrep import FILE` or `/fact import`, or put it in a seeds\n"
        "# directory's facts/ (beside the sources it cites) for `sitrep load`.\n\n"
    )
    return header + fact_to_toml(facts)


def export_name(today: date) -> str:
    """The file name of an export made on ``today``."""
    return EXPORT_NAME.format(date=today.isoformat())


@contextmanager
def _in_file(name: str, facts: tuple[Fact, ...], locate: Locate | None = None) -> Iterator[None]:
    """Problems the store finds with facts of file ``name`` (a key another fact owns, say)
    name that file and line, like the problems found while reading it."""
    ids = {fact.id for fact in facts}
    try:
        yield
    except ValidationError as error:
        located = [
            dataclasses.replace(
                p,
                file=name,
                line=p.line or (locate(p.fact_id, p.field) if locate is not None else None),
            )
            if p.file is None and p.fact_id in ids
            else p
            for p in error.problems
        ]
        raise ValidationError(located) from None
