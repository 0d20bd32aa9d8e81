"""Item pictures: what an upload, a URL or a file path must be before it is stored.

Only raster formats that Pillow can decode are accepted from outside. SVG can carry script, so the only SVGs the site
stores are the covers it draws itself (content.covers).
"""

import hashlib
import io
import urllib.request
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

# Pillow's format name -> the extension the stored file gets.
FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
IMAGE_MAX_BYTES = 5 * 1024 * 1024
# A small file can still decode to a huge bitmap ("decompression bomb").
IMAGE_MAX_PIXELS = 40_000_000
FETCH_TIMEOUT_SECONDS = 10


def image_clean(file) -> ContentFile:
    """The file as a stored-to-be image named by its content, or a ValidationError saying what is wrong with it."""
    if file.size is not None and file.size > IMAGE_MAX_BYTES:
        raise ValidationError(f"The image is larger than {IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
    file.seek(0)
    data = file.read(IMAGE_MAX_BYTES + 1)
    if len(data) > IMAGE_MAX_BYTES:
        raise ValidationError(f"The image is larger than {IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
    return ContentFile(data, name=_name_for(data))


def _name_for(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > IMAGE_MAX_PIXELS:
                raise ValidationError("The image has too many pixels.")
            picture.verify()
            kind = picture.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError("Upload a PNG, JPEG, GIF or WebP image; this file is not one.") from None
    if kind not in FORMATS:
        raise ValidationError(f"{kind} images are not accepted; upload a PNG, JPEG, GIF or WebP image.")
    return f"{hashlib.sha256(data).hexdigest()[:24]}.{FORMATS[kind]}"


def image_fetch(url: str) -> ContentFile:
    """Download an image from an http(s) URL, at most IMAGE_MAX_BYTES, and check it."""
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise ValidationError("An image URL must start with http:// or https://.")
    request = urllib.request.Request(url, headers={"User-Agent": "platform-image-fetch/1"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked)
            data = response.read(IMAGE_MAX_BYTES + 1)
    except (URLError, OSError, ValueError) as error:
        raise ValidationError(f"The image could not be downloaded ({_reason(error)}).") from None
    return image_clean(ContentFile(data))


def _reason(error: Exception) -> str:
    return str(getattr(error, "reason", None) or getattr(error, "code", None) or error)


def image_from_reference(reference: str, *, base_dir: Path | None = None) -> ContentFile:
    """An import column's image: an http(s) URL, or a file path (relative ones from base_dir)."""
    reference = reference.strip()
    if "://" in reference:
        return image_fetch(reference)
    path = Path(reference).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        with path.open("rb") as fh:
            data = fh.read(IMAGE_MAX_BYTES + 1)
    except OSError as error:
        raise ValidationError(f"The image file {reference} could not be read ({error.strerror}).") from None
    return image_clean(ContentFile(data))
