"""Markup to readable text: Markdown and HTML become plain paragraphs and headings.

The result is what Sitrep stores as the document's text, so every offset and every quote
refers to it; the markup itself (``**``, ``[text](url)``, tags) is gone. Each format turns
into a list of blocks (heading or paragraph), and :func:`assemble` lays the blocks out one
blank line apart, recording where the headings are.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final, Literal

from .models import ReadText

BlockKind = Literal["heading", "title", "text"]
Block = tuple[BlockKind, str]

_TRAILING_WS: Final = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUNS: Final = re.compile(r"\n(?:[ \t]*\n)+")
_FRONT_FIELD: Final = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:\s*(.*?)\s*$")

# --- plain text ------------------------------------------------------------------------------


def plain_blocks(text: str) -> list[Block]:
    """Plain text's paragraphs: blank-line separated, lines within them kept as they are.

    A text with no blank line at all writes one paragraph per line (as pasted web pages
    do), so there each line is a paragraph.
    """
    text = _TRAILING_WS.sub("", text).strip("\n")
    paras = _BLANK_RUNS.split(text)
    if len(paras) == 1:
        paras = text.split("\n")
    return [("text", para.strip("\n")) for para in paras if para.strip()]


# --- Markdown --------------------------------------------------------------------------------

_ATX: Final = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT: Final = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RULE: Final = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_QUOTE_PREFIX: Final = re.compile(r"^ {0,3}>[ \t]?")
_LIST_ITEM: Final = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_TABLE_ROW: Final = re.compile(r"^[ \t]*\|.*\|[ \t]*$")
_TABLE_RULE: Final = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REF_DEF: Final = re.compile(r"^ {0,3}\[[^\]]+\]:[ \t]*\S+")
_COMMENT: Final = re.compile(r"<!--.*?-->", re.DOTALL)
# Inline rewrites, applied in order: each keeps the words a reader sees and drops the syntax.
_INLINE: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image: its alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # link: its text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference link
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolink: the address
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),  # inline HTML tag
    (re.compile(r"`+([^`]+?)`+"), r"\1"),  # code span
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis *x*
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),  # emphasis _x_, not snake_case
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # strikethrough
)
_ESCAPABLE: Final = "\\`*_{}[]()#+-.!|>~"
_ESCAPE: Final = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
# Escaped characters are parked in the private-use area while the inline rules run, so
# "\*stars\*" stays "*stars*" instead of turning into emphasis.
_PARKED: Final = {0xE000 + i: ch for i, ch in enumerate(_ESCAPABLE)}


def inline_text(line: str) -> str:
    """One line of Markdown with its inline syntax removed."""
    line = _ESCAPE.sub(lambda m: chr(0xE000 + _ESCAPABLE.index(m.group(1))), line)
    for pattern, replacement in _INLINE:
        line = pattern.sub(replacement, line)
    return line.translate(_PARKED)


def front_matter(text: str) -> tuple[list[tuple[str, str]], str, list[str]]:
    """Split ``---``-fenced ``key: value`` lines off the top: (fields, rest, bad lines)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return [], text, []
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return [], text, []
    fields: list[tuple[str, str]] = []
    bad: list[str] = []
    for line in lines[1:end]:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FRONT_FIELD.match(line)
        if match is None:
            bad.append(line.strip())
        else:
            fields.append((match.group(1).lower(), match.group(2).strip().strip("\"'")))
    return fields, "\n".join(lines[end + 1 :]), bad


class _MarkdownBlocks:
    """A line-by-line Markdown reader: enough of CommonMark for reports and notes."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.para: list[str] = []
        self.fence: str = ""

    def flush(self) -> None:
        text = "\n".join(part for part in self.para if part).strip()
        if text:
            self.blocks.append(("text", text))
        self.para = []

    def heading(self, level: int, text: str) -> None:
        self.flush()
        text = inline_text(text).strip()
        if text:
            self.blocks.append(("title" if level == 1 else "heading", text))

    def line(self, raw: str) -> None:
        if self.fence:
            if raw.strip().startswith(self.fence):
                self.fence = ""
                self.flush()
            else:
                self.para.append(raw.rstrip())
            return
        self._markup_line(_QUOTE_PREFIX.sub("", raw).rstrip())

    def _markup_line(self, line: str) -> None:
        fence = _FENCE.match(line)
        if fence:
            self.flush()
            self.fence = fence.group(1)[:3]
        elif not line.strip():
            self.flush()
        elif (atx := _ATX.match(line)) is not None:
            self.heading(len(atx.group(1)), atx.group(2))
        elif _SETEXT.match(line) and len(self.para) == 1:
            text, self.para = self.para[0], []
            self.blocks.append(("title" if line.strip()[0] == "=" else "heading", text))
        elif _RULE.match(line):
            self.flush()
        elif _REF_DEF.match(line):
            return
        elif _TABLE_ROW.match(line):
            self._table_row(line)
        elif _LIST_ITEM.match(line):
            self.flush()
            self.para.append(inline_text(_LIST_ITEM.sub("", line, count=1)).strip())
        else:
            self.para.append(inline_text(line).strip())

    def _table_row(self, line: str) -> None:
        if _TABLE_RULE.match(line):
            return
        cells = [inline_text(cell).strip() for cell in line.strip().strip("|").split("|")]
        self.flush()
        self.para.append("; ".join(cell for cell in cells if cell))
        self.flush()


def markdown_blocks(text: str) -> list[Block]:
    """Markdown's headings and paragraphs as readable text (front matter already removed)."""
    reader = _MarkdownBlocks()
    for raw in _COMMENT.sub("", text).split("\n"):
        reader.line(raw)
    reader.flush()
    return reader.blocks


# --- HTML ------------------------------------------------------------------------------------

_SKIP_TAGS: Final = frozenset({"script", "style", "noscript", "template", "svg", "head", "nav"})
_HEADING_TAGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BLOCK_TAGS: Final = _HEADING_TAGS | frozenset(
    "p div br li ul ol tr td th table section article header footer blockquote pre "
    "figure figcaption dd dt dl main aside hr address".split()
)
_SPACES: Final = re.compile(r"\s+")


class _HtmlBlocks(HTMLParser):
    """Collects an HTML page's visible text as headings and paragraphs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.skip = 0
        self.kind: BlockKind = "text"
        self.in_title = False
        self.title = ""

    def flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.parts)).strip()
        if text:
            self.blocks.append((self.kind, text))
        self.parts = []
        self.kind = "text"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.flush()
            if tag in _HEADING_TAGS:
                self.kind = "title" if tag == "h1" else "heading"

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip:
            self.parts.append(data)


def html_blocks(text: str) -> tuple[list[Block], str]:
    """An HTML page's visible headings and paragraphs, and its ``<title>``."""
    parser = _HtmlBlocks()
    parser.feed(text)
    parser.close()
    parser.flush()
    return parser.blocks, _SPACES.sub(" ", parser.title).strip()


# --- layout ----------------------------------------------------------------------------------


def assemble(blocks: list[Block], *, fields: list[tuple[str, str]] | None = None) -> ReadText:
    """Lay blocks out one blank line apart; headings' spans and the first title recorded."""
    pieces: list[str] = []
    headings: list[tuple[int, int]] = []
    title = ""
    at = 0
    for kind, text in blocks:
        if pieces:
            pieces.append("\n\n")
            at += 2
        if kind != "text":
            headings.append((at, at + len(text)))
            if kind == "title" and not title:
                title = text
        pieces.append(text)
        at += len(text)
    return ReadText(
        text="".join(pieces), headings=tuple(headings), title=title, fields=tuple(fields or ())
    )
