"""The one translation of errors into messages: known errors get a sentence, others GENERIC."""

from __future__ import annotations

import pytest
from discord.ext import commands

from bot.async_store import Busy
from bot.errors import GENERIC, Throttled, is_expected, user_message
from knowledge import errors as kerr
from knowledge.documents.errors import BadMetadata, NotUtf8


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (kerr.FactNotFound("x"), "no fact with the id “x”"),
        (kerr.StoreBusy(), "busy with another change. Nothing was saved"),
        (kerr.FactLocked("x"), "locked"),
        (Busy(), "a lot of questions"),
        (Throttled(2.2), "try again in 3 s"),
        (NotUtf8("report.md", 4), "Can't use that document: report.md: is not UTF-8 text"),
        (BadMetadata("a_b.md", "url", "must be http"), "a\\_b.md: url: must be http"),
        (kerr.DocumentNotFound("x"), "There is no source document “x”."),
    ],
)
def test_known_errors_get_their_sentence(error: BaseException, words: str) -> None:
    """Each known error is told in its own words, and counts as expected (no traceback)."""
    message = user_message(error)
    assert message is not None and words in message
    assert is_expected(error)


def test_unknown_errors_get_the_generic_sentence() -> None:
    """An unexpected error never shows its text; it is logged with its traceback."""
    assert user_message(RuntimeError("secret detail")) == GENERIC
    assert not is_expected(RuntimeError("x"))


def test_wrapped_errors_are_unwrapped() -> None:
    """discord.py's invoke wrappers are looked through."""
    wrapped = commands.CommandInvokeError(kerr.StoreBusy())
    assert user_message(wrapped) == user_message(kerr.StoreBusy())


def test_unknown_prefix_commands_are_ignored() -> None:
    """An unknown ! command is not answered at all."""
    assert user_message(commands.CommandNotFound()) is None
