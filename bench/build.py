"""Building the benchmark's databases: the store itself, its glossary, its queries, its FTS twin.

Two ways to fill a store:

* ``sync``: :meth:`knowledge.store.FactStore.sync`, the real write path (validation, key
  checks, one revision per fact), used for the seed store and small synthetic stores;
* ``bulk``: the same rows written straight into the same schema with ``executemany`` in one
  transaction (``synchronous=OFF``), skipping validation. It exists only here, to make 100k
  and 1M stores in seconds rather than minutes; ``tests/test_bench.py`` checks that both give
  the same facts back.

Built stores are cached under ``bench/results/cache/<name>-s<seed>-g<generator version>/``
(``<name>-<content digest>`` for the seed store), so reruns skip the build.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomli_w

from knowledge.curation.files import load_seeds
from knowledge.curation.sources import load_glossary
from knowledge.models import Document, Fact, Glossary
from knowledge.store.db import open_db
from knowledge.store.facts import FactStore
from knowledge.store.rows import fact_state, normalize_key

from .generate import GENERATOR_VERSION, Query, generate, seed_queries, store_queries

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
RESULTS = REPO / "bench" / "results"
CACHE = RESULTS / "cache"
QUERY_POOL = 5000
"""Queries kept per store; ``--queries`` takes the first N of this shuffled, mixed pool."""
SYNC_LIMIT = 10_000
"""Largest synthetic store built through ``FactStore.sync`` when the method is "auto"."""
ACTOR = "bench"
_STAMP = datetime(2025, 11, 5, tzinfo=UTC).isoformat(timespec="microseconds")

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Size:
    """One benchmark size: ``"seed"`` (the real seed store) or a synthetic fact count."""

    name: str
    facts: int | None

    @property
    def is_seed(self) -> bool:
        """True for the real seed store."""
        return self.facts is None


def parse_size(text: str) -> Size:
    """``"seed"``, ``"200"``, ``"1k"``, ``"10k"``, ``"1M"`` → :class:`Size`."""
    raw = text.strip()
    if raw.lower() == "seed":
        return Size("seed", None)
    multipliers = {"k": 1_000, "m": 1_000_000}
    suffix = raw[-1:].lower()
    try:
        count = int(raw[:-1]) * multipliers[suffix] if suffix in multipliers else int(raw)
    except ValueError:
        raise ValueError(
            f"not a size: {text!r} (use seed, 1k, 10k, 100k, 1M or a number)"
        ) from None
    if count <= 0:
        raise ValueError(f"a size must be positive: {text!r}")
    return Size(_size_name(count), count)


def _size_name(count: int) -> str:
    if count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count % 1_000 == 0:
        return f"{count // 1_000}k"
    return str(count)


@dataclass(frozen=True, slots=True)
class Built:
    """A built store: where its files are and how it was made (``meta``)."""

    size: Size
    directory: Path
    meta: dict[str, Any]

    @property
    def db(self) -> Path:
        """The Sitrep database."""
        return self.directory / "sitrep.db"

    @property
    def seeds_dir(self) -> Path:
        """A seeds directory holding only ``glossary.toml`` (what ``SITREP_SEEDS`` needs)."""
        return SEEDS if self.size.is_seed else self.directory / "seeds"

    @property
    def glossary_path(self) -> Path:
        """The glossary the matcher uses for this store."""
        return self.seeds_dir / "glossary.toml"

    @property
    def work_db(self) -> Path:
        """A per-run copy of :attr:`db` that the desk may write its term index into."""
        return self.directory / "work.db"

    def fresh_work_db(self) -> Path:
        """Replace :attr:`work_db` by a copy of the pristine store (no term index yet).

        The desk keeps its term index in the store's database, so measuring on the cached
        database itself would make every run after the first skip the index build.
        """
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.work_db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.db, self.work_db)
        return self.work_db

    @property
    def fts_db(self) -> Path:
        """The bench-only FTS5 baseline database."""
        return self.directory / "fts.db"

    def queries(self, n: int) -> list[Query]:
        """The first ``n`` queries of the store's pool."""
        data = json.loads((self.directory / "queries.json").read_text(encoding="utf-8"))
        return [Query(q["text"], q["kind"], q["expect"]) for q in data[:n]]


def file_bytes(path: Path) -> int:
    """Size on disk of a SQLite database, its WAL and shared-memory files included."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def seeds_digest(seeds: Path = SEEDS, extra: Iterable[str] = ()) -> str:
    """A short digest of every file under ``seeds`` (and of extra questions), so that an
    edited seed set is rebuilt."""
    h = hashlib.blake2b(digest_size=6)
    for path in sorted(p for p in seeds.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(seeds)).encode())
        h.update(path.read_bytes())
    for question in extra:
        h.update(question.encode() + b"\n")
    return h.hexdigest()


def cache_dir(size: Size, seed: int, root: Path = CACHE, extra: Iterable[str] = ()) -> Path:
    """Where a store of this size and seed is cached (the key includes the generator version).

    The seed store's key is a digest of ``seeds/`` and of any extra seed questions instead.
    """
    if size.is_seed:
        return root / f"seed-{seeds_digest(SEEDS, extra)}-g{GENERATOR_VERSION}"
    return root / f"{size.name}-s{seed}-g{GENERATOR_VERSION}"


def load_built(
    size: Size, seed: int, root: Path = CACHE, extra: Iterable[str] = ()
) -> Built | None:
    """The cached store, if a complete and pristine one exists (else None: rebuild it)."""
    directory = cache_dir(size, seed, root, extra)
    meta_path = directory / "meta.json"
    if not meta_path.exists() or not is_pristine(directory / "sitrep.db"):
        return None
    return Built(size, directory, json.loads(meta_path.read_text(encoding="utf-8")))


def _schema(conn: sqlite3.Connection) -> tuple[int, frozenset[str]]:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    names = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
    return version, frozenset(str(name) for (name,) in names)


def is_pristine(db_path: Path) -> bool:
    """True if the database has exactly the store's current schema and nothing more.

    Anything else means the cache is stale: the schema has moved on since it was built, or
    something (a ``sitrep`` run, a desk) wrote derived tables such as the term index into it,
    which would skew its size and spare the next run the index build.
    """
    if not db_path.exists():
        return False
    fresh = open_db(":memory:")
    try:
        FactStore(fresh)
        expected = _schema(fresh.conn)
    finally:
        fresh.close()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return _schema(conn) == expected
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


def build(
    size: Size,
    seed: int,
    *,
    method: str = "auto",
    root: Path = CACHE,
    extra_seed_questions: Iterable[str] = (),
    progress: Progress = _quiet,
) -> Built:
    """Build (or rebuild) the store of ``size`` into the cache and return it.

    ``method`` is ``sync``, ``bulk`` or ``auto`` (sync up to :data:`SYNC_LIMIT` facts).
    """
    extra = list(extra_seed_questions)
    directory = cache_dir(size, seed, root, extra)
    if size.is_seed:
        # Seed stores are keyed by content: older ones are dead weight once seeds/ changed.
        for stale in root.glob("seed-*"):
            if stale != directory and stale.is_dir():
                shutil.rmtree(stale)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("meta.json", "sitrep.db", "sitrep.db-wal", "sitrep.db-shm", "fts.db", "work.db"):
        (directory / name).unlink(missing_ok=True)
    db_path = directory / "sitrep.db"
    if size.is_seed:
        meta, queries = _build_seed(db_path, seed, extra)
    else:
        assert size.facts is not None
        chosen = method if method != "auto" else ("sync" if size.facts <= SYNC_LIMIT else "bulk")
        meta, queries = _build_synthetic(db_path, size.facts, seed, chosen, progress)
    (directory / "queries.json").write_text(
        json.dumps(
            [{"text": q.text, "kind": q.kind, "expect": q.expect} for q in queries],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    meta.update(
        size=size.name,
        seed=seed,
        generator_version=GENERATOR_VERSION,
        db_bytes=file_bytes(db_path),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    (directory / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return Built(size, directory, meta)


def _build_seed(db_path: Path, seed: int, extra: list[str]) -> tuple[dict[str, Any], list[Query]]:
    started = time.perf_counter()
    fact_set = load_seeds(SEEDS)
    read_s = time.perf_counter() - started
    db = open_db(db_path)
    try:
        started = time.perf_counter()
        store = FactStore(db)
        store.sync(fact_set.documents, fact_set.facts, actor=ACTOR)
        sync_s = time.perf_counter() - started
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    meta = {
        "method": "sync",
        "facts": len(fact_set.facts),
        "documents": len(fact_set.documents),
        "generate_s": read_s,
        "build_s": sync_s,
        "extra_queries": len(extra),
    }
    return meta, seed_queries(fact_set.facts, QUERY_POOL, seed, extra)


def _build_synthetic(
    db_path: Path, count: int, seed: int, method: str, progress: Progress
) -> tuple[dict[str, Any], list[Query]]:
    store = generate(count, seed)
    generate_s = 0.0
    if method == "sync":
        started = time.perf_counter()
        facts = list(store.facts())
        generate_s = time.perf_counter() - started
        db = open_db(db_path)
        try:
            started = time.perf_counter()
            FactStore(db).sync(store.documents, facts, actor=ACTOR)
            build_s = time.perf_counter() - started
            db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    elif method == "bulk":
        timer = _Timed(store.facts())
        started = time.perf_counter()
        bulk_load(db_path, timer, lambda: store.documents, progress=progress, total=count)
        build_s = time.perf_counter() - started - timer.seconds
        generate_s = timer.seconds
    else:
        raise ValueError(f"unknown build method {method!r} (sync, bulk or auto)")
    glossary = store.vocabulary.glossary(load_glossary(SEEDS / "glossary.toml"))
    write_glossary(db_path.parent / "seeds" / "glossary.toml", glossary)
    meta = {
        "method": method,
        "facts": count,
        "documents": len(store.documents),
        "glossary_groups": len(glossary.synonyms),
        "generate_s": generate_s,
        "build_s": build_s,
    }
    return meta, store_queries(store, QUERY_POOL, seed)


class _Timed(Iterator[Fact]):
    """Wraps an iterator and adds up the time spent producing its items."""

    def __init__(self, items: Iterator[Fact]) -> None:
        self._items = items
        self.seconds = 0.0

    def __iter__(self) -> _Timed:
        return self

    def __next__(self) -> Fact:
        started = time.perf_counter()
        try:
            return next(self._items)
        finally:
            self.seconds += time.perf_counter() - started


def write_glossary(path: Path, glossary: Glossary) -> None:
    """Write ``glossary`` as a ``glossary.toml`` that :func:`load_glossary` reads back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"synonyms": [{"terms": list(group)} for group in glossary.synonyms]}
    path.write_bytes(tomli_w.dumps(data).encode())


def bulk_load(
    db_path: Path,
    facts: Iterable[Fact],
    documents: Callable[[], Iterable[Document]],
    *,
    batch: int = 5000,
    progress: Progress = _quiet,
    total: int | None = None,
) -> int:
    """Write ``facts`` (all new, all active) as ``sync`` would, without its checks; return count.

    Same tables and rows as a first ``sync`` of the set: the fact, its keys (with
    ``norm_key``), tags and sources, one ``load`` revision holding the fact's state, the
    documents (read from ``documents()`` after the facts, since synthetic briefs fill up as
    facts are generated) and the ``changes`` counter.
    """
    db = open_db(db_path)
    try:
        FactStore(db)  # creates the schema
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    written = 0
    try:
        # A rollback journal for the load: in WAL mode every page would be written twice (WAL,
        # then checkpoint), which at 1M facts means 5 GB more I/O. The store reopens in WAL.
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB: the key index stays in memory
        conn.execute("BEGIN IMMEDIATE")
        chunk: list[Fact] = []
        for fact in facts:
            chunk.append(fact)
            if len(chunk) >= batch:
                written += _insert(conn, chunk)
                chunk.clear()
                progress(f"{written:,}/{total:,} facts" if total else f"{written:,} facts")
        written += _insert(conn, chunk)
        conn.executemany(
            "INSERT INTO documents (id, title, publisher, published, url, text)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    d.id,
                    d.title,
                    d.publisher,
                    d.published.isoformat() if d.published else None,
                    d.url,
                    d.text,
                )
                for d in documents()
            ],
        )
        conn.execute("UPDATE meta SET value = value + 1 WHERE name = 'changes'")
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    return written


def _insert(conn: sqlite3.Connection, facts: list[Fact]) -> int:
    if not facts:
        return 0
    conn.executemany(
        "INSERT INTO facts (id, title, answer, as_of, review_by, status, locked, rev,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'active', 0, 1, ?, ?)",
        [
            (
                f.id,
                f.title,
                f.answer,
                f.as_of.isoformat(),
                f.review_by.isoformat() if f.review_by else None,
                _STAMP,
                _STAMP,
            )
            for f in facts
        ],
    )
    conn.executemany(
        "INSERT INTO fact_keys (fact_id, position, key, norm_key, active) VALUES (?, ?, ?, ?, 1)",
        [(f.id, i, k, normalize_key(k)) for f in facts for i, k in enumerate(f.keys)],
    )
    conn.executemany(
        "INSERT INTO fact_tags (fact_id, position, tag) VALUES (?, ?, ?)",
        [(f.id, i, t) for f in facts for i, t in enumerate(f.tags)],
    )
    conn.executemany(
        "INSERT INTO fact_sources (fact_id, position, document_id, url, title, publisher,"
        " published, quote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f.id,
                i,
                s.document,
                s.url,
                s.title,
                s.publisher,
                s.published.isoformat() if s.published else None,
                s.quote,
            )
            for f in facts
            for i, s in enumerate(f.sources)
        ],
    )
    conn.executemany(
        "INSERT INTO revisions (fact_id, rev, action, actor, guild_id, at, before, after, reason)"
        " VALUES (?, 1, 'load', ?, NULL, ?, NULL, ?, '')",
        [(f.id, ACTOR, _STAMP, json.dumps(fact_state(f), ensure_ascii=False)) for f in facts],
    )
    return len(facts)


FTS_SCHEMA = (
    "CREATE VIRTUAL TABLE facts_fts USING fts5("
    "fact_id UNINDEXED, title, keys, tags, answer, quotes,"
    " tokenize = 'unicode61 remove_diacritics 2')"
)


def build_fts(db_path: Path, fts_path: Path) -> dict[str, Any]:
    """Build the FTS5 baseline in its own database from the store's active facts.

    One row per fact: title, keys (joined), tags, answer and source quotes. Returns the build
    time and the database's size.
    """
    fts_path.unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(fts_path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("ATTACH DATABASE ? AS src", (str(db_path),))
        conn.execute("BEGIN")
        conn.execute(FTS_SCHEMA)
        conn.execute(
            "INSERT INTO facts_fts (fact_id, title, keys, tags, answer, quotes)"
            " SELECT f.id, f.title,"
            " (SELECT group_concat(key, ' | ') FROM src.fact_keys WHERE fact_id = f.id),"
            " (SELECT group_concat(tag, ' ') FROM src.fact_tags WHERE fact_id = f.id),"
            " f.answer,"
            " (SELECT group_concat(quote, ' | ') FROM src.fact_sources WHERE fact_id = f.id)"
            " FROM src.facts AS f WHERE f.status = 'active' ORDER BY f.id"
        )
        conn.execute("COMMIT")
        conn.execute("INSERT INTO facts_fts (facts_fts) VALUES ('optimize')")
        conn.execute("DETACH DATABASE src")
    finally:
        conn.close()
    return {"fts_build_s": time.perf_counter() - started, "fts_db_bytes": file_bytes(fts_path)}
