"""knowledge.validation: the rules every fact obeys, URLs and mentions in particular."""

from __future__ import annotations

import pytest

from knowledge.models import Source
from knowledge.render.parts import safe_url
from knowledge.render.terminal import source_line
from knowledge.validation import MENTION_RE, url_problem

GOOD_URLS = [
    "https://example.org/",
    "http://example.org/brief?x=1#part",
    "https://thesoufancenter.org/intelbrief-2025-november-4/",
    "HTTPS://EXAMPLE.ORG/A",
]
BAD_URLS = [
    ("https://example.org/\x00x", "control"),
    ("https://example.org/\u202ereversed", "control"),
    ("https://exa\u200bmple.org/", "control"),
    ("https://example.org/\n", "control"),
    ("https://example.org/a b", "without spaces"),
    ('https://example.org/"x', "without spaces"),
    ("ftp://example.org/file", "http(s)"),
    ("javascript:alert(1)", "http(s)"),
    ("https:example.org", "http(s)"),
    ("https://", "host"),
    ("https:///path", "host"),
    ("https://example.org:99999/", "not a valid"),
    ("https://[::1/", "not a valid"),
    ("https://example.org/" + "a" * 600, "limit"),
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_plain_web_addresses_pass(url: str) -> None:
    """An http(s) address with a host and nothing hidden has no problem."""
    assert url_problem(url) is None


@pytest.mark.parametrize(("url", "says"), BAD_URLS, ids=[repr(u[:30]) for u, _ in BAD_URLS])
def test_hidden_or_foreign_urls_are_refused_on_write(url: str, says: str) -> None:
    """Parsed, not pattern-matched: scheme, host, and no control/bidi/zero-width character,
    a trailing newline included."""
    problem = url_problem(url)
    assert problem is not None and says in problem


@pytest.mark.parametrize(("url", "_says"), BAD_URLS, ids=[repr(u[:30]) for u, _ in BAD_URLS])
def test_hidden_or_foreign_urls_are_never_rendered(url: str, _says: str) -> None:
    """A stored row that predates a rule still never reaches a link or the terminal."""
    shown = safe_url(url)
    assert shown == "" or (shown == url.strip() and url_problem(shown) is None)
    line = source_line(Source(quote="q", title="Brief", url=url))
    assert "\x00" not in line and "\u202e" not in line and url not in line


@pytest.mark.parametrize(
    ("text", "pings"),
    [
        ("@everyone", True),
        ("@everyone1", True),
        ("@here_now", True),
        ("@HERE", True),
        ("<@123456789012345678>", True),
        ("<@&123>", True),
        ("mail team at example dot org", False),
        ("every one of them", False),
    ],
)
def test_mentions_are_caught_without_a_word_boundary(text: str, pings: bool) -> None:
    """Discord pings "@everyone1" as @everyone, so validation must refuse it too."""
    assert bool(MENTION_RE.search(text)) is pings
