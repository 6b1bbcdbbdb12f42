"""Writing fact files: the TOML of ``sitrep export`` and the files it writes, atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tomli_w

from .. import validation
from ..models import Document, Fact, Source


def fact_to_toml(facts: Iterable[Fact]) -> str:
    """Facts as fact-file TOML, in the order given, loadable with ``load_fact_file``.

    A document-backed source is written as ``source`` + ``quote`` only (the rest comes from
    the document index); a URL source as url, title, publisher, published (when known) and
    quote. ``review_by`` is left out when unset; status, locked and rev are not part of the
    file format and are never written.
    """
    return "\n".join(_fact_chunk(fact) for fact in facts)


def write_fact_files(
    directory: Path,
    facts: Iterable[Fact],
    documents: Iterable[Document] | Mapping[str, Document],
) -> list[Path]:
    """Export facts and documents as a seeds directory that ``load_seeds`` reads back equal.

    Facts go to ``facts/<first tag>.toml`` (``facts/facts.toml`` when untagged), documents to
    ``sources/<id>.txt`` with ``sources/index.toml``. Each file is written to a temp file
    beside it and renamed into place, so a crash never leaves half a file. Files of an earlier
    export that this one does not rewrite are left alone, and would be loaded with it: export
    into an empty or dedicated directory. Returns the paths written.
    """
    docs = list(documents.values() if isinstance(documents, Mapping) else documents)
    groups: dict[str, list[Fact]] = {}
    for fact in facts:
        groups.setdefault(_file_stem(fact), []).append(fact)
    written = [
        _write_atomic(directory / "facts" / f"{stem}.toml", fact_to_toml(group).encode())
        for stem, group in sorted(groups.items())
    ]
    names = [_document_file_name(doc, i) for i, doc in enumerate(docs)]
    for doc, name in zip(docs, names, strict=True):
        written.append(_write_atomic(directory / "sources" / name, doc.text.encode()))
    index = _index_toml(docs, names).encode()
    written.append(_write_atomic(directory / "sources" / "index.toml", index))
    return written


# --------------------------------------------------------------------------- writing


def _fact_chunk(fact: Fact) -> str:
    head: dict[str, Any] = {
        "id": fact.id,
        "title": fact.title,
        "answer": fact.answer,
        "keys": list(fact.keys),
        "tags": list(fact.tags),
        "as_of": fact.as_of,
    }
    if fact.review_by is not None:
        head["review_by"] = fact.review_by
    # Headers are written by hand: tomli_w would inline short sources as `sources = [{...}]`,
    # and the documented, diff-friendly layout is one [[fact.sources]] table per source.
    parts = ["[[fact]]\n" + tomli_w.dumps(head)]
    parts += ["[[fact.sources]]\n" + tomli_w.dumps(_source_table(s)) for s in fact.sources]
    return "\n".join(parts)


def _source_table(source: Source) -> dict[str, Any]:
    if source.document is not None:
        return {"source": source.document, "quote": source.quote}
    table: dict[str, Any] = {
        "url": source.url,
        "title": source.title,
        "publisher": source.publisher,
    }
    if source.published is not None:
        table["published"] = source.published
    table["quote"] = source.quote
    return table


def _index_toml(documents: Sequence[Document], names: Sequence[str]) -> str:
    chunks = []
    for doc, name in zip(documents, names, strict=True):
        table: dict[str, Any] = {"id": doc.id, "title": doc.title, "publisher": doc.publisher}
        if doc.published is not None:
            table["published"] = doc.published
        table |= {"url": doc.url, "file": name}
        chunks.append("[[document]]\n" + tomli_w.dumps(table))
    return "\n".join(chunks)


def _file_stem(fact: Fact) -> str:
    # Tags are validated slugs; anything else must not become a path.
    tag = fact.tags[0] if fact.tags else ""
    return tag if validation.TAG_RE.match(tag) else "facts"


def _document_file_name(doc: Document, index: int) -> str:
    return f"{doc.id}.txt" if validation.ID_RE.match(doc.id) else f"document-{index}.txt"


def _write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The dot prefix keeps a leftover temp file out of load_seeds' *.toml listing.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
