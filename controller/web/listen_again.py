"""The public listening site ("Nghe lại") at /nghe-lai/: no login, server-rendered, light enough for 3G.

What is public and the feeds are `public_site`'s; this module only wires them to URLs. Every answer
carries an ETag (the hash of its bytes; the MP3's content hash for audio) and a matching If-None-Match
gets 304; audio is served with Range support (206). Every route counts against the visitor's rate.
Pages link only to other public pages: nothing here leads into the console.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from audio_library import AudioAsset
from audio_library.errors import AudioError, LoaxaError
from audio_library.rendition import mp3_rendition
from controller.deps import ServicesDep, SessionDep
from controller.services import Services
from controller.web.templating import SECURITY_HEADERS, templates
from public_site import (
    Episode,
    PublicBulletin,
    PublicNotFound,
    PublicPlace,
    VisitorRate,
    commune_place,
    communes,
    fields,
    find,
    find_series,
    newest,
    parse_query,
    podcast_feed,
    qr_svg_data_uri,
    search,
    series_in,
    site_place,
)

log = logging.getLogger(__name__)

PREFIX = "/nghe-lai"
LARGE_TEXT_COOKIE = "nghe_lai_chu_lon"
CONTRAST_COOKIE = "nghe_lai_tuong_phan"
# A year: a listener who chose large text should not have to choose again.
_PREFERENCE_MAX_AGE_S = 365 * 24 * 3600
# Pages and feeds change when a bulletin airs: the client revalidates every time (a 304 costs ~200 bytes).
_PAGE_CACHE = "public, no-cache"
# Audio under one public id changes only if the bulletin is approved again with new audio (new ETag).
_AUDIO_CACHE = "public, max-age=3600"
_EXCERPT_CHARS = 280
# The display form sends the page's address back; anything longer is cut to the path (see display_choice).
_MAX_RETURN_CHARS = 2000


def count_visit(request: Request) -> None:
    """Every public route counts against the visitor's address (`public_site.VisitorRate`)."""
    rate: VisitorRate = request.app.state.public_rate
    rate.check(request.client.host if request.client else "unknown")


router = APIRouter(prefix=PREFIX, dependencies=[Depends(count_visit)], include_in_schema=False)


def _site_url(request: Request, services: Services) -> str:
    """The site's absolute address (setting `public.base_url`, else where this request came to)."""
    configured = services.settings.public.base_url.rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return etag in [tag.strip().removeprefix("W/") for tag in sent.split(",")] or sent.strip() == "*"


def _cached(request: Request, body: bytes, media_type: str, status_code: int = 200, *, page: bool = True) -> Response:
    """The body with its ETag, or 304 when the client already holds it. A page varies with the display
    cookies (large text, contrast); a feed does not."""
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": _PAGE_CACHE, **SECURITY_HEADERS}
    if page:
        headers["Vary"] = "Cookie"
    if status_code == 200 and _matches(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def _display(request: Request) -> dict[str, bool]:
    return {
        "large_text": request.cookies.get(LARGE_TEXT_COOKIE) == "1",
        "high_contrast": request.cookies.get(CONTRAST_COOKIE) == "1",
    }


def render_public(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> Response:
    services: Services = request.app.state.services
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if len(here) > _MAX_RETURN_CHARS:  # a refused huge search: come back to the page without it
        here = request.url.path
    full = {"timezone": services.settings.scheduler.timezone, "here": here, **_display(request), **context}
    body = templates.get_template(template).render(full).encode()
    return _cached(request, body, "text/html; charset=utf-8", status_code)


def public_page_error(request: Request, exc: LoaxaError) -> Response:
    """A refusal on the public site: a public page with the reason (never the console's), 429 with Retry-After."""
    response = render_public(request, "nghe_lai_loi.html", {"message": exc.message_vi}, status_code=exc.http_status)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT_CHARS else flat[: _EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + " …"


def _listing(
    request: Request, session: SessionDep, services: Services, place: PublicPlace, field: str, q: str, page: str
) -> Response:
    settings = services.settings.public
    query = parse_query(session, field, q, page, max_chars=settings.max_query_chars)
    found = search(session, place, query, settings.page_size)
    base = f"{PREFIX}/" + (f"{place.code}" if place.code else "")

    def page_link(number: int) -> str:
        params = {"linh-vuc": query.field.code if query.field else "", "q": query.text, "trang": str(number)}
        kept = urlencode({k: v for k, v in params.items() if v and (k != "trang" or number > 1)})
        return f"{base}?{kept}" if kept else base

    context = {
        "place": place,
        "page": found,
        "query": query,
        "fields": fields(session),
        "communes": communes(session) if place.commune is None else [],
        "excerpt": _excerpt,
        "previous_url": page_link(found.page - 1) if found.page > 1 else None,
        "next_url": page_link(found.page + 1) if found.page < found.pages else None,
        "feed_url": f"{base.rstrip('/')}/rss.xml" if place.code else f"{PREFIX}/rss.xml",
        "filtered": bool(query.field or query.text),
        # Only on the first unfiltered page: a listener paging the archive is not after the series.
        "series": series_in(session, place) if found.page == 1 and not (query.field or query.text) else [],
    }
    return render_public(request, "nghe_lai_danh_sach.html", context)


FieldParam = Annotated[str, Query(alias="linh-vuc", max_length=10_000)]
TextParam = Annotated[str, Query(max_length=100_000)]
PageParam = Annotated[str, Query(alias="trang", max_length=10_000)]


@router.get("/")
def site_page(
    request: Request, session: SessionDep, services: ServicesDep, field: FieldParam = "", q: TextParam = "",
    page: PageParam = "",
) -> Response:  # fmt: skip
    return _listing(request, session, services, site_place(session), field, q, page)


def _episodes(request: Request, session: SessionDep, services: Services, items: list[PublicBulletin]) -> list[Episode]:
    """Each bulletin as an episode, followed by one episode per version in another language."""
    site = _site_url(request, services)
    episodes = []
    for item in items:
        page_url = f"{site}{PREFIX}/ban-tin/{item.public_id}"
        for version in (None, *item.versions):
            asset = session.get(AudioAsset, version.audio_sha256 if version else item.audio_sha256)
            if asset is None:  # the catalogue joined the bulletin's own; a version's may have gone
                continue
            try:
                mp3 = mp3_rendition(session, services.store, asset, services.settings.audio)
            except AudioError as exc:  # one unplayable file must not take the whole feed down
                log.warning("feed: no MP3 for public bulletin %s: %s", item.public_id, exc)
                continue
            episodes.append(
                Episode(
                    bulletin=item,
                    page_url=page_url + (f"#{version.language}" if version else ""),
                    audio_url=f"{site}{_audio_path(item, version.language if version else None)}",
                    audio_bytes=mp3.size_bytes,
                    version=version,
                )
            )
    session.commit()  # renditions made for this feed are kept
    return episodes


def _audio_path(item: PublicBulletin, language: str | None) -> str:
    """Where a bulletin's MP3 is served, or its version's in `language`."""
    if language is None:
        return f"{PREFIX}/am-thanh/{item.public_id}.mp3"
    return f"{PREFIX}/am-thanh/{item.public_id}/{language}.mp3"


def _feed(request: Request, session: SessionDep, services: Services, place: PublicPlace) -> Response:
    site = _site_url(request, services)
    items = newest(session, place, services.settings.public.feed_items)
    path = f"{PREFIX}/{place.code}" if place.code else PREFIX
    body = podcast_feed(
        place,
        f"{site}{path}/",
        f"{site}{path}/rss.xml",
        _episodes(request, session, services, items),
        cover_url=f"{site}/tinh/podcast-cover.png",
    )
    return _cached(request, body, "application/rss+xml; charset=utf-8", page=False)


@router.get("/rss.xml")
def site_feed(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    return _feed(request, session, services, site_place(session))


@router.get("/hien-thi")
def display_choice(
    chu: Annotated[str, Query(max_length=20)] = "",
    tuong_phan: Annotated[str, Query(alias="tuong-phan", max_length=20)] = "",
    ve: Annotated[str, Query(max_length=_MAX_RETURN_CHARS)] = "",
) -> Response:
    """Large text and high contrast, chosen by a form (no script needed), kept in cookies."""
    back = ve if ve.startswith(f"{PREFIX}/") and not ve.startswith(f"{PREFIX}//") and "\\" not in ve else f"{PREFIX}/"
    response = RedirectResponse(back, status_code=303)
    for cookie, choice in ((LARGE_TEXT_COOKIE, chu), (CONTRAST_COOKIE, tuong_phan)):
        if choice in ("bat", "tat"):
            response.set_cookie(
                cookie, "1" if choice == "bat" else "0", max_age=_PREFERENCE_MAX_AGE_S, path=PREFIX, samesite="lax"
            )
    return response


@router.get("/ban-tin/{public_id}")
def bulletin_page(public_id: str, request: Request, session: SessionDep) -> Response:
    item = find(session, public_id)
    return render_public(request, "nghe_lai_ban_tin.html", {"item": item, "audio_path": _audio_path})


@router.get("/sach-noi/{public_id}")
def series_page(public_id: str, request: Request, session: SessionDep) -> Response:
    """An audiobook series: its public chapters in order, each playable; with script, "nghe tiếp" resumes
    where the listener stopped on this device (`nghe-lai.js`, localStorage; nothing is sent to the server)."""
    return render_public(request, "nghe_lai_sach_noi.html", {"series": find_series(session, public_id)})


@router.api_route("/am-thanh/{public_id}.mp3", methods=["GET", "HEAD"])
def bulletin_audio(public_id: str, request: Request, session: SessionDep, services: ServicesDep) -> Response:
    """The bulletin's MP3 (made and kept on first request if it has none), with Range requests."""
    item = find(session, public_id)
    return _mp3(request, session, services, item.audio_sha256, public_id)


@router.api_route("/am-thanh/{public_id}/{language}.mp3", methods=["GET", "HEAD"])
def version_audio(
    public_id: str, language: str, request: Request, session: SessionDep, services: ServicesDep
) -> Response:
    """The MP3 of the bulletin's version in another language (one that airs with it), with Range requests."""
    version = find(session, public_id).version(language)
    return _mp3(request, session, services, version.audio_sha256, public_id)


def _mp3(request: Request, session: SessionDep, services: Services, sha256: str, public_id: str) -> Response:
    asset = session.get(AudioAsset, sha256)
    if asset is None:
        raise PublicNotFound(f"audio of {public_id} is gone")
    mp3 = mp3_rendition(session, services.store, asset, services.settings.audio)
    session.commit()
    etag = f'"{mp3.sha256}"'
    headers = {"ETag": etag, "Cache-Control": _AUDIO_CACHE, "X-Content-Type-Options": "nosniff"}
    if _matches(request, etag):
        return Response(status_code=304, headers=headers)
    return FileResponse(services.store.open_path(mp3.sha256, "mp3"), media_type="audio/mpeg", headers=headers)


@router.get("/{commune}")
def commune_page(
    commune: str, request: Request, session: SessionDep, services: ServicesDep, field: FieldParam = "",
    q: TextParam = "", page: PageParam = "",
) -> Response:  # fmt: skip
    return _listing(request, session, services, commune_place(session, commune), field, q, page)


@router.get("/{commune}/rss.xml")
def commune_feed(commune: str, request: Request, session: SessionDep, services: ServicesDep) -> Response:
    return _feed(request, session, services, commune_place(session, commune))


@router.get("/{commune}/ap-phich")
def commune_poster(commune: str, request: Request, session: SessionDep, services: ServicesDep) -> Response:
    """A printable poster for under the horns: the commune's name, its address and a QR code to it."""
    place = commune_place(session, commune)
    url = f"{_site_url(request, services)}{PREFIX}/{place.code}"
    return render_public(request, "nghe_lai_ap_phich.html", {"place": place, "url": url, "qr": qr_svg_data_uri(url)})
