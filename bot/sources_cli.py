"""`sitrep ingest`, `sitrep sources`, `sitrep promote`: source documents from the terminal."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from knowledge.curation.export import fact_to_toml
from knowledge.desk import Desk
from knowledge.documents.errors import DocumentError, DuplicateDocument
from knowledge.documents.meta import document_meta
from knowledge.documents.promote import propose
from knowledge.documents.read import MAX_BYTES, read_capped, read_text
from knowledge.matching.questions import question_forms
from knowledge.render.terminal import suggested_keys_to_text

Handler = Callable[[argparse.Namespace, TextIO], int]
# Past this many files, or this many bytes in all, ingest shows a progress bar on a terminal.
_PROGRESS_FILES = 3
_PROGRESS_BYTES = 1024 * 1024


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def progress_bar(done: int, total: int, label: str) -> None:
    """A one-line bar on stderr, redrawn in place."""
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "." * (width - filled)
    end = "\n" if done == total else ""
    print(f"\r[{bar}] {done}/{total} {label[:40]:<40}", end=end, file=sys.stderr, flush=True)


def _read_file(path: Path) -> bytes:
    with path.open("rb") as stream:
        return read_capped(stream, str(path), limit=MAX_BYTES)


def cmd_ingest(args: argparse.Namespace, out: TextIO, desk: Desk) -> int:
    """Add source documents (text, Markdown, HTML): stored whole, split into passages."""
    fields = {
        "id": args.id,
        "title": args.title,
        "publisher": args.publisher,
        "date": args.date,
        "url": args.url,
    }
    if args.id and len(args.files) > 1:
        raise DuplicateDocument(str(args.files[1]), "--id names one document; give one file")
    sizes = [path.stat().st_size if path.is_file() else 0 for path in args.files]
    show = sys.stderr.isatty() and (
        len(args.files) >= _PROGRESS_FILES or sum(sizes) >= _PROGRESS_BYTES
    )
    failed = 0
    seen: set[str] = set()
    for done, path in enumerate(args.files, 1):
        try:
            if not path.is_file():
                raise DocumentError(str(path), "no such file")
            read = read_text(_read_file(path), str(path))
            meta = document_meta(path.name, fields, read)
            if meta.id in seen:
                raise DuplicateDocument(str(path), f"id {meta.id!r} was given twice")
            seen.add(meta.id)
            result = desk.documents.ingest(read, meta, actor=_actor(), file_name=path.name)
        except DocumentError as exc:
            failed += 1
            print(f"sitrep: {exc}", file=sys.stderr)
            continue
        finally:
            if show:
                progress_bar(done, len(args.files), path.name)
        print(
            f"{result.outcome:12s} {result.document_id} v{result.version}"
            f" ({result.passages} passages)",
            file=out,
        )
    return 1 if failed else 0


def cmd_sources(args: argparse.Namespace, out: TextIO, desk: Desk) -> int:
    """List ingested source documents: id, version, passages, date, title."""
    rows = desk.documents.sources(include_removed=args.all)
    if not rows:
        print("no source documents yet: add one with sitrep ingest FILE", file=out)
    for row in rows:
        date = row.meta.published.isoformat() if row.meta.published else "-"
        flag = "" if row.status == "active" else f" [{row.status}]"
        print(
            f"{row.meta.id}  v{row.version}  {row.passages:4d} passages  {date}  "
            f"{row.meta.title}{flag}  (by {row.ingested_by}, {row.ingested_at:%Y-%m-%d %H:%M})",
            file=out,
        )
    return 0


def cmd_remove_source(args: argparse.Namespace, out: TextIO, desk: Desk) -> int:
    """Stop a source document answering questions (kept for the quotes that cite it)."""
    changed = desk.documents.remove(args.id, actor=_actor())
    print(f"{args.id}: {'removed' if changed else 'was already removed'}", file=out)
    return 0


def cmd_promote(args: argparse.Namespace, out: TextIO, desk: Desk) -> int:
    """Propose a fact from a document's passage (by offsets), with suggested question keys;
    --save adds it, --accept-keys with the suggested keys among its keys."""
    passage, meta, text = desk.documents.passage(args.document, args.start, args.end)
    fact = propose(passage, meta, text, today=desk.today())
    if args.id:
        fact = replace(fact, id=args.id)
    suggested = question_forms(fact)
    if args.accept_keys:
        fact = replace(fact, keys=(*fact.keys, *suggested))
    if not args.save:
        print(fact_to_toml([fact]), file=out, end="")
        if suggested and not args.accept_keys:
            print(suggested_keys_to_text(suggested, comment=True), file=out)
        print("# Edit as needed, then add it with: sitrep import FILE", file=out)
        return 0
    saved = desk.store.add(fact, actor=_actor(), reason=f"promoted from {passage.id}")
    print(f"added fact {saved.id!r} (rev {saved.rev}) from {passage.id}", file=out)
    if suggested and not args.accept_keys:
        print(suggested_keys_to_text(suggested), file=out)
        print(f"Add them with: sitrep keys {saved.id} --accept", file=out)
    return 0


def add_commands(
    add: Callable[[str, Handler], argparse.ArgumentParser],
    bind: Callable[[Callable[[argparse.Namespace, TextIO, Desk], int]], Handler],
) -> None:
    """Register the source-document commands on the `sitrep` parser."""
    p = add("ingest", bind(cmd_ingest))
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".txt, .md or .html")
    p.add_argument("--title", help="the document's title (default: its own heading)")
    p.add_argument("--publisher", help="who published it")
    p.add_argument("--date", metavar="YYYY-MM-DD", help="when it was published")
    p.add_argument("--url", help="where it is published (http or https)")
    p.add_argument("--id", help="the document's id (default: from the file name)")
    add("sources", bind(cmd_sources)).add_argument(
        "--all", action="store_true", help="also list removed documents"
    )
    add("unsource", bind(cmd_remove_source)).add_argument("id", help="the document's id")
    p = add("promote", bind(cmd_promote))
    p.add_argument("document", help="the document's id")
    p.add_argument("start", type=int, help="the passage's start offset")
    p.add_argument("end", type=int, help="the passage's end offset")
    p.add_argument("--id", help="the new fact's id (default: from its title)")
    p.add_argument("--save", action="store_true", help="add the fact instead of printing it")
    p.add_argument(
        "--accept-keys",
        action="store_true",
        help="add the suggested question keys to the fact's keys",
    )
