import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from content import demo

pytestmark = pytest.mark.django_db

SHOWN_ONCE = re.compile(r"Admin login: admin / (\S+) \(shown once\)")


@pytest.fixture
def no_demo_content(monkeypatch):
    monkeypatch.setattr(demo, "demo_load", lambda: {"items": 0, "rejected": 0, "users": 0})


def load_demo(**options) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def test_first_run_creates_the_admin_with_a_generated_password_shown_once(no_demo_content):
    output = load_demo()

    password = SHOWN_ONCE.search(output).group(1)
    assert len(password) >= 20
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert password not in admin.password
    assert admin.check_password(password)
    assert not admin.check_password("admin-demo-password")


def test_running_again_keeps_the_password_and_does_not_show_it(no_demo_content):
    password = SHOWN_ONCE.search(load_demo()).group(1)
    stored = get_user_model().objects.get(username="admin").password

    output = load_demo()

    assert password not in output
    assert "(shown once)" not in output
    assert "manage.py changepassword admin" in output
    assert get_user_model().objects.get(username="admin").password == stored


def test_every_install_gets_its_own_admin_password(no_demo_content):
    first = SHOWN_ONCE.search(load_demo()).group(1)
    get_user_model().objects.filter(username="admin").delete()

    assert SHOWN_ONCE.search(load_demo()).group(1) != first


def test_a_demo_reader_cannot_be_made_the_admin(no_demo_content):
    with pytest.raises(CommandError, match="demo reader"):
        load_demo(admin_username="maya")

    assert not get_user_model().objects.filter(is_staff=True).exists()


@pytest.mark.slow
def test_no_demo_reader_with_the_public_password_is_staff():
    demo.demo_load()
    demo.admin_ensure(username="admin")

    readers = [user for user in get_user_model().objects.all() if user.check_password(demo.DEMO_PASSWORD)]

    assert len(readers) >= 20
    assert not [user.username for user in readers if user.is_staff or user.is_superuser]
