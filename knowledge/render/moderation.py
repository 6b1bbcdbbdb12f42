"""What moderators see, as plain data: change diffs, history pages, import summaries, problems."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..curation.drafts import field_label
from ..curation.history import action_label, revision_diff
from ..errors import Problem
from ..models import Fact, Revision, SyncReport
from .answers import source_label
from .parts import (
    CHOICE_LIMIT,
    CHOICES_PER_RESPONSE,
    COLOUR_INFO,
    CONTENT_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    Choice,
    EmbedPart,
    Field,
    Reply,
    clean,
    curated,
    echo,
    escape_markdown,
    fit_lines,
    neutralize_mentions,
    plain,
    shorten,
)

COLOUR_CHANGE = 0x2F855A
COLOUR_WARN = 0xC05621
HISTORY_PER_PAGE = 5
MAX_PROBLEMS_SHOWN = 10
_DIFF_LINE_LIMIT = 300  # one changed answer can be long; the rest of the diff deserves room
_ACTOR_RE = re.compile(r"discord:(\d{15,21})")


def actor_label(actor: str) -> str:
    """Who made a change: a Discord user as a mention (embeds never ping), others as text."""
    match = _ACTOR_RE.fullmatch(actor)
    return f"<@{match.group(1)}>" if match else escape_markdown(plain(actor, 100))


def _code_safe(line: str) -> str:
    """One line that cannot leave a code block or ping, whatever a fact once contained."""
    text = neutralize_mentions(clean(line, newlines=False))
    return shorten(text.replace("```", "`\u200b`\u200b`"), _DIFF_LINE_LIMIT)


def diff_block(lines: Sequence[str], limit: int) -> str:
    """Diff lines as a ```diff block of at most ``limit`` characters, cut at whole lines."""
    opening, closing = "```diff\n", "\n```"
    safe = [_code_safe(line) for line in lines]
    kept = fit_lines(safe, limit, lambda n: f"… {n} more line(s)", used=len(opening) + len(closing))
    return opening + "\n".join(kept or ["(no change in content)"]) + closing


def render_change(fact: Fact, revision: Revision | None) -> Reply:
    """What an action did, for the moderator and the mod-log: a diff embed, or "no change"."""
    if revision is None:
        text = f"No change: `{fact.id}` already was like that (rev {fact.rev})."
        return Reply(content=text, fact_id=fact.id)
    title = plain(f"Fact {action_label(revision.action)}: {fact.title or fact.id}", TITLE_LIMIT)
    fields = [
        Field("Fact", f"`{fact.id}` · rev {revision.rev}", inline=True),
        Field("By", actor_label(revision.actor), inline=True),
    ]
    if revision.reason:
        fields.append(Field("Reason", shorten(curated(revision.reason), FIELD_VALUE_LIMIT)))
    embed = EmbedPart(
        title=title,
        description=diff_block(revision_diff(revision), 3000),
        fields=tuple(fields),
        footer=_undo_hint(fact.id, revision.rev),
        colour=COLOUR_WARN if revision.action in ("retire", "revert") else COLOUR_CHANGE,
    )
    return Reply(content=f"Done: `{fact.id}` is now at rev {revision.rev}.", embeds=(embed,))


def render_suggested_keys(fact: Fact, keys: Sequence[str]) -> EmbedPart:
    """The question keys suggested for a fact just saved, under its change, to accept with
    one click ("Add suggested keys") or leave."""
    lines = [f"• {escape_markdown(neutralize_mentions(plain(key, 120)))}" for key in keys]
    kept = fit_lines(lines, FIELD_VALUE_LIMIT * 2, lambda n: f"… {n} more")
    return EmbedPart(
        title="Suggested question keys",
        description="\n".join(kept),
        footer=f"Derived from the words of {fact.id}; none is a key until you add them.",
        colour=COLOUR_INFO,
    )


def _undo_hint(fact_id: str, rev: int) -> str:
    undo = f"/fact revert {fact_id} {rev - 1}" if rev > 1 else f"/fact retire {fact_id}"
    return f"Undo: {undo} · all changes: /fact history {fact_id}"


def render_history(fact: Fact, revisions: Sequence[Revision]) -> list[EmbedPart]:
    """A fact's revisions, newest first, :data:`HISTORY_PER_PAGE` to a page (at least one)."""
    newest = list(reversed(revisions))
    title = plain(f"History — {fact.title or fact.id}", TITLE_LIMIT - 8)
    pages: list[EmbedPart] = []
    total = max(1, -(-len(newest) // HISTORY_PER_PAGE))
    for n in range(total):
        chunk = newest[n * HISTORY_PER_PAGE : (n + 1) * HISTORY_PER_PAGE]
        fields = tuple(_revision_field(rev) for rev in chunk)
        footer = f"fact {fact.id} · {len(newest)} revision(s) · page {n + 1}/{total}"
        description = "" if fields else "No revisions recorded."
        page_title = title if total == 1 else f"{title} ({n + 1}/{total})"
        pages.append(
            EmbedPart(page_title, description, fields=fields, footer=footer, colour=COLOUR_INFO)
        )
    return pages


def _revision_field(revision: Revision) -> Field:
    when = revision.at.strftime("%Y-%m-%d %H:%M UTC")
    name = plain(f"rev {revision.rev} · {action_label(revision.action)} · {when}", 256)
    head = f"by {actor_label(revision.actor)}"
    if revision.reason:
        head += " — " + shorten(curated(revision.reason).replace("\n", " "), 200)
    room = FIELD_VALUE_LIMIT - len(head) - 1
    return Field(name, head + "\n" + diff_block(revision_diff(revision), room))


def _id_list(ids: Sequence[str]) -> str:
    """Fact ids as `code`, shortened to fit one field with "…and N more"."""
    out = ""
    for n, fact_id in enumerate(ids):
        item = f"`{fact_id}`"
        more = f"…and {len(ids) - n} more"
        if len(out) + len(item) + 2 + len(more) > FIELD_VALUE_LIMIT:
            return out + more
        out += item + (", " if n < len(ids) - 1 else "")
    return out or "none"


def render_import(report: SyncReport, name: str, *, done: bool, by: str = "") -> EmbedPart:
    """An import's summary: what it would do (a dry run) or what it did, by fact id."""
    verbs = ("Added", "Changed", "Retired") if done else ("Will add", "Will change", "Will retire")
    fields = [
        Field(f"{verb} ({len(ids)})", _id_list(ids))
        for verb, ids in zip(verbs, (report.added, report.changed, report.retired), strict=True)
        if ids
    ]
    fields.append(Field("Unchanged", str(len(report.unchanged)), inline=True))
    if by:
        fields.append(Field("By", actor_label(by), inline=True))
    file = plain(name, 100)
    if done:
        title, footer = f"Imported {file}", "Each changed fact has a revision: /fact history <id>"
    else:
        title = f"Import {file}?"
        footer = "Nothing is written until you confirm; the file is checked again then."
    nothing = not (report.added or report.changed or report.retired)
    return EmbedPart(
        title=shorten(title, TITLE_LIMIT),
        description="The file matches the facts as they are: nothing to do." if nothing else "",
        fields=tuple(fields),
        footer=footer,
        colour=COLOUR_CHANGE if done else COLOUR_INFO,
    )


def render_problems(problems: Sequence[Problem], *, limit: int = MAX_PROBLEMS_SHOWN) -> str:
    """Validation problems as a short list a person can act on: where, which field, what."""
    lines = ["That isn't valid yet:"]
    for problem in problems[:limit]:
        where = [f"line {problem.line}"] if problem.line else []
        if problem.fact_id and problem.line:
            where.append(f"fact {problem.fact_id}")
        label = field_label(problem.field)
        if label:
            where.append(label)
        prefix = ", ".join(where)
        text = f"{prefix}: {problem.message}" if prefix else str(problem.message)
        lines.append("• " + echo(text, 300))
    if len(problems) > limit:
        lines.append(f"…and {len(problems) - limit} more.")
    return shorten("\n".join(lines), CONTENT_LIMIT)


def source_choices(fact: Fact) -> list[Choice]:
    """Autocomplete choices for a fact's sources: "2. Title — “quote…”", giving the number."""
    out: list[Choice] = []
    for n, source in enumerate(fact.sources[:CHOICES_PER_RESPONSE], start=1):
        label = f"{n}. {source_label(source)} — “{source.quote}”"
        out.append(Choice(plain(label, CHOICE_LIMIT), str(n)))
    return out


def fact_choices(facts: Iterable[Fact], typed: str) -> list[Choice]:
    """Autocomplete for a fact id over every fact, retired ones marked, best matches first."""
    needle = " ".join(typed.casefold().split())
    scored: list[tuple[int, str, Fact]] = []
    for fact in facts:
        fid, title = fact.id.casefold(), fact.title.casefold()
        if needle and needle not in fid and needle not in title:
            continue
        rank = 0 if fid.startswith(needle) else 1 if needle in fid else 2
        scored.append((rank, fact.id, fact))
    out: list[Choice] = []
    for _, _, fact in sorted(scored)[:CHOICES_PER_RESPONSE]:
        mark = " [retired]" if fact.status == "retired" else ""
        room = CHOICE_LIMIT - len(fact.id) - len(mark) - 3
        out.append(Choice(f"{plain(fact.title, max(room, 1))} ({fact.id}){mark}", fact.id))
    return out
