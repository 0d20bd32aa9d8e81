"""Cover art the site draws itself: an SVG made only from an item's domain, title and tags.

The same item always gets the same picture (colours come from a hash of its text), so covers need no download, no
image library and no randomness, and a demo load anywhere produces the same files.
"""

import hashlib
import re
import textwrap
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 480, 320
TITLE_CHARS_PER_LINE = 22
TITLE_MAX_LINES = 3
MAX_TAGS_SHOWN = 3
# 24x24 line drawings, one per demo domain; any other domain gets the article page.
GLYPHS = {
    "books": "M3 5h6a3 3 0 0 1 3 3v12a2 2 0 0 0-2-2H3z M21 5h-6a3 3 0 0 0-3 3v12a2 2 0 0 1 2-2h7z",
    "movies": "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M10 8l6 4l-6 4z",
    "music": "M9 18a3 3 0 1 1-2-2.8V5l12-2v11a3 3 0 1 1-2-2.8V6.3L9 7.7z",
    "podcasts": "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z M6 11a6 6 0 0 0 12 0 M12 17v4 M9 21h6",
    "courses": "M2 9l10-5l10 5l-10 5z M6 11v5c3 2 9 2 12 0v-5",
    "articles": "M5 3h14v18H5z M8 7h8 M8 11h8 M8 15h5",
}
# Characters XML 1.0 cannot hold at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_NOT_XML.sub("", value), {'"': "&quot;", "'": "&#39;"})


def _palette(seed: bytes) -> tuple[str, str, str]:
    """Two dark background colours (white text stays readable on both) and a light accent, from the hash."""
    hue = seed[0] * 360 // 256
    second = (hue + 30 + seed[1] % 60) % 360
    return (
        f"hsl({hue} 55% {22 + seed[2] % 10}%)",
        f"hsl({second} 60% {30 + seed[3] % 10}%)",
        f"hsl({(hue + 180) % 360} 80% 75%)",
    )


def cover_svg(*, domain: str, title: str, tags: list[str]) -> str:
    seed = hashlib.sha256("\n".join([domain, title, *tags]).encode()).digest()
    start, end, accent = _palette(seed)
    lines = textwrap.wrap(title.strip(), TITLE_CHARS_PER_LINE, max_lines=TITLE_MAX_LINES, placeholder=" …") or [""]
    title_top = HEIGHT - 64 - 38 * (len(lines) - 1)
    title_lines = "".join(
        f'<text x="32" y="{title_top + 38 * index}" font-size="32" font-weight="700">{_text(line)}</text>'
        for index, line in enumerate(lines)
    )
    shown_tags = " · ".join(f"#{tag}" for tag in tags[:MAX_TAGS_SHOWN])
    circles = "".join(
        f'<circle cx="{seed[4 + i] * WIDTH // 255}" cy="{seed[8 + i] * HEIGHT // 255}" r="{40 + seed[12 + i] % 90}" '
        f'fill="{accent}" fill-opacity="0.{12 + seed[16 + i] % 10}"/>'
        for i in range(3)
    )
    glyph = GLYPHS.get(domain, GLYPHS["articles"])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">'
        f'<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">'
        f'<stop offset="0" stop-color="{start}"/><stop offset="1" stop-color="{end}"/></linearGradient></defs>'
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>{circles}'
        f'<g transform="translate(32 28) scale(1.75)" fill="none" stroke="#fff" stroke-width="1.6" '
        f'stroke-linecap="round" stroke-linejoin="round"><path d="{glyph}"/></g>'
        f'<g fill="#fff" font-family="system-ui, \'DejaVu Sans\', sans-serif">{title_lines}'
        f'<text x="32" y="{HEIGHT - 26}" font-size="16" fill-opacity="0.85">{_text(shown_tags)}</text></g>'
        "</svg>"
    )
