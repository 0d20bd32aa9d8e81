"""Serving item pictures from MEDIA_ROOT.

Every stored name is new for new content (uploads are named by their hash, covers by their item and text), so a
browser may keep a picture for a long time. The headers make a picture inert if opened on its own: no script, no
other resources, no guessing of its type.
"""

from django.conf import settings
from django.views.decorators.http import require_safe
from django.views.static import serve

CACHE_SECONDS = 7 * 24 * 3600


@require_safe
def media(request, path: str):
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
