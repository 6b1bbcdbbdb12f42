"""Which strings are ordinary English words: the difference between a typo and a real word.

Typo correction against the store's vocabulary must not "correct" a real word that the store
merely lacks ("struck" is not a typo of "truck", "airport" is not one of "import"). The word
list is pyspellchecker's English frequency dictionary, loaded once, on the first query that
needs it.
"""

from __future__ import annotations

from functools import lru_cache

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
