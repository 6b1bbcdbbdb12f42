"""Bad input never breaks asking: the matcher and `sitrep ask` (argv and --json -).

RELIABILITY G1–G3 and D5 for the core and the CLI: a table of inputs known to break naive
search code, then Hypothesis over any Unicode string, any bytes on stdin and any argument.
Whatever comes in, the answer is a verdict (answered or no_match) with a score in 0–100,
and every JSON line printed is valid UTF-8 JSON that follows the contract. /ask, !ask and
@Sitrep get the same table in tests/bot/test_bot_bad_input.py.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.paths import BUNDLED_SEEDS
from knowledge.desk import Desk, open_desk

CONTRACT = {"query", "status", "score", "fact", "alternatives"}
# Everyday and hostile inputs that broke search code elsewhere (FTS5 MATCH, regexes,
# tokenisers, JSON printers), with a name each.
KNOWN_BAD: dict[str, str] = {
    "apostrophe": "what's JNIM's aim",
    "question marks": "who leads jnim???",
    "C++ and C#": "C++ C# c",
    "hyphen": "e-mail",
    "clock time": "12:30",
    "url": "https://example.org/a?b=c&d=e#f",
    "bare operators": "AND OR NOT",
    "star": "*",
    "column filter": "answer:JNIM title:x",
    "NEAR": "NEAR(a b)",
    "caret": "^jnim",
    "unbalanced quote": '"unbalanced',
    "doubled quotes": '""""',
    "sql": "'; DROP TABLE facts; --",
    "nested parentheses": "(" * 2000 + "JNIM" + ")" * 2000,
    "NUL": "who\x00leads JNIM",
    "control characters": "\x01\x02\x1b[31mJNIM\x1b[0m",
    "lone surrogate": "\ud800",
    "escaped byte surrogate": "who leads \udcff JNIM",
    "bidi override": "\u202ewho leads JNIM\u202c",
    "isolates": "\u2066JNIM\u2069",
    "zero-width": "J\u200bN\u200cI\u200dM\ufeff",
    "combining marks": "JNIM" + "\u0301" * 500,
    "zwj emoji": "👩\u200d👩\u200d👧 JNIM 🇲🇱",
    "emoji only": "🙂🙃🔥",
    "full-width": "ＪＮＩＭ ｌｅａｄｅｒ",
    "ligatures": "ﬁghters",
    "arabic": "من يقود جماعة نصرة الإسلام والمسلمين",
    "mixed scripts": "JNIМ leader",  # a Cyrillic М
    "private use": "\ue000\uf8ff JNIM",
    "noncharacters": "\ufffe\uffff JNIM",
    "replacement char": "\ufffd\ufffd",
    "only punctuation": "?!.,;:'\"()[]{}",
    "only whitespace kinds": " \t\u00a0\u2003\u3000",
    "vertical whitespace": "who\x0bleads\x0cJNIM\x1c\x1d\x1e\x85\u2028\u2029",
    "mentions": "@everyone <@&1> <@123> who leads JNIM",
    "markdown": "**who** _leads_ `JNIM` ||spoiler|| > quote",
    "very long word": "x" * 10_000,
    "many words": "fuel " * 5000,
    "max token count": " ".join(f"w{i}" for i in range(2000)),
    "7000 mixed": ("who leads JNIM ✓ \u0301 " * 400)[:7000],
}
NO_NEWLINES = {k: v for k, v in KNOWN_BAD.items() if "\n" not in v}


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    """The shipped facts, in memory."""
    opened = open_desk(":memory:", BUNDLED_SEEDS)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database for the CLI, built once from the shipped seeds (asking writes nothing)."""
    path = tmp_path_factory.mktemp("cli") / "sitrep.db"
    open_desk(path, BUNDLED_SEEDS).close()
    return path


def run(db: Path, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    """`sitrep --db DB ...` in-process with ``stdin`` as bytes: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stderr = err
    try:
        code = main(["--db", str(db), *argv], out=out)
    finally:
        sys.stdin, sys.stderr = saved
    return code, out.getvalue(), err.getvalue()


def verdict(answer: dict[str, object]) -> None:
    """One answer as the JSON contract describes it."""
    assert set(answer) == CONTRACT
    assert answer["status"] in {"answered", "no_match"}
    score = answer["score"]
    assert isinstance(score, int | float) and 0 <= score <= 100
    assert (answer["fact"] is not None) == (answer["status"] == "answered")
    assert isinstance(answer["alternatives"], list) and len(answer["alternatives"]) <= 3


def json_lines(out: str) -> list[dict[str, object]]:
    """Every line printed, each parsed as one JSON object after a strict UTF-8 round trip."""
    out.encode("utf-8")  # lone surrogates would raise here: what a pipe would get
    return [json.loads(line) for line in out.splitlines()]


# --------------------------------------------------------------------------- the table


@pytest.mark.parametrize("query", KNOWN_BAD.values(), ids=KNOWN_BAD.keys())
def test_known_bad_query_gets_a_verdict_from_the_matcher(desk: Desk, query: str) -> None:
    """G1/G2: each known-bad input is answered or declined, never an exception."""
    answer = desk.ask(query, log=False)
    assert answer.status in {"answered", "no_match"}
    assert 0 <= answer.score <= 100
    assert (answer.fact is not None) == (answer.status == "answered")


@pytest.mark.parametrize("query", KNOWN_BAD.values(), ids=KNOWN_BAD.keys())
def test_known_bad_argument_to_sitrep_ask(db: Path, query: str) -> None:
    """`sitrep ask --json -- QUERY` prints one valid JSON answer, or (nothing to search for)
    exits 2 with one usage line; never a traceback, never invalid UTF-8."""
    code, out, err = run(db, "ask", "--json", "--", query)
    if code == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("sitrep: ask needs")
        return
    assert (code, err) == (0, "")
    (answer,) = json_lines(out)
    verdict(answer)


def test_known_bad_lines_through_batch_mode(db: Path) -> None:
    """`sitrep ask --json -`: every line of the table gets its own JSON line, in order."""
    lines = list(NO_NEWLINES.values())
    stdin = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    code, out, err = run(db, "ask", "--json", "-", stdin=stdin)
    assert (code, err) == (0, "")
    answers = json_lines(out)
    assert len(answers) == len(lines)
    for line, answer in zip(lines, answers, strict=True):
        verdict(answer)
        expected = line.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        assert answer["query"] == expected.rstrip("\r")


# --------------------------------------------------------------------------- Hypothesis

FTS_SPECIALS = st.text(alphabet=st.sampled_from("\"*^:()+-{}[]'?NEAROTD \\"), max_size=200)
ANY_TEXT = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=()), max_size=7000),
    FTS_SPECIALS,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=ANY_TEXT)
@example(query="\ud800")
@example(query="\x00")
@example(query='NEAR("a" b) AND title:x*')
def test_any_unicode_gets_a_verdict_from_the_shipped_facts(desk: Desk, query: str) -> None:
    """G2: for any Unicode string (lone surrogates, NUL, FTS syntax, 7000 characters) the
    matcher over the shipped facts returns a verdict with a score in 0–100."""
    answer = desk.ask(query, log=False)
    assert answer.status in {"answered", "no_match"}
    assert 0 <= answer.score <= 100


LINE = st.binary(max_size=400).map(lambda b: b.replace(b"\n", b" "))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(LINE, min_size=1, max_size=6))
@example(lines=[b"\xff\xfe who leads JNIM", b"\xed\xa0\x80", b"\x00", b"", b"\r", b"\xc3"])
def test_any_bytes_through_batch_mode(db: Path, lines: list[bytes]) -> None:
    """Any bytes on stdin, invalid UTF-8 included: one valid JSON line per input line, in
    order, whose query is the line as UTF-8 with bad bytes as U+FFFD."""
    code, out, err = run(db, "ask", "--json", "-", stdin=b"\n".join(lines) + b"\n")
    assert (code, err) == (0, "")
    answers = json_lines(out)
    assert len(answers) == len(lines)
    for line, answer in zip(lines, answers, strict=True):
        verdict(answer)
        assert answer["query"] == line.decode("utf-8", "replace").rstrip("\r\n")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=st.text(alphabet=st.characters(blacklist_categories=()), max_size=300))
@example(query="who leads \udcff JNIM")  # what Python makes of a non-UTF-8 byte in argv
def test_any_argument_to_sitrep_ask(db: Path, query: str) -> None:
    """Any argument (lone surrogates included): valid JSON or a one-line usage error."""
    if query == "-":
        return  # that one means "read stdin"
    code, out, err = run(db, "ask", "--json", "--", query)
    assert code in {0, 2}, err
    if code == 0:
        (answer,) = json_lines(out)
        verdict(answer)
    else:
        assert out == "" and err.count("\n") == 1
