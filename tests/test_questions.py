"""knowledge.matching.questions: the question keys derived from a fact's own words."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.matching.questions import (
    keyword_form,
    participle,
    past_base,
    past_tense,
    present_base,
    question_forms,
    third_person,
)
from knowledge.models import Fact, Source
from knowledge.validation import MAX_KEY, MENTION_RE

AS_OF = date(2025, 11, 4)


def fact(
    answer: str, title: str = "Is it so?", keys: tuple[str, ...] = (), quote: str = ""
) -> Fact:
    """A fact with one source; the quote is the answer unless given."""
    return Fact("f", title, answer, AS_OF, (Source(quote or answer, "brief"),), keys)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("JNIM is led by Iyad Ag Ghali.", ["who leads JNIM", "JNIM leader"]),
        (
            "The ministry was founded by Ana Diallo in 2019.",
            ["who founded the ministry", "when was the ministry founded by Ana Diallo"],
        ),
        (
            "Ana Diallo heads the electoral commission.",
            ["who heads the electoral commission", "electoral commission head"],
        ),
        ("Ana Diallo founded the party.", ["who founded the party"]),
        ("The blockade began in September 2025.", ["when did the blockade begin"]),
        ("Farabougou fell to the FLM in August 2025.", ["when did Farabougou fall to the FLM"]),
        ("Since the blockade began, few people have left.", ["when did the blockade begin"]),
        (
            "In July 2024, rebels killed as many as 84 soldiers and 50 guards in Tinzawaten.",
            [
                "how many soldiers were killed",
                "how many guards were killed in Tinzawaten",
                "when did rebels kill as many as 84 soldiers",
            ],
        ),
        ("Some 30 people were killed in Moura.", ["how many people were killed in Moura"]),
        ("JNIM boasts approximately 6,000 fighters.", ["how many fighters does JNIM have"]),
        (
            "Bamako is the capital of Mali.",
            ["what is the capital of Mali", "what is Bamako", "where is Bamako"],
        ),
        (
            "Kayes is a city in Mali with a population of 127,000.",
            [
                "what is the population of Kayes",
                "what is Kayes",
                "where is Kayes",
            ],
        ),
        (
            "Mali is a nation of nearly 21 million people.",
            [
                "what is the population of Mali",
                "how many people live in Mali",
                "what is Mali",
            ],
        ),
        ("Iyad ag-Ghali is one of the two leaders of JNIM.", ["who are the leaders of JNIM"]),
        (
            "Mokhtar Belmokhtar is the warlord who led the raid.",
            [
                "who led the raid",
                "who is Mokhtar Belmokhtar",
            ],
        ),
        (
            "The Taliban are the movement that toppled the government in Kabul.",
            [
                "who toppled the government in Kabul",
                "what are the Taliban",
                "who are the Taliban",
            ],
        ),
        # Nothing to ask: no rule fits, or the clause is about a pronoun.
        ("Analysts are divided.", []),
        ("It is hard to say.", []),
        ("They claimed it was over.", []),
        ("Yes.", []),
        ("", []),
        # A "by" that names nobody, and a date in another clause, ask nothing.
        ("Western intelligence was caught by surprise.", []),
        ("Mali is ruled by a junta, which seized power in 2021.", ["who rules Mali", "Mali ruler"]),
    ],
)
def test_forms_of_answers(answer: str, expected: list[str]) -> None:
    """Each rule of English turns the answer into the questions it answers (title aside)."""
    assert list(question_forms(fact(answer), limit=10)) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "Fuel blockade of Bamako",
            ["what is the fuel blockade of Bamako", "fuel blockade Bamako"],
        ),
        ("Where Mali gets its fuel", ["where does Mali get its fuel", "Mali gets fuel"]),
        ("How JNIM was formed", ["how was JNIM formed", "JNIM formed"]),
        ("How many fighters JNIM has", ["how many fighters does JNIM have", "fighters JNIM"]),
        (
            "Why the junta turned to Russia",
            ["why did the junta turn to Russia", "junta turned Russia"],
        ),
        ("What the United States is doing", ["what is the United States doing", "United States"]),
        (
            "Rules imposed in Farabougou",
            [
                "what are the rules imposed in Farabougou",
                "rules imposed Farabougou",
            ],
        ),
        # The keyword form of this title is the title itself.
        ("Tinzawaten, July 2024", ["what happened in Tinzawaten"]),
        (
            "The Moura massacre, March 2022",
            [
                "what was the Moura massacre",
                "when was the Moura massacre",
                "Moura massacre March 2022",
            ],
        ),
        # A direct question is a key already; its keywords are new.
        ("Who leads JNIM", ["leads JNIM"]),
        ("Is JNIM part of al-Qaeda?", ["JNIM part al-Qaeda"]),
        # "X and Y", a gerund: no one thing to ask "what is" of.
        ("JNIM and the FLM", ["JNIM FLM"]),
        ("Getting out of Bamako", ["Getting Bamako"]),
        ("Bamako", ["what is Bamako"]),
    ],
)
def test_forms_of_titles(title: str, expected: list[str]) -> None:
    """Titles become direct questions and keyword forms; an answer that asks nothing adds
    nothing."""
    assert list(question_forms(fact("Nothing to see.", title=title), limit=10)) == expected


def test_existing_keys_and_title_are_left_out() -> None:
    """A form the fact has as a key or a title (case and punctuation aside) is not proposed."""
    found = fact("JNIM is led by Iyad Ag Ghali.", title="Who leads JNIM?", keys=("jnim LEADER",))
    assert question_forms(found) == ("leads JNIM",)
    found = fact("JNIM is led by Iyad Ag Ghali.", title="JNIM", keys=("jnim LEADER", "Leads JNIM"))
    assert question_forms(found) == ("what is JNIM", "who leads JNIM")


def test_quotes_are_read_too() -> None:
    """A quote's sentences are read after the answer's."""
    found = fact("See the brief.", quote="The blockade began in September 2025.")
    assert question_forms(found) == ("when did the blockade begin",)


def test_limit_and_no_duplicates() -> None:
    """At most ``limit`` forms, none twice, whatever repeats in the text."""
    answer = "JNIM is led by Ana. JNIM is led by Ana. Bamako is the capital of Mali."
    assert question_forms(fact(answer), limit=2) == ("who leads JNIM", "JNIM leader")
    assert question_forms(fact(answer), limit=0) == ()
    assert len(set(map(str.casefold, question_forms(fact(answer), limit=10)))) == 5


def test_deterministic() -> None:
    """The same fact always gives the same forms, in the same order."""
    one = fact("Bamako is the capital of Mali. The blockade began in 2025.", title="Bamako")
    assert question_forms(one) == question_forms(one)


@pytest.mark.parametrize(
    "answer",
    [
        "@everyone is led by Ana.",
        "<@123456789012345678> heads the party.",
        "X" * 150 + " is led by Ana.",
    ],
)
def test_nothing_that_pings_or_overflows(answer: str) -> None:
    """No form carries a mention or exceeds the key length limit."""
    for form in question_forms(fact(answer), limit=10):
        assert "@" not in form and not MENTION_RE.search(form)
        assert len(form) <= MAX_KEY


@pytest.mark.parametrize(
    ("word", "base"),
    [
        ("led", "lead"),
        ("began", "begin"),
        ("declared", "declare"),
        ("killed", "kill"),
        ("stopped", "stop"),
        ("carried", "carry"),
        ("red", None),
        ("fighters", None),
    ],
)
def test_past_base(word: str, base: str | None) -> None:
    """Past forms lead back to their base, by the irregular table or the word list."""
    assert past_base(word) == base


@pytest.mark.parametrize(
    ("word", "base"),
    [("leads", "lead"), ("enforces", "enforce"), ("carries", "carry"), ("has", "have"),
     ("boss", None), ("is", "be")],
)  # fmt: skip
def test_present_base(word: str, base: str | None) -> None:
    """Third-person forms lead back to their base; "-ss" words are no verbs."""
    assert present_base(word) == base


@pytest.mark.parametrize(
    ("base", "third", "past", "part"),
    [
        ("lead", "leads", "led", "led"),
        ("carry", "carries", "carried", "carried"),
        ("watch", "watches", "watched", "watched"),
        ("take", "takes", "took", "taken"),
        ("have", "has", "had", "had"),
        ("form", "forms", "formed", "formed"),
    ],
)
def test_inflection(base: str, third: str, past: str, part: str) -> None:
    """Verbs are inflected regularly, or by the irregular table."""
    assert (third_person(base), past_tense(base), participle(base)) == (third, past, part)


def test_keyword_form_keeps_names() -> None:
    """Keyword forms drop function words and possessives, and keep names' capitals."""
    assert keyword_form("JNIM's fuel blockade of Mali") == "JNIM fuel blockade Mali"
    assert keyword_form("Who is it?") == ""
