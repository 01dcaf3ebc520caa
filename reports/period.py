"""A report's period: whole days in Vietnam time, first and last included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from reports.errors import InvalidPeriod

# The longest period one request covers: a year report with room for a leap day and a custom range
# spanning two calendar years' worth of reviews.
MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @classmethod
    def checked(cls, first: date, last: date, *, today: date) -> Period:
        """The period, or InvalidPeriod in Vietnamese: reversed, too long, or wholly in the future."""
        if last < first:
            raise InvalidPeriod(
                f"{last} is before {first}", message_vi="Ngày kết thúc phải sau hoặc trùng ngày bắt đầu."
            )
        if (last - first).days + 1 > MAX_DAYS:
            raise InvalidPeriod(
                f"{first}..{last} is longer than {MAX_DAYS} days",
                message_vi=f"Khoảng thời gian báo cáo dài nhất là {MAX_DAYS} ngày.",
            )
        if first > today:
            raise InvalidPeriod(
                f"{first} is in the future", message_vi="Khoảng thời gian báo cáo chưa bắt đầu (ở tương lai)."
            )
        return cls(first, last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (for comparison)."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))
