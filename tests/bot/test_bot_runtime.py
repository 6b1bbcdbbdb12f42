"""The bot's plumbing: logging, permission self-check, the store thread, deferral, command
sync, sharding, the shared /fact group and the systemd unit."""

from __future__ import annotations

import asyncio
import configparser
import dataclasses
import io
import logging
import threading
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
import simcord
from conftest import LEADERSHIP, SEEDS, SENTINEL_TOKEN, Clock, World
from discord import app_commands
from discord.ext import commands

from bot import runner
from bot.async_store import AsyncDesk, Busy, DeskAPI, StoreClosed
from bot.client import ShardedSitrepBot, SitrepBot, build_bot
from bot.cogs import share_group, unshare_group
from bot.config import Settings
from bot.logging_setup import REDACTED, RedactingFilter, configure_logging, redact
from bot.ui.moderation import moderators_only
from knowledge.desk import open_desk

ROOT = Path(__file__).resolve().parents[2]
GUILD_ID = 1_100_000_000_000_000_001


async def _title(store: AsyncDesk) -> str:
    return (await store.fact(LEADERSHIP)).title


# --------------------------------------------------------------------------- logging


class _Response:
    status = 200
    headers = {"Content-Type": "application/json"}  # noqa: RUF012 - a stub

    async def text(self, encoding: str = "utf-8") -> str:
        return "{}"

    async def __aenter__(self) -> _Response:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Session:
    """Stands in for aiohttp: answers every request with 200 {} without any network."""

    def request(self, *args: object, **kwargs: object) -> _Response:
        return _Response()


def _capture(settings: Settings) -> tuple[io.StringIO, Callable[[], None]]:
    """Install the production logging at DEBUG, with discord.* forced to DEBUG (worst case)."""
    stream = io.StringIO()
    root, discord_logger = logging.getLogger(), logging.getLogger("discord")
    levels, handlers = (root.level, discord_logger.level), list(root.handlers)
    configure_logging(dataclasses.replace(settings, log_level="DEBUG"), stream=stream)
    discord_logger.setLevel(logging.DEBUG)

    def undo() -> None:
        root.handlers[:] = handlers
        root.setLevel(levels[0])
        discord_logger.setLevel(levels[1])

    return stream, undo


async def test_token_never_reaches_the_log_even_at_debug(settings: Settings) -> None:
    """C2: discord.py's own DEBUG lines with interaction URLs and the token are redacted."""
    stream, undo = _capture(settings)
    try:
        route = discord.webhook.async_.Route(
            "POST",
            "/interactions/{webhook_id}/{webhook_token}/callback",
            webhook_id=123,
            webhook_token=SENTINEL_TOKEN,
        )
        adapter = discord.webhook.async_.AsyncWebhookAdapter()
        await adapter.request(route, _Session(), payload={"type": 1})  # type: ignore[arg-type]
        http = logging.getLogger("discord.http")
        url = f"https://discord.com/api/v10/webhooks/1/{SENTINEL_TOKEN}"
        http.debug("%s %s with %s has returned %s", "POST", url, {"token": SENTINEL_TOKEN}, 200)
        logging.getLogger("discord.gateway").debug("Authorization: Bot %s", SENTINEL_TOKEN)
        try:
            raise RuntimeError(f"login failed for {SENTINEL_TOKEN}")
        except RuntimeError:
            logging.getLogger("bot").exception("boom")
    finally:
        undo()
    output = stream.getvalue()
    assert "Webhook ID 123 with POST" in output  # discord.py's real debug line was captured
    assert SENTINEL_TOKEN not in output
    assert output.count(REDACTED) >= 4


async def test_bot_activity_at_debug_never_logs_the_token(world: World, settings: Settings) -> None:
    """C2: a session of commands and clicks, logged at DEBUG, never shows the token."""
    stream, undo = _capture(settings)
    try:
        result = await world.alice.slash(world.channel, "ask", query="who leads JNIM")
        await world.bob.click(result.response, label="Sources & quotes")
        await world.alice.send(world.channel, "!ask who leads Boko Haram")
        logging.getLogger("bot").debug("settings: %r token=%s", world.bot.settings, SENTINEL_TOKEN)
    finally:
        undo()
    output = stream.getvalue()
    assert output
    assert SENTINEL_TOKEN not in output


def test_discord_logger_stays_at_info_when_sitrep_debugs(settings: Settings) -> None:
    """C2: SITREP_LOG_LEVEL=DEBUG does not turn on discord.py's DEBUG (it logs URLs)."""
    root, discord_logger = logging.getLogger(), logging.getLogger("discord")
    levels, handlers = (root.level, discord_logger.level), list(root.handlers)
    debug = dataclasses.replace(settings, log_level="DEBUG")
    configure_logging(debug, stream=io.StringIO())
    try:
        assert root.level == logging.DEBUG
        assert discord_logger.level == logging.INFO
    finally:
        root.handlers[:] = handlers
        root.setLevel(levels[0])
        discord_logger.setLevel(levels[1])


def test_earlier_handlers_cannot_leak_the_token(settings: Settings) -> None:
    """C2: a handler installed before (the CLI's basicConfig) is replaced, not left unredacted."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    earlier, ours = io.StringIO(), io.StringIO()
    root.addHandler(logging.StreamHandler(earlier))
    try:
        configure_logging(settings, stream=ours)
        logging.getLogger("bot").warning("token is %s", SENTINEL_TOKEN)
        assert len(root.handlers) == 1
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert SENTINEL_TOKEN not in earlier.getvalue() + ours.getvalue()
    assert REDACTED in ours.getvalue()


def test_redact_patterns() -> None:
    """Webhook/interaction URL tokens and token-shaped strings are redacted, ids kept."""
    text = redact(
        "POST /interactions/42/aW50ZXJhY3Rpb246MTIzOjQ1Ng.token.abc/callback "
        "/webhooks/7/abcdefghijklmnopqrstuvwxyz0123 "
        "Bot MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuv"
    )
    assert "/interactions/42/" + REDACTED in text
    assert "/webhooks/7/" + REDACTED in text
    assert "MTIzNDU2Nzg5MDEyMzQ1Njc4" not in text


@pytest.mark.parametrize(
    "url",
    [
        "https://discord.com/api/v10/webhooks/7/{token}?wait=true",
        '{{"url": "https:\\/\\/discord.com\\/api\\/webhooks\\/7\\/{token}"}}',
        "https%3A%2F%2Fdiscord.com%2Fapi%2Fwebhooks%2F7%2F{token}",
        "https%253A%252F%252Fdiscord.com%252Fapi%252Fwebhooks%252F7%252F{token}",
        "/interactions/42/{token}/callback",
        "%2finteractions%2f42%2f{token}%2fcallback",
    ],
)
def test_redact_finds_tokens_in_escaped_urls(url: str) -> None:
    """A token in a JSON-escaped or percent-encoded URL is redacted too."""
    token = "aW50ZXJhY3Rpb246MTIzOjQ1Ng-token_abc"
    text = redact(url.format(token=token))
    assert token not in text and REDACTED in text


def test_filter_survives_bad_format_args() -> None:
    """A record whose %-format is broken is still logged (redacted), not dropped."""
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d %s", ("a",), None)
    assert RedactingFilter([SENTINEL_TOKEN]).filter(record)
    assert isinstance(record.msg, str)


# --------------------------------------------------------------------------- self-check


async def test_self_check_logs_critical_for_mention_everyone(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A3: a role that can mention everyone is reported CRITICAL; removing it clears it."""
    # simcord's default bot role has every permission except Administrator; the check ran
    # when the guild appeared, during the fixture's setup.
    assert any(
        r.levelno == logging.CRITICAL and "mention_everyone" in r.getMessage()
        for r in caplog.get_records("setup")
    )
    assert world.guild.id in world.bot.unsafe_guilds
    role = world.guild.roles[world.bot.user.name]  # type: ignore[union-attr]
    safe = discord.Permissions(send_messages=True, embed_links=True, read_message_history=True)
    world.env.backend.edit_role(world.guild.id, role.id, {"permissions": safe.value})
    await world.env.settle()
    assert world.guild.id not in world.bot.unsafe_guilds
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    bare = discord.Permissions(send_messages=True)
    world.env.backend.edit_role(world.guild.id, world.guild.id, {"permissions": 0})  # @everyone
    world.env.backend.edit_role(world.guild.id, role.id, {"permissions": bare.value})
    await world.env.settle()
    assert "lacks embed_links, read_message_history" in caplog.text


async def test_on_ready_twice_sets_up_nothing_twice(world: World) -> None:
    """D3: setup lives in setup_hook; a second on_ready adds no cogs, commands or tasks."""
    cogs, commands_ = len(world.bot.cogs), len(world.bot.tree.get_commands())
    tasks = len(asyncio.all_tasks())
    world.bot.dispatch("ready")
    world.bot.dispatch("ready")
    await world.env.settle()
    assert (len(world.bot.cogs), len(world.bot.tree.get_commands())) == (cogs, commands_)
    assert len(asyncio.all_tasks()) <= tasks


# --------------------------------------------------------------------------- store thread


class RecordingDesk:
    """Wraps a desk and records the thread of every call."""

    def __init__(self, inner: DeskAPI, threads: list[int], delay: float = 0.0) -> None:
        self._inner = inner
        self._threads = threads
        self._delay = delay

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._threads.append(threading.get_ident())
            if self._delay and name in ("ask", "answer"):
                time.sleep(self._delay)
            return attr(*args, **kwargs)

        return call


def _recording_store(settings: Settings, threads: list[int], delay: float = 0.0) -> AsyncDesk:
    clock = Clock()
    return AsyncDesk(
        lambda: RecordingDesk(  # type: ignore[return-value]
            open_desk(settings.db_path, settings.seeds_dir, clock=clock), threads, delay
        )
    )


async def test_every_store_call_runs_on_the_one_store_thread(settings: Settings) -> None:
    """D2: every desk call from every command runs on the store's own thread."""
    threads: list[int] = []
    async with _recording_store(settings, threads) as store:
        bot = build_bot(settings, store, sync_on_start=False)
        async with simcord.run(bot) as env:
            await bot.tree.sync()
            guild = env.create_guild()
            channel = guild.create_text_channel("ops")
            alice = guild.add_member(env.create_user("alice"))
            await alice.autocomplete(channel, "ask", "query", "jnim")
            await alice.slash(channel, "ask", query="who leads JNIM")
            await alice.send(channel, "!ask fuel imports")
            await alice.slash(channel, "topics")
            await alice.slash(channel, "sources", id="jnim-leadership")
            await alice.slash(channel, "show", id="jnim-leadership")
        assert len(threads) >= 6
        assert set(threads) == {store.thread_id}
        assert store.thread_id != threading.get_ident()


async def test_deferred_answer_replaces_the_thinking_message(settings: Settings) -> None:
    """D1 end to end: a deferred /ask ends with the answer in place of "thinking…".

    simcord's timers are virtual, so a deferral is forced with defer_after=0 here; the real
    timing is shown by the next test.
    """
    threads: list[int] = []
    async with _recording_store(settings, threads) as store:
        bot = build_bot(settings, store, sync_on_start=False, defer_after=0.0)
        async with simcord.run(bot) as env:
            await bot.tree.sync()
            guild = env.create_guild()
            channel = guild.create_text_channel("ops")
            alice = guild.add_member(env.create_user("alice"))
            result = await alice.slash(channel, "ask", query="who leads JNIM")
            assert result.acknowledged
            assert result.response is not None
            assert [e.title for e in result.response.embeds] == [await _title(store)]
            assert not result.followups
            callbacks = [r.json for r in env.http_requests if r.path.endswith("/callback")]
            assert callbacks[-1]["type"] == 5  # deferred with "thinking…"


class _FakeResponse:
    """Records when an interaction was first acknowledged."""

    def __init__(self) -> None:
        self.deferred_at: float | None = None

    def is_done(self) -> bool:
        return self.deferred_at is not None

    async def defer(self, *, thinking: bool = False, ephemeral: bool = False) -> None:
        self.deferred_at = time.monotonic()


async def test_slow_store_defers_long_before_discords_3s_window() -> None:
    """D1: with a store slower than defer_after, the interaction is deferred well within 1 s."""
    from bot.ui.replies import InteractionDestination

    response = _FakeResponse()
    interaction = type("I", (), {"response": response})()
    destination = InteractionDestination(interaction)  # type: ignore[arg-type]  # the default
    started = time.monotonic()
    result = await destination.soon(asyncio.sleep(1.2, result="answer"))
    assert result == "answer"
    assert response.deferred_at is not None
    assert response.deferred_at - started < 1.0
    quick = InteractionDestination(interaction, defer_after=0.2)  # type: ignore[arg-type]
    response.deferred_at = None
    assert await quick.soon(asyncio.sleep(0, result="fast")) == "fast"
    assert response.deferred_at is None  # fast work is answered directly


async def test_store_refuses_when_too_many_calls_wait(settings: Settings) -> None:
    """D4: a flood of calls beyond max_pending gets Busy instead of an endless queue."""
    gate = threading.Event()

    class Stuck:
        def today(self) -> object:
            gate.wait(5)
            return None

    store = AsyncDesk(lambda: Stuck(), max_pending=2)  # type: ignore[arg-type, return-value]
    await store.start()
    try:
        first = asyncio.ensure_future(store.today())
        second = asyncio.ensure_future(store.today())
        await asyncio.sleep(0)
        with pytest.raises(Busy):
            await store.today()
        gate.set()
        await asyncio.gather(first, second)
    finally:
        gate.set()
        await store.close()
    with pytest.raises(StoreClosed):
        await store.today()


# --------------------------------------------------------------------------- sync


async def test_commands_sync_to_configured_guilds_at_start_never_globally(
    settings: Settings, store: AsyncDesk
) -> None:
    """Commands go to SITREP_GUILD_IDS when the bot starts; no global sync happens."""
    bot = build_bot(dataclasses.replace(settings, guild_ids=(GUILD_ID,)), store)
    env = simcord.Env(bot)
    env.create_guild("Team", id=GUILD_ID)
    await env.start()
    try:
        puts = [r.path for r in env.http_requests if r.method == "PUT"]
        assert any(p.endswith(f"/guilds/{GUILD_ID}/commands") for p in puts)
        assert not any(p.endswith("/commands") and "/guilds/" not in p for p in puts)
        channel = env.guild.create_text_channel("ops")
        alice = env.guild.add_member(env.create_user("alice"))
        result = await alice.slash(channel, "ask", query="who leads JNIM")
        assert result.response is not None
        assert result.response.embeds
    finally:
        await env.shutdown()


async def test_failed_guild_sync_does_not_stop_the_bot(
    settings: Settings, store: AsyncDesk, caplog: pytest.LogCaptureFixture
) -> None:
    """A guild that refuses the sync (bot not in it) is logged; the bot still starts."""
    bot = build_bot(dataclasses.replace(settings, guild_ids=(GUILD_ID,)), store)
    env = simcord.Env(bot)
    env.inject_error("PUT", f"/applications/*/guilds/{GUILD_ID}/commands", status=403, code=50001)
    await env.start()
    try:
        assert f"could not sync commands to guild {GUILD_ID}" in caplog.text
        assert bot.is_ready()
    finally:
        await env.shutdown()


async def test_sync_commands_refuses_without_guilds(settings: Settings) -> None:
    """`sitrep sync` without --global and without SITREP_GUILD_IDS explains and exits 2."""
    assert await runner._sync(settings, globally=False) == 2


# --------------------------------------------------------------------------- sharding


@pytest.mark.settings(sharded=True, shard_count=2)
async def test_sharded_bot_answers(simcord_env: simcord.Env) -> None:
    """SITREP_SHARDED=true runs an AutoShardedBot that answers like the plain one."""
    bot = simcord_env.bot
    assert isinstance(bot, ShardedSitrepBot)
    assert isinstance(bot, commands.AutoShardedBot)
    assert bot.shard_count == 2
    await bot.tree.sync()
    guild = simcord_env.create_guild(shard_id=1)
    channel = guild.create_text_channel("ops")
    alice = guild.add_member(simcord_env.create_user("alice"))
    await alice.send(channel, "!ask who leads JNIM")
    assert channel.last_message is not None
    assert [e.title for e in channel.last_message.embeds] == [await _title(bot.store)]


def test_plain_bot_by_default(settings: Settings, store: AsyncDesk) -> None:
    """Without SITREP_SHARDED the bot is a plain commands.Bot."""
    bot = build_bot(settings, store)
    assert type(bot) is SitrepBot
    assert not isinstance(bot, discord.AutoShardedClient)


# --------------------------------------------------------------------------- /fact group


class ExtraCog(commands.Cog):
    """Stands in for a later cog that adds a subcommand to the moderators' /fact group."""

    fact = app_commands.Group(name="fact", description="Facts.")

    def __init__(self, bot: SitrepBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        share_group(self, self.fact, self.bot)

    async def cog_unload(self) -> None:
        unshare_group(self.fact, self.bot)

    @fact.command(name="ping")
    @moderators_only
    async def ping(self, interaction: discord.Interaction[Any]) -> None:
        """Reply pong."""
        await interaction.response.send_message(f"pong from {type(self).__name__}", ephemeral=True)


async def test_another_cog_can_extend_the_fact_group(world: World) -> None:
    """A later cog adds /fact subcommands next to the moderators' ones, and takes them away."""
    group = world.bot.tree.get_command("fact")
    assert isinstance(group, app_commands.Group)
    before = sorted(c.name for c in group.commands)
    assert {"add", "edit", "history", "import", "export"} <= set(before)
    await world.bot.add_cog(ExtraCog(world.bot))
    await world.bot.tree.sync()
    assert sorted(c.name for c in group.commands) == sorted([*before, "ping"])
    assert [c for c in world.bot.tree.get_commands() if c.name == "fact"] == [group]
    owner = world.guild.add_member(world.env.create_user("owner"), roles=[_manager(world)])
    pong = await owner.slash(world.channel, "fact ping")
    assert pong.response is not None
    assert pong.response.content == "pong from ExtraCog"
    await world.bot.remove_cog("ExtraCog")
    assert sorted(c.name for c in group.commands) == before


def _manager(world: World) -> Any:
    return world.guild.create_role("Managers", permissions=discord.Permissions(manage_guild=True))


# --------------------------------------------------------------------------- deployment


def test_systemd_unit_backs_off_restarts() -> None:
    """C3: restarts at least 10 s apart and a start limit, so IDENTIFYs stay rare."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment, method-assign]
    unit.read(ROOT / "deploy" / "sitrep.service")
    service, section = unit["Service"], unit["Unit"]
    assert int(service["RestartSec"].rstrip("s")) >= 10
    assert int(section["StartLimitBurst"]) <= 10
    assert int(section["StartLimitIntervalSec"]) >= 300
    assert service["Restart"] == "on-failure"
    assert "2" in service["RestartPreventExitStatus"].split()
    assert "DISCORD_TOKEN" not in (ROOT / "deploy" / "sitrep.service").read_text().replace(
        "(DISCORD_TOKEN,", ""
    )


def test_seeds_path_is_the_shipped_one() -> None:
    """The bot tests run over the shipped seeds."""
    assert (SEEDS / "facts").is_dir()
    assert any((SEEDS / "facts").glob("*.toml"))


# --------------------------------------------------------------------------- runner


@pytest.fixture
def restore_logging() -> Any:
    """run_bot installs the production logging; put the test's logging back afterwards."""
    root, discord_logger = logging.getLogger(), logging.getLogger("discord")
    saved = list(root.handlers), root.level, discord_logger.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    discord_logger.setLevel(saved[2])


@pytest.mark.usefixtures("restore_logging")
def test_run_bot_opens_the_store_and_maps_login_failure_to_exit_2(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sitrep run` opens the database before connecting; a rejected token exits 2."""
    seen: list[bool] = []

    async def start(self: SitrepBot, token: str, *, reconnect: bool = True) -> None:
        seen.append(token == SENTINEL_TOKEN and self.store.thread_id is not None)

    monkeypatch.setattr(SitrepBot, "start", start)
    assert runner.run_bot(settings) == 0
    assert seen == [True]
    assert settings.db_path.exists()

    async def rejected(self: SitrepBot, token: str, *, reconnect: bool = True) -> None:
        raise discord.LoginFailure("Improper token has been passed.")

    monkeypatch.setattr(SitrepBot, "start", rejected)
    assert runner.run_bot(settings) == 2


@pytest.mark.usefixtures("restore_logging")
def test_sync_commands_guilds_or_global(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`sitrep sync` publishes to the configured guilds; `--global` publishes globally."""
    calls: list[int | None] = []

    async def login(self: SitrepBot, token: str) -> None:
        await self.setup_hook()  # what discord.py's login does once authenticated

    async def sync(self: app_commands.CommandTree[Any], *, guild: Any = None) -> list[Any]:
        calls.append(guild.id if guild is not None else None)
        return []

    monkeypatch.setattr(SitrepBot, "login", login)
    monkeypatch.setattr(app_commands.CommandTree, "sync", sync)
    with_guilds = dataclasses.replace(settings, guild_ids=(GUILD_ID, GUILD_ID + 1))
    assert runner.sync_commands(with_guilds, globally=False) == 0
    assert calls == [GUILD_ID, GUILD_ID + 1]  # and no global sync, and none at setup
    calls.clear()
    assert runner.sync_commands(with_guilds, globally=True) == 0
    assert calls == [None]


def _http_error(status: int) -> discord.HTTPException:
    response = types.SimpleNamespace(status=status, reason="Service Unavailable")
    return discord.HTTPException(response, "upstream\nunavailable")  # type: ignore[arg-type]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    ("where", "error"),
    [
        ("login", _http_error(503)),
        ("login", aiohttp.ClientConnectionError("Cannot connect to host discord.com")),
        ("sync", _http_error(429)),
        ("sync", TimeoutError("timed out")),
    ],
)
def test_sync_commands_turns_http_errors_into_one_line(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
    error: BaseException,
) -> None:
    """An outage, a rate limit or no network during `sitrep sync` exits 1 with one log
    line saying to try again, never a traceback."""

    async def login(self: SitrepBot, token: str) -> None:
        if where == "login":
            raise error
        await self.setup_hook()

    async def sync(self: app_commands.CommandTree[Any], *, guild: Any = None) -> list[Any]:
        raise error

    monkeypatch.setattr(SitrepBot, "login", login)
    monkeypatch.setattr(app_commands.CommandTree, "sync", sync)
    assert runner.sync_commands(settings, globally=True) == 1
    lines = capsys.readouterr().err.splitlines()
    assert "Traceback" not in "\n".join(lines)
    [line] = [line for line in lines if "bot.runner" in line]
    assert "ERROR" in line and "could not sync commands: " in line
    assert line.endswith("; try again later")
