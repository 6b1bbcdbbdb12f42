"""Read, check and write the seed files: facts (TOML), the source-document index and the glossary.

A seeds directory looks like this::

    sources/index.toml   [[document]] id, title, publisher, published, url, file
    sources/*.txt        each document's text; quotes are checked against it verbatim
    facts/*.toml         [[fact]] tables, each with one or more [[fact.sources]]
    glossary.toml        [[synonyms]] terms = [...]        (optional)

Every reader reports every problem it finds at once, as :class:`~knowledge.errors.Problem`
values naming the file, line, fact id and field, and raises one
:class:`~knowledge.errors.ValidationError` carrying all of them (``check_seeds`` returns them
instead). The per-fact rules live in :mod:`knowledge.validation`; this module adds what only a
file can get wrong: syntax, encoding, size, unknown or missing fields, wrong types, and
duplicates across facts and files.

Files must be UTF-8 without a byte-order mark. A BOM is rejected rather than stripped: it is
invisible in most editors, and a file that reads back differently from how it was written
breaks the export/import round trip. Fact, index and glossary files may be at most 1 MiB,
document texts at most 4 MiB.

Nothing here prints, reads the environment or touches any path other than those it is given.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from .. import validation
from ..errors import Problem, ValidationError
from ..models import Document, Fact, Glossary, Source
from .sources import _read_glossary, _read_index
from .tomlfile import (
    MAX_FILE_BYTES,
    _array_of_tables,
    _kind,
    _load_toml,
    _Notes,
    _Outline,
    _raise_if,
    _read_bytes,
    _Reader,
    _Table,
    _too_big,
)

_FACT_FIELDS: Final = ("id", "title", "answer", "keys", "tags", "as_of", "review_by", "sources")
_FACT_REQUIRED: Final = ("id", "title", "answer", "keys", "tags", "as_of", "sources")
_DOC_SOURCE_FIELDS: Final = ("source", "quote")
_URL_SOURCE_FIELDS: Final = ("url", "title", "publisher", "published", "quote")


@dataclass(frozen=True, slots=True)
class FactSet:
    """Everything a seeds directory holds, validated: documents, facts (sorted by id), glossary."""

    documents: tuple[Document, ...]
    facts: tuple[Fact, ...]
    glossary: Glossary


# --------------------------------------------------------------------------- public API


def load_fact_file(path: Path, documents: Mapping[str, Document]) -> tuple[Fact, ...]:
    """Read one fact file, checking every fact against ``documents``.

    Raises ValidationError listing every problem of the file (ids and keys must be unique
    within it; ``load_seeds`` also checks across files).
    """
    entries, problems = _read_fact_path(path, documents)
    problems += _duplicate_problems(entries)
    _raise_if(problems)
    return tuple(entry.fact for entry in entries)


def load_fact_bytes(
    data: bytes,
    documents: Mapping[str, Document],
    *,
    name: str = "<upload>",
    today: date | None = None,
) -> tuple[Fact, ...]:
    """Like ``load_fact_file`` for content in memory (an upload); ``name`` labels the problems.

    With ``today``, an ``as_of`` after it is a problem (with its line)."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError([_too_big(name, MAX_FILE_BYTES)])
    entries, problems = _read_fact_data(data, name, documents, today)
    problems += _duplicate_problems(entries)
    _raise_if(problems)
    return tuple(entry.fact for entry in entries)


Locate = Callable[[str | None, str | None], int | None]
"""``locate(fact_id, field)``: the line of a fact's field in a fact file, if it has one."""


def field_locator(data: bytes, name: str) -> Locate:
    """Where each fact's fields are in a fact file, to give problems found after reading it
    (by the store: a key another fact owns) the line the reader's own problems carry.

    The file is parsed again on the first call only: an import without such a problem
    never pays for it.
    """

    @functools.cache
    def entries() -> dict[str, _Entry]:
        return {entry.fact.id: entry for entry in _read_fact_data(data, name, {})[0]}

    def locate(fact_id: str | None, fld: str | None) -> int | None:
        entry = entries().get(fact_id or "")
        return entry.line(fld) if entry is not None else None

    return locate


def check_seeds(root: Path, *, today: date | None = None) -> list[Problem]:
    """Every problem of a seeds directory, across all its files; an empty list means it is valid.

    With ``today``, an ``as_of`` date after it is a problem too.
    """
    return _gather(root, today)[1]


def load_seeds(root: Path, *, today: date | None = None) -> FactSet:
    """Read and validate a whole seeds directory; raises one ValidationError listing every problem.

    Reads ``root/sources/index.toml``, every ``root/facts/*.toml`` (sorted; names starting
    with a dot, such as editor and temp files, are skipped) and ``root/glossary.toml`` if it
    exists. Fact ids must be unique across files, and so must keys (compared casefolded with
    runs of whitespace collapsed). With ``today``, an ``as_of`` after it is a problem.
    """
    fact_set, problems = _gather(root, today)
    _raise_if(problems)
    return fact_set


# --------------------------------------------------------------------------- facts


def _fact_from_raw(
    raw: Mapping[str, Any], documents: Mapping[str, Document], notes: _Notes
) -> Fact:
    """A Fact from a fact-file table, noting every shape problem.

    Missing or mistyped values get harmless placeholders so the fact can still go through
    the shared rules; the notes cover those fields, so they are reported once.
    """
    r = _Reader(raw, notes)
    r.fields(_FACT_FIELDS, _FACT_REQUIRED)
    # status, locked and rev belong to the store, not to the file format
    return Fact(
        id=r.text("id"),
        title=r.text("title"),
        answer=r.text("answer"),
        as_of=r.day("as_of") or date.min,
        sources=_sources(r, documents),
        keys=r.texts("keys"),
        tags=r.texts("tags"),
        review_by=r.day("review_by"),
    )


def _sources(r: _Reader, documents: Mapping[str, Document]) -> tuple[Source, ...]:
    value = r.raw.get("sources", [])
    if not isinstance(value, list):
        r.note("sources", f"sources must be a list of [[fact.sources]] tables, not {_kind(value)}")
        return ()
    out: list[Source] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            r.note(f"sources[{i}]", f"each source must be a table, not {_kind(item)}")
            out.append(Source(quote=""))  # keeps later sources at their index
            continue
        sub = _Reader(item, r.notes, r.path(f"sources[{i}]"))
        out.append(_file_source(sub, documents))
    return tuple(out)


def _file_source(r: _Reader, documents: Mapping[str, Document]) -> Source:
    """``source`` + ``quote`` (a document), or ``url``, ``title``, ... + ``quote``."""
    if "source" in r.raw:
        extra = [key for key in r.raw if key in _URL_SOURCE_FIELDS and key != "quote"]
        for key in extra:
            r.note(
                key,
                f"a source with `source =` takes only source and quote; "
                f"its {key} comes from the document index",
            )
        r.fields((*_DOC_SOURCE_FIELDS, *extra), _DOC_SOURCE_FIELDS)
        return _document_source(r.text("quote"), r.text("source"), documents)
    if "url" not in r.raw:
        r.note("", 'a source needs `source = "<document id>"` or a `url`')
        r.fields(_URL_SOURCE_FIELDS, ("quote",))
    else:
        r.fields(_URL_SOURCE_FIELDS, ("url", "title", "quote"))
    return Source(
        quote=r.text("quote"),
        title=r.text("title"),
        publisher=r.text("publisher"),
        published=r.day("published"),
        url=r.text("url"),
    )


def _document_source(quote: str, doc_id: str, documents: Mapping[str, Document]) -> Source:
    """A document-backed source, described by its document (so renderers need no lookup).

    An unknown document leaves the description empty; the validation rules then report the
    unknown id.
    """
    doc = documents.get(doc_id)
    if doc is not None:
        return Source(quote, doc_id, doc.title, doc.publisher, doc.published, doc.url)
    return Source(quote=quote, document=doc_id)


@dataclass(frozen=True, slots=True)
class _Entry:
    """A fact as read from a file, with what it takes to point at its lines later."""

    fact: Fact
    file: str
    outline: _Outline
    table: _Table | None
    raw: Mapping[str, Any]

    def line(self, fld: str | None) -> int | None:
        # Facts written inline (`fact = [{...}]`) have no header: point at `fact =` instead.
        return self.outline.line_of(self.table, fld, self.raw) or self.outline.top_line("fact")

    def where(self, fld: str) -> str:
        line = self.line(fld)
        return f"{self.file}:{line}" if line else self.file

    def problem(self, fld: str | None, message: str) -> Problem:
        return Problem(message, self.file, self.line(fld), self.fact.id or None, fld or None)


def _read_fact_path(
    path: Path, documents: Mapping[str, Document], today: date | None = None
) -> tuple[list[_Entry], list[Problem]]:
    data, problems = _read_bytes(path, MAX_FILE_BYTES)
    if data is None:
        return [], problems
    return _read_fact_data(data, str(path), documents, today)


def _read_fact_data(
    data: bytes, name: str, documents: Mapping[str, Document], today: date | None = None
) -> tuple[list[_Entry], list[Problem]]:
    """Every fact of one file, and every problem of the file (duplicates are checked later)."""
    raw, outline, problems = _load_toml(data, name, "fact")
    if raw is None or outline is None:
        return [], problems
    items, problems = _array_of_tables(raw, "fact", outline, name)
    entries: list[_Entry] = []
    for i, item in enumerate(items):
        table = outline.table("fact", i)
        if not isinstance(item, Mapping):
            line = outline.line_of(table, None, None) or outline.top_line("fact")
            problems.append(Problem(f"each fact must be a table, not {_kind(item)}", name, line))
            continue
        notes = _Notes()
        fact = _fact_from_raw(item, documents, notes)
        entry = _Entry(fact, name, outline, table, item)
        found = [entry.problem(fld, message) for fld, message in notes.issues]
        found += [
            replace(p, line=entry.line(p.field))
            for p in validation.fact_problem_list(fact, documents, file=name, today=today)
            if not notes.covers(p.field)
        ]
        problems += sorted(found, key=lambda p: p.line or 0)
        entries.append(entry)
    return entries, problems


def _duplicate_problems(entries: Sequence[_Entry]) -> list[Problem]:
    """Ids used twice, and keys shared by two facts, each naming both places."""
    problems: list[Problem] = []
    first: dict[str, _Entry] = {}
    for entry in entries:
        fact_id = entry.fact.id
        owner = first.setdefault(fact_id, entry) if fact_id else entry
        if owner is not entry:
            message = f"duplicate id {fact_id!r}: already used at {owner.where('id')}"
            problems.append(entry.problem("id", message))
    owners: dict[str, tuple[_Entry, int]] = {}
    for entry in entries:
        seen_here: set[str] = set()
        for i, key in enumerate(entry.fact.keys):
            problem = _key_problem(entry, i, key, owners, seen_here)
            if problem:
                problems.append(problem)
    return problems


def _key_problem(
    entry: _Entry, i: int, key: str, owners: dict[str, tuple[_Entry, int]], seen_here: set[str]
) -> Problem | None:
    norm = " ".join(key.casefold().split())
    folded = key.casefold().strip()
    # validation.fact_problems already reports a repeat within one fact that differs only in
    # case or outer spaces; only inner whitespace differences are left to this check.
    repeated_here = folded in seen_here
    seen_here.add(folded)
    if not norm:
        return None
    owner, index = owners.setdefault(norm, (entry, i))
    if owner is not entry:
        message = (
            f"key {key!r} is also a key of fact {owner.fact.id!r} ({owner.where(f'keys[{index}]')})"
        )
        return entry.problem(f"keys[{i}]", message)
    if index != i and not repeated_here:
        return entry.problem(f"keys[{i}]", f"key {key!r} repeats keys[{index}]")
    return None


# --------------------------------------------------------------------------- a whole directory


def _gather(root: Path, today: date | None) -> tuple[FactSet, list[Problem]]:
    """Read everything under ``root``; the problems of every file, in file order."""
    documents, problems = _read_index(root / "sources" / "index.toml")
    by_id = {doc.id: doc for doc in documents}
    facts_dir = root / "facts"
    entries: list[_Entry] = []
    if not facts_dir.is_dir():
        problems.append(Problem("the facts directory is missing", file=str(facts_dir)))
    else:
        for path in sorted(facts_dir.glob("*.toml")):
            if path.name.startswith("."):
                continue
            found, file_problems = _read_fact_path(path, by_id, today)
            entries += found
            problems += file_problems
    problems += _duplicate_problems(entries)
    glossary = Glossary()
    if (root / "glossary.toml").exists():
        glossary, glossary_problems = _read_glossary(root / "glossary.toml")
        problems += glossary_problems
    facts = tuple(sorted((entry.fact for entry in entries), key=lambda fact: fact.id))
    return FactSet(tuple(documents), facts, glossary), problems
