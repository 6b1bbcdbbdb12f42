"""Scheduled digests end to end: simcord's virtual clock drives the real poster and store.

Acceptance of issue 5 (Discord half) and RELIABILITY E1–E5, A3, B1, D3: a digest posts once
at its local time, survives restarts, catches up once after downtime, survives failing
iterations, turns itself off on a 403, follows weekly schedules and DST; /digest set, off,
preview and now, and their refusals.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import discord
import pytest
import pytest_asyncio
from conftest import World
from digestkit import (
    SimClock,
    Team,
    at,
    make_safe,
    make_team,
    message_requests,
    posts_to,
    with_settings,
)
from discord import app_commands

from bot.cogs import digest_poster
from bot.cogs.digest import zone_choices
from bot.cogs.digest_poster import MAX_SLEEP, WATCHDOG_EVERY
from bot.errors import NotThisGuild
from bot.ui.moderation import curator_check


@pytest.fixture
def clock() -> SimClock:
    """The desk's clock follows simcord's virtual clock."""
    return SimClock()


@pytest_asyncio.fixture
async def team(world: World, clock: SimClock) -> AsyncIterator[Team]:
    """The world with a safe bot role, a Manage Server moderator and a #digest channel."""
    made = await make_team(world, clock)
    yield made
    await made.close()


def footer(message: discord.Message) -> str:
    return message.embeds[0].footer.text or ""


def keys(runs: list[Any]) -> list[tuple[str, str]]:
    return [(r.period_key, r.status) for r in runs]


def fail_once(monkeypatch: pytest.MonkeyPatch, name: str, error: Exception) -> list[int]:
    """Make ``bot.cogs.digest_poster.<name>`` raise ``error`` on its first call only."""
    real: Callable[..., Any] = getattr(digest_poster, name)
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(digest_poster, name, flaky)
    return calls


async def jump(team: Team, moment: datetime) -> None:
    """Move the clock straight to ``moment`` as a suspended host would see it: no timer
    runs in between, then the overdue ones fire once."""
    team.env.backend.advance_clock((moment - team.env.now()).total_seconds())
    await team.env.advance_time(0)


# --------------------------------------------------------------------------- schedule


async def test_daily_digest_posts_once_at_the_local_time(team: Team) -> None:
    """08:00 in New York is 13:00 UTC in winter: the digest posts then, once a day."""
    await team.ask("what is the exchange rate")
    await team.set_digest(timezone="America/New_York")
    await team.until(at("2026-01-01 12:59"))
    assert team.posts() == []
    await team.until(at("2026-01-01 13:00:01"))
    (post,) = team.posts()
    assert at("2026-01-01 13:00") <= post.created_at < at("2026-01-01 13:00:02")
    embed = post.embeds[0]
    assert embed.title == "Sitrep digest — 2026-01-01"
    assert footer(post) == "Sitrep digest 2026-01-01 · part 1/1"
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Unanswered questions"] == "• “what is the exchange rate”: once"
    await team.until(at("2026-01-02 12:59"))
    assert len(team.posts()) == 1
    await team.until(at("2026-01-02 13:00:01"))
    assert [footer(p) for p in team.posts()] == [
        "Sitrep digest 2026-01-01 · part 1/1",
        "Sitrep digest 2026-01-02 · part 1/1",
    ]
    assert keys(await team.runs()) == [("2026-01-01", "posted"), ("2026-01-02", "posted")]


async def test_empty_period_is_one_line_or_nothing(team: Team) -> None:
    """Nothing to report: "No changes since …" in one line; with skip_empty, no post."""
    await team.set_digest()
    await team.until(at("2026-01-01 08:00:01"))
    (post,) = team.posts()
    assert post.embeds[0].description == "No changes since 2025-12-31."
    assert not post.embeds[0].fields
    await team.set_digest(skip_empty=True)
    await team.until(at("2026-01-02 08:00:01"))
    assert len(team.posts()) == 1
    assert keys(await team.runs())[-1] == ("2026-01-02", "skipped")


async def test_two_restarts_in_one_day_post_once(team: Team) -> None:
    """A restart before the slot and two after it: one digest that day, one the next."""
    await team.set_digest()
    await team.until(at("2026-01-01 07:00"))
    await team.restart()
    await team.until(at("2026-01-01 08:00:01"))
    assert len(team.posts()) == 1
    await team.until(at("2026-01-01 09:00"))
    await team.restart()
    await team.until(at("2026-01-01 15:00"))
    await team.restart()
    await team.until(at("2026-01-02 07:59"))
    assert len(team.posts()) == 1
    await team.until(at("2026-01-02 08:00:01"))
    assert len(team.posts()) == 2
    assert keys(await team.runs()) == [("2026-01-01", "posted"), ("2026-01-02", "posted")]


async def test_three_day_downtime_posts_one_catch_up(team: Team) -> None:
    """E3: after three missed slots, one digest for the latest covers them all; the two
    older periods are recorded as skipped."""
    await team.set_digest()
    await team.until(at("2026-01-01 08:00:01"))
    team.poster.stop()  # the bot is down: no poster, no watchdog
    await team.ask("what is the exchange rate")
    await team.until(at("2026-01-04 10:00"))
    assert len(team.posts()) == 1
    await team.restart()
    await team.env.settle()
    posts = team.posts()
    assert len(posts) == 2
    catch_up = posts[-1]
    assert footer(catch_up) == "Sitrep digest 2026-01-04 · part 1/1"
    assert (catch_up.embeds[0].description or "").startswith("Since 2026-01-01:")
    assert "exchange rate" in str([f.value for f in catch_up.embeds[0].fields])
    assert keys(await team.runs()) == [
        ("2026-01-01", "posted"),
        ("2026-01-02", "skipped"),
        ("2026-01-03", "skipped"),
        ("2026-01-04", "posted"),
    ]
    await team.until(at("2026-01-05 08:00:01"))
    assert len(team.posts()) == 3


async def test_weekly_digest_posts_on_its_weekday(team: Team) -> None:
    """Weekly on Monday at 09:00 Paris time (08:00 UTC in winter), once a week."""
    await team.set_digest(
        schedule="weekly", weekday="monday", time="09:00", timezone="Europe/Paris"
    )
    await team.until(at("2026-01-05 07:59"))  # 2026-01-01 is a Thursday
    assert team.posts() == []
    await team.until(at("2026-01-05 08:00:01"))
    (first,) = team.posts()
    assert footer(first) == "Sitrep digest 2026-W02 · part 1/1"
    await team.until(at("2026-01-12 07:59"))
    assert len(team.posts()) == 1
    await team.until(at("2026-01-12 08:00:01"))
    assert [p.created_at for p in team.posts()] == [at("2026-01-05 08:00"), at("2026-01-12 08:00")]


async def test_dst_change_keeps_the_local_time(team: Team) -> None:
    """New York springs forward on 2026-03-08: 08:00 local is 13:00 UTC before, 12:00 after."""
    await jump(team, at("2026-03-06 00:00"))
    await team.set_digest(timezone="America/New_York")
    await team.until(at("2026-03-09 23:00"))
    assert [p.created_at for p in team.posts()] == [
        at("2026-03-06 13:00"),
        at("2026-03-07 13:00"),
        at("2026-03-08 12:00"),
        at("2026-03-09 12:00"),
    ]


async def test_a_time_the_clocks_skip_posts_at_the_jump(team: Team) -> None:
    """01:30 does not exist in London on 2026-03-29 (01:00 → 02:00): it posts at the jump."""
    await jump(team, at("2026-03-28 00:00"))
    await team.set_digest(time="01:30", timezone="Europe/London")
    await team.until(at("2026-03-30 12:00"))
    assert [p.created_at for p in team.posts()] == [
        at("2026-03-28 01:30"),  # GMT
        at("2026-03-29 01:00"),  # 02:00 BST, the moment the clocks jump
        at("2026-03-30 00:30"),  # 01:30 BST
    ]


async def test_suspended_host_wakes_once_and_catches_up_once(team: Team) -> None:
    """A jump of the clock (a suspended host) is one catch-up, not a storm of passes."""
    await team.set_digest()
    await team.until(at("2026-01-01 08:00:01"))
    await jump(team, at("2026-01-20 09:00"))
    assert [footer(p) for p in team.posts()] == [
        "Sitrep digest 2026-01-01 · part 1/1",
        "Sitrep digest 2026-01-20 · part 1/1",
    ]
    assert team.poster.posting.next_iteration is not None
    assert team.poster.posting.next_iteration <= at("2026-01-20 09:00") + timedelta(
        seconds=MAX_SLEEP
    )


# --------------------------------------------------------------------------- resilience


async def test_failing_discord_5xx_is_retried(team: Team, caplog: pytest.LogCaptureFixture) -> None:
    """E1: a digest whose post fails with a 500 is recorded as failed and posted by the
    next attempt a minute later; the loop keeps running."""
    await team.set_digest()
    team.env.inject_error("POST", f"/channels/{team.digest.id}/messages", status=500)
    await team.until(at("2026-01-01 08:00:30"))
    assert team.posts() == []
    assert keys(await team.runs()) == [("2026-01-01", "failed")]
    assert team.poster.posting.is_running()
    assert team.poster.health().failing == {team.world.guild.id: 1}
    await team.until(at("2026-01-01 08:02"))
    assert len(team.posts()) == 1
    (run,) = await team.runs()
    assert (run.status, run.attempts) == ("posted", 2)
    assert team.poster.health().failing == {}
    assert "digest 2026-01-01 failed (Discord said 500" in caplog.text


@pytest.mark.parametrize(
    ("step", "error"),
    [
        ("plan", sqlite3.OperationalError("database is locked")),
        ("plan", RuntimeError("a bug in the pass")),
        ("prepare", sqlite3.OperationalError("disk I/O error")),
        ("prepare", KeyError("a bug in one guild's digest")),
    ],
    ids=["locked-db-in-pass", "bug-in-pass", "db-error-in-digest", "bug-in-digest"],
)
async def test_failing_iteration_is_followed_by_a_successful_one(
    team: Team, monkeypatch: pytest.MonkeyPatch, step: str, error: Exception
) -> None:
    """E1: an exception anywhere in a pass is logged, the loop survives, and the next
    attempt (a minute later) posts the digest."""
    await team.set_digest()
    await team.until(at("2026-01-01 07:59"))
    calls = fail_once(monkeypatch, step, error)
    await team.until(at("2026-01-01 08:00:30"))
    assert team.posts() == []
    assert team.poster.posting.is_running()
    assert not team.poster.posting.failed()
    await team.until(at("2026-01-01 08:01:01"))
    assert len(team.posts()) == 1
    assert len(calls) >= 2
    assert keys(await team.runs()) == [("2026-01-01", "posted")]
    assert team.poster.health().last_success is not None


async def test_rate_limited_post_still_posts(team: Team) -> None:
    """E1: a 429 is waited out (by discord.py, or by the next attempt) and posts once."""
    await team.set_digest()
    team.env.inject_error(
        "POST", f"/channels/{team.digest.id}/messages", status=429, message="rate limited"
    )
    await team.until(at("2026-01-01 08:05"))
    assert len(team.posts()) == 1
    assert team.poster.posting.is_running()


async def test_forbidden_channel_disables_and_alerts_the_modlog(team: Team) -> None:
    """E4: a 403 from the digest channel: one attempt, the digest is turned off with the
    reason, the mod-log (in this server) is told, and nothing is tried again."""
    modlog = team.world.guild.create_text_channel("mod-log")
    team.bot.settings = with_settings(team.bot.settings, modlog_channel_id=modlog.id)
    await team.set_digest()
    before = len(team.posts(modlog))  # "Digest set"
    team.env.inject_error(
        "POST",
        f"/channels/{team.digest.id}/messages",
        status=403,
        code=50013,
        message="Missing Permissions",
        times=None,
    )
    await team.until(at("2026-01-01 08:00:01"))
    assert len(posts_to(team.env, team.digest.id)) == 1
    settings = await team.settings()
    assert settings is not None
    assert not settings.enabled
    assert "403" in settings.disabled_reason
    alerts = team.posts(modlog)[before:]
    assert len(alerts) == 1
    assert "turned the digest off" in alerts[0].content
    assert f"<#{team.digest.id}>" in alerts[0].content
    await team.until(at("2026-01-04 08:00:01"))
    assert len(posts_to(team.env, team.digest.id)) == 1
    assert len(team.posts(modlog)) == before + 1
    assert keys(await team.runs()) == [("2026-01-01", "failed")]
    status = await team.boss.slash(team.world.channel, "digest preview")
    assert "The digest is off" in status.response.content  # type: ignore[union-attr]


async def test_deleted_channel_disables_and_dms_the_moderator(team: Team) -> None:
    """E4: the channel is gone (404) and no mod-log is set: the moderator who set the
    digest up gets a DM."""
    await team.set_digest()
    team.env.backend.delete_channel(team.digest.id)
    await team.env.settle()
    await team.until(at("2026-01-01 08:00:01"))
    settings = await team.settings()
    assert settings is not None
    assert not settings.enabled
    dm = team.boss.user.dm_channel.last_message
    assert dm is not None
    assert "turned the digest off" in dm.content
    assert team.poster.posting.is_running()


async def test_modlog_of_another_server_is_not_told(team: Team, world: World) -> None:
    """Digest news of this server never goes to a mod-log channel in another server: the
    alert goes to the moderator's DMs instead."""
    other = world.env.create_guild("Elsewhere").create_text_channel("mod-log")
    team.bot.settings = with_settings(team.bot.settings, modlog_channel_id=other.id)
    await team.set_digest()
    team.env.inject_error("POST", f"/channels/{team.digest.id}/messages", status=403, times=None)
    await team.until(at("2026-01-01 08:00:01"))
    assert other.history() == []  # neither "Digest set" nor the alert
    assert team.boss.user.dm_channel.last_message is not None


async def test_post_recorded_late_is_not_posted_twice(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E2: the digest reached the channel but recording it failed (the crash window): the
    next attempt finds it by its footer, records it, and does not post it again."""
    await team.set_digest()
    fail_once(monkeypatch, "record_posted", sqlite3.OperationalError("database is locked"))
    await team.until(at("2026-01-01 08:00:30"))
    assert len(team.posts()) == 1
    assert keys(await team.runs()) == [("2026-01-01", "failed")]
    await team.until(at("2026-01-01 08:02"))
    (post,) = team.posts()
    (run,) = await team.runs()
    assert (run.status, run.message_id) == ("posted", post.id)
    assert "found already posted" in run.note


async def test_watchdog_restarts_a_stopped_poster(team: Team) -> None:
    """E5: the poster's task died; within one watchdog period it runs again and posts."""
    await team.set_digest()
    team.poster.posting.cancel()
    await team.env.settle()
    assert not team.poster.posting.is_running()
    await team.env.advance_time(WATCHDOG_EVERY + 1)
    assert team.poster.posting.is_running()
    assert team.poster.health().restarts == 1
    await team.until(at("2026-01-01 08:00:01"))
    assert len(team.posts()) == 1


async def test_watchdog_restarts_a_failed_poster(
    team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E5: an exception that escapes the loop's body (here: its rescheduling) fails the
    task; the watchdog restarts it and exposes the last success for health checks."""
    await team.set_digest()
    await team.until(at("2026-01-01 08:00:01"))
    assert team.poster.health().last_success == at("2026-01-01 08:00")
    real = digest_poster.run_next_at

    def broken(loop: Any, target: datetime) -> None:
        if loop is team.poster.posting:
            monkeypatch.setattr(digest_poster, "run_next_at", real)
            raise RuntimeError("scheduling bug")
        real(loop, target)

    monkeypatch.setattr(digest_poster, "run_next_at", broken)
    await team.until(at("2026-01-01 09:00:01"))  # the next pass ends in the bug
    assert team.poster.posting.failed()
    assert [type(e) for e in team.env.errors] == [RuntimeError]  # discord.py re-raised it
    await team.env.advance_time(WATCHDOG_EVERY + 1)
    health = team.poster.health()
    assert (health.running, health.failed, health.restarts) == (True, False, 1)
    await team.until(at("2026-01-02 08:00:01"))
    assert len(team.posts()) == 2


async def test_on_ready_twice_starts_no_second_poster(team: Team) -> None:
    """D3: the loops start in cog_load; another on_ready adds no task and no error."""

    def loops() -> int:
        return sum(
            1
            for task in asyncio.all_tasks()
            if "DigestPoster" in task.get_name() and not task.done()
        )

    before = loops()
    assert before == 2  # the poster and its watchdog
    team.bot.dispatch("ready")
    team.bot.dispatch("ready")
    await team.env.settle()
    assert loops() == before


async def test_unsafe_role_gets_no_digest(team: Team, caplog: pytest.LogCaptureFixture) -> None:
    """A3: while Sitrep's role can mention everyone it posts no digest (CRITICAL in the log,
    one DM to the moderator), and /digest now refuses; once fixed, the digest resumes."""
    role = team.world.guild.roles[team.bot.user.name]  # type: ignore[union-attr]
    everyone = discord.Permissions(mention_everyone=True, send_messages=True, embed_links=True)
    team.env.backend.edit_role(team.world.guild.id, role.id, {"permissions": everyone.value})
    await team.env.settle()
    await team.set_digest()
    await team.until(at("2026-01-01 08:00:01"))
    assert team.posts() == []
    assert "mention_everyone" in caplog.text
    assert keys(await team.runs()) == [("2026-01-01", "failed")]
    dms = [m for m in team.boss.user.dm_channel.history() if "not posting the digest" in m.content]
    assert len(dms) == 1
    now = await team.boss.slash(team.world.channel, "digest now")
    assert "won't post digests" in now.response.content  # type: ignore[union-attr]
    await make_safe(team.world)
    await team.env.advance_time(3600)
    assert len(team.posts()) == 1
    assert len(dms) == 1


# --------------------------------------------------------------------------- commands


async def test_digest_set_replies_privately_and_tells_the_modlog(team: Team) -> None:
    """/digest set saves the settings (who set them, too), names the next slot, wakes the
    poster and posts the change to the mod-log."""
    modlog = team.world.guild.create_text_channel("mod-log")
    team.bot.settings = with_settings(team.bot.settings, modlog_channel_id=modlog.id)
    result = await team.set_digest(
        schedule="weekly", weekday="friday", time="17:30", timezone="asia/tokyo"
    )
    assert result.ephemeral
    text = result.response.content
    assert text.startswith(
        f"Digest set: weekly on Friday at 17:30 (Asia/Tokyo) in <#{team.digest.id}>."
    )
    assert f"<t:{int(at('2026-01-02 08:30').timestamp())}:F>" in text
    settings = await team.settings()
    assert settings is not None
    assert (settings.channel_id, settings.weekday, settings.configured_by) == (
        team.digest.id,
        4,
        f"discord:{team.boss.id}",
    )
    (logged,) = team.posts(modlog)
    assert logged.embeds[0].title == "Digest set"
    await team.until(at("2026-01-02 08:30:01"))
    assert len(team.posts()) == 1


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"timezone": "Europe/Londn"}, "did you mean 'Europe/London'?"),
        ({"time": "25:00"}, "is not a time of day"),
        ({"schedule": "weekly"}, "a weekly digest needs a weekday"),
        ({"weekday": "monday"}, "only weekly digests have a weekday"),
    ],
)
async def test_digest_set_refuses_invalid_settings(
    team: Team, options: dict[str, str], expected: str
) -> None:
    """Invalid values get a private message naming the problem; nothing is saved."""
    result = await team.set_digest(**options)
    assert result.ephemeral
    text = result.response.content
    assert text.startswith("That isn't a valid digest setting:")
    assert expected in text
    assert await team.settings() is None
    team.env.errors  # noqa: B018 - the handled error is acknowledged


async def test_digest_set_refuses_a_channel_the_bot_cannot_post_in(team: Team) -> None:
    """A channel where Sitrep may not send messages is refused before anything is saved."""
    role = team.world.guild.roles[team.bot.user.name]  # type: ignore[union-attr]
    closed = team.world.guild.create_text_channel(
        "closed", overwrites={role: discord.PermissionOverwrite(send_messages=False)}
    )
    result = await team.set_digest(channel=closed)
    assert result.response.content.startswith(f"I can't post in <#{closed.id}>: I need Send")
    assert await team.settings() is None


async def test_timezone_autocomplete(team: Team) -> None:
    """The timezone option suggests IANA names: by prefix, by city, at most 25."""
    choices = await team.boss.autocomplete(team.world.channel, "digest set", "timezone", "bamako")
    assert choices[0]["value"] == "Africa/Bamako"
    many = await team.boss.autocomplete(team.world.channel, "digest set", "timezone", "america/")
    assert len(many) == 25
    assert all(c["value"].startswith("America/") for c in many)
    first = await team.boss.autocomplete(team.world.channel, "digest set", "timezone", "")
    assert first[0]["value"] == "Africa/Bamako"
    assert zone_choices("utc")[0] == "UTC"
    assert zone_choices("no such zone") == []


async def test_digest_off_and_on_again(team: Team) -> None:
    """/digest off stops posting; /digest set turns it back on; off without one explains."""
    off = await team.boss.slash(team.world.channel, "digest off")
    assert off.response.content == "This server has no digest yet: set one up with /digest set."  # type: ignore[union-attr]
    team.env.errors  # noqa: B018 - the handled error is acknowledged
    await team.set_digest()
    off = await team.boss.slash(team.world.channel, "digest off")
    assert off.ephemeral
    assert off.response.content.startswith("Digest turned off.")  # type: ignore[union-attr]
    again = await team.boss.slash(team.world.channel, "digest off")
    assert again.response.content == "The digest was already off."  # type: ignore[union-attr]
    await team.until(at("2026-01-02 09:00"))
    assert team.posts() == []
    await team.set_digest()
    await team.until(at("2026-01-03 08:00:01"))
    assert len(team.posts()) == 1


async def test_digest_preview_is_private_and_posts_nothing(team: Team) -> None:
    """/digest preview shows the would-be digest to the moderator only, records nothing."""
    await team.ask("what is the exchange rate")
    await team.set_digest()
    await team.env.advance_time(60)
    preview = await team.boss.slash(team.world.channel, "digest preview")
    assert preview.ephemeral
    message = preview.response
    assert message is not None
    assert message.content.startswith("**Preview, not posted.** The next digest goes to")
    fields = {f.name: f.value for f in message.embeds[0].fields}
    assert "“what is the exchange rate”" in fields["Unanswered questions"]
    assert team.posts() == []
    assert await team.runs() == []


async def test_digest_now_posts_and_takes_the_next_slot(team: Team) -> None:
    """/digest now posts at once as the next period; that slot is not posted again, the
    one after covers from the manual post; a second /digest now before then refuses."""
    await team.until(at("2026-01-01 09:00"))
    await team.set_digest()  # after today's 08:00: the first scheduled one is tomorrow's
    await team.until(at("2026-01-01 15:00"))
    now = await team.boss.slash(team.world.channel, "digest now")
    assert now.ephemeral
    (post,) = team.posts()
    text = now.response.content  # type: ignore[union-attr]
    assert text.startswith(
        f"Posted the digest: {post.jump_url}. It counts as the digest of 2026-01-02."
    )
    assert f"<t:{int(at('2026-01-03 08:00').timestamp())}:F>" in text
    assert footer(post) == "Sitrep digest 2026-01-02 · part 1/1"
    again = await team.boss.slash(team.world.channel, "digest now")
    assert again.response.content.startswith("The next digest (2026-01-02) was already posted")  # type: ignore[union-attr]
    await team.ask("what is the exchange rate")
    await team.until(at("2026-01-02 08:00:01"))
    assert len(team.posts()) == 1
    await team.until(at("2026-01-03 08:00:01"))
    posts = team.posts()
    assert len(posts) == 2
    assert footer(posts[-1]) == "Sitrep digest 2026-01-03 · part 1/1"
    assert (posts[-1].embeds[0].description or "").startswith("Since 2026-01-01:")


async def test_digest_now_posts_a_due_period_that_failed(team: Team) -> None:
    """/digest now after a failed scheduled post posts that very period (not tomorrow's)."""
    await team.set_digest()
    team.env.inject_error("POST", f"/channels/{team.digest.id}/messages", status=500)
    await team.until(at("2026-01-01 08:00:30"))
    assert team.posts() == []
    now = await team.boss.slash(team.world.channel, "digest now")
    assert "It counts as the digest of 2026-01-01." in now.response.content  # type: ignore[union-attr]
    await team.until(at("2026-01-01 12:00"))
    assert len(team.posts()) == 1


async def test_members_cannot_use_digest_commands(team: Team) -> None:
    """B1: a member without the moderator role or Manage Server is refused by the runtime
    check on every /digest command, even where a server admin has made it visible to them
    (the default_permissions hint is only a hint)."""
    commands = await team.bot.tree.fetch_commands()
    digest = next(c for c in commands if c.name == "digest")
    team.world.guild.set_command_permissions(digest, {team.world.alice: True})
    for command in ("digest now", "digest off", "digest preview"):
        refused = await team.world.alice.slash(team.world.channel, command)
        assert refused.ephemeral
        assert refused.response.content.startswith("Only moderators can do that")  # type: ignore[union-attr]
    refused = await team.world.alice.slash(
        team.world.channel,
        "digest set",
        channel=team.digest,
        schedule="daily",
        time="08:00",
        timezone="UTC",
    )
    assert refused.response.content.startswith("Only moderators")  # type: ignore[union-attr]
    assert await team.settings() is None
    assert all(isinstance(e, app_commands.CheckFailure) for e in team.env.errors)


async def test_digest_commands_are_guild_only(team: Team) -> None:
    """B1/B2: /digest is guild-only for Discord (not offered in DMs) and for the runtime
    check; its top-level group carries the Manage Server hint."""
    group = team.bot.tree.get_command("digest")
    assert group is not None
    data = group.to_dict(team.bot.tree)
    assert data["contexts"] == [0]
    assert data["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    assert all(curator_check in c.checks for c in group.walk_commands())  # type: ignore[union-attr]
    assert "digest now" not in team.boss.user.available_commands()
    dm = SimpleNamespace(guild_id=None, user=SimpleNamespace(), client=team.bot)
    with pytest.raises(app_commands.NoPrivateMessage):
        curator_check(dm)  # type: ignore[arg-type]


@pytest.mark.settings(guild_ids=(1_100_000_000_000_000_001,))
async def test_digest_commands_refused_in_another_guild(team: Team) -> None:
    """B1: with SITREP_GUILD_IDS set, a moderator of another server is refused."""
    refused = await team.boss.slash(team.world.channel, "digest now")
    assert refused.response.content == "Sitrep's moderator commands are not enabled in this server."  # type: ignore[union-attr]
    assert [type(e) for e in team.env.errors] == [NotThisGuild]


async def test_every_digest_message_allows_no_mentions(team: Team) -> None:
    """A2: digests, alerts, /digest replies and previews all carry allowed_mentions with an
    empty parse list, whatever the questions contained."""
    await team.ask("@everyone what is <@&123> **doing** @here")
    modlog = team.world.guild.create_text_channel("mod-log")
    team.bot.settings = with_settings(team.bot.settings, modlog_channel_id=modlog.id)
    await team.set_digest()
    await team.boss.slash(team.world.channel, "digest preview")
    await team.until(at("2026-01-01 08:00:01"))
    await team.boss.slash(team.world.channel, "digest now")
    team.env.inject_error("POST", f"/channels/{team.digest.id}/messages", status=403, times=None)
    await team.until(at("2026-01-03 08:00:01"))
    payloads = message_requests(team.env)
    assert len(payloads) >= 6
    for payload in payloads:
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
    digest = team.posts()[0].embeds[0]
    value = {f.name: f.value for f in digest.fields}["Unanswered questions"]
    assert "@everyone" not in value.replace("@\u200beveryone", "")
    assert "<@&" not in value
    assert "\\*\\*doing\\*\\*" in value


def test_zone_choices_are_bounded() -> None:
    """Autocomplete never offers more than Discord accepts."""
    assert len(zone_choices("a")) == 25
    assert zone_choices("Europe/London") == ["Europe/London"]
