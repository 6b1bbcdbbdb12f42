"""Sitrep's cogs, and the helper that lets several cogs share one slash-command group.

:mod:`bot.cogs.ask` holds the members' commands (``/ask``, ``/show``, ``/sources``,
``/topics``); :mod:`bot.cogs.admin` owns the moderators' whole ``/fact`` group, ``/fact gaps``
included; :mod:`bot.cogs.sources` the moderators' ``/source`` group (source documents);
:mod:`bot.cogs.digest` the ``/digest`` group, with its poster in
:mod:`bot.cogs.digest_poster`. Cogs depend on :class:`bot.services.Services`, never on the
client. ``/fact`` carries ``default_permissions(manage_guild=True)``, which Discord honours
on top-level commands only and which hides the whole group from members: that is why the
members' lookup is the top-level ``/show`` rather than ``/fact show``.

Discord allows one top-level command per name, and discord.py registers a cog's groups when
the cog loads. A cog that wants to add subcommands to a group another cog owns declares its
own group object of the same name and calls :func:`share_group` in ``cog_load``: its
subcommands move into the registered group instead of registering a second one (which would
fail), so it must load after the owner. Unload with :func:`unshare_group`. Sitrep's own cogs
no longer need this (each owns its groups); it is kept for cogs added later. Subcommands
added to ``/fact`` this way must carry the moderators' runtime check
(:data:`bot.ui.moderation.moderators_only`) themselves.
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
