"""Backups of the live database with SQLite's online backup API, and restoring one.

Both directions copy pages with :meth:`sqlite3.Connection.backup`, under SQLite's own locks,
never by copying or renaming the database file (RELIABILITY F5, F6):

- a file copy taken while the bot writes can be torn, and misses what is still in the WAL;
- a rename over the live file (``os.replace``, ``shutil.move``) leaves the running bot's
  connection on the old, unlinked file: its next writes vanish, and its ``-wal`` and
  ``-shm`` files then belong to the wrong database.

A backup is a single self-contained file (rollback journal, no ``-wal``) named
``sitrep-YYYYMMDDTHHMMSSZ.db`` in a directory of generations, of which the newest ``keep``
are kept. Each one passes ``PRAGMA integrity_check`` before it gets its final name, so a
file with that name is always complete and sound. Restoring checks the file the same way and
refuses a schema newer than this code before it writes anything.

Pure-ish: every path and the time are passed in; nothing here reads the environment,
prints, or touches a file it was not given.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import quote

from ..errors import BackupError, SchemaError
from .migrations import SCHEMA_VERSION

BUSY_TIMEOUT_S: Final = 30.0
"""How long a backup or restore waits for another connection's write to finish."""
DEFAULT_KEEP: Final = 7
# An unfinished backup copy this old was left by a killed backup, not one still running.
STALE_PARTIAL_S: Final = 3600.0
_NAME_RE: Final = re.compile(r"^sitrep-(\d{8}T\d{6}Z)(?:-(\d{1,4}))?\.db$")
_STAMP: Final = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, slots=True)
class DatabaseInfo:
    """What a check of one database file found: its schema version, facts and soundness."""

    path: Path
    schema_version: int
    facts: int
    revisions: int
    integrity: str
    """``"ok"``, or the first problem ``PRAGMA integrity_check`` reported."""

    @property
    def sound(self) -> bool:
        """True if SQLite found nothing wrong with the file."""
        return self.integrity == "ok"


@dataclass(frozen=True, slots=True)
class BackupReport:
    """One backup made: the new file, and the generations kept and removed after it."""

    backup: DatabaseInfo
    kept: tuple[Path, ...]
    removed: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """One restore done: what was restored, where, and the copy taken of what it replaced."""

    source: DatabaseInfo
    target: DatabaseInfo
    previous: DatabaseInfo | None
    """The copy of the database as it was before the restore (``None``: there was none)."""


# --------------------------------------------------------------------------- names


def backup_name(now: datetime, n: int = 0) -> str:
    """The file name of a backup taken at ``now`` (``n`` > 0 tells apart those of one second)."""
    if now.tzinfo is None:
        raise ValueError("backup times must be timezone-aware")
    stamp = now.astimezone(UTC).strftime(_STAMP)
    return f"sitrep-{stamp}{f'-{n}' if n else ''}.db"


def list_backups(directory: Path) -> list[Path]:
    """The backups in ``directory``, oldest first; files not named like a backup are ignored."""
    if not directory.is_dir():
        return []
    found: list[tuple[str, int, Path]] = []
    for path in directory.iterdir():
        match = _NAME_RE.match(path.name)
        if match and path.is_file():
            found.append((match.group(1), int(match.group(2) or 0), path))
    return [path for _, _, path in sorted(found)]


# --------------------------------------------------------------------------- checks


def _connect(path: Path, mode: str) -> sqlite3.Connection:
    """A plain connection in autocommit mode; ``mode`` is SQLite's ``ro``, ``rw`` or ``rwc``."""
    uri = f"file:{quote(str(path.absolute()))}?mode={mode}"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _inspect(conn: sqlite3.Connection, path: Path) -> DatabaseInfo:
    """Integrity, schema version and row counts of an open database.

    Raises ``sqlite3.DatabaseError`` only if the file is not SQLite at all (its header is
    unreadable); damage further in is reported in ``integrity`` instead.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        integrity = "ok" if [tuple(r) for r in rows] == [("ok",)] else str(rows[0][0])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = [
            int(conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]) if name in tables else 0
            for name in ("facts", "revisions")
        ]
    except sqlite3.DatabaseError as exc:  # "database disk image is malformed" and the like
        return DatabaseInfo(path, version, 0, 0, str(exc) or "unreadable")
    return DatabaseInfo(path, version, counts[0], counts[1], integrity)


def check_database(path: Path) -> DatabaseInfo:
    """Open ``path`` read-only and check it; raises BackupError if it is not a SQLite file."""
    if not path.is_file():
        raise BackupError(f"no database file at {path}")
    try:
        conn = _connect(path, "ro")
        try:
            return _inspect(conn, path)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable SQLite database ({exc})") from None


def check_backup(path: Path, *, schema_version: int = SCHEMA_VERSION) -> DatabaseInfo:
    """Check that ``path`` is a sound Sitrep database this code can use, or raise why not.

    BackupError: not SQLite, damaged (``integrity_check`` is not ok), or not Sitrep's.
    SchemaError: its schema is newer than ``schema_version``.
    """
    info = check_database(path)
    if not info.sound:
        raise BackupError(f"{path} is damaged: integrity_check says {info.integrity!r}")
    if info.schema_version > schema_version:
        raise SchemaError(
            f"{path} has database schema v{info.schema_version}, newer than this Sitrep "
            f"(v{schema_version}); upgrade Sitrep to restore it"
        )
    if info.schema_version < 1:
        raise BackupError(f"{path} is not a Sitrep database (it has no Sitrep schema)")
    return info


# --------------------------------------------------------------------------- backup


def _free_name(directory: Path, now: datetime) -> Path:
    for n in range(10_000):
        path = directory / backup_name(now, n)
        if not path.exists():
            return path
    raise BackupError(f"too many backups at {backup_name(now)} in {directory}")


def take_backup(
    db_path: Path, directory: Path, *, now: datetime, require_sound: bool = True
) -> DatabaseInfo:
    """Copy the live database at ``db_path`` into a new backup file in ``directory``.

    The copy is one consistent snapshot even while other connections write (WAL readers do
    not block writers). It is written under a temporary name, checked, switched to a plain
    rollback journal so it is a single file, and only then given its final name. With
    ``require_sound`` a copy failing ``integrity_check`` is deleted and BackupError raised;
    without it the copy is kept whatever it holds (its info says what the check found).
    """
    if not db_path.is_file():
        raise BackupError(f"no database file at {db_path}")
    directory.mkdir(parents=True, exist_ok=True)
    final = _free_name(directory, now)
    partial = directory / f".{final.name}.partial"
    try:
        try:
            source = _connect(db_path, "ro")
            try:
                target = _connect(partial, "rwc")
                try:
                    source.backup(target)
                    target.execute("PRAGMA journal_mode = DELETE")
                    info = _inspect(target, final)
                finally:
                    target.close()
            finally:
                source.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"cannot back up {db_path}: {exc}") from None
        if require_sound and not info.sound:
            raise BackupError(
                f"the backup of {db_path} failed its integrity check ({info.integrity!r}); "
                "the database itself may be damaged"
            )
        # Renames the finished backup file into its own name: never the live database.
        os.replace(partial, final)
    finally:
        for leftover in (
            partial,
            *(Path(f"{partial}{end}") for end in ("-wal", "-shm", "-journal")),
        ):
            leftover.unlink(missing_ok=True)
    return info


def prune_backups(
    directory: Path, keep: int, *, now: float | None = None
) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """Delete all but the newest ``keep`` backups; returns (kept, removed), oldest first.

    The unfinished copies of backups killed mid-way (``.NAME.partial`` and its journal) are
    deleted too once older than :data:`STALE_PARTIAL_S`, so that a backup running at this
    moment in another process keeps its own.
    """
    if keep < 1:
        raise BackupError("keep at least one backup")
    backups = list_backups(directory)
    removed = tuple(backups[:-keep])
    for path in removed:
        path.unlink(missing_ok=True)
    cutoff = (time.time() if now is None else now) - STALE_PARTIAL_S
    for leftover in directory.glob(".*.partial*"):
        with contextlib.suppress(FileNotFoundError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
    return tuple(backups[-keep:]), removed


def create_backup(
    db_path: Path, directory: Path, *, keep: int = DEFAULT_KEEP, now: datetime
) -> BackupReport:
    """Take a checked backup of ``db_path`` into ``directory``, then keep ``keep`` generations."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    info = take_backup(db_path, directory, now=now)
    kept, removed = prune_backups(directory, keep)
    return BackupReport(info, kept, removed)


def backup_dir_for(db_path: Path) -> Path:
    """Where backups of ``db_path`` go unless told otherwise: ``backups/`` beside it."""
    return db_path.parent / "backups"


def backup_before_migration(
    db_path: Path, *, now: datetime, schema_version: int = SCHEMA_VERSION
) -> DatabaseInfo | None:
    """Back up an existing database whose schema is older than ``schema_version`` into
    :func:`backup_dir_for` it, before anything migrates it (RELIABILITY F7); ``None`` when
    there is nothing to migrate. A migration rolls itself back when it fails; this copy is
    for a migration that succeeds and turns out to be wrong. BackupError if the copy fails
    its integrity check: a damaged database is not migrated.
    """
    if not db_path.is_file():
        return None
    try:
        conn = _connect(db_path, "ro")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return None  # not SQLite: opening it will say so
    if not 1 <= version < schema_version:
        return None
    return take_backup(db_path, backup_dir_for(db_path), now=now)


# --------------------------------------------------------------------------- restore


def restore_backup(
    backup: Path,
    db_path: Path,
    *,
    now: datetime,
    previous_dir: Path | None,
    schema_version: int = SCHEMA_VERSION,
) -> RestoreReport:
    """Make the database at ``db_path`` hold exactly what ``backup`` holds.

    First ``backup`` must pass :func:`check_backup` (sound, Sitrep's, not newer than this
    code); nothing is written otherwise. Then, with ``previous_dir``, the current database is
    saved there as one more backup (kept even if it is damaged: it may be all there is).
    Then the backup's pages are copied into the database with SQLite's backup API, which
    takes the write lock and waits for other writers: the database file stays the same file,
    so a process that has it open keeps a valid connection and sees the restored content.
    Stop the bot first all the same; its in-memory state (rate limits, recent answers) is
    about the old content.
    """
    source_info = check_backup(backup, schema_version=schema_version)
    if db_path.exists() and db_path.resolve() == backup.resolve():
        raise BackupError(f"{backup} is the database itself; pick a backup file to restore")
    previous = None
    if previous_dir is not None and db_path.is_file():
        try:
            previous = take_backup(db_path, previous_dir, now=now, require_sound=False)
        except BackupError as exc:
            raise BackupError(
                f"{exc}; nothing was restored. If SQLite cannot read the current database at "
                "all, stop the bot, move that file aside and restore again"
            ) from None
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = _connect(backup, "ro")
        try:
            target = _connect(db_path, "rwc")
            try:
                source.backup(target)
                target_info = _inspect(target, db_path)
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"cannot write into {db_path} ({exc}); if SQLite cannot read that file at all, "
            "stop the bot, move the file aside and restore again"
        ) from None
    if not target_info.sound or target_info.schema_version != source_info.schema_version:
        raise BackupError(
            f"the restored database at {db_path} failed its check ({target_info.integrity!r})"
        )
    return RestoreReport(source_info, target_info, previous)
