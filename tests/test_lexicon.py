"""The English word list: real words, their frequencies, their derived relatives and the words
WordNet relates to them."""

from __future__ import annotations

import pytest

from knowledge.matching.lexicon import english_frequency, is_english_word, related_words, relatives


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


@pytest.mark.parametrize(
    ("word", "expected", "not_expected"),
    [
        ("negotiations", {"talks"}, set()),
        ("petrol", {"fuel", "gasoline"}, set()),
        ("fuel", set(), {"petrol"}),  # a kind reaches its kind, never the other way
        ("wounded", {"hurt"}, set()),
        ("injured", {"wound", "injury"}, set()),
        ("kids", {"child", "children"}, set()),  # an irregular plural is listed beside it
        ("hospitals", {"infirmary"}, {"welcome"}),  # "hospitality" is another sense
        ("leads", set(), {"advantage"}),  # mostly a verb: the noun's senses are left out
        ("attacks", set(), {"operation"}),  # an act is not linked to a broader act
    ],
)
def test_related_words(word: str, expected: set[str], not_expected: set[str]) -> None:
    """WordNet's main senses give synonyms, derivations and a thing's kind."""
    found = set(related_words(word))
    assert expected <= found and not (not_expected & found) and word not in found


@pytest.mark.parametrize("word", ["jnim", "zzxqv", "the", ""])
def test_names_and_function_words_have_no_related_words(word: str) -> None:
    """Only common English words are linked."""
    assert related_words(word) == ()
