import xml.etree.ElementTree as ET

import pytest

from content import services
from content.covers import cover_svg
from content.models import Item
from tests import factories


def test_cover_is_the_same_for_the_same_item_and_differs_between_items():
    first = cover_svg(domain="books", title="The Left Hand of Darkness", tags=["science fiction", "classic"])
    again = cover_svg(domain="books", title="The Left Hand of Darkness", tags=["science fiction", "classic"])
    other = cover_svg(domain="books", title="A Wizard of Earthsea", tags=["fantasy", "classic"])

    assert first == again
    assert first != other
    # Different text gives different colours, not only different words.
    assert first.split("<stop")[1] != other.split("<stop")[1]


def test_cover_escapes_markup_in_the_title_and_tags():
    svg = cover_svg(domain="articles", title='<script>alert("x")</script> & co', tags=["a<b", "\x00odd"])

    root = ET.fromstring(svg)
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    texts = "".join(element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text"))
    assert '<script>alert("x")</script>' in texts.replace("\n", "")
    assert "#a<b" in texts


def test_long_titles_wrap_to_at_most_three_lines_with_an_ellipsis():
    svg = cover_svg(domain="movies", title="word " * 40, tags=[])

    titles = [
        element.text
        for element in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")
        if element.get("font-size") == "32"
    ]
    assert len(titles) == 3
    assert titles[-1].endswith("…")


def test_every_domain_has_its_own_glyph_and_unknown_ones_fall_back():
    def glyph(domain: str) -> str:
        return ET.fromstring(cover_svg(domain=domain, title="Same", tags=[])).find(".//{*}path").get("d")

    assert len({glyph(domain) for domain in ("books", "movies", "music", "podcasts", "courses", "articles")}) == 6
    assert glyph("knitting") == glyph("articles")


@pytest.mark.django_db
def test_drawing_covers_gives_pictureless_items_a_stored_svg_once(domains):
    bare = factories.ItemFactory(domain=domains["books"], title="Dune", tags=["science fiction"])
    pictured = factories.ItemFactory(domain=domains["books"], image="items/own.png")

    assert services.items_draw_covers(item_ids=[bare.pk, pictured.pk]) == 1
    assert services.items_draw_covers(item_ids=[bare.pk]) == 0

    bare.refresh_from_db()
    assert bare.image.name.startswith(f"covers/{bare.pk}-") and bare.image.name.endswith(".svg")
    with bare.image.open("rb") as stored:
        assert b"Dune" in stored.read()
    assert Item.objects.get(pk=pictured.pk).image.name == "items/own.png"
