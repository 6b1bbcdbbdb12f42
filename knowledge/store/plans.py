"""What a load or an import would write, worked out from values before anything is written.

:func:`plan_sync` is the pure half of :meth:`FactStore.sync <knowledge.store.facts.FactStore.sync>`:
given the stored facts and documents and the incoming set, it checks everything (raising
before any write) and returns the report and the writes, which the store then makes in one
transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from ..errors import FactLocked, Problem
from ..models import Document, Fact, SyncReport
from ..validation import fact_problem_list
from .checks import document_problems, key_clashes, own_key_problems, raise_problems
from .rows import fact_state


@dataclass(frozen=True, slots=True)
class Write:
    """One planned fact write: the state before (``None``: new) and after."""

    before: Fact | None
    after: Fact
    reason: str = ""


def plan_sync(
    docs: Sequence[Document],
    incoming: Sequence[Fact],
    *,
    known: Mapping[str, Document],
    existing: Mapping[str, Fact],
    retire_missing: bool,
    today: date,
) -> tuple[SyncReport, list[Write]]:
    """The report and the writes of a sync; :class:`ValidationError` or :class:`FactLocked` first.

    ``known`` is every document the facts may cite (the stored ones updated with ``docs``),
    ``existing`` every stored fact by id, retired ones included.
    """
    problems = document_problems(docs) + _set_problems(incoming, known, today)
    kept = [] if retire_missing else _missing(existing, incoming)
    # Facts staying as they are claim their keys first: a clash is the newcomer's to fix.
    problems += key_clashes([*kept, *incoming])
    raise_problems(problems)
    added, changed, unchanged, writes = _classify(existing, incoming)
    retired: list[str] = []
    if retire_missing:
        for old in _missing(existing, incoming):
            retired.append(old.id)
            gone = replace(old, status="retired", rev=old.rev + 1)
            writes.append(Write(old, gone, "missing from the loaded set"))
    locked = sorted(w.after.id for w in writes if w.before is not None and w.before.locked)
    if locked:
        raise FactLocked(locked[0])
    report = SyncReport(
        added=tuple(sorted(added)),
        changed=tuple(sorted(changed)),
        unchanged=tuple(sorted(unchanged)),
        retired=tuple(sorted(retired)),
    )
    return report, writes


def _set_problems(
    incoming: Sequence[Fact], known: Mapping[str, Document], today: date
) -> list[Problem]:
    """Every problem of every fact in a set, duplicate ids included."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for fact in incoming:
        if fact.id in seen:
            problems.append(Problem("duplicate fact id", fact_id=fact.id, field="id"))
        seen.add(fact.id)
        problems += fact_problem_list(fact, known, today=today) + own_key_problems(fact)
    return problems


def _missing(existing: Mapping[str, Fact], incoming: Sequence[Fact]) -> list[Fact]:
    """Active stored facts that the incoming set does not mention."""
    ids = {fact.id for fact in incoming}
    return [fact for fact in existing.values() if fact.status == "active" and fact.id not in ids]


def _classify(
    existing: Mapping[str, Fact], incoming: Sequence[Fact]
) -> tuple[list[str], list[str], list[str], list[Write]]:
    """Sort the incoming facts into added, changed and unchanged, with the writes needed."""
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    writes: list[Write] = []
    for fact in incoming:
        old = existing.get(fact.id)
        if old is None:
            added.append(fact.id)
            writes.append(Write(None, replace(fact, status="active", locked=False, rev=1)))
            continue
        new = replace(fact, status="active", locked=old.locked, rev=old.rev)
        if fact_state(new) == fact_state(old):
            unchanged.append(fact.id)
        else:
            changed.append(fact.id)
            writes.append(Write(old, replace(new, rev=old.rev + 1)))
    return added, changed, unchanged, writes
