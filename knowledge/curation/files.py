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

import difflib
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

import tomli_w

from .. import validation
from ..errors import Problem, ValidationError
from ..models import Document, Fact, Glossary, Source

MAX_FILE_BYTES: Final = 1024 * 1024
MAX_DOCUMENT_BYTES: Final = 4 * 1024 * 1024

_BOM: Final = b"\xef\xbb\xbf"
_FACT_FIELDS: Final = ("id", "title", "answer", "keys", "tags", "as_of", "review_by", "sources")
_FACT_REQUIRED: Final = ("id", "title", "answer", "keys", "tags", "as_of", "sources")
_DOC_SOURCE_FIELDS: Final = ("source", "quote")
_URL_SOURCE_FIELDS: Final = ("url", "title", "publisher", "published", "quote")
_INDEX_FIELDS: Final = ("id", "title", "publisher", "published", "url", "file")
_INDEX_REQUIRED: Final = ("id", "title", "publisher", "url", "file")


@dataclass(frozen=True, slots=True)
class FactSet:
    """Everything a seeds directory holds, validated: documents, facts (sorted by id), glossary."""

    documents: tuple[Document, ...]
    facts: tuple[Fact, ...]
    glossary: Glossary


# --------------------------------------------------------------------------- public API


def load_documents(index_path: Path) -> tuple[Document, ...]:
    """Read a source index (``[[document]]`` tables) and each document's text file.

    ``file`` is relative to the index's directory and may not leave it. Raises
    ValidationError listing every problem.
    """
    documents, problems = _read_index(index_path)
    _raise_if(problems)
    return tuple(documents)


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
    data: bytes, documents: Mapping[str, Document], *, name: str = "<upload>"
) -> tuple[Fact, ...]:
    """Like ``load_fact_file`` for content in memory (an upload); ``name`` labels the problems."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError([_too_big(name, MAX_FILE_BYTES)])
    entries, problems = _read_fact_data(data, name, documents)
    problems += _duplicate_problems(entries)
    _raise_if(problems)
    return tuple(entry.fact for entry in entries)


def load_glossary(path: Path) -> Glossary:
    """Read a glossary (``[[synonyms]] terms = [...]``); a term may belong to one group only."""
    glossary, problems = _read_glossary(path)
    _raise_if(problems)
    return glossary


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


# --------------------------------------------------------------------------- reading files


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _too_big(name: str, limit: int) -> Problem:
    return Problem(f"file is larger than the {limit // 1024} KiB limit", file=name)


def _read_bytes(path: Path, limit: int) -> tuple[bytes | None, list[Problem]]:
    """The file's bytes, or the problem that prevents reading them; never reads past ``limit``."""
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return None, [Problem(f"cannot read the file ({exc.strerror or exc})", file=str(path))]
    if len(data) > limit:
        return None, [_too_big(str(path), limit)]
    return data, []


def _decode(data: bytes, name: str, table: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text without a BOM, or one problem pointing at the first bad byte."""
    if data.startswith(_BOM):
        message = "file starts with a byte-order mark (BOM); save it as UTF-8 without BOM"
        return None, [Problem(message, file=name, line=1)]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - data.rfind(b"\n", 0, exc.start)
        fact_id, fld = _Outline(data.decode("utf-8", "replace")).context(line, table)
        message = f"not valid UTF-8: byte 0x{data[exc.start]:02x} at column {column}"
        return None, [Problem(message, file=name, line=line, fact_id=fact_id, field=fld)]


_AT_RE: Final = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def _parse(text: str, name: str, table: str) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Parsed TOML, or one problem carrying the line that tomllib names in its message."""
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        # tomllib (3.11) exposes the position only inside the message text.
        message = str(exc)
        match = _AT_RE.search(message)
        line: int | None = None
        if match:
            message = message[: match.start()]
            if match[1]:
                line, message = int(match[1]), f"{message} (column {match[2]})"
            else:
                line = text.count("\n") + 1
        fact_id, fld = _Outline(text).context(line, table) if line else (None, None)
        problem = Problem(f"TOML syntax error: {message}", name, line, fact_id, fld)
        return None, [problem]
    except RecursionError:
        return None, [Problem("values are nested too deeply", file=name)]


def _load_toml(
    data: bytes, name: str, table: str
) -> tuple[dict[str, Any] | None, _Outline | None, list[Problem]]:
    """Decode and parse one TOML file, with the outline used to find lines."""
    text, problems = _decode(data, name, table)
    if text is None:
        return None, None, problems
    raw, problems = _parse(text, name, table)
    return raw, _Outline(text), problems


def _read_toml_path(
    path: Path, table: str
) -> tuple[dict[str, Any] | None, _Outline | None, list[Problem]]:
    data, problems = _read_bytes(path, MAX_FILE_BYTES)
    if data is None:
        return None, None, problems
    return _load_toml(data, str(path), table)


def _array_of_tables(
    raw: Mapping[str, Any], table: str, outline: _Outline, name: str
) -> tuple[list[Any], list[Problem]]:
    """The file's ``[[table]]`` entries, and a problem for anything else at the top level."""
    problems = [
        Problem(
            f"unknown top-level entry {key!r}: this file holds only [[{table}]] tables",
            file=name,
            line=outline.top_line(key),
            field=key,
        )
        for key in raw
        if key != table
    ]
    items = raw.get(table, [])
    if not isinstance(items, list):
        message = f"{table!r} must be a list of [[{table}]] tables, not {_kind(items)}"
        problems.append(Problem(message, file=name, line=outline.top_line(table), field=table))
        items = []
    return items, problems


# --------------------------------------------------------------------------- locating lines


_HEADER_RE: Final = re.compile(r"^\s*\[\[?\s*([^\[\]#]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_RE: Final = re.compile(r"""^\s*([A-Za-z0-9_-]+|"[^"\n]*"|'[^'\n]*')\s*=""")
_ID_VALUE_RE: Final = re.compile(r"""^\s*id\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')""")
_PATH_RE: Final = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


@dataclass(frozen=True, slots=True)
class _Block:
    """One table of the file as text: its header line, last line and first line of each field."""

    name: str
    line: int
    end: int
    fields: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Table:
    """One ``[[name]]`` table with the sub-tables that follow it (names made relative)."""

    block: _Block
    children: tuple[_Block, ...]


class _Outline:
    """Where tables and fields sit in a TOML text.

    tomllib returns values without positions, so lines are recovered from the text: the Nth
    ``[[fact]]`` header belongs to the Nth fact, a field's line is its first ``field =`` line
    inside that table, and list items are found by their quoted text. Anything not found falls
    back to the enclosing table's header.
    """

    def __init__(self, text: str) -> None:
        # TOML counts lines by "\n" only, as tomllib's messages do; splitlines() would not.
        self.lines = text.split("\n")
        self.blocks = _scan(self.lines)
        self.heads: dict[str, list[int]] = {}  # table name -> indexes of its blocks
        for i, block in enumerate(self.blocks):
            self.heads.setdefault(block.name, []).append(i)

    def table(self, name: str, index: int) -> _Table | None:
        """The ``index``-th ``[[name]]`` table, or None (e.g. when written inline)."""
        heads = self.heads.get(name, [])
        if index >= len(heads):
            return None
        start = heads[index]
        prefix = name + "."
        children: list[_Block] = []
        for block in self.blocks[start + 1 :]:
            if not block.name.startswith(prefix):
                break
            children.append(replace(block, name=block.name[len(prefix) :]))
        return _Table(self.blocks[start], tuple(children))

    def top_line(self, key: str) -> int | None:
        """The line of a top-level key or table."""
        root = self.blocks[0]
        if key in root.fields:
            return root.fields[key]
        for block in self.blocks[1:]:
            if block.name == key or block.name.startswith(key + "."):
                return block.line
        return None

    def line_of(self, table: _Table | None, path: str | None, raw: object) -> int | None:
        """The line of ``path`` (``"keys[2]"``, ``"sources[0].quote"``) inside ``table``."""
        if table is None:
            return None
        if not path:
            return table.block.line
        segments = [(m[1], int(m[2]) if m[2] else None) for m in _PATH_RE.finditer(path)]
        return self._resolve(table.block, table.children, segments, raw)

    def _resolve(
        self,
        block: _Block,
        children: Sequence[_Block],
        segments: list[tuple[str, int | None]],
        raw: object,
    ) -> int:
        name, index = segments[0]
        value = raw.get(name) if isinstance(raw, Mapping) else None
        item = (
            value[index]
            if isinstance(value, list) and index is not None and index < len(value)
            else None
        )
        kids = [child for child in children if child.name == name]
        if index is not None and index < len(kids):
            if len(segments) == 1:
                return kids[index].line
            return self._resolve(kids[index], (), segments[1:], item)
        if name in block.fields:
            line = block.fields[name]
            return self._literal_line(item, line, block.end) if isinstance(item, str) else line
        return kids[0].line if kids else block.line

    def _literal_line(self, value: str, start: int, end: int) -> int:
        """The first line from ``start`` to ``end`` holding ``value`` as a quoted string."""
        needles = (json.dumps(value, ensure_ascii=False), f"'{value}'")
        for number in range(start, end + 1):
            if any(needle in self.lines[number - 1] for needle in needles):
                return number
        return start

    def context(self, line: int, table: str) -> tuple[str | None, str | None]:
        """(fact id, field) around ``line``, for problems found before values exist (syntax)."""
        owner = next((b for b in reversed(self.blocks[1:]) if b.line <= line), None)
        if owner is None or not (owner.name == table or owner.name.startswith(table + ".")):
            return None, None
        heads = [b for b in self.blocks if b.name == table and b.line <= line]
        fact_id = self._id_of(heads[-1]) if heads else None
        match = _KEY_RE.match(self.lines[line - 1]) if line <= len(self.lines) else None
        key = match[1].strip("\"'") if match else None
        if key and owner.name != table:
            siblings = [
                b for b in self.blocks if b.name == owner.name and heads and heads[-1].line < b.line
            ]
            key = f"{owner.name[len(table) + 1 :]}[{siblings.index(owner)}].{key}"
        return fact_id, key

    def _id_of(self, block: _Block) -> str | None:
        line = block.fields.get("id")
        match = _ID_VALUE_RE.match(self.lines[line - 1]) if line else None
        return (match[1] if match[1] is not None else match[2]) if match else None


def _scan(lines: Sequence[str]) -> list[_Block]:
    """Split the text into blocks at table headers; the first block is the top level."""
    blocks: list[_Block] = []
    name, start = "", 0
    fields: dict[str, int] = {}
    open_string: str | None = None  # inside a multi-line string nothing is a header or key
    for number, text in enumerate(lines, start=1):
        if open_string is not None:
            if text.count(open_string) % 2:
                open_string = None
            continue
        header = _HEADER_RE.match(text)
        key = _KEY_RE.match(text)
        if header:
            blocks.append(_Block(name, start, number - 1, fields))
            name, start, fields = _table_name(header[1]), number, {}
        elif key:
            fields.setdefault(key[1].strip("\"'"), number)
        open_string = next((d for d in ('"""', "'''") if text.count(d) % 2), None)
    blocks.append(_Block(name, start, len(lines), fields))
    return blocks


def _table_name(header: str) -> str:
    """``fact . sources`` / ``"fact".sources`` -> ``fact.sources``."""
    return ".".join(part.strip().strip("\"'") for part in header.split("."))


# --------------------------------------------------------------------------- typed values


@dataclass(slots=True)
class _Notes:
    """(field, message) problems found while reading raw values, and the fields they cover.

    A field with a problem here is not re-reported by the shared validation rules, which would
    only repeat it less clearly ("missing required field" beats "may not be empty").
    """

    issues: list[tuple[str, str]] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)

    def add(self, fld: str, message: str) -> None:
        self.issues.append((fld, message))
        self.covered.add(fld)

    def covers(self, fld: str | None) -> bool:
        return fld is not None and any(
            fld == c or fld.startswith((c + ".", c + "[")) for c in self.covered
        )


class _Reader:
    """Typed values out of one raw table, each problem noted under its field path."""

    def __init__(self, raw: Mapping[str, Any], notes: _Notes, prefix: str = "") -> None:
        self.raw = raw
        self.notes = notes
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix and key else (self.prefix or key)

    def note(self, key: str, message: str) -> None:
        self.notes.add(self.path(key), message)

    def fields(self, allowed: Sequence[str], required: Sequence[str]) -> None:
        """Note unknown fields (with a spelling hint) and missing required ones."""
        for key in self.raw:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.note(key, f"unknown field {key!r}{hint}")
        for key in required:
            if key not in self.raw:
                self.note(key, f"missing required field {key!r}")

    def text(self, key: str) -> str:
        value = self.raw.get(key, "")
        if isinstance(value, str):
            return value
        self.note(key, f"{key} must be text (a quoted string), not {_kind(value)}")
        return ""

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of text; a bad item becomes "" so later items keep their index."""
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            self.note(key, f'{key} must be a list of text like ["a", "b"], not {_kind(value)}')
            return ()
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.note(f"{key}[{i}]", f"{key}[{i}] must be text, not {_kind(item)}")
        return tuple(item if isinstance(item, str) else "" for item in value)

    def day(self, key: str) -> date | None:
        """A date, written as a TOML date."""
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        self.note(key, _date_message(key, value))
        return None


def _date_message(key: str, value: object) -> str:
    if isinstance(value, datetime):
        return f"{key} must be a date without a time of day, like 2025-11-04"
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{key} must be a date like 2025-11-04; {value!r} is not a valid date"
        return f"{key} must be a TOML date, written without quotes: {key} = {value}"
    return f"{key} must be a date like 2025-11-04, not {_kind(value)}"


def _kind(value: object) -> str:
    """How a TOML or JSON value's type reads to the person who wrote it."""
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "true/false"),
        ((int, float), "a number"),
        (str, "text"),
        (datetime, "a date-time"),
        (date, "a date"),
        (time, "a time of day"),
        (list, "a list"),
        (Mapping, "a table"),
        (type(None), "null"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


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
    if len(doc.url) > validation.MAX_URL or not validation.URL_RE.match(doc.url):
        out.append(("url", "url must be an http(s) address without spaces"))
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
