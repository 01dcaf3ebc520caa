"""Podcast feeds: RSS 2.0 with the iTunes tags, one per commune and one for the whole site.

Each episode's GUID is the bulletin's public id (never reused, never changed), not a link, so a podcast
client never lists an episode twice when the site moves. The enclosure is the MP3 rendition, with its
exact length in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from audio_library.timestamps import utc_now
from public_site.catalogue import PublicBulletin, PublicPlace, PublicVersion

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("itunes", ITUNES)
ET.register_namespace("atom", ATOM)

# Shown in a podcast client's list and search; the description a whole text would make too long.
_SUMMARY_CHARS = 400


@dataclass(frozen=True)
class Episode:
    """A public bulletin (or its version in another language) as a feed item: where its page and MP3 are,
    and the MP3's size. A version is its own episode, with its own title, text and audio."""

    bulletin: PublicBulletin
    page_url: str
    audio_url: str
    audio_bytes: int
    version: PublicVersion | None = None

    @property
    def guid(self) -> str:
        return guid(self.bulletin.public_id, self.version.language if self.version else None)

    @property
    def title(self) -> str:
        if self.version is None:
            return self.bulletin.title
        return f"{self.version.title} ({self.version.language_name})"

    @property
    def body(self) -> str:
        if self.version is None:
            return self.bulletin.body
        return self.version.body or self.version.title  # a recorded version may have no text

    @property
    def duration_ms(self) -> int:
        return self.version.duration_ms if self.version is not None else self.bulletin.duration_ms


def guid(public_id: str, language: str | None = None) -> str:
    """The episode's GUID: the bulletin's, or for a version in another language, the bulletin's and its language."""
    return f"urn:loaxa:ban-tin:{public_id}" + (f":{language}" if language else "")


def _sub(parent: ET.Element, tag: str, text: str | None = None, attributes: dict[str, str] | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes or {})
    if text is not None:
        element.text = text
    return element


def _summary(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SUMMARY_CHARS else flat[: _SUMMARY_CHARS - 1].rstrip() + "…"


def _published(item: PublicBulletin, now: datetime) -> datetime:
    """When the episode appeared: its first airing, or now for one only scheduled (no date in the future)."""
    return min(item.first_airing, now)


def podcast_feed(place: PublicPlace, site_url: str, feed_url: str, episodes: list[Episode], *, cover_url: str) -> bytes:
    """The RSS document of the place's public bulletins (newest first, as given); `cover_url`: the show's
    square artwork (podcast directories list a show only with one of 1400 to 3000 pixels)."""
    now = utc_now()
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    title = f"Bản tin loa truyền thanh: {place.name}"
    description = (
        "Nghe lại các bản tin phổ biến, giáo dục pháp luật đã phát trên hệ thống loa truyền thanh cơ sở"
        f" của {place.name}."
    )
    _sub(channel, "title", title)
    _sub(channel, "link", site_url)
    _sub(channel, "description", description)
    _sub(channel, "language", "vi")
    _sub(channel, "generator", "loaxa")
    _sub(channel, "lastBuildDate", format_datetime(now))
    _sub(channel, f"{{{ATOM}}}link", attributes={"href": feed_url, "rel": "self", "type": "application/rss+xml"})
    author = place.province_name if place.commune is None else f"{place.name}, {place.province_name}"
    _sub(channel, f"{{{ITUNES}}}author", author)
    _sub(channel, f"{{{ITUNES}}}summary", description)
    _sub(channel, f"{{{ITUNES}}}image", attributes={"href": cover_url})
    _sub(channel, f"{{{ITUNES}}}type", "episodic")
    _sub(channel, f"{{{ITUNES}}}explicit", "false")
    _sub(channel, f"{{{ITUNES}}}category", attributes={"text": "Government"})
    for episode in episodes:
        item = episode.bulletin
        entry = _sub(channel, "item")
        _sub(entry, "title", episode.title)
        _sub(entry, "link", episode.page_url)
        _sub(entry, "description", episode.body)
        _sub(entry, "guid", episode.guid, {"isPermaLink": "false"})
        _sub(entry, "pubDate", format_datetime(_published(item, now)))
        _sub(entry, "category", item.field_name)
        enclosure = {"url": episode.audio_url, "length": str(episode.audio_bytes), "type": "audio/mpeg"}
        _sub(entry, "enclosure", attributes=enclosure)
        _sub(entry, f"{{{ITUNES}}}title", episode.title)
        _sub(entry, f"{{{ITUNES}}}summary", _summary(episode.body))
        _sub(entry, f"{{{ITUNES}}}duration", str(max(1, round(episode.duration_ms / 1000))))
        _sub(entry, f"{{{ITUNES}}}explicit", "false")
        _sub(entry, f"{{{ITUNES}}}episodeType", "full")
    document: bytes = ET.tostring(rss, encoding="utf-8", xml_declaration=True)
    return document
