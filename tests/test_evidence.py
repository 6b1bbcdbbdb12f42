"""What a passage's own wording shows it can answer: names, what numbers count."""

from __future__ import annotations

import pytest

from knowledge.matching.evidence import (
    PEOPLE,
    TextEvidence,
    after_numbers,
    beside_names,
    initialisms,
    names,
    text_evidence,
)
from knowledge.matching.text import Analyzer
from knowledge.models import Glossary


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
        (
            "Sokia ag-Kamik and Ritsou ould Djan'gar spoke.",
            ["Sokia ag-Kamik", "Ritsou ould Djan'gar"],
        ),
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
            False,
        )
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("In September 2022, GLFU kidnapped 60 teachers.", [["glfu"]]),
        ("MSF and the ICRC sent teams.", [["msf"], ["icrc"]]),
        # Inside a name spelled out, an acronym is not a second name.
        (
            "The Norwegian Refugee Council NRC said so.",
            [["norwegian", "refugee", "council", "nrc"]],
        ),
        ("A man and I left.", []),
    ],
)
def test_an_acronym_is_a_name_on_its_own(text: str, expected: list[list[str]]) -> None:
    assert [name for name, _, _ in beside_names(text)] == expected


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("Sokia ag-Kamik is a spokesman of the MSS.", True),
        ("Thomas Reichlin, head of the ICRC delegation in Cotonou, called for calm.", True),
        ("Clarisse Agbodjan, country director of the Norwegian council, spoke.", True),
        ("Ramatou Issa, a mother of five, reached Kandi.", True),
        ("Amadou Diallo was the governor until May.", True),
        ("Fernand Hounkpatin said the state would help.", False),
        ("Fernand Hounkpatin, said to be ill, stayed away.", False),
        ("Fernand Hounkpatin, and others of the cabinet, left.", False),
        ("Fernand Hounkpatin is expected in Kandi.", False),
    ],
)
def test_a_name_is_described_by_an_apposition_or_a_copula(text: str, described: bool) -> None:
    """What follows a name says who it is: "who is <name>" is answered only then."""
    (_, _, found), *_ = beside_names(text)
    assert found is described


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


@pytest.mark.parametrize(
    "text",
    [
        "The regional governor, Colonel Abdourahamane Sidi, said 312 suspected cases were seen.",
        "The head of the ICRC delegation in Cotonou, Amélie Durand, spoke.",
        "No numbers and no names here.",
        "",
    ],
)
def test_text_evidence_reads_counts_names_and_bindings_and_survives_storage(text: str) -> None:
    """What is read matches the readers above, and encoding for the index loses nothing."""
    analyzer = Analyzer(Glossary())
    evidence = text_evidence(text, analyzer)
    assert len(evidence.numbers) == len(list(after_numbers(text)))
    assert len(evidence.names) == len(list(beside_names(text)))
    assert evidence.bindings == analyzer.analyse(text).bindings
    assert TextEvidence.decode(evidence.encode()) == evidence


def test_text_evidence_holds_analysed_terms() -> None:
    """Terms, as a question's words become terms: "cases" is stored as the question's "case"."""
    analyzer = Analyzer(Glossary())
    evidence = text_evidence("Officials counted 312 suspected cases in Dosso.", analyzer)
    [counted] = evidence.numbers
    assert set(analyzer.analyse("cases").terms) <= counted


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("The town of Gaya has a population of 2,800,000.", PEOPLE),
        ("Its population is about 40,000 people.", ["people", *PEOPLE]),
        ("The town has 40 schools.", ["schools"]),
    ],
)
def test_a_population_counts_people(text: str, counted: list[str]) -> None:
    """ "How many people live in Gaya" is answered by its population."""
    assert list(after_numbers(text)) == [counted]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The European Union observer mission said so.", {"eu"}),
        # With its small words and without: both ways of abbreviating are in use.
        ("The Economic Community of West African States met.", {"ecowas", "ecwas"}),
        ("Amadou Baro won.", {"ab"}),
        # One capitalised word is no name; an initialism that is a function word ("is")
        # is never a question's term.
        ("Protests spread.", set()),
        ("Islamic State fighters", set()),
    ],
)
def test_initialisms_abbreviate_names(text: str, expected: set[str]) -> None:
    """A question may abbreviate a name the text writes out: "EU" of "European Union"."""
    assert initialisms(text) == expected
