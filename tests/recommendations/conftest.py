import pytest

from content.models import Item
from tests import factories

# Five topics far apart in meaning, each spread over three domains, so topic and domain never coincide.
TOPICS = {
    "ocean": [
        (
            "books",
            "The Sea Around Us",
            "Ocean currents, tides and the marine life of the open sea.",
            ["ocean", "marine biology"],
        ),
        (
            "books",
            "Reef Life",
            "Coral reef ecology: reef fish, polyps and bleaching in warming seas.",
            ["ocean", "coral reefs"],
        ),
        ("books", "Whale Songs", "How humpback whales sing and migrate across the oceans.", ["ocean", "whales"]),
        (
            "books",
            "Creatures of the Deep",
            "Anglerfish, giant squid and strange animals of the deep sea.",
            ["ocean", "deep sea"],
        ),
        (
            "podcasts",
            "Ocean Voices",
            "A podcast about marine biologists studying sharks, kelp forests and sea turtles.",
            ["ocean", "marine biology"],
        ),
        (
            "courses",
            "Introduction to Marine Biology",
            "A course on ocean ecosystems, plankton, fish and marine mammals.",
            ["ocean", "marine biology"],
        ),
    ],
    "chess": [
        (
            "books",
            "Chess Openings Explained",
            "The Sicilian Defence, the Ruy Lopez and the Queen's Gambit move by move.",
            ["chess", "openings"],
        ),
        (
            "podcasts",
            "The Endgame Hour",
            "A chess podcast on king and pawn endings, rook endgames and grandmaster technique.",
            ["chess", "endgames"],
        ),
        (
            "courses",
            "Chess Tactics Bootcamp",
            "Forks, pins, skewers and discovered attacks on the chessboard.",
            ["chess", "tactics"],
        ),
        (
            "courses",
            "Chess Strategy for Club Players",
            "Pawn structure, weak squares and planning in the chess middlegame.",
            ["chess", "strategy"],
        ),
    ],
    "baking": [
        (
            "books",
            "Sourdough at Home",
            "Feed a wild yeast starter, shape the loaf and bake a crusty sourdough bread.",
            ["baking", "bread"],
        ),
        (
            "courses",
            "Croissants Step by Step",
            "Laminating butter into dough for flaky pastry and croissants.",
            ["baking", "pastry"],
        ),
        (
            "podcasts",
            "The Bakehouse",
            "A podcast about cakes, cookies, ovens and flour from a home baker.",
            ["baking", "cakes"],
        ),
        (
            "books",
            "Cakes for Beginners",
            "Sponge cake, buttercream frosting and baking tins explained.",
            ["baking", "cakes"],
        ),
    ],
    "astronomy": [
        (
            "books",
            "Reading the Night Sky",
            "Find the constellations, bright stars and planets with the naked eye.",
            ["astronomy", "stars"],
        ),
        (
            "podcasts",
            "Deep Space Weekly",
            "An astronomy podcast on galaxies, black holes and new telescope images.",
            ["astronomy", "space"],
        ),
        (
            "courses",
            "Backyard Telescopes",
            "Choosing and using a telescope to observe the Moon, Jupiter and Saturn.",
            ["astronomy", "telescopes"],
        ),
        (
            "podcasts",
            "Planets Beyond",
            "Exoplanets, how astronomers find them and whether they could host life.",
            ["astronomy", "exoplanets"],
        ),
    ],
    "jazz": [
        (
            "courses",
            "Jazz Saxophone Improvisation",
            "Bebop phrasing, blues scales and soloing over chord changes on the tenor sax.",
            ["jazz", "saxophone"],
        ),
        (
            "books",
            "The Birth of Bebop",
            "Charlie Parker, Dizzy Gillespie and the jazz clubs of 1940s New York.",
            ["jazz", "history"],
        ),
        (
            "podcasts",
            "Blue Note Sessions",
            "A jazz podcast spinning classic records by Coltrane, Monk and Miles Davis.",
            ["jazz", "records"],
        ),
        (
            "courses",
            "Jazz Piano Voicings",
            "Shell voicings, comping and swing rhythm for jazz pianists.",
            ["jazz", "piano"],
        ),
    ],
}

OCEAN_BIO = "I am a marine biologist who loves the ocean, coral reefs, whales and everything that lives in the sea."


@pytest.fixture
def topics(domains) -> dict[str, list[Item]]:
    """22 items on five topics over books, podcasts and courses: {topic: [items]} (not yet embedded)."""
    return {
        topic: [
            factories.ItemFactory(domain=domains[slug], title=title, description=text, tags=tags)
            for slug, title, text, tags in rows
        ]
        for topic, rows in TOPICS.items()
    }


@pytest.fixture
def topic_of(topics):
    def lookup(item) -> str:
        return next(topic for topic, items in topics.items() if item.pk in {i.pk for i in items})

    return lookup


@pytest.fixture
def person(db):
    """A user with a profile, an optional bio and a history of (item, kind) pairs."""

    def make(*, bio: str = "", history=(), **profile_fields):
        user = factories.UserFactory()
        factories.ProfileFactory(user=user, bio=bio, **profile_fields)
        for item, kind in history:
            factories.InteractionFactory(user=user, item=item, kind=kind)
        return user

    return make
