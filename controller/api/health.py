"""Liveness and readiness."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from controller.deps import ServicesDep
from devices.protocol import PROTOCOL_VERSION

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded", "down"]
    database: bool
    mqtt: bool
    protocol_version: int
    # Whether this instance holds the leader lease and runs the singleton jobs (publication, sweeps).
    leader: bool = False


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "Không kết nối được cơ sở dữ liệu"}},
)
def health(services: ServicesDep) -> JSONResponse:
    """`ok`; `degraded` without the broker (nodes keep playing their cache); 503 without a database."""
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = True
    except SQLAlchemyError:
        database = False
    mqtt = services.link is not None and services.link.connected
    status = "down" if not database else "ok" if mqtt else "degraded"
    leader = services.leadership is not None and services.leadership.leading is not None
    body = Health(status=status, database=database, mqtt=mqtt, protocol_version=PROTOCOL_VERSION, leader=leader)
    return JSONResponse(body.model_dump(), status_code=200 if database else 503)
