import pytest

from content.models import Item
from tests import factories

# Hand-written topics, far apart in meaning, so what the real model ranks first is predictable.
TOPICS = {
    "ocean": [
        (
            "Coral reefs under pressure",
            "How warming seas bleach coral reefs and what marine biologists do about it.",
            ["ocean", "coral", "marine biology"],
        ),
        (
            "Whales of the deep ocean",
            "Blue whales, sperm whales and the songs they sing across the open sea.",
            ["whales", "ocean"],
        ),
        (
            "Life in the tide pools",
            "Sea stars, anemones and crabs in rocky shore tide pools along the coast.",
            ["marine life", "coast"],
        ),
        (
            "Sharks: misunderstood predators",
            "Shark behaviour, migration across oceans and marine conservation.",
            ["sharks", "ocean"],
        ),
    ],
    "chess": [
        (
            "Opening principles in chess",
            "Control the centre, develop knights and bishops, castle early.",
            ["chess", "openings"],
        ),
        (
            "Endgames every chess player should know",
            "King and pawn endings, rook endings and the opposition.",
            ["chess", "endgames"],
        ),
        (
            "Famous grandmaster games",
            "Kasparov, Fischer and Carlsen: annotated chess games of world champions.",
            ["chess", "grandmasters"],
        ),
        (
            "Chess tactics: forks and pins",
            "Tactical motifs on the chessboard: forks, pins, skewers and discovered attacks.",
            ["chess", "tactics"],
        ),
    ],
    "baking": [
        (
            "Sourdough bread at home",
            "Feed a starter, shape the loaf and bake crusty sourdough bread.",
            ["baking", "bread"],
        ),
        (
            "Perfect chocolate chip cookies",
            "Butter, brown sugar and resting the dough for chewy cookies.",
            ["baking", "cookies"],
        ),
        ("Croissants step by step", "Laminating butter into dough for flaky pastry croissants.", ["baking", "pastry"]),
        ("Cakes for beginners", "Sponge cake, buttercream frosting and baking tins explained.", ["baking", "cake"]),
    ],
}
# Each topic is spread over the domains, so domain and topic never coincide.
TOPIC_DOMAINS = ["articles", "books", "courses", "podcasts"]


@pytest.fixture
def user(db):
    user = factories.UserFactory()
    factories.ProfileFactory(user=user)
    return user


@pytest.fixture
def auth_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def catalog(domains, embed_everything) -> dict[str, list[Item]]:
    """Twelve embedded items on three topics: {topic: [items]}."""
    items = {
        topic: [
            factories.ItemFactory(domain=domains[TOPIC_DOMAINS[index]], title=title, description=text, tags=tags)
            for index, (title, text, tags) in enumerate(rows)
        ]
        for topic, rows in TOPICS.items()
    }
    embed_everything()
    return items
