"""Errors of the controller itself, and the one place where any LoaxaError becomes an HTTP response."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from audio_library.errors import LoaxaError

log = logging.getLogger(__name__)


class ControllerError(LoaxaError):
    code = "controller_error"


class DatabaseUnavailable(ControllerError):
    code = "database_unavailable"
    http_status = 503
    message_vi = "Không kết nối được cơ sở dữ liệu."


class DatabaseNotMigrated(ControllerError):
    code = "database_not_migrated"
    http_status = 503
    message_vi = "Cơ sở dữ liệu chưa được nâng cấp (chạy: loaxa db upgrade)."


class NotAuthenticated(ControllerError):
    code = "not_authenticated"
    http_status = 401
    message_vi = "Vui lòng đăng nhập."


class Forbidden(ControllerError):
    code = "forbidden"
    http_status = 403
    message_vi = "Bạn không có quyền thực hiện thao tác này."


class OutOfScope(Forbidden):
    code = "out_of_scope"
    message_vi = "Bạn không phụ trách địa bàn này."


class NotFound(ControllerError):
    code = "not_found"
    http_status = 404
    message_vi = "Không tìm thấy."


class Conflict(ControllerError):
    code = "conflict"
    http_status = 409
    message_vi = "Dữ liệu đã tồn tại."


class InvalidInput(ControllerError):
    code = "invalid_request"
    http_status = 422
    message_vi = "Dữ liệu gửi lên không hợp lệ."


class MethodNotAllowed(ControllerError):
    code = "method_not_allowed"
    http_status = 405
    message_vi = "Địa chỉ này không nhận thao tác đó."


class ErrorBody(BaseModel):
    """The JSON body of every API error (what `install_error_handlers` writes), for OpenAPI `responses=`."""

    error: str
    message: str
    detail: Any = None


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error body."""
    return {status: {"model": ErrorBody, "description": _STATUS_TEXT.get(status, "Lỗi")} for status in statuses}


_STATUS_TEXT = {
    401: "Chưa đăng nhập hoặc phiên đã kết thúc",
    403: "Không có quyền",
    404: "Không tìm thấy",
    409: "Xung đột với dữ liệu hiện có",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều lần đăng nhập sai (xem Retry-After)",
}


PageErrors = Callable[[Request, LoaxaError], Response]


def _is_page(request: Request) -> bool:
    """Console pages, as opposed to the JSON API (and the node endpoints under it)."""
    return not request.url.path.startswith("/api/")


def install_error_handlers(app: FastAPI, page_errors: PageErrors | None = None) -> None:
    """JSON for the API; console pages (when `page_errors` is given) get what it renders."""

    @app.exception_handler(LoaxaError)
    async def _loaxa_error(request: Request, exc: LoaxaError) -> Response:
        if exc.http_status >= 500:
            log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.code, exc.detail)
        if page_errors is not None and _is_page(request):
            return page_errors(request, exc)
        # An error may carry its own headers (Retry-After on 429).
        headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(
            status_code=exc.http_status,
            content={"error": exc.code, "message": exc.message_vi, "detail": exc.detail},
            headers=headers or None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Starlette's own refusals (no such route, wrong method) in Vietnamese, like every other error."""
        error: LoaxaError
        if exc.status_code == 404:
            error = NotFound(f"no route {request.url.path[:200]}", message_vi="Không tìm thấy trang này.")
        elif exc.status_code == 405:
            error = MethodNotAllowed(f"{request.method} {request.url.path[:200]}")
        else:
            return await http_exception_handler(request, exc)
        return await _loaxa_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if page_errors is not None and _is_page(request):
            return page_errors(request, InvalidInput(str(exc.errors())[:500]))
        return JSONResponse(
            status_code=422,
            content={
                "error": "invalid_request",
                "message": "Dữ liệu gửi lên không hợp lệ.",
                # A validator's error carries the exception object itself in "ctx": render it as text.
                "detail": jsonable_encoder(exc.errors(), custom_encoder={Exception: str}),
            },
        )
