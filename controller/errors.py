"""Errors of the controller itself, and the one place where any LoaxaError becomes an HTTP response."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
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


class DatabaseInUse(ControllerError):
    code = "database_in_use"
    http_status = 503
    message_vi = (
        "Một tiến trình loaxa serve khác đang chạy trên cơ sở dữ liệu SQLite này. SQLite chỉ cho phép một "
        "máy chủ; muốn chạy nhiều máy chủ, hãy dùng PostgreSQL."
    )


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


class HttpRefusal(ControllerError):
    """Any other refusal of Starlette's or FastAPI's own, in the body of every API error."""

    code = "http_error"
    message_vi = "Yêu cầu không được chấp nhận."

    def __init__(self, http_status: int, detail: str) -> None:
        super().__init__(detail)
        self.http_status = http_status


class MethodNotAllowed(ControllerError):
    code = "method_not_allowed"
    http_status = 405
    message_vi = "Địa chỉ này không nhận thao tác đó."


class ValidationIssue(BaseModel):
    """One invalid part of a request, as FastAPI reports it (`detail` of a 422 for a malformed request)."""

    model_config = ConfigDict(extra="allow")

    type: str
    loc: list[str | int] = Field(description="Where: body, path, query or header, then the field names.")
    msg: str
    input: Any = None
    ctx: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """The JSON body of every API error (what `install_error_handlers` writes), for OpenAPI `responses=`."""

    error: str = Field(description="Stable code for programs, e.g. `out_of_scope`.")
    message: str = Field(description="What a person reads, in Vietnamese.")
    detail: str | list[ValidationIssue] = Field(
        description="For developers: a sentence, or, for a request that does not fit its schema, each invalid part."
    )


_STATUS_TEXT = {
    401: "Chưa đăng nhập hoặc phiên đã kết thúc",
    403: "Không có quyền, hoặc ngoài địa bàn phụ trách",
    404: "Không tìm thấy",
    409: "Xung đột với dữ liệu hiện có",
    413: "Dữ liệu gửi lên quá lớn",
    415: "Định dạng tệp không được hỗ trợ",
    422: "Dữ liệu không hợp lệ",
    429: "Quá nhiều lần đăng nhập sai (xem Retry-After)",
    502: "Bộ đọc văn bản gặp lỗi",
    503: "Hệ thống đang bận, hoặc thiếu một dịch vụ (cơ sở dữ liệu, MQTT, bộ đọc văn bản)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with the error body (see `controller.openapi` for the defaults)."""
    return {status: {"model": ErrorBody, "description": _STATUS_TEXT.get(status, "Lỗi")} for status in statuses}


PageErrors = Callable[[Request, LoaxaError], Response]


def _is_page(request: Request) -> bool:
    """Console pages, as opposed to the JSON API (and the node endpoints under it)."""
    return not request.url.path.startswith("/api/")


def install_error_handlers(app: FastAPI, page_errors: PageErrors | None = None) -> None:
    """JSON for the API; console pages (when `page_errors` is given) get what it renders."""

    @app.exception_handler(LoaxaError)
    async def _loaxa_error(request: Request, exc: LoaxaError) -> Response:
        return _error_response(request, exc)

    def _error_response(request: Request, exc: LoaxaError, headers: Mapping[str, str] | None = None) -> Response:
        if exc.http_status >= 500:
            log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.code, exc.detail)
        if page_errors is not None and _is_page(request):
            return page_errors(request, exc)
        # An error may carry its own headers (Retry-After on 429); Starlette's refusals pass theirs.
        merged: dict[str, str] = dict(getattr(exc, "headers", None) or {})
        merged.update(headers or {})
        if exc.http_status == 401:
            merged.setdefault("WWW-Authenticate", "Bearer")
        return JSONResponse(
            status_code=exc.http_status,
            content={"error": exc.code, "message": exc.message_vi, "detail": exc.detail},
            headers=merged or None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """Starlette's and FastAPI's own refusals (no such route, wrong method, unreadable body, malformed
        credentials) in Vietnamese, with the body of every other error.

        A path segment holding an encoded slash (`/devices/A1%2Frevoke`) is decoded before routing and can
        land on another route's path: no code or id contains a slash, so that is "not found", not 405.
        """
        error: LoaxaError
        encoded_slash = b"%2f" in request.scope.get("raw_path", b"").lower()
        if exc.status_code == 404 or (exc.status_code == 405 and encoded_slash):
            error = NotFound(f"no route {request.url.path[:200]}", message_vi="Không tìm thấy trang này.")
        elif exc.status_code == 405:
            error = MethodNotAllowed(f"{request.method} {request.url.path[:200]}")
        elif exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (not UTF-8): as invalid as malformed JSON, a 422.
            error = InvalidInput(f"unreadable body: {exc.detail}")
        elif exc.status_code == 401:
            # HTTP Basic credentials that are not base64 "user:password" (FastAPI refuses them itself).
            error = NotAuthenticated(str(exc.detail))
        else:
            error = HttpRefusal(exc.status_code, str(exc.detail))
        return _error_response(request, error, exc.headers)

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
