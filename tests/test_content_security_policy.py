"""Every response carries the Content-Security-Policy; only the third-party API documentation pages relax it."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["home", "login", "signup", "admin:login", "api_domains"])
def test_pages_and_api_answers_carry_the_strict_policy(client, url_name):
    policy = client.get(reverse(url_name))["Content-Security-Policy"]

    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("url_name", ["api_docs", "api_redoc"])
def test_api_documentation_bundles_get_their_own_policy(client, url_name):
    policy = client.get(reverse(url_name))["Content-Security-Policy"]

    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "frame-ancestors 'none'" in policy


def test_no_template_of_the_site_has_inline_scripts_or_styles():
    offending = []
    for template in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        html = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", html):
            offending.append(str(template))

    assert not offending
