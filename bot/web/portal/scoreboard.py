"""HQ's scoreboard pages: per department and per town, as a table, charts and CSV."""
from __future__ import annotations

from datetime import date, timedelta

import pygal
from flask import render_template, request
from markupsafe import Markup

from bot.cases.scores import compute_scoreboard
from bot.infra.db import transaction
from bot.web.portal import bp, hq_required, sessions
from bot.web.portal.spreadsheet import csv_response
from bot.web.portal.views import catalogue
from models import utcnow

CHART_STYLE = pygal.style.Style(font_family="'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
                                background="white", plot_background="white")


def _period() -> tuple[date, date]:
    today = catalogue().calendar.local(utcnow()).date()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = today - timedelta(days=30)
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


def _scores():
    start, end = _period()
    with transaction(sessions()) as db:
        board = compute_scoreboard(start, end, utcnow(), session=db, catalogue=catalogue())
    return start, end, board.departments, board.towns


def _chart(title: str, scores) -> Markup:
    """On-time rate and overdue count per row, as an inline SVG from pygal (no script, no external files)."""
    chart = pygal.HorizontalBar(style=CHART_STYLE, js=[], disable_xml_declaration=True, width=760,
                                height=max(240, 40 * len(scores) + 120), legend_at_bottom=True,
                                print_values=True, value_formatter=lambda v: f"{v:.0f}")
    chart.title = title
    chart.x_labels = [s.name for s in scores]
    chart.add("按时办结率 %", [round(100 * s.on_time_rate) if s.on_time_rate is not None else None for s in scores])
    chart.add("超期件数", [s.overdue for s in scores])
    return Markup(chart.render(is_unicode=True))


@bp.get("/scores")
@hq_required
def scoreboard():
    start, end, departments, towns = _scores()
    return render_template("portal/scores.html", start=start, end=end, departments=departments, towns=towns,
                           department_chart=_chart("责任部门", departments), town_chart=_chart("镇街", towns))


@bp.get("/scores.csv")
@hq_required
def scoreboard_csv():
    start, end, departments, towns = _scores()
    header = ["类型", "名称", "受理", "办结", "按时办结率", "超期", "处置中位时长(小时)", "重开率", "满意度", "退回",
              "申请延期", "获准延期", "督办", "统计期"]
    rows = [[kind, s.name, s.received, s.closed, _pct(s.on_time_rate), s.overdue,
             f"{s.median_hours:.1f}" if s.median_hours is not None else "", _pct(s.reopen_rate), _pct(s.satisfaction),
             s.returns, s.extensions_asked, s.extensions_granted, s.urged, f"{start}~{end}"]
            for kind, scores in (("部门", departments), ("镇街", towns)) for s in scores]
    return csv_response(header, rows, f"scores-{start}-{end}.csv")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"
