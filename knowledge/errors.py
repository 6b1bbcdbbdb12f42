"""Named errors of the core; the CLI and the cogs each translate them for people in one place."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class KnowledgeError(Exception):
    """Base class of every error the core raises on purpose."""


class FactNotFound(KnowledgeError):
    """No fact has that id."""

    def __init__(self, fact_id: str) -> None:
        super().__init__(f"no fact with id {fact_id!r}")
        self.fact_id = fact_id


class RevisionNotFound(KnowledgeError):
    """The fact has no revision with that number."""

    def __init__(self, fact_id: str, rev: int) -> None:
        super().__init__(f"fact {fact_id!r} has no revision {rev}")
        self.fact_id = fact_id
        self.rev = rev


class FactLocked(KnowledgeError):
    """The fact is locked; only unlock may change it."""

    def __init__(self, fact_id: str) -> None:
        super().__init__(f"fact {fact_id!r} is locked; unlock it first")
        self.fact_id = fact_id


class FactExists(KnowledgeError):
    """A fact with that id already exists."""

    def __init__(self, fact_id: str) -> None:
        super().__init__(f"a fact with id {fact_id!r} already exists")
        self.fact_id = fact_id


class KeyConflict(KnowledgeError):
    """A key is already used by another fact."""

    def __init__(self, key: str, owner_id: str, owner_title: str) -> None:
        super().__init__(f"key {key!r} already belongs to {owner_title!r} ({owner_id})")
        self.key = key
        self.owner_id = owner_id
        self.owner_title = owner_title


class DocumentNotFound(KnowledgeError):
    """No source document has that id."""

    def __init__(self, document_id: str) -> None:
        super().__init__(f"no source document with id {document_id!r}")
        self.document_id = document_id


class SchemaError(KnowledgeError):
    """The database's schema is newer than this version of Sitrep, or a migration failed."""


class BackupError(KnowledgeError):
    """A backup could not be made, or a file is not a sound Sitrep backup to restore."""


class EmptyQuery(KnowledgeError):
    """The query has no searchable content."""

    def __init__(self) -> None:
        super().__init__("the question is empty: ask about a topic, e.g. 'who leads JNIM'")


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem: where it is (file, line, fact id, field) and what is wrong."""

    message: str
    file: str | None = None
    line: int | None = None
    fact_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        what = " ".join(
            part
            for part in (
                f"fact {self.fact_id!r}" if self.fact_id else "",
                f"field {self.field!r}" if self.field else "",
            )
            if part
        )
        prefix = ": ".join(part for part in (where, what) if part)
        return f"{prefix}: {self.message}" if prefix else self.message


class ValidationError(KnowledgeError):
    """Input failed validation; ``problems`` lists every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = str(self.problems[0]) if self.problems else "invalid input"
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(head + more)


class InvalidSetting(KnowledgeError):
    """A setting (a digest's schedule, time, timezone, weekday or channel) is not valid."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


class DigestNotConfigured(KnowledgeError):
    """The guild has no digest settings yet."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(f"no digest is set up for guild {guild_id}")
        self.guild_id = guild_id


class EditConflict(KnowledgeError):
    """Someone else changed the same fields since the copy an edit was prepared from."""

    def __init__(self, fact_id: str, fields: list[str], rev: int) -> None:
        super().__init__(f"fact {fact_id!r} changed meanwhile (now rev {rev}): {', '.join(fields)}")
        self.fact_id = fact_id
        self.fields = list(fields)
        self.rev = rev


class StoreBusy(KnowledgeError):
    """Another connection holds the database's write lock for longer than we wait."""

    def __init__(self) -> None:
        super().__init__(
            "the database is busy: another process is writing to it; try again in a moment"
        )


def is_busy(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's "database is locked" or "database is busy"."""
    # sqlite3 has no dedicated exception for SQLITE_BUSY; the error code (Python ≥ 3.11)
    # names it, and the message is the fallback for errors raised without one.
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        # SQLITE_BUSY or SQLITE_LOCKED; an extended code keeps the primary one in its low byte.
        return (code & 0xFF) in (5, 6)
    return "database is locked" in str(error) or "database is busy" in str(error)


@contextmanager
def busy_as_error() -> Iterator[None]:
    """Turn SQLite's "database is locked" inside the block into :class:`StoreBusy`."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            raise StoreBusy from exc
        raise
