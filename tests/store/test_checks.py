"""The store's own rules before a write: who and why, documents, keys within and across facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from storedata import DOC, FUEL, LEADER

from knowledge.errors import ValidationError
from knowledge.models import Document
from knowledge.store.checks import (
    MAX_REASON,
    Stamp,
    document_problems,
    key_clashes,
    make_stamp,
    own_key_problems,
)

NOON = datetime(2025, 12, 1, 12, tzinfo=UTC)


def test_stamp_records_who_where_when_and_why() -> None:
    """A stamp keeps the actor, guild and reason, and the time as sortable UTC text."""
    assert make_stamp("mod", 7, "typo", NOON) == Stamp(
        "mod", 7, "typo", "2025-12-01T12:00:00.000000+00:00"
    )


@pytest.mark.parametrize("actor", ["", "   "])
def test_stamp_needs_an_actor(actor: str) -> None:
    """Every change names who made it."""
    with pytest.raises(ValueError, match="actor"):
        make_stamp(actor, None, "", NOON)


@pytest.mark.parametrize(
    ("reason", "fragment"),
    [("x" * (MAX_REASON + 1), "limit"), ("a\u202eb", "invisible"), (3, "must be text")],
)
def test_stamp_refuses_bad_reasons(reason: object, fragment: str) -> None:
    """A reason too long, with invisible characters or not text is a validation error."""
    with pytest.raises(ValidationError, match=fragment) as caught:
        make_stamp("mod", None, reason, NOON)  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["reason"]


@pytest.mark.parametrize(
    ("docs", "fragment"),
    [
        ([DOC, replace(DOC, title="Again")], "duplicate source document id"),
        ([replace(DOC, id=" ")], "needs an id"),
        ([replace(DOC, text="bad \x00 text")], "text must be plain text"),
    ],
)
def test_document_problems(docs: list[Document], fragment: str) -> None:
    """A document needs an id, once, and plain text values."""
    (problem,) = document_problems(docs)
    assert fragment in problem.message and problem.field == "documents"


def test_good_documents_have_no_problems() -> None:
    """The fixture document passes."""
    assert document_problems([DOC]) == []


def test_own_keys_that_differ_only_in_spacing_collide() -> None:
    """Keys equal once spacing is collapsed are duplicates; case alone is validation's."""
    fact = replace(LEADER, keys=("who leads JNIM", "who  leads   JNIM"))
    (problem,) = own_key_problems(fact)
    assert (problem.fact_id, problem.field) == (LEADER.id, "keys[1]")
    assert own_key_problems(replace(LEADER, keys=("a", "A"))) == []


def test_key_clashes_name_the_first_owner() -> None:
    """A key claimed by two facts of a set is the later fact's problem."""
    clash = replace(FUEL, keys=("fuel imports", "JNIM  LEADER"))
    (problem,) = key_clashes([LEADER, clash])
    assert (problem.fact_id, problem.field) == (FUEL.id, "keys[1]")
    assert repr(LEADER.id) in problem.message
