"""Deadlines run on working time: weekends, holidays and make-up working days count as a clerk would."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.catalogue.working_calendar import WorkingCalendar, check_deadline_spec

CALENDAR = {
    "timezone": "Asia/Shanghai",
    "work_days": [1, 2, 3, 4, 5],
    "work_hours": [["08:30", "12:00"], ["14:30", "17:30"]],
    "holidays": ["2026-10-01", "2026-10-02", "2026-10-05"],
    "extra_workdays": ["2026-10-10"],
}


def beijing(text: str) -> datetime:
    """A district-time moment, as the naive UTC that the database stores."""
    from zoneinfo import ZoneInfo
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC).replace(tzinfo=None)


def local(calendar: WorkingCalendar, moment: datetime) -> str:
    return calendar.local(moment).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def calendar():
    return WorkingCalendar(CALENDAR)


def test_working_hours_skip_the_lunch_break(calendar):
    assert local(calendar, calendar.due_at(beijing("2026-11-30 10:00"), "4h")) == "2026-11-30 16:30"


def test_a_friday_evening_report_is_due_on_monday(calendar):
    assert local(calendar, calendar.due_at(beijing("2026-11-27 20:00"), "4h")) == "2026-11-30 15:00"


def test_working_days_skip_holidays_and_count_make_up_saturdays(calendar):
    # Tue 29 Sep 17:30 → +3 working days: 30 Sep, (1, 2 Oct holiday, 3-4 weekend, 5 holiday), 6 Oct, 7 Oct.
    assert local(calendar, calendar.due_at(beijing("2026-09-29 17:30"), "3d")) == "2026-10-07 17:30"
    # Fri 9 Oct evening → Sat 10 Oct is a make-up working day.
    assert local(calendar, calendar.due_at(beijing("2026-10-09 18:00"), "2h")) == "2026-10-10 10:30"


@pytest.mark.parametrize("spec", ["", "4", "h", "0h", "-1d", "3w", "abc"])
def test_unreadable_deadlines_are_refused(spec):
    with pytest.raises(ValueError):
        check_deadline_spec(spec)
