"""knowledge.layout for moderators: change diffs, history pages, import summaries, problems,
suggestions; all within Discord's limits and unable to ping or break out of a code block."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st
from sample import FACTS

from knowledge.errors import Problem
from knowledge.models import Revision, Source, SyncReport
from knowledge.render.moderation import (
    actor_label,
    diff_block,
    fact_choices,
    render_change,
    render_history,
    render_import,
    render_problems,
    render_suggested_keys,
    source_choices,
)
from knowledge.render.parts import (
    CHOICE_LIMIT,
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    embed_within_limits,
)
from knowledge.store.rows import fact_state

FACT = replace(FACTS[0], rev=1)
MENTIONS = ("@everyone", "@here", "<@1", "<@&1")


def revision(
    rev: int, before: object, after: object, action: str = "edit", **kw: object
) -> Revision:
    """A revision of FACT between two states."""
    fields: dict[str, object] = {
        "id": rev,
        "fact_id": FACT.id,
        "rev": rev,
        "action": action,
        "actor": "discord:123456789012345678",
        "at": datetime(2025, 12, 1, 9, 30, tzinfo=UTC),
        "before": None if before is None else fact_state(before),  # type: ignore[arg-type]
        "after": fact_state(after),  # type: ignore[arg-type]
    }
    return Revision(**(fields | kw))  # type: ignore[arg-type]


@given(st.lists(st.text(max_size=400), max_size=40), st.integers(min_value=60, max_value=4000))
def test_diff_block_fits_and_stays_a_code_block(lines: list[str], limit: int) -> None:
    """Any lines, any limit: one ```diff block, no more than ``limit``, no ping."""
    block = diff_block(lines, limit)
    assert len(block) <= limit
    assert block.startswith("```diff\n") and block.endswith("\n```")
    assert block.count("```") == 2
    assert not any(m in block for m in MENTIONS)


def test_diff_block_says_how_much_it_left_out() -> None:
    """A cut diff ends with how many lines are missing."""
    block = diff_block([f"+ line {n}" for n in range(100)], 200)
    assert block.splitlines()[-2].startswith("… ") and "more line(s)" in block


def test_render_change_no_change() -> None:
    """An action that changed nothing says so and has no embed."""
    reply = render_change(FACT, None)
    assert reply.content == "No change: `jnim-leadership` already was like that (rev 1)."
    assert not reply.embeds


def test_render_change_embed() -> None:
    """A change: title with the action, the diff, who, the revision and the undo hint."""
    after = replace(FACT, title="Leaders of JNIM", rev=2)
    reply = render_change(after, revision(2, FACT, after, reason="clearer"))
    (embed,) = reply.embeds
    assert embed.title == "Fact edited: Leaders of JNIM"
    assert embed.description == "```diff\ntitle:\n- Who leads JNIM\n+ Leaders of JNIM\n```"
    fields = {f.name: f.value for f in embed.fields}
    assert fields == {
        "Fact": "`jnim-leadership` · rev 2",
        "By": "<@123456789012345678>",
        "Reason": "clearer",
    }
    assert embed.footer.startswith("Undo: /fact revert jnim-leadership 1")
    first = render_change(FACT, revision(1, None, FACT, action="add")).embeds[0]
    assert first.footer.startswith("Undo: /fact retire jnim-leadership")
    assert embed_within_limits(embed)


def test_render_change_of_a_huge_fact_fits() -> None:
    """A new fact with the longest answer and 40 long keys still fits one embed."""
    big = replace(FACT, answer="word " * 300, keys=tuple(f"{n} " + "k" * 115 for n in range(40)))
    (embed,) = render_change(big, revision(1, None, big, action="add", reason="r" * 500)).embeds
    assert embed_within_limits(embed)


def test_history_pages_fit_and_go_newest_first() -> None:
    """Twelve revisions of a big fact: three pages, each within Discord's limits."""
    states = [replace(FACT, answer=f"{n} " + "long answer text " * 80, rev=n) for n in range(1, 13)]
    revisions = [revision(n, states[n - 2] if n > 1 else None, states[n - 1]) for n in range(1, 13)]
    pages = render_history(states[-1], revisions)
    assert len(pages) == 3
    assert pages[0].fields[0].name.startswith("rev 12 · edited")
    assert pages[-1].fields[-1].name.startswith("rev 1")
    for page in pages:
        assert embed_within_limits(page)
        assert len(page) <= EMBED_TOTAL_LIMIT
        assert all(len(f.value) <= FIELD_VALUE_LIMIT for f in page.fields)


def test_history_of_a_fact_without_revisions() -> None:
    """No revisions: one page that says so."""
    (page,) = render_history(FACT, [])
    assert page.description == "No revisions recorded."


def test_render_import_lists_ids_within_a_field() -> None:
    """Thousands of added ids are cut to one field with "…and N more"."""
    report = SyncReport(
        added=tuple(f"fact-{n:05d}" for n in range(3000)),
        changed=("kayes",),
        unchanged=("a", "b"),
        dry_run=True,
    )
    embed = render_import(report, "big.toml", done=False)
    assert embed.title == "Import big.toml?"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Will change (1)"] == "`kayes`"
    assert fields["Will add (3000)"].endswith("more")
    assert fields["Unchanged"] == "2"
    assert embed_within_limits(embed)
    done = render_import(report, "big.toml", done=True, by="cli:ana")
    assert done.title == "Imported big.toml"
    assert {f.name for f in done.fields} >= {"Added (3000)", "By"}


def test_render_problems_are_short_escaped_and_counted() -> None:
    """Problems read "line, fact, field: message"; mentions cannot ping; 10 at most shown."""
    problems = [
        Problem("title is required", file="f.toml", line=12, fact_id="x", field="title"),
        Problem("key '@everyone' is odd", field="keys[0]"),
        *(Problem(f"problem {n}") for n in range(20)),
    ]
    text = render_problems(problems)
    lines = text.splitlines()
    assert lines[:3] == [
        "That isn't valid yet:",
        "• line 12, fact x, Title: title is required",
        "• Keys: key '@\u200beveryone' is odd",
    ]
    assert lines[-1] == "…and 12 more."
    assert len(text) <= CONTENT_LIMIT


def test_actor_label() -> None:
    """Discord users as mentions (which never ping in embeds); others as escaped text."""
    assert actor_label("discord:123456789012345678") == "<@123456789012345678>"
    assert actor_label("cli:ana_b") == "cli:ana\\_b"
    assert actor_label("discord:<@&1>") == "discord:\\<\u200b@&1>"


def test_fact_choices_rank_mark_and_limit() -> None:
    """Id prefix first, then id, then title matches; retired marked; 25 at most."""
    facts = [
        replace(FACTS[0], status="retired"),
        *FACTS[1:],
        *(replace(FACTS[1], id=f"jnim-extra-{n}") for n in range(30)),
    ]
    choices = fact_choices(facts, "jnim")
    assert len(choices) == 25
    assert choices[0].value == "jnim-extra-0"
    assert all(len(c.name) <= CHOICE_LIMIT for c in choices)
    retired = fact_choices(facts, "who leads")
    assert [c.value for c in retired] == ["jnim-leadership"]
    assert retired[0].name.endswith("[retired]")


def test_source_choices_number_the_sources() -> None:
    """Sources are offered by their 1-based number with title and quote."""
    extra = Source(quote="A claim " * 30, title="Outside", url="https://example.com/x")
    choices = source_choices(replace(FACT, sources=(*FACT.sources, extra)))
    assert [c.value for c in choices] == ["1", "2"]
    assert choices[1].name.startswith("2. Outside — “A claim")
    assert all(len(c.name) <= CHOICE_LIMIT for c in choices)
    assert date(2025, 11, 4).isoformat() in choices[0].name


def test_render_suggested_keys_is_safe_and_bounded() -> None:
    """Suggested keys are listed one a line, escaped, mentions defused, within a field's room."""
    keys = [
        "who leads *JNIM*",
        "@everyone who heads it",
        *(f"key {n} " + "x" * 100 for n in range(40)),
    ]
    embed = render_suggested_keys(FACT, keys)
    assert embed.title == "Suggested question keys"
    assert embed.description.startswith("• who leads \\*JNIM\\*")
    assert "@everyone" not in embed.description
    assert embed.description.endswith("more") and len(embed.description) <= 2 * FIELD_VALUE_LIMIT
    assert FACT.id in embed.footer
