"""Sitrep's settings: one frozen object, read once from the environment and ``.env``.

Every variable is documented in ``.env.example``. A missing or malformed value raises
:class:`ConfigError` naming the variable, and never echoes a secret back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from .paths import BUNDLED_SEEDS, default_db_path, default_seeds_dir

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Three dot-separated base64url parts; checked only for shape so a pasted URL or a
# "Bot " prefix is caught before Discord rejects it at login.
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A setting is missing or malformed; ``variable`` names it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable} {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot is configured with. Build it with :func:`load_settings`."""

    token: str = field(repr=False)
    db_path: Path
    seeds_dir: Path = BUNDLED_SEEDS
    prefix: str = "!"
    guild_ids: tuple[int, ...] = ()
    mod_role_id: int | None = None
    modlog_channel_id: int | None = None
    log_level: str = "INFO"
    repeat_window: float = 600.0
    ask_rate: int = 5
    ask_per: float = 30.0
    sharded: bool = False
    shard_count: int | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never reach a log line."""
        return (self.token,) if self.token else ()


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    dotenv_path: Path | None = None,
    require_token: bool = True,
) -> Settings:
    """Read settings from ``environ`` (default: the process environment) over ``.env``.

    Real environment variables win over ``.env``, so a deployment can override a checked-out
    file. ``.env`` is read from ``dotenv_path`` (default ``./.env``) without modifying
    ``os.environ``.
    """
    path = Path(".env") if dotenv_path is None else dotenv_path
    file_values = {k: v for k, v in dotenv_values(path).items() if v is not None}
    env: dict[str, str] = {**file_values, **(os.environ if environ is None else environ)}

    token = env.get("DISCORD_TOKEN", "").strip()
    if require_token and not token:
        raise ConfigError(
            "DISCORD_TOKEN", "is not set: copy the bot token from the Discord developer portal"
        )
    if token and not _TOKEN_RE.match(token):
        # Never echo the value: it may be a real token with a typo.
        raise ConfigError(
            "DISCORD_TOKEN",
            "does not look like a bot token (three dot-separated parts, no 'Bot ' prefix)",
        )
    prefix = env.get("SITREP_PREFIX", "!")
    if not prefix.strip() or len(prefix) > 5 or any(ch.isspace() for ch in prefix):
        raise ConfigError("SITREP_PREFIX", "must be 1 to 5 characters without spaces")
    level = env.get("SITREP_LOG_LEVEL", "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError("SITREP_LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
    rate, per = _rate(env, "SITREP_ASK_RATE", "5/30")
    sharded = _bool(env, "SITREP_SHARDED")
    shard_count = _int(env, "SITREP_SHARD_COUNT", minimum=1)
    if shard_count is not None and not sharded:
        raise ConfigError("SITREP_SHARD_COUNT", "is set but SITREP_SHARDED is not true")
    return Settings(
        token=token,
        db_path=default_db_path(env),
        seeds_dir=default_seeds_dir(env),
        prefix=prefix,
        guild_ids=_ids(env, "SITREP_GUILD_IDS"),
        mod_role_id=_snowflake(env, "SITREP_MOD_ROLE_ID"),
        modlog_channel_id=_snowflake(env, "SITREP_MODLOG_CHANNEL_ID"),
        log_level=level,
        repeat_window=_seconds(env, "SITREP_REPEAT_WINDOW", 600.0),
        ask_rate=rate,
        ask_per=per,
        sharded=sharded,
        shard_count=shard_count,
    )


def _snowflake_value(variable: str, raw: str) -> int:
    if not re.fullmatch(r"\d{15,21}", raw):
        raise ConfigError(variable, f"must be a Discord id (15 to 21 digits), got {raw[:30]!r}")
    return int(raw)


def _snowflake(env: Mapping[str, str], variable: str) -> int | None:
    raw = env.get(variable, "").strip()
    return _snowflake_value(variable, raw) if raw else None


def _ids(env: Mapping[str, str], variable: str) -> tuple[int, ...]:
    raw = env.get(variable, "").strip()
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    return tuple(dict.fromkeys(_snowflake_value(variable, p) for p in parts))


def _int(env: Mapping[str, str], variable: str, *, minimum: int) -> int | None:
    raw = env.get(variable, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"\d{1,6}", raw) or int(raw) < minimum:
        raise ConfigError(variable, f"must be a whole number of at least {minimum}")
    return int(raw)


def _seconds(env: Mapping[str, str], variable: str, default: float) -> float:
    raw = env.get(variable, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 7 * 24 * 3600:
        raise ConfigError(variable, "must be a number of seconds between 0 and 604800")
    return value


def _bool(env: Mapping[str, str], variable: str) -> bool:
    raw = env.get(variable, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(variable, "must be true or false")


def _rate(env: Mapping[str, str], variable: str, default: str) -> tuple[int, float]:
    raw = env.get(variable, "").strip() or default
    match = re.fullmatch(r"(\d{1,4})\s*/\s*(\d{1,6}(?:\.\d+)?)", raw)
    if match is None or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ConfigError(variable, "must look like 5/30 (questions per seconds)")
    return int(match.group(1)), float(match.group(2))
