"""The `sitrep` command: the same engine as the Discord bot, from the terminal.

Run `sitrep COMMAND --help` for each command's options. With no database yet, the first
command creates one from the bundled seeds, so `sitrep ask "who leads JNIM"` works right
after installing.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sqlite3
import sys
import time as time_module
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from knowledge.curation.curator import Curator
from knowledge.curation.export import write_fact_files
from knowledge.curation.files import check_seeds
from knowledge.curation.history import history_to_text, revision_to_text
from knowledge.desk import Desk, load_seed_dir, open_desk
from knowledge.digest.content import build_digest, render_digest_text
from knowledge.documents.answers import PassageHit
from knowledge.errors import KnowledgeError, StoreBusy, ValidationError, is_busy
from knowledge.matching.text import words
from knowledge.models import Answer
from knowledge.render.passages import passage_answer_to_json, passage_answer_to_text
from knowledge.render.terminal import (
    answer_to_json,
    answer_to_text,
    fact_to_text,
    suggested_keys_to_text,
    topics_to_text,
)
from knowledge.store.backup import DEFAULT_KEEP, backup_dir_for, create_backup, restore_backup
from knowledge.store.db import utc_now

from . import sources_cli
from .config import ConfigError
from .paths import default_db_path, default_seeds_dir

log = logging.getLogger("sitrep")
Handler = Callable[[argparse.Namespace, TextIO], int]


class UsageError(Exception):
    """The command line is wrong; the message says how."""


def _desk(args: argparse.Namespace) -> Desk:
    return open_desk(args.db, args.seeds)


def _with_desk(
    handler: Callable[[argparse.Namespace, TextIO, Desk], int],
) -> Handler:
    """A command handler given the opened desk (its docstring is the command's help)."""

    def run(args: argparse.Namespace, out: TextIO) -> int:
        return handler(args, out, _desk(args))

    run.__doc__ = handler.__doc__
    return run


def cmd_ask(args: argparse.Namespace, out: TextIO) -> int:
    """Answer a question: the best-matching fact with its sources, or close topics."""
    desk = _desk(args)
    if args.query == ["-"]:
        return _ask_batch(desk, sys.stdin.buffer, out, as_json=args.json)
    query = _unicode(" ".join(args.query))
    if not words(query):
        raise UsageError('ask needs a question, e.g. sitrep ask "who leads JNIM"')
    answer, hit = desk.answer(query, log=False)
    if args.explain:
        for s in desk.explain(query):
            print(
                f"{s.score:6.1f}  cov={s.coverage:.2f} head={s.head_coverage:.2f} "
                f"sim={s.similarity:.2f} missing={list(s.missing)}  {s.fact_id}",
                file=out,
            )
    print(_render(desk, answer, hit, as_json=args.json), file=out)
    return 0


def _render(desk: Desk, answer: Answer, hit: PassageHit | None, *, as_json: bool) -> str:
    """An answer as one JSON line or as text; a passage answers what no fact does."""
    if as_json:
        obj = passage_answer_to_json(answer, hit) if hit else answer_to_json(answer, desk.today())
        return _json_line(obj)
    return passage_answer_to_text(hit) if hit else answer_to_text(answer, desk.today())


# Line breaks that json.dumps leaves raw inside strings (it escapes only U+0000–U+001F), but
# that str.splitlines() and some JSON-lines readers split on.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_line(obj: object) -> str:
    """``obj`` as JSON on exactly one line, whatever line separators its strings hold."""
    return json.dumps(obj, ensure_ascii=False).translate(_LINE_BREAKS)


def _unicode(text: str) -> str:
    """An argument as valid Unicode, as batch mode reads lines: bytes that were not UTF-8
    (Python keeps them as lone surrogates) become U+FFFD, so the JSON printed is UTF-8."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that is not an escaped byte
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", errors="replace")


def _ask_batch(desk: Desk, stream: object, out: TextIO, *, as_json: bool) -> int:
    """One answer per input line, in order, flushed line by line; a bad line never stops it."""
    for raw in stream:  # type: ignore[attr-defined]
        # Undecodable bytes become U+FFFD: the line is still answered, never skipped.
        query = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            line = _render(desk, *desk.answer(query, log=False), as_json=as_json)
        except (KnowledgeError, sqlite3.Error) as exc:
            # The line gets its error in place of an answer, and the batch goes on.
            reason = _database_message(exc)
            line = _json_line({"status": "error", "query": query, "error": reason})
            line = line if as_json else f"sitrep: {reason}"
        print(line + ("" if as_json else "\n"), file=out)
        out.flush()
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    """Show one fact by id, with every source and quote."""
    desk = _desk(args)
    print(fact_to_text(desk.fact(args.id), desk.today()), file=out)
    return 0


def cmd_topics(args: argparse.Namespace, out: TextIO) -> int:
    """List the active facts, grouped by tag."""
    print(topics_to_text(_desk(args).topics()), file=out)
    return 0


def cmd_reindex(args: argparse.Namespace, out: TextIO) -> int:
    """Rebuild the search indexes of facts and passages from the database; safe to interrupt
    (each index is rebuilt in one transaction) and to run again."""
    desk = _desk(args)
    started = time_module.perf_counter()
    show = sys.stderr.isatty()

    def progress(what: str, done: int, total: int) -> None:
        if show:
            sources_cli.progress_bar(done, total, what)

    try:
        facts, passages = desk.reindex(progress)
    finally:
        desk.close()
    seconds = time_module.perf_counter() - started
    print(f"indexed {facts} facts and {passages} passages in {seconds:.1f} s", file=out)
    return 0


def cmd_load(args: argparse.Namespace, out: TextIO) -> int:
    """Sync a seeds directory into the database: validated whole, then all-or-nothing."""
    desk = _desk(args)
    report = load_seed_dir(
        desk.store, args.dir or args.seeds, actor="cli", dry_run=args.dry_run, today=desk.today()
    )
    verb = "would be" if report.dry_run else "were"
    for name in ("added", "changed", "unchanged", "retired"):
        ids: tuple[str, ...] = getattr(report, name)
        listed = f": {', '.join(ids)}" if ids and name != "unchanged" else ""
        print(f"{len(ids):4d} {verb} {name}{listed}", file=out)
    return 0


def cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    """Validate every fact file; list every problem with file, line, fact id and field."""
    # Today as the store reckons it (UTC): an as_of after it would be refused by load.
    problems = check_seeds(args.dir or args.seeds, today=utc_now().date())
    for problem in problems:
        print(problem, file=out)
    print(f"{len(problems)} problem(s)" if problems else "ok: every fact file is valid", file=out)
    return 1 if problems else 0


def cmd_export(args: argparse.Namespace, out: TextIO) -> int:
    """Write the database's facts as fact files that `sitrep load DIR` reads back unchanged."""
    desk = _desk(args)
    paths = write_fact_files(
        args.dir, desk.store.facts(include_retired=False), desk.store.documents().values()
    )
    print(f"wrote {len(paths)} file(s) to {args.dir}", file=out)
    return 0


def _curator(desk: Desk) -> Curator:
    """Moderator actions from the terminal, recorded as ``cli:<os user>``."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (e.g. a container without a passwd entry)
        user = "unknown"
    return Curator(desk.store, f"cli:{user}", today=desk.today())


def cmd_history(args: argparse.Namespace, out: TextIO) -> int:
    """Show every revision of a fact, newest first: who, when, and what changed."""
    desk = _desk(args)
    try:
        print(history_to_text(_curator(desk).history(args.id)), file=out)
    finally:
        desk.close()
    return 0


def cmd_revert(args: argparse.Namespace, out: TextIO) -> int:
    """Bring a fact back to its state right after revision REV, as a new revision."""
    desk = _desk(args)
    try:
        outcome = _curator(desk).revert(args.id, args.rev, reason=args.reason)
    finally:
        desk.close()
    if outcome.revision is None:
        print(f"{args.id} already is as it was after rev {args.rev}: nothing changed", file=out)
    else:
        print(revision_to_text(outcome.revision), file=out)
    return 0


def cmd_keys(args: argparse.Namespace, out: TextIO) -> int:
    """Show the question keys suggested for a fact from its own words; --accept adds them
    (one revision)."""
    desk = _desk(args)
    try:
        curator = _curator(desk)
        suggested = curator.suggested_keys(args.id)
        if not suggested:
            print(f"{args.id}: no question keys to suggest", file=out)
            return 0
        if not args.accept:
            print(suggested_keys_to_text(suggested), file=out)
            print(f"Add them with: sitrep keys {args.id} --accept", file=out)
            return 0
        outcome = curator.add_keys(args.id, suggested, reason=args.reason or "suggested keys")
    finally:
        desk.close()
    if outcome.revision is None:
        print(f"{args.id}: nothing to add (the keys are taken or the fact is full)", file=out)
    else:
        print(revision_to_text(outcome.revision), file=out)
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    """Import one fact file: checked whole first, then all of it or nothing."""
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    desk = _desk(args)
    try:
        curator = _curator(desk)
        if args.dry_run:
            report = curator.plan_import(data, str(args.file), replace=args.replace).report
        else:  # the store checks the whole set again before it writes: no dry run first
            report = curator.import_file(data, str(args.file), replace=args.replace)
    finally:
        desk.close()
    verb = "would be" if args.dry_run else "were"
    for name in ("added", "changed", "unchanged", "retired"):
        ids: tuple[str, ...] = getattr(report, name)
        listed = f": {', '.join(ids)}" if ids and name != "unchanged" else ""
        print(f"{len(ids):4d} {verb} {name}{listed}", file=out)
    return 0


def cmd_digest(args: argparse.Namespace, out: TextIO) -> int:
    """Preview the digest: fact changes, new documents, reviews due, most asked, passage answers,
    unanswered, feedback."""
    if not args.preview:
        raise UsageError("the bot posts digests; the command line can only --preview them")
    desk = _desk(args)
    try:
        until = desk.clock()
        since = args.since or desk.store.digests.since(args.guild) or until - timedelta(days=1)
        if since > until:
            raise UsageError(f"--since {since.date().isoformat()} is in the future")
        inputs = desk.store.digests.inputs(since, until, guild_id=args.guild)
        digest = build_digest(
            inputs, since=since, until=until, today=desk.today(), matcher=desk.matcher
        )
        print(render_digest_text(digest), file=out)
    finally:
        desk.close()
    return 0


def _since_date(text: str) -> datetime:
    """``YYYY-MM-DD`` as the start of that day in UTC."""
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    """Back up the live database with SQLite's backup API; keep the newest N, each checked."""
    directory = args.dir or backup_dir_for(args.db)
    report = create_backup(args.db, directory, keep=args.keep, now=datetime.now(UTC))
    made = report.backup
    print(
        f"backed up {args.db} to {made.path} (schema v{made.schema_version}, {made.facts} "
        f"facts, {made.revisions} revisions, integrity ok)",
        file=out,
    )
    removed = f"; removed {', '.join(p.name for p in report.removed)}" if report.removed else ""
    print(f"{len(report.kept)} backup(s) kept in {directory}{removed}", file=out)
    return 0


def cmd_restore(args: argparse.Namespace, out: TextIO) -> int:
    """Restore a backup into the database (checked first; the current one is saved first)."""
    report = restore_backup(
        args.file, args.db, now=datetime.now(UTC), previous_dir=backup_dir_for(args.db)
    )
    if report.previous is not None:
        state = "" if report.previous.sound else f" (it was damaged: {report.previous.integrity})"
        print(f"saved the database as it was to {report.previous.path}{state}", file=out)
    made = report.source
    print(
        f"restored {made.path} into {args.db} (schema v{made.schema_version}, {made.facts} "
        f"facts, {made.revisions} revisions, integrity ok)",
        file=out,
    )
    return 0


def _keep(text: str) -> int:
    """``--keep``: a whole number of at least 1."""
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of backups from 1 to 10000")
    return int(text)


def cmd_run(args: argparse.Namespace, out: TextIO) -> int:
    """Start the Discord bot with settings from the environment or .env."""
    from .config import load_settings  # Discord is imported only where it is used.
    from .runner import run_bot

    return run_bot(load_settings())


def cmd_sync(args: argparse.Namespace, out: TextIO) -> int:
    """Publish the application commands: to the configured guilds, or everywhere with --global."""
    from .config import load_settings
    from .runner import sync_commands

    return sync_commands(load_settings(), globally=args.globally)


Add = Callable[[str, Handler], argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `sitrep` (every command has --help)."""
    parser = argparse.ArgumentParser(
        prog="sitrep", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="database file (default: $SITREP_DB or the user data directory)",
    )
    parser.add_argument(
        "--seeds", type=Path, default=None, help="seeds directory (default: the bundled seeds)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Handler) -> argparse.ArgumentParser:
        doc = (handler.__doc__ or "").strip()
        p = sub.add_parser(name, help=doc, description=doc)
        p.set_defaults(handler=handler)
        return p

    # In this order in `sitrep --help`.
    _add_lookups(add)
    _add_fact_files(add)
    _add_moderation(add)
    _add_digest(add)
    sources_cli.add_commands(add, _with_desk)
    _add_backups(add)
    _add_discord(add)
    return parser


def _add_lookups(add: Add) -> None:
    """ask, show, topics: questions and lookups."""
    p = add("ask", cmd_ask)
    p.add_argument("query", nargs="+", help='the question; "-" reads one question per line')
    p.add_argument("--json", action="store_true", help="print one JSON object per answer")
    p.add_argument("--explain", action="store_true", help="show the top candidates' scores")
    add("show", cmd_show).add_argument("id", help="the fact's id")
    add("topics", cmd_topics)


def _add_fact_files(add: Add) -> None:
    """load, check, export: seeds directories in and out."""
    p = add("load", cmd_load)
    p.add_argument("dir", nargs="?", type=Path, help="seeds directory (default: --seeds)")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    add("check", cmd_check).add_argument(
        "dir", nargs="?", type=Path, help="seeds directory (default: --seeds)"
    )
    add("export", cmd_export).add_argument("dir", type=Path, help="directory to write into")


def _add_moderation(add: Add) -> None:
    """history, revert, keys, import: moderators' actions from the terminal."""
    add("history", cmd_history).add_argument("id", help="the fact's id")
    p = add("revert", cmd_revert)
    p.add_argument("id", help="the fact's id")
    p.add_argument("rev", type=int, help="the revision whose state to bring back")
    p.add_argument("--reason", default="", help="why (kept with the revision)")
    p = add("keys", cmd_keys)
    p.add_argument("id", help="the fact's id")
    p.add_argument("--accept", action="store_true", help="add the suggested keys to the fact")
    p.add_argument("--reason", default="", help="why (kept with the revision)")
    p = add("import", cmd_import)
    p.add_argument("file", type=Path, help="a fact file (TOML), e.g. from /fact export")
    p.add_argument("--dry-run", action="store_true", help="report what would change; write nothing")
    p.add_argument(
        "--replace", action="store_true", help="also retire active facts the file does not contain"
    )


def _add_digest(add: Add) -> None:
    """digest --preview."""
    p = add("digest", cmd_digest)
    p.add_argument("--preview", action="store_true", help="print the digest instead of posting it")
    p.add_argument(
        "--since",
        type=_since_date,
        metavar="YYYY-MM-DD",
        help="start of the period (default: the end of the last digest, or 1 day ago)",
    )
    p.add_argument(
        "--guild",
        type=int,
        metavar="ID",
        help="only this server's questions and feedback, since its last digest",
    )


def _add_backups(add: Add) -> None:
    """backup, restore, reindex: keeping the database."""
    p = add("backup", cmd_backup)
    p.add_argument(
        "--dir", type=Path, help="where backups go (default: backups/ beside the database)"
    )
    p.add_argument(
        "--keep",
        type=_keep,
        default=DEFAULT_KEEP,
        metavar="N",
        help=f"how many backups to keep, newest first (default: {DEFAULT_KEEP})",
    )
    add("restore", cmd_restore).add_argument(
        "file", type=Path, help="a backup made by sitrep backup (stop the bot first)"
    )
    add("reindex", cmd_reindex)


def _add_discord(add: Add) -> None:
    """run, sync: the Discord bot."""
    add("run", cmd_run)
    add("sync", cmd_sync).add_argument(
        "--global", dest="globally", action="store_true", help="sync to every guild (slow to show)"
    )


def _database_message(error: Exception) -> str:
    """A core error's own text; SQLite's errors in a sentence (busy: try again)."""
    if isinstance(error, KnowledgeError):
        return str(error)
    if is_busy(error):
        return str(StoreBusy())
    return f"database error: {error}"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of `sitrep`; returns the exit status (0 ok, 1 error, 2 usage)."""
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    args.db = args.db or default_db_path(os.environ)
    args.seeds = args.seeds or default_seeds_dir(os.environ)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args, out))
    except (UsageError, ConfigError) as exc:
        # Exit 2 is also what the systemd unit does not retry: a bad setting needs a person.
        print(f"sitrep: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for problem in exc.problems:
            print(f"sitrep: {problem}", file=sys.stderr)
        return 1
    except (KnowledgeError, sqlite3.Error) as exc:
        print(f"sitrep: {_database_message(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
