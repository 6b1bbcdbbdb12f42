"""knowledge.curation: moderators' actions, the revisions they write, import and export."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlite_utils
from sample import BRIEF, FACTS
from storekit import dump

from knowledge.curation.curator import Curator, ImportPlan, export_name, export_toml
from knowledge.curation.drafts import form_values, parse_form
from knowledge.curation.export import fact_to_toml
from knowledge.curation.files import load_seeds
from knowledge.desk import load_seed_dir
from knowledge.errors import (
    EditConflict,
    FactExists,
    FactLocked,
    KeyConflict,
    ValidationError,
)
from knowledge.models import Fact, Source
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

TODAY = date(2025, 11, 20)
URL = Source(quote="Some outside claim", title="Outside", url="https://example.com/x")


def noon_today() -> datetime:
    """The store's clock: the same day as TODAY."""
    return datetime(2025, 11, 20, 12, tzinfo=UTC)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The store's clock."""
    return noon_today


@pytest.fixture
def store(store: FactStore) -> FactStore:
    """The shared store, with the sample brief and facts loaded as a file would."""
    store.sync([BRIEF], FACTS, actor="seed")
    return store


@pytest.fixture
def mod(store: FactStore) -> Curator:
    """A moderator acting in guild 7."""
    return Curator(store, "discord:111111111111111111", guild_id=7, today=TODAY)


DRAFT = parse_form(
    {
        "title": "Where JNIM operates",
        "answer": "JNIM operates across Mali.",
        "keys": "where does JNIM operate, JNIM area",
        "tags": "jnim",
        "dates": "2025-11-04",
    }
)


def test_add_describes_a_document_source_and_records_who(mod: Curator) -> None:
    """A document source gets its document's title, publisher, date and URL; rev 1 is recorded."""
    quote = Source(quote="JNIM boasts approximately 6,000 fighters", document="brief")
    outcome = mod.add("jnim-area", DRAFT, quote, reason="new topic")
    assert outcome.changed
    assert outcome.fact.sources == (
        Source(quote.quote, "brief", BRIEF.title, BRIEF.publisher, BRIEF.published, BRIEF.url),
    )
    revision = outcome.revision
    assert revision is not None
    assert (revision.rev, revision.action, revision.actor, revision.guild_id, revision.reason) == (
        1,
        "add",
        "discord:111111111111111111",
        7,
        "new topic",
    )


def test_check_new_refuses_taken_id_and_bad_quote(mod: Curator) -> None:
    """Before a form opens: a taken id, an unknown document or a wrong quote is refused."""
    with pytest.raises(FactExists):
        mod.check_new("kayes", Source(quote="x", document="brief"))
    with pytest.raises(ValidationError) as caught:
        mod.check_new("new-one", Source(quote="not in the brief at all", document="brief"))
    assert caught.value.problems[0].field == "sources[0].quote"
    with pytest.raises(ValidationError):
        mod.check_new("new-one", Source(quote="x", document="no-such-doc"))
    assert mod.check_new("new-one", URL) == URL


def test_edit_from_form_changes_only_what_was_typed(mod: Curator, store: FactStore) -> None:
    """A form saved unchanged writes nothing; a changed title writes only the title."""
    base = store.get("kayes")
    same = parse_form(form_values(base))
    assert mod.edit(base, same) == mod.edit(base, same)
    assert not mod.edit(base, same).changed
    new_title = replace(same, title="Kayes is blockaded")
    outcome = mod.edit(base, new_title, reason="wording")
    assert outcome.fact.title == "Kayes is blockaded"
    assert outcome.revision is not None
    assert outcome.revision.before is not None and outcome.revision.after is not None
    changed = {
        k for k in outcome.revision.after if outcome.revision.before[k] != outcome.revision.after[k]
    }
    assert changed == {"title"}


def test_edit_keeps_a_concurrent_change_of_another_field(mod: Curator, store: FactStore) -> None:
    """Someone retitles the fact while a form is open on its answer: both changes survive."""
    base = store.get("kayes")
    store.edit("kayes", title="Retitled meanwhile", actor="cli:other")
    draft = replace(parse_form(form_values(base)), answer="Kayes, 127,000 people, is blockaded.")
    outcome = mod.edit(base, draft)
    assert (outcome.fact.title, outcome.fact.answer) == (
        "Retitled meanwhile",
        "Kayes, 127,000 people, is blockaded.",
    )


def test_edit_refuses_a_conflicting_change(
    mod: Curator, store: FactStore, db: sqlite_utils.Database
) -> None:
    """Both changed the same field differently: EditConflict, nothing written."""
    base = store.get("kayes")
    store.edit("kayes", title="Their title", actor="cli:other")
    before = dump(db)
    with pytest.raises(EditConflict) as caught:
        mod.edit(base, replace(parse_form(form_values(base)), title="My title"))
    assert (caught.value.fields, caught.value.rev) == (["title"], 2)
    assert dump(db) == before
    # Both typed the same thing: no conflict, and nothing left to write.
    assert not mod.edit(base, replace(parse_form(form_values(base)), title="Their title")).changed


def test_editable_refuses_a_locked_fact(mod: Curator) -> None:
    """The edit form does not open on a locked fact."""
    mod.lock("kayes")
    with pytest.raises(FactLocked):
        mod.editable("kayes")


def test_every_action_reports_its_revision(mod: Curator, store: FactStore) -> None:
    """Each action returns the fact and exactly the revision it wrote."""
    steps = [
        ("add_key", lambda: mod.add_key("kayes", "  Kayes   siege ")),
        ("remove_key", lambda: mod.remove_key("kayes", "kayes SIEGE")),
        ("add_source", lambda: mod.add_source("kayes", URL)),
        ("remove_source", lambda: mod.remove_source("kayes", 2)),
        ("retire", lambda: mod.retire("kayes")),
        ("restore", lambda: mod.restore("kayes")),
        ("lock", lambda: mod.lock("kayes")),
        ("unlock", lambda: mod.unlock("kayes")),
        ("revert", lambda: mod.revert("kayes", 2)),
    ]
    for n, (action, step) in enumerate(steps, start=2):
        outcome = step()
        assert outcome.revision is not None, action
        assert (outcome.revision.action, outcome.revision.rev, outcome.fact.rev) == (action, n, n)
        assert store.history("kayes")[-1] == outcome.revision
    assert "Kayes siege" in store.get("kayes").keys  # reverted to rev 2: the key is back


def test_action_that_changes_nothing_has_no_revision(mod: Curator) -> None:
    """Unlocking an unlocked fact, or adding a key it has, reports no change."""
    assert not mod.unlock("kayes").changed
    assert not mod.add_key("kayes", "KAYES blockade").changed


@pytest.mark.parametrize(
    ("case", "retire", "question", "changed"),
    [
        ("an active fact takes the question", False, "Kayes siege", True),
        ("a key it has changes nothing", False, "kayes BLOCKADE", False),
        ("a retired fact is left as it is", True, "Kayes siege", False),
    ],
)
def test_add_asked_key(
    mod: Curator, store: FactStore, case: str, retire: bool, question: str, changed: bool
) -> None:
    """A question people asked becomes a key of an active fact, with the reason given; a
    retired fact gets none and says so by its status."""
    if retire:
        store.retire("kayes", actor="seed")
    outcome = mod.add_asked_key("kayes", question, reason="picked from the suggestions 2 time(s)")
    assert outcome.changed is changed, case
    assert outcome.fact.status == ("retired" if retire else "active")
    assert ("Kayes siege" in store.get("kayes").keys) is changed
    if changed:
        assert outcome.revision is not None
        assert outcome.revision.reason == "picked from the suggestions 2 time(s)"
        assert outcome.revision.actor == mod.actor


def test_key_conflict_names_the_other_fact(mod: Curator) -> None:
    """A key owned by another fact is refused, naming that fact."""
    with pytest.raises(KeyConflict) as caught:
        mod.add_key("kayes", "who leads jnim")
    assert caught.value.owner_id == "jnim-leadership"


# --- import and export ------------------------------------------------------------------------


def test_plan_import_is_a_dry_run(mod: Curator, db: sqlite_utils.Database) -> None:
    """Planning reads and checks the file and says what would change; it writes nothing."""
    before = dump(db)
    changed = replace(FACTS[2], answer="Kayes has been under blockade.")
    new = replace(FACTS[0], id="jnim-leaders-2", keys=("JNIM leaders two",))
    plan = mod.plan_import(fact_to_toml([changed, new]).encode(), "f.toml")
    assert (plan.report.added, plan.report.changed, plan.report.retired) == (
        ("jnim-leaders-2",),
        ("kayes",),
        (),
    )
    assert plan.report.dry_run
    assert dump(db) == before


def test_import_with_replace_retires_what_the_file_lacks(mod: Curator, store: FactStore) -> None:
    """replace=True retires active facts missing from the file."""
    plan = mod.plan_import(fact_to_toml(FACTS[:2]).encode(), "two.toml", replace=True)
    assert set(plan.report.retired) == {f.id for f in FACTS[2:]}
    report = mod.run_import(plan)
    assert {f.id for f in store.facts()} == {f.id for f in FACTS[:2]}
    assert report.retired == plan.report.retired
    assert (store.history("kayes")[-1].action, store.get("kayes").status) == ("load", "retired")


def test_import_bad_record_in_the_middle_changes_nothing(
    mod: Curator, store: FactStore, db: sqlite_utils.Database
) -> None:
    """F4: a file whose record 550 of 600 is bad is refused whole, every problem listed."""
    facts = [generated(i) for i in range(600)]
    facts[550] = replace(facts[550], answer="ping @everyone")
    data = fact_to_toml(facts).encode()
    before = dump(db)
    with pytest.raises(ValidationError) as caught:
        mod.plan_import(data, "big.toml")
    (problem,) = caught.value.problems
    assert (problem.fact_id, problem.field, problem.file) == ("gen-00550", "answer", "big.toml")
    assert problem.line is not None and problem.line > 1000
    assert dump(db) == before


def test_run_import_rechecks_and_is_all_or_nothing(
    mod: Curator, store: FactStore, db: sqlite_utils.Database
) -> None:
    """A plan that became invalid meanwhile (a key taken since) is refused whole on confirm."""
    plan = mod.plan_import(fact_to_toml([generated(1), generated(2)]).encode(), "two.toml")
    store.add_key("kayes", "generated key 2", actor="cli:other")
    before = dump(db)
    with pytest.raises(ValidationError):
        mod.run_import(plan)
    assert dump(db) == before


def test_import_refuses_an_empty_or_oversized_file(mod: Curator) -> None:
    """A file with no facts (which could retire everything) or over 1 MiB is refused."""
    with pytest.raises(ValidationError, match="no \\[\\[fact\\]\\]"):
        mod.plan_import(b"# nothing here\n", "empty.toml", replace=True)
    with pytest.raises(ValidationError, match="larger than"):
        mod.plan_import(b"#" * (1024 * 1024 + 1), "huge.toml")


def test_import_of_a_locked_fact_is_refused(mod: Curator) -> None:
    """A file that would change a locked fact is refused whole."""
    mod.lock("kayes")
    with pytest.raises(FactLocked):
        mod.plan_import(fact_to_toml([replace(FACTS[2], answer="Changed.")]).encode(), "f.toml")


def test_export_import_round_trip_changes_nothing(mod: Curator, store: FactStore) -> None:
    """The export file, imported back, is all unchanged; its header names the date."""
    mod.add_source("kayes", URL)
    name, text = mod.export()
    assert name == export_name(TODAY) == "sitrep-facts-2025-11-20.toml"
    assert text.startswith("# Sitrep fact export of 2025-11-20: 5 active fact(s).")
    plan = mod.plan_import(text.encode(), name)
    assert plan.report.unchanged == tuple(sorted(f.id for f in FACTS))
    assert not (plan.report.added or plan.report.changed or plan.report.retired)


def test_export_loads_with_sitrep_load_from_a_seeds_dir(
    mod: Curator, store: FactStore, tmp_path: Path
) -> None:
    """The export, put in a seeds directory's facts/ beside its sources, loads unchanged."""
    seeds = Path(__file__).parent / "data" / "files" / "seeds"
    fresh = FactStore(open_db(tmp_path / "other.db"), clock=noon_today)
    load_seed_dir(fresh, seeds, actor="seed")
    exported = Curator(fresh, "cli:test", today=TODAY).export()[1]
    target = tmp_path / "exported-seeds"
    (target / "facts").mkdir(parents=True)
    (target / "facts" / "all.toml").write_text(exported, encoding="utf-8")
    (target / "sources").symlink_to(seeds / "sources", target_is_directory=True)
    assert load_seeds(target).facts == tuple(replace(f, rev=0) for f in fresh.facts())
    report = load_seed_dir(fresh, target, actor="cli:test", dry_run=True)
    assert not (report.added or report.changed or report.retired)
    fresh.db.close()


def test_export_toml_lists_only_what_it_is_given() -> None:
    """export_toml writes exactly the facts given, after its header."""
    text = export_toml([FACTS[0]], TODAY)
    assert text.count("[[fact]]") == 1


def generated(i: int) -> Fact:
    """A valid generated fact quoting the sample brief."""
    return Fact(
        id=f"gen-{i:05d}",
        title=f"Generated fact {i}",
        answer=f"Generated answer {i}.",
        as_of=date(2025, 11, 4),
        sources=(Source(quote="JNIM boasts approximately 6,000 fighters", document="brief"),),
        keys=(f"generated key {i}",),
        tags=("generated",),
    )


def test_import_plan_keeps_the_parsed_facts(mod: Curator) -> None:
    """The plan carries the facts it checked, so the confirm imports what was shown."""
    plan = mod.plan_import(fact_to_toml([generated(3)]).encode(), "one.toml")
    assert isinstance(plan, ImportPlan)
    assert [f.id for f in plan.facts] == ["gen-00003"]


def test_import_revisions_are_visible_to_a_fresh_connection(
    mod: Curator, store: FactStore, db_path: Path
) -> None:
    """F3: after an import returns, another connection sees the facts and their revisions."""
    mod.run_import(mod.plan_import(fact_to_toml([generated(4)]).encode(), "one.toml"))
    assert not store.db.conn.in_transaction
    other = sqlite3.connect(db_path)
    row = other.execute("SELECT actor, guild_id, reason FROM revisions WHERE fact_id = 'gen-00004'")
    assert row.fetchall() == [("discord:111111111111111111", 7, "import of one.toml")]
    other.close()


# --- A5: what a fact's text may contain -----------------------------------------------------

BAD_BODIES = [
    ("ping @everyone now", "mass or role/user mention"),
    ("ask @here", "mass or role/user mention"),
    ("call <@&123456789012345678>", "mass or role/user mention"),
    ("call <@!123456789012345678>", "mass or role/user mention"),
    ("read [the brief](https://evil.example/x)", "masked link"),
    ("read [the brief]( <http://evil.example>)", "masked link"),
    ("hidden \u202etext", "control or invisible formatting characters (U+202E)"),
    ("zero\u200bwidth", "control or invisible formatting characters (U+200B)"),
    ("x" * 1501, "is 1501 characters long; the limit is 1500"),
    ("   ", "is required and may not be empty"),
]
GOOD_BODIES = [
    "JNIM is led by **Iyad ag-Ghali**; see https://thesoufancenter.org/intelbrief-2025-november-4/",
    "One paragraph — with “quotes”, émigrés, _emphasis_ and 🙂.",
    "Email ops@example.org about it; the list [1] (below) and a[0](1) stay as typed.",
    "x" * 1500,
]


@pytest.mark.parametrize(("answer", "message"), BAD_BODIES)
def test_bad_answers_are_refused_with_a_clear_message(
    mod: Curator, store: FactStore, answer: str, message: str
) -> None:
    """A5: mentions, masked links, hidden characters and overlong text are refused, by field."""
    base = store.get("kayes")
    with pytest.raises(ValidationError) as caught:
        mod.edit(base, replace(parse_form(form_values(base)), answer=answer))
    (problem,) = caught.value.problems
    assert problem.field == "answer"
    assert message in problem.message
    assert store.get("kayes") == base


@pytest.mark.parametrize("answer", GOOD_BODIES)
def test_good_answers_round_trip_unchanged(mod: Curator, store: FactStore, answer: str) -> None:
    """A5: ordinary text, markdown, bare links, emoji and newlines are stored exactly."""
    base = store.get("kayes")
    mod.edit(base, replace(parse_form(form_values(base)), answer=answer))
    assert store.get("kayes").answer == answer
    name, text = mod.export()
    plan = mod.plan_import(text.encode(), name)
    assert "kayes" in plan.report.unchanged


# --- suggested question keys --------------------------------------------------------------------


def test_suggested_keys_are_new_question_forms(mod: Curator) -> None:
    """Suggestions are derived from the fact's words and are none of its keys yet."""
    suggested = mod.suggested_keys("kayes")
    assert "what is the population of Kayes" in suggested
    assert not {k.casefold() for k in suggested} & {k.casefold() for k in FACTS[2].keys}


@pytest.mark.parametrize("change", ["retire", "lock"])
def test_no_suggestions_for_a_fact_that_takes_no_keys(
    mod: Curator, store: FactStore, change: str
) -> None:
    """A retired or locked fact is offered no keys."""
    getattr(store, change)("kayes", actor="seed")
    assert mod.suggested_keys("kayes") == ()


def test_add_keys_is_one_revision(mod: Curator, store: FactStore) -> None:
    """Accepted keys are added together, in one revision by the moderator, with the reason."""
    before = store.get("kayes")
    outcome = mod.add_keys("kayes", ["what is Kayes", "  how many people live in  Kayes "],
                           reason="suggested keys")  # fmt: skip
    assert outcome.revision is not None
    assert outcome.revision.actor == mod.actor and outcome.revision.reason == "suggested keys"
    assert outcome.fact.rev == before.rev + 1
    assert outcome.fact.keys == (*before.keys, "what is Kayes", "how many people live in Kayes")


def test_add_keys_skips_what_it_cannot_add(mod: Curator, store: FactStore) -> None:
    """A key the fact has, or another fact owns, is left out; the rest are added."""
    outcome = mod.add_keys("kayes", ["KAYES BLOCKADE", "who leads jnim", "Kayes city"])
    assert outcome.fact.keys[-1] == "Kayes city"
    assert "who leads jnim" not in outcome.fact.keys
    assert store.get("jnim-leadership").keys[0] == "who leads JNIM"


@pytest.mark.parametrize("keys", [[], ["Kayes blockade"], ["who leads JNIM"], ["  "]])
def test_add_keys_with_nothing_to_add_changes_nothing(
    mod: Curator, store: FactStore, keys: list[str]
) -> None:
    """Nothing new to add: no revision."""
    rev = store.get("kayes").rev
    outcome = mod.add_keys("kayes", keys)
    assert outcome.revision is None and outcome.fact.rev == rev


def test_add_keys_refuses_a_locked_fact(mod: Curator, store: FactStore) -> None:
    """A locked fact refuses the keys, as any change."""
    store.lock("kayes", actor="seed")
    with pytest.raises(FactLocked):
        mod.add_keys("kayes", ["what is Kayes"])


def test_suggested_keys_leave_out_keys_of_other_facts(mod: Curator, store: FactStore) -> None:
    """A derived form that is another fact's key is not offered."""
    mod.add_key("jnim-strength", "what is the population of Kayes")
    assert "what is the population of Kayes" not in mod.suggested_keys("kayes")
    assert store.key_owners(["What is the population of  kayes", "nobody's key"]) == {
        "What is the population of  kayes": "jnim-strength"
    }
