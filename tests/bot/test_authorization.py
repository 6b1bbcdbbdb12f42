"""Who may run what: every application and prefix command, classified and tried.

RELIABILITY B1–B3 as one table. Every command the bot registers (slash commands, context
menus, prefix commands) must be in :data:`APP_COMMANDS` or :data:`PREFIX_COMMANDS`, so a
command added without a decision about who may use it fails here. Each command is then
run three ways through simcord: by a member who is not a moderator (with Manage Messages,
the near miss, and the command opened to everyone as a server admin could), in a DM
(through a registration that allows DMs), and by the owner of another server. Moderators'
commands refuse all three with the right sentence, write nothing to the database and post
nothing; members' commands refuse only the DM.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
import simcord
from conftest import LEADERSHIP, World, message_payload
from discord import app_commands
from mod_helpers import DOC, QUOTE, Mods, make_mods

from bot.ui.moderation import curator_check
from knowledge.documents.meta import document_meta
from knowledge.documents.read import read_text

ROOT = Path(__file__).resolve().parents[2]
MEMBERS, MODERATORS = "members", "moderators"
REFUSED = {
    "member": "Only moderators can do that: the moderator role, or Manage Server.",
    "dm": "That only works in a server.",
    "elsewhere": "Sitrep's moderator commands are not enabled in this server.",
}
IMPORT = f"""\
[[fact]]
id = "authorization-test"
title = "A fact imported in a test"
answer = "An answer imported in a test."
keys = ["authorization test key"]
tags = ["test"]
as_of = 2025-11-04

[[fact.sources]]
source = "{DOC}"
quote = "{QUOTE}"
""".encode()
SOURCE_TEXT = b"# A report\n\nThe convoy reached Gao on Monday after two days on the road.\n"
Options = Callable[[Mods], dict[str, Any]]


def none(mods: Mods) -> dict[str, Any]:
    """No options."""
    return {}


def fact_id(mods: Mods) -> dict[str, Any]:
    """Just the fact."""
    return {"id": LEADERSHIP}


# Every slash command: who it is for, and options that would make it do its work.
APP_COMMANDS: dict[str, tuple[str, Options]] = {
    "ask": (MEMBERS, lambda m: {"query": "who leads JNIM"}),
    "show": (MEMBERS, fact_id),
    "sources": (MEMBERS, fact_id),
    "topics": (MEMBERS, none),
    "fact add": (MODERATORS, lambda m: {"id": "authorization-test", "source": DOC, "quote": QUOTE}),
    "fact edit": (MODERATORS, fact_id),
    "fact alias add": (MODERATORS, lambda m: {"id": LEADERSHIP, "key": "authorization key"}),
    "fact alias remove": (MODERATORS, lambda m: {"id": LEADERSHIP, "key": "who leads JNIM"}),
    "fact source add": (
        MODERATORS,
        lambda m: {
            "id": LEADERSHIP,
            "source": "https://example.org/authorization",
            "quote": "A quoted claim",
            "source_title": "A report",
        },
    ),
    "fact source remove": (MODERATORS, lambda m: {"id": LEADERSHIP, "number": 1}),
    "fact retire": (MODERATORS, fact_id),
    "fact restore": (MODERATORS, fact_id),
    "fact lock": (MODERATORS, fact_id),
    "fact unlock": (MODERATORS, fact_id),
    "fact history": (MODERATORS, fact_id),
    "fact revert": (MODERATORS, lambda m: {"id": LEADERSHIP, "rev": 1}),
    "fact import": (MODERATORS, lambda m: {"file": ("facts.toml", IMPORT)}),
    "fact export": (MODERATORS, none),
    "fact gaps": (MODERATORS, none),
    "digest set": (
        MODERATORS,
        lambda m: {
            "channel": m.world.channel,
            "schedule": "daily",
            "time": "08:00",
            "timezone": "UTC",
        },
    ),
    "digest off": (MODERATORS, none),
    "digest preview": (MODERATORS, none),
    "digest now": (MODERATORS, none),
    "source add": (MODERATORS, lambda m: {"file": ("authorization-test.md", SOURCE_TEXT)}),
    "source list": (MODERATORS, none),
    "source remove": (MODERATORS, lambda m: {"id": "authorization-test"}),
}
CONTEXT_MENUS: dict[str, str] = {}  # none yet; a new one must be classified here
# Every prefix command: who it is for, whether it refuses DMs, and its arguments.
PREFIX_COMMANDS: dict[str, tuple[str, bool, str]] = {
    "ask": (MEMBERS, True, "who leads JNIM"),
    "help": (MEMBERS, False, ""),  # discord.py's help lists only members' commands
}


@pytest_asyncio.fixture
async def mods(world: World) -> Mods:
    """Moderators in the world's guild, which is the one configured guild."""
    return make_mods(world)


async def ingest_source(mods: Mods) -> None:
    """One ingested source document, as `sitrep ingest` would add it."""
    read = read_text(SOURCE_TEXT, "authorization-test.md")
    meta = document_meta("authorization-test.md", {}, read)
    await mods.world.bot.store.run(lambda d: d.documents.ingest(read, meta, actor="cli:someone"))


def app_command_names(tree: app_commands.CommandTree[Any]) -> set[str]:
    """Qualified names of every slash command (groups are walked, not counted)."""
    return {c.qualified_name for c in tree.walk_commands() if isinstance(c, app_commands.Command)}


def context_menu_names(tree: app_commands.CommandTree[Any]) -> set[str]:
    """Names of every user and message context menu."""
    kinds = (discord.AppCommandType.user, discord.AppCommandType.message)
    return {c.name for kind in kinds for c in tree.get_commands(type=kind)}


# --------------------------------------------------------------------------- the table


async def test_every_command_is_classified(world: World) -> None:
    """A command nobody classified (or one classified that no longer exists) fails here."""
    tree = world.bot.tree
    assert app_command_names(tree) == set(APP_COMMANDS), (
        f"unclassified: {sorted(app_command_names(tree) - set(APP_COMMANDS))}, "
        f"gone: {sorted(set(APP_COMMANDS) - app_command_names(tree))}"
    )
    assert context_menu_names(tree) == set(CONTEXT_MENUS)
    prefix = {c.qualified_name for c in world.bot.walk_commands()}
    assert prefix == set(PREFIX_COMMANDS), f"prefix commands: {sorted(prefix)}"


async def test_moderators_commands_carry_the_check_and_the_hint(world: World) -> None:
    """B1/B2: moderators' commands carry curator_check and live in guild-only, guild-install
    groups with Manage Server as the default permission; members' commands do not."""
    tree = world.bot.tree
    for command in tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        audience = APP_COMMANDS[command.qualified_name][0]
        assert (curator_check in command.checks) == (audience == MODERATORS), command.name
        top = command.root_parent or command
        data = top.to_dict(tree)
        assert data["contexts"] == [0] and data["integration_types"] == [0], top.name
        hint = data["default_member_permissions"]
        expected = discord.Permissions(manage_guild=True).value if audience == MODERATORS else None
        assert hint == expected, f"/{command.qualified_name}: default_member_permissions"


def test_no_text_permission_checks() -> None:
    """B3: no command relies on has_permissions/has_guild_permissions, which read channel
    permissions that a DM grants to everyone; moderators are checked by curator_check."""
    found = []
    for path in sorted(ROOT.glob("bot/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute | ast.Name):
                name = node.attr if isinstance(node, ast.Attribute) else node.id
                if name in {"has_permissions", "has_guild_permissions", "has_role", "has_any_role"}:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not found


# --------------------------------------------------------------------------- slash commands


def snapshot(mods: Mods) -> Any:
    """Every row of every table, read on the store's thread."""

    def rows(desk: Any) -> dict[str, list[tuple[Any, ...]]]:
        conn = desk.store.db.conn
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1, 2').fetchall() for n in names}

    return mods.world.bot.store.run(rows)


def channel_posts(env: simcord.Env, since: int) -> list[dict[str, Any]]:
    """Messages posted to channels (not interaction replies) since request ``since``."""
    return [
        body
        for r in env.http_requests[since:]
        if r.path.startswith("/channels/") and (body := message_payload(r)) is not None
    ]


def open_everywhere(mods: Mods, name: str) -> None:
    """What a careless server admin or a stale registration can do to the UI hints: the
    command is shown to @everyone and offered in DMs. Only the runtime check remains."""
    world = mods.world
    command = world.env.backend.find_command(name, None)
    assert command is not None
    command["contexts"] = [0, 1, 2]
    command["default_member_permissions"] = None
    world.guild.set_command_permissions(int(command["id"]), {world.guild.default_role: True})


@dataclass
class Attempt:
    """One way of invoking a command, and who tries it."""

    name: str
    run: Callable[[Mods, str, dict[str, Any]], Any]


async def as_member(mods: Mods, command: str, options: dict[str, Any]) -> Any:
    """A member with Manage Messages (not a moderator) in the configured server."""
    return await mods.world.mod.slash(mods.world.channel, command, **options)


async def in_dm(mods: Mods, command: str, options: dict[str, Any]) -> Any:
    """The moderator, in a DM with the bot. A server's channel cannot be picked in a DM, so
    channel options are left out (and made optional in the registration, as a stale one
    could have them)."""
    channels = {k for k, v in options.items() if isinstance(v, simcord.ChannelHandle)}
    if channels:
        registered = mods.world.env.backend.find_command(command.split()[0], None)
        assert registered is not None
        stack = list(registered.get("options", []))
        while stack:
            option = stack.pop()
            stack.extend(option.get("options", []))
            if option["name"] in channels:
                option["required"] = False
    options = {k: v for k, v in options.items() if k not in channels}
    return await mods.curator.user.slash(command, **options)


async def elsewhere(mods: Mods, command: str, options: dict[str, Any]) -> Any:
    """The owner (Manage Server) of a server that is not in SITREP_GUILD_IDS."""
    env = mods.world.env
    guild = env.create_guild("Elsewhere")
    channel = guild.create_text_channel("ops")
    owners = guild.create_role("Owners", permissions=discord.Permissions(manage_guild=True))
    owner = guild.add_member(env.create_user("owner"), roles=[owners])
    if "channel" in options:
        options = options | {"channel": channel}
    return await owner.slash(channel, command, **options)


ATTEMPTS = {"member": as_member, "dm": in_dm, "elsewhere": elsewhere}
REFUSAL = {"member": "NotModerator", "dm": "NoPrivateMessage", "elsewhere": "NotThisGuild"}


@pytest.mark.parametrize("command", APP_COMMANDS)
async def test_slash_command_authorization(mods: Mods, command: str) -> None:
    """Moderators' commands refuse a member, a DM and another server with the right
    sentence, privately, and change nothing; members' commands refuse only the DM."""
    audience, options_for = APP_COMMANDS[command]
    open_everywhere(mods, command.split()[0])
    env = mods.world.env
    for attempt, run in ATTEMPTS.items():
        before, requests, errors = await snapshot(mods), len(env.http_requests), len(env.errors)
        result = await run(mods, command, options_for(mods))
        new_errors = [type(e).__name__ for e in env.errors[errors:]]
        if audience == MEMBERS and attempt != "dm":
            assert result.acknowledged and result.response is not None, attempt
            assert result.response.content not in REFUSED.values(), attempt
            assert new_errors == [], attempt
            continue
        assert result.ephemeral and result.modal is None, attempt
        assert result.response is not None and result.response.content == REFUSED[attempt]
        assert new_errors == [REFUSAL[attempt]], attempt
        assert await snapshot(mods) == before, attempt
        assert channel_posts(env, requests) == [], attempt


# --------------------------------------------------------------------------- prefix commands


@pytest.mark.parametrize("command", PREFIX_COMMANDS)
async def test_prefix_command_authorization(mods: Mods, command: str) -> None:
    """Prefix commands by the same three: a moderators' one would refuse all three; members'
    ones refuse a DM when they are guild-only; a refusal writes nothing."""
    audience, guild_only, argument = PREFIX_COMMANDS[command]
    world, env = mods.world, mods.world.env
    text = f"{world.bot.settings.prefix}{command} {argument}".strip()
    guild = env.create_guild("Elsewhere")
    channel = guild.create_text_channel("ops")
    owners = guild.create_role("Owners", permissions=discord.Permissions(manage_guild=True))
    owner = guild.add_member(env.create_user("owner"), roles=[owners])
    sends = {
        "member": lambda: world.mod.send(world.channel, text),
        "dm": lambda: mods.curator.user.send_dm(text),
        "elsewhere": lambda: owner.send(channel, text),
    }
    for attempt, send in sends.items():
        before, errors = await snapshot(mods), len(env.errors)
        await send()
        new_errors = [type(e).__name__ for e in env.errors[errors:]]
        if audience == MODERATORS or (attempt == "dm" and guild_only):
            assert new_errors, attempt
            assert set(new_errors) <= {"NoPrivateMessage", "CheckFailure", *REFUSAL.values()}
            assert await snapshot(mods) == before, attempt
        else:
            assert new_errors == [], attempt


# --------------------------------------------------------------------------- autocomplete


def moderator_autocompletes(tree: app_commands.CommandTree[Any]) -> list[tuple[str, str]]:
    """``(command, option)`` for every autocompleted option of a moderators' command."""
    found = []
    for command in tree.walk_commands():
        if (
            isinstance(command, app_commands.Command)
            and APP_COMMANDS[command.qualified_name][0] == MODERATORS
        ):
            found += [
                (command.qualified_name, p.name) for p in command.parameters if p.autocomplete
            ]
    return sorted(found)


async def test_every_moderators_autocomplete_is_in_the_table(world: World) -> None:
    """The autocomplete table below covers every moderators' option that has one."""
    assert moderator_autocompletes(world.bot.tree) == sorted(AUTOCOMPLETES)


# Every moderators' autocomplete, and the other options it reads (the fact it is about).
ID_COMMANDS = [
    "edit",
    "alias add",
    "alias remove",
    "source add",
    "source remove",
    "retire",
    "restore",
    "lock",
    "unlock",
    "history",
    "revert",
]
AUTOCOMPLETES: dict[tuple[str, str], dict[str, Any]] = {
    **{(f"fact {name}", "id"): {} for name in ID_COMMANDS},
    ("fact add", "source"): {},
    ("fact source add", "source"): {"id": LEADERSHIP},
    ("fact source remove", "number"): {"id": LEADERSHIP},
    ("fact revert", "rev"): {"id": LEADERSHIP},
    ("digest set", "timezone"): {},
    ("source remove", "id"): {},
}


@pytest.mark.parametrize(("command", "option"), sorted(AUTOCOMPLETES))
async def test_moderators_autocomplete_offers_nothing_to_others(
    mods: Mods, command: str, option: str
) -> None:
    """discord.py does not run a command's checks before its autocomplete: each moderators'
    autocomplete checks the same rule itself. A member (with the command opened to
    everyone), a DM and another server's owner get no choices; a moderator gets some."""
    open_everywhere(mods, command.split()[0])
    if command == "source remove":  # only an ingested document can be suggested
        await ingest_source(mods)
    filled = AUTOCOMPLETES[(command, option)]
    world, env = mods.world, mods.world.env
    guild = env.create_guild("Elsewhere")
    channel = guild.create_text_channel("ops")
    owners = guild.create_role("Owners", permissions=discord.Permissions(manage_guild=True))
    owner = guild.add_member(env.create_user("owner"), roles=[owners])
    others = {
        "member": lambda: world.mod.autocomplete(world.channel, command, option, "", **filled),
        "dm": lambda: mods.curator.user.autocomplete(command, option, "", **filled),
        "elsewhere": lambda: owner.autocomplete(channel, command, option, "", **filled),
    }
    for who, offered in others.items():
        assert await offered() == [], who
    assert await mods.curator.autocomplete(world.channel, command, option, "", **filled)
