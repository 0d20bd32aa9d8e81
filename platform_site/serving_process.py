"""Settings for a process that serves requests (a gunicorn worker), applied once it has loaded the site."""

import gc

from threadpoolctl import threadpool_limits


def tune() -> None:
    """One BLAS thread, and what startup loaded frozen out of the collector's reach.

    A request multiplies a few hundred vectors at a time: a second BLAS thread saves nothing there, and waking it
    while PostgreSQL or another request holds the other core can cost 8-10 ms (in one run at 100k items, the p95 of
    the features stage was 10.1 ms with two threads and 2.0 with one).

    A full collection otherwise walks every object loaded at startup (Django, the apps, numpy, the model) again, tens
    of milliseconds on whichever request triggers it; frozen, it walks only what requests created.
    """
    threadpool_limits(limits=1, user_api="blas")
    gc.collect()
    gc.freeze()
