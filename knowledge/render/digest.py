"""Digests and gap reports as Discord-ready embeds: plain data, within Discord's limits.

Nothing here imports Discord (the bot turns :class:`~knowledge.layout.EmbedPart` values into
``discord.Embed`` objects). :mod:`knowledge.digest` decides what a digest says and arranges it
as lines (:class:`~knowledge.digest.DigestLayout`); this module decides how those lines sit in
embeds and messages:

* every line is shown literally: markdown is escaped and mentions are broken up, because
  unanswered questions are user text (and fact titles need no markdown either);
* a section is one embed field, continued in a second field when it is longer than a field
  may be; an embed holds at most 25 fields and a message at most 10 embeds and 6000
  characters, so a long digest becomes several messages;
* every embed's footer carries a marker (``Sitrep digest 2026-03-29 · part 1/2``) that names
  the period and the message's place, so the bot can tell after a crash whether (and which
  part of) a digest already reached the channel (:func:`read_marker`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..digest.content import PICKED_TITLE, DigestLayout, Section
from ..digest.gaps import FactFeedback, Gap, GapReport, PickedQuestion
from .parts import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    EmbedPart,
    Field,
    clean,
    echo,
    escape_markdown,
    neutralize_mentions,
    plain,
    shorten,
)

COLOUR_DIGEST = 0x2C7A7B
COLOUR_GAPS = 0x975A16
CONTINUED = " (continued)"
# Room kept in each embed for its footer, which is only known once the parts are counted.
_FOOTER_ROOM = 80
_EMBED_BUDGET = EMBED_TOTAL_LIMIT - _FOOTER_ROOM - TITLE_LIMIT
_MARKER_RE = re.compile(r"^Sitrep digest (?P<key>\S+) · part (?P<part>\d+)/(?P<total>\d+)")
GAPS_SHOWN = 10
"""Gaps listed by ``/fact gaps`` (the most asked first)."""
PICKS_SHOWN = 5
"""Picked questions listed by ``/fact gaps``: one row of five "Add as key" buttons."""
PICK_LETTERS = "ABCDE"
EXAMPLES_SHOWN = 2
CLOSEST_SHOWN = 3


@dataclass(frozen=True, slots=True)
class DigestPost:
    """One digest as the messages to post, in order; each message is a tuple of embeds."""

    key: str
    messages: tuple[tuple[EmbedPart, ...], ...]

    @property
    def parts(self) -> int:
        """How many messages the digest takes."""
        return len(self.messages)


def safe_line(text: str) -> str:
    """A line shown literally in markdown: one line, escaped, no pings, no hidden characters."""
    return neutralize_mentions(escape_markdown(clean(text, newlines=False)))


def digest_marker(key: str, part: int, total: int) -> str:
    """The footer that names a digest's period and the message's place among its parts."""
    return f"Sitrep digest {key} · part {part}/{total}"


def read_marker(footer: str | None) -> tuple[str, int, int] | None:
    """``(period key, part, total)`` from a footer written by :func:`digest_marker`."""
    found = _MARKER_RE.match(footer or "")
    if found is None:
        return None
    return found["key"], int(found["part"]), int(found["total"])


def section_fields(section: Section) -> list[Field]:
    """A section as one field of bullet lines, continued in more fields if it is too long."""
    # Discord refuses an empty field name; the layout's titles are never empty, but be sure.
    name = plain(section.title, FIELD_NAME_LIMIT - len(CONTINUED)) or "Other"
    values: list[str] = []
    current = ""
    for line in section.lines:
        bullet = shorten("• " + safe_line(line), FIELD_VALUE_LIMIT)
        if current and len(current) + 1 + len(bullet) > FIELD_VALUE_LIMIT:
            values.append(current)
            current = ""
        current = f"{current}\n{bullet}" if current else bullet
    if current:
        values.append(current)
    return [Field(name if n == 0 else name + CONTINUED, value) for n, value in enumerate(values)]


def digest_post(layout: DigestLayout, key: str, *, colour: int = COLOUR_DIGEST) -> DigestPost:
    """The digest's messages: a titled embed with the summary, then the sections as fields.

    An empty digest (a layout without sections) is one embed whose description is its one
    line, "No changes since …".
    """
    title = plain(layout.title, TITLE_LIMIT)
    description = shorten(safe_line(layout.summary), DESCRIPTION_LIMIT)
    fields = [f for section in layout.sections for f in section_fields(section)]
    embeds = _pack(title, description, fields, colour)
    messages = _group(embeds)
    total = len(messages)
    return DigestPost(
        key,
        tuple(
            tuple(_with_footer(e, digest_marker(key, part, total)) for e in message)
            for part, message in enumerate(messages, start=1)
        ),
    )


def _pack(title: str, description: str, fields: Sequence[Field], colour: int) -> list[EmbedPart]:
    """Fields into embeds of at most 25 fields each, leaving room for a title and footer."""
    pages: list[list[Field]] = [[]]
    size = len(description)
    for f in fields:
        grows = len(f.name) + len(f.value)
        if pages[-1] and (len(pages[-1]) >= FIELD_COUNT_LIMIT or size + grows > _EMBED_BUDGET):
            pages.append([])
            size = 0
        pages[-1].append(f)
        size += grows
    total = len(pages)
    return [
        EmbedPart(
            title=title if n == 1 else shorten(f"{title} ({n}/{total})", TITLE_LIMIT),
            description=description if n == 1 else "",
            fields=tuple(page),
            colour=colour,
        )
        for n, page in enumerate(pages, start=1)
    ]


def _group(embeds: Sequence[EmbedPart]) -> list[list[EmbedPart]]:
    """Embeds into messages of at most 10 embeds and 6000 characters (footers included)."""
    messages: list[list[EmbedPart]] = [[]]
    size = 0
    for embed in embeds:
        grows = len(embed) + _FOOTER_ROOM
        if messages[-1] and (
            len(messages[-1]) >= EMBEDS_PER_MESSAGE or size + grows > EMBED_TOTAL_LIMIT
        ):
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += grows
    return messages


def _with_footer(embed: EmbedPart, footer: str) -> EmbedPart:
    return EmbedPart(
        title=embed.title,
        description=embed.description,
        url=embed.url,
        fields=embed.fields,
        footer=footer,
        colour=embed.colour,
    )


# --------------------------------------------------------------------------- gap report


def _quoted(text: str, limit: int) -> str:
    return f"“{echo(text, limit)}”"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def gap_field(number: int, gap: Gap) -> Field:
    """One gap: its most asked phrasing and count, other phrasings, the closest facts."""
    # Field names show markdown too: the question is echoed (escaped, no pings) like any line.
    name = shorten(f"{number}. {_quoted(gap.text, 150)} — {_times(gap.count)}", FIELD_NAME_LIMIT)
    lines: list[str] = []
    others = [e for e in gap.examples if e != gap.text][:EXAMPLES_SHOWN]
    if others:
        lines.append("Also asked as " + ", ".join(_quoted(e, 80) for e in others))
    closest = [
        f"{escape_markdown(plain(alt.title, 80))} (`{alt.id}`)"
        for alt in gap.closest[:CLOSEST_SHOWN]
    ]
    if closest:
        lines.append("Closest: " + " · ".join(closest))
    else:
        lines.append("No fact comes close: a new fact may be needed (/fact add).")
    lines.append(f"Last asked <t:{int(gap.last_asked.timestamp())}:R>")
    return Field(name, shorten("\n".join(lines), FIELD_VALUE_LIMIT))


def pick_letter(index: int) -> str:
    """The letter naming the ``index``-th (0-based) picked question, on its field and button."""
    return PICK_LETTERS[index]


def picked_field(index: int, picked: PickedQuestion) -> Field:
    """One picked question: what was asked, how often, and the fact its askers picked."""
    times = _times(picked.count)
    name = shorten(f"{pick_letter(index)}. {_quoted(picked.text, 150)} — {times}", FIELD_NAME_LIMIT)
    people = "1 person" if picked.people == 1 else f"{picked.people} people"
    lines = [
        f"Picked: {escape_markdown(plain(picked.title, 80))} (`{picked.fact_id}`), by {people}",
        f"Last picked <t:{int(picked.last_picked.timestamp())}:R>",
    ]
    return Field(name, shorten("\n".join(lines), FIELD_VALUE_LIMIT))


def feedback_field(disliked: Iterable[FactFeedback]) -> Field | None:
    """Facts voted down, most down votes first; ``None`` if there are none."""
    lines = [
        f"• {escape_markdown(plain(f.title, 80))} (`{f.fact_id}`): {f.down} 👎, {f.up} 👍"
        for f in disliked
    ]
    if not lines:
        return None
    value = ""
    for n, line in enumerate(lines):
        more = f"… and {len(lines) - n} more"
        if len(value) + len(line) + 1 > FIELD_VALUE_LIMIT - len(more) - 1:
            value += more
            break
        value += line + "\n"
    return Field("Negative feedback", value.strip())


def _days(days: float) -> str:
    whole = int(days)
    if whole == days:
        return "day" if whole == 1 else f"{whole} days"
    return f"{days:g} days"


def render_gap_report(
    report: GapReport, *, days: float, now: datetime, shown: int = GAPS_SHOWN
) -> EmbedPart:
    """``/fact gaps``: numbered question families with counts and closest facts, lettered
    questions whose askers picked a fact from the suggestions, then the facts people voted
    down, all for the last ``days`` days before ``now``."""
    gaps = report.unanswered[:shown]
    picks = report.picked[:PICKS_SHOWN]
    fields = [gap_field(n, gap) for n, gap in enumerate(gaps, start=1)]
    fields += [picked_field(n, picked) for n, picked in enumerate(picks)]
    disliked = feedback_field(report.disliked)
    if disliked is not None:
        fields.append(disliked)
    if gaps:
        description = (
            "Questions Sitrep could not answer, grouped; pick a fact below to add a question "
            "to it as a key, and it leaves this list."
        )
        if len(report.unanswered) > shown:
            description += f" Showing the {shown} most asked of {len(report.unanswered)}."
    else:
        description = "No unanswered questions in this period."
    if picks:
        last = len(picks) - 1
        letters = pick_letter(0) + (f"–{pick_letter(last)}" if last else "")
        description += (
            f" {PICKED_TITLE} ({letters}): the askers chose that fact; “Add as key” adds the "
            "question to it, and it leaves this list."
        )
        if len(report.picked) > len(picks):
            description += f" Showing {len(picks)} of {len(report.picked)}."
    return EmbedPart(
        title=f"Gaps — the last {_days(days)}",
        description=description,
        fields=tuple(fields),
        footer=f"Until {now.strftime('%Y-%m-%d %H:%M UTC')} · this server's questions only",
        colour=COLOUR_GAPS,
    )
