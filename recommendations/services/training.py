"""Training on the site's own behaviour: its dataset, the refit, and the rule for adopting a refit."""

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max

from content.embedding import to_array
from content.models import Item, Profile
from recommendations import fitting
from recommendations.dataset import Dataset, build
from recommendations.models import Interest, RankerWeights
from recommendations.selectors import RANKER_CACHE_KEY, active_ranker
from recommendations.services.statistics import interaction_arrays


def refit_sample(*, max_people: int, seed: int = 0) -> list[int] | None:
    """The people a refit learns from: everyone with feedback while they number at most `max_people`, else a seeded
    random sample of that many. A refit's cost then stays bounded as the site grows (its checks compare rankers
    on held-out people, and a few tens of thousands of people decide them as well as millions); the same people
    are drawn again while the population is unchanged."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT user_id FROM content_interaction ORDER BY user_id")
        people = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    if len(people) <= max_people:
        return None
    return sorted(np.random.default_rng(seed).choice(people, size=max_people, replace=False).tolist())


def platform_dataset(*, people: list[int] | None = None) -> Dataset:
    """This site's catalog, interactions and bios as a Dataset, with the stored vectors and bio phrases; only these
    people's interactions and bios when `people` is given."""
    items = list(
        Item.objects.filter(embedding__isnull=False)
        .order_by("pk")
        .values_list("pk", "domain__slug", "title", "is_active", "published_at", "created_at", "embedding")
    )
    item_rows = [
        {
            "id": pk,
            "domain": domain,
            "title": title,
            "active": active,
            "published": (published or created).timestamp(),
        }
        for pk, domain, title, active, published, created, _ in items
    ]
    known = {pk for pk, *_ in items}
    users, item_ids, kinds, values, stamps = interaction_arrays(user_ids=people)
    keep = np.isin(item_ids, list(known))
    with_bios = Profile.objects.exclude(bio="").filter(embedding__isnull=False)
    bio_interests = Interest.objects.filter(source=Interest.Source.BIO).order_by("id")
    if people is not None:
        with_bios = with_bios.filter(user_id__in=people)
        bio_interests = bio_interests.filter(profile__user_id__in=people)
    profiles = {
        user_id: (bio, embedding) for user_id, bio, embedding in with_bios.values_list("user_id", "bio", "embedding")
    }
    dataset = build(
        name="platform",
        item_rows=item_rows,
        interaction_rows=list(
            zip(
                users[keep],
                item_ids[keep],
                kinds[keep],
                [None if np.isnan(v) else v for v in values[keep]],
                stamps[keep],
                strict=True,
            )
        ),
        bios={user: bio for user, (bio, _) in profiles.items()},
    )
    dataset.vectors = (
        np.stack([to_array(embedding) for *_, embedding in items]) if items else np.zeros((0, 0), dtype=np.float32)
    )
    position = {key: index for index, key in enumerate(dataset.user_keys)}
    stored_phrases: dict[int, list] = {}
    for user_id, label, vector in bio_interests.values_list("profile__user_id", "label", "vector"):
        stored_phrases.setdefault(user_id, []).append((label, to_array(vector)))
    for user_id, (_, embedding) in profiles.items():
        dataset.bio_vectors[position[str(user_id)]] = to_array(embedding)
        dataset.bio_phrases[position[str(user_id)]] = stored_phrases.get(user_id, [])
    return dataset


def _people_with_feedback() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT user_id) FROM content_interaction")
        return cursor.fetchone()[0]


def _trained_on(version: int):
    return RankerWeights.objects.filter(version=version).values_list("trained_on", flat=True).first()


def refit_adopted(result: fitting.FitResult) -> bool:
    """The adoption rule: a refit replaces the serving weights when, for at least one situation, its fitted weights
    ranked the people held out from the fit clearly better than the serving ones (fitting.fit judges each situation
    on the same people, and keeps the serving weights of the others)."""
    return any(check["adopted"] for situation, check in result.report.items() if not situation.startswith("_"))


def ranker_adopt(*, result: fitting.FitResult, trained_on: dict) -> int:
    """Store a refit as the next version, which serves from now on; returns its version."""
    version = (RankerWeights.objects.aggregate(latest=Max("version"))["latest"] or 0) + 1
    RankerWeights.objects.create(
        version=version,
        weights=result.ranker.weights,
        scales=result.ranker.scales,
        metrics=result.report,
        trained_on=trained_on,
    )
    cache.delete(RANKER_CACHE_KEY)
    return version


def ranker_refit(*, min_users: int = 5, adopt: bool = True, seed: int = 0) -> dict:
    """Fit per-situation weights on the site's own behaviour, and adopt them where the adoption rule says so
    (`adopt=False`: report only). Raises ValueError when there is nothing to fit on or nothing new to learn."""
    people = refit_sample(max_people=settings.REFIT_MAX_PEOPLE, seed=seed)
    dataset = platform_dataset(people=people)
    if dataset.n_items == 0 or len(dataset.users) == 0:
        raise ValueError("No embedded items or interactions to fit on yet.")
    current = active_ranker()
    trained_on = {
        "users": dataset.n_users,
        "interactions": int(len(dataset.users)),
        "items": dataset.n_items,
        "latest": float(dataset.timestamps.max()),
    }
    if people is not None:
        trained_on["sampled_from"] = _people_with_feedback()
    if adopt and current.version is not None and trained_on == _trained_on(current.version):
        # A search started from its own result can always find another small step: nothing new was learned.
        raise ValueError(f"The serving weights (v{current.version}) were fitted on this same data.")
    result = fitting.fit_on(dataset, current, seed=seed)
    users = sum(result.report["_tasks"].values())
    if users < min_users:
        raise ValueError(f"Only {users} users have held-out activity; need at least {min_users}.")
    outcome = {
        "weights": result.ranker.weights,
        "scales": result.ranker.scales,
        "metrics": result.report,
        "trained_on": trained_on,
        "based_on": current.version,
    }
    if adopt and refit_adopted(result):
        outcome["version"] = ranker_adopt(result=result, trained_on=trained_on)
    return outcome
