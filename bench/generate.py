"""Synthetic fact stores and query sets, generated deterministically from a seed.

The facts imitate ``seeds/facts``: titles phrased as the question they answer, answers of one
to three sentences naming entities, places, numbers and dates, 10–15 keys per fact (question
and keyword forms, almost all naming the fact's subject), a few slug tags and one to three
sources, either a quote from a synthetic brief (a :class:`~knowledge.models.Document` whose
text holds the quote verbatim) or a URL-only news article.

The vocabulary is invented: place, person, group and company names built from syllables,
used with a Zipf-like distribution (a few names appear in thousands of facts, most in a
handful), mixed with common English words that are Zipf-distributed too. Its size grows with
the store's size, as a real store's would. Names that no fact uses are kept aside, so that
queries about them are honest "unknowns".

Everything comes from one ``random.Random`` seeded from ``(seed, size)``; nothing iterates over
a ``set`` (whose order changes with ``PYTHONHASHSEED``), so the same arguments give the same
facts in any process.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Generic, TypeVar

from knowledge.models import Document, Fact, Glossary, Source

GENERATOR_VERSION = 1
"""Bump when the generated facts or queries change: it is part of the cache key."""

T = TypeVar("T")

MONTHS = (
    "January February March April May June July August September October November December"
).split()

# Ordered roughly by frequency: the Zipf draw favours the front of each list.
_NOUNS = (
    "situation security people government army road town market village border fighters "
    "convoy supplies prices fuel food aid water schools clinic harvest drought trade farmers "
    "traders checkpoint patrol militia troops bridge power electricity roads families "
    "children women workers officials police curfew shortage crisis talks ceasefire "
    "agreement elections transport buses trucks drivers mines gold cattle herders "
    "livestock refugees camps hospital doctors teachers students journalists radio phones "
    "network bank salaries taxes customs airport river dam wells rainfall floods locusts"
).split()
_ADJECTIVES = (
    "tense calm difficult dangerous uncertain stable volatile critical severe limited "
    "serious fragile heavy rising falling local regional armed rural northern southern "
    "eastern western central remote isolated"
).split()
_VERBS = (
    "worsen improve spread continue increase decline persist escalate ease resume collapse "
    "stall recover"
).split()
_OFFICIALS = (
    "Local officials", "Residents", "Aid workers", "Witnesses", "Security sources",
    "Community leaders", "Traders", "Diplomats", "Analysts", "Health workers",
)  # fmt: skip
_TOPIC_WORDS = (
    "fuel food water power electricity bread rice medicine cash internet phone transport "
    "security aid school border market road bus flight"
).split()
_TOPIC_SUFFIXES = ("shortage", "prices", "crisis", "situation", "news", "update", "supply")

# Syllables of invented names; a few accented vowels exercise accent folding.
_ONSETS = "b d f g k m n s t z y w dj kh ts ch l r h gu n'g mb nd s sh t k m b d".split()
_VOWELS = "a a a e i i o o u ou ai ia é ï".split()
_CODAS = ("", "", "", "", "n", "r", "l", "m", "k", "s")
_PARTICLES = ("", "", "", "", "", "", "ag-", "ould ", "ben ", "al-", "Ould ", "dit ")

_SUBJECT_RE = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """``"Nioro du Sahel"`` → ``"nioro-du-sahel"``: accent-free lowercase words joined by "-"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _SUBJECT_RE.sub("-", ascii_text.casefold()).strip("-")


def _fact_id(parts: Sequence[str]) -> str:
    """A slug id of at most 64 characters; long ones end in a short digest to stay unique."""
    full = "-".join(p for p in (slug(part) for part in parts) if p)
    if len(full) <= 64:
        return full
    digest = hashlib.blake2b(full.encode(), digest_size=4).hexdigest()
    return f"{full[:55].rstrip('-')}-{digest}"


class Zipf(Generic[T]):
    """Draws items with probability proportional to ``1 / rank ** s`` (rank 1 = first item)."""

    def __init__(self, items: Sequence[T], s: float = 1.05) -> None:
        if not items:
            raise ValueError("Zipf needs at least one item")
        self.items = list(items)
        self._cum = list(itertools.accumulate(1.0 / (r**s) for r in range(1, len(items) + 1)))

    def draw(self, rng: random.Random) -> T:
        """One item, Zipf-distributed."""
        return rng.choices(self.items, cum_weights=self._cum)[0]

    def uniform(self, rng: random.Random) -> T:
        """One item, every item equally likely (used when the popular ones are taken)."""
        return rng.choice(self.items)


@dataclass(frozen=True, slots=True)
class Group:
    """An armed group, party or movement: its acronym (may be empty), name and an alias."""

    acronym: str
    name: str
    alias: str

    @property
    def short(self) -> str:
        """How people usually write it: the acronym if it has one, else the name."""
        return self.acronym or self.name


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The invented names of one synthetic store, each tuple in Zipf rank order.

    ``reserved_*`` names are never used by a fact: queries about them must be no_match.
    """

    places: tuple[str, ...]
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    persons: tuple[str, ...]
    groups: tuple[Group, ...]
    companies: tuple[str, ...]
    publishers: tuple[str, ...]
    outlets: tuple[str, ...]
    reserved_places: tuple[str, ...]
    reserved_persons: tuple[str, ...]
    reserved_groups: tuple[Group, ...]

    def glossary(self, base: Glossary | None = None, max_groups: int = 2000) -> Glossary:
        """``base`` plus alias groups (acronym = name = alias) for the most-used armed groups.

        A curated glossary does not grow with the store, so only the top ``max_groups`` get
        one (which also keeps the file under the 1 MiB fact-file limit).
        """
        base = base or Glossary()
        taken = {t.casefold() for group in base.synonyms for t in group}
        extra: list[tuple[str, ...]] = []
        for group in self.groups[:max_groups]:
            terms = tuple(t for t in dict.fromkeys((group.acronym, group.name, group.alias)) if t)
            if len(terms) >= 2 and not any(t.casefold() in taken for t in terms):
                taken.update(t.casefold() for t in terms)
                extra.append(terms)
        return Glossary((*base.synonyms, *extra))


def _scaled(size: int, divisor: int, minimum: int, maximum: int | None = None) -> int:
    n = max(minimum, size // divisor)
    return n if maximum is None else min(n, maximum)


class _Names:
    """Unique invented names; remembers every name handed out, across kinds."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._seen: set[str] = set()

    def word(self, min_syllables: int = 2, max_syllables: int = 3) -> str:
        """One capitalised invented word (not necessarily unique)."""
        rng = self._rng
        parts = [
            rng.choice(_ONSETS) + rng.choice(_VOWELS)
            for _ in range(rng.randint(min_syllables, max_syllables))
        ]
        parts.append(rng.choice(_CODAS))
        return "".join(parts).capitalize()

    def claim(self, name: str) -> bool:
        """Reserve ``name``; False if it (or a name with the same slug) was already taken."""
        key = slug(name)
        if not key or key in self._seen:
            return False
        self._seen.add(key)
        return True

    def unique(self, make: Callable[[], str]) -> str:
        """A name from ``make`` that no earlier call returned (compared casefolded)."""
        for _ in range(1000):
            name = make()
            key = slug(name)
            if key and key not in self._seen and len(name) <= 40:
                self._seen.add(key)
                return name
        raise RuntimeError("name space exhausted")  # pragma: no cover - needs billions of names


def make_vocabulary(rng: random.Random, size: int) -> Vocabulary:
    """The invented names for a store of ``size`` facts (more facts, more names)."""
    names = _Names(rng)

    def place() -> str:
        base = names.word()
        roll = rng.random()
        if roll < 0.08:
            return f"{base} du {names.word()}"
        if roll < 0.14:
            return f"{base} {rng.choice(('Nord', 'Sud', 'Est', 'Ouest', 'Centre'))}"
        return base

    def person() -> str:
        return f"{names.word(2, 2)} {rng.choice(_PARTICLES)}{names.word(2, 3)}"

    def country() -> str:
        return names.word(2, 3).rstrip("aeiouéï") + rng.choice(("ia", "a", "o", "i", "and"))

    def group() -> Group:
        where = names.word(2, 3)
        form = rng.randrange(8)
        if form == 0:
            name, alias = f"{where} Liberation Front", f"Front de libération du {where}"
        elif form == 1:
            name, alias = f"Katiba {where}", f"Katibat {where}"
        elif form == 2:
            name, alias = f"Movement for the Salvation of {where}", f"Mouvement pour {where}"
        elif form == 3:
            name, alias = f"{where} Self-Defence Militia", f"Milice d'autodéfense de {where}"
        elif form == 4:
            name, alias = f"Islamic State {where} Province", f"IS {where}"
        elif form == 5:
            name, alias = f"{where} Coordination of Movements", f"Coordination de {where}"
        elif form == 6:
            name, alias = f"Ansar {where}", f"Ansar al-{where}"
        else:
            name, alias = f"{where} Brigade", f"Brigade {where}"
        letters = [w[0] for w in re.findall(r"[A-Z][\w'-]*", name.replace("Islamic", "I"))]
        acronym = "".join(letters).upper()
        for candidate in (acronym, acronym + where[1].upper(), where[:2].upper() + acronym):
            if len(candidate) >= 3 and names.claim(candidate):
                return Group(candidate, name, alias)
        return Group("", name, alias)

    def company() -> str:
        kind = rng.choice(("Petroleum", "Mining", "Transport", "Airways", "Telecom", "Energy"))
        return f"{names.word()} {kind}"

    def publisher() -> str:
        return rng.choice(("The {} Institute", "{} Monitor", "{} Research Centre")).format(
            names.word()
        )

    def outlet() -> str:
        return rng.choice(("{} Tribune", "Radio {}", "{} Daily", "The {} Observer")).format(
            names.word()
        )

    def many(make: Callable[[], str], count: int) -> tuple[str, ...]:
        return tuple(names.unique(make) for _ in range(count))

    groups_n = _scaled(size, 60, 20)
    groups: list[Group] = []
    while len(groups) < groups_n + 20:
        made = group()
        if names.claim(made.name):
            groups.append(made)
    places_n = _scaled(size, 8, 60)
    persons_n = _scaled(size, 6, 80)
    return Vocabulary(
        places=many(place, places_n),
        regions=many(names.word, _scaled(size, 200, 10)),
        countries=many(country, _scaled(size, 400, 8, 400)),
        persons=many(person, persons_n),
        groups=tuple(groups[:groups_n]),
        companies=many(company, _scaled(size, 150, 10)),
        publishers=many(publisher, _scaled(size, 20000, 6, 60)),
        outlets=many(outlet, _scaled(size, 10000, 8, 120)),
        reserved_places=many(place, 40),
        reserved_persons=many(person, 40),
        reserved_groups=tuple(groups[groups_n:]),
    )


# --- facts -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Draft:
    """A fact before keys are trimmed and sources attached."""

    parts: tuple[str, ...]
    title: str
    answer: str
    keys: list[str]
    tags: list[str]
    as_of: date
    loose: tuple[str, ...] = ()
    """Keys that do not name the whole subject (a surname alone): kept only if still free."""


Builder = Callable[[], _Draft]


@dataclass
class SyntheticStore:
    """A generated fact set: streamed facts, plus what queries and glossaries need.

    ``facts()`` may be iterated once; documents are complete only after it is exhausted
    (each brief collects the quotes of the facts that cite it).
    """

    size: int
    seed: int
    vocabulary: Vocabulary
    documents: list[Document] = field(default_factory=list)
    sample: list[Fact] = field(default_factory=list)
    _facts: Iterator[Fact] | None = None

    def facts(self) -> Iterator[Fact]:
        """The facts, in generation order (ids are unique, keys unique across facts)."""
        if self._facts is None:
            raise RuntimeError("facts() may be iterated only once")
        facts, self._facts = self._facts, None
        return facts


class _FactMaker:
    """Draws subjects from templates and writes facts about them."""

    def __init__(self, rng: random.Random, vocab: Vocabulary, size: int) -> None:
        self.rng = rng
        self.vocab = vocab
        self.size = size
        self.places = Zipf(vocab.places)
        self.regions = Zipf(vocab.regions)
        self.countries = Zipf(vocab.countries)
        self.persons = Zipf(vocab.persons)
        self.groups = Zipf(vocab.groups)
        self.companies = Zipf(vocab.companies)
        self.nouns = Zipf(_NOUNS)
        self.adjectives = Zipf(_ADJECTIVES)
        self.used: set[str] = set()
        self.claimed: set[str] = set()
        self.ids: set[str] = set()
        self.generic_keys = [f"{w} {s}" for w in _TOPIC_WORDS for s in _TOPIC_SUFFIXES]
        rng.shuffle(self.generic_keys)
        self.templates: list[tuple[Callable[[bool], tuple[str, Builder]], float, bool]] = [
            (self.group_definition, 1.0, False),
            (self.group_leadership, 1.0, False),
            (self.group_strength, 1.0, False),
            (self.group_founding, 0.8, False),
            (self.group_territory, 0.8, False),
            (self.person_definition, 3.0, False),
            (self.place_definition, 3.0, False),
            (self.place_population, 2.5, False),
            (self.country_fuel, 0.3, False),
            (self.country_leader, 0.3, False),
            (self.blockade, 2.0, False),
            (self.attack, 9.0, True),
            (self.kidnapping, 5.0, True),
            (self.displacement, 4.0, True),
            (self.alliance, 3.0, True),
            (self.mine, 3.0, True),
        ]
        self.all_weights = list(itertools.accumulate(w for _, w, _ in self.templates))
        events = [t for t in self.templates if t[2]]
        self.events = events
        self.event_weights = list(itertools.accumulate(w for _, w, _ in events))

    # -- helpers ------------------------------------------------------------------------------

    def pick(self, sampler: Zipf[T], uniform: bool) -> T:
        return sampler.uniform(self.rng) if uniform else sampler.draw(self.rng)

    def day(self) -> date:
        return date(2016, 1, 1) + timedelta(days=self.rng.randrange(3570))

    def number(self, low: int, high: int) -> int:
        # Log-uniform, rounded to two significant figures like reported figures are.
        value = int(10 ** self.rng.uniform(len(str(low)) - 1, len(str(high))))
        value = max(low, min(high, value))
        digits = len(str(value))
        step = int(10 ** max(0, digits - 2))
        return max(low, value // step * step)

    def filler(self) -> str:
        rng = self.rng
        kind = rng.randrange(3)
        noun, noun2 = self.nouns.draw(rng), self.nouns.draw(rng)
        if kind == 0:
            return (
                f"{rng.choice(_OFFICIALS)} said the {noun} remained "
                f"{self.adjectives.draw(rng)} in the {rng.choice(('weeks', 'days', 'months'))} "
                "that followed."
            )
        if kind == 1:
            return (
                f"{rng.choice(_OFFICIALS)} reported {self.adjectives.draw(rng)} {noun} and "
                f"{noun2} near {self.places.draw(rng)}."
            )
        return f"Observers expect the {noun} to {rng.choice(_VERBS)} as the {noun2} continues."

    def extras(self, answer: str) -> str:
        n = self.rng.choices((0, 1, 2), (0.4, 0.4, 0.2))[0]
        return " ".join([answer, *(self.filler() for _ in range(n))])

    # -- templates: each returns (subject, builder) -------------------------------------------

    def group_definition(self, uniform: bool) -> tuple[str, Builder]:
        g = self.pick(self.groups, uniform)

        def build() -> _Draft:
            p1, p2 = self.places.draw(self.rng), self.places.draw(self.rng)
            n = self.number(100, 20000)
            s, name = g.short, g.name
            answer = (
                f"{s} ({name}) is an armed group active around {p1} and {p2}, with "
                f"approximately {n:,} fighters."
            )
            keys = [
                f"what is {s}", f"who are {s}", s, name, f"what does {s} stand for",
                f"{s} full name", f"{s} meaning", f"tell me about {s}", f"define {s}",
                f"{s} overview", f"{s} group", f"what is the {name}", g.alias,
                f"is {s} a terrorist group", f"{s} armed group", f"{s} background",
            ]  # fmt: skip
            return _Draft((s, "definition"), f"What is {s}", answer, keys,
                          [slug(s), "definition"], self.day(), (s, name, g.alias))  # fmt: skip

        return f"def:{g.name}", build

    def group_leadership(self, uniform: bool) -> tuple[str, Builder]:
        g = self.pick(self.groups, uniform)

        def build() -> _Draft:
            a, b = self.persons.draw(self.rng), self.persons.draw(self.rng)
            s = g.short
            answer = (
                f"{s} is led by {a} and {b}, each of whom has influence over different "
                "constituencies of followers in the region."
            )
            keys = [
                f"who leads {s}", f"{s} leader", f"{s} leaders", f"{s} leadership",
                f"head of {s}", f"who heads {s}", f"{s} commanders", f"who commands {s}",
                f"who is in charge of {s}", f"who runs {s}", f"{s} boss", f"{s} chief",
                f"{s} emir", f"leader of the {g.name}",
            ]  # fmt: skip
            return _Draft(("leadership", s), f"Who leads {s}", answer, keys,
                          [slug(s), "leadership"], self.day())  # fmt: skip

        return f"lead:{g.name}", build

    def group_strength(self, uniform: bool) -> tuple[str, Builder]:
        g = self.pick(self.groups, uniform)

        def build() -> _Draft:
            n = self.number(50, 30000)
            s = g.short
            answer = f"{s} boasts approximately {n:,} fighters."
            keys = [
                f"how many fighters does {s} have", f"{s} strength", f"{s} size",
                f"how big is {s}", f"{s} fighters", f"number of {s} fighters",
                f"{s} numbers", f"{s} manpower", f"how strong is {s}", f"{s} troop numbers",
                f"how large is {s}", f"{s} membership", f"how many members does {s} have",
            ]  # fmt: skip
            return _Draft(("strength", s), f"How many fighters {s} has", self.extras(answer),
                          keys, [slug(s), "strength"], self.day())  # fmt: skip

        return f"strength:{g.name}", build

    def group_founding(self, uniform: bool) -> tuple[str, Builder]:
        g = self.pick(self.groups, uniform)

        def build() -> _Draft:
            year = self.rng.randint(1995, 2022)
            o1, o2 = self.groups.draw(self.rng), self.groups.draw(self.rng)
            s = g.short
            answer = (
                f"{s} was formed in {year} as a coalition of groups including {o1.name} "
                f"({o1.short}) and {o2.name}."
            )
            keys = [
                f"when was {s} founded", f"who founded {s}", f"{s} origins", f"{s} history",
                f"{s} founding", f"when was {s} formed", f"how was {s} formed",
                f"{s} formation", f"{s} founded {year}", f"groups that formed {s}",
                f"{s} coalition", f"where does {s} come from", f"{s} roots",
            ]  # fmt: skip
            return _Draft(("founding", s), f"When and how {s} was formed", self.extras(answer),
                          keys, [slug(s), "history"], self.day())  # fmt: skip

        return f"found:{g.name}", build

    def group_territory(self, uniform: bool) -> tuple[str, Builder]:
        g = self.pick(self.groups, uniform)

        def build() -> _Draft:
            r = self.regions.draw(self.rng)
            c1, c2 = self.places.draw(self.rng), self.places.draw(self.rng)
            s = g.short
            answer = (
                f"{s} operates mainly in the {r} region, around {c1} and {c2}, and has "
                "expanded its reach in recent years."
            )
            keys = [
                f"where does {s} operate", f"{s} area of operations", f"{s} territory",
                f"where is {s} active", f"{s} strongholds", f"{s} presence",
                f"{s} reach", f"{s} expansion", f"where is {s} based", f"{s} bases",
                f"{s} in {r}", f"{s} map", f"what areas does {s} control",
            ]  # fmt: skip
            return _Draft(("territory", s), f"Where {s} operates", self.extras(answer), keys,
                          [slug(s), "territory", slug(r)], self.day())  # fmt: skip

        return f"where:{g.name}", build

    def person_definition(self, uniform: bool) -> tuple[str, Builder]:
        p = self.pick(self.persons, uniform)

        def build() -> _Draft:
            g = self.groups.draw(self.rng)
            role = self.rng.choice(("a commander", "a spokesman", "a co-founder", "an emir",
                                    "a senior figure", "a negotiator"))  # fmt: skip
            last = p.split()[-1]
            answer = f"{p} is {role} of {g.short} ({g.name})."
            keys = [
                f"who is {p}", p, last, f"who is {last}", f"{p} role", f"what does {last} do",
                f"{p} {g.short}", f"{last} followers", f"tell me about {p}",
                f"{p} biography", f"{last} background", f"is {last} alive",
                f"where is {p}", f"{p} profile", f"{p} news", f"what does {p} do",
                f"is {p} alive", f"{p} background",
            ]  # fmt: skip
            loose = (p, last, f"who is {last}", f"what does {last} do", f"{last} followers",
                     f"{last} background", f"is {last} alive")  # fmt: skip
            return _Draft((p,), f"Who is {p}", self.extras(answer), keys,
                          [slug(g.short), "people", "definition"], self.day(),
                          loose)  # fmt: skip

        return f"person:{p}", build

    def place_definition(self, uniform: bool) -> tuple[str, Builder]:
        c = self.pick(self.places, uniform)

        def build() -> _Draft:
            country, r = self.countries.draw(self.rng), self.regions.draw(self.rng)
            answer = (
                f"{c} is a town in the {r} region of {country}, on the main road to "
                f"{self.places.draw(self.rng)}."
            )
            keys = [
                f"what is {c}", c, f"tell me about {c}", f"where is {c}", f"{c} town",
                f"{c} {country}", f"{c} situation", f"what is happening in {c}",
                f"{c} news", f"{c} residents", f"is {c} safe", f"{c} location",
                f"how to get to {c}",
            ]  # fmt: skip
            return _Draft((c, "town"), f"What is {c}", self.extras(answer), keys,
                          [slug(c), "definition"], self.day(), (c,))  # fmt: skip

        return f"place:{c}", build

    def place_population(self, uniform: bool) -> tuple[str, Builder]:
        c = self.pick(self.places, uniform)

        def build() -> _Draft:
            n = self.number(2000, 3000000)
            answer = f"The town of {c} has a population of {n:,}."
            keys = [
                f"{c} population", f"population of {c}", f"how many people live in {c}",
                f"number of people in {c}", f"how many residents in {c}", f"{c} inhabitants",
                f"how big is {c}", f"size of {c}", f"{c} size", f"how large is {c}",
                f"{c} census", f"people in {c}",
            ]  # fmt: skip
            return _Draft(("population", c), f"Population of {c}", answer, keys,
                          [slug(c), "population"], self.day())  # fmt: skip

        return f"pop:{c}", build

    def country_fuel(self, uniform: bool) -> tuple[str, Builder]:
        k = self.pick(self.countries, uniform)

        def build() -> _Draft:
            a, b = self.countries.draw(self.rng), self.countries.draw(self.rng)
            pct = self.rng.randint(40, 98)
            answer = (
                f"{k}, a landlocked country, received approximately {pct} percent of its fuel "
                f"from neighbouring {a} and {b}."
            )
            keys = [
                f"{k} fuel imports", f"where does {k} get its fuel", f"who supplies {k}'s fuel",
                f"{k} fuel supply", f"{k} fuel sources", f"{k} fuel dependence",
                f"how much fuel does {k} import", f"{k} petrol imports", f"fuel from {a} to {k}",
                f"{k} fuel routes", f"{k} diesel supply", f"{k} fuel crisis",
            ]  # fmt: skip
            return _Draft(("fuel", k), f"Where {k} gets its fuel", self.extras(answer), keys,
                          ["fuel", "imports", slug(k)], self.day())  # fmt: skip

        return f"fuel:{k}", build

    def country_leader(self, uniform: bool) -> tuple[str, Builder]:
        k = self.pick(self.countries, uniform)

        def build() -> _Draft:
            p = self.persons.draw(self.rng)
            year = self.rng.randint(2012, 2024)
            answer = f"{k} is ruled by a military junta led by {p}, which took power in {year}."
            keys = [
                f"who rules {k}", f"{k} leader", f"{k} president", f"{k} junta",
                f"who runs {k}", f"{k} government", f"head of state of {k}",
                f"{k} junta leader", f"when did the junta take power in {k}", f"{k} coup",
                f"{k} military government", f"who is in charge of {k}",
            ]  # fmt: skip
            return _Draft(("rulers", k), f"Who rules {k}", self.extras(answer), keys,
                          [slug(k), "government"], self.day())  # fmt: skip

        return f"rule:{k}", build

    def blockade(self, uniform: bool) -> tuple[str, Builder]:
        c = self.pick(self.places, uniform)

        def build() -> _Draft:
            g = self.groups.draw(self.rng)
            when = self.day()
            answer = (
                f"Since {MONTHS[when.month - 1]} {when.year}, {g.short} has blockaded {c}; "
                "residents have been forbidden from leaving and supplies are scarce."
            )
            keys = [
                f"{c} blockade", f"is {c} under siege", f"can residents leave {c}",
                f"blockade of {c}", f"who is blockading {c}", f"{c} siege",
                f"is {c} cut off", f"roads to {c}", f"{c} supplies", f"{c} access",
                f"getting out of {c}", f"when did the {c} blockade start",
            ]  # fmt: skip
            return _Draft(("blockade", c), f"Blockade of {c}", self.extras(answer), keys,
                          [slug(c), "blockade", slug(g.short)], when)  # fmt: skip

        return f"siege:{c}", build

    def _event_date(self) -> tuple[date, str]:
        when = self.day()
        return when, f"{MONTHS[when.month - 1]} {when.year}"

    def attack(self, uniform: bool) -> tuple[str, Builder]:
        c = self.pick(self.places, uniform)
        when, month = self._event_date()

        def build() -> _Draft:
            g = self.groups.draw(self.rng)
            dead = self.number(2, 400)
            answer = (
                f"On {when.day} {month}, {g.short} fighters attacked {c}, killing at least "
                f"{dead} people and burning {self.nouns.draw(self.rng)}."
            )
            keys = [
                f"{c} attack {month}", f"attack on {c} in {month}",
                f"who attacked {c} in {month}", f"how many died in {c} in {month}",
                f"{c} {month} death toll", f"{c} massacre {month}",
                f"{g.short} attack on {c} {month}", f"what happened in {c} in {month}",
                f"{c} casualties {month}", f"{c} killings {month}",
                f"when was {c} attacked in {month}", f"{c} raid {month}",
                f"{c} attack {when.day} {month}",
            ]  # fmt: skip
            return _Draft(("attack", c, f"{when.year}-{when.month:02d}"),
                          f"Attack on {c} in {month}", self.extras(answer), keys,
                          [slug(c), "attack", slug(g.short)], when)  # fmt: skip

        return f"attack:{c}:{month}", build

    def kidnapping(self, uniform: bool) -> tuple[str, Builder]:
        c = self.pick(self.places, uniform)
        when, month = self._event_date()

        def build() -> _Draft:
            g = self.groups.draw(self.rng)
            n = self.number(1, 60)
            who = self.rng.choice(("truck drivers", "aid workers", "traders", "teachers",
                                   "foreign nationals", "bus passengers"))  # fmt: skip
            answer = f"In {month}, {g.short} kidnapped {n} {who} near {c}."
            keys = [
                f"{c} kidnapping {month}", f"kidnapping near {c} in {month}",
                f"who was kidnapped near {c} in {month}", f"{c} abductions {month}",
                f"{c} hostages {month}", f"how many kidnapped near {c} in {month}",
                f"{who} kidnapped near {c} {month}", f"{g.short} kidnapping {c} {month}",
                f"{c} {month} abduction", f"who took hostages in {c} in {month}",
                f"{c} kidnap {month}",
            ]  # fmt: skip
            return _Draft(("kidnapping", c, f"{when.year}-{when.month:02d}"),
                          f"Kidnapping near {c} in {month}", self.extras(answer), keys,
                          [slug(c), "kidnapping", slug(g.short)], when)  # fmt: skip

        return f"kidnap:{c}:{month}", build

    def displacement(self, uniform: bool) -> tuple[str, Builder]:
        r = self.pick(self.regions, uniform)
        c = self.pick(self.places, uniform)
        year = self.rng.randint(2016, 2024)

        def build() -> _Draft:
            n = self.number(500, 900000)
            answer = (
                f"By the end of {year}, about {n:,} people had been displaced from {c} and "
                f"the surrounding {r} region."
            )
            keys = [
                f"{c} displaced {year}", f"how many displaced from {c} in {year}",
                f"{c} displacement {year}", f"{c} refugees {year}", f"{c} IDPs {year}",
                f"people displaced from {c} {year}", f"{c} {r} displacement {year}",
                f"{c} camps {year}", f"{c} humanitarian situation {year}",
                f"where did people from {c} go in {year}", f"{c} exodus {year}",
            ]  # fmt: skip
            as_of = date(year + 1, self.rng.randint(1, 9), self.rng.randint(1, 28))
            return _Draft(("displaced", c, str(year)), f"Displacement from {c} in {year}",
                          self.extras(answer), keys, [slug(c), "displacement", slug(r)],
                          as_of)  # fmt: skip

        return f"idp:{c}:{year}", build

    def alliance(self, uniform: bool) -> tuple[str, Builder]:
        a = self.pick(self.groups, uniform)
        b = self.pick(self.groups, True)
        while b == a:
            b = self.groups.uniform(self.rng)
        if a.name > b.name:
            a, b = b, a

        def build() -> _Draft:
            kind = self.rng.choice(("allied with", "at war with", "in talks with",
                                    "a rival of"))  # fmt: skip
            answer = f"{a.short} is {kind} {b.short} ({b.name}), according to local sources."
            keys = [
                f"{a.short} and {b.short}", f"{a.short} {b.short} relations",
                f"are {a.short} and {b.short} allies", f"{a.short} vs {b.short}",
                f"{a.short} {b.short} rivalry", f"{a.short} {b.short} alliance",
                f"is {a.short} fighting {b.short}", f"{b.short} and {a.short}",
                f"{a.short} {b.short} conflict", f"relations between {a.short} and {b.short}",
                f"{a.short} {b.short} talks",
            ]  # fmt: skip
            return _Draft(("relations", a.short, b.short),
                          f"Relations between {a.short} and {b.short}", self.extras(answer),
                          keys, [slug(a.short), slug(b.short), "relations"],
                          self.day())  # fmt: skip

        return f"ally:{a.name}:{b.name}", build

    def mine(self, uniform: bool) -> tuple[str, Builder]:
        org = self.pick(self.companies, uniform)
        c = self.pick(self.places, uniform)

        def build() -> _Draft:
            n = self.number(100, 5000)
            answer = (
                f"{org} runs a site near {c} employing about {n:,} workers; operations were "
                f"suspended in {self.day().year} after attacks on convoys."
            )
            keys = [
                f"{org} {c}", f"{org} site near {c}", f"{org} operations in {c}",
                f"{org} {c} workers", f"is {org} still working in {c}",
                f"{org} suspended {c}", f"{c} {org} convoy attacks", f"{org} in {c}",
                f"{c} {org} jobs", f"{org} {c} security", f"who works for {org} in {c}",
            ]  # fmt: skip
            return _Draft(("site", org, c), f"{org} near {c}", self.extras(answer), keys,
                          [slug(org), slug(c), "economy"], self.day())  # fmt: skip

        return f"mine:{org}:{c}", build

    # -- the loop -----------------------------------------------------------------------------

    def draft(self) -> _Draft:
        """A draft about a subject no earlier fact had."""
        rng = self.rng
        for attempt in range(200):
            if attempt < 8:
                template = rng.choices(self.templates, cum_weights=self.all_weights)[0][0]
            else:
                template = rng.choices(self.events, cum_weights=self.event_weights)[0][0]
            subject, build = template(attempt >= 3)
            if subject not in self.used:
                self.used.add(subject)
                return build()
        raise RuntimeError("could not find a new subject")  # pragma: no cover

    def keys(self, candidates: list[str], loose: tuple[str, ...] = ()) -> tuple[str, ...]:
        """10–15 keys, distinct ignoring case and spacing, the first three always kept.

        A ``loose`` key another fact already has is left out (keys are unique store-wide).
        """
        rng = self.rng
        unique = list({" ".join(k.casefold().split()): k for k in candidates}.values())
        if loose:
            taken = {" ".join(k.casefold().split()) for k in loose}
            kept: list[str] = []
            for key in unique:
                norm = " ".join(key.casefold().split())
                if norm in taken:
                    if norm in self.claimed:
                        continue
                    self.claimed.add(norm)
                kept.append(key)
            unique = kept
        want = rng.randint(10, 15)
        generic = self.generic_keys.pop() if self.generic_keys and rng.random() < 0.05 else None
        head, rest = unique[:3], unique[3:]
        picked = rng.sample(range(len(rest)), min(len(rest), want - 3 - (generic is not None)))
        chosen = head + [rest[i] for i in sorted(picked)]
        return (*chosen, generic) if generic else tuple(chosen)


def generate(size: int, seed: int = 0, *, sample_size: int = 3000) -> SyntheticStore:
    """A synthetic store of ``size`` facts; iterate ``.facts()`` once to get them.

    ``sample`` fills with a reservoir sample of ``sample_size`` facts as they are generated
    (the raw material of :func:`make_queries`).
    """
    rng = random.Random(f"sitrep-bench:{GENERATOR_VERSION}:{seed}:{size}")
    vocab = make_vocabulary(rng, size)
    store = SyntheticStore(size=size, seed=seed, vocabulary=vocab)
    store._facts = _facts(store, rng, sample_size)
    return store


@dataclass(slots=True)
class _Brief:
    """A synthetic source document that collects the quotes of the facts citing it."""

    id: str
    title: str
    publisher: str
    published: date
    url: str
    left: int
    quotes: list[str] = field(default_factory=list)

    @classmethod
    def new(
        cls, number: int, publisher: str, place: str, published: date, rng: random.Random
    ) -> _Brief:
        """Brief number ``number``, with room for 20–60 quotes."""
        return cls(
            id=f"brief-{number:06d}",
            title=f"{publisher} brief no. {number}: {place} security update",
            publisher=publisher,
            published=published,
            url=f"https://{slug(publisher)}.example.org/briefs/{number}",
            left=rng.randint(20, 60),
        )

    def cite(self, quote: str) -> Source:
        """Add ``quote`` to the brief's text and return the source that cites it."""
        self.quotes.append(quote)
        self.left -= 1
        return Source(
            quote=quote,
            document=self.id,
            title=self.title,
            publisher=self.publisher,
            published=self.published,
            url=self.url,
        )

    def document(self) -> Document:
        """The finished document: its quotes are its text."""
        return Document(
            id=self.id,
            title=self.title,
            publisher=self.publisher,
            published=self.published,
            url=self.url,
            text="\n\n".join(self.quotes),
        )


def _facts(store: SyntheticStore, rng: random.Random, sample_size: int) -> Iterator[Fact]:
    vocab = store.vocabulary
    maker = _FactMaker(rng, vocab, store.size)
    publishers, outlets = Zipf(vocab.publishers), Zipf(vocab.outlets)
    brief = _Brief.new(1, publishers.draw(rng), maker.places.draw(rng), maker.day(), rng)

    for index in range(store.size):
        d = maker.draft()
        sentences = [s for s in re.split(r"(?<=\.) ", d.answer) if s]
        sources: list[Source] = []
        for i, quote in enumerate(sentences[: rng.choice((1, 1, 2, 3))]):
            if i == 0 and rng.random() < 0.35:
                if brief.left <= 0:
                    store.documents.append(brief.document())
                    brief = _Brief.new(
                        len(store.documents) + 1,
                        publishers.draw(rng),
                        maker.places.draw(rng),
                        maker.day(),
                        rng,
                    )
                sources.append(brief.cite(quote))
            else:
                outlet = outlets.draw(rng)
                published = d.as_of - timedelta(days=rng.randrange(30))
                sources.append(
                    Source(
                        quote=quote,
                        title=d.title,
                        publisher=outlet,
                        published=published,
                        url=f"https://{slug(outlet)}.example.com/{published.year}/"
                        f"{_fact_id(d.parts)}-{index}",
                    )
                )
        review_by = d.as_of + timedelta(days=rng.randint(90, 365)) if rng.random() < 0.4 else None
        tags = tuple(t for t in dict.fromkeys(d.tags) if t and len(t) <= 40)
        fact_id = _fact_id(d.parts)
        if fact_id in maker.ids:
            fact_id = next(
                f"{fact_id[:58]}-{n}"
                for n in itertools.count(2)
                if f"{fact_id[:58]}-{n}" not in maker.ids
            )
        maker.ids.add(fact_id)
        fact = Fact(
            id=fact_id,
            title=d.title,
            answer=d.answer,
            as_of=d.as_of,
            review_by=review_by,
            sources=tuple(sources),
            keys=maker.keys(d.keys, d.loose),
            tags=tags[:4],
        )
        if len(store.sample) < sample_size:
            store.sample.append(fact)
        else:
            slot = rng.randrange(index + 1)
            if slot < sample_size:
                store.sample[slot] = fact
        yield fact
    if brief.quotes:
        store.documents.append(brief.document())


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """One benchmark query: its text, its kind, and the fact it is about (None: unknown)."""

    text: str
    kind: str
    expect: str | None


QUERY_MIX: tuple[tuple[str, float], ...] = (
    ("question", 0.30),
    ("keyword", 0.20),
    ("paraphrase", 0.10),
    ("typo", 0.20),
    ("unknown", 0.20),
)
"""The share of each kind of query in a query set."""

_OUT_OF_SCOPE = (
    "what's the exchange rate", "weather tomorrow", "population of Togo",
    "who won the football", "who leads Boko Haram", "price of gold today",
    "best restaurants nearby", "how do I renew my passport", "flights to Paris",
    "what time is it in Tokyo", "covid vaccination centres", "stock market news",
)  # fmt: skip
_UNKNOWN_FORMS = (
    "who leads {g}", "{g} leader", "how many fighters does {g} have", "what is {g}",
    "population of {p}", "{p} population", "what is happening in {p}", "{p} blockade",
    "who is {n}", "{n}", "attack on {p}", "kidnapping near {p}",
)  # fmt: skip
_PARAPHRASES = ("tell me about {}", "what do you know about {}", "any news on {}", "{} please",
                "can you tell me {}", "info on {}")  # fmt: skip
_WORD_RE = re.compile(r"[A-Za-zÀ-ÿ']+")


def typo(text: str, rng: random.Random) -> str:
    """``text`` with one typing error in one of its longer words (never the first letter)."""
    words = [m for m in _WORD_RE.finditer(text) if len(m.group()) >= 5]
    if not words:
        return text
    m = rng.choice(words)
    w = m.group()
    i = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        new = w[:i] + w[i + 1 :]  # deletion
    elif kind == 1:
        new = w[:i] + w[i + 1] + w[i] + w[i + 2 :]  # transposition
    elif kind == 2:
        new = w[:i] + rng.choice("aeiounrst") + w[i + 1 :]  # substitution
    else:
        new = w[:i] + w[i] + w[i:]  # doubled letter
    return text[: m.start()] + new + text[m.end() :]


def _casual(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.4:
        return text.lower()
    if roll < 0.6 and text.split()[0].lower() in ("who", "what", "when", "where", "how", "is"):
        return text + "?"
    return text


def make_queries(
    facts: Sequence[Fact],
    n: int,
    rng: random.Random,
    *,
    reserved_groups: Sequence[str] = (),
    reserved_places: Sequence[str] = (),
    reserved_persons: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> list[Query]:
    """A shuffled, mixed set of ``n`` queries (see :data:`QUERY_MIX`) about ``facts``.

    Questions use a fact's title or one of its keys; keywords its shortest keys; paraphrases
    wrap a key in everyday words; typos put one error in a question or keyword; unknowns ask
    about reserved names (never in the store) or things out of scope. ``extra`` queries
    (e.g. a public question set) are added as kind "extra" and replace part of the mix.
    """
    if not facts:
        raise ValueError("make_queries needs facts")
    groups = list(reserved_groups) or ["Boko Haram", "Wagner"]
    places = list(reserved_places) or ["Timbuktu", "Lomé"]
    persons = list(reserved_persons) or ["John Smith"]
    extra_list = list(extra)[:n]
    counts = {kind: round(share * (n - len(extra_list))) for kind, share in QUERY_MIX}
    counts["question"] += n - len(extra_list) - sum(counts.values())
    out: list[Query] = [Query(q, "extra", None) for q in extra_list]

    def known() -> tuple[Fact, str]:
        fact = rng.choice(facts)
        return fact, rng.choice((fact.title, *fact.keys))

    for _ in range(counts["question"]):
        fact, text = known()
        out.append(Query(_casual(text, rng), "question", fact.id))
    for _ in range(counts["keyword"]):
        fact = rng.choice(facts)
        short = sorted(fact.keys, key=lambda k: (len(k.split()), k))[:3]
        out.append(Query(_casual(rng.choice(short), rng), "keyword", fact.id))
    for _ in range(counts["paraphrase"]):
        fact, text = known()
        out.append(Query(rng.choice(_PARAPHRASES).format(text), "paraphrase", fact.id))
    for _ in range(counts["typo"]):
        fact, text = known()
        out.append(Query(typo(_casual(text, rng), rng), "typo", fact.id))
    for _ in range(counts["unknown"]):
        if rng.random() < 0.3:
            text = rng.choice(_OUT_OF_SCOPE)
        else:
            text = rng.choice(_UNKNOWN_FORMS).format(
                g=rng.choice(groups), p=rng.choice(places), n=rng.choice(persons)
            )
        out.append(Query(_casual(text, rng), "unknown", None))
    rng.shuffle(out)
    return out


def store_queries(store: SyntheticStore, n: int, seed: int = 0) -> list[Query]:
    """The query set of a synthetic store (call after its facts have been generated)."""
    vocab = store.vocabulary
    rng = random.Random(f"sitrep-bench-queries:{GENERATOR_VERSION}:{seed}:{store.size}")
    return make_queries(
        store.sample,
        n,
        rng,
        reserved_groups=[g.short for g in vocab.reserved_groups],
        reserved_places=vocab.reserved_places,
        reserved_persons=vocab.reserved_persons,
    )


def seed_queries(
    facts: Sequence[Fact], n: int, seed: int = 0, extra: Sequence[str] = ()
) -> list[Query]:
    """The query set of the real seed store: its own keys and titles, typos and unknowns."""
    rng = random.Random(f"sitrep-bench-seed-queries:{GENERATOR_VERSION}:{seed}")
    vocab = make_vocabulary(random.Random(f"sitrep-bench-seed-vocab:{seed}"), 100)
    return make_queries(
        facts,
        n,
        rng,
        reserved_groups=[
            "Boko Haram",
            "Al-Shabaab",
            "Hezbollah",
            *(g.short for g in vocab.reserved_groups[:5]),
        ],
        reserved_places=["Lomé", "Niamey", "Accra", *vocab.reserved_places[:5]],
        reserved_persons=["Emmanuel Macron", *vocab.reserved_persons[:5]],
        extra=extra,
    )
