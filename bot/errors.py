"""The one place where errors become short messages for people.

Known errors (the core's :class:`~knowledge.errors.KnowledgeError`s, throttling, bad input)
get a specific sentence. Anything else gets :data:`GENERIC` and its traceback goes to the
log; exception text never reaches a chat.
"""

from __future__ import annotations

import math

from discord import app_commands
from discord.ext import commands

from knowledge import errors as kerr
from knowledge.documents.errors import DocumentError
from knowledge.render.moderation import render_problems
from knowledge.render.parts import MAX_QUERY, echo, plain

from .async_store import Busy, StoreClosed

GENERIC = "Something went wrong on my side. It has been logged; please try again later."


class Throttled(app_commands.CheckFailure, commands.CheckFailure):
    """The user asked too often; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: float, *, quiet: bool = False) -> None:
        super().__init__(f"throttled for {retry_after:.1f}s")
        self.retry_after = retry_after
        self.quiet = quiet  # already told during this wait: say nothing more


class NotModerator(app_commands.CheckFailure):
    """A moderators' command was used by someone without the role or Manage Server."""


class NotThisGuild(app_commands.CheckFailure):
    """A moderators' command was used in a server that is not in SITREP_GUILD_IDS."""


class QueryTooLong(commands.UserInputError):
    """The question is longer than :data:`~knowledge.layout.MAX_QUERY`."""


def unwrap(error: BaseException) -> BaseException:
    """The error behind discord.py's invoke wrappers."""
    while True:
        if isinstance(
            error,
            commands.CommandInvokeError
            | commands.HybridCommandError
            | app_commands.CommandInvokeError,
        ):
            error = error.original
        else:
            return error


def user_message(error: BaseException) -> str | None:
    """What to tell the person; ``None`` means say nothing (e.g. an unknown ! command)."""
    error = unwrap(error)
    # One table of every error people can meet, kept whole on purpose: the order of the
    # cases matters (specific before general), and that is easiest to see in one place.
    match error:
        case commands.CommandNotFound():
            return None
        case app_commands.CommandNotFound() | app_commands.CommandSignatureMismatch():
            # A client still shows an outdated command list: a sync is pending or under way.
            return "That command has just changed. Please try again in a minute."
        case kerr.FactNotFound():
            return f"I have no fact with the id “{echo(error.fact_id, 64)}”. Try /topics."
        case kerr.EmptyQuery() | commands.MissingRequiredArgument():
            return "Ask me about a topic, for example “who leads JNIM”."
        case QueryTooLong():
            return f"Questions are limited to {MAX_QUERY} characters; please shorten yours."
        case kerr.ValidationError():
            return render_problems(error.problems)
        case kerr.FactLocked():
            return f"“{echo(error.fact_id, 64)}” is locked: unlock it first with /fact unlock."
        case kerr.FactExists():
            return (
                f"A fact with the id “{echo(error.fact_id, 64)}” already exists: "
                "choose another id, or change it with /fact edit."
            )
        case kerr.KeyConflict():
            return (
                f"The key “{echo(error.key, 120)}” already belongs to "
                f"“{echo(plain(error.owner_title, 100), 120)}” (`{echo(error.owner_id, 64)}`): "
                "remove it there first, or choose another key."
            )
        case kerr.RevisionNotFound():
            return (
                f"“{echo(error.fact_id, 64)}” has no revision {error.rev}: "
                "see /fact history for the numbers."
            )
        case kerr.EditConflict():
            return (
                f"Someone changed {', '.join(error.fields)} of “{echo(error.fact_id, 64)}” "
                f"while you were editing (now rev {error.rev}). Nothing was saved: "
                "open /fact edit again to see their change."
            )
        case kerr.DocumentNotFound():
            return f"There is no source document “{echo(error.document_id, 64)}”."
        case DocumentError():
            # Names the file and what is wrong with it: "report.md: is not UTF-8 text ...".
            return f"Can't use that document: {echo(str(error), 300)}. Nothing was changed."
        case kerr.InvalidSetting():
            return f"That isn't a valid digest setting: {echo(str(error), 300)}."
        case kerr.DigestNotConfigured():
            return "This server has no digest yet: set one up with /digest set."
        case NotModerator():
            return "Only moderators can do that: the moderator role, or Manage Server."
        case NotThisGuild():
            return "Sitrep's moderator commands are not enabled in this server."
        case Throttled(quiet=True):
            return None
        case Throttled() | commands.CommandOnCooldown() | app_commands.CommandOnCooldown():
            return (
                "You're asking quickly. Please try again in "
                f"{max(1, math.ceil(error.retry_after))} s."
            )
        case Busy():
            return "I'm answering a lot of questions right now. Please try again in a moment."
        case kerr.StoreBusy():
            return "The fact store is busy with another change. Nothing was saved; try again."
        case commands.NoPrivateMessage() | app_commands.NoPrivateMessage():
            return "That only works in a server."
        case commands.CheckFailure() | app_commands.CheckFailure():
            return "You can't use that here."
        case commands.UserInputError() | app_commands.TransformerError():
            return "I couldn't read that. Try /ask with your question."
        case StoreClosed():
            return "I'm starting up or shutting down. Please try again in a moment."
        case _:
            return GENERIC


def is_expected(error: BaseException) -> bool:
    """True for errors that are part of normal use (logged briefly, without a traceback)."""
    return user_message(error) != GENERIC
