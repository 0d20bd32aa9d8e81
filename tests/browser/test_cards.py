"""Cards in a real browser: pictures, buttons that answer in place, the Saved page, and a phone's first screen."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from content.models import Interaction, Item
from tests.browser.shelf import log_in

# A card hidden in place (the page keeps its order).
HIDDEN = re.compile(r"\bis-hidden\b")


def card_titles(page) -> list[str]:
    return page.locator("#feed-list .card-title a").all_inner_texts()


def loaded_pictures(page, selector: str) -> list[dict]:
    return page.eval_on_selector_all(
        selector,
        """images => images.map(image => ({
            alt: image.alt, width: image.getAttribute("width"), height: image.getAttribute("height"),
            loaded: image.complete && image.naturalWidth > 0, shown: image.getBoundingClientRect().width > 0,
        }))""",
    )


@pytest.mark.browser
def test_cards_and_item_pages_show_pictures_and_a_phone_sees_an_item_first(page, live_server, catalog):
    base = live_server.url
    page.goto(base + "/")
    page.locator("#feed-list .card-image").first.scroll_into_view_if_needed()

    cards = loaded_pictures(page, "#feed-list .card-image")
    assert len(cards) == len(catalog)
    first = cards[0]
    assert first["loaded"] and first["shown"], first
    assert first["alt"].startswith("Cover art for ") and (first["width"], first["height"]) == ("480", "320")

    page.goto(f"{base}/items/{catalog[0].pk}/")
    [picture] = loaded_pictures(page, ".item-image")
    assert picture["loaded"] and picture["alt"] == f"Cover art for {catalog[0].title}"
    similar = loaded_pictures(page, ".similar .card-image")
    assert similar and all(image["alt"] for image in similar)

    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(base + "/")
    top_of_first_card = page.locator("#feed-list > .card").first.bounding_box()["y"]
    assert top_of_first_card < 667 - 120, "the first screen of a phone shows an item"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
def test_like_save_and_hide_answer_in_place_keeping_the_order(page, live_server, catalog, reader):
    base = live_server.url
    log_in(page, base)
    before = card_titles(page)
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    second, third, first = (page.locator("#feed-list > .card").nth(index) for index in (1, 2, 0))
    second.get_by_role("button", name=f"Like: {before[1]}").click()
    third.get_by_role("button", name=f"Save: {before[2]}").click()
    first.get_by_role("button", name=f"Hide: {before[0]}").click()

    expect(second.get_by_role("button", name=f"Like: {before[1]}")).to_have_text("Liked")
    expect(second.get_by_role("button", name=f"Like: {before[1]}")).to_have_attribute("aria-pressed", "true")
    expect(third.get_by_role("button", name=f"Save: {before[2]}")).to_have_text("Saved")
    expect(page.locator("#feed-list > .card").first).to_have_class(HIDDEN)
    assert first.locator(".card-hidden-note").is_visible() and not first.locator(".card-image").is_visible()
    assert (
        page.get_by_role("status").inner_text()
        == "Hidden. It won't appear in your feed again (undo it from your profile)."
    )
    assert navigations == [] and page.url == base + "/"
    assert card_titles(page) == before
    recorded = set(Interaction.objects.filter(user=reader).values_list("item__title", "kind"))
    assert recorded == {(before[1], "like"), (before[2], "save"), (before[0], "hide")}

    # Pressing again undoes, still in place.
    first.get_by_role("button", name=f"Hide: {before[0]}").click()
    expect(page.locator("#feed-list > .card").first).not_to_have_class(HIDDEN)
    assert not Interaction.objects.filter(user=reader, kind="hide").exists()

    # A rating on the item page answers in place too.
    item = Item.objects.get(title=before[1])
    page.goto(f"{base}/items/{item.pk}/")
    page.get_by_role("button", name="4 out of 5").click()
    expect(page.locator("[data-rating-legend]")).to_contain_text("4 out of 5")
    assert page.get_by_role("button", name="4 out of 5").get_attribute("aria-pressed") == "true"
    assert Interaction.objects.get(user=reader, item=item, kind="rating").value == 4


@pytest.mark.browser
def test_without_javascript_the_buttons_post_as_plain_forms(browser, live_server, catalog, reader):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    base = live_server.url
    log_in(page, base)
    title = card_titles(page)[0]

    page.get_by_role("button", name=f"Save: {title}").click()
    page.wait_for_load_state()

    # The post came back to the feed with the confirmation the server put on the page.
    assert page.url.startswith(base + "/")
    assert "Saved for later." in page.locator(".messages").inner_text()
    assert Interaction.objects.filter(user=reader, item__title=title, kind="save").exists()
    context.close()


@pytest.mark.browser
def test_saved_page_lists_saves_newest_first_and_unsaves_in_place(page, live_server, catalog, reader):
    base = live_server.url
    log_in(page, base)
    titles = card_titles(page)
    for title in titles[:3]:
        page.get_by_role("button", name=f"Save: {title}").click()
        expect(page.get_by_role("button", name=f"Save: {title}").first).to_have_attribute("aria-pressed", "true")

    page.get_by_role("link", name="Saved").click()
    page.wait_for_url(base + "/me/saved/")

    saved = page.locator("#saved-list .card-title a").all_inner_texts()
    assert saved == list(reversed(titles[:3]))
    assert "just now" in page.locator("#saved-list .reason").first.inner_text()
    assert all(image["loaded"] for image in loaded_pictures(page, "#saved-list .card-image")[:1])

    page.get_by_role("button", name=f"Save: {saved[0]}").click()
    expect(page.locator("#saved-list .toggle-save").first).to_have_attribute("aria-pressed", "false")
    assert page.url == base + "/me/saved/"
    still_saved = get_user_model().objects.get(username="marina").interactions.filter(kind="save")
    assert set(still_saved.values_list("item__title", flat=True)) == set(titles[:3]) - {saved[0]}
