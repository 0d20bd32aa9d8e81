"""The one settings module under production-like environments, each in a fresh process as a deploy would start it."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

# Nothing reachable: `check` never connects, and a production deploy names its database.
PRODUCTION = {
    "DATABASE_URL": "postgres://platform:unused@127.0.0.1:1/platform",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "DJANGO_DEBUG": "off",
    "DJANGO_ALLOWED_HOSTS": "platform.example.com",
}
HTTPS = {
    "DJANGO_SECURE_SSL_REDIRECT": "on",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "on",
    "DJANGO_SECURE_HSTS_PRELOAD": "on",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "TRUSTED_PROXY_COUNT": "1",
}


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "SECURE_", "EMBEDDED_", "CELERY_", "CACHE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "platform_site.settings", **environment},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_deploy_check_passes_without_a_warning_in_production():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        **HTTPS,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_names_each_https_setting_left_out():
    result = manage("check", "--deploy", **PRODUCTION, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    reported = result.stdout + result.stderr
    for warning in ("security.W004", "security.W008"):
        assert warning in reported
    # Outside local, cookies are Secure without being asked.
    for warning in ("security.W012", "security.W016"):
        assert warning not in reported


def test_deploy_check_warns_behind_a_proxy_header_with_no_trusted_proxy():
    environment = {**PRODUCTION, **HTTPS, "TRUSTED_PROXY_COUNT": "0", "DJANGO_ENV": "production"}

    result = manage("check", "--deploy", **environment, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    reported = result.stdout + result.stderr
    assert "platform_site.W001" in reported
    assert "TRUSTED_PROXY_COUNT" in reported


def test_deploy_check_says_nothing_of_proxies_without_a_proxy_header():
    result = manage(
        "check", "--deploy", **PRODUCTION, TRUSTED_PROXY_COUNT="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50)
    )

    assert "platform_site.W001" not in result.stdout + result.stderr


@pytest.mark.parametrize("secret_key", [None, "", "insecure-local-development-key-change-me"])
def test_production_refuses_to_start_without_its_own_secret_key(secret_key):
    environment = {**PRODUCTION, **HTTPS}
    if secret_key is not None:
        environment["DJANGO_SECRET_KEY"] = secret_key

    result = manage("check", **environment)

    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: DJANGO_SECRET_KEY is missing")


def test_an_explicit_local_run_may_use_the_built_in_key():
    result = manage("check", **PRODUCTION, DJANGO_ENV="local")

    assert result.returncode == 0, result.stderr


def test_an_unknown_environment_name_is_refused():
    result = manage("check", **PRODUCTION, DJANGO_ENV="prod", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "DJANGO_ENV must be 'local' or 'production'" in result.stderr
