"""Shared by the moderators' tests: a world with moderators and a mod-log, and form helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import discord
import simcord
from conftest import World, message_payload

from knowledge.curation.curator import Curator
from knowledge.models import Fact, Revision

DOC = "soufan-2025-11-04"
QUOTE = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"
NEW_FORM = {
    "title": "A fact added in a test",
    "answer": "An answer written in a test.",
    "keys": "test added fact\nanother test key",
    "tags": "test",
    "dates": "2025-11-04, 2026-02-01",
}
REFUSED = "Only moderators can do that: the moderator role, or Manage Server."


@dataclass
class Mods:
    """The world with moderators: a role member, a Manage Server member and a mod-log."""

    world: World
    role: simcord.RoleHandle
    curator: simcord.MemberActor
    manager: simcord.MemberActor
    modlog: simcord.ChannelHandle
    command_id: int

    async def revisions(self, fact_id: str) -> list[Revision]:
        """The fact's revisions, read through the bot's store thread."""
        return await self.world.bot.store.run(lambda d: d.store.history(fact_id))

    async def revision_count(self) -> int:
        """All revisions of all facts."""
        return await self.world.bot.store.run(lambda d: len(d.store.revisions()))

    async def fact(self, fact_id: str) -> Fact:
        """One fact as stored."""
        return await self.world.bot.store.fact(fact_id)

    async def do(self, call: Callable[[Curator], Any]) -> Any:
        """Change the store directly, as another moderator (or the CLI) would."""
        return await self.world.bot.store.curate("cli:someone", None, call)

    def modlog_posts(self) -> list[dict[str, Any]]:
        """Every message body the bot posted to the mod-log channel."""
        path = f"/channels/{self.modlog.id}/messages"
        return [
            body
            for r in self.world.env.http_requests
            if r.method == "POST" and r.path == path and (body := message_payload(r)) is not None
        ]

    def open_to_everyone(self) -> None:
        """A server admin lets @everyone see /fact (the UI hint overridden): the runtime
        check is then all that stands between members and the facts."""
        default_role = self.world.guild.default_role
        self.world.guild.set_command_permissions(self.command_id, {default_role: True})

    def allow_in_dms(self) -> None:
        """A stale or hand-made registration of /fact that allows DMs and has no hint."""
        command = self.world.env.backend.find_command("fact", None)
        assert command is not None
        command["contexts"] = [0, 1, 2]
        command["default_member_permissions"] = None


def make_mods(world: World) -> Mods:
    """Moderators in the world's guild, which becomes the one configured guild."""
    guild, env = world.guild, world.env
    role = guild.create_role("Curators")
    modlog = guild.create_text_channel("mod-log")
    world.bot.settings = dataclasses.replace(
        world.bot.settings, mod_role_id=role.id, modlog_channel_id=modlog.id, guild_ids=(guild.id,)
    )
    command = env.backend.find_command("fact", None)
    assert command is not None
    # What a server admin does in Server Settings → Integrations: the role may see /fact.
    guild.set_command_permissions(int(command["id"]), {role: True})
    managers = guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))
    return Mods(
        world=world,
        role=role,
        curator=guild.add_member(env.create_user("curator"), roles=[role]),
        manager=guild.add_member(env.create_user("manager"), roles=[managers]),
        modlog=modlog,
        command_id=int(command["id"]),
    )


def form_defaults(shown: Any) -> dict[str, str]:
    """The values a form was opened with, by field."""
    modal = shown.modal
    assert modal is not None, "no form was shown"
    inputs = [c["component"] for c in modal["components"]]
    return {i["custom_id"]: i.get("value") or "" for i in inputs}
