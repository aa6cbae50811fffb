"""Process tuning for the web server, applied once the app is loaded."""

import gc


def tune_garbage_collector() -> None:
    """Keep the cyclic garbage collector out of requests' way.

    Everything loaded at start-up (Django, the URL and template caches, translations) is
    long-lived: freezing it spares every later collection from walking it again. A request
    allocates thousands of short-lived objects, so the youngest generation gets a larger
    threshold: fewer collections, none of them long. (Instagram's and others' approach.)
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
