"""knowledge.backup and `sitrep backup|restore`: online backups, generations, a restore drill.

RELIABILITY F6: backups use SQLite's backup API, keep N generations, each passes
``integrity_check``, and a restore is tested (backed up under a live writer, restored into a
new path, opened and asked). F5's half (never rename over the live file) is checked here by
behaviour (the restored file keeps its inode) and in test_hardening_durability by grep.
F7's automatic backup: a database of an older schema is copied before it is migrated.
"""

from __future__ import annotations

import configparser
import io
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clikit import cli, set_version, table_rows

import knowledge.store.facts
from bot.cli import main
from bot.paths import BUNDLED_SEEDS
from knowledge.desk import open_desk
from knowledge.errors import BackupError, SchemaError
from knowledge.store.backup import (
    STALE_PARTIAL_S,
    DatabaseInfo,
    backup_name,
    check_backup,
    create_backup,
    list_backups,
    prune_backups,
    restore_backup,
    take_backup,
)
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore
from knowledge.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate

NOW = datetime(2025, 11, 20, 12, 0, tzinfo=UTC)
LEADERSHIP = "jnim-leadership"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built once from the shipped seeds; tests work on copies of it."""
    path = tmp_path_factory.mktemp("template") / "sitrep.db"
    open_desk(path, BUNDLED_SEEDS).close()
    return path


@pytest.fixture
def live(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the seeded database, as the bot's live database."""
    path = tmp_path / "data" / "sitrep.db"
    path.parent.mkdir()
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return path


def consistent(path: Path) -> tuple[int, int]:
    """Assert that each fact's rev is its newest revision's; return (facts, revisions)."""
    conn = sqlite3.connect(path)
    try:
        mismatched = conn.execute(
            "SELECT f.id FROM facts f LEFT JOIN revisions r ON r.fact_id = f.id "
            "GROUP BY f.id HAVING f.rev != max(r.rev)"
        ).fetchall()
        assert mismatched == [], f"torn snapshot: {mismatched}"
        facts = conn.execute("SELECT count(*) FROM facts").fetchone()[0]
        revisions = conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
        return int(facts), int(revisions)
    finally:
        conn.close()


# --------------------------------------------------------------------------- names


def test_backup_names_sort_by_time_and_ignore_other_files(tmp_path: Path) -> None:
    """Names carry a UTC timestamp (and a counter within a second); listing sorts by both."""
    assert backup_name(NOW) == "sitrep-20251120T120000Z.db"
    assert backup_name(NOW, 2) == "sitrep-20251120T120000Z-2.db"
    with pytest.raises(ValueError, match="timezone-aware"):
        backup_name(datetime(2025, 1, 1))  # naive: refused
    names = [
        backup_name(NOW, 1),
        backup_name(NOW),
        backup_name(NOW - timedelta(days=1)),
        backup_name(NOW, 10),
        "notes.txt",
        "sitrep.db",
        ".sitrep-20251120T120000Z.db.partial",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_backups(tmp_path)] == [
        "sitrep-20251119T120000Z.db",
        "sitrep-20251120T120000Z.db",
        "sitrep-20251120T120000Z-1.db",
        "sitrep-20251120T120000Z-10.db",
    ]
    assert list_backups(tmp_path / "missing") == []


# --------------------------------------------------------------------------- backup


def test_backup_is_a_checked_single_file_copy(live: Path, tmp_path: Path) -> None:
    """A backup holds every row, passes integrity_check and needs no -wal file."""
    report = create_backup(live, tmp_path / "backups", keep=3, now=NOW)
    made = report.backup
    assert made.path == tmp_path / "backups" / "sitrep-20251120T120000Z.db"
    assert made.sound and made.schema_version == SCHEMA_VERSION and made.facts > 50
    assert table_rows(made.path) == table_rows(live)
    assert sorted(p.name for p in made.path.parent.iterdir()) == [made.path.name]
    conn = sqlite3.connect(made.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


@pytest.mark.parametrize("keep", [1, 2, 5])
def test_backup_keeps_the_newest_n_generations(live: Path, tmp_path: Path, keep: int) -> None:
    """After each backup only the newest ``keep`` remain; other files are never touched."""
    directory = tmp_path / "backups"
    directory.mkdir()
    (directory / "README").write_text("mine")
    made = [
        create_backup(live, directory, keep=keep, now=NOW + timedelta(hours=i)).backup.path
        for i in range(4)
    ]
    assert list_backups(directory) == made[-keep:]
    assert (directory / "README").read_text() == "mine"
    assert all(check_backup(path).sound for path in list_backups(directory))
    kept, removed = prune_backups(directory, 1)
    assert kept == (made[-1],) and len(removed) == min(keep, 4) - 1


def test_pruning_removes_the_leftovers_of_a_killed_backup(live: Path, tmp_path: Path) -> None:
    """A backup killed mid-copy leaves ``.NAME.partial`` files; pruning removes them once
    stale, and leaves a fresh one (a backup running in another process) alone."""
    directory = tmp_path / "backups"
    directory.mkdir()
    stale = [directory / ".sitrep-20260101T000000Z.db.partial", directory / ".x.db.partial-journal"]
    fresh = directory / ".sitrep-20260101T010000Z.db.partial"
    for path in (*stale, fresh):
        path.write_bytes(b"half a copy")
    hour_ago = time.time() - STALE_PARTIAL_S - 1
    for path in stale:
        os.utime(path, (hour_ago, hour_ago))
    create_backup(live, directory, keep=2, now=NOW)
    assert not any(path.exists() for path in stale)
    assert fresh.exists()


def test_two_backups_in_one_second_get_distinct_names(live: Path, tmp_path: Path) -> None:
    """A second backup within the same second does not overwrite the first."""
    first = take_backup(live, tmp_path, now=NOW)
    second = take_backup(live, tmp_path, now=NOW)
    assert first.path != second.path
    assert second.path.name == "sitrep-20251120T120000Z-1.db"


@pytest.mark.parametrize("keep", [0, -1])
def test_backup_refuses_to_keep_nothing(live: Path, tmp_path: Path, keep: int) -> None:
    """keep < 1 would delete every backup: refused before anything is written."""
    with pytest.raises(BackupError, match="at least one"):
        create_backup(live, tmp_path / "b", keep=keep, now=NOW)
    assert not (tmp_path / "b").exists()


def test_backup_of_a_missing_or_foreign_database_fails_cleanly(tmp_path: Path) -> None:
    """No database, or a file that is not SQLite: a BackupError and no backup file."""
    with pytest.raises(BackupError, match="no database file"):
        create_backup(tmp_path / "none.db", tmp_path / "b", now=NOW)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackupError, match="cannot back up"):
        create_backup(junk, tmp_path / "b", now=NOW)
    assert list(os.scandir(tmp_path / "b")) == []


def test_backup_under_a_live_writer_then_restore_drill(live: Path, tmp_path: Path) -> None:
    """F6 drill: back up five times while a thread keeps editing a fact on its own
    connection; every backup is sound and consistent (each fact's rev is its newest
    revision's, the edited answer matches the revision count) and none goes backwards; the
    last one, restored into a new path, opens and answers a question."""
    base = consistent(live)[1]
    stop = threading.Event()
    edits: list[int] = []
    failures: list[BaseException] = []

    def writer() -> None:
        db = open_db(live)  # its own connection, like the bot's store thread
        store = FactStore(db)
        try:
            answer = store.get(LEADERSHIP).answer
            while not stop.is_set() and len(edits) < 5000:
                n = len(edits) + 1
                store.edit(LEADERSHIP, answer=f"{answer} (edit {n})", actor="test:writer")
                edits.append(n)
        except BaseException as exc:  # a thread's exception is lost unless kept
            failures.append(exc)
        finally:
            db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    infos: list[DatabaseInfo] = []
    try:
        while len(edits) < 3 and thread.is_alive():  # let the writer get going
            threading.Event().wait(0.002)
        for i in range(5):
            infos.append(take_backup(live, tmp_path / "backups", now=NOW + timedelta(seconds=i)))
    finally:
        stop.set()
        thread.join()
    assert not failures, failures
    assert edits, "the writer never wrote"
    counts = [info.revisions for info in infos]
    assert counts == sorted(counts) and base < counts[-1] <= base + len(edits)
    for info in infos:
        assert info.sound
        assert consistent(info.path) == (info.facts, info.revisions)
        conn = sqlite3.connect(info.path)
        (answer,) = conn.execute("SELECT answer FROM facts WHERE id = ?", (LEADERSHIP,)).fetchone()
        conn.close()
        assert answer.endswith(f"(edit {info.revisions - base})")
    assert consistent(live)[1] == base + len(edits)  # and the live database lost nothing
    print(f"drill: {len(edits)} edits during 5 backups; revisions seen {counts}")

    restored = tmp_path / "restored" / "sitrep.db"
    report = restore_backup(infos[-1].path, restored, now=NOW, previous_dir=None)
    assert report.previous is None and report.target.sound
    assert table_rows(restored) == table_rows(infos[-1].path)
    desk = open_desk(restored, BUNDLED_SEEDS)
    try:
        answer = desk.ask("who leads JNIM", log=False)
        assert answer.status == "answered" and answer.fact is not None
        assert answer.fact.id == LEADERSHIP
        assert answer.fact.answer.endswith(f"(edit {infos[-1].revisions - base})")
    finally:
        desk.close()


# --------------------------------------------------------------------------- restore


def test_restore_writes_into_the_same_file_a_live_connection_holds(
    live: Path, tmp_path: Path
) -> None:
    """F5: restore copies pages into the database file itself (same inode), so a connection
    that stays open across it, as the bot's would, reads the restored content."""
    backup = take_backup(live, tmp_path / "backups", now=NOW).path
    bot_db = open_db(live)
    store = FactStore(bot_db)
    try:
        store.retire(LEADERSHIP, actor="test")
        inode = os.stat(live).st_ino
        report = restore_backup(backup, live, now=NOW, previous_dir=tmp_path / "backups")
        assert os.stat(live).st_ino == inode
        assert store.get(LEADERSHIP).status == "active"  # the open connection sees it
        store.add_key(LEADERSHIP, "after the restore", actor="test")  # and can still write
    finally:
        bot_db.close()
    assert report.previous is not None and report.previous.sound
    assert (
        table_rows(report.previous.path)["facts"] != table_rows(backup)["facts"]
    )  # the retired state
    assert check_backup(live).sound


def test_restore_keeps_a_copy_of_a_damaged_database(live: Path, tmp_path: Path) -> None:
    """The database being replaced is saved first, even when it fails its check."""
    backup = take_backup(live, tmp_path / "backups", now=NOW).path
    with live.open("r+b") as f:  # damage a page in the middle, keep the header
        f.seek(os.path.getsize(live) // 2)
        f.write(b"\xff" * 4096)
    report = restore_backup(backup, live, now=NOW, previous_dir=tmp_path / "saved")
    assert report.previous is not None and report.previous.path.parent == tmp_path / "saved"
    assert check_backup(live).sound


def _junk(bad: Path, good: Path) -> None:
    bad.write_bytes(b"definitely not a database " * 200)


def _empty(bad: Path, good: Path) -> None:
    sqlite3.connect(bad).close()


def _damaged(bad: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\x00\x01" * 2048
    bad.write_bytes(bytes(data))


def _newer(bad: Path, good: Path) -> None:
    bad.write_bytes(good.read_bytes())
    set_version(bad, SCHEMA_VERSION + 1)


BAD_BACKUPS: list[tuple[str, Callable[[Path, Path], None], type[Exception], str]] = [
    ("not SQLite", _junk, BackupError, "not a readable SQLite database"),
    ("empty SQLite file", _empty, BackupError, "not a Sitrep database"),
    ("damaged pages", _damaged, BackupError, "damaged|not a readable SQLite"),
    ("newer schema", _newer, SchemaError, f"newer than this Sitrep \\(v{SCHEMA_VERSION}\\)"),
]


@pytest.mark.parametrize(
    ("spoil", "error", "message"),
    [pytest.param(spoil, error, message, id=name) for name, spoil, error, message in BAD_BACKUPS],
)
def test_restore_refuses_a_bad_backup_and_writes_nothing(
    live: Path,
    tmp_path: Path,
    spoil: Callable[[Path, Path], None],
    error: type[Exception],
    message: str,
) -> None:
    """Damaged, foreign, empty or newer backups are refused before anything is written:
    the database is unchanged and no copy of it was even taken."""
    good = take_backup(live, tmp_path / "backups", now=NOW).path
    bad = tmp_path / "bad.db"
    spoil(bad, good)
    before = table_rows(live)
    with pytest.raises(error, match=message):
        restore_backup(bad, live, now=NOW, previous_dir=tmp_path / "saved")
    assert table_rows(live) == before
    assert not (tmp_path / "saved").exists()


def test_restore_refuses_the_database_itself(live: Path) -> None:
    """Restoring a database onto itself is a mistake, refused with a clear message."""
    with pytest.raises(BackupError, match="is the database itself"):
        restore_backup(live, live, now=NOW, previous_dir=None)


# --------------------------------------------------------------------------- the CLI


def test_cli_backup_then_restore(live: Path, tmp_path: Path) -> None:
    """`sitrep backup` writes checked generations; `sitrep restore` brings one back."""
    code, out, err = cli(live, "backup", "--keep", "2")
    assert (code, err) == (0, "")
    assert "integrity ok" in out and "1 backup(s) kept" in out
    (backup,) = list_backups(live.parent / "backups")
    before = table_rows(live)
    FactStore(db := open_db(live)).retire(LEADERSHIP, actor="test")
    db.close()
    code, out, err = cli(live, "restore", str(backup))
    assert (code, err) == (0, "")
    assert out.startswith("saved the database as it was to ")
    assert f"restored {backup} into {live}" in out
    assert table_rows(live) == before
    code, out, _ = cli(live, "backup", "--dir", str(tmp_path / "elsewhere"), "--keep", "1")
    assert code == 0 and len(list_backups(tmp_path / "elsewhere")) == 1


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("backup",), 1, "sitrep: no database file at {missing}\n"),
        (("restore", "{missing}"), 1, "sitrep: no database file at {missing}\n"),
        (
            ("restore", "{newer}"),
            1,
            "sitrep: {newer} has database schema v99, newer than this Sitrep "
            f"(v{SCHEMA_VERSION}); upgrade Sitrep to restore it\n",
        ),
    ],
    ids=["backup without a database", "restore of a missing file", "restore of a newer schema"],
)
def test_cli_backup_and_restore_errors_are_one_line(
    live: Path, tmp_path: Path, argv: tuple[str, ...], code: int, message: str
) -> None:
    """Each refusal exits non-zero with one line naming the file, and changes nothing."""
    newer = tmp_path / "newer.db"
    newer.write_bytes(live.read_bytes())
    set_version(newer, 99)
    paths = {"missing": tmp_path / "missing.db", "newer": newer}
    db = paths["missing"] if argv == ("backup",) else live
    before = table_rows(live)
    result = cli(db, *(a.format(**paths) for a in argv))
    assert result == (code, "", message.format(**paths))
    assert table_rows(live) == before


@pytest.mark.parametrize("keep", ["0", "-3", "many"])
def test_cli_backup_keep_must_be_positive(live: Path, keep: str) -> None:
    """--keep below 1 (or not a number) is a usage error before anything happens."""
    with pytest.raises(SystemExit) as exited:
        cli(live, "backup", "--keep", keep)
    assert exited.value.code == 2
    assert not (live.parent / "backups").exists()


def test_backup_and_restore_have_help() -> None:
    """Both commands explain themselves."""
    for command in ("backup", "restore"):
        with pytest.raises(SystemExit) as exited:
            main([command, "--help"], out=io.StringIO())
        assert exited.value.code == 0


@pytest.fixture(autouse=True)
def _no_stray_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads SITREP_DB/SITREP_SEEDS; tests pass --db, so unset them."""
    monkeypatch.delenv("SITREP_DB", raising=False)
    monkeypatch.delenv("SITREP_SEEDS", raising=False)


# --------------------------------------------------------------------------- before migrating


def _older(path: Path) -> None:
    """A database at schema v1 holding one revision-less document row."""
    db = open_db(path)
    migrate(db, MIGRATIONS[:1])
    db.execute("INSERT INTO documents (id, title) VALUES ('old', 'An old document')")
    db.conn.commit()
    db.close()


def test_older_database_is_backed_up_before_it_is_migrated(tmp_path: Path) -> None:
    """F7: opening a database of an older schema first saves it, as it was, beside itself;
    a current one, a new one and a newer one are not copied."""
    path = tmp_path / "sitrep.db"
    _older(path)
    open_desk(path, BUNDLED_SEEDS).close()
    (saved,) = list_backups(path.parent / "backups")
    assert check_backup(saved).schema_version == 1
    assert table_rows(saved)["documents"] == [("old", "An old document", "", None, "", "")]
    assert check_backup(path).schema_version == SCHEMA_VERSION
    open_desk(path, BUNDLED_SEEDS).close()  # now current: no second copy
    fresh = tmp_path / "new" / "sitrep.db"
    open_desk(fresh, BUNDLED_SEEDS).close()
    assert len(list_backups(path.parent / "backups")) == 1
    assert not (fresh.parent / "backups").exists()


def test_failed_migration_leaves_the_database_and_its_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails rolls back; the copy taken before it is there as well."""
    path = tmp_path / "sitrep.db"
    _older(path)
    before = table_rows(path)

    def broken(db: Any) -> None:
        raise sqlite3.OperationalError("simulated")

    monkeypatch.setattr(
        knowledge.store.facts, "migrate", lambda db: migrate(db, (MIGRATIONS[0], broken))
    )
    with pytest.raises(SchemaError, match="unchanged at v1"):
        open_desk(path, BUNDLED_SEEDS)
    assert table_rows(path) == before
    (saved,) = list_backups(path.parent / "backups")
    assert table_rows(saved) == before


def test_backups_run_on_a_schedule() -> None:
    """F6: the deploy/ timer runs `sitrep backup` daily, catching up after downtime."""
    deploy = Path(__file__).resolve().parent.parent / "deploy"
    units = {}
    for name in ("sitrep-backup.service", "sitrep-backup.timer"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # type: ignore[assignment, method-assign]
        unit.read(deploy / name)
        units[name] = unit
    service = units["sitrep-backup.service"]["Service"]
    assert service["ExecStart"].split()[1:3] == ["backup", "--keep"]
    assert int(service["ExecStart"].split()[3]) >= 2
    assert service["EnvironmentFile"] == "/etc/sitrep/sitrep.env"  # the bot's SITREP_DB
    timer = units["sitrep-backup.timer"]["Timer"]
    assert (timer["OnCalendar"], timer["Persistent"]) == ("daily", "true")
