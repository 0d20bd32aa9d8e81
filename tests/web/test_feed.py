import pytest
from django.urls import reverse

from content.models import DEFAULT_EXPLORE, Interaction, Profile
from tests import factories


@pytest.mark.django_db
def test_anonymous_visitor_sees_popular_feed_and_sign_up_prompt(client, catalog):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Sign up for a personal feed" in html
    assert len(response.context["entries"]) == 12
    assert {entry.item.domain.slug for entry in response.context["entries"]} == {
        "articles",
        "books",
        "courses",
        "podcasts",
    }


@pytest.mark.django_db
def test_feed_card_shows_domain_title_link_tags_and_reason(client, catalog):
    response = client.get(reverse("home"))

    entry = response.context["entries"][0]
    html = response.content.decode()
    assert f'href="{entry.item.get_absolute_url()}"' in html
    assert entry.item.domain.name in html
    assert entry.item.tags[0] in html
    assert entry.reason and entry.reason in html.replace("&#x27;", "'")


@pytest.mark.django_db
def test_long_description_is_truncated_on_the_card(client, domains, embed_everything):
    factories.ItemFactory(domain=domains["books"], title="Long one", description="word " * 200)
    embed_everything()

    html = client.get(reverse("home")).content.decode()

    assert "word " * 100 not in html
    assert "…" in html


@pytest.mark.django_db
def test_query_steers_the_feed_towards_its_words(client, catalog):
    entries = client.get(reverse("home"), {"q": "chess openings and endgame tactics"}).context["entries"]

    chess_ids = {item.pk for item in catalog["chess"]}
    assert all(entry.item.pk in chess_ids for entry in entries[:3])


@pytest.mark.django_db
def test_query_over_500_characters_gets_a_form_error_not_a_server_error(client, catalog):
    response = client.get(reverse("home"), {"q": "a" * 501})

    assert response.status_code == 200
    assert "at most 500 characters" in response.content.decode()
    # The feed is still shown, without the rejected query.
    assert response.context["entries"]


@pytest.mark.django_db
def test_domain_tab_shows_only_that_domain(client, catalog):
    response = client.get(reverse("home"), {"domain": "books"})

    assert response.context["entries"]
    assert {entry.item.domain.slug for entry in response.context["entries"]} == {"books"}
    assert 'aria-current="page">Books' in response.content.decode()


@pytest.mark.django_db
def test_unknown_domain_tab_gets_a_friendly_message(client, catalog):
    response = client.get(reverse("home"), {"domain": "spaceships"})

    assert response.status_code == 200
    assert "There is no section called “spaceships”" in response.content.decode()
    assert response.context["entries"] == []


@pytest.mark.django_db
def test_unknown_domain_with_markup_is_escaped(client, catalog):
    response = client.get(reverse("home"), {"domain": '"><img src=x onerror=alert(1)>'})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.django_db
def test_more_link_pages_through_the_feed_without_repeats(client, domains, embed_everything):
    for number in range(25):
        factories.ItemFactory(domain=domains["articles"], title=f"Article {number}")
    embed_everything()

    first = client.get(reverse("home"))
    second = client.get(reverse("home"), {"offset": 20})

    assert 'href="?offset=20"' in first.content.decode()
    first_ids = {entry.item.pk for entry in first.context["entries"]}
    second_ids = {entry.item.pk for entry in second.context["entries"]}
    assert len(first_ids) == 20
    assert len(second_ids) == 5
    assert not first_ids & second_ids
    assert 'id="more-link"' not in second.content.decode()


@pytest.mark.django_db
def test_explore_get_parameter_applies_to_one_request_only(auth_client, user, catalog, monkeypatch):
    seen = []
    from recommendations import selectors

    real = selectors.feed_for_user

    def spy(**kwargs):
        seen.append(kwargs["explore"])
        return real(**kwargs)

    monkeypatch.setattr("web.views.feed.feed_for_user", spy)

    auth_client.get(reverse("home"), {"explore": "1"})
    auth_client.get(reverse("home"))

    assert seen == [1.0, None]
    assert Profile.objects.get(user=user).explore == pytest.approx(DEFAULT_EXPLORE)


@pytest.mark.django_db
def test_explore_outside_0_to_1_gets_a_form_error(client, catalog):
    response = client.get(reverse("home"), {"explore": "7"})

    assert response.status_code == 200
    assert "less than or equal to 1" in response.content.decode()


@pytest.mark.django_db
def test_logged_in_user_can_save_explore_as_default(auth_client, user):
    response = auth_client.post(reverse("explore_save"), {"explore": "0.75", "next": "/?explore=0.75"})

    assert response.status_code == 302
    assert response.url == "/?explore=0.75"
    assert Profile.objects.get(user=user).explore == pytest.approx(0.75)


@pytest.mark.django_db
def test_saving_an_invalid_explore_changes_nothing(auth_client, user):
    auth_client.post(reverse("explore_save"), {"explore": "2"})

    assert Profile.objects.get(user=user).explore == pytest.approx(DEFAULT_EXPLORE)


@pytest.mark.django_db
def test_save_explore_offer_appears_when_the_request_differs_from_the_default(auth_client, catalog):
    html = auth_client.get(reverse("home"), {"explore": "1"}).content.decode()

    assert "Make this explore setting my default" in html


@pytest.mark.django_db
def test_like_from_a_card_records_it_and_returns_to_the_feed(auth_client, user, catalog):
    item = catalog["chess"][0]

    response = auth_client.post(reverse("item_feedback", args=[item.pk]), {"kind": "like", "next": "/?domain=books"})

    assert response.status_code == 302
    assert response.url == "/?domain=books"
    assert Interaction.objects.filter(user=user, item=item, kind="like").exists()


@pytest.mark.django_db
def test_hidden_item_disappears_from_every_page_of_the_feed(auth_client, user, domains, embed_everything):
    items = [factories.ItemFactory(domain=domains["articles"], title=f"Article {n}") for n in range(25)]
    embed_everything()
    hidden = items[3]

    auth_client.post(reverse("item_feedback", args=[hidden.pk]), {"kind": "hide"})

    pages = [auth_client.get(reverse("home"), {"offset": offset}).context["entries"] for offset in (0, 20)]
    shown = [entry.item.pk for page in pages for entry in page]
    assert hidden.pk not in shown
    assert len(shown) == 24


@pytest.mark.django_db
def test_item_title_with_markup_renders_as_text_on_the_feed(client, domains, embed_everything):
    factories.ItemFactory(domain=domains["books"], title='<script>alert("x")</script>"><img src=x onerror=alert(1)>')
    embed_everything()

    html = client.get(reverse("home")).content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html


@pytest.mark.django_db
def test_header_links_to_admin_only_for_staff(client, catalog):
    staff = factories.UserFactory(is_staff=True)
    member = factories.UserFactory()

    client.force_login(member)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    client.force_login(staff)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_every_page_has_skip_link_and_landmarks(client, catalog):
    html = client.get(reverse("home")).content.decode()

    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<nav" in html and "<footer" in html


@pytest.mark.django_db
def test_feed_page_works_before_any_item_is_embedded(client, domains):
    factories.ItemFactory(domain=domains["books"])

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Nothing to show here yet" in response.content.decode()
