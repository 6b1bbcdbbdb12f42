"""bot.config: one frozen Settings from env/.env; a bad value names its variable."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
ROOT = Path(__file__).resolve().parent.parent


def load(tmp_path: Path, **env: str) -> Settings:
    """Settings from exactly ``env`` (no real environment, no .env unless written)."""
    return load_settings({"DISCORD_TOKEN": TOKEN, **env}, dotenv_path=tmp_path / ".env")


def test_defaults(tmp_path: Path) -> None:
    """Only the token is required; everything else has a sensible default."""
    settings = load(tmp_path, XDG_DATA_HOME=str(tmp_path))
    assert settings.prefix == "!"
    assert settings.guild_ids == ()
    assert settings.mod_role_id is None
    assert settings.log_level == "INFO"
    assert settings.repeat_window == 600
    assert (settings.ask_rate, settings.ask_per) == (5, 30)
    assert settings.sharded is False
    assert settings.db_path == tmp_path / "sitrep" / "sitrep.db"
    assert (settings.seeds_dir / "facts").is_dir()


def test_every_setting_is_read(tmp_path: Path) -> None:
    """Each variable reaches its field."""
    settings = load(
        tmp_path,
        SITREP_DB=str(tmp_path / "x.db"),
        SITREP_SEEDS=str(tmp_path),
        SITREP_PREFIX="?",
        SITREP_GUILD_IDS="123456789012345678, 223456789012345678",
        SITREP_MOD_ROLE_ID="323456789012345678",
        SITREP_MODLOG_CHANNEL_ID="423456789012345678",
        SITREP_LOG_LEVEL="debug",
        SITREP_REPEAT_WINDOW="90",
        SITREP_ASK_RATE="3/10",
        SITREP_SHARDED="true",
        SITREP_SHARD_COUNT="2",
    )
    assert settings.db_path == tmp_path / "x.db"
    assert settings.seeds_dir == tmp_path
    assert settings.prefix == "?"
    assert settings.guild_ids == (123456789012345678, 223456789012345678)
    assert settings.mod_role_id == 323456789012345678
    assert settings.modlog_channel_id == 423456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.repeat_window == 90
    assert (settings.ask_rate, settings.ask_per) == (3, 10)
    assert settings.sharded
    assert settings.shard_count == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DISCORD_TOKEN", ""),
        ("DISCORD_TOKEN", "Bot " + TOKEN),
        ("DISCORD_TOKEN", "https://discord.com/api/webhooks/1/abc"),
        ("SITREP_PREFIX", ""),
        ("SITREP_PREFIX", "a b"),
        ("SITREP_GUILD_IDS", "123,abc"),
        ("SITREP_GUILD_IDS", "12"),
        ("SITREP_MOD_ROLE_ID", "moderators"),
        ("SITREP_MODLOG_CHANNEL_ID", "#mod-log"),
        ("SITREP_LOG_LEVEL", "LOUD"),
        ("SITREP_REPEAT_WINDOW", "soon"),
        ("SITREP_REPEAT_WINDOW", "-5"),
        ("SITREP_ASK_RATE", "5 per 30"),
        ("SITREP_ASK_RATE", "0/30"),
        ("SITREP_SHARDED", "maybe"),
        ("SITREP_SHARD_COUNT", "0"),
    ],
)
def test_bad_setting_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    """A missing or malformed setting raises ConfigError naming the variable."""
    env = {variable: value}
    if variable == "SITREP_SHARD_COUNT":
        env["SITREP_SHARDED"] = "1"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **env)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)


def test_token_required_unless_told_otherwise(tmp_path: Path) -> None:
    """Commands that never log in can load settings without a token."""
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_settings({}, dotenv_path=tmp_path / ".env")
    assert load_settings({}, dotenv_path=tmp_path / ".env", require_token=False).token == ""


def test_shard_count_needs_sharding(tmp_path: Path) -> None:
    """SITREP_SHARD_COUNT without SITREP_SHARDED is a mistake worth naming."""
    with pytest.raises(ConfigError, match="SITREP_SHARD_COUNT"):
        load(tmp_path, SITREP_SHARD_COUNT="2")


def test_malformed_token_is_never_echoed(tmp_path: Path) -> None:
    """The error for a bad token does not repeat the token."""
    secret = "Bot " + TOKEN
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, DISCORD_TOKEN=secret)
    assert TOKEN not in str(caught.value)


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    """.env fills in; a real environment variable overrides it."""
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"DISCORD_TOKEN={TOKEN}\nSITREP_PREFIX=?\nSITREP_REPEAT_WINDOW=60\n")
    settings = load_settings({"SITREP_PREFIX": "$"}, dotenv_path=dotenv)
    assert settings.token == TOKEN
    assert settings.prefix == "$"
    assert settings.repeat_window == 60


def test_settings_are_frozen_and_hide_the_token(tmp_path: Path) -> None:
    """Settings cannot change after loading, and repr() never shows the token."""
    settings = load(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.prefix = "?"  # type: ignore[misc]
    assert TOKEN not in repr(settings)
    assert settings.secrets == (TOKEN,)


def test_env_example_documents_every_variable() -> None:
    """Every variable config.py reads appears in .env.example, with a comment above it."""
    source = (ROOT / "bot" / "config.py").read_text() + (ROOT / "bot" / "paths.py").read_text()
    read = set(re.findall(r"\"((?:DISCORD|SITREP)_[A-Z_]+)\"", source))
    example = (ROOT / ".env.example").read_text().splitlines()
    for variable in read:
        line = next(
            (i for i, text in enumerate(example) if re.match(rf"#?\s*{variable}=", text)), None
        )
        assert line is not None, f"{variable} missing from .env.example"
        assert example[line - 1].startswith("#"), f"{variable} has no comment"
