import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count

from content import demo
from content.models import Domain, Interaction, Item, Profile

pytestmark = pytest.mark.django_db


@pytest.mark.slow
def test_demo_loader_creates_a_varied_catalog_and_people():
    result = demo.demo_load()

    assert result["rejected"] == 0
    assert result["items"] == Item.objects.count() >= 300
    assert Domain.objects.annotate(item_count=Count("items")).filter(item_count__gt=0).count() >= 5
    people = get_user_model().objects.filter(profile__isnull=False)
    assert result["users"] == people.count() >= 20
    bio_only = Profile.objects.exclude(bio="").filter(user__interactions__isnull=True)
    assert bio_only.exists(), "someone starts from a bio alone"
    domains_touched = dict(
        Interaction.objects.values("user")
        .annotate(count=Count("item__domain", distinct=True))
        .values_list("user", "count")
    )
    assert 1 in domains_touched.values(), "someone's history stays in one domain"
    assert any(count > 1 for count in domains_touched.values()), "someone's history spans domains"
