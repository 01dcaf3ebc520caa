"""The HTTP API, version 1 (`/api/v1`)."""

from fastapi import APIRouter

from controller.api import (
    auth,
    broadcasts,
    bulletins,
    cap_alerts,
    chimes,
    commands,
    emergencies,
    filed_reports,
    fleet,
    health,
    legal_fields,
    live,
    node,
    period_reports,
    programs,
    province_programs,
    registry,
    reports,
    series,
    slots,
    source_link,
    speech,
    stock,
    streams,
    translations,
    users,
)
from controller.errors import error_responses

api_router = APIRouter(prefix="/api/v1")
for module in (
    health,
    auth,
    users,
    registry,
    fleet,
    chimes,
    bulletins,
    legal_fields,
    broadcasts,
    slots,
    programs,
    province_programs,
    emergencies,
    node,
    speech,
    commands,
    source_link,
    cap_alerts,
    reports,
    period_reports,
    filed_reports,
    stock,
    series,
    translations,
    streams,
    live,
):
    # Logging in answers 401 for a wrong password, without a token to lack (controller.openapi derives the rest).
    api_router.include_router(module.router, responses=error_responses(401) if module is auth else None)

# Routes that take audio uploads; they get `audio.upload_max_bytes` instead of the JSON body limit.
UPLOAD_PATHS = (
    r"/api/v1/bulletins/[0-9]+/recording|/api/v1/communes/[^/]+/chimes/(intro|outro)"
    r"|/api/v1/stock/[^/]+/[^/]+/recording|/api/v1/bulletins/[0-9]+/translations/[^/]+/recording"
)

__all__ = ["UPLOAD_PATHS", "api_router"]
