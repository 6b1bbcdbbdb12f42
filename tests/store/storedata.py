"""The fixture document and facts of the store tests."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.models import Document, Fact, Source

DOC = Document(
    id="brief",
    title="A test brief",
    publisher="Test Publisher",
    published=date(2025, 11, 4),
    url="https://example.org/brief",
    text=(
        "JNIM is led by Iyad ag-Ghali and Amadou Kouffa. "
        "Mali received approximately 95 percent of its fuel from Senegal and the Ivory Coast. "
        "The city of Kayes, with a population of 127,000, has been blockaded. "
        "JNIM boasts approximately 6,000 fighters."
    ),
)
LEADER_QUOTE = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"
FUEL_QUOTE = "Mali received approximately 95 percent of its fuel from Senegal"
KAYES_QUOTE = "The city of Kayes, with a population of 127,000"
FIGHTERS_QUOTE = "JNIM boasts approximately 6,000 fighters"
URL_SOURCE = Source(quote="Some outside claim", title="Outside", url="https://example.com/x")


def cite(quote: str) -> Source:
    """A source quoting the fixture document."""
    return Source(quote=quote, document=DOC.id)


def make(fact_id: str, quote: str = LEADER_QUOTE, **fields: Any) -> Fact:
    """A valid fact citing the fixture document."""
    base: dict[str, Any] = {
        "title": f"About {fact_id}",
        "answer": f"The answer about {fact_id}.",
        "as_of": date(2025, 11, 4),
        "sources": (cite(quote),),
        "keys": (f"{fact_id} key", f"what is {fact_id}"),
        "tags": ("test",),
        "review_by": date(2026, 2, 1),
    }
    return Fact(id=fact_id, **(base | fields))


def fresh(db_path: Path) -> sqlite3.Connection:
    """A second, independent connection to the database file."""
    return sqlite3.connect(db_path)


def revision_count(conn: sqlite3.Connection, fact_id: str) -> int:
    """How many revision rows the fact has, as that connection sees it."""
    return int(
        conn.execute("SELECT count(*) FROM revisions WHERE fact_id = ?", (fact_id,)).fetchone()[0]
    )


LEADER = make("jnim-leadership", keys=("JNIM leader", "who leads JNIM"), tags=("jnim",))
FUEL = make("mali-fuel", FUEL_QUOTE, keys=("fuel imports",))
KAYES = make("kayes-population", KAYES_QUOTE, keys=("population of Kayes",))
