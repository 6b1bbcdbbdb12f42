"""Sitrep's cogs, and the helper that lets several cogs share one slash-command group.

``/fact`` is one top-level group: members get ``/fact show`` (in :mod:`bot.cogs.ask`), and a
later moderators' cog adds ``add``, ``edit``, ... to the same group. Discord allows one
top-level command per name, and discord.py registers a cog's groups when the cog loads, so
each cog declares its own ``fact`` group object and calls :func:`share_group` in
``cog_load``: the first cog to load registers the group; later cogs move their subcommands
into it instead of registering a second ``fact`` (which would fail). Unload with
:func:`unshare_group`.

Note for the moderators' cog: ``default_permissions`` only works on a top-level command, so
a shared ``/fact`` cannot carry it without hiding ``/fact show`` from members. Moderator
subcommands must therefore rely on their runtime checks (RELIABILITY B1), or live in their
own top-level group if the UI hint (B2) matters more than the shared name.
"""

from __future__ import annotations

from typing import Any

from discord import app_commands
from discord.ext import commands


def share_group(cog: commands.Cog, group: app_commands.Group, bot: commands.Bot) -> None:
    """Merge ``group``'s subcommands into the tree's group of the same name, if there is one.

    Call from ``cog_load``, which discord.py runs before it registers the cog's commands.
    """
    existing = bot.tree.get_command(group.name)
    if existing is None:
        return  # this cog registers the group itself
    if not isinstance(existing, app_commands.Group):
        raise TypeError(f"/{group.name} is already a command, not a group")
    for child in list(group.commands):
        existing.add_command(child)
    # The cog's own copy of the group must not be registered as a second top-level command.
    own: list[Any] = cog.__cog_app_commands__
    own[:] = [command for command in own if command is not group]


def unshare_group(group: app_commands.Group, bot: commands.Bot) -> None:
    """Remove ``group``'s subcommands from the shared group again (call from ``cog_unload``)."""
    existing = bot.tree.get_command(group.name)
    if isinstance(existing, app_commands.Group) and existing is not group:
        for child in group.commands:
            if existing.get_command(child.name) is child:
                existing.remove_command(child.name)
