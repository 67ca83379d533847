"""A scoreboard period's figures, as the portal, the CSV and the 通报 read them (filled by bot/cases/scores.py)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Score:
    """One department's, town's or person's figures for a period (谁丢分、谁受责: each charged to the holder)."""

    key: str                            # department code, town code or staff username
    name: str                           # what a reader sees ("区城市管理局", "金胜镇", "王伟（区城市管理局）")
    received: int = 0                   # dispatches that counted against them (justified returns excluded)
    resolved: int = 0                   # of those, resolved (处置完成) while they held it
    on_time: int = 0                    # resolved no later than the deadline in force
    overdue: int = 0                    # the deadline they held passed before they resolved (or still open)
    closed: int = 0                     # the ticket has been verified or closed
    returns: int = 0                    # 回退 they made
    returns_justified: int = 0          # of those, within the window and accepted by HQ (not their fault)
    extensions_asked: int = 0           # 延期 and 挂账 applications
    extensions_granted: int = 0
    reopened: int = 0                   # resolutions that were reopened (rework)
    urged: int = 0                      # 督办 / 催办 received
    hours_to_resolve: list[float] = field(default_factory=list)   # dispatch → resolved, wall-clock hours
    rated: int = 0
    satisfied: int = 0                  # rated 1 满意 or 2 基本满意

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.hours_to_resolve) if self.hours_to_resolve else None


@dataclass(frozen=True)
class OverdueCase:
    """A ticket whose deadline passed under a department, for the 通报's list of the worst."""

    number: str
    category: str                       # Chinese name
    place: str                          # location label, place text, or town
    department: str                     # the department that held the deadline (Chinese name)
    days_overdue: float                 # working-time-independent: wall-clock days past the deadline
    still_open: bool


@dataclass(frozen=True)
class UrgeRecord:
    """One 督办 HQ issued in the period."""

    number: str
    department: str
    at_local: str                       # "2026-12-01 09:30"
    message: str


@dataclass
class Totals:
    """The district's figures for the period; held, rejected, merged and HQ-only tickets in their own columns."""

    reports: int = 0                    # tickets received from residents and other channels
    dispatched: int = 0                 # tickets that reached a department
    resolved: int = 0
    closed: int = 0
    on_time: int = 0
    overdue: int = 0
    held: int = 0                       # held for HQ's review (spam or abuse suspected)
    rejected: int = 0                   # 不予受理
    merged: int = 0                     # 重复
    hq_only: int = 0                    # handled by HQ alone, never dispatched
    urges: int = 0
    rated: int = 0
    satisfied: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


@dataclass
class Scoreboard:
    """Everything the scoreboard page, its CSV and the 通报 show for one period [first_day, last_day]."""

    first_day: date                     # district calendar days, inclusive
    last_day: date
    totals: Totals
    departments: list[Score]            # ranked: best first (see rank())
    towns: list[Score]
    people: list[Score]
    categories: list[tuple[str, int]]   # (Chinese name, tickets received), most first
    overdue_cases: list[OverdueCase]    # the worst (at most scores.WORST_OVERDUE), worst first
    urges: list[UrgeRecord]             # every 督办 of the period, oldest first
    overdue_turns: int = 0              # all turns charged as overdue, of which the cases above are the worst
    overdue_still_open: int = 0         # of those, still unresolved past their deadline

    @property
    def empty(self) -> bool:
        return self.totals.reports == 0


def rank(scores: list[Score]) -> list[Score]:
    """Best first: on-time rate, then fewer overdue, then satisfaction; rows with nothing received go last."""
    def key(score: Score) -> tuple[object, ...]:
        return (score.received == 0, -(score.on_time_rate if score.on_time_rate is not None else -1),
                score.overdue, -(score.satisfaction if score.satisfaction is not None else -1), score.key)
    return sorted(scores, key=key)
