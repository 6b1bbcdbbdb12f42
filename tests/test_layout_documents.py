"""knowledge.render.documents: what moderators see of source documents, within Discord's
limits, with the documents' own words shown literally and unable to ping."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from knowledge.documents.models import DocumentMeta, DocumentVersion
from knowledge.render.documents import (
    document_choices,
    document_preview,
    ingest_outcome,
    removal_outcome,
    render_sources,
)
from knowledge.render.parts import CHOICE_LIMIT, CHOICES_PER_RESPONSE, embed_within_limits
from knowledge.store.documents import IngestResult

META = DocumentMeta(
    "sahel-wire", "Floods in Dosso", "Sahel Wire", date(2025, 11, 10), "https://example.org/s"
)
MENTIONS = ("@everyone", "@here", "<@1", "<@&1")


def version(doc_id: str, title: str, status: str = "active") -> DocumentVersion:
    """A stored document version."""
    return DocumentVersion(
        meta=DocumentMeta(doc_id, title),
        version=1,
        content_hash="x",
        ingested_by="discord:123456789012345678",
        ingested_at=datetime(2025, 11, 20, 9, 30, tzinfo=UTC),
        passages=12,
        status=status,
    )


def test_preview_lists_the_details_and_an_existing_version() -> None:
    """Id, title, publisher, date, url and file; a stored version is pointed out."""
    embed = document_preview(META, "sahel.md", 8131, version("sahel-wire", "Old"))
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Id"] == "`sahel-wire`" and fields["Date"] == "2025-11-10"
    assert fields["URL"] == "https://example.org/s" and fields["File"] == "sahel.md · 8 KiB"
    assert fields["Already stored"].startswith("v1:")
    assert embed_within_limits(embed)


@given(st.text(max_size=600), st.text(max_size=600), st.text(max_size=300))
def test_preview_of_any_text_fits_and_cannot_ping(title: str, publisher: str, name: str) -> None:
    """Whatever the file calls itself, the preview fits and every mention is broken up."""
    meta = DocumentMeta("doc", title, publisher)
    embed = document_preview(meta, name, 10, None)
    assert embed_within_limits(embed)
    shown = str(embed.to_dict())
    assert not any(m in shown for m in MENTIONS)


def test_outcomes_say_what_happened_with_the_passage_count() -> None:
    """added / new version / unchanged / restored lead the reply, with the passages."""
    for outcome in ("added", "new version", "unchanged", "restored"):
        result = IngestResult("sahel-wire", 2, outcome, 34)  # type: ignore[arg-type]
        reply = ingest_outcome(result, META, "discord:123456789012345678")
        assert reply.content == f"{outcome}: `sahel-wire` v2 (34 passages)."
        assert embed_within_limits(reply.embeds[0])
    assert removal_outcome("x", False, "cli").content == "`x` was already removed: nothing changed."
    assert removal_outcome("x", True, "cli").content == "`x` removed."


def test_a_long_list_fits_one_embed_and_counts_the_rest() -> None:
    """Hundreds of documents: one embed within the limits, ending with how many more."""
    rows = [version(f"doc-{n:03d}", "A long title " * 10) for n in range(300)]
    (embed,) = render_sources(rows, include_removed=False).embeds
    assert embed_within_limits(embed)
    assert embed.title == "Active source documents (300)"
    assert embed.description.rstrip().endswith("more (the full list: sitrep sources on the host)")


def test_removed_documents_are_marked() -> None:
    """A removed document's line says so."""
    (embed,) = render_sources([version("gone", "Gone", "removed")], include_removed=True).embeds
    assert "[removed]" in embed.description


def test_choices_rank_ids_first_and_stay_within_limits() -> None:
    """An id that starts with what was typed comes first; titles match too; at most 25."""
    rows = [
        version("floods-dosso", "Floods"),
        version("dosso-floods", "Dosso"),
        version("x", "A " * 80),
    ]
    assert [c.value for c in document_choices(rows, "dosso")] == ["dosso-floods", "floods-dosso"]
    assert all(len(c.name) <= CHOICE_LIMIT for c in document_choices(rows, ""))
    many = [version(f"doc-{n}", "Doc") for n in range(40)]
    assert len(document_choices(many, "")) == CHOICES_PER_RESPONSE
