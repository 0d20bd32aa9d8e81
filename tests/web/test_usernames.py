"""Sign-up refuses names that only look like another: other alphabets' look-alikes, mixed alphabets, width forms."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from content.usernames import validate_username_unambiguous
from tests import factories

PASSWORD = "a-Long-pass-2024"


def sign_up(client, username):
    return client.post(reverse("signup"), {"username": username, "password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("\u0430dmin", "mixes Cyrillic and Latin"),  # Cyrillic "а" then Latin
        ("p\u0430yp\u0430l", "mixes Cyrillic and Latin"),
        ("\u0430\u0441\u0435", "look like Latin"),  # "асе", all Cyrillic, reads as "ace"
        ("\u039f\u03a1\u0395\u039d", "look like Latin"),  # Greek "ΟΡΕΝ" reads as "OPEN"
    ],
)
def test_look_alike_username_is_refused_with_a_clear_message(client, username, message):
    response = sign_up(client, username)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not get_user_model().objects.filter(username=username).exists()


@pytest.mark.django_db
def test_full_width_username_is_folded_and_then_clashes_with_the_plain_one(client):
    factories.UserFactory(username="admin")

    response = sign_up(client, "\uff41\uff44\uff4d\uff49\uff4e")  # "ａｄｍｉｎ"

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert get_user_model().objects.filter(username__iexact="admin").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["reader_42", "Zoë", "Дмитрий", "さくら123", "東京タワー", "μαρία"])
def test_names_in_one_alphabet_are_welcome(client, username):
    response = sign_up(client, username)

    assert response.status_code == 302, response.content.decode()
    assert get_user_model().objects.filter(username=username).exists()


def test_validator_names_both_alphabets():
    with pytest.raises(ValidationError) as refused:
        validate_username_unambiguous("r\u0435ader")

    assert refused.value.code == "mixed_scripts"
