"""Thin Celery tasks for the recommender, and the one way a rebuild of someone's interests is queued."""

from celery import shared_task
from django.utils import timezone

from content.enqueue import enqueue_on_commit, send
from recommendations.models import InterestProfile

RETRY = {"autoretry_for": (Exception,), "retry_backoff": 2, "retry_backoff_max": 120, "max_retries": 5}


@shared_task(**RETRY)
def refresh_user_interests(user_id: int) -> int:
    from recommendations.services.interests import interests_refresh

    profile = interests_refresh(user_id=user_id)
    return 0 if profile is None else profile.interests.count()


def interests_refresh_later(*, user_id: int, now: bool = False) -> None:
    """Queue a rebuild after commit (or now, from a sweep); once the broker has it, the sweep leaves this person
    alone for a while."""

    def queued():
        InterestProfile.objects.update_or_create(user_id=user_id, defaults={"refresh_queued_at": timezone.now()})

    (send if now else enqueue_on_commit)(refresh_user_interests, user_id, on_sent=queued)


@shared_task
def interests_sweep() -> dict:
    """Rebuild the interests of people whose feedback or bio changed since (a lost, failed or killed rebuild)."""
    from recommendations.services.interests import stale_interest_user_ids

    user_ids = stale_interest_user_ids()
    for user_id in user_ids:
        interests_refresh_later(user_id=user_id, now=True)
    return {"people": len(user_ids)}


@shared_task(**RETRY)
def refresh_item_statistics() -> dict:
    from recommendations.services.statistics import item_stats_refresh, neighbours_refresh_if_due
    from recommendations.sources.database import domain_centres_store

    return {"stats": item_stats_refresh(), "pairs": neighbours_refresh_if_due(), "domains": domain_centres_store()}


@shared_task
def measure_search_width() -> dict | None:
    """Measure the HNSW search width serving needs, when it is due (a day old, or the catalog changed size)."""
    from recommendations import search_width

    return search_width.measure_if_due()


# Fitting runs the ranking pipeline for hundreds of people per situation: it gets longer than the default limit.
@shared_task(soft_time_limit=1500, time_limit=1800)
def refit_ranker(min_users: int = 20) -> dict:
    """Refit the per-situation weights on recent behaviour once enough people have some; a fit that does not beat
    the serving weights on held-out people is reported and not stored."""
    from recommendations.services.training import ranker_refit

    try:
        result = ranker_refit(min_users=min_users)
    except ValueError as reason:
        return {"skipped": str(reason)}
    return {"version": result.get("version"), "based_on": result["based_on"]}
