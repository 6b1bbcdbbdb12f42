"""Reading TOML files the way the seed files need: size and encoding checked, every problem
located by file, line and field, values typed with a note per mistake.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final

from ..errors import Problem, ValidationError

MAX_FILE_BYTES: Final = 1024 * 1024  # fact, index and glossary files
MAX_DOCUMENT_BYTES: Final = 4 * 1024 * 1024  # a document's text
_BOM: Final = b"\xef\xbb\xbf"
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
