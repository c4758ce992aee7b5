"""Validity policies: when something earned or issued today stops being usable (points, and later coupons,
bonus stored value, benefit quotas). Pure dates, no AWS."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class ExpiryPolicy:
    """When what is earned on a day expires. ``rolling-days:N`` (N days after the earn), ``end-of-month:N`` (the last
    day of the month N months after), ``end-of-next-year`` (31 December of the following year) or ``never``."""

    kind: str
    n: int = 0

    @classmethod
    def parse(cls, text: str) -> ExpiryPolicy:
        kind, _, number = text.partition(":")
        if kind in ("rolling-days", "end-of-month") and number.isdigit() and 0 < int(number) <= 3650:
            return cls(kind, int(number))
        if kind in ("end-of-next-year", "never") and not number:
            return cls(kind)
        raise ValueError("rolling-days:N, end-of-month:N, end-of-next-year or never")

    def expires_on(self, earned_on: date) -> date | None:
        if self.kind == "rolling-days":
            return earned_on + timedelta(days=self.n)
        if self.kind == "end-of-month":
            months = earned_on.month - 1 + self.n
            year, month = earned_on.year + months // 12, months % 12 + 1
            return date(year, month, calendar.monthrange(year, month)[1])
        if self.kind == "end-of-next-year":
            return date(earned_on.year + 1, 12, 31)
        return None
