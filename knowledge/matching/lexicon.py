"""Which strings are ordinary English words: the difference between a typo and a real word.

Typo correction against the store's vocabulary must not "correct" a real word that the store
merely lacks ("struck" is not a typo of "truck", "airport" is not one of "import"). The word
list is pyspellchecker's English frequency dictionary, loaded once, on the first query that
needs it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from spellchecker import SpellChecker

# Below this count the list holds misspellings and oddities as well as rare words.
MIN_FREQUENCY = 50


@lru_cache(maxsize=1)
def _frequencies() -> dict[str, int]:
    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def is_english_word(word: str) -> bool:
    """True if ``word`` (folded, as ``text.words`` gives it) is a common enough English word."""
    return _frequencies().get(word, 0) >= MIN_FREQUENCY


def english_frequency(word: str) -> int:
    """How often ``word`` occurs in the English word list's corpus (0 if not at all)."""
    return _frequencies().get(word, 0)


# Derivation by suffix: (ending, replacement) pairs that lead from a derived English word to
# the word it comes from ("closures" → "close", "leader" → "lead", "evacuation" →
# "evacuate"), and the endings that lead back from a root to its derived words.
_TO_ROOT = (
    ("ations", "ate"), ("ation", "ate"), ("ations", ""), ("ation", ""), ("ation", "e"),
    ("sions", "de"), ("sion", "de"), ("ions", "e"), ("ion", "e"), ("ions", ""), ("ion", ""),
    ("ures", "e"), ("ure", "e"), ("ures", ""), ("ure", ""), ("ments", ""), ("ment", ""),
    ("ers", ""), ("er", ""), ("ers", "e"), ("er", "e"), ("ors", ""), ("or", ""), ("ors", "e"),
    ("or", "e"), ("ings", ""), ("ing", ""), ("ing", "e"), ("ied", "y"), ("ed", ""), ("ed", "e"),
    ("als", ""), ("al", ""), ("al", "e"), ("ances", ""), ("ance", ""), ("ance", "e"),
    ("ences", ""), ("ence", ""), ("ence", "e"), ("ies", "y"), ("ity", ""), ("ity", "e"),
    ("ness", ""), ("iest", "y"), ("est", ""), ("est", "e"), ("y", ""), ("s", ""), ("es", ""),
)  # fmt: skip
_FROM_ROOT = (
    "s", "es", "ed", "d", "ing", "er", "ers", "r", "rs", "or", "ors", "ure", "ures", "ment",
    "ments", "ion", "ions", "ation", "ations", "al", "als", "ance", "ence", "y", "est", "st",
)  # fmt: skip
# A root shorter than this is too often a different word ("pow" in "power", "ab" in "abed").
_MIN_ROOT = 4


@lru_cache(maxsize=4096)
def relatives(word: str) -> frozenset[str]:
    """English words derived from the same root as ``word`` by a suffix, ``word`` excluded:
    "closures" → {"close", "closed", "closure", "closing", ...}; {} for a word that is not
    English or has no such relatives. Every word returned is itself a common English word.
    """
    if not is_english_word(word) or len(word) < _MIN_ROOT:
        return frozenset()
    roots = {word}
    for ending, replacement in _TO_ROOT:
        if word.endswith(ending):
            root = word[: len(word) - len(ending)] + replacement
            if len(root) >= _MIN_ROOT and is_english_word(root):
                roots.add(root)
    found: set[str] = set()
    for root in roots:
        found.add(root)
        for base in {root, root[:-1]} if root.endswith("e") else {root}:
            found.update(base + ending for ending in _FROM_ROOT)
    return frozenset(w for w in found if w != word and is_english_word(w))


@lru_cache(maxsize=1)
def _related() -> dict[str, str]:
    # Built by tools/build_related.py from WordNet 3.0 and shipped with the package (about
    # 17,000 lines): read on the first question that needs it, and split a word at a time.
    text = resources.files(__package__).joinpath("data", "related.tsv").read_text("utf-8")
    pairs = (line.split("\t", 1) for line in text.splitlines() if not line.startswith("#"))
    return dict((word, others) for word, others in pairs)


@lru_cache(maxsize=4096)
def related_words(word: str) -> tuple[str, ...]:
    """Common English words that WordNet relates to ``word`` in the sense people mostly
    mean: its synonyms, derivations and, for a thing or a person, its kind ("negotiations"
    → talks, discussion; "petrol" → gas, fuel, gasoline; "hostage" → prisoner, captive),
    most common first; () for a word it does not relate.
    """
    return tuple(_related().get(word, "").split())
