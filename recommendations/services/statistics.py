"""Item statistics and neighbour lists, computed from the interactions, and the neighbour sums stored with people's
interests (neighbour_sums)."""

from datetime import timedelta

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from content.models import Interaction, Item
from recommendations import collaborative, neighbour_sums, signals
from recommendations.models import CoEngagement, InterestProfile

_WEIGHT_SQL, _WEIGHT_PARAMS = signals.sql_weight()
# The same numbers as collaborative.item_statistics, computed where the interactions are.
STATS_SQL = f"""
WITH latest AS (SELECT coalesce(max(created_at), now()) AS at FROM content_interaction),
weighted AS (SELECT item_id, created_at, greatest({_WEIGHT_SQL}, 0.0) AS weight FROM content_interaction),
totals AS (
    SELECT item_id,
        count(*) AS engagement,
        sum(weight * power(0.5, extract(epoch FROM (latest.at - created_at)) / 86400.0 / %(half_life)s)) AS popularity,
        coalesce(sum(weight) FILTER (
            WHERE extract(epoch FROM (latest.at - created_at)) / 86400.0 < %(window)s), 0) AS trending
    FROM weighted, latest GROUP BY item_id
),
scaled AS (
    SELECT item_id, engagement,
        coalesce(ln(1 + popularity) / nullif(ln(1 + max(popularity) OVER ()), 0), 0) AS popularity,
        coalesce(ln(1 + trending) / nullif(ln(1 + max(trending) OVER ()), 0), 0) AS trending
    FROM totals
)
INSERT INTO recommendations_itemstats (item_id, engagement, popularity, trending, updated_at)
SELECT item.id, coalesce(t.engagement, 0), coalesce(t.popularity, 0), coalesce(t.trending, 0), now()
FROM content_item item LEFT JOIN scaled t ON t.item_id = item.id
ON CONFLICT (item_id) DO UPDATE SET
    engagement = excluded.engagement, popularity = excluded.popularity,
    trending = excluded.trending, updated_at = excluded.updated_at
WHERE (recommendations_itemstats.engagement, recommendations_itemstats.popularity, recommendations_itemstats.trending)
    IS DISTINCT FROM (excluded.engagement, excluded.popularity, excluded.trending)
"""


def item_stats_refresh() -> int:
    """Engagement, popularity and trending per item (the definitions of collaborative.item_statistics)."""
    params = _WEIGHT_PARAMS | {
        "half_life": signals.POPULARITY_HALF_LIFE_DAYS,
        "window": signals.TRENDING_WINDOW_DAYS,
    }
    with connection.cursor() as cursor:
        cursor.execute(STATS_SQL, params)
        return cursor.rowcount


# One interaction as binary COPY sends it: a field count, then (length, value) per field, all big-endian.
_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("user_length", ">i4"), ("user", ">i8"),
        ("item_length", ">i4"), ("item", ">i8"),
        ("kind_length", ">i4"), ("kind", ">i2"),
        ("value_length", ">i4"), ("value", ">f8"),
        ("at_length", ">i4"), ("at", ">f8"),
    ]
)  # fmt: skip
_COPY_HEADER = 19  # signature (11), flags (4), header extension length (4)
_KINDS = np.array([kind for kind, _ in Interaction.Kind.choices], dtype=object)
_KIND_CODE = "CASE kind " + " ".join(f"WHEN '{kind}' THEN {code}" for code, kind in enumerate(_KINDS)) + " END"


def interaction_arrays(*, user_ids: list[int] | None = None) -> tuple[np.ndarray, ...]:
    """Interactions (everyone's, or these people's), oldest first, as arrays: users, items, kinds, values (NaN:
    none), unix seconds.

    Read by binary COPY into fixed-width records: 56 bytes a row and no Python object per row, so 20 million
    interactions load in seconds in about 1 GB, where model instances or tuples took minutes and many GB."""
    where = "" if user_ids is None else "WHERE user_id = ANY(%s)"
    sql = (
        f"COPY (SELECT user_id::int8, item_id::int8, ({_KIND_CODE})::int2, coalesce(value, 'NaN')::float8, "
        f"extract(epoch FROM created_at)::float8 FROM content_interaction {where} ORDER BY id) "
        "TO STDOUT (FORMAT BINARY)"
    )
    connection.ensure_connection()
    buffer = bytearray()
    params = None if user_ids is None else [list(user_ids)]
    with connection.connection.cursor() as cursor, cursor.copy(sql, params) as copy:
        for block in copy:
            buffer += block
    body = memoryview(buffer)[_COPY_HEADER : len(buffer) - 2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=_ROW)
    return (
        rows["user"].astype(np.int64),
        rows["item"].astype(np.int64),
        _KINDS[rows["kind"]],
        rows["value"].astype(np.float64),
        rows["at"].astype(np.float64),
    )


NEIGHBOURS_BUILT_KEY = "recommendations:neighbours-built"


def neighbours_refresh_if_due() -> int | None:
    """Rebuild the neighbour lists unless a rebuild started within NEIGHBOURS_REFRESH_SECONDS (anywhere: the mark
    is in the shared cache, so two workers never rebuild at once). None when not due."""
    if not cache.add(NEIGHBOURS_BUILT_KEY, timezone.now().isoformat(), timeout=settings.NEIGHBOURS_REFRESH_SECONDS):
        return None
    try:
        return neighbours_refresh()
    except Exception:
        cache.delete(NEIGHBOURS_BUILT_KEY)  # the next pass tries again
        raise


def neighbours_refresh() -> int:
    """Recompute every neighbour list (co-engagement, cross-domain, EASE or factors) from the interactions."""
    users, items, kinds, values, _ = interaction_arrays()
    engaged = np.unique(items)
    if len(engaged) == 0:
        CoEngagement.objects.all().delete()
        return 0
    column = np.searchsorted(engaged, items)
    person = np.unique(users, return_inverse=True)[1]
    matrix = collaborative.positive_matrix(
        users=person, items=column, weights=signals.weights(kinds, values), shape=(person.max() + 1, len(engaged))
    )
    domain_of = dict(Item.objects.filter(pk__in=engaged.tolist()).values_list("id", "domain__slug"))
    domains = np.array([domain_of.get(int(item), "") for item in engaged], dtype=object)
    lists = collaborative.neighbour_lists(matrix, domains)
    count = 0
    with transaction.atomic():
        CoEngagement.objects.all().delete()
        connection.ensure_connection()
        with (
            connection.connection.cursor() as cursor,
            cursor.copy("COPY recommendations_coengagement (kind, item_id, neighbor_id, score) FROM STDIN") as copy,
        ):
            for kind, pairs in lists.items():
                pairs = pairs.tocoo()
                for row, col, score in zip(engaged[pairs.row], engaged[pairs.col], pairs.data, strict=True):
                    copy.write_row((kind, int(row), int(col), float(score)))
                count += pairs.nnz
    neighbour_sums_refresh()
    return count


def neighbour_sums_refresh(batch: int = 500) -> int:
    """Re-sum the stored histories of people active lately over the rebuilt lists (their interests stay as they
    are). Everyone else's feeds sum live, as correct and slower, until their interests are next rebuilt: re-summing
    costs 3-5 ms a person, too much to repeat hourly for every person a large site ever had."""
    build = neighbour_sums.current_build()
    since = timezone.now() - timedelta(days=settings.NEIGHBOUR_SUMS_ACTIVE_DAYS)
    profiles = InterestProfile.objects.filter(positive_count__gt=0, computed_at__gte=since)
    profiles = profiles.only("id", "positive_items").order_by("id")
    done = 0
    for start in range(0, profiles.count(), batch):
        chunk = list(profiles[start : start + batch])
        for profile in chunk:
            anchors = {int(item): weight for item, weight in profile.positive_items.items()}
            profile.neighbour_sums = neighbour_sums.compute(anchors, build=build)
        # bulk_update leaves computed_at alone: the person's cached feeds stay until their own inputs change.
        InterestProfile.objects.bulk_update(chunk, ["neighbour_sums"])
        done += len(chunk)
    return done
