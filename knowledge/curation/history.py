"""Revisions as people read them: who changed what, when, as a compact diff.

A revision keeps a fact's full state before and after (see ``store.rows.fact_state``); this
module compares the two field by field. Text fields show only the changed words with a
little context, lists show the items added and removed, and flags show ``old → new``. The
result is plain lines in the ``diff`` convention (``-`` removed, ``+`` added), which a
terminal prints as is and Discord colours inside a ```diff block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Final

from ..models import Revision

CONTEXT_WORDS: Final = 4
"""Unchanged words kept on each side of a change in a text field."""

# The order fields are listed in, curated content first.
FIELDS: Final = (
    "title",
    "answer",
    "keys",
    "tags",
    "as_of",
    "review_by",
    "sources",
    "status",
    "locked",
)
_TEXT_FIELDS: Final = frozenset({"title", "answer"})
_LIST_FIELDS: Final = frozenset({"keys", "tags", "sources"})
_ACTIONS: Final[Mapping[str, str]] = {
    "add": "added",
    "edit": "edited",
    "add_key": "key added",
    "remove_key": "key removed",
    "add_source": "source added",
    "remove_source": "source removed",
    "retire": "retired",
    "restore": "restored",
    "lock": "locked",
    "unlock": "unlocked",
    "revert": "reverted",
    "load": "loaded from a file",
}


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """How one field changed: the parts removed and added, or a one-line ``old → new``."""

    field: str
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    inline: str = ""  # set instead of removed/added for short values (dates, flags)
    note: str = ""  # e.g. "order changed" when a list kept its items but not their order


def action_label(action: str) -> str:
    """A revision's action in words ("edit" → "edited")."""
    return _ACTIONS.get(action, action.replace("_", " "))


def source_line(source: Mapping[str, Any]) -> str:
    """A source of a fact state on one line: where it is and the quote."""
    where = source.get("document") or source.get("url") or "?"
    return f"{where} “{source.get('quote', '')}”"


def _words_diff(old: str, new: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The changed stretches of two texts, each with a few words of context, "…" for cuts."""
    a, b = old.split(), new.split()
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    removed: list[str] = []
    added: list[str] = []
    for group in matcher.get_grouped_opcodes(CONTEXT_WORDS):
        a1, a2 = group[0][1], group[-1][2]
        b1, b2 = group[0][3], group[-1][4]
        if a1 < a2:
            removed.append(_excerpt(a, a1, a2))
        if b1 < b2:
            added.append(_excerpt(b, b1, b2))
    return tuple(removed), tuple(added)


def _excerpt(words: Sequence[str], start: int, end: int) -> str:
    head = "…" if start > 0 else ""
    tail = "…" if end < len(words) else ""
    return head + " ".join(words[start:end]) + tail


def _items(name: str, value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    if name == "sources":
        return [source_line(s) for s in value if isinstance(s, Mapping)]
    return [str(item) for item in value]


def _flag(name: str, value: object) -> str:
    if name == "locked":
        return "locked" if value else "unlocked"
    return "none" if value is None or value == "" else str(value)


def field_diff(name: str, old: object, new: object) -> FieldDiff | None:
    """How field ``name`` changed from ``old`` to ``new`` (``None``: it did not)."""
    if old == new:
        return None
    if name in _LIST_FIELDS:
        before, after = _items(name, old), _items(name, new)
        removed = tuple(item for item in before if item not in after)
        added = tuple(item for item in after if item not in before)
        note = "" if removed or added else "order changed"
        return FieldDiff(name, removed, added, note=note)
    if name in _TEXT_FIELDS:
        if not old:
            return FieldDiff(name, added=(str(new or ""),))
        removed, added = _words_diff(str(old), str(new or ""))
        return FieldDiff(name, removed, added)
    return FieldDiff(name, inline=f"{_flag(name, old)} → {_flag(name, new)}")


def diff_states(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> list[FieldDiff]:
    """Every field that differs between two fact states, in :data:`FIELDS` order.

    ``before=None`` (a new fact) lists the whole fact as added; status and lock are left
    out then, since every new fact starts active and unlocked.
    """
    old = before or {}
    new = after or {}
    diffs: list[FieldDiff] = []
    for name in FIELDS:
        if before is None and name in ("status", "locked"):
            continue
        if before is None and name == "review_by" and new.get(name) is None:
            continue
        if before is None and name in ("as_of", "review_by"):
            diffs.append(FieldDiff(name, inline=_flag(name, new.get(name))))
            continue
        diff = field_diff(name, old.get(name), new.get(name))
        if diff is not None:
            diffs.append(diff)
    return diffs


def diff_lines(diffs: Sequence[FieldDiff]) -> list[str]:
    """The diffs as lines: ``field: old → new``, or a ``field:`` header and -/+ lines."""
    lines: list[str] = []
    for diff in diffs:
        if diff.inline:
            lines.append(f"{diff.field}: {diff.inline}")
            continue
        lines.append(f"{diff.field}:" + (f" {diff.note}" if diff.note else ""))
        lines += [f"- {part}" for part in diff.removed]
        lines += [f"+ {part}" for part in diff.added]
    return lines


def revision_diff(revision: Revision) -> list[str]:
    """What a revision changed, as :func:`diff_lines`."""
    return diff_lines(diff_states(revision.before, revision.after))


def revision_heading(revision: Revision) -> str:
    """``rev 3 · edited · 2025-12-01 12:00 UTC · by cli:ana``: a revision on one line."""
    when = revision.at.strftime("%Y-%m-%d %H:%M UTC")
    return f"rev {revision.rev} · {action_label(revision.action)} · {when} · by {revision.actor}"


def revision_to_text(revision: Revision) -> str:
    """A revision for the terminal: its heading, its reason, and its diff indented."""
    lines = [revision_heading(revision)]
    if revision.reason:
        lines.append(f"  reason: {revision.reason}")
    lines += [f"  {line}" for line in revision_diff(revision)] or ["  (no change in content)"]
    return "\n".join(lines)


def history_to_text(revisions: Sequence[Revision]) -> str:
    """A fact's history for `sitrep history`, newest first."""
    if not revisions:
        return "No revisions recorded."
    return "\n\n".join(revision_to_text(rev) for rev in reversed(revisions))
