"""The public listening site and its podcast feeds over real HTTP: what is shown, and what never is.

Scope is tested by trying: a bulletin that is unapproved, internal, not scheduled, sent back for approval,
or another commune's is looked for through every public URL (both lists, the bulletin page, its audio,
both feeds). Also: feeds parse with feedparser (no bozo) with exact enclosure lengths and stable GUIDs;
Range requests (206) and ETags (304) on pages, feeds and audio; each page under 60 KB; bad input gets a
Vietnamese message and never a 500; the console's "công khai" switch keeps the approval.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import feedparser
import httpx
import pytest

from audio_library import AssetStore, AudioAsset
from controller.db import make_engine, session_factory
from controller.settings import Settings
from public_site import VisitorRate
from schedules import Bulletin
from tests.controller.test_web_bulletins import tone_wav
from tests.harness import Api, ControllerServer, setup_commune, staff

PAGE_LIMIT_BYTES = 60 * 1024


@dataclass
class Site:
    base_url: str
    officer: Api
    approver: Api
    public: httpx.Client
    ids: dict[str, str] = field(default_factory=dict)  # title -> public id
    row_ids: dict[str, int] = field(default_factory=dict)  # title -> API id
    scheduled: int = 0  # broadcasts placed so far, each a minute after the last so none overlap


def _bulletin(
    site: Site,
    commune: str,
    title: str,
    body: str = "Nội dung bản tin phổ biến pháp luật.",
    *,
    public: bool = True,
    approve: bool = True,
    schedule: str | None = None,
    seconds: float = 1.0,
) -> None:
    """Write a bulletin with a short recording (no speech synthesis: faster), approve and schedule it."""
    created = site.officer.post(
        "/api/v1/bulletins",
        {"commune_code": commune, "title": title, "body": body, "public": public, "legal_field": "giao-thong"},
    )
    assert created.status_code == 201, created.text
    row_id = int(created.json()["id"])
    site.ids[title], site.row_ids[title] = created.json()["public_id"], row_id
    uploaded = site.officer.client.put(f"/api/v1/bulletins/{row_id}/recording", content=tone_wav(seconds))
    assert uploaded.status_code == 200, uploaded.text
    assert site.officer.post(f"/api/v1/bulletins/{row_id}/submit").status_code == 200
    if approve:
        assert site.approver.post(f"/api/v1/bulletins/{row_id}/approve").status_code == 200
    if schedule:
        site.scheduled += 1
        soon = (datetime.now(UTC) + timedelta(minutes=10 + site.scheduled)).isoformat()
        response = site.officer.post(
            "/api/v1/broadcasts", {"bulletin_id": row_id, "commune_code": schedule, "starts_at": soon}
        )
        assert response.status_code == 201, response.text


@pytest.fixture
def site(
    settings: Settings, controller: ControllerServer, admin: Api, request: pytest.FixtureRequest
) -> Iterator[Site]:
    setup_commune(admin, "TINH", "XA-A", [])
    setup_commune(admin, "TINH", "XA-B", [])
    officer, approver = staff(settings, controller.base_url, request, province="TINH")
    with httpx.Client(base_url=controller.base_url, timeout=60) as public:
        yield Site(controller.base_url, officer, approver, public)


def _everywhere(site: Site) -> str:
    """Every public URL's text, joined: both lists, both feeds, and the commune pages."""
    paths = ["/nghe-lai/", "/nghe-lai/rss.xml", "/nghe-lai/XA-A", "/nghe-lai/XA-A/rss.xml", "/nghe-lai/XA-B"]
    paths.append("/nghe-lai/XA-B/rss.xml")
    texts = []
    for path in paths:
        response = site.public.get(path)
        assert response.status_code == 200, (path, response.text)
        texts.append(response.text)
    return "\n".join(texts)


def _hidden(site: Site, title: str) -> None:
    public_id = site.ids[title]
    assert title not in _everywhere(site)
    assert public_id not in _everywhere(site)
    for path in (f"/nghe-lai/ban-tin/{public_id}", f"/nghe-lai/am-thanh/{public_id}.mp3"):
        response = site.public.get(path)
        assert response.status_code == 404, (title, path)
        assert "Không tìm thấy" in response.text


def test_only_approved_public_scheduled_bulletins_are_shown_anywhere(site: Site) -> None:
    _bulletin(site, "XA-A", "Tin A công khai", schedule="XA-A")
    _bulletin(site, "XA-A", "Tin A chưa lên lịch")
    _bulletin(site, "XA-A", "Thông báo nội bộ A", public=False, schedule="XA-A")
    _bulletin(site, "XA-A", "Tin A chờ duyệt", approve=False)
    _bulletin(site, "XA-B", "Tin B công khai", schedule="XA-B")
    _bulletin(site, "XA-A", "Tin A bị sửa lại", schedule="XA-A")

    a_page = site.public.get("/nghe-lai/XA-A").text
    assert "Tin A công khai" in a_page and "Tin B công khai" not in a_page
    b_page = site.public.get("/nghe-lai/XA-B").text
    assert "Tin B công khai" in b_page and "Tin A công khai" not in b_page
    assert "Tin A công khai" in site.public.get("/nghe-lai/").text
    assert "Tin B công khai" not in site.public.get("/nghe-lai/XA-A/rss.xml").text
    for title in ("Tin A chưa lên lịch", "Thông báo nội bộ A", "Tin A chờ duyệt"):
        _hidden(site, title)

    # Edited after approval: back to pending, so off the public site until approved again.
    shown = site.ids["Tin A bị sửa lại"]
    assert site.public.get(f"/nghe-lai/ban-tin/{shown}").status_code == 200
    edited = site.officer.client.patch(f"/api/v1/bulletins/{site.row_ids['Tin A bị sửa lại']}", json={"body": "Mới."})
    assert edited.json()["status"] == "pending"
    _hidden(site, "Tin A bị sửa lại")

    # Nothing personal and no way in: no author or approver, no console link, no API id.
    page = site.public.get(f"/nghe-lai/ban-tin/{site.ids['Tin A công khai']}").text
    for leak in ("canbo", "duyet", 'href="/"', "/ban-tin/", "/api/", "/dang-nhap"):
        assert leak not in page.replace("/nghe-lai/ban-tin/", ""), leak


def test_a_program_airs_its_bulletins_only_once_it_has_a_rule(site: Site, settings: Settings) -> None:
    _bulletin(site, "XA-A", "Tin trong chương trình")
    _bulletin(site, "XA-A", "Tin trong chương trình chưa có giờ")
    placed = []
    for title in ("Tin trong chương trình", "Tin trong chương trình chưa có giờ"):
        items = [{"kind": "bulletin", "bulletin_id": site.row_ids[title]}]
        program = site.officer.post("/api/v1/programs", {"commune_code": "XA-A", "title": title, "items": items})
        assert program.status_code == 201, program.text
        placed.append(int(program.json()["id"]))
    # An hour from now, local time: the tests' quiet hours are half a day away.
    at = (datetime.now(ZoneInfo(settings.scheduler.timezone)) + timedelta(hours=1)).strftime("%H:%M")
    rule = site.officer.post(f"/api/v1/programs/{placed[0]}/rules", {"pattern": "daily", "at": at})
    assert rule.status_code == 201, rule.text
    page = site.public.get("/nghe-lai/XA-A").text
    assert "Tin trong chương trình</a>" in page
    _hidden(site, "Tin trong chương trình chưa có giờ")
    assert "Tin trong chương trình" not in site.public.get("/nghe-lai/XA-B").text


def test_the_public_switch_keeps_the_approval(site: Site, settings: Settings) -> None:
    _bulletin(site, "XA-A", "Tin đổi công khai", schedule="XA-A")
    row_id, public_id = site.row_ids["Tin đổi công khai"], site.ids["Tin đổi công khai"]
    off = site.officer.client.patch(f"/api/v1/bulletins/{row_id}", json={"public": False})
    assert off.status_code == 200 and off.json()["status"] == "approved" and off.json()["public"] is False
    _hidden(site, "Tin đổi công khai")
    on = site.officer.client.patch(f"/api/v1/bulletins/{row_id}", json={"public": True})
    assert on.json()["status"] == "approved"
    assert site.public.get(f"/nghe-lai/ban-tin/{public_id}").status_code == 200
    # Only the officer's scope may change it; null is refused like any required field.
    assert site.public.patch(f"/api/v1/bulletins/{row_id}", json={"public": False}).status_code == 401
    assert site.officer.client.patch(f"/api/v1/bulletins/{row_id}", json={"public": None}).status_code == 422


def test_feeds_parse_with_exact_enclosures_and_stable_guids(site: Site) -> None:
    _bulletin(site, "XA-A", "Tin một", schedule="XA-A")
    _bulletin(site, "XA-B", "Tin hai", schedule="XA-B")
    raw = site.public.get("/nghe-lai/rss.xml")
    assert raw.headers["content-type"] == "application/rss+xml; charset=utf-8"
    province = feedparser.parse(raw.content)
    assert not province.bozo, province.bozo_exception
    assert province.version == "rss20" and province.feed.language == "vi"
    assert province.feed.author == "Tỉnh TINH" and province.feed.tags[0].term == "Government"
    assert "<itunes:explicit>false</itunes:explicit>" in raw.text
    cover = site.public.get(province.feed.image.href)  # the show's artwork, public, square, 1400 px
    assert cover.status_code == 200 and cover.headers["content-type"] == "image/png"
    assert cover.content[:8] == b"\x89PNG\r\n\x1a\n" and cover.content[16:24] == (1400).to_bytes(4, "big") * 2
    assert {entry.title for entry in province.entries} == {"Tin một", "Tin hai"}
    for entry in province.entries:
        (enclosure,) = entry.enclosures
        assert enclosure.type == "audio/mpeg"
        audio = site.public.get(enclosure.href)
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
        assert int(enclosure.length) == len(audio.content) > 0
        assert audio.content[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xfa", b"\xff\xf2"), "an MPEG audio frame"
        assert entry.guid == f"urn:loaxa:ban-tin:{site.ids[entry.title]}"
        assert int(entry.itunes_duration) >= 1
    commune = feedparser.parse(site.public.get("/nghe-lai/XA-A/rss.xml").content)
    assert not commune.bozo and [e.title for e in commune.entries] == ["Tin một"]
    again = feedparser.parse(site.public.get("/nghe-lai/XA-A/rss.xml").content)
    assert [e.guid for e in again.entries] == [e.guid for e in commune.entries]


def test_an_asset_without_mp3_is_transcoded_once_and_a_lost_file_leaves_the_feed_whole(
    site: Site, settings: Settings
) -> None:
    _bulletin(site, "XA-A", "Tin chỉ có Opus", schedule="XA-A")
    _bulletin(site, "XA-A", "Tin mất tệp", schedule="XA-A", seconds=1.5)  # audio of its own
    engine = make_engine(settings.database)
    store = AssetStore(settings.audio.storage_dir)
    with session_factory(engine)() as session:
        for title in ("Tin chỉ có Opus", "Tin mất tệp"):
            bulletin = session.get(Bulletin, site.row_ids[title])
            assert bulletin is not None and bulletin.audio_sha256 is not None
            asset = session.get(AudioAsset, bulletin.audio_sha256)
            assert asset is not None and asset.mp3_sha256 is not None
            asset.mp3_sha256 = None  # as an asset stored before the chain made MP3s
            session.add(asset)
            if title == "Tin mất tệp":
                store.open_path(asset.sha256, asset.codec).unlink()
        session.commit()
    feed = feedparser.parse(site.public.get("/nghe-lai/XA-A/rss.xml").content)
    assert not feed.bozo and [entry.title for entry in feed.entries] == ["Tin chỉ có Opus"]
    audio = site.public.get(feed.entries[0].enclosures[0].href)
    assert audio.status_code == 200 and len(audio.content) == int(feed.entries[0].enclosures[0].length)
    with session_factory(engine)() as session:
        bulletin = session.get(Bulletin, site.row_ids["Tin chỉ có Opus"])
        assert bulletin is not None and bulletin.audio_sha256 is not None
        asset = session.get(AudioAsset, bulletin.audio_sha256)
        assert asset is not None and asset.mp3_sha256 is not None, "the rendition is kept"
    engine.dispose()
    lost = site.public.get(f"/nghe-lai/am-thanh/{site.ids['Tin mất tệp']}.mp3")
    assert lost.status_code == 404 and "Không tìm thấy" in lost.text


def test_range_requests_and_etags(site: Site) -> None:
    _bulletin(site, "XA-A", "Tin nghe từng đoạn", schedule="XA-A")
    audio_url = f"/nghe-lai/am-thanh/{site.ids['Tin nghe từng đoạn']}.mp3"
    whole = site.public.get(audio_url)
    part = site.public.get(audio_url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole.content)}"
    assert site.public.head(audio_url).headers["content-length"] == str(len(whole.content))
    for path in (audio_url, "/nghe-lai/", "/nghe-lai/XA-A", "/nghe-lai/XA-A/rss.xml", "/nghe-lai/rss.xml"):
        first = site.public.get(path)
        etag = first.headers["etag"]
        again = site.public.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"", path
        assert site.public.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_every_page_is_under_60_kb_before_audio(site: Site) -> None:
    longest = ("Điều 1. Quy định chung về trật tự, an toàn giao thông đường bộ trên địa bàn xã. " * 400)[:20_000]
    _bulletin(site, "XA-A", "Tin dài nhất có thể", longest, schedule="XA-A")
    for n in range(12):
        _bulletin(site, "XA-A", f"Tin số {n}", longest, schedule="XA-A")
    pages = ["/nghe-lai/", "/nghe-lai/XA-A", "/nghe-lai/XA-A?trang=2", "/nghe-lai/XA-A/ap-phich"]
    pages.append(f"/nghe-lai/ban-tin/{site.ids['Tin dài nhất có thể']}")
    for path in pages:
        response = site.public.get(path)
        assert response.status_code == 200, path
        assert len(response.content) < PAGE_LIMIT_BYTES, (path, len(response.content))
    assert "trang 2 trên 2" in site.public.get("/nghe-lai/XA-A?trang=2").text


def test_search_filter_and_bad_input_get_vietnamese_messages(site: Site) -> None:
    _bulletin(site, "XA-A", "Đội mũ bảo hiểm", "Người đi xe máy phải đội mũ bảo hiểm.", schedule="XA-A")
    _bulletin(site, "XA-A", "Tiêm chủng", "Trạm y tế tiêm chủng cho trẻ.", schedule="XA-A")
    found = site.public.get("/nghe-lai/XA-A", params={"q": "xe máy"}).text
    assert "Đội mũ bảo hiểm" in found and "Tiêm chủng" not in found
    assert "Không có bản tin nào phù hợp" in site.public.get("/nghe-lai/XA-A", params={"q": "100%_"}).text
    by_field = site.public.get("/nghe-lai/XA-A", params={"linh-vuc": "giao-thong"}).text
    assert "Đội mũ bảo hiểm" in by_field
    other_field = site.public.get("/nghe-lai/XA-A", params={"linh-vuc": "y-te-an-toan-thuc-pham"}).text
    assert "Đội mũ bảo hiểm" not in other_field

    refusals = {
        "/nghe-lai/XA-A?q=" + "a" * 5000: (422, "Từ khoá tìm kiếm quá dài"),
        "/nghe-lai/?linh-vuc=khong-co": (422, "Lĩnh vực đã chọn không có trong danh mục"),
        "/nghe-lai/XA-A?trang=abc": (422, "Số trang không hợp lệ"),
        "/nghe-lai/XA-A?trang=0": (422, "Số trang không hợp lệ"),
        "/nghe-lai/XA-A?trang=-1": (422, "Số trang không hợp lệ"),
        "/nghe-lai/XA-A?trang=99999999999999999999": (422, "Số trang không hợp lệ"),
        "/nghe-lai/XA-A?trang=%EF%BC%92": (422, "Số trang không hợp lệ"),  # a full-width digit
        "/nghe-lai/XA-A?trang=7": (404, "Không có trang này"),
        "/nghe-lai/KHONG-CO": (404, "Không tìm thấy"),
        "/nghe-lai/KHONG-CO/rss.xml": (404, "Không tìm thấy"),
        "/nghe-lai/KHONG-CO/ap-phich": (404, "Không tìm thấy"),
        "/nghe-lai/ban-tin/" + "f" * 300: (404, "Không tìm thấy"),
        "/nghe-lai/ban-tin/%2e%2e%2fapi": (404, "Không tìm thấy"),
        "/nghe-lai/am-thanh/1.mp3": (404, "Không tìm thấy"),
        "/nghe-lai/XA-A/khong-co/gi": (404, "Không tìm thấy"),
    }
    for path, (status, message) in refusals.items():
        response = site.public.get(path)
        assert response.status_code == status, (path, response.status_code, response.text[:300])
        assert message in response.text, path
        assert 'lang="vi"' in response.text and "/dang-nhap" not in response.text
    assert site.public.post("/nghe-lai/XA-A").status_code == 405


def test_display_choices_are_kept_in_cookies_without_script(site: Site) -> None:
    chosen = site.public.get("/nghe-lai/hien-thi", params={"chu": "bat", "ve": "/nghe-lai/XA-A?q=x"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/nghe-lai/XA-A?q=x"
    cookie = "; ".join(f"{name}={value}" for name, value in chosen.cookies.items())
    assert cookie == "nghe_lai_chu_lon=1"
    page = httpx.get(f"{site.base_url}/nghe-lai/XA-A", headers={"Cookie": cookie}).text
    assert 'class="chu-lon ' in page and 'aria-pressed="true">Chữ lớn' in page
    poster = site.public.get("/nghe-lai/XA-A/ap-phich").text
    assert f"{site.base_url}/nghe-lai/XA-A</span>" in poster and 'src="data:image/svg+xml' in poster
    # Never a redirect off the public site.
    for target in ("https://example.org/", "//example.org/", "/ban-tin", "/nghe-lai//example.org"):
        away = site.public.get("/nghe-lai/hien-thi", params={"tuong-phan": "bat", "ve": target})
        assert away.headers["location"] == "/nghe-lai/", target


def test_rate_limit_answers_429_with_retry_after(site: Site, controller: ControllerServer) -> None:
    controller.app.state.public_rate = VisitorRate(limit=3, window_s=3600)
    for _ in range(3):
        assert site.public.get("/nghe-lai/").status_code == 200
    refused = site.public.get("/nghe-lai/XA-A")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "quá nhiều yêu cầu" in refused.text
    # The console and the API are not counted against the public site's visitors.
    assert site.officer.get("/api/v1/bulletins").status_code == 200


def test_visitor_rate_counts_per_address_and_window() -> None:
    now = [0.0]
    rate = VisitorRate(limit=2, window_s=60, clock=lambda: now[0])
    rate.check("10.0.0.1")
    rate.check("10.0.0.1")
    rate.check("10.0.0.2")
    with pytest.raises(Exception, match="retry after 60 s"):
        rate.check("10.0.0.1")
    now[0] = 60.0
    rate.check("10.0.0.1")


def test_each_version_in_another_language_is_shown_with_its_text_and_audio_and_only_once_approved(
    site: Site,
) -> None:
    _bulletin(site, "XA-A", "Tin hai thứ tiếng", approve=False)
    row_id, public_id = site.row_ids["Tin hai thứ tiếng"], site.ids["Tin hai thứ tiếng"]
    site.approver.post(f"/api/v1/bulletins/{row_id}/reject", {"reason": "Thêm bản tiếng Khmer"})
    version = site.officer.client.put(
        f"/api/v1/bulletins/{row_id}/translations/km", json={"title": "ដំណឹងពីឃុំ", "body": "អត្ថបទខ្មែរ។"}
    )
    assert version.status_code == 201, version.text
    recorded = site.officer.client.put(f"/api/v1/bulletins/{row_id}/translations/km/recording", content=tone_wav(2.0))
    assert recorded.status_code == 200, recorded.text
    assert site.officer.post(f"/api/v1/bulletins/{row_id}/submit").status_code == 200
    assert site.approver.post(f"/api/v1/bulletins/{row_id}/approve").status_code == 200
    soon = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    placed = site.officer.post("/api/v1/broadcasts", {"bulletin_id": row_id, "commune_code": "XA-A", "starts_at": soon})
    assert placed.status_code == 201, placed.text

    page = site.public.get(f"/nghe-lai/ban-tin/{public_id}")
    assert page.status_code == 200 and len(page.content) < PAGE_LIMIT_BYTES
    assert "Tiếng Khmer" in page.text and 'lang="km"' in page.text and "អត្ថបទខ្មែរ។" in page.text
    khmer_audio = f"/nghe-lai/am-thanh/{public_id}/km.mp3"
    assert khmer_audio in page.text and f"/nghe-lai/ban-tin/{public_id}#km" in site.public.get("/nghe-lai/XA-A").text
    audio = site.public.get(khmer_audio)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
    assert audio.content != site.public.get(f"/nghe-lai/am-thanh/{public_id}.mp3").content
    assert site.public.get(f"/nghe-lai/am-thanh/{public_id}/vi.mp3").status_code == 404
    assert site.public.get(f"/nghe-lai/am-thanh/{public_id}/xx.mp3").status_code == 404

    feed = feedparser.parse(site.public.get("/nghe-lai/XA-A/rss.xml").content)
    assert not feed.bozo, feed.bozo_exception
    by_guid = {entry.guid: entry for entry in feed.entries}
    khmer = by_guid[f"urn:loaxa:ban-tin:{public_id}:km"]
    assert khmer.title == "ដំណឹងពីឃុំ (Tiếng Khmer)" and "អត្ថបទខ្មែរ។" in khmer.description
    (enclosure,) = khmer.enclosures
    assert enclosure.href.endswith(khmer_audio) and int(enclosure.length) == len(audio.content)
    assert f"urn:loaxa:ban-tin:{public_id}" in by_guid

    # A changed Khmer text sends the bulletin back for approval: neither version is public until approved.
    site.officer.client.put(
        f"/api/v1/bulletins/{row_id}/translations/km", json={"title": "ដំណឹងថ្មី", "body": "អត្ថបទខ្មែរ។"}
    )
    assert "ដំណឹងថ្មី" not in _everywhere(site)
    assert site.public.get(khmer_audio).status_code == 404
    _hidden(site, "Tin hai thứ tiếng")
