"""Content-Security-Policy: pages run only this site's own scripts and styles, so injected markup cannot run.

Every page of the site, the admin included, loads its scripts and styles from static files; none has an inline
script, style element or style attribute. Item pictures may come from other sites, so images may be any https URL.
"""

from functools import wraps

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API documentation pages (Swagger UI, ReDoc) are third-party bundles that start from an inline script and add
# their own style elements; they show no user content.
THIRD_PARTY_DOCS_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault(HEADER, POLICY)
        return response


def csp_for_third_party_docs(view):
    """For a view that serves one of the documentation bundles."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers[HEADER] = THIRD_PARTY_DOCS_POLICY
        return response

    return wrapped
