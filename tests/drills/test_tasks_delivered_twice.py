"""Drill: every task delivered twice (a redelivery after a lost acknowledgement, a sweep racing a retry) leaves the
same rows as one delivery. No processes: each task runs twice in this process on the same data."""

import pytest
from django.core.cache import cache

from content import domain_indexes, enqueue, services
from content import tasks as content_tasks
from content.embedding import text_hash, to_array
from content.models import Domain, Interaction, Item, Profile
from recommendations import search_width
from recommendations import tasks as rec_tasks
from recommendations.features import FEATURES
from recommendations.models import CoEngagement, Interest, InterestProfile, ItemStats, RankerWeights
from recommendations.services.interests import stale_interest_user_ids
from recommendations.situations import SITUATIONS
from recommendations.sources import hnsw
from tests import factories
from tests.recommendations.conftest import person, topics  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.drill]


@pytest.fixture
def delivered(monkeypatch) -> list[tuple[str, tuple]]:
    """What would reach the broker, taken as sent (so the rows are marked queued, as after a real send)."""
    sent = []

    def take(task, args, on_sent):
        sent.append((task.name, args))
        if on_sent is not None:
            on_sent()

    monkeypatch.setattr(enqueue, "_send", take)
    return sent


@pytest.fixture
def site(topics, person, embed_everything, delivered):  # noqa: F811 - fixtures
    """Forty people into two topics each, a few dislikes and views, everything embedded: enough behaviour for a
    refit to adopt weights (bios come later, one at a time)."""
    names = list(topics)
    people = []
    for number in range(40):
        first, second = names[number % 5], names[(number % 5 + 1 + (number // 5) % 4) % 5]
        history = [(topics[first][(number + step) % len(topics[first])], "like") for step in range(4)]
        history += [(topics[second][(number + step) % len(topics[second])], "like") for step in range(3)]
        if number % 4 == 0:
            other = topics[names[(number % 5 + 3) % 5]]
            history += [(other[0], "dislike"), (other[1], "view")]
        people.append(person(history=history))
    embed_everything()
    delivered.clear()
    return people


def _vector(value):
    return None if value is None else [round(float(x), 4) for x in to_array(value)]


def state() -> dict:
    """Every row a task writes, minus ids of rebuilt rows and InterestProfile.computed_at (when the work ran)."""
    embedded = ("embedding_model", "embedding_hash", "embedded_at", "embedding_error", "embedding_attempts",
                "embedding_queued_at", "updated_at")  # fmt: skip
    return {
        "items": {i.pk: (_vector(i.embedding), *(getattr(i, f) for f in embedded)) for i in Item.objects.all()},
        "profiles": {
            p.pk: (_vector(p.embedding), p.feedback_changed_at, *(getattr(p, f) for f in embedded))
            for p in Profile.objects.all()
        },
        "interest_profiles": {
            p.user_id: (
                p.domain_scores,
                _vector(p.negative),
                p.positive_items,
                p.positive_count,
                p.negative_count,
                p.based_on,
                p.refresh_queued_at,
            )  # fmt: skip
            for p in InterestProfile.objects.all()
        },
        "interests": sorted(
            (i.profile.user_id, i.source, i.label, round(i.weight, 6), i.anchor_item_id, _vector(i.vector))
            for i in Interest.objects.select_related("profile")
        ),
        "item_stats": {
            s.item_id: (s.engagement, s.popularity, s.trending, s.updated_at) for s in ItemStats.objects.all()
        },
        "neighbours": sorted((c.kind, c.item_id, c.neighbor_id, round(c.score, 6)) for c in CoEngagement.objects.all()),
        "rankers": [(r.version, r.weights, r.is_active) for r in RankerWeights.objects.order_by("version")],
        "interactions": sorted(Interaction.objects.values_list("user_id", "item_id", "kind", "value")),
        "search_width": (cache.get(hnsw.CACHE_KEY) or {}).get("measured_at"),
        "domain_indexes": domain_indexes.existing(),
    }


def deliver_twice(task, *args) -> tuple[object, dict, dict]:
    """The first delivery's result, the state after it, and the state after a second delivery of the same message."""
    first = task.apply(args=args)
    assert first.successful(), first.traceback
    once = state()
    second = task.apply(args=args)
    assert second.successful(), second.traceback
    return first.result, once, state()


def test_every_task_delivered_twice_leaves_the_same_rows(site, delivered, check_constraints_now):
    """One walk through the pipeline (the setup embeds everything with the real model, so it is done once)."""
    edited, last = Item.objects.order_by("pk").first(), Item.objects.order_by("pk").last()

    services.item_update(item=edited, description="Rewritten: a field guide to tide pools and their crabs.")
    _, once, twice = deliver_twice(content_tasks.embed_items, list(Item.objects.values_list("pk", flat=True)))
    assert once == twice, "embed_items"
    assert once["items"][edited.pk][2] == text_hash(Item.objects.get(pk=edited.pk).text_for_embedding)

    newcomer = site[1]
    services.profile_update(user=newcomer, bio="New in town; I climb and I bake sourdough bread.")
    _, once, twice = deliver_twice(content_tasks.embed_profile, newcomer.profile.pk)
    assert once == twice, "embed_profile"
    assert once["profiles"][newcomer.profile.pk][0] is not None

    services.interaction_record(user=site[0], item=last, kind="like")
    _, once, twice = deliver_twice(rec_tasks.refresh_user_interests, site[0].pk)
    assert once == twice, "refresh_user_interests"
    assert once["interest_profiles"][site[0].pk][5] >= Profile.objects.get(user=site[0]).feedback_changed_at

    services.interaction_record(user=site[2], item=last, kind="save")
    _, once, twice = deliver_twice(rec_tasks.refresh_item_statistics)
    assert once == twice, "refresh_item_statistics"
    assert once["neighbours"] and once["item_stats"]

    width, once, twice = deliver_twice(rec_tasks.measure_search_width)
    assert once == twice, "measure_search_width"
    assert width["search_width"] in search_width.LADDER

    check_constraints_now()
    _, once, twice = deliver_twice(content_tasks.ensure_domain_indexes)
    assert once == twice, "ensure_domain_indexes"
    assert set(once["domain_indexes"]) == set(Domain.objects.values_list("pk", flat=True))

    services.item_update(item=edited, title="A brand new title")
    new = factories.ItemFactory(domain=edited.domain, title="Never embedded")
    delivered.clear()
    _, once, twice = deliver_twice(content_tasks.embedding_sweep)
    assert once == twice, "embedding_sweep"
    # The first sweep marks what it sent as queued; the second leaves those rows to their pending task.
    assert [(name, sorted(args[0])) for name, args in delivered] == [
        (content_tasks.embed_items.name, sorted([edited.pk, new.pk]))
    ]

    services.feedback_touched(user_ids=[site[3].pk, site[4].pk])
    stale = stale_interest_user_ids()
    assert {site[3].pk, site[4].pk} <= set(stale)
    delivered.clear()
    _, once, twice = deliver_twice(rec_tasks.interests_sweep)
    assert once == twice, "interests_sweep"
    assert sorted(delivered) == [(rec_tasks.refresh_user_interests.name, (user_id,)) for user_id in sorted(stale)]

    # Serving runs a blend that ranks by recency alone, so the first refit has a clear win to store (the priors may
    # already be as good as forty people can show) and the second delivery must not store it again.
    recency_only = {situation: dict.fromkeys(FEATURES, 0.0) | {"freshness": 1.0} for situation in SITUATIONS}
    RankerWeights.objects.create(version=1, weights=recency_only)
    outcome, once, twice = deliver_twice(rec_tasks.refit_ranker, 1)
    print(f"refit_ranker, first delivery: {outcome}")
    assert once == twice, "refit_ranker"
    assert [version for version, *_ in once["rankers"]] == [1, 2], "the first delivery should fit and store weights"
