"""`sitrep ingest`, `sources`, `promote` and passage answers, end to end in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clikit import cli, table_rows

from knowledge.store.db import open_db
from knowledge.store.facts import FactStore

SAHEL = Path(__file__).resolve().parents[1] / "eval" / "docs" / "sahel-wire-2026-11-20.md"
QUESTION = "when was the cholera outbreak confirmed"


def _ingest(db: Path) -> str:
    code, out, err = cli(
        db,
        "ingest",
        str(SAHEL),
        "--publisher",
        "Sahel Wire",
        "--date",
        "2026-11-20",
        "--url",
        "https://sahel.example/dosso",
    )
    assert code == 0, err
    return out


def test_ingest_ask_promote_end_to_end(tmp_path: Path) -> None:
    """A passage answers until it is promoted; then the curated fact answers."""
    db = tmp_path / "s.db"
    assert _ingest(db).startswith("added ")
    _, out, _ = cli(db, "ask", "--json", QUESTION)
    got = json.loads(out)
    assert got["status"] == "passage" and got["fact"] is None
    passage = got["passage"]
    assert "17 November" in passage["text"]
    assert passage["document"] == {
        "id": "sahel-wire-2026-11-20",
        "title": "Niger declares humanitarian emergency in Dosso region"
        " as floods give way to cholera",
        "publisher": "Sahel Wire",
        "date": "2026-11-20",
        "url": "https://sahel.example/dosso",
    }
    code, text, _ = cli(db, "ask", QUESTION)
    assert "(Sahel Wire, 2026-11-20), not yet reviewed by a moderator:" in " ".join(text.split())
    span = (passage["document"]["id"], str(passage["start"]), str(passage["end"]))
    code, draft, _ = cli(db, "promote", *span)
    assert code == 0 and 'quote = "Health authorities confirmed' in draft
    code, _, err = cli(db, "promote", *span, "--save", "--id", "cholera-confirmed")
    assert code == 0, err
    code, out, _ = cli(db, "ask", "--json", QUESTION)
    assert json.loads(out)["status"] == "answered"
    assert json.loads(out)["fact"]["id"] == "cholera-confirmed"


def test_reingest_is_a_no_op_and_sources_lists_it(tmp_path: Path) -> None:
    """The second ingest of the same file changes no row."""
    db = tmp_path / "s.db"
    _ingest(db)
    before = table_rows(db)
    assert _ingest(db).startswith("unchanged")
    assert table_rows(db) == before
    _, out, _ = cli(db, "sources")
    assert "sahel-wire-2026-11-20  v1" in out


def test_facts_win_over_passages(tmp_path: Path) -> None:
    """A question a curated fact answers is answered by the fact, not a passage."""
    db = tmp_path / "s.db"
    _ingest(db)
    _, out, _ = cli(db, "ask", "--json", "who leads JNIM")
    assert json.loads(out)["status"] == "answered"


@pytest.mark.parametrize(
    ("name", "body", "extra", "words"),
    [
        ("empty.md", b"", (), "empty"),
        ("bin.txt", b"\x00\x01", (), "binary"),
        ("latin.txt", "café".encode("latin-1"), (), "not UTF-8"),
        ("zw.md", "a\u200bb".encode(), (), "U+200B"),
        ("ok.md", b"Fine text.", ("--url", "ftp://x.org/a"), "http:// or https://"),
        ("ok.md", b"Fine text.", ("--url", "javascript:alert(1)"), "http:// or https://"),
        ("ok.md", b"Fine text.", ("--date", "yesterday"), "YYYY-MM-DD"),
        ("front.md", b"---\nauthor: x\n---\nText.", (), "unknown field"),
        ("a.pdf", b"%PDF", (), "cannot read"),
    ],
)
def test_bad_input_changes_nothing(
    tmp_path: Path, name: str, body: bytes, extra: tuple[str, ...], words: str
) -> None:
    """Each bad file exits 1 with a short message naming the file; no row changes."""
    db = tmp_path / "s.db"
    cli(db, "sources")
    before = table_rows(db)
    path = tmp_path / name
    path.write_bytes(body)
    code, _, err = cli(db, "ingest", str(path), *extra)
    assert code == 1 and name in err and words in err
    assert table_rows(db) == before


def test_promote_suggests_question_keys_and_accepts_them(tmp_path: Path) -> None:
    """The proposal lists suggested question keys as comments; --accept-keys saves them as
    keys; --save alone says how to add them later."""
    db = tmp_path / "s.db"
    _ingest(db)
    _, out, _ = cli(db, "ask", "--json", QUESTION)
    passage = json.loads(out)["passage"]
    span = (passage["document"]["id"], str(passage["start"]), str(passage["end"]))
    code, draft, _ = cli(db, "promote", *span)
    suggested = "when did health authorities confirm the cholera outbreak"
    assert code == 0 and "# Suggested question keys" in draft and f"#   {suggested}" in draft
    code, out, _ = cli(db, "promote", *span, "--save", "--id", "plain")
    assert code == 0 and f"  {suggested}" in out and "sitrep keys plain --accept" in out
    other = tmp_path / "other.db"
    _ingest(other)
    code, _, err = cli(other, "promote", *span, "--save", "--accept-keys", "--id", "keyed")
    assert code == 0, err
    conn = open_db(other)
    assert suggested in FactStore(conn).get("keyed").keys
    conn.close()
