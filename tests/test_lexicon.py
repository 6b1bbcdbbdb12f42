"""The English word list: real words, their frequencies and their derived relatives."""

from __future__ import annotations

import pytest

from knowledge.matching.lexicon import english_frequency, is_english_word, relatives


@pytest.mark.parametrize(
    ("word", "expected", "not_expected"),
    [
        ("closures", {"close", "closed", "closure"}, set()),
        ("closed", {"closure", "closures"}, set()),
        ("leader", {"lead", "leads", "leading"}, set()),
        ("evacuation", {"evacuate", "evacuated"}, set()),
        ("high", {"highest", "higher"}, set()),
        ("largest", {"large"}, set()),
        ("killed", {"kill", "killer"}, {"kil"}),
        ("power", {"powered"}, {"pow"}),  # a root under four letters is not taken
    ],
)
def test_relatives(word: str, expected: set[str], not_expected: set[str]) -> None:
    """Derived words share a root; every relative is itself an English word."""
    found = relatives(word)
    assert expected <= found and not (not_expected & found) and word not in found
    assert all(is_english_word(w) for w in found)


@pytest.mark.parametrize("word", ["zzxqv", "jnim", "the", "led", ""])
def test_non_words_and_short_words_have_no_relatives(word: str) -> None:
    """Names, non-words and words too short to strip give nothing."""
    assert relatives(word) == frozenset()


def test_word_list_knows_common_words_and_not_names() -> None:
    """A common word is English and frequent; a name from the brief is neither."""
    assert is_english_word("river") and english_frequency("river") > 1000
    assert not is_english_word("jnim") and english_frequency("jnim") == 0
