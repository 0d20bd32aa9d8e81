"""The caller's own profile, interests and domain preferences."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from content import tasks
from content.models import DEFAULT_EXPLORE, Profile
from recommendations.models import InterestProfile
from tests import factories
from tests.api.utils import assert_error


def test_profile_is_created_on_first_read(user_api, user):
    body = user_api.get(reverse("api_me_profile")).json()
    assert body["username"] == "reader"
    assert body["preferred_domains"] == []
    assert Profile.objects.filter(user=user).exists()


def test_profile_patch_changes_bio_and_queues_its_embedding(
    user_api, user, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.embed_profile, "delay", lambda profile_id: queued.append(profile_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = user_api.patch(
            reverse("api_me_profile"), {"bio": " I love jazz. ", "display_name": "Rea", "explore": 0.8}, format="json"
        )
    assert response.status_code == 200, response.content
    profile = Profile.objects.get(user=user)
    assert (profile.bio, profile.display_name, profile.explore) == ("I love jazz.", "Rea", 0.8)
    assert queued == [profile.pk]


def test_profile_patch_leaves_unsent_fields_alone(user_api, user):
    factories.ProfileFactory(user=user, bio="Keep me", explore=0.1)
    user_api.patch(reverse("api_me_profile"), {"display_name": "New"}, format="json")
    profile = Profile.objects.get(user=user)
    assert (profile.bio, profile.explore, profile.display_name) == ("Keep me", 0.1, "New")


def test_profile_read_only_fields_cannot_be_written(user_api, user, other_user):
    user_api.patch(
        reverse("api_me_profile"),
        {"username": "admin", "user": other_user.pk, "is_staff": True, "has_embedding": True, "display_name": "x"},
        format="json",
    )
    user.refresh_from_db()
    assert (user.username, user.is_staff) == ("reader", False)
    assert Profile.objects.get(user=user).display_name == "x"
    assert not Profile.objects.filter(user=other_user).exists()


def test_bio_over_1000_characters_is_a_400(user_api, user):
    error = assert_error(user_api.patch(reverse("api_me_profile"), {"bio": "x" * 1001}, format="json"), 400)
    assert "bio" in error["fields"]


def test_explore_outside_0_to_1_is_a_400(user_api, user):
    for value in (-0.1, 1.5, "lots"):
        error = assert_error(user_api.patch(reverse("api_me_profile"), {"explore": value}, format="json"), 400)
        assert "explore" in error["fields"]


def test_domain_preferences_are_replaced_and_read_back(user_api, user, domains):
    response = user_api.put(reverse("api_me_domains"), {"domains": ["books", "movies"]}, format="json")
    assert sorted(response.json()["domains"]) == ["books", "movies"]
    user_api.put(reverse("api_me_domains"), {"domains": ["podcasts"]}, format="json")
    assert user_api.get(reverse("api_me_domains")).json()["domains"] == ["podcasts"]
    assert list(Profile.objects.get(user=user).preferred_domains.values_list("slug", flat=True)) == ["podcasts"]


def test_unknown_domain_preference_is_a_400_and_changes_nothing(user_api, user, domains):
    user_api.put(reverse("api_me_domains"), {"domains": ["books"]}, format="json")
    error = assert_error(user_api.put(reverse("api_me_domains"), {"domains": ["books", "cars"]}, format="json"), 400)
    assert "domains" in error["fields"]
    assert user_api.get(reverse("api_me_domains")).json()["domains"] == ["books"]


def test_interests_are_empty_before_anything_is_known(user_api, user):
    assert user_api.get(reverse("api_me_interests")).json() == {"domains": {}, "interests": [], "computed_at": None}


def test_interests_show_per_domain_scores_after_likes(user_api, user, domains, embed_everything):
    books = factories.ItemFactory.create_batch(3, domain=domains["books"])
    for book in books:
        factories.InteractionFactory(user=user, item=book, kind="like")
    embed_everything()
    body = user_api.get(reverse("api_me_interests")).json()
    assert body["computed_at"]
    assert max(body["domains"], key=body["domains"].get) == "books"
    assert all(0 <= score <= 1 for score in body["domains"].values())
    assert body["interests"] and {"label", "weight", "source"} == set(body["interests"][0])


def test_interests_are_the_callers_own(user_api, user, other_user, domains, embed_everything):
    for book in factories.ItemFactory.create_batch(3, domain=domains["books"]):
        factories.InteractionFactory(user=other_user, item=book, kind="like")
    embed_everything()
    assert InterestProfile.objects.get(user=other_user).domain_scores.get("books")
    assert not user_api.get(reverse("api_me_interests")).json()["domains"].get("books")


def test_me_endpoints_need_a_signed_in_user(api, db):
    for name in ("api_me_profile", "api_me_interests", "api_me_domains"):
        assert_error(api.get(reverse(name)), 401, "not_authenticated")


def test_domain_preferences_list_is_capped(user_api, user, domains, settings):
    settings.API_MAX_DOMAINS = 3
    user_api.put(reverse("api_me_domains"), {"domains": ["books"]}, format="json")

    response = user_api.put(reverse("api_me_domains"), {"domains": ["books"] * 4}, format="json")

    error = assert_error(response, 400, "invalid")
    assert "no more than 3" in str(error["fields"]["domains"])
    assert user_api.get(reverse("api_me_domains")).json()["domains"] == ["books"]


def test_domain_preferences_are_resolved_in_one_query_however_many_are_named(user_api, user, domains):
    counts = []
    for slugs in (["books"], ["books", "movies", "podcasts", "courses", "articles"]):
        user_api.put(reverse("api_me_domains"), {"domains": []}, format="json")
        with CaptureQueriesContext(connection) as queries:
            assert user_api.put(reverse("api_me_domains"), {"domains": slugs}, format="json").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_every_unknown_domain_is_named_and_repeats_are_harmless(user_api, user, domains):
    error = assert_error(
        user_api.put(reverse("api_me_domains"), {"domains": ["books", "cars", "boats"]}, format="json"), 400
    )
    assert "'cars'" in error["message"] and "'boats'" in error["message"]

    response = user_api.put(reverse("api_me_domains"), {"domains": ["books", "books"]}, format="json")

    assert response.json()["domains"] == ["books"]


def test_domain_preferences_must_be_a_list_of_slugs(user_api, user, domains):
    for body in (
        {"domains": "books"},
        {"domains": [None]},
        {"domains": ["bo\x00oks"]},
        {"domains": [{"slug": "x"}]},
        {},
    ):
        assert_error(user_api.put(reverse("api_me_domains"), body, format="json"), 400, "invalid")


def test_explore_as_a_boolean_is_a_400_not_a_number(user_api, user):
    for value in (False, True):
        error = assert_error(user_api.patch(reverse("api_me_profile"), {"explore": value}, format="json"), 400)
        assert "explore" in error["fields"]
    assert user_api.get(reverse("api_me_profile")).json()["explore"] == DEFAULT_EXPLORE


def test_bio_as_a_number_is_a_400_not_stored_as_digits(user_api, user):
    error = assert_error(user_api.patch(reverse("api_me_profile"), {"bio": 172}, format="json"), 400)
    assert "bio" in error["fields"]
    assert user_api.get(reverse("api_me_profile")).json()["bio"] == ""
