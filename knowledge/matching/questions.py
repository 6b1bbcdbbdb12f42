"""Question keys derived from a fact's own words: what people would ask that the fact answers.

A moderator writes a title, an answer, a quote and perhaps two keys; people then ask "who
leads JNIM" of an answer that says "JNIM is led by Iyad ag-Ghali". :func:`question_forms`
turns the fact's sentences into the questions they answer, by a few rules of English
grammar, the same way every time:

- passive with an agent: "X is led by Y" → "who leads X", "X leader";
- an agent's verb: "Y heads X" → "who heads X"; "Y founded X" → "who founded X";
- a date: "the blockade began in September 2025" → "when did the blockade begin";
- a number: "N people were killed in P" → "how many people were killed in P", "X has N
  fighters" → "how many fighters does X have", "a population of N" → "what is the population
  of X";
- a definition: "X is the capital of Y" → "what is the capital of Y", "what is X" (and "where
  is X" of a place, "who is X" of a person);
- the title: an embedded question becomes a direct one ("Where Mali gets its fuel" → "where
  does Mali get its fuel"), a name becomes "what is …", and any title gives its keyword form
  ("Fuel blockade of Bamako" → "fuel blockade Bamako").

Verbs are inflected with a short table of irregular verbs and, for regular ones, the English
word list of :mod:`knowledge.matching.lexicon` ("declared" → declare, not "declar"). Nothing
here reads the store or the network: these are suggestions, and a moderator accepts them as
keys (see ``Curator.add_keys``) or leaves them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Final

from ..documents.passages import sentences
from ..models import Fact
from ..validation import MAX_KEY, MENTION_RE, bad_characters
from .lexicon import english_frequency
from .text import STOPWORDS, words

DEFAULT_LIMIT: Final = 6
# A subject or an object longer than this is a clause of its own, not a phrase to quote in a
# question ("when did a combination of Tuareg rebels and jihadist fighters ... kill").
MAX_PHRASE_WORDS: Final = 6
MAX_FORM_WORDS: Final = 12

# Irregular verbs as base, past, past participle (the regular ones follow the word list).
_IRREGULAR_VERBS: Final = """
be was been; begin began begun; break broke broken; bring brought brought; build built built;
buy bought bought; catch caught caught; choose chose chosen; come came come; cut cut cut;
deal dealt dealt; do did done; drive drove driven; eat ate eaten; fall fell fallen;
feed fed fed; fight fought fought; find found found; flee fled fled; forbid forbade forbidden;
get got got; give gave given; go went gone; grow grew grown; have had had; hide hid hidden;
hit hit hit; hold held held; keep kept kept; know knew known; lead led led; leave left left;
lose lost lost; make made made; mean meant meant; meet met met; overrun overran overrun;
pay paid paid; put put put; rise rose risen; run ran run; say said said; see saw seen;
seek sought sought; sell sold sold; send sent sent; set set set; shoot shot shot; shut shut shut;
slay slew slain; speak spoke spoken; spend spent spent; spread spread spread; stand stood stood;
steal stole stolen; strike struck struck; swear swore sworn; take took taken; teach taught taught;
tell told told; think thought thought; throw threw thrown; understand understood understood;
win won won; withdraw withdrew withdrawn; write wrote written; become became become
"""
_BASE_OF: dict[str, str] = {}
_PAST: dict[str, str] = {}
_PARTICIPLE: dict[str, str] = {}
for _entry in _IRREGULAR_VERBS.split(";"):
    _base, _past, _part = _entry.split()
    _PAST[_base], _PARTICIPLE[_base] = _past, _part
    for _form in (_past, _part):
        _BASE_OF.setdefault(_form, _base)

_BE: Final = {"is": "present", "are": "present", "was": "past", "were": "past"}
_AUXILIARIES: Final = frozenset(
    "is are was were has have had do does did can could will would may might must should".split()
)
# Verbs whose subject is who did it, asked of with "who": "Y leads X" → "who leads X".
_AGENT_VERBS: Final = frozenset(
    """lead head run command found control govern rule own chair direct manage coordinate
    create establish form organise organize claim back fund finance sponsor arm train
    support protect oversee""".split()
)
# The person each agent's verb makes: "who leads X" is also asked as "X leader".
_AGENT_NOUNS: Final = {
    "lead": "leader",
    "head": "head",
    "command": "commander",
    "found": "founder",
    "rule": "ruler",
    "govern": "governor",
    "own": "owner",
    "create": "creator",
    "direct": "director",
    "fund": "funder",
    "sponsor": "sponsor",
    "back": "backer",
}
# Verbs of having: "X boasts 6,000 fighters" → "how many fighters does X have".
_HAVE_VERBS: Final = frozenset("have boast count number field employ hold possess".split())
# Nouns naming a person: "X is the notorious warlord who ..." → "who is X".
_PERSON_NOUNS: Final = frozenset(
    """leader leaders head chief founder founders president commander ruler governor minister
    chairman chairwoman chair director spokesman spokesperson spokeswoman emir king queen
    prince mayor owner successor predecessor deputy boss general warlord militant cleric
    preacher politician officer official ambassador envoy activist journalist author writer
    member members man woman person figure rebel insurgent fighter jihadist soldier colonel
    captain lieutenant sergeant negotiator mediator prime""".split()
)
# Nouns naming a place: "Kayes is a city in Mali" → "where is Kayes".
_PLACE_NOUNS: Final = frozenset(
    """city town village country region province state district capital port island river
    lake mountain area zone territory county municipality commune neighbourhood neighborhood
    suburb border crossing base desert valley""".split()
)
# What a number's noun phrase may not hold: "6,000 fighters, spread across" ends at the comma,
# "50 percent of" is a share, not a count of something.
_NOT_COUNTED: Final = frozenset(
    "percent per cent percentage times kilometres kilometers km miles metres meters".split()
)
# Nouns of "the <noun> of <number>" that say "a number" rather than what it measures.
_NOT_MEASURES: Final = frozenset(
    "total number upwards group force maximum minimum average range sum one handful".split()
)
_QUALIFIERS: Final = tuple(
    tuple(phrase.split())
    for phrase in (
        *"approximately about nearly almost some around roughly over just estimated".split(),
        *("more than", "at least", "up to", "as many as", "upwards of", "an estimated"),
        *("fewer than", "less than", "at most"),
    )
)
_NUMBER_WORDS: Final = frozenset(
    """two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty
    sixty seventy eighty ninety hundred hundreds thousand thousands million millions dozens
    dozen""".split()
)
_PREPOSITIONS: Final = frozenset(
    """in at on to from with by for of into onto over under across along near against
    toward towards through during since until after before within without between among
    around behind beyond upon via like as""".split()
)
_DETERMINERS: Final = frozenset(
    "the a an its their his her our this that these those few many some several most".split()
)
# A clause's word that starts an adverbial or a subordinate clause, never a subject.
_OPENERS: Final = frozenset(
    """in at on as since when while after before because although though if with without
    besides like unlike despite for from during today yesterday now however meanwhile
    yes no also still more less over under according by once""".split()
)
# Words that end a phrase: relatives, conjunctions of clauses.
_PHRASE_ENDS: Final = frozenset("who whom whose which that where when while and but or".split())
_WH: Final = frozenset("who what where when why how which".split())
_MONTH: Final = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december)"
)
_DATE_RE: Final = re.compile(
    rf"\b(?:(?:in|on|since|from|by|until|during)\s+)?(?:(?:early|mid|late)[- ])?"
    rf"(?:\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?|{_MONTH}(?:\s+\d{{1,2}})?(?:,?\s+\d{{4}})?"
    rf"|(?:1[89]|20)\d\d)\b",
    re.IGNORECASE,
)
_TOKEN_RE: Final = re.compile(r"\d[\d,.]*\d|\d|[^\W\d_](?:[\w'’.-]*\w)?|[,;:()?!]")
_PARENTHESES_RE: Final = re.compile(r"\s*\([^()]*\)")
# ", in Mali," between a subject and its verb: a place said in passing.
_ASIDE_RE: Final = re.compile(
    r",\s+(?:(?:in|at|near|on|from)|(?:led|\w+ed)\s+by)\s+[^,;]{1,40},", re.IGNORECASE
)
_SPACES_RE: Final = re.compile(r"\s+")


# --------------------------------------------------------------------------- verbs


def _known(word: str) -> int:
    return english_frequency(word.casefold())


def _best_base(candidates: Iterable[str]) -> str | None:
    """The commonest English word among ``candidates`` (at least three letters)."""
    found = [(c, _known(c)) for c in candidates if len(c) >= 3 and _known(c)]
    return max(found, key=lambda item: item[1])[0] if found else None


@lru_cache(maxsize=8192)
def past_base(word: str) -> str | None:
    """The base of a past-tense or participle form ("led" → lead, "declared" → declare,
    "stopped" → stop, "carried" → carry), or ``None`` if ``word`` is not one."""
    word = word.casefold()
    if word in _BASE_OF:
        return _BASE_OF[word]
    if len(word) < 4 or not word.endswith("ed") or not word.isalpha():
        return None
    stem = word[:-2]
    candidates = [stem, word[:-1]]
    if word.endswith("ied"):
        candidates.append(word[:-3] + "y")
    if len(stem) > 2 and stem[-1] == stem[-2]:
        candidates.append(stem[:-1])
    return _best_base(candidates)


@lru_cache(maxsize=8192)
def present_base(word: str) -> str | None:
    """The base of a third-person present form ("leads" → lead, "enforces" → enforce,
    "carries" → carry, "has" → have), or ``None`` if ``word`` does not end like one."""
    word = word.casefold()
    special = {"has": "have", "is": "be", "does": "do", "goes": "go"}
    if word in special:
        return special[word]
    if len(word) < 4 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    candidates = [word[:-1]]
    if word.endswith("es"):
        candidates.append(word[:-2])
    if word.endswith("ies"):
        candidates.append(word[:-3] + "y")
    return _best_base(candidates)


def third_person(base: str) -> str:
    """The third-person present of a verb: lead → leads, carry → carries, have → has."""
    special = {"have": "has", "be": "is", "do": "does", "go": "goes"}
    if base in special:
        return special[base]
    if base.endswith(("s", "sh", "ch", "x", "z", "o")):
        return base + "es"
    if len(base) > 2 and base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ies"
    return base + "s"


def past_tense(base: str) -> str:
    """The simple past of a verb: lead → led, form → formed, carry → carried."""
    if base in _PAST:
        return _PAST[base]
    if base.endswith("e"):
        return base + "d"
    if len(base) > 2 and base.endswith("y") and base[-2] not in "aeiou":
        return base[:-1] + "ied"
    return base + "ed"


def participle(base: str) -> str:
    """The past participle of a verb: take → taken, kill → killed."""
    return _PARTICIPLE.get(base) or past_tense(base)


# --------------------------------------------------------------------------- clauses


def _tokens(text: str) -> list[str]:
    text = _PARENTHESES_RE.sub("", text)
    text = _ASIDE_RE.sub("", text)
    return _TOKEN_RE.findall(text.replace("’", "'"))


def _is_word(token: str) -> bool:
    return token[:1].isalnum()


def _is_number(token: str) -> bool:
    return token[:1].isdigit() or token.casefold() in _NUMBER_WORDS


def _reduced(tokens: Sequence[str], i: int, *, title: bool) -> bool:
    """Whether the past form at ``i`` describes the words before it rather than being their
    verb: "casualties inflicted by mercenaries", and in a title "Rules imposed in X"."""
    word = tokens[i].casefold()
    base = past_base(word)
    if base is None or word == past_tense(base) != participle(base):
        return False  # "fell", "began": only ever a verb
    following = tokens[i + 1].casefold() if i + 1 < len(tokens) else ""
    return following == "by" or (title and following in _PREPOSITIONS)


def _verb_at(tokens: Sequence[str], start: int, *, title: bool = False) -> int | None:
    """Where the clause's verb is: an auxiliary or a past form first, else a present "-s".

    The subject starts at ``start``, so the search starts one word after it; a verb past
    a comma or a word that ends a phrase is out of reach. A present "-s" counts only after a
    name or a short phrase with an article ("JNIM controls", "the group controls"), since
    after other words it is more often a plural noun ("sharia rules").
    """
    reach = start + 1
    while reach < len(tokens) and (_is_word(tokens[reach]) or tokens[reach] == "'"):
        if tokens[reach].casefold() in _PHRASE_ENDS:
            break
        reach += 1
    window = range(start + 1, min(reach, start + 1 + MAX_PHRASE_WORDS))
    for i in window:
        word = tokens[i]
        if word in _AUXILIARIES or (
            word.islower() and past_base(word) and not _reduced(tokens, i, title=title)
        ):
            return i
    for i in window:
        word, before = tokens[i], tokens[i - 1]
        named = before[:1].isupper() and not before.endswith("'s")
        phrase = tokens[start].casefold() in _DETERMINERS and i - start <= 3
        if word.islower() and present_base(word) and (named or phrase):
            return i
    return None


# Nouns naming a group of people: "X is the jihadist group that toppled ..." → "who toppled ...".
_GROUP_NOUNS: Final = frozenset(
    """group groups movement organisation organization coalition alliance party army militia
    force forces faction network branch affiliate insurgency junta government regime
    company""".split()
)
# "by" that names no agent: "caught by surprise", "by far".
_NOT_AGENTS: Final = frozenset(
    "surprise far force default chance hand mistake accident design road air sea land way".split()
)
# What a count of people in a place is: its population.
_SUBORDINATORS: Final = frozenset(
    "which who whom where before after because since until while when although".split()
)
# How often a word must occur in the English word list to be a common word, not a name.
_COMMON: Final = 1000
_INHABITANTS: Final = frozenset("people inhabitants residents citizens".split())


def _phrase(tokens: Sequence[str], start: int, *, of: bool = True) -> list[str]:
    """The noun phrase at ``start``: words up to a comma, a relative or a verb; "of" joins."""
    out: list[str] = []
    for token in tokens[start:]:
        folded = token.casefold()
        if not _is_word(token) or folded in _PHRASE_ENDS or len(out) >= MAX_PHRASE_WORDS:
            break
        if folded in _PREPOSITIONS and not (of and folded == "of"):
            break
        if out and token.islower() and folded in _AUXILIARIES:
            break
        if out and token.islower() and _reduced([*tokens[start:], ""], len(out), title=True):
            break  # "the deployment prompted by ...", but "an armed group"
        out.append(token)
    return _trimmed(out)


def _trimmed(out: list[str]) -> list[str]:
    while out and out[-1].casefold() in (STOPWORDS | _PREPOSITIONS):
        out.pop()
    return out


def _complement(tokens: Sequence[str], start: int) -> list[str]:
    """What follows a verb, up to a comma, a date, a relative or a clause's "and"."""
    out: list[str] = []
    i = start
    while i < len(tokens) and len(out) < MAX_PHRASE_WORDS + 2:
        token = tokens[i]
        if not _is_word(token) or token.casefold() in _PHRASE_ENDS:
            break
        date = _DATE_RE.match(" ".join(tokens[i : i + 5]))
        if date and (date.group().split()[0].casefold() in _PREPOSITIONS or _is_number(token)):
            break
        out.append(token)
        i += 1
    return _trimmed(out)


def _place_after(tokens: Sequence[str], start: int) -> list[str]:
    """ "in <Name>" or "at <Name>" just after ``start``, to say where something was counted."""
    for i in range(start, min(start + 3, len(tokens) - 1)):
        if tokens[i] in ("in", "at") and tokens[i + 1][:1].isupper():
            name = [tokens[i + 1]]
            for token in tokens[i + 2 : i + 4]:
                if not token[:1].isupper():
                    break
                name.append(token)
            return [tokens[i], *name]
        if not _is_word(tokens[i]):
            break
    return []


def _subject_ok(subject: Sequence[str]) -> bool:
    """A subject worth quoting: a short phrase, no clause opener, no pronoun."""
    if not subject or len(subject) > MAX_PHRASE_WORDS:
        return False
    first = subject[0].casefold()
    pronouns = {"it", "they", "he", "she", "we", "this", "that", "these", "those", "there"}
    return (
        first not in _OPENERS
        and first not in pronouns
        and first not in _WH
        and all(_is_word(t) and t.casefold() not in _PHRASE_ENDS for t in subject)
    )


def _lower_start(phrase: Sequence[str], lower: frozenset[str]) -> list[str]:
    """``phrase`` with its first word in lower case if ``lower`` holds it, unless it starts a
    name: "The Taliban" → "the Taliban", but "United States" stays."""
    out = list(phrase)
    if not out or _acronym(out[0]):
        return out
    first = out[0].casefold()
    function = first in _DETERMINERS or first in STOPWORDS
    if first in lower and (function or len(out) == 1 or not out[1][:1].isupper()):
        out[0] = first
    return out


def _acronym(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _is_name(subject: Sequence[str]) -> bool:
    """A proper name ("Kayes", "the Wagner Group"), as opposed to "the blockade"."""
    rest = subject[1:] if subject and subject[0].casefold() == "the" else subject
    return bool(rest) and all(t[:1].isupper() or t.casefold() in {"of", "du", "de"} for t in rest)


def _name_before(tokens: Sequence[str], end: int) -> list[str]:
    """The last name (a run of capitalised words) among the few words before ``end``."""
    i = end - 1
    while i >= max(0, end - 8) and not (tokens[i][:1].isupper() and _is_word(tokens[i])):
        i -= 1
    if i < max(0, end - 8):
        return []
    start = i
    while start > 0 and tokens[start - 1][:1].isupper() and _is_word(tokens[start - 1]):
        start -= 1
    return list(tokens[start : i + 1])


def _head_noun(phrase: Sequence[str]) -> str:
    """The phrase's main noun: its last word before "of" ("capital" of "the capital of Mali")."""
    words_before_of: list[str] = []
    for token in phrase:
        if token.casefold() in _PREPOSITIONS:
            break
        words_before_of.append(token)
    return (words_before_of or [""])[-1].casefold()


def _who_or_what(noun: str) -> str:
    return "who" if noun in _PERSON_NOUNS or noun in _GROUP_NOUNS else "what"


class _Clause:
    """One clause: its words, whether it names a date, and the words its text has in lower
    case (a sentence's first word is lowered in a question only if it is one of them)."""

    def __init__(self, tokens: list[str], dated: bool, lower: frozenset[str]) -> None:
        self.tokens = tokens
        self.dated = dated
        self.lower = lower

    def lowered(self, phrase: Sequence[str]) -> list[str]:
        """``phrase`` with its first word in lower case where the text writes it so."""
        return _lower_start(phrase, self.lower)

    def forms(self, *, title: bool = False) -> Iterator[str]:
        """The questions this clause answers."""
        tokens = self.tokens
        yield from self._counts()
        verb = _verb_at(tokens, 0, title=title)
        if verb is None:
            return
        subject = self.lowered(tokens[:verb])
        if not _subject_ok(subject):
            return
        word = tokens[verb]
        after = tokens[verb + 1 :]
        if word in _BE:
            yield from self._copula(subject, word, after)
        elif word in {"has", "have", "had"} and after and past_base(after[0]):
            base = past_base(after[0])
            if base and self.dated:
                yield _join("when did", subject, base, _complement(after, 1))
        elif word not in _AUXILIARIES:
            yield from self._active(subject, word, after)

    def _copula(self, subject: list[str], be: str, after: list[str]) -> Iterator[str]:
        tense = _BE[be]
        if after and after[0].islower() and past_base(after[0]):
            base = past_base(after[0]) or ""
            by = after.index("by") if "by" in after[:3] else -1
            agent = after[by + 1 : by + 2] if by >= 0 else []
            if agent and agent[0].casefold() not in _NOT_AGENTS:
                verb = third_person(base) if tense == "present" else past_tense(base)
                yield _join("who", verb, subject)
                if base in _AGENT_NOUNS and tense == "present":
                    yield _join(subject, _AGENT_NOUNS[base])
            if self.dated and tense == "past":
                yield _join("when", be, subject, after[0], _complement(after, 1))
            return
        yield from self._definition(subject, be, after)

    def _definition(self, subject: list[str], be: str, after: list[str]) -> Iterator[str]:
        lead = [t.casefold() for t in after[:4]]
        plural = "are" if be == "is" else "were"
        if lead[:3] == ["one", "of", "the"]:
            # "X is one of the (two) leaders of Y" → "who are the leaders of Y".
            rest = [t for t in after[3:] if not _is_number(t)]
            phrase = ["the", *_phrase(rest, 0)]
            if "of" in [t.casefold() for t in phrase]:
                yield _join(_who_or_what(_head_noun(phrase)), plural, phrase)
            tail = rest[len(phrase) - 1 :]
        elif lead[:1] in (["the"], ["a"], ["an"]):
            phrase = _phrase(after, 0)
            if lead[0] == "the" and "of" in [t.casefold() for t in phrase]:
                yield _join(_who_or_what(_head_noun(phrase)), be, phrase)
            tail = after[len(phrase) :]
        else:
            return
        noun = _head_noun(phrase[1:])
        if tail and tail[0].casefold() in {"who", "that", "which"} and len(tail) > 1:
            # "X is the group that toppled the government" → "who toppled the government".
            verb = tail[1]
            base = past_base(verb) if verb.islower() else None
            obj = _complement(tail, 2)
            if base and obj and noun in _PERSON_NOUNS | _GROUP_NOUNS:
                yield _join("who", verb, obj)
        if not _is_name(subject):
            return
        yield _join(_who_or_what(noun) if noun not in _GROUP_NOUNS else "what", be, subject)
        if noun in _GROUP_NOUNS:
            yield _join("who", be, subject)
        if noun in _PLACE_NOUNS:
            yield _join("where", be, subject)

    def _active(self, subject: list[str], word: str, after: list[str]) -> Iterator[str]:
        past = past_base(word)
        base = past or present_base(word)
        if base is None:
            return
        obj = _complement(after, 0)
        if base in _AGENT_VERBS and obj and obj[0].casefold() not in _PREPOSITIONS:
            verb = past_tense(base) if past else third_person(base)
            yield _join("who", verb, obj)
            if base in _AGENT_NOUNS and not past and len(obj) <= 3:
                bare = obj[1:] if obj[0].casefold() in {"the", "a", "an"} else obj
                yield _join(bare, _AGENT_NOUNS[base])
        if base in _HAVE_VERBS:
            return  # counted by _counts
        if self.dated and past:
            yield _join("when did", subject, base, obj)

    def _counts(self) -> Iterator[str]:
        """ "how many" questions of the clause's numbers: counted things, killed or held."""
        tokens = self.tokens
        verb_base = ""  # the verb of the last count, for "killed 84 X and 50 Y"
        for i, token in enumerate(tokens):
            if not _is_number(token) or re.fullmatch(r"(?:1[89]|20)\d\d", token):
                continue
            counted = [t for t in _phrase(tokens, i + 1, of=False) if not _is_number(t)]
            if not counted and i >= 2 and tokens[i - 1].casefold() in {"of", "population"}:
                yield from self._measure(i)  # "a population of 127,000", nothing counted after
                continue
            if not counted or any(t.casefold() in _NOT_COUNTED for t in counted):
                continue
            end = i + 1 + len(counted)
            start = _qualified(tokens, i)
            before = tokens[start - 1].casefold() if start else ""
            rest = tokens[end:]
            base = past_base(before) if before else None
            if counted[-1].casefold() in _INHABITANTS and before == "of":
                yield from self._population(start - 1)
            elif rest and rest[0] in _BE and len(rest) > 1 and past_base(rest[1]):
                # "500 civilians were slaughtered" → "how many civilians were slaughtered".
                place = _place_after(tokens, end + 2)
                yield _join("how many", counted, rest[0], rest[1], place)
            elif base or (before == "and" and verb_base):
                base = base or verb_base
                if base in _HAVE_VERBS:
                    yield from self._having(start - 1, counted, past=True)
                else:
                    # "killed 84 soldiers in P" → "how many soldiers were killed in P".
                    verb_base = base
                    place = _place_after(tokens, end)
                    yield _join("how many", counted, "were", participle(base), place)
            elif before and (present := present_base(before)) and present in _HAVE_VERBS:
                yield from self._having(start - 1, counted, past=False)

    def _having(self, verb: int, counted: list[str], *, past: bool) -> Iterator[str]:
        """ "X has N fighters" → "how many fighters does X have"."""
        subject = self.lowered(_phrase(self.tokens[:verb], 0))
        if len(subject) == verb and _subject_ok(subject):
            yield _join("how many", counted, "did" if past else "does", subject, "have")

    def _entity(self, at: int) -> list[str]:
        """What a measure at ``at`` is of: the clause's subject if it is a name, else the
        last name before it ("the city of Kayes, with a population of ...")."""
        verb = _verb_at(self.tokens, 0)
        subject = list(self.tokens[:verb]) if verb else []
        if _subject_ok(subject) and _is_name(subject):
            return subject
        name = _name_before(self.tokens, at)
        return name if name and _is_name(name) else []

    def _measure(self, number: int) -> Iterator[str]:
        """ "X has a population of 127,000" → "what is the population of X"."""
        tokens = self.tokens
        at = number - 2 if tokens[number - 1].casefold() == "of" else number - 1
        noun = tokens[at].casefold()
        if noun in _NOT_MEASURES or not noun.isalpha() or noun in STOPWORDS:
            return
        entity = self._entity(at)
        if entity:
            yield _join("what is the", noun, "of", entity)

    def _population(self, of: int) -> Iterator[str]:
        """ "X is a nation of 21 million people" → "what is the population of X"."""
        if of < 1 or self.tokens[of - 1].casefold() not in _PLACE_NOUNS | {"nation"}:
            return
        entity = self._entity(of - 1)
        if entity:
            yield _join("what is the population of", entity)
            yield _join("how many people live in", entity)


def _qualified(tokens: Sequence[str], number: int) -> int:
    """Where a number's phrase starts, with what qualifies it: "as many as 84"."""
    start = number
    while start:
        folded = [t.casefold() for t in tokens[:start]]
        size = next((len(q) for q in _QUALIFIERS if tuple(folded[-len(q) :]) == q), 0)
        if not size:
            break
        start -= size
    return start


def _dated(tokens: Sequence[str]) -> bool:
    """Whether the clause names a date before any relative clause ("..., which seized power
    in 2021" dates the seizure, not the clause)."""
    cut = next(
        (
            i
            for i, t in enumerate(tokens)
            if i
            and (
                t.casefold() in _SUBORDINATORS
                or (t == "," and i + 1 < len(tokens) and tokens[i + 1] in ("and", "but"))
            )
        ),
        len(tokens),
    )
    return bool(_DATE_RE.search(" ".join(tokens[:cut])))


def _clauses(text: str, lower: frozenset[str]) -> Iterator[_Clause]:
    """The clauses of a text worth asking about."""
    for start, end in sentences(text):
        for part in re.split(r";|:\s", text[start:end]):
            tokens = _tokens(part)
            while tokens and tokens[-1] in ",;:?!":
                tokens.pop()
            dated = False
            if tokens and tokens[0].casefold() in _OPENERS and "," in tokens:
                # "In July 2024, X killed ...": the main clause, dated by its opener; and
                # "Since X began, ...", a clause of its own.
                comma = tokens.index(",")
                opener = tokens[:comma]
                dated = _dated(opener)
                if opener[0].casefold() in {"since", "after", "before", "when", "once"}:
                    yield _Clause(opener[1:], True, lower)
                tokens = tokens[comma + 1 :]
            if len(tokens) >= 2:
                yield _Clause(tokens, dated or _dated(tokens), lower)


# --------------------------------------------------------------------------- titles


def _title_forms(title: str, dated: bool, lower: frozenset[str]) -> Iterator[str]:
    """Questions of the title: an embedded question made direct, a name made a question."""
    tokens = _tokens(title)
    while tokens and tokens[-1] in "?!":
        tokens.pop()
    if not tokens:
        return
    folded = [t.casefold() for t in tokens]
    clause = _Clause(tokens, dated, lower)
    if folded[0] in _WH:
        yield from _embedded(tokens)
        return
    if folded[0] in _AUXILIARIES:
        return  # a yes/no question already ("Is JNIM part of al-Qaeda?")
    if "," in tokens:
        # "Tinzawaten, July 2024": what happened there, then.
        name = tokens[: tokens.index(",")]
        if name and _DATE_RE.search(title):
            if name[0].casefold() == "the":
                yield _join("what was", clause.lowered(name))
                yield _join("when was", clause.lowered(name))
            elif _is_name(name):
                yield _join("what happened in", name)
        return
    verb = _verb_at(tokens, 0, title=True)
    if verb is not None and _subject_ok(tokens[:verb]) and tokens[verb].islower():
        yield from clause.forms(title=True)
        return
    phrase = clause.lowered(tokens)
    if (
        any(not _is_word(t) for t in phrase)
        or len(phrase) > MAX_PHRASE_WORDS + 2
        or "and" in folded
        or any(t.endswith("ing") and t.islower() and past_base(t) is None for t in folded[:2])
    ):
        return  # "X and Y", "Getting in and out of X": no one thing to ask what it is
    head = (_phrase(phrase, 0, of=False) or [""])[-1]
    plural = head.endswith("s") and head.islower() and present_base(head) is not None
    named = phrase[0][:1].isupper() and folded[0] != "the"
    article = [] if named or folded[0] in _DETERMINERS or "'s" in folded[0] else ["the"]
    yield _join("what are" if plural else "what is", article, phrase)


def _embedded(tokens: list[str]) -> Iterator[str]:
    """ "Where Mali gets its fuel" → "where does Mali get its fuel"; "How JNIM was formed" →
    "how was JNIM formed"; a direct question ("Who leads JNIM") is left as it is."""
    folded = [t.casefold() for t in tokens]
    size = 2 if folded[:2] in (["how", "many"], ["how", "much"]) else 1
    if len(tokens) <= size:
        return
    verb = _verb_at(tokens, size)
    if verb is None:
        return
    between = tokens[size:verb]
    # "How many fighters JNIM has": the asked-for noun, then the subject.
    split = next(
        (i for i, t in enumerate(between) if t[:1].isupper() or t.casefold() in _DETERMINERS),
        len(between),
    )
    asked, subject = between[:split], between[split:]
    if size == 1 and asked:
        asked, subject = [], between
    if not subject:
        return  # already direct: "Who leads JNIM", "How many people were killed"
    wh = [*folded[:size], *asked]
    word, rest = tokens[verb], tokens[verb + 1 :]
    main_have = word in {"has", "have", "had"} and not (rest and past_base(rest[0]))
    if word in _AUXILIARIES and not main_have:
        yield _join(wh, word, subject, rest)
    elif base := past_base(word):
        yield _join(wh, "did", subject, base, rest)
    elif base := present_base(word):
        yield _join(wh, "does", subject, base, rest)


def keyword_form(title: str, lower: frozenset[str] = frozenset()) -> str:
    """The title's content words, as a keyword query: "Fuel blockade of Bamako" → "fuel
    blockade Bamako" (question words, function words and possessives left out; the first
    word in lower case when ``lower``, the words the text writes in lower case, holds it)."""
    out: list[str] = []
    for token in _tokens(title):
        if not _is_word(token):
            continue
        word = re.sub(r"'s\Z", "", token)
        if all(w in STOPWORDS for w in words(word)):
            continue
        out.append(word)
    return " ".join(_lower_start(out, lower))


# --------------------------------------------------------------------------- the forms


def _join(*parts: str | Sequence[str]) -> str:
    out: list[str] = []
    for part in parts:
        out.extend([part] if isinstance(part, str) else part)
    return _SPACES_RE.sub(" ", " ".join(out)).strip()


def _norm(text: str) -> str:
    """A form as compared with keys: folded words, so "Who leads JNIM?" is "who leads jnim"."""
    return " ".join(words(text))


def _acceptable(form: str) -> bool:
    """Short enough for a key, a question about something, and nothing that could ping."""
    folded = words(form)
    return (
        2 <= len(folded) <= MAX_FORM_WORDS
        and len(form) <= MAX_KEY
        and any(w not in STOPWORDS and w not in _WH for w in folded)
        and "@" not in form
        and not MENTION_RE.search(form)
        and not bad_characters(form)
    )


def _lower_words(fact: Fact) -> frozenset[str]:
    """The words a question may write in lower case at its start: those the fact's text
    writes so, function words, and a title's common English words that the text never
    capitalises inside a sentence ("Population of Mali", but not "Russia's role")."""
    texts = (fact.answer, *(source.quote for source in fact.sources))
    lower: set[str] = set(_DETERMINERS | _OPENERS | STOPWORDS)
    names: set[str] = set()
    for text in texts:
        for start, end in sentences(text):
            tokens = _TOKEN_RE.findall(text[start:end])
            lower.update(t for t in tokens if t.islower())
            names.update(t.casefold() for t in tokens[1:] if t[:1].isupper())
    for token in _TOKEN_RE.findall(fact.title):
        folded = token.casefold()
        if folded not in names and english_frequency(folded) >= _COMMON:
            lower.add(folded)
    return frozenset(lower)


def candidate_forms(fact: Fact) -> Iterator[str]:
    """Every form the rules find in the fact, best first, before any filtering: the title's
    question, the answer's, the title's keywords, then the quotes'."""
    lower = _lower_words(fact)
    yield from _title_forms(fact.title, _dated(_tokens(fact.answer)), lower)
    for clause in _clauses(fact.answer, lower):
        yield from clause.forms()
    keywords = keyword_form(fact.title, lower)
    if len(keywords.split()) <= MAX_PHRASE_WORDS:  # longer is a sentence without its glue
        yield keywords
    for source in fact.sources:
        for clause in _clauses(source.quote, lower):
            yield from clause.forms()


def question_forms(fact: Fact, limit: int = DEFAULT_LIMIT) -> tuple[str, ...]:
    """Up to ``limit`` questions (and keyword forms) that ``fact`` answers, from its title,
    answer and quotes: new ones only (none the same as its title or one of its keys, case
    and punctuation aside), each short enough to be a key, none that could ping anyone.

    >>> from datetime import date
    >>> fact = Fact("x", "Who leads JNIM", "JNIM is led by Iyad ag-Ghali.", date(2025, 11, 4), ())
    >>> question_forms(fact)
    ('JNIM leader', 'leads JNIM')
    """
    seen = {_norm(fact.title), *(_norm(key) for key in fact.keys)}
    out: list[str] = []
    for form in candidate_forms(fact):
        if len(out) >= limit:
            break
        key = _norm(form)
        if key in seen or not _acceptable(form):
            continue
        seen.add(key)
        out.append(form)
    return tuple(out)
