"""Garbage collection for long-running serving processes."""

import gc


def freeze_loaded_objects() -> int:
    """Move everything loaded so far (Django, the apps, numpy, the model) out of the collector's reach.

    A full collection otherwise walks every one of those objects again, tens of milliseconds that land on whichever
    request happens to trigger it; after a freeze it walks only what requests created. Returns how many were frozen.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
