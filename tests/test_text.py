"""Text analysis: folding, words, intent and glossary concepts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.matching.text import LIGHT_STEMS, Analyzer, fold, intent_of, stem, words
from knowledge.models import Glossary

GLOSSARY = Glossary(
    (
        ("jnim", "gsim", "jama'at nusrat ul-islam wa al-muslimin"),
        ("cause", "lead to", "leading to", "led to"),
        ("lead", "led", "leader", "head"),
        ("cote d'ivoire", "ivory coast"),
        ("fuel", "petrol", "diesel"),
    )
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Côte d’Ivoire", "cote divoire"),
        ("JNIM's fighters", "jnim fighters"),
        ("6,000 fighters and 127,000 people", "6000 fighters and 127000 people"),
        ("Goïta", "goita"),
        ("a\u202eb\u200bc", "abc"),
        ("ＪＮＩＭ", "jnim"),
        # Plain ASCII takes a shorter path, to the same result.
        ("Kidal\tand\nGao\x00", "kidal and gao"),
        ("JNIM`s fighters", "jnim fighters"),
        ("Côte d`Ivoire", "cote divoire"),
        # A percent sign is the word: "41.7%" answers "what percentage".
        ("took 41.7% of the vote", "took 41.7 percent  of the vote"),
    ],
)
def test_fold(text: str, expected: str) -> None:
    """Folding removes case, accents, invisible characters and thousands separators."""
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("who leads JNIM?", ["who", "leads", "jnim"]),
        ("al-Qaeda's branch", ["al", "qaeda", "branch"]),
        ("e-mail 12:30 http://x.y", ["e", "mail", "12", "30", "http", "x", "y"]),
        ("'; DROP TABLE facts; --", ["drop", "table", "facts"]),
        ("", []),
        ("🙂🙂", []),
        # Chat shortenings are written out; ambiguous ones are left alone.
        (
            "are the mercs helping the govt",
            ["are", "the", "mercenaries", "helping", "the", "government"],
        ),
        (
            "what was the op called, intel says",
            ["what", "was", "the", "operation", "called", "intelligence", "says"],
        ),
        ("2 mil people", ["2", "mil", "people"]),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    """Words split on punctuation and hyphens; emoji and symbols are not words; chat
    shortenings are written out."""
    assert words(text) == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("who leads jnim", {"who"}),
        ("how many fighters does jnim have", {"count"}),
        ("how many soldiers were killed", {"count", "toll"}),
        ("who killed the soldiers", {"who"}),
        ("when was the coup", {"when"}),
        ("what year did mali leave ecowas", {"when"}),
        ("what time does the curfew start", {"when"}),
        ("what day were they seized", {"when"}),
        ("which day did the raid begin", {"when"}),
        ("how far is kandi from karimama", {"count"}),  # a distance is a number
        # An age is not any number: "how old" asks for one.
        ("how old is the minister", {"age"}),
        ("what age was he", {"age"}),
        ("where does jnim operate", {"where"}),
        # "which country", "what town": the answer is a place.
        ("tinzawaten is along which country's border", {"where"}),
        ("what town did jnim take", {"where"}),
        ("the country's border", set()),
        ("what if bamako falls", {"if"}),
        ("what happens if the blockade holds", {"if"}),
        ("if bamako falls", set()),  # a condition, but not a question about its consequences
        ("fuel imports", set()),
        # Folding drops the apostrophe of "who's", and chat never typed it.
        ("who's the eu chief observer", {"who"}),
        ("whos in charge", {"who"}),
        ("where's the border crossing", {"where"}),
        ("when's the vote", {"when"}),
    ],
)
def test_intent(text: str, intent: set[str]) -> None:
    """Question words become the kind of answer asked for."""
    assert intent_of(words(text)) == intent


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Who leads JNIM?", ("lead", "jnim")),
        ("GSIM leader", ("jnim", "lead")),
        ("Jama’at Nusrat ul-Islam wa al-Muslimin", ("jnim",)),
        ("the takeover led to a deployment", ("takeov", "caus", "deploy")),
        ("petrol from the Ivory Coast", ("fuel", "cote_divoir")),
        ("diesel from Côte d'Ivoire", ("fuel", "cote_divoir")),
        ("the a of", ()),
    ],
)
def test_analyser_rewrites_glossary_phrases(text: str, terms: tuple[str, ...]) -> None:
    """Glossary groups meet whatever member is used; a blocked sense gets its own concept."""
    assert Analyzer(GLOSSARY).analyse(text).terms == terms


@pytest.mark.parametrize(
    ("text", "inner", "terms"),
    [
        ("fuel from the Ivory Coast", False, {"fuel", "cote_divoir"}),
        # The words inside a phrase count too, as plain stems...
        ("fuel from the Ivory Coast", True, {"fuel", "cote_divoir", "ivori", "coast"}),
        # ... but never as the concept a lone word would be: "led to" is no "lead".
        ("the takeover led to a deployment", True, {"takeov", "caus", "deploy"}),
    ],
)
def test_terms_with_the_words_inside_phrases(text: str, inner: bool, terms: set[str]) -> None:
    """``inner`` adds the stems inside glossary phrases, except concepts and stopwords."""
    assert Analyzer(GLOSSARY).terms([text], inner=inner) == terms


def test_stem_leaves_numbers_and_short_words() -> None:
    """Numbers and words of three letters or fewer are not stemmed."""
    assert (stem("6000"), stem("aes"), stem("imports")) == ("6000", "aes", "import")


@given(st.text())
def test_analyse_never_raises(text: str) -> None:
    """Any Unicode string, lone surrogates included, analyses without error."""
    analysis = Analyzer(GLOSSARY).analyse(text)
    assert all(term and " " not in term for term in analysis.terms)


@pytest.mark.parametrize(
    ("text", "bindings"),
    [
        ("population of Kayes", (("popul", "kay"),)),
        ("what is the population of the Ivory Coast", (("popul", "cote_divoir"),)),
        ("leaders of GSIM", (("lead", "jnim"),)),
        ("fuel imports", ()),
        ("of", ()),
        ("population of", ()),
    ],
)
def test_bindings_pair_an_attribute_with_its_entity(
    text: str, bindings: tuple[tuple[str, str], ...]
) -> None:
    """ "A of B" is recorded so that a fact must be about both A and B."""
    assert Analyzer(GLOSSARY).analyse(text).bindings == bindings


@pytest.mark.parametrize(
    ("text", "intent", "terms"),
    [
        ("HTS offensive date", {"when"}, ("hts", "offens")),
        ("number of fighters", {"count"}, ("fighter",)),
    ],
)
def test_intent_words_set_intent_and_leave_the_terms(
    text: str, intent: set[str], terms: tuple[str, ...]
) -> None:
    """Words like "date" or "number" ask for a kind of answer; they are not topics."""
    analysis = Analyzer(GLOSSARY).analyse(text)
    assert (analysis.intent, analysis.terms) == (intent, terms)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        # Chat fillers are no topic: what is left is what the question is about.
        ("tl;dr on the blockade", ("blockad",)),
        ("is jnim actually gonna attack or nah", ("jnim", "attack")),
        # "ppl" is written out, to meet "14,200 people" in a text.
        ("how many ppl live in kayes approx", ("peopl", "live", "kay")),
        ("what time does the curfew start", ("curfew", "start")),  # "what time" asks when
        ("which day did the raid begin", ("raid", "begin")),
        ("what month were they seized", ("seiz",)),
        ("day labourers lost work", ("day", "labour", "lost", "work")),
        ("whether the talks will resume", ("talk", "resum")),
        ("waiting times at petrol stations", ("wait", "time", "petrol", "station")),
        # "back then" speaks of the past and "if they want" is a condition: neither is the
        # topic, though "back" (support) and "want" (goal) may be glossary words.
        ("who stormed timbuktu back then", ("storm", "timbuktu")),
        ("who took timbuktu way back", ("took", "timbuktu", "way")),
        ("what happened back in 2012", ("happen", "2012")),
        ("who backs the junta", ("back", "junta")),
        ("russia is back", ("russia", "back")),
        ("can residents leave if they want", ("resid", "leav")),
        ("what does jnim want", ("jnim", "want")),
    ],
)
def test_function_words_and_chat_fillers_are_no_terms(text: str, terms: tuple[str, ...]) -> None:
    """Stopwords, chat fillers and a question's "what time" leave the topic's terms."""
    assert Analyzer(Glossary()).analyse(text).terms == terms


@pytest.mark.parametrize(
    ("text", "light"),
    [("the guys running jnim", "guy"), ("folks waiting", "folk"), ("has goita stepped down", None)],
)
def test_people_words_are_light(text: str, light: str | None) -> None:
    """ "Guys" and "folks" phrase a question as "people" does; "stepped down" is a topic."""
    found = {t for t in Analyzer(Glossary()).analyse(text).terms if t in LIGHT_STEMS}
    assert found == ({light} if light else set())


@pytest.mark.parametrize(
    "text", ["who\tleads\nJNIM", "who\u2028leads\u00a0JNIM", "who leads\r\nJNIM"]
)
def test_whitespace_of_any_kind_separates_words(text: str) -> None:
    """Tabs, newlines and Unicode spaces split words; they never glue two together."""
    assert words(text) == ["who", "leads", "jnim"]


def test_short_texts_are_analysed_once() -> None:
    """A question's analysis is reused (the two matchers and passes share it); long texts,
    such as facts being indexed, are not kept."""
    analyzer = Analyzer(Glossary(()))
    question = words("who leads the group")
    assert analyzer.analyse_words(question) is analyzer.analyse_words(list(question))
    long_text = words("word " * 100)
    assert analyzer.analyse_words(long_text) is not analyzer.analyse_words(long_text)
    assert analyzer.analyse_words(long_text) == analyzer.analyse_words(long_text)
