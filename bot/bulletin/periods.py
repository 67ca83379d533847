"""The period a 通报 covers: a district-calendar week (Monday–Sunday), a month, or any range of days, named in Chinese.

A week is numbered within the month that holds its Thursday (as ISO 8601 numbers weeks within a year), so a week
that straddles two months belongs to the one with four or more of its days: 2026-11-30…12-06 is 2026年12月第1周."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Kind = Literal["week", "month", "range"]


@dataclass(frozen=True)
class Period:
    """District days first_day..last_day inclusive, and what kind of period they are."""

    first_day: date
    last_day: date
    kind: Kind

    @property
    def name(self) -> str:
        """What the title says in brackets: 2026年11月第4周, 2026年11月, or the range of days."""
        if self.kind == "week":
            thursday = self.first_day + timedelta(days=3)
            return f"{thursday.year}年{thursday.month}月第{(thursday.day - 1) // 7 + 1}周"
        if self.kind == "month":
            return f"{self.first_day.year}年{self.first_day.month}月"
        return self.span

    @property
    def span(self) -> str:
        """The days covered: 2026年11月23日至11月29日 (the year again only when it changes)."""
        last = chinese_date(self.last_day) if self.last_day.year != self.first_day.year \
            else f"{self.last_day.month}月{self.last_day.day}日"
        return chinese_date(self.first_day) if self.first_day == self.last_day else \
            f"{chinese_date(self.first_day)}至{last}"

    @property
    def stem(self) -> str:
        """A file name for it: bulletin-2026-11-23-2026-11-29."""
        return f"bulletin-{self.first_day.isoformat()}-{self.last_day.isoformat()}"


def chinese_date(day: date) -> str:
    """2026年11月23日."""
    return f"{day.year}年{day.month}月{day.day}日"


def week_of(day: date) -> Period:
    """The Monday–Sunday week that holds day."""
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6), "week")


def month_of(day: date) -> Period:
    """The calendar month that holds day."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1), "month")


def range_of(first_day: date, last_day: date) -> Period:
    """Any range of days; named as a week or month when it is exactly one, else by its days."""
    first_day, last_day = min(first_day, last_day), max(first_day, last_day)
    for whole in (week_of(first_day), month_of(first_day)):
        if (whole.first_day, whole.last_day) == (first_day, last_day):
            return whole
    return Period(first_day, last_day, "range")


def period_for(kind: Literal["week", "month"], day: date | None, today: date) -> Period:
    """The week or month that holds day; without a day, the last complete one before today."""
    if day is not None:
        return week_of(day) if kind == "week" else month_of(day)
    if kind == "week":
        return week_of(today - timedelta(days=7))
    return month_of(today.replace(day=1) - timedelta(days=1))
