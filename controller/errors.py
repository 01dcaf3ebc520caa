"""Errors of the controller itself, and the one place where any LoaxaError becomes an HTTP response."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoaxaError)
    async def _loaxa_error(request: Request, exc: LoaxaError) -> JSONResponse:
        if exc.http_status >= 500:
            log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.code, exc.detail)
        headers = {"WWW-Authenticate": "Bearer"} if exc.http_status == 401 else None
        return JSONResponse(
            status_code=exc.http_status,
            content={"error": exc.code, "message": exc.message_vi, "detail": exc.detail},
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={
                "error": "invalid_request",
                "message": "Dữ liệu gửi lên không hợp lệ.",
                "detail": exc.errors(),
            },
        )
