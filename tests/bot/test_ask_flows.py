"""Members' flows end to end: simcord drives the real discord.py and the real desk."""

from __future__ import annotations

import re

import discord
import pytest
from conftest import LEADERSHIP, TODAY, Clock, World, message_payload, suggestions

from bot.errors import GENERIC
from bot.ui.views import CUSTOM_ID_LIMIT, SuggestionButton, suggestion_id
from knowledge.errors import FactNotFound

JUMP = re.compile(r"https://discord\.com/channels/\d+/\d+/\d+")


def embed_of(message: object) -> discord.Embed:
    """The single embed of a message or interaction response."""
    embeds = message.embeds  # type: ignore[attr-defined]
    assert len(embeds) == 1, embeds
    embed: discord.Embed = embeds[0]
    return embed


def labels(message: object) -> list[str]:
    """The labels of a message's buttons, in order."""
    components = message.components  # type: ignore[attr-defined]
    rows = [c if isinstance(c, dict) else c.to_dict() for c in components]
    return [b.get("label", "") for row in rows for b in row.get("components", [])]


# --------------------------------------------------------------------------- asking


async def test_slash_ask_answers_with_sourced_embed(world: World) -> None:
    """/ask answers with the fact's title, answer, linked source and as-of date."""
    result = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    assert result.acknowledged
    assert not result.ephemeral
    embed = embed_of(result.response)
    assert embed.title == await world.title(LEADERSHIP)
    assert "Iyad ag-Ghali" in (embed.description or "")
    fields = {f.name: f.value for f in embed.fields}
    assert "](https://thesoufancenter.org/" in fields["Sources"]
    assert "Soufan Center" in fields["Sources"]
    assert fields["As of"] == "2025-11-04"
    assert "asked: who leads JNIM" in (embed.footer.text or "")
    # The two unlabelled buttons are 👍/👎 (emoji only), see tests/bot/test_feedback.py.
    assert labels(result.response) == ["Sources & quotes", "", "", "Delete"]


async def test_prefix_ask_replies_to_the_question(world: World) -> None:
    """!ask replies to the asker's message with the same embed as /ask."""
    question = await world.alice.send(world.channel, "!ask who leads JNIM")
    answer = world.channel.last_message
    assert answer is not None
    assert answer.author.id == world.bot.user.id
    assert answer.reference is not None
    assert answer.reference.message_id == question.id
    assert embed_of(answer).title == await world.title(LEADERSHIP)


async def test_mention_answers_like_prefix_and_slash(world: World) -> None:
    """@Sitrep <question>, !ask and /ask give the same answer from the same core."""
    # Three channels, so repeat suppression does not turn the later ones into pointers.
    channels = [world.channel, *(world.guild.create_text_channel(n) for n in ("b", "c"))]
    slash = await world.alice.slash(channels[0], "ask", query="fuel imports")
    await world.bob.send(channels[1], f"{world.bot.user.mention} fuel imports")  # type: ignore[union-attr]
    await world.bob.send(channels[2], "!ask fuel imports")
    embeds = [embed_of(slash.response), *(embed_of(c.last_message) for c in channels[1:])]
    assert {e.title for e in embeds} == {await world.answer_title("fuel imports")}
    assert len({e.description for e in embeds}) == 1


async def test_question_in_a_reply_answers_the_replied_message(world: World) -> None:
    """Asking in reply to someone's message puts the answer under *their* message."""
    original = await world.bob.send(world.channel, "anyone know who runs JNIM?")
    await world.alice.send(world.channel, "!ask who leads JNIM", reply_to=original)
    answer = world.channel.last_message
    assert answer is not None
    assert answer.reference is not None
    assert answer.reference.message_id == original.id


async def test_mention_in_passing_is_not_a_question(world: World) -> None:
    """A message that merely mentions the bot mid-sentence gets no answer."""
    before = len(world.sent_by_bot())
    await world.alice.send(world.channel, f"thanks {world.bot.user.mention} that helped")  # type: ignore[union-attr]
    assert len(world.sent_by_bot()) == before


async def test_empty_mention_gets_a_hint(world: World) -> None:
    """A bare "@Sitrep" gets a short hint, not an error."""
    await world.alice.send(world.channel, world.bot.user.mention)  # type: ignore[union-attr]
    assert "Ask me about a topic" in world.channel.last_message.content  # type: ignore[union-attr]
    world.env.errors  # noqa: B018 - the handled EmptyQuery is acknowledged here


async def test_prefix_without_question_gets_a_hint(world: World) -> None:
    """A bare "!ask" gets told how to ask."""
    await world.alice.send(world.channel, "!ask")
    assert "Ask me about a topic" in world.channel.last_message.content  # type: ignore[union-attr]
    assert world.env.errors  # MissingRequiredArgument, handled


async def test_overlong_prefix_question_is_refused_politely(world: World) -> None:
    """The 300-character cap of /ask applies to !ask too."""
    await world.alice.send(world.channel, "!ask " + "why " * 100)
    assert "limited to 300 characters" in world.channel.last_message.content  # type: ignore[union-attr]
    assert world.env.errors


async def test_slash_option_is_capped_at_300(world: World) -> None:
    """The /ask option carries min_length 1 and max_length 300 for the client to enforce."""
    tree = world.bot.tree
    option = tree.get_command("ask").to_dict(tree)["options"][0]
    assert (option["min_length"], option["max_length"], option["autocomplete"]) == (1, 300, True)


async def test_autocomplete_offers_fact_titles(world: World) -> None:
    """Autocomplete suggests titles for a partial question, at most 25."""
    choices = await world.alice.autocomplete(world.channel, "ask", "query", "jnim lea")
    assert 0 < len(choices) <= 25
    assert await world.title(LEADERSHIP) in [c["value"] for c in choices]
    assert all(len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)


async def test_id_autocomplete_offers_ids(world: World) -> None:
    """/show and /sources complete fact ids."""
    choices = await world.alice.autocomplete(world.channel, "sources", "id", "jnim")
    assert "jnim-leadership" in [c["value"] for c in choices]


# --------------------------------------------------------------------------- misses


async def test_miss_says_so_and_offers_did_you_mean(world: World) -> None:
    """An unknown question gets "I have no fact on that" and "did you mean" buttons, no bluff."""
    result = await world.alice.slash(world.channel, "ask", query="who leads Boko Haram")
    response = result.response
    assert response is not None
    assert not response.embeds
    assert response.content.startswith("I have no fact on “who leads Boko Haram”.")
    buttons = labels(response)
    assert 1 <= len(buttons) - 1 <= 3
    assert buttons[-1] == "Delete"


async def test_did_you_mean_click_answers_in_place(world: World) -> None:
    """The asker's click on a suggestion turns the miss into that fact's answer."""
    await world.alice.send(world.channel, "!ask who leads Boko Haram")
    miss = world.channel.last_message
    label = suggestions(miss)[0]
    clicked = await world.alice.click(miss, label=label)
    assert clicked.acknowledged
    updated = world.channel.last_message
    assert updated.id == miss.id  # type: ignore[union-attr]
    assert updated.content == ""  # type: ignore[union-attr]
    assert embed_of(updated).title == label
    assert labels(updated) == ["Sources & quotes", "", "", "Delete"]  # "" are 👍/👎


async def test_did_you_mean_click_by_someone_else_is_private(world: World) -> None:
    """Someone else clicking a suggestion sees the answer privately; the miss stays."""
    await world.alice.send(world.channel, "!ask who leads Boko Haram")
    miss = world.channel.last_message
    label = suggestions(miss)[0]
    clicked = await world.bob.click(miss, label=label)
    assert clicked.ephemeral
    assert embed_of(clicked.response).title == label
    assert world.channel.last_message.content.startswith("I have no fact")  # type: ignore[union-attr]


async def test_did_you_mean_buttons_name_the_logged_question(world: World) -> None:
    """Each suggestion under a miss carries the question's id in the query log, so the
    asker's click records the pick: the question as asked, the guild and the fact."""
    await world.alice.send(world.channel, "!ask who leads Boko Haram")
    miss = world.channel.last_message
    (logged,) = await world.bot.store.run(lambda d: d.store.queries.records())
    rows = [c if isinstance(c, dict) else c.to_dict() for c in miss.components]  # type: ignore[union-attr]
    ids = [b["custom_id"] for row in rows for b in row["components"]]
    offered = [i for i in ids if i.startswith("sitrep:dym:")]
    assert offered and all(i.endswith(f":{logged.id}") for i in offered)
    await world.alice.click(miss, custom_id=offered[0])
    (pick,) = await world.bot.store.run(lambda d: d.store.picks.records())
    fact_id = offered[0].split(":")[3]
    assert (pick.query_id, pick.query, pick.fact_id) == (logged.id, "who leads Boko Haram", fact_id)
    assert pick.guild_id == world.guild.id and str(world.alice.id) not in pick.picker


LONG_FACT = "f" * 64


@pytest.mark.parametrize(
    ("asker", "fact_id", "query_id", "expected"),
    [
        (42, LEADERSHIP, 7, f"sitrep:dym:42:{LEADERSHIP}:7"),
        (42, LEADERSHIP, None, f"sitrep:dym:42:{LEADERSHIP}"),
        (10**19, LONG_FACT, 12345, f"sitrep:dym:{10**19}:{LONG_FACT}"),  # 102: no query
        (10**18, "f" * 60, 10**7, f"sitrep:dym:{10**18}:{'f' * 60}:{10**7}"),  # exactly 100
    ],
)
def test_suggestion_custom_id(
    asker: int, fact_id: str, query_id: int | None, expected: str
) -> None:
    """The query id is added when there is one and it fits in Discord's 100 characters."""
    custom_id = suggestion_id(asker, fact_id, query_id)
    assert custom_id == expected
    assert len(custom_id) <= CUSTOM_ID_LIMIT


@pytest.mark.parametrize(
    ("custom_id", "query"),
    [(f"sitrep:dym:42:{LEADERSHIP}", None), (f"sitrep:dym:42:{LEADERSHIP}:9", "9")],
)
def test_suggestion_template_reads_old_and_new_buttons(custom_id: str, query: str | None) -> None:
    """Buttons posted before picks were recorded (no query part) still work."""
    match = SuggestionButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None
    assert (match["asker"], match["fact"], match["query"]) == ("42", LEADERSHIP, query)


async def test_unknown_things_are_not_bluffed(world: World) -> None:
    """Questions outside the store get no fact embed."""
    for query in ("what's the exchange rate", "population of Togo"):
        result = await world.alice.slash(world.channel, "ask", query=query)
        assert not result.response.embeds, query  # type: ignore[union-attr]
        assert result.response.content.startswith("I have no fact")  # type: ignore[union-attr]


# --------------------------------------------------------------------------- delete


async def test_asker_can_delete_the_answer(world: World) -> None:
    """The Delete button removes the answer for the person who asked."""
    result = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    answer_id = result.response.id  # type: ignore[union-attr]
    clicked = await world.alice.click(result.response, label="Delete")
    assert clicked.acknowledged
    assert answer_id not in [m.id for m in world.channel.history()]


async def test_stranger_cannot_delete_the_answer(world: World) -> None:
    """Someone else's click on Delete is refused privately and the answer stays."""
    await world.alice.send(world.channel, "!ask who leads JNIM")
    answer = world.channel.last_message
    refused = await world.bob.click(answer, label="Delete")
    assert refused.ephemeral
    assert "Only the person who asked, or a moderator" in refused.response.content  # type: ignore[union-attr]
    assert answer.id in [m.id for m in world.channel.history()]  # type: ignore[union-attr]


async def test_moderator_can_delete_any_answer(world: World) -> None:
    """A member with Manage Messages can delete someone else's answer."""
    await world.alice.send(world.channel, "!ask who leads JNIM")
    answer = world.channel.last_message
    await world.mod.click(answer, label="Delete")
    assert answer.id not in [m.id for m in world.channel.history()]  # type: ignore[union-attr]


async def test_configured_moderator_role_can_delete(world: World) -> None:
    """The SITREP_MOD_ROLE_ID role counts as moderator even without Manage Messages."""
    role = world.guild.create_role("Curators")
    curator = world.guild.add_member(world.env.create_user("curator"), roles=[role])
    world.bot.settings = type(world.bot.settings)(
        **{**_fields(world.bot.settings), "mod_role_id": role.id}
    )
    await world.alice.send(world.channel, "!ask who leads JNIM")
    answer = world.channel.last_message
    await curator.click(answer, label="Delete")
    assert answer.id not in [m.id for m in world.channel.history()]  # type: ignore[union-attr]


def _fields(settings: object) -> dict[str, object]:
    import dataclasses

    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}  # type: ignore[arg-type]


# --------------------------------------------------------------------------- browsing


async def test_sources_command_lists_quotes_privately(world: World) -> None:
    """/sources shows each source with its verbatim quote, only to the asker."""
    result = await world.alice.slash(world.channel, "sources", id="jnim-leadership")
    assert result.ephemeral
    embed = embed_of(result.response)
    fact = await world.bot.store.fact(LEADERSHIP)
    assert embed.title == f"Sources — {fact.title}"
    assert f"> {fact.sources[0].quote[:40]}" in embed.fields[0].value
    assert "<https://thesoufancenter.org/" in embed.fields[0].value


async def test_sources_button_shows_quotes(world: World) -> None:
    """The "Sources & quotes" button under an answer shows the quotes privately."""
    result = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    clicked = await world.bob.click(result.response, label="Sources & quotes")
    assert clicked.ephemeral
    assert "JNIM is led by" in embed_of(clicked.response).fields[0].value


async def test_fact_show(world: World) -> None:
    """/show id shows that fact."""
    result = await world.alice.slash(world.channel, "show", id="jnim-leadership")
    assert embed_of(result.response).title == await world.title(LEADERSHIP)


async def test_unknown_fact_id_gets_a_short_private_message(world: World) -> None:
    """An unknown id is answered politely and privately, without a traceback."""
    result = await world.alice.slash(world.channel, "show", id="no-such-fact")
    assert result.ephemeral
    assert result.response.content == "I have no fact with the id “no-such-fact”. Try /topics."  # type: ignore[union-attr]
    (error,) = world.env.errors
    assert isinstance(getattr(error, "original", error), FactNotFound)


async def test_topics_pages_with_buttons(world: World) -> None:
    """/topics shows facts by tag; Next and Previous turn pages; the ends are disabled."""
    result = await world.alice.slash(world.channel, "topics")
    assert result.ephemeral
    first = embed_of(result.response)
    assert first.title
    assert first.title.startswith("Topics (1/")
    total = int(first.title.split("/")[1].rstrip(")"))
    assert total > 1
    prev_button = _button(result.response, "◀ Previous")
    assert prev_button["disabled"] is True
    await world.alice.click(result.response, label="Next ▶")
    assert embed_of(result.response).title == f"Topics (2/{total})"
    await world.alice.click(result.response, label="◀ Previous")
    assert embed_of(result.response).title == f"Topics (1/{total})"
    tags = [f.name for f in first.fields]
    assert tags == sorted(tags)


def _button(message: object, label: str) -> dict[str, object]:
    for row in message.components:  # type: ignore[attr-defined]
        for button in row["components"]:
            if button.get("label") == label:
                return dict(button)
    raise AssertionError(f"no button {label!r}")


# --------------------------------------------------------------------------- staleness


async def test_stale_fact_is_flagged(world: World, clock: Clock) -> None:
    """After a fact's review date the answer carries a clear "possibly stale" flag."""
    fresh = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    assert not any("stale" in f.name.lower() for f in embed_of(fresh.response).fields)
    clock.now = TODAY.replace(year=2027)
    stale = await world.bob.slash(world.channel, "show", id="jnim-leadership")
    flag = [f for f in embed_of(stale.response).fields if "Possibly stale" in (f.name or "")]
    assert flag
    assert "due for review" in (flag[0].value or "")


# --------------------------------------------------------------------------- repeats


async def test_repeat_in_same_channel_points_to_earlier_answer(world: World) -> None:
    """The same fact asked again in the same channel links to the first answer."""
    first = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    again = await world.bob.slash(world.channel, "ask", query="JNIM leadership")
    assert again.ephemeral
    assert not again.response.embeds
    link = JUMP.search(again.response.content)  # type: ignore[union-attr]
    assert link
    assert link.group(0).endswith(f"/{world.channel.id}/{first.response.id}")
    await world.bob.send(world.channel, "!ask who leads jnim")
    pointer = world.channel.last_message
    assert pointer is not None
    assert not pointer.embeds
    assert JUMP.search(pointer.content)


async def test_repeat_elsewhere_or_later_gets_a_fresh_answer(world: World) -> None:
    """Another channel, or the same one after the window, gets the full answer again."""
    other = world.guild.create_text_channel("elsewhere")
    await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    elsewhere = await world.alice.slash(other, "ask", query="who leads JNIM")
    assert embed_of(elsewhere.response).title == await world.title(LEADERSHIP)
    await world.env.advance_time(world.bot.settings.repeat_window + 1)
    later = await world.bob.slash(world.channel, "ask", query="who leads JNIM")
    assert embed_of(later.response).title == await world.title(LEADERSHIP)


async def test_deleted_answer_is_not_pointed_to(world: World) -> None:
    """After its answer is deleted, the question gets a fresh answer, not a dead link."""
    first = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    await world.alice.click(first.response, label="Delete")
    again = await world.bob.slash(world.channel, "ask", query="who leads JNIM")
    assert embed_of(again.response).title == await world.title(LEADERSHIP)


@pytest.mark.settings(repeat_window=0.0)
async def test_repeat_suppression_can_be_turned_off(world: World) -> None:
    """SITREP_REPEAT_WINDOW=0 posts every answer."""
    await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    again = await world.bob.slash(world.channel, "ask", query="who leads JNIM")
    assert embed_of(again.response).title == await world.title(LEADERSHIP)


# --------------------------------------------------------------------------- cooldown


async def test_sixth_question_in_30s_is_refused_politely(world: World) -> None:
    """Five questions pass; the sixth within 30 s gets a polite wait message, on any path."""
    for query in ("who leads JNIM", "fuel imports", "what is AES"):
        await world.alice.slash(world.channel, "ask", query=query)
    await world.alice.send(world.channel, "!ask who rules Mali")
    await world.alice.send(world.channel, f"{world.bot.user.mention} Kayes")  # type: ignore[union-attr]
    refused = await world.alice.slash(world.channel, "ask", query="who is Kouffa")
    assert refused.ephemeral
    assert refused.response.content.startswith("You're asking quickly.")  # type: ignore[union-attr]
    await world.alice.send(world.channel, "!ask who is Kouffa")
    assert world.channel.last_message.content.startswith("You're asking quickly.")  # type: ignore[union-attr]
    spam = await world.alice.send(world.channel, "!ask who is Kouffa")
    assert world.channel.last_message.id == spam.id  # told once; not every extra message
    assert world.env.errors  # the refusals, handled
    other = await world.bob.slash(world.channel, "ask", query="who is Kouffa")
    assert not other.response.content.startswith("You're asking")  # type: ignore[union-attr]
    await world.env.advance_time(31)
    allowed = await world.alice.slash(world.channel, "ask", query="who is Iyad ag-Ghali")
    assert allowed.response.embeds  # type: ignore[union-attr]


# --------------------------------------------------------------------------- failures


async def test_unexpected_error_is_generic_and_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug becomes a short generic message; the traceback goes to the log, not the chat."""

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("secret internals /home/bot/db.py line 42")

    world.bot.store.respond = broken  # type: ignore[method-assign]
    result = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    assert result.ephemeral
    assert result.response.content == GENERIC
    await world.alice.send(world.channel, "!ask who leads JNIM")
    assert world.channel.last_message.content == GENERIC  # type: ignore[union-attr]
    assert "secret internals" in caplog.text
    assert "Traceback" in caplog.text
    assert all("secret internals" not in str(message_payload(r)) for r in world.env.http_requests)
    assert len(world.env.errors) == 2


async def test_failed_send_is_logged_not_raised(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Discord refusing to post (5xx) is logged; the bot keeps running and answers next time."""
    world.env.inject_error("POST", "/channels/*/messages", status=500, times=2)
    await world.alice.send(world.channel, "!ask who leads JNIM")
    assert "failed" in caplog.text
    world.env.errors  # noqa: B018 - acknowledged: the 500 was handled
    await world.alice.send(world.channel, "!ask fuel imports")
    assert embed_of(world.channel.last_message).title == await world.answer_title("fuel imports")


async def test_dm_questions_are_refused(world: World) -> None:
    """Sitrep answers in servers only; a DM !ask gets a short explanation."""
    await world.alice.send_dm("!ask who leads JNIM")
    dm = world.alice.user.dm_channel.last_message
    assert dm is not None
    assert dm.content == "That only works in a server."
    world.env.errors  # noqa: B018 - NoPrivateMessage, handled


# --------------------------------------------------------------------------- logging


async def test_every_question_is_logged_with_place_never_person(world: World) -> None:
    """The core logs each question with its guild and channel, and nothing about the asker."""
    await world.alice.slash(world.channel, "ask", query="who leads JNIM")
    await world.alice.send(world.channel, "!ask who leads Boko Haram")
    await world.bob.send(world.channel, f"{world.bot.user.mention} fuel imports")  # type: ignore[union-attr]
    records = await world.bot.store.run(lambda desk: desk.store.queries.records())  # type: ignore[attr-defined]
    assert [r.query for r in records] == ["who leads JNIM", "who leads Boko Haram", "fuel imports"]
    assert {(r.guild_id, r.channel_id) for r in records} == {(world.guild.id, world.channel.id)}
    rows = await world.bot.store.run(
        lambda desk: list(desk.store.db.execute("select * from queries"))  # type: ignore[attr-defined]
    )
    people = {str(world.alice.id), str(world.bob.id), "alice", "bob"}
    assert not any(str(value) in people for row in rows for value in row)


async def test_show_sources_topics_and_buttons_share_the_questions_quota(world: World) -> None:
    """One quota for every post a member triggers: 20 /show by one member post 5 times and
    are refused privately 15 times; /sources, /topics and the buttons wait too."""
    results = [await world.alice.slash(world.channel, "show", id=LEADERSHIP) for _ in range(20)]
    refused = [r for r in results if r.response.content.startswith("You're asking quickly.")]  # type: ignore[union-attr]
    assert len(refused) == 15 and all(r.ephemeral for r in refused)
    assert all(embed_of(r.response).title for r in results[:5])
    for command, options in (("sources", {"id": LEADERSHIP}), ("topics", {})):
        later = await world.alice.slash(world.channel, command, **options)
        assert later.response.content.startswith("You're asking quickly."), command  # type: ignore[union-attr]
    click = await world.alice.click(results[0].response, label="Sources & quotes")  # type: ignore[arg-type]
    assert click.response.content.startswith("You're asking quickly.")  # type: ignore[union-attr]
    assert {type(e).__name__ for e in world.env.errors} == {"Throttled"}  # handled refusals
    other = await world.bob.slash(world.channel, "show", id=LEADERSHIP)
    assert embed_of(other.response).title == await world.title(LEADERSHIP)
