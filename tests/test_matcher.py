"""The matcher: right fact for keywords, questions, typos and synonyms; no_match otherwise."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sample import FACTS, GLOSSARY, make_fact

from knowledge.matching import lexicon
from knowledge.matching.matcher import MatchConfig, Matcher, _counted, _names_whom
from knowledge.matching.text import Analyzer, words
from knowledge.models import Fact, Glossary


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    """A matcher over the small fact set."""
    return Matcher(FACTS, GLOSSARY)


ANSWERED = [
    ("who leads JNIM", "jnim-leadership"),
    ("Who leads JNIM?", "jnim-leadership"),
    ("jnim leader", "jnim-leadership"),
    ("GSIM boss", "jnim-leadership"),
    ("who leds jnim", "jnim-leadership"),
    ("jnmi leader", "jnim-leadership"),
    ("fuel imports", "fuel-imports"),
    ("feul imports", "fuel-imports"),
    ("petrol from ivory coast", "fuel-imports"),
    ("fuel from the coast", "fuel-imports"),  # a word inside the glossary's "ivory coast"
    ("kayes", "kayes"),
    ("kayes population", "kayes"),
    ("how many militants does jnim have", "jnim-strength"),
    ("mali population", "mali-population"),
]


@pytest.mark.parametrize(("query", "fact_id"), ANSWERED)
def test_answers(matcher: Matcher, query: str, fact_id: str) -> None:
    """Keywords, questions, typos, aliases and synonyms find their fact."""
    answer = matcher.ask(query)
    assert answer.status == "answered", matcher.explain(query)
    assert answer.fact is not None and answer.fact.id == fact_id


ABSTAINED = [
    "who leads Boko Haram",
    "who leads al-Shabaab",
    "population of Togo",
    "fuel imports of Japan",
    "what's the exchange rate of the euro",
    "good morning everyone",
    "ok",
    "?",
    "",
    "   ",
    "🙂",
]


@pytest.mark.parametrize("query", ABSTAINED)
def test_abstains(matcher: Matcher, query: str) -> None:
    """Questions the facts do not answer get no_match, never a bluff."""
    answer = matcher.ask(query)
    assert answer.status == "no_match", matcher.explain(query)
    assert answer.fact is None


def test_no_match_suggests_close_topics(matcher: Matcher) -> None:
    """A near miss comes with "did you mean" suggestions, at most three, best first."""
    answer = matcher.ask("who leads Boko Haram")
    assert answer.alternatives and len(answer.alternatives) <= 3
    assert answer.alternatives[0].id == "jnim-leadership"
    scores = [a.score for a in answer.alternatives]
    assert scores == sorted(scores, reverse=True)


def test_retired_facts_never_answer() -> None:
    """A retired fact is not matched at all."""
    retired = tuple(
        dataclasses.replace(f, status="retired") if f.id == "kayes" else f for f in FACTS
    )
    answer = Matcher(retired, GLOSSARY).ask("kayes blockade")
    assert answer.fact is None or answer.fact.id != "kayes"


def test_empty_store_answers_nothing() -> None:
    """With no facts every query is no_match."""
    assert Matcher((), Glossary()).ask("who leads JNIM").status == "no_match"


@pytest.mark.parametrize(
    ("prefix", "first"),
    [("jnim lea", "jnim-leadership"), ("kay", "kayes"), ("fuel", "fuel-imports")],
)
def test_complete(matcher: Matcher, prefix: str, first: str) -> None:
    """Autocomplete ranks the fact whose title or keys fit what is typed so far first."""
    choices = matcher.complete(prefix)
    assert 0 < len(choices) <= 25
    assert choices[0].id == first


def test_complete_without_text_lists_facts(matcher: Matcher) -> None:
    """An empty prefix offers facts to pick from."""
    assert len(matcher.complete("", limit=3)) == 3


NASTY = [
    "'; DROP TABLE facts; --",
    "C++",
    "e-mail 12:30 http://x.y",
    "NEAR(a b)",
    "title:x",
    '"unbalanced',
    "a\x00b",
    "\ud800",
    "x" * 10_000,
    "(" * 2000,
    "AND OR NOT *",
]


@pytest.mark.parametrize("query", NASTY)
def test_hostile_queries_are_answered_or_refused(matcher: Matcher, query: str) -> None:
    """Hostile or odd input returns a verdict and never raises."""
    assert matcher.ask(query).status in {"answered", "no_match"}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()), max_size=3000))
def test_any_unicode_query_gets_a_verdict(query: str) -> None:
    """Any Unicode string gets answered or no_match with a score in 0–100."""
    answer = Matcher(FACTS, GLOSSARY).ask(query)
    assert answer.status in {"answered", "no_match"}
    assert 0 <= answer.score <= 100
    assert (answer.fact is not None) == (answer.status == "answered")


def test_only_active_facts_are_indexed(facts: tuple[Fact, ...]) -> None:
    """len() counts the facts that can answer."""
    assert len(Matcher(facts, GLOSSARY)) == len(facts)


def test_attribute_of_another_entity_is_no_match() -> None:
    """'population of X' is not answered by a fact about Y that merely mentions X."""
    kayes = dataclasses.replace(
        FACTS[2],
        answer="Kayes, a city of 127,000 people, and Nioro du Sahel have been blockaded.",
        keys=("Kayes population", "Kayes blockade"),
    )
    matcher = Matcher((kayes,), GLOSSARY)
    assert matcher.ask("population of Kayes").status == "answered"
    assert matcher.ask("population of Nioro").status == "no_match"


@pytest.mark.parametrize(
    ("query", "fact_id"),
    [
        ("feul supply", "fuel-imports"),  # also one edit from "fell", "feud": the facts decide
        ("waht is the kayes population", "kayes"),  # a typo of a question word is dropped
        ("ogita", None),  # an unknown name stays unknown
        ("Mopti fuel imports", None),  # a name is not a slip of "most", to be dropped
        ("Niamey fuel imports", None),  # ... nor of "name"
    ],
)
def test_typo_readings(matcher: Matcher, query: str, fact_id: str | None) -> None:
    """Typos are read the way the facts support; function-word typos vanish."""
    answer = matcher.ask(query)
    assert (answer.fact.id if answer.fact else None) == fact_id


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("how many fighters does JNIM have", "answered"),  # the fact has a number
        ("when did JNIM get its fighters", "no_match"),  # ... but no date
    ],
)
def test_count_and_when_need_a_number_or_a_date(matcher: Matcher, query: str, status: str) -> None:
    """A "how many" question needs a fact with a number, a "when" question one with a date."""
    assert matcher.ask(query).status == status


def _store_about_jihadists() -> tuple[Fact, ...]:
    """Eight facts: three say "jihadists", one is about shadow governance, one about Kayes."""
    topics = ("fuel blockade", "army convoys", "bus travel bans", "village sieges", "gold mines")
    facts = tuple(
        make_fact(
            f"fact-{i}",
            f"{'Jihadists and ' if i < 3 else ''}{topic}",
            f"{'The jihadists are behind' if i < 3 else 'News about'} the {topic}.",
            "JNIM is led",
            (topic,),
        )
        for i, topic in enumerate(topics)
    )
    shadow = make_fact(
        "shadow-governance",
        "Shadow governance",
        "JNIM runs a shadow government that collects taxes and settles disputes.",
        "JNIM is led",
        ("parallel administration",),
    )
    kayes = make_fact("kayes", "Kayes", "Kayes is a city in western Mali.", "JNIM is led")
    return (*facts, shadow, kayes)


@pytest.mark.parametrize(
    ("query", "fact_id"),
    [
        # "jihadists" is in most facts, so a fact without it may still be the one meant...
        ("parallel administration by jihadists", "shadow-governance"),
        # ... but a word few facts use is telling: no fact is about taxes in Kayes.
        ("parallel administration taxes in Kayes", None),
    ],
)
def test_a_word_most_facts_use_is_weak_evidence(query: str, fact_id: str | None) -> None:
    """A missing word counts against a fact by how much it tells facts apart."""
    answer = Matcher(_store_about_jihadists(), GLOSSARY).ask(query)
    assert (answer.fact.id if answer.fact else None) == fact_id, answer


def test_what_if_prefers_a_fact_that_says_what_would_follow() -> None:
    """ "What if X" asks for consequences: a fact stating them beats one about X alone."""
    falls = make_fact(
        "bamako-may-fall",
        "Will Bamako fall?",
        "Bamako may fall to JNIM within weeks.",
        "JNIM is led",
        ("will Bamako fall", "Bamako falls"),
    )
    domino = make_fact(
        "domino",
        "Regional consequences",
        "If Bamako falls, its neighbours would be next.",
        "JNIM is led",
        ("what happens if Bamako falls",),
    )
    matcher = Matcher((falls, domino), GLOSSARY)
    assert matcher.explain("Bamako falls")[0].fact_id == "bamako-may-fall"
    answer = matcher.ask("what if Bamako falls")
    assert answer.fact is not None and answer.fact.id == "domino"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("how many soldiers were killed in Kidal", "answered"),
        ("how many were killed in the Kidal ambush", "answered"),
        ("how many soldiers are in Kidal", "no_match"),
        ("how many soldiers does Kidal have", "no_match"),
    ],
)
def test_a_death_toll_answers_only_questions_about_deaths(query: str, status: str) -> None:
    """ "How many soldiers" is not answered by how many soldiers were killed."""
    ambush = make_fact(
        "kidal-ambush",
        "The Kidal ambush",
        "Rebels killed 40 soldiers in Kidal.",
        "JNIM is led",
        ("Kidal ambush", "how many soldiers were killed in Kidal"),
    )
    assert Matcher((ambush,), GLOSSARY).ask(query).status == status


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("who leads JNIM", "answered"),
        ("who leads the Ivory Coast", "no_match"),  # named only in passing by a fact about JNIM
    ],
)
def test_who_asks_about_what_the_fact_is_about(query: str, status: str) -> None:
    """A "who" question is not answered by a fact that mentions its subject in passing."""
    leaders = make_fact(
        "jnim-leadership",
        "Who leads JNIM",
        "JNIM is led by Iyad ag-Ghali; its fighters are active from Mali to the Ivory Coast.",
        "JNIM is led",
        ("JNIM leader",),
    )
    assert Matcher((leaders,), GLOSSARY).ask(query).status == status


def _schools_and_floods() -> tuple[Fact, ...]:
    schools = make_fact(
        "schools-closed",
        "Schools closed",
        "Classes were suspended and 146 schools closed, affecting 19,000 pupils.",
        "JNIM is led",
    )
    river = make_fact(
        "river-record",
        "The river at Gaya",
        "The river reached 6.3 metres at Gaya, the highest level on record.",
        "JNIM is led",
    )
    return (schools, river)


@pytest.mark.parametrize(
    ("query", "fact_id"),
    [
        # A word no fact uses is read as its derived relatives the store has...
        ("how many pupils are affected by school closures", "schools-closed"),
        ("how high was the river at Gaya", "river-record"),
        # ... but only real relatives: no fact speaks of a mission.
        ("what is the school mission", None),
    ],
)
def test_a_missing_word_is_read_as_its_derived_relatives(query: str, fact_id: str | None) -> None:
    """ "Closures" finds "closed" and "high" finds "highest" when the store lacks the word."""
    answer = Matcher(_schools_and_floods(), GLOSSARY).ask(query)
    assert (answer.fact.id if answer.fact else None) == fact_id, answer


@pytest.mark.parametrize(
    ("typed", "strict", "loose"),
    [
        ("jayes", ["kayes"], []),  # first letter replaced: only the strict pass, one slip
        ("mports", ["imports"], []),  # first letter dropped
        ("wimports", ["imports"], []),  # a letter put before it
        ("miports", ["imports"], []),  # first two swapped
        ("iports", ["imports"], ["imports"]),  # first letter kept: either pass
        ("vuel", [], []),  # a short word keeps its first letter ("fuel" is too far)
    ],
)
def test_a_slip_of_the_first_letter(
    matcher: Matcher, typed: str, strict: list[str], loose: list[str]
) -> None:
    """One edit may change a longer word's first letter; anything more must keep it."""
    assert matcher._corrections(typed, loose=False) == strict
    assert matcher._corrections(typed, loose=True) == loose


@pytest.mark.parametrize(
    ("typed", "strict", "loose"),
    [
        ("imporst", ["imports"], ["imports"]),  # one edit: either pass
        # Two edits in a word of seven letters or fewer is another word, not a typo: in a
        # large store there is a name two letters from almost any short unknown one.
        ("imbarts", [], []),
        ("popolatiun", ["population"], ["population"]),  # two in a long word: either pass
        ("pupolatiun", [], ["population"]),  # three: only the loose pass
    ],
)
def test_how_far_a_typo_may_be(
    matcher: Matcher, typed: str, strict: list[str], loose: list[str]
) -> None:
    """Each pass reads a typo within its distance, by the word's length."""
    assert matcher._corrections(typed, loose=False) == strict
    assert matcher._corrections(typed, loose=True) == loose


def test_typo_correction_reads_the_vocabulary_from_the_index(matcher: Matcher) -> None:
    """The index's words are read when a typo needs them; the glossary's are held."""
    assert matcher._known(["kayes", "gsim", "nope"]) == {"kayes", "gsim"}
    assert matcher.index.known(["gsim"]) == set()  # an alias no fact spells out
    assert matcher._corrections("gsmi", loose=False) == ["gsim"]


def test_warming_reads_the_vocabulary_ahead_and_changes_no_reading() -> None:
    """After warm(), a typo reads the same words, without a query to the index."""
    cold, warm = Matcher(FACTS, GLOSSARY), Matcher(FACTS, GLOSSARY)
    warm.warm()
    warm.index.conn.close()  # every bucket is read: none is asked for again
    for typed in ("kayis", "imporst", "popolatiun"):
        assert warm._stored_pool.bucket(len(typed), typed[0]) == cold._stored_pool.bucket(
            len(typed), typed[0]
        )


def test_a_name_the_store_has_never_seen_weighs_as_a_missed_topic(matcher: Matcher) -> None:
    """An unknown word that is no English word is a name: a question about something the
    store lacks, so missing it costs as much as missing a term the store knows; an unknown
    English word may be a paraphrase and costs less."""
    coverage = {}
    for unknown in ("zanbarek", "football"):
        query = matcher._query(words(f"fuel imports {unknown}"), loose=False)
        assert {slot.label: slot.name for slot in query.slots}[matcher.analyzer.analyse_words(
            [unknown]).terms[0]] is (unknown == "zanbarek")  # fmt: skip
        covered = frozenset(slot.label for slot in query.slots if slot.known)
        coverage[unknown] = matcher._content_coverage(query.slots, covered, frozenset())
    assert coverage["zanbarek"] < coverage["football"]


@pytest.mark.parametrize(
    ("unknown", "weight"),
    [
        ("football", MatchConfig().english_unknown_weight),  # an English word
        ("zanbarek", MatchConfig().unknown_weight),  # a name
    ],
)
def test_an_unknown_english_word_weighs_less_than_a_name(
    matcher: Matcher, unknown: str, weight: float
) -> None:
    """A common English word no fact uses ("currency" of a fact that says "CFA franc") is
    more often a paraphrase than a name the store lacks: it weighs less, so the rest of the
    question may carry it."""
    query = matcher._query(words(f"fuel imports {unknown}"), loose=False)
    slot = query.slots[-1]
    assert (slot.known, slot.weight) == (False, weight)
    assert MatchConfig().english_unknown_weight < MatchConfig().unknown_weight


def test_a_word_covered_by_a_related_word_is_compared_as_that_word() -> None:
    """Key similarity compares the question with the words a fact uses: "injured" of a fact
    that says "wounded" reads as "wound" (WordNet relates them)."""
    wounded = make_fact("wounded", "Casualties", "At least 52 people were wounded.", "52")
    query = Matcher((*FACTS, wounded), GLOSSARY)._query(words("how many injured"), loose=False)
    (slot,) = query.slots
    assert slot.reading(frozenset({"wound", "soldier"})) == "wound"
    assert slot.reading(frozenset({"soldier"})) == slot.label


AGES = (
    make_fact("minister-age", "The minister", "The minister, aged 58, took office.", "58"),
    make_fact("ministry-staff", "The ministry", "The ministry employs 400 staff.", "400"),
)


@pytest.mark.parametrize(
    ("facts", "query", "expected"),
    [
        (AGES, "how old is the minister", "minister-age"),
        (AGES[1:], "how old is the ministry", None),  # a number, but no age
        (AGES[1:], "how many staff does the ministry have", "ministry-staff"),
    ],
)
def test_how_old_asks_for_an_age(facts: tuple[Fact, ...], query: str, expected: str | None) -> None:
    """ "How old" is answered by a text that gives an age, not by any number."""
    answer = Matcher(facts, Glossary()).ask(query)
    assert (answer.fact.id if answer.fact else None) == expected, answer


COVERING = Matcher(FACTS, GLOSSARY, MatchConfig(shortlist_covering=True))


@pytest.mark.parametrize(
    ("query", "required"),
    [
        # The heaviest term outweighs the rest's share: an entry must hold it (ties by name).
        ("who leads JNIM", {"lead"}),
        ("Kayes fuel", {"fuel"}),
        # Among five, missing any one is within the share; missing two is not.
        ("kayes blockade fuel imports population", {"blockad", "fuel"}),
        ("the", None),  # nothing to cover
    ],
)
def test_only_entries_that_could_cover_the_question_are_shortlisted(
    query: str, required: set[str] | None
) -> None:
    """The terms one of which an entry must hold to reach the coverage an answer needs."""
    found = COVERING._required(COVERING._query(words(query), loose=False))
    assert (set(found) if found is not None else None) == required


@pytest.mark.parametrize("query", [*(q for q, _ in ANSWERED), *ABSTAINED])
def test_the_covering_shortlist_changes_no_verdict(matcher: Matcher, query: str) -> None:
    """Shortlisting only what could cover a question keeps every answer and no_match."""
    plain, covering = matcher.ask(query), COVERING.ask(query)
    assert (covering.status, covering.fact) == (plain.status, plain.fact)


@pytest.mark.parametrize("typed", ["dosso", "dossos"])
def test_a_far_word_is_never_read_as_a_function_word(matcher: Matcher, typed: str) -> None:
    """Two edits from "does", a name the store lacks must not vanish as a function word."""
    assert "does" not in matcher._corrections(typed, loose=True)


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("how many cholera cases are there in Niamey", ["cholera", "case"]),
        ("how many hectares of crops were lost", ["hectar"]),
        ("how many displaced families are in Kandi", ["displac", "famili"]),
        # Anyone counts: "how many people died" is answered by "killing two workers".
        ("how many people have been affected", []),
        ("how many ppl were hurt", []),
        # Deaths are judged by the toll a text gives, not by the words after a number.
        ("how many were killed in Gao", []),
        ("how much money was pledged", []),
        ("who leads JNIM", []),
    ],
)
def test_what_how_many_asks_to_count(question: str, counted: list[str]) -> None:
    """The words after "how many", to the first function word, are what is counted."""
    assert _counted(Analyzer(Glossary()).analyse(question)) == counted


@pytest.mark.parametrize(
    ("asked", "name", "near", "described", "expected"),
    [
        # A name beside the role asked about, made of none of the question's words.
        ({"governor", "dosso"}, ["colonel", "sidi"], ["governor"], False, True),
        # A name made of the question's words is what it asks about.
        ({"leader", "niger"}, ["red", "cross", "niger"], ["leader"], False, False),
        # A title before a person's name holds all the question's words, and more.
        ({"interior", "minist"}, ["interior", "minist", "fernand", "hounkpatin"], [], False, True),
        ({"interior", "minist"}, ["interior", "minist"], [], False, False),
        ({"governor"}, ["colonel", "sidi"], ["said"], False, False),
        # "who is <name>": the name, followed by who it is ("... is a spokesman of ...").
        ({"sokia", "kamik"}, ["sokia", "ag", "kamik"], ["is", "a", "spokesman"], True, True),
        ({"sokia", "kamik"}, ["sokia", "ag", "kamik"], ["said", "the"], False, False),
        # Part of the name is not the person asked about.
        ({"sokia", "kamik"}, ["sokia", "diallo"], ["is", "a"], True, False),
    ],
)
def test_a_name_says_who_only_as_the_answer(
    asked: set[str], name: list[str], near: list[str], described: bool, expected: bool
) -> None:
    assert _names_whom(frozenset(asked), name, near, described) is expected


def test_a_related_word_beside_a_name_says_who() -> None:
    """ "the winner, Amadou Baro" answers "who won": the question's related words count as
    its own beside a name, though never inside one."""
    name, near = ["amadou", "baro"], ["declared", "winner"]
    assert not _names_whom(frozenset({"won"}), name, near, False)
    assert _names_whom(frozenset({"won"}), name, near, False, related=frozenset({"winner"}))
    assert not _names_whom(
        frozenset({"baro"}), ["baro", "amadou"], ["winner"], False, related=frozenset({"winner"})
    )


ABBREVIATED = (
    make_fact(
        "observer-mission",
        "The observer mission",
        "The European Union observer mission, headed by Maria Lindqvist, found problems.",
        "The European Union observer mission",
        ("observer mission",),
    ),
    make_fact(
        "ecowas-mission",
        "The ECOWAS mission",
        "The ECOWAS observer mission said voting was largely peaceful.",
        "The ECOWAS observer mission said voting was largely peaceful",
        ("ecowas observer mission",),
    ),
    make_fact(
        "vote-share",
        "The results",
        "Baro took 52.4% of the vote and Diallo-Mensah 41.7%.",
        "Baro took 52.4% of the vote",
        ("results",),
    ),
)


@pytest.mark.parametrize(
    ("query", "fact_id"),
    [
        # An initialism of a name the fact writes out (evidence.initialisms).
        ("eu observers", "observer-mission"),
        # A percent sign is the word "percent" (text.fold).
        ("what percentage did baro get", "vote-share"),
    ],
)
def test_a_question_may_abbreviate_what_the_fact_spells_out(query: str, fact_id: str) -> None:
    answer = Matcher(ABBREVIATED, Glossary()).ask(query)
    assert (answer.fact.id if answer.answered and answer.fact else None) == fact_id


# Facts as a moderator writes them in Discord: a title, an answer, a quote and a key or two.
LIGHT_FACTS = (
    make_fact(
        "jnim-talks",
        "JNIM's talks with the junta",
        "JNIM has held talks with local officials, but the junta refuses any dialogue.",
        "JNIM has held talks with local officials",
        ("jnim talks",),
    ),
    make_fact(
        "tanker-drivers",
        "Tanker drivers on the Bamako roads",
        "JNIM has taken tanker drivers prisoner and burned their trucks.",
        "taken tanker drivers prisoner",
        ("tanker drivers",),
    ),
    make_fact(
        "bamako-fuel",
        "Fuel in Bamako",
        "Fuel is scarce in Bamako and queues at filling stations last for days.",
        "queues at filling stations last for days",
        ("bamako fuel",),
    ),
    make_fact(
        "kayes-attack",
        "The attack on Kayes",
        "At least 52 people were wounded in the attack on Kayes.",
        "At least 52 people were wounded",
        ("kayes attack",),
    ),
    make_fact(
        "karimama-schools",
        "Schools in Karimama",
        "About 6,700 children are out of school in Karimama.",
        "About 6,700 children are out of school",
        ("karimama schools",),
    ),
)


@pytest.fixture(scope="module")
def light() -> Matcher:
    """A matcher over facts with one key each and no glossary."""
    return Matcher(LIGHT_FACTS, Glossary())


@pytest.mark.parametrize(
    ("query", "fact_id", "rule"),
    [
        # A question's word that a fact lacks is covered by the word WordNet relates to it.
        ("negotiations with the junta", "jnim-talks", "related_credit"),
        ("petrol in bamako", "bamako-fuel", "related_credit"),
        ("hostage drivers", "tanker-drivers", "related_credit"),
        ("how many injured in kayes", "kayes-attack", "related_credit"),
        ("how many kids are out of school in karimama", "karimama-schools", "related_credit"),
        # A question the answer covers needs no key that says it.
        ("queues at filling stations", "bamako-fuel", "body_as_head"),
        ("officials dialogue", "jnim-talks", "body_as_head"),
    ],
)
def test_light_facts_answer_from_their_own_words(
    light: Matcher, query: str, fact_id: str, rule: str
) -> None:
    """Facts with one key answer paraphrases; each rule is what makes its question answer."""
    answer = light.ask(query)
    assert answer.fact is not None and answer.fact.id == fact_id, light.explain(query)
    without = Matcher(LIGHT_FACTS, Glossary(), dataclasses.replace(light.config, **{rule: 0.0}))
    assert without.ask(query).status == "no_match", without.explain(query)


def test_a_word_the_store_knows_is_bridged_to_its_relatives_too(light: Matcher) -> None:
    """ "Treated" is bridged to "treatment" even where the store has the word "treated"."""
    analysis = light.analyzer.analyse("wounded treated in kayes")
    bridged = light._related(analysis)
    assert "treatment" in bridged["treat"] and "hurt" in bridged["wound"]


def test_a_typo_reading_is_not_bridged(light: Matcher) -> None:
    """A correction is a guess already: "lome" read as "lose" must not reach "loss"."""
    analysis = light.analyzer.analyse("attack on lose")
    assert "lose" in light._related(analysis, ["attack", "on", "lose"])
    assert "lose" not in light._related(analysis, ["attack", "on", "lome"])


@pytest.mark.parametrize(
    "query",
    [
        "negotiations with boko haram",  # the related word covers, the name does not
        "petrol in niamey",
        "how many injured in gao",
        "hostage negotiations in chad",
        "hospital in kayes",  # "hospitality" is no sense of "hospital"
    ],
)
def test_light_facts_still_abstain(light: Matcher, query: str) -> None:
    """A related word covers a word at a discount: it never makes up for a missing subject."""
    assert light.ask(query).status == "no_match", light.explain(query)


def test_a_question_of_known_words_never_loads_the_english_word_list(matcher: Matcher) -> None:
    """The word list takes a fifth of a second to load: a cold `sitrep ask` of words the
    store holds does without it (it is for words no fact holds)."""
    lexicon._frequencies.cache_clear()
    try:
        assert matcher.ask("who leads jnim").answered
        assert lexicon._frequencies.cache_info().misses == 0
    finally:
        lexicon._frequencies()  # leave it loaded, as the other tests found it
