"""`sitrep digest --preview`: the period since the last digest, a given date, or one day."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.async_store import AsyncDesk
from bot.cli import main
from bot.paths import BUNDLED_SEEDS
from knowledge.desk import open_desk
from knowledge.digest.content import PASSAGES_TITLE, PICKED_TITLE
from knowledge.models import Answer
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database path that does not exist yet."""
    return tmp_path / "data" / "sitrep.db"


def run(db: Path, *argv: str) -> tuple[int, str]:
    """Run the CLI against ``db``; returns (status, stdout)."""
    out = io.StringIO()
    code = main(["--db", str(db), *argv], out=out)
    return code, out.getvalue()


def write(db: Path, *answers: tuple[str, int]) -> FactStore:
    """Open the database as the bot would and log no_match questions (text, guild)."""
    store = FactStore(open_db(db))
    for text, guild in answers:
        store.queries.log(Answer(text, "no_match", 5.0), guild_id=guild)
    return store


def test_preview_since_a_date_lists_the_sections(db: Path) -> None:
    """With --since, every fact loaded since is new; stale facts are due for review."""
    code, out = run(db, "digest", "--preview", "--since", "2000-01-01")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("Sitrep digest — ")
    assert lines[1].startswith("Since 2000-01-01: ")
    new = lines[lines.index("New facts") + 1 :]
    assert new[0].startswith("  - ") and new[0].endswith(")")  # "Title (id)"
    assert any(line.startswith("  - … and ") for line in new)  # the seeds hold many facts


def test_preview_defaults_to_the_end_of_the_last_digest(db: Path) -> None:
    """Without --since the window starts where the last recorded digest ended."""
    run(db, "topics")
    store = write(db)
    end = datetime(2026, 1, 1, tzinfo=UTC)
    store.digests.record_run(7, "2025-12-31", "posted", message_id=1, covered_until=end)
    store.db.close()
    code, out = run(db, "digest", "--preview")
    assert code == 0 and out.splitlines()[1].startswith("Since 2026-01-01: ")


def test_preview_of_a_quiet_day_is_one_line(db: Path, tmp_path: Path) -> None:
    """No facts, no questions in the last day: one line saying so."""
    seeds = tmp_path / "seeds"
    (seeds / "facts").mkdir(parents=True)
    shutil.copytree(BUNDLED_SEEDS / "sources", seeds / "sources")
    code, out = run(db, "--seeds", str(seeds), "digest", "--preview")
    assert code == 0
    assert out.startswith("No changes since ") and out.count("\n") == 1


def test_preview_for_one_guild_shows_only_its_questions(db: Path) -> None:
    """--guild keeps other servers' questions out."""
    run(db, "topics")
    write(db, ("price of bread in Gao", 1), ("weather in Timbuktu", 2)).db.close()
    _, both = run(db, "digest", "--preview", "--since", "2000-01-01")
    _, one = run(db, "digest", "--preview", "--since", "2000-01-01", "--guild", "1")
    assert "price of bread in Gao" in both and "weather in Timbuktu" in both
    assert "price of bread in Gao" in one and "weather in Timbuktu" not in one


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("digest",), "can only --preview"),
        (("digest", "--preview", "--since", "2999-01-01"), "in the future"),
    ],
)
def test_digest_usage_errors(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    """Posting from the terminal or a future --since exits 2 with a message."""
    code, out = run(db, *argv)
    assert code == 2 and out == ""
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("since", ["2026-13-01", "yesterday", "01/03/2026"])
def test_bad_since_date_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str], since: str
) -> None:
    """A --since that is not YYYY-MM-DD is refused by the parser."""
    with pytest.raises(SystemExit) as exc:
        run(db, "digest", "--preview", "--since", since)
    assert exc.value.code == 2
    assert "is not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_digest_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    """`sitrep digest --help` describes the command and its options."""
    with pytest.raises(SystemExit) as exc:
        main(["digest", "--help"])
    help_text = capsys.readouterr().out
    assert exc.value.code == 0
    assert "usage: sitrep digest" in help_text and "--since YYYY-MM-DD" in help_text


REPORT = (
    "# Floods in Dosso\n\n"
    "At least 41 people have died in the floods, the civil protection directorate said.\n\n"
    "The river reached 6.3 metres at the Gaya gauge, the highest level on record.\n"
)
RIVER = "how high did the river reach at the Gaya gauge"


async def test_a_passage_answer_shows_in_the_digest_and_not_as_unanswered(
    db: Path, tmp_path: Path
) -> None:
    """Ingest a report, ask what only it answers (as the bot does: the terminal's `ask`
    logs nothing), and the digest lists the report and the question as a curation
    candidate, not as unanswered."""
    report = tmp_path / "dosso.md"
    report.write_text(REPORT, encoding="utf-8")
    code, out = run(db, "ingest", str(report), "--publisher", "Civil protection")
    assert code == 0 and "dosso v1 (2 passages)" in out
    _, asked = run(db, "ask", "--json", RIVER)
    assert json.loads(asked)["status"] == "passage"
    async with AsyncDesk(lambda: open_desk(db, BUNDLED_SEEDS)) as store:
        _, hit, _ = await store.ask_dated(RIVER, guild_id=1, channel_id=2)
        await store.ask_dated("price of bread in Gao", guild_id=1, channel_id=2)
    assert hit is not None
    code, out = run(db, "digest", "--preview", "--since", "2000-01-01", "--guild", "1")
    lines = out.splitlines()
    assert code == 0
    assert "2 questions (1 unanswered, 1 from unreviewed passages)" in lines[1]
    assert lines[lines.index("New documents") + 1] == (
        "  - Floods in Dosso (dosso): 2 passages; Civil protection"
    )
    passages = lines[lines.index(PASSAGES_TITLE) + 1]
    assert passages == f"  - “{RIVER}”: once; from Floods in Dosso (dosso 101-177)"
    unanswered = lines[lines.index("Unanswered questions") + 1 :]
    assert unanswered[0].startswith("  - “price of bread in Gao”: once")
    assert not any("Gaya gauge" in line for line in unanswered)


def test_questions_logged_before_the_upgrade_still_count(db: Path) -> None:
    """Misses logged by an older Sitrep are still unanswered; nothing is a passage answer."""
    run(db, "topics")
    write(db, ("price of bread in Gao", 1)).db.close()
    code, out = run(db, "digest", "--preview", "--since", "2000-01-01")
    assert code == 0 and "(1 unanswered)" in out.splitlines()[1]
    assert PASSAGES_TITLE not in out


async def test_a_pick_shows_in_the_preview(db: Path) -> None:
    """A question asked in the bot and then picked for from the suggestions shows under
    its own heading, with the fact picked, and not among the unanswered questions."""
    run(db, "topics")
    async with AsyncDesk(lambda: open_desk(db, BUNDLED_SEEDS)) as store:
        asked, _ = await store.respond("wagner losses", guild_id=1, channel_id=2)
        await store.pick_suggestion(
            "tinzawaten-2024", query_id=asked.query_id, user_id=7, guild_id=1
        )
    code, out = run(db, "digest", "--preview", "--since", "2000-01-01", "--guild", "1")
    lines = out.splitlines()
    assert code == 0
    assert lines[lines.index(PICKED_TITLE) + 1].startswith("  - “wagner losses”: once; picked ")
    assert lines[lines.index(PICKED_TITLE) + 1].endswith("(tinzawaten-2024)")
    assert "Unanswered questions" not in lines
