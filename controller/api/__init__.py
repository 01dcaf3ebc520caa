"""The HTTP API, version 1 (`/api/v1`)."""

from fastapi import APIRouter

from controller.api import auth, broadcasts, bulletins, health, node, registry, users

api_router = APIRouter(prefix="/api/v1")
for module in (health, auth, users, registry, bulletins, broadcasts, node):
    api_router.include_router(module.router)

__all__ = ["api_router"]
