"""The source-document index (``sources/index.toml`` and each document's text) and the glossary."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from .. import validation
from ..errors import Problem
from ..models import Document, Glossary
from .tomlfile import (
    MAX_DOCUMENT_BYTES,
    _array_of_tables,
    _decode,
    _kind,
    _Notes,
    _raise_if,
    _read_bytes,
    _read_toml_path,
    _Reader,
)

_INDEX_FIELDS: Final = ("id", "title", "publisher", "published", "url", "file")
_INDEX_REQUIRED: Final = ("id", "title", "publisher", "url", "file")


def load_documents(index_path: Path) -> tuple[Document, ...]:
    """Read a source index (``[[document]]`` tables) and each document's text file.

    ``file`` is relative to the index's directory and may not leave it. Raises
    ValidationError listing every problem.
    """
    documents, problems = _read_index(index_path)
    _raise_if(problems)
    return tuple(documents)


def load_glossary(path: Path) -> Glossary:
    """Read a glossary (``[[synonyms]] terms = [...]``); a term may belong to one group only."""
    glossary, problems = _read_glossary(path)
    _raise_if(problems)
    return glossary


# --------------------------------------------------------------------------- documents


def _read_index(path: Path) -> tuple[list[Document], list[Problem]]:
    """Documents of a source index (with their text) and every problem of the index."""
    raw, outline, problems = _read_toml_path(path, "document")
    if raw is None or outline is None:
        return [], problems
    items, problems = _array_of_tables(raw, "document", outline, str(path))
    documents: list[Document] = []
    seen: dict[str, int | None] = {}
    for i, item in enumerate(items):
        table = outline.table("document", i)
        if not isinstance(item, Mapping):
            line = outline.line_of(table, None, None)
            problems.append(
                Problem(f"each document must be a table, not {_kind(item)}", str(path), line)
            )
            continue
        notes = _Notes()
        doc = _document(item, path.parent, notes)
        if doc.id in seen:
            notes.add("id", f"duplicate document id {doc.id!r} (first at line {seen[doc.id]})")
        seen.setdefault(doc.id, outline.line_of(table, "id", item))
        problems += [
            Problem(msg, str(path), outline.line_of(table, fld, item), None, fld or None)
            for fld, msg in notes.issues
        ]
        # A document whose text loaded is kept even with other problems, so the facts that
        # quote it are not all reported again as citing an unknown document.
        if doc.id and doc.id not in (d.id for d in documents) and not notes.covers("file"):
            documents.append(doc)
    return documents, problems


def _document(raw: Mapping[str, Any], base: Path, notes: _Notes) -> Document:
    r = _Reader(raw, notes)
    r.fields(_INDEX_FIELDS, _INDEX_REQUIRED)
    doc = Document(
        id=r.text("id"),
        title=r.text("title"),
        publisher=r.text("publisher"),
        published=r.day("published"),
        url=r.text("url"),
    )
    for fld, message in _document_problems(doc):
        if not notes.covers(fld):
            notes.add(fld, message)
    file_name = r.text("file")
    if "file" in raw and not notes.covers("file"):
        text = _document_text(base, file_name, r)
        return replace(doc, text=text)
    return doc


def _document_problems(doc: Document) -> list[tuple[str, str]]:
    """The index's own rules: a slug id, short plain titles and an http(s) url."""
    out: list[tuple[str, str]] = []
    if not validation.ID_RE.match(doc.id) or len(doc.id) > validation.MAX_ID:
        out.append(("id", "id must be a lowercase slug (a-z, 0-9, '-')"))
    for name in ("title", "publisher"):
        value: str = getattr(doc, name)
        if not value.strip():
            out.append((name, f"{name} may not be empty"))
        elif len(value) > validation.MAX_TITLE:
            out.append((name, f"{name} is longer than {validation.MAX_TITLE} characters"))
        bad = ", ".join(validation.bad_characters(value))
        if bad:
            out.append(
                (name, f"{name} contains control or invisible formatting characters ({bad})")
            )
    problem = validation.url_problem(doc.url)
    if problem:
        out.append(("url", problem))
    return out


def _document_text(base: Path, file_name: str, r: _Reader) -> str:
    """The text of a document file, which must lie inside the index's directory."""
    relative = Path(file_name)
    if not file_name or relative.is_absolute() or ".." in relative.parts:
        r.note("file", f"file must be a path inside {base}, not {file_name!r}")
        return ""
    data, problems = _read_bytes(base / relative, MAX_DOCUMENT_BYTES)
    text, more = (None, []) if data is None else _decode(data, str(base / relative), "")
    for problem in (*problems, *more):
        where = f"line {problem.line}: " if problem.line else ""
        r.note("file", f"{base / relative}: {where}{problem.message}")
    return text or ""


# --------------------------------------------------------------------------- glossary


def _read_glossary(path: Path) -> tuple[Glossary, list[Problem]]:
    raw, outline, problems = _read_toml_path(path, "synonyms")
    if raw is None or outline is None:
        return Glossary(), problems
    items, problems = _array_of_tables(raw, "synonyms", outline, str(path))
    groups: list[tuple[str, ...]] = []
    owner: dict[str, int | None] = {}  # normalised term -> line of the group it belongs to
    for i, item in enumerate(items):
        table = outline.table("synonyms", i)
        notes = _Notes()
        terms = _group(item, notes, owner, outline.line_of(table, None, None))
        problems += [
            Problem(msg, str(path), outline.line_of(table, fld, item), None, fld or None)
            for fld, msg in notes.issues
        ]
        groups.append(terms)
    return Glossary(tuple(groups)), problems


def _group(
    item: object, notes: _Notes, owner: dict[str, int | None], line: int | None
) -> tuple[str, ...]:
    """One synonym group's terms, noting empty, odd or already-grouped ones."""
    if not isinstance(item, Mapping):
        notes.add("", f"each synonym group must be a table, not {_kind(item)}")
        return ()
    r = _Reader(item, notes)
    r.fields(("terms",), ("terms",))
    terms = r.texts("terms")
    if "terms" in item and not notes.covers("terms") and len(terms) < 2:
        notes.add("terms", "a synonym group needs at least two terms")
    mine: set[str] = set()
    for j, term in enumerate(terms):
        fld = f"terms[{j}]"
        norm = " ".join(term.casefold().split())
        bad = validation.bad_characters(term)
        if notes.covers(fld):
            continue
        if not norm:
            notes.add(fld, "a term may not be empty")
        elif bad:
            notes.add(
                fld, f"term contains control or invisible formatting characters ({', '.join(bad)})"
            )
        elif len(term) > validation.MAX_KEY:
            notes.add(fld, f"term is longer than {validation.MAX_KEY} characters")
        elif norm in mine:
            notes.add(fld, f"term {term!r} appears twice in this group")
        elif norm in owner:
            notes.add(fld, f"term {term!r} is already in the synonym group at line {owner[norm]}")
        mine.add(norm)
    for norm in mine:
        owner.setdefault(norm, line)
    return terms
