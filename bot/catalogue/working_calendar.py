"""Compute deadlines (限期整改) on the district's working-time calendar."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SPEC = re.compile(r"^(\d+(?:\.\d+)?)\s*([hd])$")
MAX_DAYS_AHEAD = 800


def check_deadline_spec(spec: str) -> tuple[float, str]:
    """Parse "4h" (working hours) or "3d" (working days); raise ValueError otherwise."""
    match = SPEC.match(str(spec).strip())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"deadline {spec!r} must look like \"4h\" (working hours) or \"3d\" (working days)")
    return float(match.group(1)), match.group(2)


def check_calendar(calendar: dict) -> None:
    """Raise ValueError when the calendar's timezone, days or hours are unusable."""
    try:
        ZoneInfo(calendar.get("timezone", "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {calendar.get('timezone')!r}") from exc
    if not set(calendar.get("work_days", [])) <= set(range(1, 8)) or not calendar.get("work_days"):
        raise ValueError("work_days must list ISO weekdays 1..7")
    windows = _windows(calendar)
    if not windows:
        raise ValueError("work_hours must hold at least one [start, end] pair")
    for day in calendar.get("holidays", []) + calendar.get("extra_workdays", []):
        date.fromisoformat(day)


def _windows(calendar: dict) -> list[tuple[time, time]]:
    windows = []
    for start, end in calendar.get("work_hours", []):
        begin, finish = time.fromisoformat(start), time.fromisoformat(end)
        if finish <= begin:
            raise ValueError(f"work_hours window {start}-{end} ends before it starts")
        windows.append((begin, finish))
    return sorted(windows)


def _minutes(begin: time, end: time) -> float:
    return (datetime.combine(date.min, end) - datetime.combine(date.min, begin)).total_seconds() / 60


class WorkingCalendar:
    """Working days and hours, holidays and make-up working days (调休) in one timezone."""

    def __init__(self, calendar: dict):
        check_calendar(calendar)
        self.zone = ZoneInfo(calendar.get("timezone", "Asia/Shanghai"))
        self.work_days = set(calendar["work_days"])
        self.windows = _windows(calendar)
        self.holidays = {date.fromisoformat(d) for d in calendar.get("holidays", [])}
        self.extra_workdays = {date.fromisoformat(d) for d in calendar.get("extra_workdays", [])}
        self.day_minutes = sum(_minutes(b, e) for b, e in self.windows)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.isoweekday() in self.work_days and day not in self.holidays

    def due_at(self, start_utc: datetime, spec: str) -> datetime:
        """Return the naive-UTC moment when spec of working time has passed since start_utc."""
        amount, unit = check_deadline_spec(spec)
        remaining = amount * 60 if unit == "h" else amount * self.day_minutes
        cursor = start_utc.replace(tzinfo=UTC).astimezone(self.zone)
        day = cursor.date()
        for _ in range(MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                for begin, end in self.windows:
                    window_start = datetime.combine(day, begin, self.zone)
                    window_end = datetime.combine(day, end, self.zone)
                    start = max(window_start, cursor)
                    if start >= window_end:
                        continue
                    available = (window_end - start).total_seconds() / 60
                    if remaining <= available:
                        due = start + timedelta(minutes=remaining)
                        return due.astimezone(UTC).replace(tzinfo=None)
                    remaining -= available
            day += timedelta(days=1)
            cursor = datetime.combine(day, time.min, self.zone)
        raise ValueError(f"no working time within {MAX_DAYS_AHEAD} days: check the calendar")

    def local(self, moment_utc: datetime) -> datetime:
        """Convert a stored naive-UTC time to the calendar's local time."""
        return moment_utc.replace(tzinfo=UTC).astimezone(self.zone)
