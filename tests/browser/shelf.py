"""A small embedded catalog and one reader, shared by the browser tests (cards, accessibility)."""

from content import services, vectors
from content.models import Item
from recommendations.services import statistics as rec_statistics
from tests import factories

TITLES = [
    ("books", "Coral reefs under pressure from warming seas", ["ocean", "coral"]),
    ("movies", "Whales of the deep ocean and their songs", ["ocean", "whales"]),
    ("courses", "Opening principles every chess beginner should know", ["chess"]),
    ("books", "Sourdough bread at home with a starter", ["baking", "bread"]),
    ("movies", "Sharks: misunderstood predators of the open ocean", ["ocean", "sharks"]),
    ("courses", "Rook endgames in chess explained", ["chess", "endgames"]),
    ("books", "Croissants step by step: laminating butter", ["baking"]),
    ("movies", "Kelp forests and the sea otters that protect them", ["ocean", "kelp"]),
]
READER = "marina"
PASSWORD = "Deep-blue-sea-42"


def shelf_catalog() -> list[Item]:
    """Eight embedded items with drawn covers, as a demo load leaves them."""
    domains = {slug: factories.DomainFactory(slug=slug, name=slug.title()) for slug in ("books", "movies", "courses")}
    items = [
        factories.ItemFactory(domain=domains[slug], title=title, description=f"{title}. " * 6, tags=tags)
        for slug, title, tags in TITLES
    ]
    services.items_draw_covers(item_ids=[item.pk for item in items])
    vectors.items_embed(item_ids=[item.pk for item in items])
    rec_statistics.item_stats_refresh()
    return items


def shelf_reader():
    user = factories.UserFactory(username=READER, password=PASSWORD)
    factories.ProfileFactory(user=user, bio="I love the ocean: coral reefs, whales and sharks.")
    vectors.profile_embed(profile_id=user.profile.pk)
    return user


def log_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(READER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")
