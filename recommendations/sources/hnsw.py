"""How wide serving's HNSW queries search (pgvector's `hnsw.ef_search`): the search width.

A fixed HNSW_SEARCH_WIDTH, or else the width the periodic measurement (recommendations.search_width) stored in the
shared cache. Every process reads the measurement from there, at most once per READ_EVERY_SECONDS.
"""

import time

from django.conf import settings
from django.core.cache import cache

# Until the first measurement (a new site, a cleared cache).
UNMEASURED = 200
CACHE_KEY = "recommendations:search-width"
# Each process reads the shared measurement again this often. Not keyed by the catalog's version: a measurement
# changes no item, so on a quiet catalog it would never reach the processes already running.
READ_EVERY_SECONDS = 60.0
# (when read, the measurement): assigned whole, so concurrent readers see one or the other.
_read: tuple[float, dict] | None = None


def _measured() -> dict:
    global _read
    if _read is None or time.monotonic() - _read[0] >= READ_EVERY_SECONDS:
        _read = (time.monotonic(), cache.get(CACHE_KEY) or {})
    return _read[1]


def search_width() -> int:
    """The search width serving uses: HNSW_SEARCH_WIDTH if set, else the last measurement."""
    if settings.HNSW_SEARCH_WIDTH:
        return settings.HNSW_SEARCH_WIDTH
    return _measured().get("search_width", UNMEASURED)


def searches_per_domain() -> bool:
    """Whether a search leaving domains out goes to each remaining domain's own index (where they exist) rather
    than walking the catalog-wide one: as measured faster on this catalog; until measured, yes (its cost does not
    grow with the catalog)."""
    return _measured().get("cross_domain", {}).get("per_domain", True)


def forget() -> None:
    """Read the shared measurement again on the next query (tests, and this process after it measured)."""
    global _read
    _read = None


def _settings_sql(width: int, *, local: bool) -> str:
    scope = "LOCAL " if local else ""
    return f"SET {scope}hnsw.iterative_scan = relaxed_order; SET {scope}hnsw.ef_search = {int(width)}"


def search_with(cursor, width: int) -> None:
    """Set this transaction's HNSW search: `width` candidates, and iterative scans, without which a filtered query
    (one domain, active items) silently returns too few rows."""
    cursor.execute(_settings_sql(width, local=True))


def serve_with(cursor, width: int) -> None:
    """What search_with sets, for serving's searches outside a transaction: as settings of the connection, sent only
    when they change (a transaction and two statements per search cost as much as the search itself at 100k
    items). Inside a transaction they stay local to it, since a rollback would undo a setting the connection
    believes it has."""
    raw = cursor.connection
    if not raw.autocommit:
        search_with(cursor, width)
        return
    if getattr(raw, "_platform_hnsw_width", None) != int(width):
        cursor.execute(_settings_sql(width, local=False))
        raw._platform_hnsw_width = int(width)
