"""Text analysis for matching: normalisation, tokens, stems, glossary phrases and question intent.

Facts and queries go through the same :class:`Analyzer`, so whatever it does to one side it
does to the other: a glossary group, a stem or a folded accent can only make the two meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import snowballstemmer

from ..models import Glossary

# Queries longer than this are cut: nobody types a 10,000-character question on purpose, and
# every later step is linear in the text.
MAX_QUERY_CHARS = 400
MAX_QUERY_WORDS = 24
# Longer texts (a fact's answer, a passage) are analysed this far.
MAX_ANALYSED_CHARS = MAX_QUERY_CHARS * 4
# Analyses of short texts (questions, single words) an analyser keeps.
ANALYSIS_CACHE = 8192

_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2018\u2019\u201b\u02bc\u02bb\u0060\u00b4\u2032"})
# Control characters vanish, except those that separate words (tab, newline, ...).
_ASCII_CONTROLS: dict[int, str | None] = {
    **dict.fromkeys([*range(32), 127]),
    **dict.fromkeys(map(ord, "\t\n\v\f\r"), " "),
}


class _FoldTable(dict[int, str | None]):
    """Other characters than ASCII as :func:`fold` maps them, each worked out once: spaces
    to a space, marks and controls to nothing, the rest as they are."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        folded = " " if char.isspace() else None
        if folded is None and unicodedata.category(char) not in _DROP_CATEGORIES:
            folded = char
        self[code] = folded
        return folded


# Its keys are code points that texts hold, so it grows only to the size of their alphabets.
_FOLD_TABLE = _FoldTable()
_THOUSANDS_RE = re.compile(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}\b)")
_POSSESSIVE_RE = re.compile(r"(?<=\w)'s\b")
_APOSTROPHE_IN_WORD_RE = re.compile(r"(?<=\w)'(?=\w)")
_WORD_RE = re.compile(r"[^\W_]+(?:\.\d+)?")

# Function words carry no topic. Question words are removed here too; their meaning is kept
# separately as the query's intent (see ``intent_of``).
STOPWORDS = frozenset(
    """
    a about above after again against al all also am an and any are as at be because been
    before being below between both but by can could did do does doing dont down during each
    el few for from further had has have having he her here hers him his how i if in into is
    it its itself just let me more most my no nor not now of off on once only or other our out
    over own same she should so some such than that the their them then there these they this
    those through to too under until up very was we were what whats when where which while who
    whom whose why will with would you your yours
    whether though although unless myself yourself yourselves himself herself ourselves
    themselves
    ok okay please pls tell know show give explain describe info information detail details
    across along behind beside beyond inside onto per throughout toward towards upon via
    any anything something thing things get got go going gone there's is it's whats im
    currently current latest right now today still really much many
    hi hello hey thanks thank thx cheers help bye yes yeah
    tl dr tldr nah nope yep yup lol btw tbh imo fyi u ur ya gonna wanna gotta kinda sorta
    basically actually seriously literally honestly roughly approx approximately anyway
    wise
    isnt arent wasnt werent doesnt dont didnt hasnt havent hadnt cant couldnt wont wouldnt
    shouldnt youre theyre thats hows whens wheres whys whos ive id lets
    """.split()
)

# Shortenings a chat uses for everyday words, written out so that they meet the words a fact
# uses (and are not taken for typos: "mercs" is not "merchants"). Only unambiguous ones: not
# "mil" (military or million) or "min" (minister or minute).
_CHAT_SPELLINGS: Final = {
    "govt": "government",
    "gvt": "government",
    "govts": "governments",
    "ppl": "people",
    "intel": "intelligence",
    "op": "operation",
    "ops": "operations",
    "merc": "mercenary",
    "mercs": "mercenaries",
    "admin": "administration",
    "intl": "international",
    "natl": "national",
    "dept": "department",
    "pres": "president",
    "convo": "conversation",
    "yr": "year",
    "yrs": "years",
    "abt": "about",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "smth": "something",
    "sth": "something",
}

# Words that phrase a question rather than name its topic: common verbs and generic nouns
# and adjectives ("who *carried out* the attack", "*name* the leaders", "the *last* coup").
# They count for little when present and cost little when missing, and they are real words,
# so the first typo pass leaves them alone ("struck" is not a typo of "truck").
LIGHT_WORDS = frozenset(
    """
    conduct conducted launch launched mount mounted perform performed stage staged undertake
    undertaken man men person persons people anyone anybody everyone everybody someone somebody
    guy guys folk folks ppl stuff whole might goes worse luck called
    bringing brings talk talking regular
    able accept actually add affect again ago allow allowed almost already among amount another ask
    begin began begun start started stand stands
    appear apply around away back bad become became believe best better big
    both bring brought build built buy bought call came can care carry carried case
    certain choose clear close come comes coming common consider continue could
    cross deal decide describe did different doing done during each early easy else enough
    entire even ever every exact exactly example expect face fact far feel felt few find first
    follow full general generally get gets give given gives going good got great group
    groups grow hand happen happened happening happens hard hear held help high hold hope huge
    idea include including keep kept kind know known large last late latest least
    less let level like likely little long look lot lots made main major make makes making
    many matter may mean means meant might mind more most move much must name named near
    nearly need new next normal number often old once one ones open order others overall part
    particular past perhaps place placed play point possible pretty probably prove provide
    put quite rather real really reason recent recently remember right
    role said same say says see seem seen send sent serve set several short should show
    side since size small so some someone something sometimes soon sort state stay still
    story such sure take taken takes taking tell thing things think thought through
    time times told too top total toward towards true try turn type under understand until
    upon use used using usual usually various very want way ways well went whole wide will
    within without word work worked would year years yet
    """.split()
)

# Nouns that, after "which" or "what", ask for a place.
_PLACE_NOUNS = (
    "country countries town towns city cities region regions province provinces place places"
).split()
# A question word, or a phrase that asks for one kind of answer; the value is that kind.
_INTENT_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("how", "many"), "count"),
    (("how", "much"), "count"),
    (("how", "big"), "count"),
    (("how", "large"), "count"),
    (("how", "populous"), "count"),
    (("how", "old"), "age"),
    (("what", "age"), "age"),
    (("how", "far"), "count"),
    (("number", "of"), "count"),
    (("what", "year"), "when"),
    (("what", "date"), "when"),
    (("what", "time"), "when"),
    (("what", "day"), "when"),
    (("which", "day"), "when"),
    (("what", "month"), "when"),
    # "which country", "what town": the answer is a place.
    *(((which, place), "where") for which in ("which", "what") for place in _PLACE_NOUNS),
    (("who",), "who"),
    (("whom",), "who"),
    (("whose",), "who"),
    (("when",), "when"),
    (("where",), "where"),
    (("why",), "why"),
    # "who's", "where's": folding drops the apostrophe, and chat drops it too.
    (("whos",), "who"),
    (("whens",), "when"),
    (("wheres",), "where"),
    (("whys",), "why"),
    (("what", "if"), "if"),
    (("happen", "if"), "if"),
    (("happens", "if"), "if"),
    (("happened", "if"), "if"),
    (("date",), "when"),
    (("dates",), "when"),
    (("year",), "when"),
    (("number",), "count"),
    (("numbers",), "count"),
    (("figure",), "count"),
    (("figures",), "count"),
)
# The phrases by their first word: intent_of runs on every text an index analyses.
_INTENT_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _phrase, _kind in _INTENT_PHRASES:
    _INTENT_BY_FIRST.setdefault(_phrase[0], []).append((_phrase, _kind))

# A number that is not a year ("2021") or a day of a month ("September 11") is a count.
COUNT_RE = re.compile(
    r"(?<![\w,.])(?!(?:19|20)\d\d\b)\d[\d,.]*(?![\w,.]*\d)"
    r"|\b(?:hundreds?|thousands?|millions?|billions?|dozens?|percent|half|twice"
    r"|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b",
    re.I,
)
# Words that only say what kind of answer is wanted ("offensive date", "number of fighters"):
# they set the intent and are not topic words.
INTENT_WORDS = frozenset({"date", "dates", "year", "number", "numbers", "figure", "figures"})
# Words that say what kind of answer is wanted only after "what" or "which": "what time"
# and "which day" ask when, but "waiting times" and "day labourers" are a topic.
_INTENT_AFTER_WHAT = frozenset({"time", "day", "month"})
_WHAT = frozenset({"what", "which"})
# Words that a chat phrase uses for something else than their topic sense: "back then" and
# "way back" speak of the past, not of backing; "if they want" is a condition, not a goal.
_TIME_BACK_AFTER = frozenset({"then", "when", "in"})
_WANTING = frozenset({"want", "wants", "wanted"})
_IF_WHO = frozenset({"i", "you", "u", "we", "they", "he", "she", "people", "someone"})

_stemmer = snowballstemmer.stemmer("english")
_ARTICLES = frozenset({"the", "a", "an"})
_NOT_ATTRIBUTES = frozenset({"out", "off", "up", "away", "because", "instead", "ahead", "spite"})


def _bindings(
    folded: Sequence[str], terms: Sequence[str], spans: Sequence[tuple[int, int]]
) -> tuple[tuple[str, str], ...]:
    """``(attribute, entity)`` pairs written "<attribute> of <entity>" ("population of Kayes")."""
    ends = {end: term for term, (_, end) in zip(terms, spans, strict=True)}
    starts = {start: term for term, (start, _) in zip(terms, spans, strict=True)}
    pairs: list[tuple[str, str]] = []
    for i, word in enumerate(folded):
        # "pull out of", "because of": a particle before "of" is no attribute.
        if word != "of" or i not in ends or folded[i - 1] in _NOT_ATTRIBUTES:
            continue
        j = i + 2 if i + 1 < len(folded) and folded[i + 1] in _ARTICLES else i + 1
        if j in starts:
            pairs.append((ends[i], starts[j]))
    return tuple(pairs)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one normalised word; numbers and short words stay as they are."""
    if len(word) <= 3 or not word.isalpha():
        return word
    return str(_stemmer.stemWord(word))


_CASUALTY_STEMS = frozenset(
    stem(word)
    for word in """
    kill killed killing killings die died dead death deaths casualty casualties fatalities
    slaughter slaughtered massacre massacred murder murdered slain toll wounded injured
    lost loss losses
    """.split()
)

# Light words are matched by stem, so "getting", "holds" and "named" are as light as "get",
# "hold" and "name".
LIGHT_STEMS = frozenset(stem(word) for word in LIGHT_WORDS)


def fold(text: str) -> str:
    """Lowercase, accent-free, apostrophe-unified text with thousands separators removed.

    >>> fold("Côte d’Ivoire's 6,000 FIGHTERS")
    "cote divoire 6000 fighters"
    >>> fold("52.4%")
    "52.4 percent "
    """
    if text.isascii():
        # Most text is ASCII: only its control characters and backticks need replacing,
        # and most has neither (the fast path of indexing a large store: a passage's text
        # is read in many small windows).
        if not text.isprintable():
            text = text.translate(_ASCII_CONTROLS)
        if "`" in text:
            text = text.replace("`", "'")
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text).translate(_FOLD_TABLE)
        text = text.translate(_APOSTROPHES).casefold()
    text = _THOUSANDS_RE.sub("", text)
    if "%" in text:  # "41.7%" answers "what percentage": the sign is a word
        text = text.replace("%", " percent ")
    if "'" not in text:  # most texts: two regular expressions saved
        return text
    return _APOSTROPHE_IN_WORD_RE.sub("", _POSSESSIVE_RE.sub("", text))


def words(text: str) -> list[str]:
    """The folded words of ``text`` in order (punctuation and hyphens split words), chat
    spellings written out ("govt" → government)."""
    found: list[str] = _WORD_RE.findall(fold(text))
    if _CHAT_SPELLINGS.keys().isdisjoint(found):  # most text: no list built twice
        return found
    return [_CHAT_SPELLINGS.get(word, word) for word in found]


# Characters a word takes at most, as a rule, for reading words near a point in a text.
_WORD_SPAN = 32


def words_before(text: str, at: int, count: int) -> list[str]:
    """The last ``count`` of the words before ``text[at]``: ``words(text[:at])[-count:]``,
    read from a window of the text rather than all of it, unless the window is too short
    (its first word may be cut, so it must hold more than is asked)."""
    start = max(0, at - _WORD_SPAN * (count + 2))
    found = words(text[start:at])
    if start and len(found) <= count + 1:
        found = words(text[:at])
    return found[-count:] if count else []


def words_after(text: str, at: int, count: int) -> list[str]:
    """The first ``count`` of the words from ``text[at]`` on: ``words(text[at:])[:count]``,
    read from a window (see :func:`words_before`)."""
    stop = at + _WORD_SPAN * (count + 2)
    found = words(text[at:stop])
    if stop < len(text) and len(found) <= count + 1:
        found = words(text[at:])
    return found[:count]


def is_casualty(folded: Sequence[str]) -> bool:
    """True if the words speak of deaths ("killed", "death toll", "casualties")."""
    return any(stem(word) in _CASUALTY_STEMS for word in folded)


def _chat_sense(folded: Sequence[str], i: int) -> bool:
    """Whether word ``i`` is used in a set chat phrase rather than for its topic: "back
    then", "back in 2012", "way back"; "if they want"."""
    word = folded[i]
    if word == "back":
        after = folded[i + 1] if i + 1 < len(folded) else ""
        return after in _TIME_BACK_AFTER or (i > 0 and folded[i - 1] == "way")
    if word in _WANTING:
        return i >= 2 and folded[i - 2] == "if" and folded[i - 1] in _IF_WHO
    return False


def intent_of(raw_words: Sequence[str]) -> frozenset[str]:
    """The kinds of answer a question asks for: who, when, where, why, count, age, if
    (consequences).

    A count of deaths ("how many were killed") also asks for "toll", which a death toll answers.
    """
    found: set[str] = set()
    for i, word in enumerate(raw_words):
        for phrase, kind in _INTENT_BY_FIRST.get(word, ()):
            if tuple(raw_words[i : i + len(phrase)]) == phrase:
                found.add(kind)
    if "count" in found and is_casualty(raw_words):
        found.add("toll")
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Analysis:
    """A text as the matcher sees it.

    ``terms`` are the content terms in order (stems or glossary concepts, no stopwords);
    ``words`` the folded words they came from; ``intent`` what kind of answer is asked for.
    """

    terms: tuple[str, ...]
    words: tuple[str, ...]
    intent: frozenset[str]
    spans: tuple[tuple[int, int], ...] = ()
    bindings: tuple[tuple[str, str], ...] = ()

    def source(self, index: int) -> tuple[str, ...]:
        """The words that term ``index`` was made from."""
        start, end = self.spans[index]
        return self.words[start:end]


class Analyzer:
    """Turns text into matching terms, applying the glossary's synonym groups.

    Each glossary term is analysed into a sequence of stems; wherever that sequence occurs in a
    text (longest first) it is replaced by the group's concept, one term named after the group's
    first entry. Facts and queries are rewritten alike, so any two members of a group meet.
    """

    def __init__(self, glossary: Glossary) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        self.concept_words: dict[str, set[str]] = {}
        for group in glossary.synonyms:
            concept = "_".join(stem(w) for w in words(group[0])) if group else ""
            if not concept:
                continue
            for term in group:
                seq = tuple(stem(w) for w in words(term))
                if seq:
                    self._phrases.setdefault(seq, concept)
                    self.concept_words.setdefault(concept, set()).update(words(term))
        # For each first stem of a phrase, the phrase lengths to try, longest first.
        lengths: dict[str, set[int]] = {}
        for seq in self._phrases:
            lengths.setdefault(seq[0], set()).add(len(seq))
        self._lengths = {first: sorted(sizes, reverse=True) for first, sizes in lengths.items()}
        # A question is analysed by the facts' matcher and the passages', in two passes, and
        # each correction word alone: short texts are analysed once. The analyser never
        # changes, so a cached analysis never goes stale.
        self._cached = lru_cache(maxsize=ANALYSIS_CACHE)(self._analyse)
        # Longer texts are analysed whole by several readers of one entry as it is indexed
        # (its terms, its kinds, its evidence): the last few are kept.
        self._recent = lru_cache(maxsize=16)(self._analyse_text)

    def concepts(self, stems: Sequence[str]) -> list[tuple[str, int, int]]:
        """``(term, start, end)`` spans: glossary concepts where a phrase matches, else the stem."""
        out: list[tuple[str, int, int]] = []
        i = 0
        n = len(stems)
        lengths = self._lengths
        while i < n:
            for size in lengths.get(stems[i], ()):
                concept = self._phrases.get(tuple(stems[i : i + size])) if i + size <= n else None
                if concept is not None:
                    out.append((concept, i, i + size))
                    i += size
                    break
            else:
                out.append((stems[i], i, i + 1))
                i += 1
        return out

    def analyse_words(self, folded: Sequence[str]) -> Analysis:
        """Analyse already folded words (see :func:`words`)."""
        if len(folded) <= MAX_QUERY_WORDS:
            return self._cached(tuple(folded))
        return self._analyse(folded)

    def _analyse(self, folded: Sequence[str]) -> Analysis:
        stems = [stem(w) for w in folded]
        terms: list[str] = []
        spans: list[tuple[int, int]] = []
        for term, start, end in self.concepts(stems):
            # A lone stopword is dropped even when the glossary knows it ("help" alone is a
            # plea, not a topic); a glossary phrase made of stopwords is kept.
            word = folded[start]
            if end - start == 1 and (
                word in STOPWORDS
                or word in INTENT_WORDS
                or len(word) == 1
                or (word in _INTENT_AFTER_WHAT and start and folded[start - 1] in _WHAT)
                or _chat_sense(folded, start)
            ):
                continue
            terms.append(term)
            spans.append((start, end))
        return Analysis(
            tuple(terms),
            tuple(folded),
            intent_of(folded),
            tuple(spans),
            _bindings(folded, terms, spans),
        )

    def analyse(self, text: str) -> Analysis:
        """Analyse a text: fold, split, stem, rewrite glossary phrases, drop stopwords.

        Only the first :data:`MAX_ANALYSED_CHARS` characters are read."""
        return self._recent(text)

    def _analyse_text(self, text: str) -> Analysis:
        return self.analyse_words(words(text[:MAX_ANALYSED_CHARS]))

    def terms(self, texts: Iterable[str], *, inner: bool = False) -> set[str]:
        """The set of content terms over several texts.

        With ``inner``, also the words inside glossary phrases (as stems): a fact that says
        "foreign nationals" is about nationals too, though the phrase reads as "expatriates".
        """
        out: set[str] = set()
        for text in texts:
            analysis = self.analyse(text)
            out.update(analysis.terms)
            if inner:
                out.update(self.inner_terms(analysis))
        return out

    def inner_terms(self, analysis: Analysis) -> Iterator[str]:
        """The stems of the words inside the glossary phrases of an analysed text."""
        # A word that is a glossary term on its own is left out: a query never reads it as a
        # plain stem, and reading it as its concept is what phrases prevent ("led to" is no
        # "leader").
        for start, end in analysis.spans:
            if end - start < 2:
                continue
            for word in analysis.words[start:end]:
                term = stem(word)
                if (
                    len(word) > 1
                    and word not in STOPWORDS
                    and term not in LIGHT_STEMS
                    and (term,) not in self._phrases
                ):
                    yield term
