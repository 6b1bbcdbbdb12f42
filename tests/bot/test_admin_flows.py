"""Moderators' /fact commands end to end with simcord: who may, what is recorded, the mod-log.

Every command is run four ways (a moderator, a member without the role, a DM, another
server); then the flows that need more than one step: forms refused and fixed, edits that
meet a concurrent change, imports confirmed or cancelled, history pages, the mod-log failing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import discord
import pytest
import pytest_asyncio
from conftest import LEADERSHIP, World
from discord import app_commands
from mod_helpers import DOC, NEW_FORM, QUOTE, REFUSED, Mods, form_defaults, make_mods
from test_bot_safety import assert_no_pings

from bot.ui.moderation import curator_check
from knowledge.curation.export import fact_to_toml
from knowledge.models import Source


@pytest_asyncio.fixture
async def mods(world: World) -> Mods:
    """Moderators in the world's guild, which is the one configured guild."""
    return make_mods(world)


async def respond(mods: Mods, actor: Any, result: Any) -> Any:
    """Commands that answer at once need no second step."""
    return result


async def submit_new(mods: Mods, actor: Any, shown: Any) -> Any:
    return await actor.submit_modal(shown, NEW_FORM)


async def submit_edit(mods: Mods, actor: Any, shown: Any) -> Any:
    values = form_defaults(shown) | {"answer": "An answer edited in a test."}
    return await actor.submit_modal(shown, values)


async def confirm(mods: Mods, actor: Any, result: Any) -> Any:
    return await actor.click(result.response, label="Confirm import")


async def nothing(mods: Mods) -> None:
    """No preparation."""


async def retired(mods: Mods) -> None:
    await mods.do(lambda c: c.retire(LEADERSHIP))


async def locked(mods: Mods) -> None:
    await mods.do(lambda c: c.lock(LEADERSHIP))


async def edited(mods: Mods) -> None:
    await mods.do(lambda c: c.store.edit(LEADERSHIP, title="Edited first", actor="cli:someone"))


async def extra_key(mods: Mods) -> None:
    await mods.do(lambda c: c.add_key(LEADERSHIP, "a key to remove"))


async def second_source(mods: Mods) -> None:
    url = Source(quote="A claim", title="Elsewhere", url="https://example.org/elsewhere")
    await mods.do(lambda c: c.add_source(LEADERSHIP, url))


@dataclass(frozen=True)
class Case:
    """One moderators' command: its options, what it records, and how to finish it."""

    command: str
    options: dict[str, Any] = field(default_factory=dict)
    action: str | None = None  # the revision it writes; None: it changes nothing
    fact_id: str = LEADERSHIP
    prepare: Callable[[Mods], Awaitable[None]] = nothing
    finish: Callable[[Mods, Any, Any], Awaitable[Any]] = respond


CASES = [
    Case(
        "fact add",
        {"id": "test-added-fact", "source": DOC, "quote": QUOTE},
        "add",
        "test-added-fact",
        finish=submit_new,
    ),
    Case("fact edit", {"id": LEADERSHIP}, "edit", finish=submit_edit),
    Case("fact alias add", {"id": LEADERSHIP, "key": "who heads the JNIM group"}, "add_key"),
    Case(
        "fact alias remove",
        {"id": LEADERSHIP, "key": "A KEY  to remove"},  # case and spacing do not matter
        "remove_key",
        prepare=extra_key,
    ),
    Case(
        "fact source add",
        {
            "id": LEADERSHIP,
            "source": "https://example.org/report",
            "quote": "A quoted claim",
            "source_title": "A report",
            "source_date": "2025-11-10",
        },
        "add_source",
    ),
    Case(
        "fact source remove",
        {"id": LEADERSHIP, "number": 2},
        "remove_source",
        prepare=second_source,
    ),
    Case("fact retire", {"id": LEADERSHIP, "reason": "superseded"}, "retire"),
    Case("fact restore", {"id": LEADERSHIP}, "restore", prepare=retired),
    Case("fact lock", {"id": LEADERSHIP}, "lock"),
    Case("fact unlock", {"id": LEADERSHIP}, "unlock", prepare=locked),
    Case("fact history", {"id": LEADERSHIP}),
    Case("fact revert", {"id": LEADERSHIP, "rev": 1}, "revert", prepare=edited),
    Case("fact import", {}, "load", "fuel-imports", finish=confirm),
    Case("fact export"),
]
IDS = [case.command for case in CASES]


async def options_for(mods: Mods, case: Case) -> dict[str, Any]:
    """The case's options; an import gets a real file changing one fact."""
    if case.command != "fact import":
        return case.options
    fact = await mods.fact("fuel-imports")
    changed = dataclasses.replace(fact, answer=fact.answer + " (updated in a test)")
    return {"file": ("update.toml", fact_to_toml([changed]).encode())}


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_moderator_succeeds_revision_and_modlog(mods: Mods, case: Case) -> None:
    """A moderator (the role) runs it: a private reply, the revision, a mod-log post."""
    await case.prepare(mods)
    before = await mods.revision_count()
    posts = len(mods.modlog_posts())
    first = await mods.curator.slash(
        mods.world.channel, case.command, **await options_for(mods, case)
    )
    result = await case.finish(mods, mods.curator, first)
    assert result.acknowledged
    assert result.response.ephemeral  # the import's confirm updates its private summary
    assert not mods.world.env.errors
    if case.action is None:
        assert await mods.revision_count() == before
        assert len(mods.modlog_posts()) == posts
        return
    revision = (await mods.revisions(case.fact_id))[-1]
    assert (revision.action, revision.actor) == (case.action, f"discord:{mods.curator.id}")
    assert revision.guild_id == mods.world.guild.id
    assert await mods.revision_count() == before + 1
    (post,) = mods.modlog_posts()[posts:]
    assert post["allowed_mentions"]["parse"] == []
    assert f"<@{mods.curator.id}>" in str(post["embeds"])
    assert case.fact_id in str(post["embeds"])
    assert_no_pings(mods.world)


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_member_without_the_role_is_refused(mods: Mods, case: Case) -> None:
    """Even with /fact opened to everyone, a member with only Manage Messages is refused."""
    mods.open_to_everyone()
    await case.prepare(mods)
    before = await mods.revision_count()
    result = await mods.world.mod.slash(
        mods.world.channel, case.command, **await options_for(mods, case)
    )
    assert result.ephemeral
    assert result.modal is None
    assert result.response.content == REFUSED
    assert await mods.revision_count() == before
    assert not mods.modlog_posts()
    mods.world.env.errors  # noqa: B018 - the refusal, handled


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_dm_is_refused(mods: Mods, case: Case) -> None:
    """A DM invocation (say, through a stale registration allowing DMs) is refused."""
    mods.allow_in_dms()
    await case.prepare(mods)
    before = await mods.revision_count()
    result = await mods.curator.user.slash(case.command, **await options_for(mods, case))
    assert result.ephemeral
    assert result.modal is None
    assert result.response.content == "That only works in a server."
    assert await mods.revision_count() == before
    assert not mods.modlog_posts()
    mods.world.env.errors  # noqa: B018 - NoPrivateMessage, handled


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_another_guild_is_refused(mods: Mods, case: Case) -> None:
    """A server outside SITREP_GUILD_IDS is refused, even for its Manage Server members."""
    elsewhere = mods.world.env.create_guild("Elsewhere")
    channel = elsewhere.create_text_channel("ops")
    owners = elsewhere.create_role("Owners", permissions=discord.Permissions(manage_guild=True))
    owner = elsewhere.add_member(mods.world.env.create_user("owner"), roles=[owners])
    await case.prepare(mods)
    before = await mods.revision_count()
    result = await owner.slash(channel, case.command, **await options_for(mods, case))
    assert result.ephemeral
    assert result.modal is None
    assert result.response.content == "Sitrep's moderator commands are not enabled in this server."
    assert await mods.revision_count() == before
    mods.world.env.errors  # noqa: B018 - the refusal, handled


async def test_manage_server_is_a_moderator_too(mods: Mods) -> None:
    """Manage Server without the role may curate, and is recorded by id."""
    result = await mods.manager.slash(mods.world.channel, "fact lock", id=LEADERSHIP)
    assert result.response.content.startswith("Done: `jnim-leadership` is now at rev")
    assert (await mods.revisions(LEADERSHIP))[-1].actor == f"discord:{mods.manager.id}"


# --------------------------------------------------------------------------- registration


MODERATOR_COMMANDS = {
    "fact add",
    "fact edit",
    "fact alias add",
    "fact alias remove",
    "fact source add",
    "fact source remove",
    "fact retire",
    "fact restore",
    "fact lock",
    "fact unlock",
    "fact history",
    "fact revert",
    "fact import",
    "fact export",
}


MEMBER_COMMANDS = {"ask", "show", "sources", "topics"}
MODERATOR_GROUPS = {"fact", "digest", "source"}  # /digest and /source come with their cogs


async def test_every_moderator_command_has_the_runtime_check(world: World) -> None:
    """B1, table-driven: every slash command in the tree is a members' command without the
    check, or lives in a moderators' group and carries curator_check; the /fact commands of
    the curation issue are all there."""
    commands = [c for c in world.bot.tree.walk_commands() if isinstance(c, app_commands.Command)]
    table = {c.qualified_name: curator_check in c.checks for c in commands}
    for name, checked in table.items():
        if name in MEMBER_COMMANDS:
            assert not checked, f"/{name} is for members"
        else:
            assert name.split()[0] in MODERATOR_GROUPS, f"/{name} is neither members' nor mods'"
            assert checked, f"/{name} lacks the moderators' runtime check"
    assert set(table) >= MEMBER_COMMANDS | MODERATOR_COMMANDS
    groups = [c for c in world.bot.tree.get_commands() if isinstance(c, app_commands.Group)]
    assert {g.name for g in groups} <= MODERATOR_GROUPS


async def test_fact_group_is_guild_only_with_the_permission_hint(world: World) -> None:
    """B2: /fact is guild-only, guild-install-only, Manage Server by default; /show is not."""
    tree = world.bot.tree
    fact = tree.get_command("fact")
    assert fact is not None
    data = fact.to_dict(tree)
    assert data["contexts"] == [0]
    assert data["integration_types"] == [0]
    assert data["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    show = tree.get_command("show")
    assert show is not None
    assert show.to_dict(tree)["default_member_permissions"] is None


async def test_members_do_not_see_fact_but_can_show(mods: Mods) -> None:
    """Without the role or an override, /fact is hidden from a member; /show works."""
    assert "fact add" not in mods.world.alice.available_commands(mods.world.channel)
    assert "fact add" in mods.curator.available_commands(mods.world.channel)
    shown = await mods.world.alice.slash(mods.world.channel, "show", id=LEADERSHIP)
    assert shown.response.embeds


class FakeMember(discord.Member):
    """Just what curator_check reads of a member."""

    def __init__(self, roles: tuple[int, ...], permissions: discord.Permissions) -> None:
        self._fake_roles = [SimpleNamespace(id=role) for role in roles]
        self._fake_permissions = permissions

    @property
    def roles(self) -> Any:
        return self._fake_roles

    @property
    def guild_permissions(self) -> discord.Permissions:
        return self._fake_permissions


def fake(guild_id: int | None, *, roles: tuple[int, ...] = (), manage: bool = False) -> Any:
    """An interaction as curator_check reads it, from a guild (or a DM for ``None``)."""
    settings = SimpleNamespace(guild_ids=(1,), mod_role_id=99)
    permissions = discord.Permissions(manage_guild=manage)
    return SimpleNamespace(
        client=SimpleNamespace(settings=settings),
        guild_id=guild_id,
        user=FakeMember(roles, permissions),
        permissions=permissions,
    )


def test_curator_check_unit() -> None:
    """B1 unit: DM, another guild, no role are refused; the role or Manage Server pass."""
    from bot.errors import NotModerator, NotThisGuild

    with pytest.raises(app_commands.NoPrivateMessage):
        curator_check(fake(None, roles=(99,)))
    with pytest.raises(NotThisGuild):
        curator_check(fake(2, roles=(99,)))
    with pytest.raises(NotModerator):
        curator_check(fake(1, roles=(5,)))
    assert curator_check(fake(1, roles=(5, 99)))
    assert curator_check(fake(1, manage=True))
