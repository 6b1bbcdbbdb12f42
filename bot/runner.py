"""Entry points for ``sitrep run`` and ``sitrep sync``: open resources, run, close them.

Both return a process exit code: 0 on success, 2 when the configuration or Discord refuses
(bad token, missing intent), 1 on anything unexpected (logged with its traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
from collections.abc import Callable

import aiohttp
import discord

from knowledge.errors import KnowledgeError

from .async_store import AsyncDesk, DeskAPI
from .client import SitrepBot, build_bot, sync_to_guilds
from .config import Settings
from .heap import settle_heap
from .logging_setup import configure_logging

log = logging.getLogger(__name__)


def _opener(settings: Settings) -> Callable[[], DeskAPI]:
    def open_on_db_thread() -> DeskAPI:
        # Imported here so `sitrep sync` never needs the store's dependencies.
        from knowledge.desk import open_desk

        desk = open_desk(settings.db_path, settings.seeds_dir)
        desk.warm()
        settle_heap()
        return desk

    return open_on_db_thread


def run_bot(settings: Settings) -> int:
    """Run the bot until it is stopped (Ctrl-C or SIGTERM). Returns the exit code."""
    configure_logging(settings)
    log.info("sqlite_version=%s discord.py=%s", sqlite3.sqlite_version, discord.__version__)
    try:
        return asyncio.run(_run(settings))
    except KeyboardInterrupt:
        return 0


async def _run(settings: Settings) -> int:
    store = AsyncDesk(_opener(settings))
    try:
        await store.start()
    except KnowledgeError as error:
        log.error("cannot open the fact store at %s: %s", settings.db_path, error)
        return 2
    try:
        bot = build_bot(settings, store)
        _stop_on_sigterm(bot)
        async with bot:
            return await _start(bot, settings)
    finally:
        await store.close()


async def _start(bot: SitrepBot, settings: Settings) -> int:
    try:
        await bot.start(settings.token)
    except discord.LoginFailure:
        log.error("Discord rejected DISCORD_TOKEN: copy it again from the developer portal")
        return 2
    except discord.PrivilegedIntentsRequired:
        log.error("enable the Message Content intent for the bot in the developer portal")
        return 2
    except Exception:
        log.exception("the bot stopped unexpectedly")
        return 1
    return 0


def _stop_on_sigterm(bot: SitrepBot) -> None:
    """systemd stops services with SIGTERM: close the gateway and the database cleanly."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
        loop.add_signal_handler(signal.SIGTERM, lambda: asyncio.ensure_future(bot.close()))


def sync_commands(settings: Settings, *, globally: bool) -> int:
    """Register the slash commands with Discord: in SITREP_GUILD_IDS, or globally.

    Guild sync is instant and meant for development or a single-team deployment; a global
    sync can take up to an hour to reach every client. Do not do both for the same guild,
    or its members see every command twice.
    """
    configure_logging(settings)
    return asyncio.run(_sync(settings, globally=globally))


async def _sync(settings: Settings, *, globally: bool) -> int:
    if not globally and not settings.guild_ids:
        log.error("SITREP_GUILD_IDS is empty: set it, or sync globally")
        return 2
    # The store is never opened: syncing only needs the command definitions.
    bot = build_bot(settings, AsyncDesk(_opener(settings)), sync_on_start=False)
    async with bot:
        try:
            await bot.login(settings.token)
            if globally:
                synced = await bot.tree.sync()
                log.info("synced %d global command(s); clients may take up to an hour", len(synced))
            elif await sync_to_guilds(bot, settings.guild_ids):
                return 1
        except discord.LoginFailure:
            log.error("Discord rejected DISCORD_TOKEN: copy it again from the developer portal")
            return 2
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            # A Discord outage, a rate limit or no network: one line, and a retry is safe.
            log.error("could not sync commands: %s; try again later", _brief(error))
            return 1
    return 0


def _brief(error: BaseException) -> str:
    """An error in a few words for one log line (discord.py's text can span lines)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]
