"""Settings of the public listening site and its podcast feeds (`LOAXA_PUBLIC__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PublicSiteSettings(BaseModel):
    # The address villagers reach the site at, for the QR posters and the feeds' links (a podcast client
    # needs absolute URLs), e.g. "https://loa.tinh.gov.vn". Empty: the address the request came to.
    base_url: str = Field(default="", max_length=200, pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
    # Requests one address may make to the public pages, feeds and audio in a window. A listener's phone
    # makes a handful per page (the page, a few Range requests for the audio); 240 a minute leaves room for
    # a household or a school behind one 4G address while a scraper is slowed to four requests a second.
    rate_limit_requests: int = Field(default=240, ge=1, le=1_000_000)
    rate_limit_window_s: float = Field(default=60.0, gt=0)
    # Bulletins per page: ten excerpts with their players stay far under 60 KB on a weak 3G link.
    page_size: int = Field(default=10, ge=1, le=50)
    # Items in a podcast feed (the newest): podcast clients fetch the whole feed on every refresh.
    feed_items: int = Field(default=50, ge=1, le=500)
    # A search longer than this is refused with a message: nobody types more, and it bounds the query.
    max_query_chars: int = Field(default=100, ge=10, le=1000)
