"""Security: the secret key, hosts, HTTPS, logins and rate limits.

Outside "local", with DJANGO_DEBUG off, the site refuses to start without its own DJANGO_SECRET_KEY, and session and
CSRF cookies are Secure unless told otherwise. HSTS, the HTTPS redirect and the proxy's HTTPS header depend on how TLS
is set up in front of the site, so they are only ever switched on by their own variables (`manage.py check --deploy`
names any that are missing).
"""

from django.core.exceptions import ImproperlyConfigured

from platform_site.settings.base import DEBUG, LOCAL, env

LOCAL_SECRET_KEY = "insecure-local-development-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", default="") or LOCAL_SECRET_KEY
if SECRET_KEY == LOCAL_SECRET_KEY and not (DEBUG or LOCAL):
    # Anyone who knows the key can forge sessions, password reset links and API tokens.
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is missing (or the built-in local key) in production; set it to a long random value."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS ----------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not LOCAL)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not LOCAL)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# Health probes come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^-/"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
# "<header>,<value>" set by the TLS-terminating proxy, e.g. HTTP_X_FORWARDED_PROTO,https; only trust a header the
# proxy always overwrites, or a client can claim HTTPS.
_proxy_ssl_header = env.list("DJANGO_SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_ssl_header and len(_proxy_ssl_header) != 2:
    raise ImproperlyConfigured(
        "DJANGO_SECURE_PROXY_SSL_HEADER must be '<header>,<value>', e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) or None

# --- Auth -----------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Login rate limit: lock an account/IP pair out for a while after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Logins and every rate limit key on the address behind TRUSTED_PROXY_COUNT proxies.
AXES_CLIENT_IP_CALLABLE = "platform_site.ratelimit.client_ip"
AXES_LOCKOUT_TEMPLATE = "429.html"

# Rate limits on what runs the embedding model on demand or sends mail, shared by the website and the API:
# "<count>/<second|minute|hour|day>"; an empty value turns one off.
RATE_LIMITS = {
    "query": env("RATE_LIMIT_QUERY", default="30/minute") or None,  # free-text feed queries, per user or address
    "signup": env("RATE_LIMIT_SIGNUP", default="10/hour") or None,  # accounts created, per address
    "bio": env("RATE_LIMIT_BIO", default="20/hour") or None,  # bio changes, per user
    "password_reset": env("RATE_LIMIT_PASSWORD_RESET", default="5/hour") or None,  # reset emails asked, per address
}
RATELIMIT_IP_META_KEY = "platform_site.ratelimit.client_ip"
