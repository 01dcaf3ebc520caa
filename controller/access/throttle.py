"""Refusing logins after too many wrong passwords: per (username, address) and per address.

Both the API token login and the console login go through one `LoginThrottle`. The failures are rows
in the database (`login_failure`), so every controller instance on the same database counts the same
guesses, and a restart forgets nothing. Rows older than the window are deleted whenever a failure is
written, so the table holds at most one window of failures.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Field, Session, SQLModel, col, select

from audio_library.timestamps import UtcDateTime, utc_now
from controller.errors import ControllerError
from controller.settings import WebSettings


class LoginFailure(SQLModel, table=True):
    """One wrong password (or unknown username), from one client address."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    # Lower-cased and stripped, so "Canbo " and "canbo" count together.
    username: str = Field(max_length=200, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = Field(sa_type=UtcDateTime, index=True)


class TooManyLoginAttempts(ControllerError):
    code = "too_many_login_attempts"
    http_status = 429
    message_vi = "Bạn đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau."

    def __init__(self, retry_after_s: int) -> None:
        minutes = max(1, math.ceil(retry_after_s / 60))
        super().__init__(
            f"login refused for {retry_after_s} s after too many wrong passwords",
            message_vi=f"Bạn đã nhập sai mật khẩu quá nhiều lần. Vui lòng thử lại sau {minutes} phút.",
        )
        self.retry_after_s = retry_after_s
        self.headers = {"Retry-After": str(retry_after_s)}


def _key(username: str) -> str:
    return username.strip().lower()[:200]


def _address(address: str) -> str:
    return address[:64]


@dataclass(frozen=True)
class LoginThrottle:
    """At most `max_failures` wrong passwords per (username, address), and `max_failures_per_address`
    per address over every username, within `window_s`; then `check` raises TooManyLoginAttempts.

    `clock` is injected so tests need not sleep. Two requests racing past `check` at once can each add a
    failure: the limit may be exceeded by the number of concurrent requests, never more.
    """

    max_failures: int
    max_failures_per_address: int
    window_s: float
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def from_settings(cls, web: WebSettings, clock: Callable[[], datetime] = utc_now) -> LoginThrottle:
        return cls(web.login_max_failures, web.login_max_failures_per_address, web.login_window_s, clock)

    def retry_after_s(self, session: Session, username: str, address: str) -> int:
        """0 when a login may be tried now; otherwise whole seconds until enough failures have expired."""
        now = self.clock()
        since = now - timedelta(seconds=self.window_s)
        recent = select(LoginFailure.at).where(LoginFailure.address == _address(address), col(LoginFailure.at) > since)
        waits = [0.0]
        for query, limit in (
            (recent.where(LoginFailure.username == _key(username)), self.max_failures),
            (recent, self.max_failures_per_address),
        ):
            # The failure whose expiry brings the count back under the limit.
            times = session.exec(query.order_by(col(LoginFailure.at).desc()).limit(limit)).all()
            if len(times) >= limit:
                waits.append((times[-1] + timedelta(seconds=self.window_s) - now).total_seconds())
        wait = max(waits)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def check(self, session: Session, username: str, address: str) -> None:
        wait = self.retry_after_s(session, username, address)
        if wait > 0:
            raise TooManyLoginAttempts(wait)

    def failed(self, session: Session, username: str, address: str) -> None:
        """Count a wrong password and purge expired failures, in the caller's transaction (commit it)."""
        now = self.clock()
        session.execute(delete(LoginFailure).where(col(LoginFailure.at) <= now - timedelta(seconds=self.window_s)))
        session.add(LoginFailure(username=_key(username), address=_address(address), at=now))

    def succeeded(self, session: Session, username: str, address: str) -> None:
        """Forget this username's failures from this address (not the address's: one account an attacker
        owns must not reset the count of its guesses at the others)."""
        session.execute(
            delete(LoginFailure).where(
                col(LoginFailure.username) == _key(username), col(LoginFailure.address) == _address(address)
            )
        )

    def count(self, session: Session) -> int:
        """Failures currently stored (for tests and diagnostics)."""
        return int(session.exec(select(func.count()).select_from(LoginFailure)).one())
