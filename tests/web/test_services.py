import pytest

from content.models import Interaction, Profile
from recommendations.models import InterestProfile
from tests import factories
from web.services import feedback_toggle, profile_personalize_now


@pytest.mark.django_db
def test_personalize_now_embeds_the_bio_and_builds_interests(user):
    Profile.objects.filter(user=user).update(bio="Whales, coral reefs and the deep sea.")

    assert profile_personalize_now(user=user) is True

    assert Profile.objects.get(user=user).has_embedding
    assert InterestProfile.objects.get(user=user).interests.filter(source="bio").exists()


@pytest.mark.django_db
def test_personalize_now_reports_failure_instead_of_raising(user, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("model unavailable")

    monkeypatch.setattr("recommendations.services.interests.interests_refresh", broken)

    assert profile_personalize_now(user=user) is False


@pytest.mark.django_db
def test_feedback_toggle_sets_then_undoes(user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    assert feedback_toggle(user=user, item=item, kind="save") is True
    assert feedback_toggle(user=user, item=item, kind="save") is False
    assert not Interaction.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_feedback_toggle_with_a_new_rating_replaces_the_old_one(user, domains):
    item = factories.ItemFactory(domain=domains["books"])

    feedback_toggle(user=user, item=item, kind="rating", value=5)
    assert feedback_toggle(user=user, item=item, kind="rating", value=3) is True

    assert list(Interaction.objects.filter(user=user).values_list("value", flat=True)) == [3]
