"""Secrets stay out of git (RELIABILITY C1).

The token is read only from the environment or ``.env`` (tests/test_config.py), and never
logged, even at DEBUG (tests/bot/test_bot_runtime.py: ``test_token_never_reaches_the_log_
even_at_debug`` and ``test_bot_activity_at_debug_never_logs_the_token``). Here: ``.env`` is
ignored by git, and no token or webhook URL is in any tracked file or anywhere in history.

CI runs in a git clone, so git is required: these tests fail, never skip, without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A Discord bot token: base64 of the bot's id, a timestamp part, an HMAC part.
BOT_TOKEN = re.compile(r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b")
WEBHOOK = re.compile(r"discord(?:app)?\.com/api(?:/v\d+)?/webhooks/\d{15,21}/[A-Za-z0-9_-]{40,}")
# Token-shaped values that are fakes on purpose: base64 of "123456789012345678" and an
# alphabet as the signature.
FAKES = {"MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"}


def git(*args: str) -> subprocess.CompletedProcess[str]:
    """Run git in the repository; git must be installed."""
    executable = shutil.which("git")
    assert executable is not None, "git is required: CI runs in a git clone"
    return subprocess.run(
        [executable, "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_dotenv_is_ignored_and_untracked() -> None:
    """`git check-ignore .env` succeeds: a token pasted into .env can never be committed
    by a careless `git add .` (a tracked .env would make check-ignore fail too)."""
    assert git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true"
    ignored = git("check-ignore", "--verbose", ".env")
    assert ignored.returncode == 0, ignored.stdout + ignored.stderr
    assert ignored.stdout.startswith(".gitignore:")
    assert git("ls-files", "--error-unmatch", ".env").returncode != 0
    assert git("check-ignore", "-q", ".env.example").returncode == 1  # the template is shared


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # Built from parts, so that this file itself holds no token-shaped literal.
        ("DISCORD_TOKEN=" + ".".join(["MTA5ODc2NTQzMjEwOTg3NjU0Mw", "Gx1y2z", "AbCd" * 8]), True),
        ("https://discord.com/api/webhooks/123456789012345678/" + "a1B2" * 17, True),
        ("DISCORD_TOKEN=your-bot-token-here", False),
        ("SENTINELxTOKENx0123456789.GsEnTi.nelTOKENxSECRETx0123456789abcd", False),
    ],
    ids=["bot token", "webhook url", "placeholder", "test sentinel"],
)
def test_the_scanner_knows_a_secret_when_it_sees_one(text: str, found: bool) -> None:
    """The patterns below catch real-shaped tokens and webhook URLs, not placeholders."""
    assert bool(BOT_TOKEN.search(text) or WEBHOOK.search(text)) is found


def _secrets(text: str) -> set[str]:
    hits = {m.group(0) for m in BOT_TOKEN.finditer(text)} | {
        m.group(0) for m in WEBHOOK.finditer(text)
    }
    return hits - FAKES


def test_no_secret_in_tracked_files() -> None:
    """No tracked file holds a bot token or a webhook URL."""
    files = git("ls-files", "-z").stdout.split("\0")
    leaks = {}
    for name in filter(None, files):
        path = ROOT / name
        if path.is_file():
            hits = _secrets(path.read_text(encoding="utf-8", errors="replace"))
            if hits:
                leaks[name] = sorted(hits)
    assert not leaks, f"secrets in tracked files: {leaks}"


def test_no_secret_anywhere_in_history() -> None:
    """No commit ever added a bot token or webhook URL (deleting it later is not enough:
    a token that reached git must be reset in the developer portal)."""
    history = git("log", "--all", "-p", "--no-color", "--no-ext-diff")
    assert history.returncode == 0, history.stderr
    assert not _secrets(history.stdout)
