"""Helpers for tests that drive the `sitrep` CLI in-process and compare database files."""

from __future__ import annotations

import io
import sqlite3
import sys
from pathlib import Path

from bot.cli import main

Rows = dict[str, list[tuple[object, ...]]]


def cli(db: Path, *argv: str) -> tuple[int, str, str]:
    """Run `sitrep --db DB ...` in-process; returns (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        code = main(["--db", str(db), *argv], out=out)
    finally:
        sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def table_rows(path: Path) -> Rows:
    """Every row of every table, in a stable order, to compare logical states."""
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1, 2').fetchall() for n in names}
    finally:
        conn.close()


def schema_version(path: Path) -> int:
    """The database's PRAGMA user_version."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def set_version(path: Path, version: int) -> None:
    """Stamp a database with another schema version."""
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
