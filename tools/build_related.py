"""Build ``knowledge/matching/data/related.tsv``, the general-English word bridge, from WordNet.

The matcher lets a question's word that a fact lacks be covered, at a discount, by a word
WordNet relates to it ("heads" → lead, "negotiations" → talks, "petrol" → fuel,
"wounded" → injured). The table is built once from the WordNet 3.0 database files and
shipped with the package, so nothing is downloaded at run time. To rebuild it::

    apt-get download wordnet-base && dpkg-deb -x wordnet-base_*.deb /tmp/wordnet
    python tools/build_related.py /tmp/wordnet/usr/share/wordnet

Only the senses people mostly mean are used: WordNet's sense-tagged corpus counts say how
often each sense of a word occurs, and a sense below :data:`SHARE` of a word's uses is left
out on both sides of a link ("hospital" never reaches "welcome" through "hospitality"; "run"
never reaches "score"). Links: the other words of the same sense (synonyms), the word's
derivations (lead → leader), and for a noun's main sense the words of the sense above it
(petrol → fuel, never fuel → petrol: a question about fuel is not answered by one kind).
Each line is a word form, a tab, and its related words; forms cover inflections
("negotiations", "took") so the matcher looks words up as they are typed.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.matching.lexicon import english_frequency  # noqa: E402
from knowledge.matching.text import STOPWORDS, stem  # noqa: E402

OUT = ROOT / "knowledge" / "matching" / "data" / "related.tsv"
# A sense must have this share of a word's tagged uses (of one part of speech) to be linked
# from, and the share :data:`TARGET_SHARE` of the other word's to be linked to.
SHARE = 0.3
TARGET_SHARE = 0.05
# A sense above more than this many narrower senses is too general to stand for one of them
# ("person" is above 400: "nationals" is not a question about people at large).
MAX_HYPONYMS = 30
# Nouns of things and people (WordNet's lexicographer files noun.animal, .artifact, .body,
# .food, .object, .person, .plant, .substance): a kind of one is that one ("petrol" is a fuel,
# "a hostage" a prisoner), while an act or a state is only loosely its kind ("an attack" is
# not "an operation").
CONCRETE = frozenset({"05", "06", "08", "13", "17", "18", "20", "27"})
# A form that is more than one part of speech ("leads", "attacks") is linked only as those
# with at least this share of the most used one's tagged uses.
READING_SHARE = 0.5
# Words rarer than this (pyspellchecker's English counts) are neither linked nor reached.
MIN_FREQUENCY = 300
# At most this many related words a form: the most common first.
MAX_RELATED = 6
_POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
_SS_TYPE = {"n": "1", "v": "2", "a": "3", "s": "5", "r": "4"}
_LEX_ID_RE = re.compile(r"\(.*\)\Z")


@dataclass(frozen=True, slots=True)
class Synset:
    lexfile: str
    lemmas: tuple[str, ...]
    # (symbol, target offset, target pos, source word number, target word number)
    pointers: tuple[tuple[str, str, str, int, int], ...]

    @property
    def hyponyms(self) -> int:
        """How many narrower senses this one has."""
        return sum(1 for pointer in self.pointers if pointer[0] in ("~", "~i"))


Sense = tuple[str, str, str]
"""(lemma, part of speech, synset offset): one sense of one word."""


def _read_synsets(folder: Path) -> tuple[dict[tuple[str, str], Synset], dict[Sense, int]]:
    """Every synset by (pos, offset), and how often each sense is used in the tagged corpus."""
    synsets: dict[tuple[str, str], Synset] = {}
    uses: dict[Sense, int] = {}
    counts = _read_counts(folder)
    for pos, name in _POS.items():
        with open(folder / f"data.{name}", encoding="latin-1") as lines:
            for line in lines:
                if line.startswith("  "):  # the licence at the top of the file
                    continue
                fields = line.split(" | ", 1)[0].split()
                offset, lexfile, ss_type = fields[0], fields[1], fields[2]
                n = int(fields[3], 16)
                lemmas = []
                for i in range(n):
                    lemma = _LEX_ID_RE.sub("", fields[4 + 2 * i]).lower()
                    lex_id = int(fields[5 + 2 * i], 16)
                    lemmas.append(lemma)
                    # The sense key without its satellite head: enough to find its count.
                    key = f"{lemma}%{_SS_TYPE[ss_type]}:{lexfile}:{lex_id:02d}"
                    uses[lemma, pos, offset] = counts.get(key, 0)
                k = 4 + 2 * n
                pointers = []
                for _ in range(int(fields[k])):
                    symbol, target, target_pos, words = fields[k + 1 : k + 5]
                    k += 4
                    pointers.append(
                        (
                            symbol,
                            target,
                            "a" if target_pos == "s" else target_pos,
                            int(words[:2], 16),
                            int(words[2:], 16),
                        )
                    )
                synsets[pos, offset] = Synset(lexfile, tuple(lemmas), tuple(pointers))
    return synsets, uses


def _read_counts(folder: Path) -> dict[str, int]:
    """Tagged-corpus counts by sense key (its satellite head cut off)."""
    counts: dict[str, int] = defaultdict(int)
    with open(folder / "cntlist.rev", encoding="latin-1") as lines:
        for line in lines:
            key, _, count = line.split()
            counts[key.rsplit(":", 2)[0]] += int(count)
    return counts


def _read_senses(folder: Path) -> dict[tuple[str, str], list[str]]:
    """Each (lemma, pos)'s synset offsets, in WordNet's order (most used first)."""
    senses: dict[tuple[str, str], list[str]] = {}
    for pos, name in _POS.items():
        with open(folder / f"index.{name}", encoding="latin-1") as lines:
            for line in lines:
                if line.startswith("  "):
                    continue
                fields = line.split()
                count = int(fields[2])
                senses[fields[0], pos] = fields[-count:]
    return senses


def _read_exceptions(folder: Path) -> dict[str, dict[str, set[str]]]:
    """Irregular forms by part of speech and base word ("v": "take" → {"took", "taken"})."""
    forms: dict[str, dict[str, set[str]]] = {pos: defaultdict(set) for pos in _POS}
    for pos, name in _POS.items():
        path = folder / f"{name}.exc"
        if path.exists():
            for line in path.read_text(encoding="latin-1").splitlines():
                inflected, *bases = line.split()
                for base in bases:
                    forms[pos][base].add(inflected)
    return forms


def _usable(word: str) -> bool:
    return (
        word.isascii()
        and word.isalpha()
        and len(word) > 2
        and word not in STOPWORDS
        and english_frequency(word) >= MIN_FREQUENCY
    )


def _regular_forms(word: str, pos: str) -> set[str]:
    """The regular inflections of a noun (plural) or a verb (-s, -ed, -ing)."""
    forms: set[str] = set()
    if pos in "nv":
        forms |= {word + "s", word + "es"}
        if word.endswith("y"):
            forms.add(word[:-1] + "ies")
    if pos == "v":
        forms |= {word + "ed", word + "d", word + "ing"}
        if word.endswith("y"):
            forms.add(word[:-1] + "ied")
        if word.endswith("e"):
            forms.add(word[:-1] + "ing")
        if len(word) > 2 and word[-1] not in "aeiouwxy" and word[-2] in "aeiou":
            forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}
    return {form for form in forms if english_frequency(form) >= MIN_FREQUENCY}


def build(folder: Path) -> dict[str, list[str]]:
    """The related words of every usable English word form."""
    synsets, uses = _read_synsets(folder)
    senses = _read_senses(folder)

    @cache
    def main_senses(lemma: str, pos: str, share: float = SHARE) -> list[str]:
        offsets = senses.get((lemma, pos), [])
        counts = [uses.get((lemma, pos, offset), 0) for offset in offsets]
        total = sum(counts)
        if not total:
            # No tagged use: trust the senses of a word that has at most two.
            return offsets if len(offsets) <= 2 else []
        return [o for o, c in zip(offsets, counts, strict=True) if c >= share * total]

    def is_main(lemma: str, pos: str, offset: str) -> bool:
        return offset in main_senses(lemma, pos, TARGET_SHARE)

    related: dict[tuple[str, str], set[str]] = defaultdict(set)
    for lemma, pos in senses:
        if not _usable(lemma):
            continue
        kept = main_senses(lemma, pos)
        for rank, offset in enumerate(kept):
            synset = synsets[pos, offset]
            own = synset.lemmas.index(lemma) + 1 if lemma in synset.lemmas else 0
            for other in synset.lemmas:
                if other != lemma and _usable(other) and is_main(other, pos, offset):
                    related[lemma, pos].add(other)
            for symbol, target, target_pos, source, word in synset.pointers:
                target_lemmas = synsets[target_pos, target].lemmas
                if symbol == "+" and source == own and word:
                    other = target_lemmas[word - 1]
                    if _usable(other):
                        related[lemma, pos].add(other)
                elif (
                    symbol == "@"
                    and pos == "n"
                    and rank == 0
                    and not source
                    and synset.lexfile in CONCRETE
                    and synsets[target_pos, target].hyponyms <= MAX_HYPONYMS
                ):
                    related[lemma, pos].update(
                        w for w in target_lemmas if _usable(w) and is_main(w, "n", target)
                    )
    exceptions = _read_exceptions(folder)
    # Every reading of a form: (how often that word is used so, its related words).
    readings: dict[str, list[tuple[int, set[str]]]] = defaultdict(list)
    for lemma, pos in senses:
        if not _usable(lemma):
            continue
        own_stem = stem(lemma)
        words = {w for w in related.get((lemma, pos), ()) if stem(w) != own_stem}
        used = sum(uses.get((lemma, pos, offset), 0) for offset in senses[lemma, pos])
        for form in {lemma, *_regular_forms(lemma, pos), *exceptions[pos].get(lemma, ())}:
            if form.isascii() and form.isalpha():
                readings[form].append((used, words))
    table: dict[str, list[str]] = {}
    for form, found in sorted(readings.items()):
        # A form is read as its parts of speech that people mostly use: "leads" is the verb
        # far more than the noun (an advantage), so only the verb's words are linked.
        most = max(used for used, _ in found)
        words = set().union(*(w for used, w in found if used >= READING_SHARE * most))
        if words:
            ranked = sorted(words, key=lambda w: (-english_frequency(w), w))[:MAX_RELATED]
            # An irregular plural does not stem to its singular ("children", "child"): it is
            # listed beside it, so that a fact that uses it is reached.
            plurals = [p for w in ranked for p in sorted(exceptions["n"].get(w, ()))]
            table[form] = list(dict.fromkeys([*ranked, *plurals]))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("wordnet", type=Path, help="the folder of WordNet 3.0's database files")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    table = build(args.wordnet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        out.write("# Built by tools/build_related.py from WordNet 3.0; see WORDNET-LICENSE.\n")
        for form, words in table.items():
            out.write(f"{form}\t{' '.join(words)}\n")
    print(f"{len(table)} word forms, {sum(map(len, table.values()))} links → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
