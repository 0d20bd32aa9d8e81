"""Item pictures through the API: a file or a URL in, an absolute URL out."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from content import services
from content.models import Item
from tests import factories
from tests.api.utils import assert_error
from tests.factories import png_bytes

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str = "cover.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_staff_create_an_item_with_an_uploaded_picture_and_get_its_absolute_url(staff_api, domains):
    payload = {"domain": "books", "title": "Pictured", "image": upload(png_bytes())}

    response = staff_api.post(reverse("api_items"), payload, format="multipart")

    assert response.status_code == 201, response.json()
    url = response.json()["image"]
    assert url.startswith("http://testserver/media/items/") and url.endswith(".png")
    served = staff_api.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == png_bytes()
    assert "sandbox" in served["Content-Security-Policy"]


def test_staff_set_a_picture_from_a_url(staff_api, domains, image_server):
    item = factories.ItemFactory(domain=domains["books"])

    response = staff_api.patch(
        reverse("api_item", args=[item.pk]), {"image_url": image_server + "/cover.png"}, format="json"
    )

    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.image.read() == png_bytes()
    assert response.json()["image"] == "http://testserver" + item.image.url


def test_null_removes_the_picture(staff_api, domains):
    item = factories.ItemFactory(domain=domains["books"], image="items/old.png")

    response = staff_api.patch(reverse("api_item", args=[item.pk]), {"image": None}, format="json")

    assert response.status_code == 200
    assert response.json()["image"] is None
    assert not Item.objects.get(pk=item.pk).image


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"image": upload(b"<svg><script>alert(1)</script></svg>", "x.svg")}, "image"),
        ({"image_url": "ftp://example.com/x.png"}, "image_url"),
        ({"image": upload(png_bytes()), "image_url": "http://example.com/x.png"}, "image_url"),
    ],
    ids=["svg-upload", "not-http", "both"],
)
def test_a_bad_picture_is_a_400_naming_the_field(staff_api, domains, payload, field):
    item = factories.ItemFactory(domain=domains["books"])

    error = assert_error(
        staff_api.patch(reverse("api_item", args=[item.pk]), payload, format="multipart"), 400, "invalid"
    )

    assert field in error["fields"]
    assert not Item.objects.get(pk=item.pk).image


def test_items_without_a_picture_say_null_and_drawn_covers_are_absolute(api, domains):
    bare = factories.ItemFactory(domain=domains["books"])
    covered = factories.ItemFactory(domain=domains["books"])
    services.items_draw_covers(item_ids=[covered.pk])

    results = {row["id"]: row["image"] for row in api.get(reverse("api_items")).json()["results"]}

    assert results[bare.pk] is None
    assert results[covered.pk].startswith("http://testserver/media/covers/")


def test_a_large_picture_is_still_a_picture(staff_api, domains):
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), "navy").save(buffer, format="JPEG")

    response = staff_api.post(
        reverse("api_items"),
        {"domain": "books", "title": "Big", "image": upload(buffer.getvalue(), "b.jpg")},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["image"].endswith(".jpg")
