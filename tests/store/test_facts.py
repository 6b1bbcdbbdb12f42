"""FactStore: one transaction per write, a revision row with every change, all-or-nothing loads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from storedata import (
    DOC,
    FIGHTERS_QUOTE,
    FUEL,
    KAYES,
    KAYES_QUOTE,
    LEADER,
    cite,
    fresh,
    make,
    revision_count,
)
from storekit import TickClock, dump, key_owner, put_documents

from knowledge.errors import (
    FactExists,
    FactLocked,
    FactNotFound,
    KeyConflict,
    RevisionNotFound,
    ValidationError,
)
from knowledge.models import Document, Fact, Source
from knowledge.store.facts import FactStore
from knowledge.store.plans import Write
from knowledge.store.rows import fact_state, normalize_key

# --- single-fact writes ---------------------------------------------------------------------


def test_add_returns_rev_one_and_records_revision(store: FactStore) -> None:
    """add stores the fact at rev 1 with an 'add' revision whose before is None."""
    assert store.get(LEADER.id) == replace(LEADER, rev=1)
    (rev,) = store.history(LEADER.id)
    assert (rev.rev, rev.action, rev.actor, rev.guild_id) == (1, "add", "alice", 1)
    assert rev.before is None
    assert rev.after == fact_state(replace(LEADER, rev=1))


def test_add_ignores_given_status_lock_and_rev(store: FactStore) -> None:
    """A new fact starts active, unlocked, at rev 1 whatever the caller passed."""
    added = store.add(replace(KAYES, status="retired", locked=True, rev=7), actor="bob")
    assert (added.status, added.locked, added.rev) == ("active", False, 1)


def test_add_existing_id_raises_fact_exists(store: FactStore) -> None:
    """add refuses an id that is taken."""
    with pytest.raises(FactExists):
        store.add(replace(LEADER, keys=()), actor="bob")


@pytest.mark.parametrize(
    ("fact", "field"),
    [
        (replace(KAYES, title=""), "title"),
        (replace(KAYES, id="Not A Slug"), "id"),
        (replace(KAYES, sources=(cite("words that are not in the brief"),)), "sources[0].quote"),
        (
            replace(KAYES, sources=(Source(quote=KAYES_QUOTE, document="nope"),)),
            "sources[0].source",
        ),
        (replace(KAYES, sources=()), "sources"),
        (replace(KAYES, keys=("kayes  people", "Kayes people")), "keys[1]"),
        (replace(KAYES, answer="ping @everyone"), "answer"),
        (replace(KAYES, as_of="2025-11-04"), "as_of"),  # type: ignore[arg-type]
    ],
)
def test_add_invalid_fact_changes_nothing(
    store: FactStore, db: sqlite_utils.Database, fact: Fact, field: str
) -> None:
    """A fact that fails validation raises ValidationError naming the field and writes nothing."""
    before, changes = dump(db), store.changes
    with pytest.raises(ValidationError) as caught:
        store.add(fact, actor="bob")
    assert field in {p.field for p in caught.value.problems}
    assert dump(db) == before
    assert store.changes == changes
    assert not db.conn.in_transaction


def test_validation_lists_every_problem(store: FactStore) -> None:
    """ValidationError carries all problems at once, not only the first."""
    with pytest.raises(ValidationError) as caught:
        store.add(replace(KAYES, title="", answer="", sources=()), actor="bob")
    assert {"title", "answer", "sources"} <= {p.field for p in caught.value.problems}


@pytest.mark.parametrize("key", ["JNIM leader", "jnim   LEADER", " Jnim Leader "])
def test_key_conflict_names_owner(store: FactStore, db: sqlite_utils.Database, key: str) -> None:
    """A key another active fact owns (ignoring case and spacing) raises KeyConflict naming it."""
    before = dump(db)
    with pytest.raises(KeyConflict) as caught:
        store.add(replace(KAYES, keys=(key,)), actor="bob")
    assert (caught.value.owner_id, caught.value.owner_title) == (LEADER.id, LEADER.title)
    assert LEADER.id in str(caught.value)
    assert dump(db) == before


def test_key_conflict_on_edit_and_add_key(store: FactStore) -> None:
    """edit and add_key refuse a key owned by another fact."""
    with pytest.raises(KeyConflict):
        store.edit(FUEL.id, keys=("fuel imports", "who leads jnim"), actor="bob")
    with pytest.raises(KeyConflict):
        store.add_key(FUEL.id, "WHO LEADS JNIM", actor="bob")


def test_retired_fact_frees_keys_and_restore_needs_them(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """Retiring gives a fact's keys back; restoring fails while another fact holds one."""
    store.retire(LEADER.id, actor="bob")
    assert key_owner(db, "who leads JNIM") is None
    store.add(replace(KAYES, keys=("who leads JNIM",)), actor="bob")
    assert key_owner(db, "Who  leads jnim") == KAYES.id
    with pytest.raises(KeyConflict) as caught:
        store.restore(LEADER.id, actor="bob")
    assert caught.value.owner_id == KAYES.id
    assert store.get(LEADER.id).status == "retired"


NEW_SOURCE = cite(FIGHTERS_QUOTE)


def nothing(store: FactStore) -> None:
    """No preparation."""


# (action, preparation, the action itself, what the resulting fact must satisfy)
ACTIONS: list[
    tuple[str, Callable[[FactStore], object], Callable[[FactStore], Fact], Callable[[Fact], bool]]
] = [
    (
        "edit",
        nothing,
        lambda s: s.edit(LEADER.id, answer="New answer.", tags=["jnim", "people"], actor="bob"),
        lambda f: f.answer == "New answer." and f.tags == ("jnim", "people"),
    ),
    (
        "add_key",
        nothing,
        lambda s: s.add_key(LEADER.id, "JNIM chief", actor="bob"),
        lambda f: f.keys == (*LEADER.keys, "JNIM chief"),
    ),
    (
        "remove_key",
        nothing,
        lambda s: s.remove_key(LEADER.id, "jnim  LEADER", actor="bob"),
        lambda f: f.keys == ("who leads JNIM",),
    ),
    (
        "add_source",
        nothing,
        lambda s: s.add_source(LEADER.id, NEW_SOURCE, actor="bob"),
        lambda f: f.sources == (*LEADER.sources, NEW_SOURCE),
    ),
    (
        "remove_source",
        lambda s: s.add_source(LEADER.id, NEW_SOURCE, actor="bob"),
        lambda s: s.remove_source(LEADER.id, 0, actor="bob"),
        lambda f: f.sources == (NEW_SOURCE,),
    ),
    (
        "retire",
        nothing,
        lambda s: s.retire(LEADER.id, actor="bob"),
        lambda f: f.status == "retired",
    ),
    (
        "restore",
        lambda s: s.retire(LEADER.id, actor="bob"),
        lambda s: s.restore(LEADER.id, actor="bob"),
        lambda f: f.status == "active",
    ),
    ("lock", nothing, lambda s: s.lock(LEADER.id, actor="bob"), lambda f: f.locked),
    (
        "unlock",
        lambda s: s.lock(LEADER.id, actor="bob"),
        lambda s: s.unlock(LEADER.id, actor="bob"),
        lambda f: not f.locked,
    ),
    (
        "revert",
        lambda s: s.edit(LEADER.id, title="Changed", actor="bob"),
        lambda s: s.revert(LEADER.id, 1, actor="bob"),
        lambda f: f.title == LEADER.title,
    ),
]


@pytest.mark.parametrize(
    ("action", "prepare", "call", "check"), ACTIONS, ids=[a[0] for a in ACTIONS]
)
def test_action_writes_change_and_revision_visible_to_fresh_connection(
    store: FactStore,
    db: sqlite_utils.Database,
    db_path: Path,
    action: str,
    prepare: Callable[[FactStore], object],
    call: Callable[[FactStore], Fact],
    check: Callable[[Fact], bool],
) -> None:
    """Each action bumps rev, writes a revision (who/guild/when/before/after/reason) and commits."""
    prepare(store)
    before = store.get(LEADER.id)
    changes = store.changes
    result = call(store)
    assert check(result)
    assert result.rev == before.rev + 1
    assert store.changes == changes + 1
    assert not db.conn.in_transaction
    assert store.get(LEADER.id) == result
    last = store.history(LEADER.id)[-1]
    assert (last.action, last.rev, last.actor) == (action, result.rev, "bob")
    assert (last.before, last.after) == (fact_state(before), fact_state(result))
    other = fresh(db_path)
    rev, answer, status, locked = other.execute(
        "SELECT rev, answer, status, locked FROM facts WHERE id = ?", (LEADER.id,)
    ).fetchone()
    assert (rev, answer, status, bool(locked)) == (
        result.rev,
        result.answer,
        result.status,
        result.locked,
    )
    assert revision_count(other, LEADER.id) == result.rev
    other.close()


def test_revision_records_guild_reason_and_time(store: FactStore) -> None:
    """The revision row keeps the guild, the reason and a UTC timestamp from the clock."""
    store.edit(LEADER.id, title="Leaders of JNIM", actor="carol", guild_id=42, reason="clearer")
    last = store.history(LEADER.id)[-1]
    assert (last.guild_id, last.reason) == (42, "clearer")
    assert last.at.utcoffset() == timedelta(0)
    assert last.at > store.history(LEADER.id)[0].at


def test_history_is_oldest_first(store: FactStore) -> None:
    """history lists revisions in the order they happened."""
    store.edit(LEADER.id, title="Two", actor="bob")
    store.retire(LEADER.id, actor="bob")
    history = store.history(LEADER.id)
    assert [(r.rev, r.action) for r in history] == [(1, "add"), (2, "edit"), (3, "retire")]
    assert [r.id for r in history] == sorted(r.id for r in history)
    assert history[0].at < history[1].at < history[2].at


def test_unknown_fact_raises_fact_not_found(store: FactStore, db: sqlite_utils.Database) -> None:
    """Reads and writes of an unknown id raise FactNotFound and leave no transaction open."""
    for call in (
        lambda: store.get("nope"),
        lambda: store.history("nope"),
        lambda: store.edit("nope", title="x", actor="bob"),
        lambda: store.retire("nope", actor="bob"),
    ):
        with pytest.raises(FactNotFound):
            call()
        assert not db.conn.in_transaction


LOCKED_REFUSALS: list[tuple[str, Callable[[FactStore], object]]] = [
    ("edit", lambda s: s.edit(LEADER.id, title="x", actor="bob")),
    ("edit-same", lambda s: s.edit(LEADER.id, title=LEADER.title, actor="bob")),
    ("add_key", lambda s: s.add_key(LEADER.id, "new key", actor="bob")),
    ("remove_key", lambda s: s.remove_key(LEADER.id, "JNIM leader", actor="bob")),
    ("add_source", lambda s: s.add_source(LEADER.id, NEW_SOURCE, actor="bob")),
    ("remove_source", lambda s: s.remove_source(LEADER.id, 0, actor="bob")),
    ("retire", lambda s: s.retire(LEADER.id, actor="bob")),
    ("restore", lambda s: s.restore(LEADER.id, actor="bob")),
    ("revert", lambda s: s.revert(LEADER.id, 1, actor="bob")),
]


@pytest.mark.parametrize(("name", "call"), LOCKED_REFUSALS, ids=[c[0] for c in LOCKED_REFUSALS])
def test_lock_refuses_every_action_but_unlock(
    store: FactStore, db: sqlite_utils.Database, name: str, call: Callable[[FactStore], object]
) -> None:
    """A locked fact refuses every change with FactLocked and nothing is written."""
    store.lock(LEADER.id, actor="mod")
    before = dump(db)
    with pytest.raises(FactLocked):
        call(store)
    assert dump(db) == before
    assert not db.conn.in_transaction
    assert store.unlock(LEADER.id, actor="mod").locked is False


@pytest.mark.parametrize(
    ("name", "call"),
    [
        (
            "edit-same",
            lambda s: s.edit(LEADER.id, title=LEADER.title, keys=list(LEADER.keys), actor="b"),
        ),
        ("add-own-key", lambda s: s.add_key(LEADER.id, "who  LEADS jnim", actor="b")),
        ("unlock-unlocked", lambda s: s.unlock(LEADER.id, actor="b")),
        ("restore-active", lambda s: s.restore(LEADER.id, actor="b")),
        ("revert-to-current", lambda s: s.revert(LEADER.id, 1, actor="b")),
    ],
)
def test_change_that_changes_nothing_writes_nothing(
    store: FactStore, db: sqlite_utils.Database, name: str, call: Callable[[FactStore], Fact]
) -> None:
    """An action that leaves the fact as it is returns it unchanged and writes no revision."""
    before, changes = dump(db), store.changes
    assert call(store) == store.get(LEADER.id)
    assert dump(db) == before
    assert store.changes == changes


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: s.edit(LEADER.id, status="retired", actor="b"), TypeError),
        (lambda s: s.edit(LEADER.id, keys="one key", actor="b"), TypeError),
        (lambda s: s.remove_key(LEADER.id, "not a key", actor="b"), ValidationError),
        (lambda s: s.remove_source(LEADER.id, 1, actor="b"), ValidationError),
        (lambda s: s.remove_source(LEADER.id, -1, actor="b"), ValidationError),
        (lambda s: s.remove_source(LEADER.id, 0, actor="b"), ValidationError),  # the last one
        (lambda s: s.add_source(LEADER.id, cite("not in the brief"), actor="b"), ValidationError),
        (
            lambda s: s.edit(LEADER.id, as_of=date(2099, 1, 1), review_by=None, actor="b"),
            ValidationError,
        ),
        (lambda s: s.edit(LEADER.id, title="x", actor=""), ValueError),
        (lambda s: s.edit(LEADER.id, title="x", actor="b", reason="r" * 501), ValidationError),
        (lambda s: s.edit(LEADER.id, title="x", actor="b", reason="a\u202eb"), ValidationError),
        (lambda s: s.revert(LEADER.id, 9, actor="b"), RevisionNotFound),
    ],
)
def test_refused_change_writes_nothing(
    store: FactStore,
    db: sqlite_utils.Database,
    call: Callable[[FactStore], object],
    error: type[Exception],
) -> None:
    """Bad arguments and invalid results raise a named error and change nothing."""
    before = dump(db)
    with pytest.raises(error):
        call(store)
    assert dump(db) == before
    assert not db.conn.in_transaction


def test_retire_and_lock_work_on_a_fact_that_no_longer_validates(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """Taking an invalid fact out of service is allowed; editing or restoring it is validated."""
    put_documents(store, [replace(DOC, text="The brief was rewritten.")])
    store.lock(LEADER.id, actor="b")
    store.unlock(LEADER.id, actor="b")
    assert store.retire(LEADER.id, actor="b").status == "retired"
    with pytest.raises(ValidationError):
        store.restore(LEADER.id, actor="b")


def test_revert_restores_state_after_revision(store: FactStore) -> None:
    """revert writes a new revision whose after equals the after of the chosen one."""
    store.edit(LEADER.id, title="Second", keys=["x one"], actor="b")
    store.retire(LEADER.id, actor="b")
    reverted = store.revert(LEADER.id, 2, actor="c")
    history = store.history(LEADER.id)
    assert reverted.rev == 4
    assert history[-1].action == "revert"
    assert history[-1].after == history[1].after
    assert history[-1].reason == "revert to rev 2"
    assert (reverted.title, reverted.keys, reverted.status) == ("Second", ("x one",), "active")


def test_write_failure_before_revision_rolls_back_change(
    store: FactStore, db: sqlite_utils.Database, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the revision insert fails after the fact was written, neither is visible anywhere."""
    before = dump(db)

    def boom(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(store, "_write_revision", boom)
    for call in (
        lambda: store.edit(LEADER.id, title="Lost", actor="b"),
        lambda: store.add(KAYES, actor="b"),
        lambda: store.retire(LEADER.id, actor="b"),
        lambda: store.sync([DOC], [LEADER, KAYES], actor="b"),
    ):
        with pytest.raises(sqlite3.OperationalError):
            call()
        assert not db.conn.in_transaction
        assert dump(db) == before
    other = fresh(db_path)
    assert other.execute("SELECT title FROM facts WHERE id = ?", (LEADER.id,)).fetchone() == (
        LEADER.title,
    )
    assert other.execute("SELECT count(*) FROM facts WHERE id = ?", (KAYES.id,)).fetchone() == (0,)
    other.close()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE revisions SET actor = 'mallory'",
        "DELETE FROM revisions",
        "DELETE FROM revisions WHERE rev = 1",
    ],
)
def test_revisions_are_append_only(store: FactStore, db: sqlite_utils.Database, sql: str) -> None:
    """The revisions table refuses UPDATE and DELETE, whoever asks."""
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute(sql)
    db.conn.rollback()
    assert len(store.history(LEADER.id)) == 1


# --- reads ----------------------------------------------------------------------------------


def test_facts_sorted_and_filtered_by_status(store: FactStore) -> None:
    """facts() is sorted by id and leaves out retired facts unless asked."""
    store.add(KAYES, actor="b")
    store.retire(FUEL.id, actor="b")
    assert [f.id for f in store.facts()] == sorted([LEADER.id, KAYES.id])
    assert [f.id for f in store.facts(include_retired=True)] == sorted(
        [LEADER.id, KAYES.id, FUEL.id]
    )


def test_documents_upsert_by_id(store: FactStore) -> None:
    """A load inserts new documents and updates existing ones by id."""
    other = Document(id="other", title="Other", publisher="P", published=None, url="", text="t")
    put_documents(store, [replace(DOC, title="Renamed"), other])
    docs = store.documents()
    assert list(docs) == ["brief", "other"]
    assert docs["brief"].title == "Renamed"
    assert docs["other"] == other


def test_duplicate_documents_are_refused(store: FactStore, db: sqlite_utils.Database) -> None:
    """Two documents with one id are refused before anything is written."""
    before = dump(db)
    with pytest.raises(ValidationError):
        put_documents(store, [DOC, replace(DOC, title="Again")])
    assert dump(db) == before


def test_key_ownership_ignores_case_and_spacing(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """The active fact with a key is found ignoring case and spacing."""
    assert key_owner(db, "  who LEADS   jnim ") == LEADER.id
    assert key_owner(db, "unknown") is None
    assert normalize_key("  Who\tLEADS  jnim\n") == "who leads jnim"


# --- sync -----------------------------------------------------------------------------------


def test_sync_reports_added_changed_unchanged_retired(store: FactStore) -> None:
    """sync adds, edits, keeps and retires, with 'load' revisions only for what changed."""
    report = store.sync(
        [DOC], [LEADER, replace(FUEL, title="Fuel, revised"), KAYES], actor="loader"
    )
    assert report.added == (KAYES.id,)
    assert report.changed == (FUEL.id,)
    assert report.unchanged == (LEADER.id,)
    assert report.retired == ()
    assert not report.dry_run
    assert store.history(FUEL.id)[-1].action == "load"
    assert len(store.history(LEADER.id)) == 1

    report = store.sync([DOC], [LEADER], actor="loader")
    assert report.retired == (KAYES.id, FUEL.id)  # sorted by id
    assert store.get(KAYES.id).status == "retired"
    assert store.history(KAYES.id)[-1].reason == "missing from the loaded set"


def test_sync_restores_retired_fact_present_again(store: FactStore) -> None:
    """A retired fact that is back in the set is restored and reported as changed."""
    store.retire(FUEL.id, actor="b")
    report = store.sync([DOC], [LEADER, FUEL], actor="loader")
    assert report.changed == (FUEL.id,)
    assert store.get(FUEL.id).status == "active"


def test_sync_twice_is_all_unchanged(store: FactStore, db: sqlite_utils.Database) -> None:
    """Loading the same set again reports everything unchanged and writes nothing."""
    store.sync([DOC], [LEADER, FUEL, KAYES], actor="loader")
    before, changes = dump(db), store.changes
    report = store.sync([DOC], [LEADER, FUEL, KAYES], actor="loader")
    assert report.unchanged == tuple(sorted([LEADER.id, FUEL.id, KAYES.id]))
    assert report.added == report.changed == report.retired == ()
    assert dump(db) == before
    assert store.changes == changes


def test_sync_dry_run_writes_nothing(store: FactStore, db: sqlite_utils.Database) -> None:
    """A dry run reports what would happen and leaves the database as it was."""
    before = dump(db)
    report = store.sync(
        [replace(DOC, title="New title")],
        [replace(LEADER, answer="Changed.")],
        actor="x",
        dry_run=True,
    )
    assert report.dry_run
    assert (report.changed, report.retired) == ((LEADER.id,), (FUEL.id,))
    assert dump(db) == before
    assert not db.conn.in_transaction


def test_sync_bad_record_in_the_middle_changes_nothing(
    store: FactStore, db: sqlite_utils.Database
) -> None:
    """One invalid fact among many refuses the whole set and lists every problem."""
    good = [make(f"fact-{i:03d}", keys=(f"k{i}",)) for i in range(40)]
    bad = [
        replace(good[20], sources=(cite("not in the brief"),)),
        replace(good[21], title=""),
    ]
    before = dump(db)
    with pytest.raises(ValidationError) as caught:
        store.sync([DOC], [*good[:20], *bad, *good[22:]], actor="loader")
    assert {(p.fact_id, p.field) for p in caught.value.problems} == {
        (good[20].id, "sources[0].quote"),
        (good[21].id, "title"),
    }
    assert dump(db) == before
    assert not db.conn.in_transaction


@pytest.mark.parametrize(
    ("facts", "fields"),
    [
        ([LEADER, LEADER], {"id"}),
        ([LEADER, replace(FUEL, keys=("who leads JNIM",))], {"keys[0]"}),
    ],
)
def test_sync_rejects_duplicate_ids_and_shared_keys(
    store: FactStore, db: sqlite_utils.Database, facts: list[Fact], fields: set[str]
) -> None:
    """Duplicate ids and keys claimed twice in the set are validation problems."""
    before = dump(db)
    with pytest.raises(ValidationError) as caught:
        store.sync([DOC], facts, actor="loader")
    assert {p.field for p in caught.value.problems} == fields
    assert dump(db) == before


def test_sync_key_moves_to_renamed_fact(store: FactStore, db: sqlite_utils.Database) -> None:
    """A renamed id keeps its keys in one load: the old fact is retired, the new one owns them."""
    renamed = replace(LEADER, id="jnim-leaders")
    report = store.sync([DOC], [renamed, FUEL], actor="loader")
    assert (report.added, report.retired) == ((renamed.id,), (LEADER.id,))
    assert key_owner(db, "who leads JNIM") == renamed.id


def test_sync_keys_swapped_between_facts(store: FactStore, db: sqlite_utils.Database) -> None:
    """Two facts may swap keys in one load; the end state is what counts."""
    swapped = [replace(LEADER, keys=FUEL.keys), replace(FUEL, keys=LEADER.keys)]
    store.sync([DOC], swapped, actor="loader")
    assert key_owner(db, "fuel imports") == LEADER.id
    assert key_owner(db, "JNIM leader") == FUEL.id


def test_sync_without_retire_missing_keeps_others(store: FactStore) -> None:
    """retire_missing=False leaves facts outside the set alone, and their keys count."""
    report = store.sync([DOC], [KAYES], actor="loader", retire_missing=False)
    assert (report.added, report.retired) == ((KAYES.id,), ())
    assert store.get(FUEL.id).status == "active"
    with pytest.raises(ValidationError):
        store.sync([DOC], [replace(KAYES, keys=("fuel imports",))], actor="l", retire_missing=False)


@pytest.mark.parametrize(
    "facts",
    [
        [replace(LEADER, title="Changed"), FUEL],  # would change
        [FUEL],  # would retire
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_sync_refuses_to_touch_locked_fact(
    store: FactStore, db: sqlite_utils.Database, facts: list[Fact], dry_run: bool
) -> None:
    """A locked fact that the load would change or retire refuses the whole load."""
    store.lock(LEADER.id, actor="mod")
    before = dump(db)
    with pytest.raises(FactLocked):
        store.sync([DOC], [*facts, KAYES], actor="loader", dry_run=dry_run)
    assert dump(db) == before


def test_sync_leaves_unchanged_locked_fact_alone(store: FactStore) -> None:
    """A locked fact that the load does not change is fine."""
    store.lock(LEADER.id, actor="mod")
    report = store.sync([DOC], [LEADER, FUEL], actor="loader")
    assert report.unchanged == tuple(sorted([LEADER.id, FUEL.id]))
    assert store.get(LEADER.id).locked


def test_sync_validates_against_new_documents(store: FactStore) -> None:
    """Quotes are checked against the documents given with the set, not only stored ones."""
    extra = Document(
        id="extra", title="Extra", publisher="P", published=None, url="", text="A new claim."
    )
    fact = make(
        "new-claim", "A new claim", sources=(Source(quote="A new claim", document="extra"),)
    )
    assert store.sync([DOC, extra], [LEADER, FUEL, fact], actor="l").added == ("new-claim",)
    assert "extra" in store.documents()


def test_sync_failure_midway_rolls_back_everything(
    store: FactStore, db: sqlite_utils.Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure on the third write of a load undoes the documents and the first two writes."""
    before = dump(db)
    real = store._write_revision
    calls: list[int] = []

    def flaky(conn: sqlite3.Connection, write: Write, action: str, stamp: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise sqlite3.OperationalError("injected")
        real(conn, write, action, stamp)

    monkeypatch.setattr(store, "_write_revision", flaky)
    facts = [make(f"fact-{i}", keys=(f"k{i}",)) for i in range(5)]
    with pytest.raises(sqlite3.OperationalError):
        store.sync([replace(DOC, title="New")], facts, actor="l")
    assert dump(db) == before
    assert not db.conn.in_transaction


def test_revisions_window(store: FactStore, clock: TickClock) -> None:
    """Revisions of every fact at or after since and before until, in order."""
    cut = clock.now + timedelta(seconds=1)
    store.edit(LEADER.id, title="New title", actor="b")
    store.retire(FUEL.id, actor="b")
    assert len(store.revisions()) == 4
    assert [(r.fact_id, r.action) for r in store.revisions(since=cut)] == [
        (LEADER.id, "edit"),
        (FUEL.id, "retire"),
    ]
    assert [r.action for r in store.revisions(until=cut)] == ["add", "add"]
