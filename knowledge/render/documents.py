"""What moderators see of source documents, as plain data: the add and remove confirmations,
what an ingest or a removal did, the list of documents and the id suggestions.

A document's own words (its title, its publisher) and the uploaded file's name come from
outside: they are shown literally (markdown escaped, mentions broken up), like passages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from ..documents.models import DOCUMENT_ACTIVE, DocumentMeta, DocumentVersion
from ..store.documents import IngestResult
from .moderation import COLOUR_CHANGE, COLOUR_WARN, actor_label
from .parts import (
    CHOICE_LIMIT,
    CHOICES_PER_RESPONSE,
    COLOUR_INFO,
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    Choice,
    EmbedPart,
    Field,
    Reply,
    echo,
    fit_lines,
    plain,
    safe_url,
)

NONE: Final = "—"
_OUTCOME_TITLES: Final = {
    "added": "Source document added",
    "new version": "Source document: new version",
    "unchanged": "Source document unchanged",
    "restored": "Source document restored",
}
_OUTCOME_NOTES: Final = {
    "added": "Members' questions can be answered from it now, marked as an unreviewed source.",
    "new version": "The new text answers from now on; the old version's passages stay for the "
    "quotes that cite them.",
    "unchanged": "The same text and details are already stored: nothing changed.",
    "restored": "It had been removed; it answers questions again.",
}
_LIST_LINE_TITLE: Final = 100


def _shown(text: str, limit: int = FIELD_VALUE_LIMIT) -> str:
    """Outside text for a field: one line, shortened, literal, no pings; a dash if nothing
    printable is left (Discord refuses an empty field)."""
    return echo(text, limit) or NONE


def _file_size(size: int) -> str:
    return f"{size} bytes" if size < 1024 else f"{size / 1024:.0f} KiB"


def _meta_fields(meta: DocumentMeta) -> list[Field]:
    return [
        Field("Id", f"`{meta.id}`", inline=True),
        Field("Date", meta.published.isoformat() if meta.published else NONE, inline=True),
        Field("Publisher", _shown(meta.publisher), inline=True),
        Field("Title", _shown(meta.title)),
        Field("URL", safe_url(meta.url) or NONE),
    ]


def document_preview(
    meta: DocumentMeta, file_name: str, size: int, current: DocumentVersion | None
) -> EmbedPart:
    """The confirmation of ``/source add``: the document's details as they will be stored."""
    fields = [*_meta_fields(meta), Field("File", f"{_shown(file_name, 200)} · {_file_size(size)}")]
    if current is not None:
        state = "" if current.status == DOCUMENT_ACTIVE else f", {current.status}"
        fields.append(
            Field(
                "Already stored",
                f"v{current.version}{state}: the same text and details change nothing; "
                "a changed text becomes a new version.",
            )
        )
    return EmbedPart(
        title="Add this source document?",
        url=safe_url(meta.url),
        fields=tuple(fields),
        footer="Nothing is stored until you confirm. Passages answer only what no fact does.",
        colour=COLOUR_INFO,
    )


def ingest_outcome(result: IngestResult, meta: DocumentMeta, by: str) -> Reply:
    """What ``/source add`` did: added, new version, unchanged or restored, with the passages."""
    summary = (
        f"{result.outcome}: `{result.document_id}` v{result.version} ({result.passages} passages)."
    )
    embed = EmbedPart(
        title=plain(f"{_OUTCOME_TITLES[result.outcome]}: {meta.title}", TITLE_LIMIT),
        description=_OUTCOME_NOTES[result.outcome],
        url=safe_url(meta.url),
        fields=(
            Field("Document", f"`{result.document_id}` · v{result.version}", inline=True),
            Field("Passages", str(result.passages), inline=True),
            Field("By", actor_label(by), inline=True),
        ),
        footer=f"Remove it with /source remove id:{result.document_id}",
        colour=COLOUR_INFO if result.outcome == "unchanged" else COLOUR_CHANGE,
    )
    return Reply(content=summary, embeds=(embed,))


def removal_preview(row: DocumentVersion) -> EmbedPart:
    """The confirmation of ``/source remove``."""
    return EmbedPart(
        title="Remove this source document?",
        url=safe_url(row.meta.url),
        fields=(
            *_meta_fields(row.meta),
            Field("Stored", f"v{row.version} · {row.passages} passages", inline=True),
        ),
        footer="It stops answering questions; its text stays for the quotes that cite it. "
        "Adding the same file again restores it.",
        colour=COLOUR_WARN,
    )


def removal_outcome(document_id: str, changed: bool, by: str) -> Reply:
    """What ``/source remove`` did: removed, or it already was."""
    if not changed:
        return Reply(content=f"`{document_id}` was already removed: nothing changed.")
    embed = EmbedPart(
        title=f"Source document removed: {document_id}",
        description="It no longer answers questions; quotes that cite it still check.",
        fields=(Field("By", actor_label(by), inline=True),),
        footer="Adding the same file again with /source add restores it.",
        colour=COLOUR_WARN,
    )
    return Reply(content=f"`{document_id}` removed.", embeds=(embed,))


def _list_line(row: DocumentVersion) -> str:
    date = row.meta.published.isoformat() if row.meta.published else NONE
    flag = "" if row.status == DOCUMENT_ACTIVE else f" **[{row.status}]**"
    return (
        f"`{row.meta.id}` v{row.version} · {row.passages} passages · {date} · "
        f"{echo(row.meta.title, _LIST_LINE_TITLE)}{flag} "
        f"(by {actor_label(row.ingested_by)}, {row.ingested_at:%Y-%m-%d %H:%M})"
    )


def render_sources(rows: Sequence[DocumentVersion], *, include_removed: bool) -> Reply:
    """``/source list``: one line per document, newest first, cut to fit with a count."""
    if not rows:
        which = "No source documents yet" if include_removed else "No active source documents"
        return Reply(content=f"{which}: add one with /source add.")
    lines = fit_lines(
        [_list_line(row) for row in rows],
        DESCRIPTION_LIMIT,
        lambda n: f"…and {n} more (the full list: sitrep sources on the host)",
    )
    which = "Source documents" if include_removed else "Active source documents"
    embed = EmbedPart(
        title=f"{which} ({len(rows)})",
        description="\n".join(lines),
        footer="" if include_removed else "Removed ones too: /source list all:True",
        colour=COLOUR_INFO,
    )
    return Reply(embeds=(embed,))


def document_choices(rows: Iterable[DocumentVersion], typed: str) -> list[Choice]:
    """Autocomplete for a document id: "title (id)", best matches first."""
    needle = " ".join(typed.casefold().split())
    scored: list[tuple[int, str, DocumentVersion]] = []
    for row in rows:
        doc_id, title = row.meta.id, row.meta.title.casefold()
        if needle and needle not in doc_id and needle not in title:
            continue
        rank = 0 if doc_id.startswith(needle) else 1 if needle in doc_id else 2
        scored.append((rank, doc_id, row))
    out: list[Choice] = []
    for _, doc_id, row in sorted(scored, key=lambda item: item[:2])[:CHOICES_PER_RESPONSE]:
        room = CHOICE_LIMIT - len(doc_id) - 3
        out.append(Choice(f"{plain(row.meta.title, max(room, 1))} ({doc_id})", doc_id))
    return out
