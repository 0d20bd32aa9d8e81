"""Thin Celery tasks for the recommender."""

from celery import shared_task

RETRY = {"autoretry_for": (Exception,), "retry_backoff": 2, "retry_backoff_max": 120, "max_retries": 5}


@shared_task(**RETRY)
def refresh_user_interests(user_id: int) -> int:
    from recommendations.services import interests_refresh

    profile = interests_refresh(user_id=user_id)
    return 0 if profile is None else profile.interests.count()


@shared_task
def interests_sweep() -> dict:
    """Rebuild the interests of people whose feedback or bio changed since (a lost, failed or killed rebuild)."""
    from recommendations.services import interests_refresh_later, stale_interest_user_ids

    user_ids = stale_interest_user_ids()
    for user_id in user_ids:
        interests_refresh_later(user_id=user_id, now=True)
    return {"people": len(user_ids)}


@shared_task(**RETRY)
def refresh_item_statistics() -> dict:
    from recommendations.services import item_stats_refresh, neighbours_refresh_if_due
    from recommendations.sources.database import domain_centres_store

    return {"stats": item_stats_refresh(), "pairs": neighbours_refresh_if_due(), "domains": domain_centres_store()}


@shared_task
def measure_search_width() -> dict | None:
    """Measure the HNSW search width serving needs, when it is due (a day old, or the catalog changed size)."""
    from recommendations.sources import ef_search

    return ef_search.measure_if_due()


# Fitting runs the ranking pipeline for hundreds of people per situation: it gets longer than the default limit.
@shared_task(soft_time_limit=1500, time_limit=1800)
def refit_ranker(min_users: int = 20) -> dict:
    """Refit the per-situation weights on recent behaviour once enough people have some; a fit that does not beat
    the serving weights on held-out people is reported and not stored."""
    from recommendations.services import ranker_fit

    try:
        result = ranker_fit(min_users=min_users)
    except ValueError as reason:
        return {"skipped": str(reason)}
    return {"version": result.get("version"), "based_on": result["based_on"]}
