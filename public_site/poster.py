"""The printable poster hung under a commune's horns: a QR code that opens "listen again".

The code is made with segno (pure Python, no image library, SVG output that prints sharp at any size).
Error correction level Q (25 %): a poster outdoors gets dirty, torn and sun-bleached at the edges.
"""

from __future__ import annotations

import segno


def qr_svg_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (an <img> the page's policy allows, with its alt text)."""
    code = segno.make(url, error="q", micro=False)
    return str(code.svg_data_uri(scale=8, border=4, dark="#000", light="#fff"))
