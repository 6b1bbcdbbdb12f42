"""What a passage's own wording shows it can answer: names, what numbers count."""

from __future__ import annotations

import pytest

from knowledge.matching.evidence import after_numbers, beside_names, names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The regional governor, Colonel Abdourahamane Sidi, said so.",
            ["Colonel Abdourahamane Sidi"],
        ),
        ("Volunteers from the Red Cross of Niger run a kitchen.", ["Red Cross of Niger"]),
        # A capitalised sentence start that is a function word is not part of a name.
        ("The World Food Programme began.", ["World Food Programme"]),
        ("In Benin, residents left.", []),
        ("Gaya and Tanda are towns.", []),
        ("the governor said so", []),
    ],
)
def test_names_are_two_or_more_capitalised_words(text: str, expected: list[str]) -> None:
    """Names come with their spans, which hold exactly the name."""
    found = list(names(text))
    assert [" ".join(parts) for parts, _, _ in found] == expected
    assert [text[start:end] for _, start, end in found] == expected


def test_beside_names_gives_the_words_around_each_name() -> None:
    text = "The regional governor, Colonel Abdourahamane Sidi, told reporters on Monday."
    assert list(beside_names(text)) == [
        (
            ["colonel", "abdourahamane", "sidi"],
            ["the", "regional", "governor", "told", "reporters", "on"],
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "They recorded 312 suspected cases and 7 deaths.",
            [["suspected", "cases", "and", "7"], ["deaths"]],
        ),
        # The words counted stop at the end of the number's clause.
        ("It found it in 9 of 14 samples; the first case", [["of", "14", "samples"], ["samples"]]),
        ("About 6,800 cattle, sheep and goats drowned.", [["cattle"]]),
        # A year is no count.
        ("In 2024 the floods came.", []),
        ("They set up a 40-bed centre.", [["bed", "centre"]]),
    ],
)
def test_after_numbers_gives_what_each_number_counts(text: str, expected: list[list[str]]) -> None:
    assert list(after_numbers(text)) == expected
