"""A small fact set with a document its quotes really come from, for core tests."""

from __future__ import annotations

from datetime import date

from knowledge.models import Document, Fact, Glossary, Source

BRIEF = Document(
    id="brief",
    title="A test brief",
    publisher="Test Publisher",
    published=date(2025, 11, 4),
    url="https://example.org/brief",
    text=(
        "JNIM is led by Iyad ag-Ghali and Amadou Kouffa. "
        "Mali received approximately 95 percent of its fuel from Senegal and the Ivory Coast. "
        "The city of Kayes, with a population of 127,000, has been blockaded. "
        "JNIM boasts approximately 6,000 fighters. "
        "Mali is a landlocked nation of nearly 21 million people."
    ),
)


def make_fact(
    fact_id: str, title: str, answer: str, quote: str, keys: tuple[str, ...] = (), **kw: object
) -> Fact:
    """A fact citing the test brief."""
    fields: dict[str, object] = {
        "tags": (fact_id.split("-")[0],),
        "as_of": date(2025, 11, 4),
        "sources": (
            Source(
                quote=quote,
                document="brief",
                title=BRIEF.title,
                publisher=BRIEF.publisher,
                published=BRIEF.published,
                url=BRIEF.url,
            ),
        ),
    }
    fields.update(kw)
    return Fact(id=fact_id, title=title, answer=answer, keys=keys, **fields)  # type: ignore[arg-type]


FACTS = (
    make_fact(
        "jnim-leadership",
        "Who leads JNIM",
        "JNIM is led by Iyad ag-Ghali and Amadou Kouffa.",
        "JNIM is led by Iyad ag-Ghali and Amadou Kouffa",
        ("who leads JNIM", "JNIM leader", "JNIM commanders", "head of JNIM"),
    ),
    make_fact(
        "fuel-imports",
        "Where Mali's fuel comes from",
        "About 95 percent of Mali's fuel came from Senegal and Côte d'Ivoire (Ivory Coast).",
        "Mali received approximately 95 percent of its fuel from Senegal and the Ivory Coast",
        ("fuel imports", "where does Mali get its fuel", "fuel supply"),
    ),
    make_fact(
        "kayes",
        "Kayes under blockade",
        "Kayes, a city of 127,000 people, has been blockaded by JNIM.",
        "The city of Kayes, with a population of 127,000, has been blockaded",
        ("Kayes blockade", "Kayes population"),
    ),
    make_fact(
        "jnim-strength",
        "How many fighters JNIM has",
        "JNIM has approximately 6,000 fighters.",
        "JNIM boasts approximately 6,000 fighters",
        ("how many fighters does JNIM have", "JNIM strength", "size of JNIM"),
    ),
    make_fact(
        "mali-population",
        "Mali's population",
        "Mali is a landlocked country of nearly 21 million people.",
        "Mali is a landlocked nation of nearly 21 million people",
        ("Mali population", "how many people live in Mali"),
    ),
)

GLOSSARY = Glossary(
    (
        ("jnim", "gsim", "jama'at nusrat ul-islam wa al-muslimin"),
        ("lead", "led", "leader", "head", "commander", "boss"),
        ("fuel", "petrol", "diesel", "gasoline"),
        ("cote d'ivoire", "ivory coast"),
        ("fighter", "militant", "combatant"),
        ("population", "inhabitants", "people"),
    )
)
