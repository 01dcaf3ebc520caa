"""Errors on console pages: a Vietnamese page (or an htmx fragment), a redirect to log in."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from audio_library.errors import LoaxaError
from controller.errors import NotAuthenticated
from controller.web.listen_again import PREFIX as PUBLIC_PREFIX
from controller.web.listen_again import public_page_error
from controller.web.templating import render


def page_error(request: Request, exc: LoaxaError) -> Response:
    """What a person sees when a page action fails; htmx requests get a fragment for their target."""
    if request.url.path == PUBLIC_PREFIX or request.url.path.startswith(f"{PUBLIC_PREFIX}/"):
        return public_page_error(request, exc)  # the public site never shows the console's pages
    htmx = request.headers.get("HX-Request") == "true"
    if isinstance(exc, NotAuthenticated):
        target = "/dang-nhap?next=" + quote(request.url.path)
        if htmx:
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if htmx:
        return render(request, "_error.html", {"message": exc.message_vi}, status_code=exc.http_status)
    return render(request, "error.html", {"message": exc.message_vi}, status_code=exc.http_status)
