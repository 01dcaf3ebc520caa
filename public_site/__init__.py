"""The public listening site ("Nghe lại") and its podcast feeds: what villagers may hear again.

Only approved bulletins marked "công khai" that aired or are scheduled to air in a place are shown
(`catalogue`), each with its versions in other languages that air with it; the feeds are RSS 2.0 with
the iTunes tags, one episode per version (`feed`); a commune's poster carries a QR code (`poster`);
audiobook series show their public chapters in order (`audiobook`); reads are rate limited
per address (`visitor_rate`). The pages themselves are wired in
`controller.web.listen_again`. Sits between controller and schedules: it reads bulletins, schedules and
places, never writes them.
"""

from public_site.audiobook import PublicSeries, find_series, series_in
from public_site.catalogue import (
    PublicBulletin,
    PublicPage,
    PublicPlace,
    PublicQuery,
    PublicVersion,
    commune_place,
    communes,
    fields,
    find,
    newest,
    parse_query,
    search,
    site_place,
)
from public_site.errors import InvalidPublicQuery, PageOutOfRange, PublicNotFound, PublicSiteError, TooManyRequests
from public_site.feed import Episode, guid, podcast_feed
from public_site.poster import qr_svg_data_uri
from public_site.settings import PublicSiteSettings
from public_site.visitor_rate import VisitorRate

__all__ = [
    "Episode",
    "InvalidPublicQuery",
    "PageOutOfRange",
    "PublicBulletin",
    "PublicNotFound",
    "PublicPage",
    "PublicPlace",
    "PublicQuery",
    "PublicSeries",
    "PublicSiteError",
    "PublicSiteSettings",
    "PublicVersion",
    "TooManyRequests",
    "VisitorRate",
    "commune_place",
    "communes",
    "fields",
    "find",
    "find_series",
    "guid",
    "newest",
    "parse_query",
    "podcast_feed",
    "qr_svg_data_uri",
    "search",
    "series_in",
    "site_place",
]
