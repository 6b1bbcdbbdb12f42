"""Malformed fact files through `sitrep import` and `sitrep load`: named, and nothing written.

tests/test_files.py shows each malformed file is reported with file, line, fact id and field
(RELIABILITY H1/H2). This is the other half, end to end: the same kinds of bad file given to
the two commands that write (`sitrep import FILE`, `sitrep load DIR`) exit 1, name the place
of each problem on stderr, and leave every row of the database as it was, including the
valid fact that comes first in the same file.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from clikit import cli, schema_version, table_rows

from bot.paths import BUNDLED_SEEDS
from knowledge.curation.tomlfile import MAX_FILE_BYTES
from knowledge.desk import open_desk

QUOTE = "JNIM is led by Iyad ag-Ghali and Amadou Kouffa"
VALID = f"""\
[[fact]]
id = "hardening-valid"
title = "A valid fact that must not be imported alone"
answer = "A valid answer."
keys = ["hardening valid key"]
tags = ["test"]
as_of = 2025-11-04

[[fact.sources]]
source = "soufan-2025-11-04"
quote = "{QUOTE}"

"""
# The fact under test starts at line 13: its line k is reported as 12 + k.
BAD = f"""\
[[fact]]
id = "hardening-bad"
title = "A fact under test"
answer = "An answer under test."
keys = ["hardening bad key"]
tags = ["test"]
as_of = 2025-11-04

[[fact.sources]]
source = "soufan-2025-11-04"
quote = "{QUOTE}"
"""


def bad(old: str = "", new: str = "") -> str:
    """The file: the valid fact, then the fact under test with ``old`` replaced by ``new``."""
    assert old in BAD
    return VALID + BAD.replace(old, new, 1)


# (case, file content, (line, fact id, field, message fragment)); line None: no line.
CASES: list[tuple[str, str | bytes, tuple[int | None, str | None, str | None, str]]] = [
    (
        "duplicate key in a table",
        bad('title = "A fact under test"', 'title = "A fact under test"\ntitle = "again"'),
        (16, "hardening-bad", "title", "TOML syntax error"),
    ),
    (
        "duplicate fact id in the file",
        bad('id = "hardening-bad"', 'id = "hardening-valid"'),
        (14, "hardening-valid", "id", "already used at"),
    ),
    (
        "key owned by a shipped fact",
        bad('["hardening bad key"]', '["who leads JNIM"]'),
        (None, "hardening-bad", "keys[0]", "jnim-leadership"),  # the store finds it on import
    ),
    (
        "impossible date",
        bad("as_of = 2025-11-04", "as_of = 2025-02-30"),
        (19, "hardening-bad", "as_of", "TOML syntax error"),
    ),
    (
        "date as text",
        bad("as_of = 2025-11-04", 'as_of = "4 Nov 2025"'),
        (19, "hardening-bad", "as_of", "is not a valid date"),
    ),
    (
        "NaN as a date",
        bad("as_of = 2025-11-04", "as_of = nan"),
        (19, "hardening-bad", "as_of", "date"),
    ),
    (
        "infinity as a title",
        bad('title = "A fact under test"', "title = inf"),
        (15, "hardening-bad", "title", "must be text"),
    ),
    ("byte-order mark", b"\xef\xbb\xbf" + bad().encode(), (1, None, None, "byte-order mark")),
    (
        "invalid UTF-8",
        bad().encode().replace(b"A fact under test", b"A fact \xc3\x28 under test"),
        (15, "hardening-bad", "title", "not valid UTF-8"),
    ),
    (
        "lone surrogate escape",
        bad("A fact under test", "A fact \\udc80 under test"),
        (15, "hardening-bad", "title", "not a Unicode scalar value"),
    ),
    (
        "bidi override",
        bad("A fact under test", "A fact \u202eunder test"),
        (15, "hardening-bad", "title", "U+202E"),
    ),
    (
        "control character",
        bad("An answer under test.", "An answer\\u0000 under test."),
        (16, "hardening-bad", "answer", "U+0000"),
    ),
    (
        "mass mention",
        bad("An answer under test.", "@everyone an answer under test."),
        (16, "hardening-bad", "answer", "mention"),
    ),
    (
        "oversized field",
        bad("An answer under test.", "x" * 1501),
        (16, "hardening-bad", "answer", "the limit is 1500"),
    ),
    (
        "oversized file",
        bad() + "#" * MAX_FILE_BYTES,
        (None, None, None, "larger than"),
    ),
    (
        "deep nesting",
        bad('keys = ["hardening bad key"]', "keys = " + "[" * 100_000),
        (None, None, None, "nested too deeply"),
    ),
    (
        "unknown field",
        bad("answer =", "answre ="),
        (16, "hardening-bad", "answre", "unknown field 'answre'"),
    ),
    (
        "unknown top-level table",
        bad() + "\n[settings]\nadmin = true\n",
        (25, None, "settings", "unknown top-level entry"),
    ),
    (
        "quote not in its document",
        bad(f'quote = "{QUOTE}"', 'quote = "JNIM is led by nobody"'),
        (23, "hardening-bad", "sources[0].quote", "not found verbatim"),
    ),
]
IDS = [case for case, _, _ in CASES]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database built once from the shipped seeds."""
    path = tmp_path_factory.mktemp("template") / "sitrep.db"
    open_desk(path, BUNDLED_SEEDS).close()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    """A copy of the seeded database."""
    path = tmp_path / "sitrep.db"
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return path


def assert_named(
    err: str, file: Path, where: tuple[int | None, str | None, str | None, str]
) -> None:
    """stderr has a line naming the file (and line), fact id and field, with the message."""
    line, fact_id, field, fragment = where
    place = f"sitrep: {file}:{line}" if line else f"sitrep: {file}"
    for text in err.splitlines():
        if (
            text.startswith(place)
            and (fact_id is None or f"fact {fact_id!r}" in text)
            and (field is None or f"field {field!r}" in text)
            and fragment in text
        ):
            return
    pytest.fail(f"no line naming {place} {fact_id} {field} ~{fragment!r} in:\n{err}")


def content_bytes(content: str | bytes) -> bytes:
    """File content as written to disk (text as UTF-8)."""
    return content if isinstance(content, bytes) else content.encode()


def test_the_valid_fact_alone_imports(db: Path, tmp_path: Path) -> None:
    """Control: the valid half of every case imports, so "nothing written" means something."""
    path = tmp_path / "valid.toml"
    path.write_text(VALID)
    before = dump(db)
    code, out, err = cli(db, "import", str(path))
    assert (code, err) == (0, "") and "1 were added: hardening-valid" in out
    assert dump(db) != before


@pytest.mark.parametrize(("content", "where"), [c[1:] for c in CASES], ids=IDS)
def test_import_of_a_malformed_file_names_it_and_writes_nothing(
    db: Path,
    tmp_path: Path,
    content: str | bytes,
    where: tuple[int | None, str | None, str | None, str],
) -> None:
    """`sitrep import FILE` exits 1 with file, line, fact and field; the database is untouched."""
    path = tmp_path / "upload.toml"
    path.write_bytes(content_bytes(content))
    before = dump(db)
    code, out, err = cli(db, "import", str(path))
    assert (code, out) == (1, "")
    assert_named(err, path, where)
    assert dump(db) == before


@pytest.mark.parametrize(("content", "where"), [c[1:] for c in CASES], ids=IDS)
def test_load_of_a_seeds_dir_with_a_malformed_file_writes_nothing(
    db: Path,
    tmp_path: Path,
    content: str | bytes,
    where: tuple[int | None, str | None, str | None, str],
) -> None:
    """`sitrep load DIR` with the bad file among the shipped ones: exit 1, named, untouched."""
    seeds = tmp_path / "seeds"
    shutil.copytree(BUNDLED_SEEDS, seeds)
    path = seeds / "facts" / "zz-extra.toml"
    path.write_bytes(content_bytes(content))
    before = dump(db)
    code, out, err = cli(db, "load", str(seeds))
    assert (code, out) == (1, "")
    assert_named(err, path, where)
    assert dump(db) == before


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, and the schema version."""
    return {**table_rows(path), "user_version": [(schema_version(path),)]}
