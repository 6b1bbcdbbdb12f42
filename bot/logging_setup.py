"""Logging for the bot: one handler, secrets redacted, discord.py kept at INFO or above.

discord.py logs request URLs at DEBUG, and webhook and interaction URLs carry a token
(``/webhooks/<id>/<token>``, ``/interactions/<id>/<token>/callback``). The redaction filter
sits on the *handler*, so it sees every record that is written, whichever logger produced it
(a filter on a logger would miss records propagated from its children).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from .config import Settings

REDACTED = "[REDACTED]"
# Tokens inside webhook/interaction URLs, and anything shaped like a bot token
# (a leaked token of another bot, or ours before the settings are known). A URL's slashes
# may be escaped: "\/" in a JSON payload, %2F (or %252F, twice) in a quoted URL.
_SLASH = r"(?:/|\\/|%(?:25)?2[Ff])"
_URL_TOKEN_RE = re.compile(
    rf"({_SLASH}(?:webhooks|interactions){_SLASH}\d+{_SLASH})([A-Za-z0-9_.\-]{{20,}})"
)
_BOT_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")
_AUTH_RE = re.compile(r"(Authorization['\"]?\s*[:=]\s*['\"]?Bot\s+)[^\s'\"]+", re.IGNORECASE)
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the given secrets and any URL, header or bot token replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _URL_TOKEN_RE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _AUTH_RE.sub(lambda m: m.group(1) + REDACTED, text)
    return _BOT_TOKEN_RE.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message and traceback with secrets redacted; drops nothing."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not hide the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


def discord_level(level: str) -> int:
    """discord.py's level: the configured one, but never DEBUG (its DEBUG lines carry URLs)."""
    number = logging.getLevelNamesMapping().get(level, logging.INFO)
    return max(logging.INFO, number)


def configure_logging(
    settings: Settings, *, stream: TextIO | None = None, root: logging.Logger | None = None
) -> logging.Handler:
    """Make one redacting stream handler the root logger's only handler, and set levels.

    Handlers already on the root logger (``logging.basicConfig`` in the CLI, say) are
    removed: they would print every record a second time, without redaction. Returns the
    handler so a caller (or a test) can remove it again.
    """
    root = logging.getLogger() if root is None else root
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr if stream is None else stream)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter(settings.secrets))
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    logging.getLogger("discord").setLevel(discord_level(settings.log_level))
    return handler
