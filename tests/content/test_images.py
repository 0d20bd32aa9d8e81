import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from content import images, importers
from content.models import Item
from tests.factories import png_bytes


def test_a_real_png_is_accepted_and_named_by_its_content():
    data = png_bytes()

    cleaned = images.image_clean(ContentFile(data, name="../../etc/holiday.PNG"))

    assert cleaned.name.endswith(".png") and "/" not in cleaned.name
    assert cleaned.read() == data


@pytest.mark.parametrize(
    "data",
    [b"just text", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", png_bytes()[:40]],
    ids=["text", "svg", "truncated-png"],
)
def test_what_is_not_a_raster_picture_is_refused_with_a_reason(data):
    with pytest.raises(ValidationError, match="PNG, JPEG, GIF or WebP"):
        images.image_clean(ContentFile(data, name="cover.png"))


def test_an_oversized_file_is_refused(monkeypatch):
    monkeypatch.setattr(images, "IMAGE_MAX_BYTES", 100)

    with pytest.raises(ValidationError, match="larger than"):
        images.image_clean(ContentFile(png_bytes(size=(400, 400), colour="blue") + b"\0" * 200))


def test_only_http_urls_are_fetched():
    with pytest.raises(ValidationError, match="http"):
        images.image_fetch("file:///etc/passwd")


def test_a_url_that_does_not_answer_with_a_picture_is_refused(image_server):
    with pytest.raises(ValidationError, match="could not be downloaded"):
        images.image_fetch(image_server + "/missing.png")
    with pytest.raises(ValidationError, match="not one"):
        images.image_fetch(image_server + "/page.html")


@pytest.mark.django_db
def test_import_takes_a_picture_from_a_url_or_a_path_and_reports_a_bad_one(domains, image_server, tmp_path):
    (tmp_path / "art").mkdir()
    (tmp_path / "art" / "local.png").write_bytes(png_bytes(colour="green"))
    rows = [
        (2, {"external_id": "u", "domain": "books", "title": "From a URL", "image": image_server + "/cover.png"}),
        (3, {"external_id": "p", "domain": "books", "title": "From a path", "image": "art/local.png"}),
        (4, {"external_id": "x", "domain": "books", "title": "Broken", "image": image_server + "/page.html"}),
        (5, {"external_id": "n", "domain": "books", "title": "No picture"}),
    ]

    report, _ = importers.import_items(rows, base_dir=tmp_path)

    assert report.created == 3
    assert report.rejected == [(4, "image: Upload a PNG, JPEG, GIF or WebP image; this file is not one.")]
    assert Item.objects.get(external_id="u").image.read() == png_bytes()
    assert Item.objects.get(external_id="p").image.name.endswith(".png")
    assert not Item.objects.get(external_id="n").image
    # A later import without the column keeps the picture.
    importers.import_items([(2, {"external_id": "u", "domain": "books", "title": "Renamed"})])
    assert Item.objects.get(external_id="u").image.read() == png_bytes()
