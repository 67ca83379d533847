"""The scoreboard and the monthly 通报 at 100,000 tickets over 90 days: how long they take, how much memory.

Run as `make bench-scores` (`--repeat N` repetitions, default 5; `--rebuild` to build the database again).

The database is SQLite, migrated by the project's migrations and loaded with the catalogue as the tests' template is.
Its 100,000 tickets carry the rows the real workflow writes for each step (`bot/cases/workflow.py`, `effects.py`,
`holds.py`): the ticket, its events (received, auto-registered and dispatched by the router, accepted, resolved,
verified and closed; returned and re-dispatched, reopened, 延期 and 挂账 asked and decided, 督办, 协办, assignment,
priority, the deadline job's warnings and escalations), each department's turn (`holds`), the `extension_requests`
and `co_handlers`. Drafts, photos and the notification outbox are left out: the scoreboard reads none of them.
The mix is a district's: most turns resolved on time, about 10 % overdue, 5 % returned to HQ and dispatched again,
3 % 延期 or 挂账, 2 % 督办, 3 % reopened, ratings on 40 % of resolutions; a few held, rejected, merged or left with HQ.

This is benchmark setup, not product code: the rows are written with SQLAlchemy Core `insert()` (executemany), as
the steps would leave them, because 100,000 tickets through the services would take hours. The built file is kept
in var/bench/ under BUILD_VERSION (change it when the generator changes) and the newest migration's revision, so
later runs reuse it and say so; each run works on a copy. Figures are printed, never asserted: the machine may be
shared and noisy.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUILD_VERSION = 1            # the generator's version: a new number builds a new database
TICKETS = 100_000
RESIDENTS = 45_000
DAYS = 90
RETURN_WINDOW = timedelta(hours=24)       # [workflow] return_window_hours' default
SEED = 20261205
CACHE = ROOT / "var" / "bench"
PASSWORD = "bench-password-1"

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

# How often each thing happens (per ticket or per department's turn).
UNROUTED = 0.04        # category 其他: HQ sorts it (most dispatched, some rejected, some kept by HQ)
NO_TOWN = 0.03         # the town is unsettled: routed, but HQ is asked to look
HELD = 0.003           # looked like spam or abuse: held for HQ's review
MERGED = 0.02          # HQ merges it into an earlier ticket of the same kind
URGENT = 0.03          # HQ raises the priority
RETURNED = 0.05        # the first department returns it to HQ (回退)
LATE = 0.1             # a turn resolved after its deadline (open turns past it add to the overdue)
EXTENSION = 0.03       # 延期 (15 % of them 挂账) asked during a turn
URGED_IF_LATE = 0.15   # 督办 on a turn that runs late ...
URGED_ANYWAY = 0.007   # ... and on one that does not
CO_HANDLER = 0.02      # 协办: HQ asks another department to help
ASSIGNED = 0.15        # the department's admin assigns it before anyone accepts
HQ_REOPENS = 0.008     # HQ's check fails: reopened
RATED = 0.43           # the resident rates the resolution: 1 满意, 2 基本满意, 3 不满意 (reopens the first time)
RATINGS = ((1, 0.64), (2, 0.30), (3, 0.06))
CATEGORY_WEIGHTS = {"street_vending": 18, "sanitation": 20, "illegal_ads": 8, "construction_site": 6,
                    "dust_pollution": 5, "traffic_disorder": 12, "illegal_construction": 4, "public_toilet": 3,
                    "waterway": 2, "public_facility": 7, "shopfront_duty": 5, "noise": 4, "uncivil_conduct": 2}
PROBLEMS = {"street_vending": ["路口有人摆摊占道", "三轮车卖菜堵住人行道", "早市摆到马路上了"],
            "sanitation": ["垃圾堆了好几天没人清", "垃圾桶满了溢出来", "路边有建筑垃圾"],
            "illegal_ads": ["电线杆上贴满小广告", "墙上喷涂办证电话"],
            "construction_site": ["工地夜间施工噪音大", "工地车辆带泥上路"],
            "dust_pollution": ["渣土车遗撒", "裸土没有覆盖，扬尘严重"],
            "traffic_disorder": ["机动车乱停占用盲道", "共享单车堆满路口"],
            "illegal_construction": ["楼顶私搭乱建", "院里违规加盖彩钢房"],
            "public_toilet": ["公厕脏乱无人打扫", "公厕锁门不开放"],
            "waterway": ["河道漂浮垃圾", "河边有排污口冒黑水"],
            "public_facility": ["井盖破损", "路灯不亮", "人行道砖松动"],
            "shopfront_duty": ["商户门前堆放杂物", "店外经营占道"],
            "noise": ["广场舞音响太吵", "商铺大喇叭叫卖"],
            "uncivil_conduct": ["遛狗不牵绳", "随地吐痰乱扔烟头"],
            "other": ["小区门口问题没人管", "请有关部门管一管"]}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞"]


class Later(Exception):
    """The next step would come after the benchmark's "now": the ticket stays where it is."""


@dataclass
class Staff:
    id: int
    username: str
    display_name: str
    department_code: str
    role: str

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"


@dataclass
class World:
    """What the generator knows: the catalogue, the staff, the clock, the rows written so far."""

    rng: random.Random
    now: datetime
    due_at: Callable[[datetime, str], datetime]
    local: Callable[[datetime], datetime]
    categories: dict[str, tuple[str, str, str]]       # code → (name, lead department, deadline spec)
    department_names: dict[str, str]
    town_names: dict[str, str]
    offices: dict[str, str]
    places: dict[str, list[str]]                       # town → place names
    staff: dict[str, list[Staff]]                      # department → its staff, admin first
    departments: list[str]                             # the functional departments (they work tickets)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    co_handlers: list[dict[str, Any]] = field(default_factory=list)
    last_of_kind: dict[tuple[str, str | None], tuple[int, str]] = field(default_factory=dict)

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def office_hours(self, moment: datetime) -> datetime:
        """moment, or the next morning's start of work if it falls in the night (departments work every day)."""
        local = self.local(moment)
        if 8 <= local.hour < 19:
            return moment
        days = 1 if local.hour >= 19 else 0
        morning = local.replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=days)
        return moment + (morning - local) + timedelta(minutes=self.rng.uniform(0, 90))


class Story:
    """One ticket's life, step by step, writing what each workflow step writes (see bot/cases/effects.py)."""

    def __init__(self, world: World, ticket: dict[str, Any]):
        self.w, self.t = world, ticket
        self.status = "received"
        self.holds: list[dict[str, Any]] = []
        self.pending: dict[str, Any] | None = None     # an extension request awaiting HQ
        self.helpers: set[str] = set()                   # its co-handling departments (协办)

    # ---- what every step writes

    def step(self, at: datetime, actor: str, action: str, to: str | None = None, reason: str = "",
             department: str | None = None) -> None:
        if at >= self.w.now:
            raise Later
        to = to or self.status
        self.w.events.append(dict(ticket_id=self.t["id"], at=at, actor=actor, from_status=self.status,
                                  to_status=to, reason=reason, action=action, department_code=department))
        self.status = self.t["status"] = to
        self.t["updated_at"] = at

    def flag(self, at: datetime, reason: str, column: str) -> None:
        if at >= self.w.now:
            raise Later
        self.w.events.append(dict(ticket_id=self.t["id"], at=at, actor="system:deadline", from_status=self.status,
                                  to_status=self.status, reason=reason, action="flag", department_code=None))
        self.t[column] = at

    @property
    def open_hold(self) -> dict[str, Any] | None:
        return next((hold for hold in self.holds if hold["ended_at"] is None), None)

    def restart_clock(self, at: datetime) -> None:
        self.t["deadline_at"] = self.w.due_at(at, self.w.categories[self.t["category_code"]][2])
        self.t["warned_at"] = self.t["escalated_at"] = None

    def start_hold(self, department: str, at: datetime) -> dict[str, Any]:
        hold = dict(id=0, ticket_id=self.t["id"], department_code=department, assignee_staff_id=None,
                    started_at=at, deadline_at=self.t["deadline_at"], ended_at=None, end=None, return_reason="",
                    return_accepted=None, reopened=False)
        self.holds.append(hold)
        self.w.holds.append(hold)
        return hold

    def end_hold(self, at: datetime, end: str, return_reason: str = "") -> None:
        hold = self.open_hold
        if hold is not None:
            hold.update(ended_at=at, end=end, return_reason=return_reason)
        self.t["urged_at"] = None
        if end != "resolved":
            self.t["assignee_staff_id"] = None
            if self.pending is not None:   # the application lapses with the turn
                self.pending.update(decided_at=at, decided_by="staff:hq-01", granted=False,
                                    decision_note="工单已转出，申请随之结束")
                self.pending = None
                self.t["extension_asked_at"] = None

    def settle_return(self, next_department: str | None) -> None:
        for hold in self.holds:
            if hold["end"] == "returned" and hold["return_accepted"] is None:
                hold["return_accepted"] = next_department != hold["department_code"]

    def assign(self, staff_id: int | None) -> None:
        self.t["assignee_staff_id"] = staff_id
        hold = self.open_hold
        if hold is not None:
            hold["assignee_staff_id"] = staff_id

    def move_deadline(self, deadline: datetime) -> None:
        self.t["deadline_at"] = deadline
        self.t["warned_at"] = self.t["escalated_at"] = None
        hold = self.open_hold
        if hold is not None:
            hold["deadline_at"] = deadline

    # ---- the workflow's steps

    def dispatch(self, at: datetime, department: str, actor: str = "staff:hq-01", note: str = "") -> None:
        names = self.w.department_names
        if actor == "system:router":
            office = self.w.offices.get(self.t["town_code"] or "")
            reason = f"派往{names[department]}" + (f"，抄送属地{names[office]}" if office else "") + \
                f"。{self.t['route_reason']}"
            self.step(at, actor, "auto_dispatch", "dispatched", reason, department)
        else:
            self.step(at, actor, "dispatch", "dispatched", "；".join(p for p in (note, f"派往{names[department]}")
                                                                     if p), department)
            self.t["lead_department_code"], self.t["needs_triage"] = department, False
        self.restart_clock(at)
        self.settle_return(department)
        self.end_hold(at, "reassigned")
        self.start_hold(department, at)

    def reopen(self, at: datetime, actor: str, note: str) -> None:
        self.step(at, actor, "reopen", "reopened", note, None if actor == "resident" else "hq")
        self.restart_clock(at)
        self.t["reopen_count"] += 1
        self.t["resolved_at"] = None
        self.t["needs_triage"] = True
        finished = [hold for hold in self.holds if hold["end"] == "resolved"]
        if finished:
            finished[-1]["reopened"] = True
        self.start_hold(self.t["lead_department_code"], at)["assignee_staff_id"] = self.t["assignee_staff_id"]

    def drop(self, at: datetime, action: str, reason: str, to: str) -> None:
        """HQ rejects or merges the ticket: whoever held it stops holding it."""
        self.step(at, "staff:hq-01", action, to, reason, "hq")
        self.settle_return(None)
        self.end_hold(at, "withdrawn")

    # ---- a life

    def live(self) -> None:
        w, t = self.w, self.t
        created = t["created_at"]
        w.events.append(dict(ticket_id=t["id"], at=created, actor="resident", from_status=None, to_status="received",
                             reason="市民通过公众号提交", action="", department_code=None))
        if t["held"]:
            if created > w.now - timedelta(days=3):
                return   # HQ has yet to review it
            at = created + w.hours(2, 30)
            if w.rng.random() < 0.7:
                self.step(at, "staff:hq-01", "reject", "rejected", "经核实为无效信息，不予受理", "hq")
                return
            self.step(at, "staff:hq-01", "register", "registered", "审核后立案", "hq")
            self.dispatch(at + w.hours(0, 1), w.categories[t["category_code"]][1])
        elif t["lead_department_code"] == "hq":
            at = w.office_hours(created + w.hours(0.3, 4))
            self.step(at, "staff:hq-01", "register", "registered", "", "hq")
            chance = w.rng.random()
            if chance < 0.15:
                self.step(at + w.hours(0.1, 2), "staff:hq-01", "reject", "rejected", "不属于城市管理事项，已告知市民",
                          "hq")
                return
            if chance < 0.22:
                return   # HQ keeps it: answered by HQ itself, never dispatched
            self.dispatch(at + w.hours(0.1, 2), w.rng.choice(w.departments), note="指挥部分拨")
        else:
            name = w.categories[t["category_code"]][0]
            self.step(created, "system:router", "auto_register", "registered",
                      f"自动立案：类别【{name}】（置信度 {t['category_confidence']:.2f}）")
            self.dispatch(created, t["lead_department_code"], actor="system:router")
            earlier = w.last_of_kind.get((t["category_code"], t["town_code"]))
            if earlier and w.rng.random() < MERGED:
                t["merged_into_id"] = earlier[0]
                self.drop(w.office_hours(created + w.hours(0.2, 4)), "merge", f"与 {earlier[1]} 重复", "merged")
                return
        if t["priority"] == "urgent":
            self.step(t["updated_at"] + w.hours(0.1, 1), "staff:hq-01", "set_priority", None,
                      "情况紧急；优先级：一般 → 紧急", "hq")
        self.work(first=True)

    def work(self, first: bool) -> None:
        """The department's turn, from its dispatch (or reopening) to a resolution, a return, or now."""
        w = self.w
        hold = self.open_hold
        assert hold is not None
        department, start = hold["department_code"], hold["started_at"]
        people = w.staff[department]
        admin, clerk = people[0], w.rng.choice(people[1:])
        accepted = w.office_hours(start + timedelta(minutes=w.rng.lognormvariate(3.3, 0.9)))
        if first and w.rng.random() < RETURNED:
            self.returned(w.office_hours(start + (w.hours(0.5, 20) if w.rng.random() < 0.75 else w.hours(26, 60))),
                          accepted, admin, clerk)
            return
        deadline = hold["deadline_at"]
        late = w.rng.random() < LATE
        resolved = max(accepted + 10 * MINUTE, start + (deadline - start) * w.rng.uniform(0.15, 0.95))
        if late:
            resolved = max(resolved, deadline + timedelta(hours=w.rng.expovariate(1 / 18))) + 10 * MINUTE
        plan: list[tuple[datetime, Callable[[datetime], None]]] = []
        if w.rng.random() < ASSIGNED:
            plan.append((accepted - w.hours(0.05, 0.5), lambda at: self.assigned(at, admin, clerk)))
        plan.append((accepted, lambda at: self.accepted(at, clerk)))
        if w.rng.random() < CO_HANDLER:
            helper = w.rng.choice([d for d in w.departments if d != department])
            plan.append((accepted + w.hours(0.5, 6), lambda at: self.co_handler(at, helper)))
        if w.rng.random() < EXTENSION and deadline > accepted:
            asked = accepted + (deadline - accepted) * w.rng.uniform(0.2, 0.7)
            decided = asked + w.hours(1, 20)
            long_term = w.rng.random() < 0.15
            proposed = deadline + timedelta(days=w.rng.uniform(20, 60) if long_term else w.rng.uniform(2, 6))
            granted = w.rng.random() < 0.8
            plan.append((asked, lambda at: self.asked(at, admin, proposed, long_term)))
            plan.append((decided, lambda at: self.decided(at, granted)))
            if granted:
                deadline = proposed
                resolved = decided + (proposed - decided) * w.rng.uniform(0.1, 0.9)
                if long_term or w.rng.random() < 0.1:
                    resolved = proposed + timedelta(hours=w.rng.expovariate(1 / 48))
            else:
                deadline += decided - asked
                resolved = max(resolved + (decided - asked), decided + HOUR)
            # the deadline job's flags follow the deadline in force once HQ has decided
            flags_from = decided
        else:
            flags_from = start
        plan += self.deadline_flags(flags_from, deadline, resolved)
        if resolved > deadline and w.rng.random() < URGED_IF_LATE:
            plan.append((deadline + (resolved - deadline) * w.rng.uniform(0.1, 0.8), self.urged))
        elif w.rng.random() < URGED_ANYWAY:
            plan.append((start + (resolved - start) * w.rng.uniform(0.3, 0.9), self.urged))
        plan.append((resolved, lambda at: self.resolved(at, clerk)))
        for at, do in sorted(plan, key=lambda item: item[0]):
            do(at)
        self.feedback(resolved)

    def deadline_flags(self, since: datetime, deadline: datetime, until: datetime) -> list[tuple[datetime, Any]]:
        """The deadline job's warning (due within 4 hours) and escalation (overdue) while the turn runs."""
        plan: list[tuple[datetime, Any]] = []
        warn = max(deadline - 4 * HOUR, since) + self.w.hours(0, 0.08)   # the job runs every 5 minutes
        if warn < until:
            plan.append((warn, lambda at: self.flag(at, "即将到期，请抓紧处置", "warned_at")))
        escalate = deadline + self.w.hours(0, 0.08)
        if since < escalate < until:
            plan.append((escalate, lambda at: self.flag(at, "已超过处理时限，升级至区创城指挥部督办", "escalated_at")))
        return plan

    def assigned(self, at: datetime, admin: Staff, clerk: Staff) -> None:
        self.step(at, admin.actor, "assign", None, f"指派给{clerk.display_name}", admin.department_code)
        self.assign(clerk.id)

    def accepted(self, at: datetime, clerk: Staff) -> None:
        self.step(at, clerk.actor, "accept", "in_progress", "", clerk.department_code)
        self.t["needs_triage"] = False
        if self.t["assignee_staff_id"] is None:
            self.assign(clerk.id)

    def co_handler(self, at: datetime, department: str) -> None:
        if department in self.helpers or department == self.t["lead_department_code"]:
            return   # the portal refuses: already helping, or the lead
        self.helpers.add(department)
        self.step(at, "staff:hq-01", "add_co_handler", None,
                  f"涉及多个部门；请{self.w.department_names[department]}协办", department)
        self.w.co_handlers.append(dict(ticket_id=self.t["id"], department_code=department, added_at=at))

    def asked(self, at: datetime, admin: Staff, proposed: datetime, long_term: bool) -> None:
        hold = self.open_hold
        assert hold is not None
        words = "需列入预算，申请挂账" if long_term else "需协调产权单位，申请延期"
        self.step(at, admin.actor, "request_long_term" if long_term else "request_extension", None,
                  f"{words}；申请延至 {self.w.local(proposed):%m月%d日 %H:%M}", admin.department_code)
        self.pending = dict(id=0, ticket_id=self.t["id"], hold=hold, kind="long_term" if long_term else "extension",
                            reason=words, proposed_deadline_at=proposed, asked_at=at, asked_by=admin.actor,
                            decided_at=None, decided_by="", granted=None, decision_note="")
        self.w.requests.append(self.pending)
        self.t["extension_asked_at"] = at

    def decided(self, at: datetime, granted: bool) -> None:
        request = self.pending
        assert request is not None
        label = "挂账" if request["kind"] == "long_term" else "延期"
        if granted:
            deadline = request["proposed_deadline_at"]
            detail = f"同意{label}，处置期限延至 {self.w.local(deadline):%m月%d日 %H:%M}"
        else:
            deadline = self.t["deadline_at"] + (at - request["asked_at"])
            detail = f"不同意{label}；审批期间不计时，处置期限顺延至 {self.w.local(deadline):%m月%d日 %H:%M}"
        self.step(at, "staff:hq-01", "grant_extension" if granted else "refuse_extension", None,
                  detail if granted else f"请按期处置；{detail}", "hq")
        request.update(decided_at=at, decided_by="staff:hq-01", granted=granted,
                       decision_note="" if granted else "请按期处置")
        self.pending = None
        self.t["extension_asked_at"] = None
        self.move_deadline(deadline)
        self.t["long_term"] = granted and request["kind"] == "long_term"

    def urged(self, at: datetime) -> None:
        self.step(at, "staff:hq-01", "urge", None, "请加快处置，尽快反馈结果", self.t["lead_department_code"])
        self.t["urged_at"] = at

    def resolved(self, at: datetime, clerk: Staff) -> None:
        self.step(at, clerk.actor, "resolve", "resolved", "已现场处置，恢复原状", clerk.department_code)
        self.t["resolved_at"] = self.t["feedback_requested_at"] = at
        self.t["rating"] = self.t["rated_at"] = None
        self.end_hold(at, "resolved")

    def returned(self, at: datetime, accepted: datetime, admin: Staff, clerk: Staff) -> None:
        w, t = self.w, self.t
        hold = self.open_hold
        assert hold is not None
        plan = self.deadline_flags(hold["started_at"], hold["deadline_at"], at)
        if accepted < at:
            plan.append((accepted, lambda when: self.accepted(when, clerk)))
        for when, do in sorted(plan, key=lambda item: item[0]):
            do(when)
        department = admin.department_code
        note = "不属于本部门职责，请指挥部改派"
        self.step(at, admin.actor, "return", "returned", note, department)
        self.end_hold(at, "returned", note)
        t["needs_triage"] = True
        decided = w.office_hours(at + w.hours(0.5, 8))
        chance = w.rng.random()
        if chance < 0.05:
            self.step(decided, "staff:hq-01", "reject", "rejected", "经核实不属于受理范围", "hq")
            self.settle_return(None)
            return
        again = department if chance < 0.25 else w.rng.choice([d for d in w.departments if d != department])
        self.dispatch(decided, again,
                      note="退回理由不成立，请继续办理" if again == department else "退回理由成立，改派")
        self.work(first=False)

    def feedback(self, resolved: datetime) -> None:
        """The resident's rating, HQ's check, or the 72-hour rule; a failed check or a 不满意 reopens once."""
        w, t = self.w, self.t
        if t["reopen_count"] == 0 and w.rng.random() < HQ_REOPENS:
            self.reopen(resolved + w.hours(2, 24), "staff:hq-01", "核查不通过：现场问题仍然存在")
            self.work(first=False)
            return
        if w.rng.random() < RATED:
            at = resolved + w.hours(0.2, 60)
            if at >= w.now:
                raise Later
            rating = w.rng.choices([r for r, _ in RATINGS], [p for _, p in RATINGS])[0]
            t["rating"], t["rated_at"] = rating, at
            if rating == 3:
                t["rating_reason"] = "问题没有解决"
                if t["reopen_count"] == 0:
                    self.reopen(at + MINUTE, "resident", "市民不满意：问题没有解决")
                    self.work(first=False)
                else:
                    t["needs_triage"], t["feedback_requested_at"] = True, None
                    self.step(at + MINUTE, "resident", "flag", None, "市民再次不满意：问题没有解决。请指挥部复核")
                return
            self.step(at, "resident", "verify", "verified",
                      f"市民确认已解决（{'满意' if rating == 1 else '基本满意'}）")
            self.step(at, "system:feedback", "close", "closed", "市民评价后结案")
        else:
            at = resolved + timedelta(hours=72) + w.hours(0, 0.08)
            self.step(at, "system:feedback", "verify", "verified", "市民未在规定时间内回复，视为核查通过")
            self.step(at, "system:feedback", "close", "closed", "自动结案")
        t["closed_at"] = at


def scratch(purpose: str) -> Path:
    """A temporary folder, removed when the process ends (a run's copy of the database is 200 MB)."""
    folder = Path(tempfile.mkdtemp(prefix=f"civicbot-scores-{purpose}-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _settings(folder: Path, database: Path) -> Any:
    """Settings for a bench database: the repo's data files, jobs run at once, no trained classifier (the scores
    never classify; tests.conftest.make_settings would train the tests' model first)."""
    from bot.config import load_config
    config = folder / "config.toml"
    config.write_text("", encoding="utf-8")
    data = {key: str(ROOT / "data" / Path(value).name)
            for key, value in dict(load_config(ROOT / "config.example.toml", environ={}).data).items()}
    return load_config(config, environ={}, overrides={
        "database": {"url": f"sqlite:///{database}"}, "queue": {"backend": "immediate"}, "data": data,
        "classifier": {"model": str(folder / "no-model.npz")}, "wechat": {"api_base_url": "http://127.0.0.1:9/"}})


def build(path: Path) -> dict[str, Any]:
    """Migrate a new database at path, load the catalogue and staff, write the tickets; return what it holds."""
    from sqlalchemy import insert, select

    from bot.cases.staff import do_add_staff
    from bot.catalogue.loading import do_load_catalogue, read_catalogue
    from bot.catalogue.snapshot import load_snapshot
    from bot.infra.db import make_engine, make_sessionmaker, migrate, transaction
    from models import (
        CoHandler,
        Department,
        DepartmentKind,
        ExtensionRequest,
        GazetteerEntry,
        Hold,
        Resident,
        StaffAccount,
        Ticket,
        TicketCounter,
        TicketEvent,
        utcnow,
    )
    from tests.support import enrol_totp

    started = time.perf_counter()
    folder = scratch("build")
    settings = _settings(folder, path)
    migrate(settings)
    engine = make_engine(settings)
    sessions = make_sessionmaker(engine)
    rng = random.Random(SEED)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    with transaction(sessions) as session:
        do_load_catalogue(read_catalogue(settings), session=session)
        do_add_staff("hq", "hq", "admin", PASSWORD, session=session, display_name="指挥部值班")
        catalogue = load_snapshot(session=session)
        kinds = {d.code: d.kind for d in session.scalars(select(Department))}
        places: dict[str, list[str]] = {}
        for entry in session.scalars(select(GazetteerEntry)):
            places.setdefault(entry.town_code, []).append(entry.name)
    enrol_totp(sessions, "hq")   # an HQ admin must have TOTP; Clerk.login gives the code
    routing = catalogue.routing
    departments = [code for code, kind in kinds.items() if kind == DepartmentKind.DEPARTMENT]
    staff: dict[str, list[Staff]] = {}
    staff_rows = []
    names = iter(rng.sample([s + g + h for s in SURNAMES for g in GIVEN for h in ["", *GIVEN]], 200))
    for code, kind in kinds.items():
        people = 3 if kind == DepartmentKind.HQ else 6 if kind == DepartmentKind.DEPARTMENT else 1
        for n in range(people):
            role = "admin" if n == 0 or kind == DepartmentKind.HQ else "staff"
            person = Staff(len(staff_rows) + 1000, f"{code}-{n + 1:02d}", next(names), code, role)
            staff.setdefault(code, []).append(person)
            staff_rows.append(dict(id=person.id, username=person.username, display_name=person.display_name,
                                   password_hash="!bench", department_code=code, role=role, active=True,
                                   session_generation=0, created_at=now - timedelta(days=DAYS + 30)))
    world = World(rng, now, catalogue.calendar.due_at, catalogue.calendar.local,
                  {code: (c.name, c.lead_department_code, c.deadline) for code, c in catalogue.categories.items()},
                  routing.department_names, routing.town_names, routing.office_by_town, places, staff, departments)
    residents = [dict(id=n, openid=f"o-bench-{n:06d}", subscribed=True, created_at=now - timedelta(days=DAYS + 30),
                      blocked=False) for n in range(1, RESIDENTS + 1)]
    towns = list(routing.town_names)
    categories = [*CATEGORY_WEIGHTS, "other"]
    weights = [*CATEGORY_WEIGHTS.values(), sum(CATEGORY_WEIGHTS.values()) * UNROUTED / (1 - UNROUTED)]
    created_times = []
    while len(created_times) < TICKETS:
        moment = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        if 7 <= world.local(moment).hour < 23 or rng.random() < 0.15:   # few reports at night
            created_times.append(moment.replace(microsecond=0))
    created_times.sort()
    counters: dict[str, int] = {}
    for ticket_id, created in enumerate(created_times, start=1):
        category = rng.choices(categories, weights)[0]
        town = None if rng.random() < NO_TOWN else rng.choice(towns)
        lead = routing.lead_by_category[category]
        place = rng.choice(places.get(town or "", ["路口"]))
        day = f"{world.local(created):%Y%m%d}"
        counters[day] = counters.get(day, 0) + 1
        held = rng.random() < HELD
        reason = (f"【{routing.category_names[category]}】主管部门：{routing.department_names[lead]}"
                  if lead != "hq" else f"【{routing.category_names[category]}】无主管部门，转区创城指挥部分拨")
        reason += (f"；属地：{routing.town_names[town]}（文字中的地名：{place}）" if town
                   else "；属地未确定（无位置），待指挥部确认")
        ticket = dict(
            id=ticket_id, number=f"JY-{day}-{counters[day]:04d}",   # 30 % from 2,000 residents who report often
            resident_id=rng.randrange(1, 2_001) if rng.random() < 0.3 else rng.randrange(1, RESIDENTS + 1),
            draft_id=None, description=f"{place}{rng.choice(PROBLEMS[category])}", category_code=category,
            category_confidence=round(rng.uniform(0.55, 0.99), 2),
            latitude=37.70 + rng.uniform(-0.08, 0.08) if town else None,
            longitude=112.45 + rng.uniform(-0.06, 0.06) if town else None,
            location_label=place if rng.random() < 0.6 else "", place_text=place, town_code=town,
            lead_department_code=lead, status="received", needs_triage=held or lead == "hq" or town is None,
            held=held, route_reason=("【待审核：疑似骚扰】" if held else "") + reason,
            deadline_at=world.due_at(created, world.categories[category][2]), created_at=created,
            updated_at=created, warned_at=None, escalated_at=None, resolved_at=None, closed_at=None, reopen_count=0,
            feedback_requested_at=None, rating=None, rating_reason="", rated_at=None, merged_into_id=None,
            assignee_staff_id=None, priority="urgent" if rng.random() < URGENT else "normal", urged_at=None,
            extension_asked_at=None, long_term=False)
        world.tickets.append(ticket)
        with contextlib.suppress(Later):   # the rest of its life is after now
            Story(world, ticket).live()
        world.last_of_kind[(category, town)] = (ticket_id, ticket["number"])
    for hold_id, hold in enumerate(sorted(world.holds, key=lambda h: h["started_at"]), start=1):
        hold["id"] = hold_id
    for request_id, request in enumerate(world.requests, start=1):
        request.update(id=request_id, hold_id=request.pop("hold")["id"])
    world.events.sort(key=lambda e: e["at"])   # ids in time order, as the real log has them
    generated = time.perf_counter() - started
    with engine.begin() as connection:
        for model, rows in ((StaffAccount, staff_rows), (Resident, residents), (Ticket, world.tickets),
                            (Hold, sorted(world.holds, key=lambda h: h["id"])), (ExtensionRequest, world.requests),
                            (CoHandler, world.co_handlers), (TicketEvent, world.events),
                            (TicketCounter, [dict(day=d, last=n) for d, n in counters.items()])):
            for begin in range(0, len(rows), 20_000):
                connection.execute(insert(model), rows[begin:begin + 20_000])
    engine.dispose()   # the last connection checkpoints the WAL into the file
    return {"version": BUILD_VERSION, "now": now.isoformat(), "tickets": len(world.tickets),
            "events": len(world.events), "holds": len(world.holds), "extension_requests": len(world.requests),
            "co_handlers": len(world.co_handlers), "generate_seconds": round(generated, 1),
            "build_seconds": round(time.perf_counter() - started, 1)}


def cached_database(rebuild: bool) -> tuple[Path, dict[str, Any]]:
    """The built database for BUILD_VERSION and the newest migration, built now if missing (or if asked), and what
    it holds. A new migration (an index, say) builds a new one, so the figures are always on today's schema."""
    from alembic.script import ScriptDirectory

    from bot.infra.db import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    path = CACHE / f"scores-v{BUILD_VERSION}-schema{head}.db"
    about = path.with_suffix(".json")
    if path.exists() and about.exists() and not rebuild:
        facts = json.loads(about.read_text(encoding="utf-8"))
        print(f"reusing {path.relative_to(ROOT)} (built {facts['now']} UTC in {facts['build_seconds']} s; "
              f"--rebuild to build it again)")
        return path, facts
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob("*scores-v*"):   # other versions, and what a build that stopped half-way left
        stale.unlink()
    partial = path.with_name(f"building-{path.name}")
    print(f"building {path.relative_to(ROOT)}: {TICKETS:,} tickets over {DAYS} days …", flush=True)
    facts = build(partial)
    partial.replace(path)
    for leftover in CACHE.glob("building-*"):   # the engine's writer lock file
        leftover.unlink()
    about.write_text(json.dumps(facts, indent=1), encoding="utf-8")
    print(f"built in {facts['build_seconds']} s (histories generated in {facts['generate_seconds']} s, "
          f"the rest migrating and inserting)")
    return path, facts


def describe(sessions: Any, now: datetime) -> str:
    """What the database holds, counted from its rows: the mix the figures are about."""
    from sqlalchemy import func, or_, select

    from models import CoHandler, ExtensionRequest, Hold, Ticket, TicketEvent

    with sessions() as session:
        count = lambda *where: session.scalar(select(func.count()).select_from(where[0]).where(*where[1:]))  # noqa: E731
        tickets, turns = count(Ticket), count(Hold)
        overdue = count(Hold, or_(Hold.ended_at > Hold.deadline_at,
                                  (Hold.ended_at.is_(None)) & (Hold.deadline_at < now)))
        returned = count(Hold, Hold.end == "returned")
        reopened = count(Hold, Hold.reopened.is_(True))
        resolutions = count(Hold, Hold.end == "resolved")
        extended = session.scalar(select(func.count(func.distinct(ExtensionRequest.hold_id))))
        urged = session.scalar(select(func.count(func.distinct(TicketEvent.ticket_id)))
                               .where(TicketEvent.action == "urge"))
        rated = count(Ticket, Ticket.rating.is_not(None))
        statuses = dict(session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
        events, requests, helpers = count(TicketEvent), count(ExtensionRequest), count(CoHandler)
    pct = lambda part, whole: f"{100 * part / whole:.1f} %"  # noqa: E731
    shown = ", ".join(f"{status} {n:,}" for status, n in sorted(statuses.items(), key=lambda item: -item[1]))
    return (f"{tickets:,} tickets, {events:,} events, {turns:,} turns (holds), {requests:,} extension requests, "
            f"{helpers:,} co-handlers\n"
            f"turns: {pct(overdue, turns)} overdue, {pct(returned, turns)} returned, {pct(extended, turns)} with "
            f"延期/挂账, {pct(reopened, resolutions)} of resolutions reopened; tickets: {pct(urged, tickets)} urged, "
            f"{pct(rated, tickets)} rated\nstatuses: {shown}")


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    """(first run's seconds, the next `repeat` runs' seconds, the last result)."""
    begin = time.perf_counter()
    result = action()
    first = time.perf_counter() - begin
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - begin)
    return first, times, result


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM where Linux gives it (getrusage's maxrss carries a parent's peak
    across fork and exec), else maxrss."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_probe(database: str, first: str, last: str, now: str) -> None:
    """In a fresh interpreter: the growth of peak RSS, then tracemalloc's peak, computing one scoreboard."""
    from bot.cases.scores import compute_scoreboard
    from bot.catalogue.snapshot import load_snapshot
    from bot.infra.db import make_engine, make_sessionmaker

    folder = scratch("memory")
    sessions = make_sessionmaker(make_engine(_settings(folder, Path(database))))
    with sessions() as session:
        catalogue = load_snapshot(session=session)
    days, moment = (date.fromisoformat(first), date.fromisoformat(last)), datetime.fromisoformat(now)
    before = peak_rss_mb()
    with sessions() as session:
        compute_scoreboard(*days, moment, session=session, catalogue=catalogue, return_window=RETURN_WINDOW)
    after = peak_rss_mb()
    tracemalloc.start()
    with sessions() as session:
        compute_scoreboard(*days, moment, session=session, catalogue=catalogue, return_window=RETURN_WINDOW)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"rss_before_mb": before, "rss_after_mb": after, "traced_peak_mb": peak / 2**20}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each figure after a first, untimed one")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it is cached")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF (LibreOffice), the slowest figure")
    parser.add_argument("--memory-probe", nargs=4, metavar=("DATABASE", "FIRST", "LAST", "NOW"), help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.memory_probe:
        memory_probe(*options.memory_probe)
        return
    import logging

    from bot.app import create_app
    from bot.bulletin.periods import period_for, range_of
    from bot.bulletin.publish import render, write_bulletin
    from bot.cases.scores import compute_scoreboard
    from bot.catalogue.snapshot import load_snapshot
    from bot.infra.db import make_engine, make_sessionmaker
    from tests.support import Clerk

    logging.disable(logging.WARNING)
    cached, facts = cached_database(options.rebuild)
    folder = scratch("bench")
    database = folder / "civicbot.db"
    shutil.copy(cached, database)   # the run logs in and so writes: the cached file stays as built
    settings = _settings(folder, database)
    sessions = make_sessionmaker(make_engine(settings))
    now = datetime.fromisoformat(facts["now"])
    print(describe(sessions, now))
    with sessions() as session:
        catalogue = load_snapshot(session=session)
    today = catalogue.calendar.local(now).date()
    month = period_for("month", None, today)
    whole = range_of(catalogue.calendar.local(now - timedelta(days=DAYS)).date(), today)
    zone = catalogue.calendar.zone
    rows: list[tuple[str, int, float, list[float]]] = []

    def scoreboard(first: date, last: date) -> Any:
        with sessions() as session:
            return compute_scoreboard(first, last, now, session=session, catalogue=catalogue,
                                      return_window=RETURN_WINDOW)

    boards = {}
    for label, period in (("month", month), ("90-day", whole)):
        first, times, boards[label] = timed(lambda p=period: scoreboard(p.first_day, p.last_day), options.repeat)
        rows.append((f"scoreboard, {label} ({period.first_day}…{period.last_day})", boards[label].totals.reports,
                     first, times))
    for label, period in (("month", month), ("90-day", whole)):
        board = boards[label]
        first, times, _ = timed(lambda b=board, p=period: render(b, p, now, zone), options.repeat)
        rows.append((f"通报 DOCX from the {label} scoreboard ({len(board.urges)} 督办 rows)", board.totals.reports,
                     first, times))
    first, times, _ = timed(lambda: render(scoreboard(month.first_day, month.last_day), month, now, zone),
                            options.repeat)
    rows.append(("monthly 通报 end to end (scoreboard + DOCX)", boards["month"].totals.reports, first, times))
    pdf_note = ""
    if options.no_pdf:
        pdf_note = "PDF: skipped (--no-pdf)"
    elif shutil.which("soffice") is None:
        pdf_note = "PDF: not timed, LibreOffice (soffice) is not installed (`make documents`)"
    else:
        pdf_times = []
        for n in range(2):
            written = write_bulletin(boards["month"], month, now, zone, folder / f"month-{n}.docx")
            if written.pdf is None:
                pdf_note = f"PDF: not made: {written.pdf_problem}"
                break
            pdf_times.append(written.pdf_seconds)
        if pdf_times:
            rows.append(("monthly 通报 PDF, LibreOffice (DOCX → PDF; 2 runs)", boards["month"].totals.reports,
                         pdf_times[0], pdf_times[1:]))
    app = create_app(settings)
    hq = Clerk(app, "hq")
    assert hq.login(PASSWORD).status_code == 302, "the bench's HQ account could not log in"
    for label, period in (("month", month), ("90-day", whole)):
        path = f"/portal/scores?from={period.first_day}&to={period.last_day}"

        def page(path: str = path) -> None:
            response = hq.page(path)
            assert response.status_code == 200, (path, response.status_code)
        first, times, _ = timed(page, options.repeat)
        rows.append((f"HQ's page {path}", boards[label].totals.reports, first, times))
    probe = subprocess.run([sys.executable, __file__, "--memory-probe", str(database), str(whole.first_day),
                            str(whole.last_day), now.isoformat()], capture_output=True, text=True)
    if probe.returncode:
        sys.exit(f"the memory probe failed:\n{probe.stderr}")
    memory = json.loads(probe.stdout.strip().splitlines()[-1])

    print(f"\nseconds, SQLite, {facts['tickets']:,} tickets over {DAYS} days up to {now:%Y-%m-%d %H:%M} UTC; "
          f"first run, then median and min of {options.repeat}:")
    print(f"  {'':<62} {'tickets':>8} {'first':>7} {'median':>7} {'min':>7} {'per 10k':>8}")
    for title, tickets, first, times in rows:
        middle, least = (statistics.median(times), min(times)) if times else (first, first)
        print(f"  {title:<62} {tickets:>8,} {first:>7.2f} {middle:>7.2f} {least:>7.2f} "
              f"{middle / tickets * 10_000:>8.3f}")
    if pdf_note:
        print(f"  {pdf_note}")
    print(f"  memory, 90-day scoreboard in a fresh process: peak RSS {memory['rss_before_mb']:.0f} → "
          f"{memory['rss_after_mb']:.0f} MB (+{memory['rss_after_mb'] - memory['rss_before_mb']:.0f}); "
          f"Python's own peak (tracemalloc) {memory['traced_peak_mb']:.0f} MB")
    median = {title: statistics.median(times) if times else first for title, _, first, times in rows}
    month_s, whole_s = median[rows[0][0]], median[rows[1][0]]
    ticket_ratio = boards["90-day"].totals.reports / boards["month"].totals.reports
    page_month = next(value for title, value in median.items() if title.startswith("HQ's page"))
    print("ratios (steadier than the seconds on a busy machine):")
    print(f"  90 days / month: {whole_s / month_s:.2f}× the time for {ticket_ratio:.2f}× the tickets")
    print(f"  HQ's month page / the month's scoreboard: {page_month / month_s:.2f}")
    print(f"  the month's DOCX / the month's scoreboard: {median[rows[2][0]] / month_s:.2f}")


if __name__ == "__main__":
    main()
