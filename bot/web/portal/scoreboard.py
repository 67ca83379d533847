"""HQ's scoreboard pages: per department and per town, as a table, charts, CSV and the 通报 (Word, PDF)."""
from __future__ import annotations

import io
import re
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pygal
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from markupsafe import Markup

from bot.cases.scoreboard_figures import Scoreboard
from bot.cases.scores import compute_scoreboard
from bot.infra.db import transaction
from bot.web import services
from bot.web.portal import bp, hq_required, sessions
from bot.web.portal.filters import FIRST_DATE, LAST_DATE
from bot.web.portal.spreadsheet import csv_response
from bot.web.portal.views import catalogue
from bot.web.security_headers import csp_nonce
from models import utcnow

CHART_STYLE = pygal.style.Style(font_family="'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
                                background="white", plot_background="white")


def _period() -> tuple[date, date]:
    """The period the parameters ask for (the last 30 days when not given or malformed); 400 for a date outside
    FIRST_DATE…LAST_DATE, whose day bounds the calendar cannot compute."""
    today = catalogue().calendar.local(utcnow()).date()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = today - timedelta(days=30)
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    if not (FIRST_DATE <= start <= LAST_DATE and FIRST_DATE <= end <= LAST_DATE):
        abort(400, f"统计期的日期应在 {FIRST_DATE.year} 年至 {LAST_DATE.year} 年之间，请重新选择。")
    return (start, end) if start <= end else (end, start)


def _board(start: date, end: date, now: datetime) -> Scoreboard:
    with transaction(sessions()) as db:
        return compute_scoreboard(start, end, now, session=db, catalogue=catalogue(),
                                  return_window=timedelta(hours=services().settings.workflow.return_window_hours))


def _scores():
    start, end = _period()
    board = _board(start, end, utcnow())
    return start, end, board


NO_TICKETS = "所选时段内没有工单，暂无图表。"


SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def _svg(chart) -> Markup:
    """The chart inline, as the page's policy lets it be: its own <style> with this response's nonce, no script
    (pygal's config script does nothing without its JS), the hidden tooltip hidden by an attribute, not a style."""
    svg = SCRIPT.sub("", chart.render(is_unicode=True))
    svg = svg.replace('<style type="text/css">', f'<style nonce="{csp_nonce()}">')
    svg = svg.replace('style="opacity: 0"', 'opacity="0"')
    # Accepted by bandit: pygal builds the SVG as an XML tree, which escapes every label and title; no script is left.
    return Markup(svg)  # nosec B704


def _bar(title: str, scores, **options) -> pygal.HorizontalBar:
    # explicit_size=False leaves only a viewBox on the <svg>, so the page's CSS can scale it down to a phone.
    chart = pygal.HorizontalBar(style=CHART_STYLE, js=[], disable_xml_declaration=True, explicit_size=False,
                                width=640, height=max(220, 36 * len(scores) + 120), legend_at_bottom=True,
                                print_values=True, **options)
    chart.title = title
    chart.x_labels = [s.name for s in scores]
    return chart


def _count_ticks(top: int) -> list[int]:
    """Whole-number ticks (steps of 1, 2, 5, 10, 20, 50…) from 0 past the largest count, at most eleven of them."""
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            if top <= 10 * step:
                last = max(1, -(-top // step)) * step
                return list(range(0, last + 1, step))
        magnitude *= 10


def _charts(title: str, scores) -> list[Markup]:
    """A rates chart and a counts chart: a percentage and a number of tickets never share an axis.

    Empty when the period has no tickets here, so the page says so in words instead of drawing bare axes."""
    if not any(s.received for s in scores):
        return []
    rates = _bar(f"{title}：按时办结率（%）", scores, range=(0, 100), y_labels=list(range(0, 101, 20)),
                 value_formatter=lambda v: f"{v:.0f}")
    rates.add("按时办结率 %", [round(100 * s.on_time_rate) if s.on_time_rate is not None else None for s in scores])
    ticks = _count_ticks(max(max(s.received, s.overdue) for s in scores))
    counts = _bar(f"{title}：受理与超期（件）", scores, range=(0, ticks[-1]), y_labels=ticks,
                  value_formatter=lambda v: f"{v:.0f}")
    counts.add("受理件数", [s.received for s in scores])
    counts.add("超期件数", [s.overdue for s in scores])
    return [_svg(rates), _svg(counts)]


@bp.get("/scores")
@hq_required
def scoreboard():
    start, end, board = _scores()
    return render_template("portal/scores.html", start=start, end=end, board=board, departments=board.departments,
                           towns=board.towns, department_charts=_charts("责任部门", board.departments),
                           town_charts=_charts("镇街", board.towns), no_tickets=NO_TICKETS)


@bp.get("/scores.csv")
@hq_required
def scoreboard_csv():
    start, end, board = _scores()
    header = ["类型", "名称", "受理", "办结", "按时办结率", "超期", "处置中位时长(小时)", "重开率", "满意度", "退回",
              "申请延期", "获准延期", "督办", "统计期"]
    rows = [[kind, s.name, s.received, s.closed, _pct(s.on_time_rate), s.overdue,
             f"{s.median_hours:.1f}" if s.median_hours is not None else "", _pct(s.reopen_rate), _pct(s.satisfaction),
             s.returns, s.extensions_asked, s.extensions_granted, s.urged, f"{start}~{end}"]
            for kind, scores in (("部门", board.departments), ("镇街", board.towns), ("人员", board.people))
            for s in scores]
    return csv_response(header, rows, f"scores-{start}-{end}.csv")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/scores/bulletin.docx")
@hq_required
def scoreboard_bulletin_docx():
    """The 创城工作通报 for the shown period as Word; the period's title is its range of days (or its week/month)."""
    from bot.bulletin.fonts import NoCjkFont
    from bot.bulletin.publish import render

    period, board, now = _bulletin_figures()
    try:
        content = render(board, period, now, catalogue().calendar.zone)
    except NoCjkFont as exc:
        return _bulletin_failed(period, str(exc))
    return send_file(io.BytesIO(content), mimetype=DOCX_TYPE, as_attachment=True,
                     download_name=f"晋源区创城工作通报（{period.name}）.docx")


@bp.get("/scores/bulletin.pdf")
@hq_required
def scoreboard_bulletin_pdf():
    """The same 通报 as PDF, made by LibreOffice (a few seconds); back to the scores with the reason if it fails."""
    from bot.bulletin.fonts import NoCjkFont
    from bot.bulletin.publish import write_bulletin

    period, board, now = _bulletin_figures()
    with tempfile.TemporaryDirectory(prefix="civicbot-bulletin-") as folder:
        try:
            written = write_bulletin(board, period, now, catalogue().calendar.zone,
                                     Path(folder, f"{period.stem}.docx"))
        except NoCjkFont as exc:
            return _bulletin_failed(period, str(exc))
        if written.pdf is None:
            return _bulletin_failed(period, str(written.pdf_problem))
        content = written.pdf.read_bytes()
    return send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                     download_name=f"晋源区创城工作通报（{period.name}）.pdf")


def _bulletin_figures():
    from bot.bulletin.periods import range_of

    start, end = _period()
    now = utcnow()
    return range_of(start, end), _board(start, end, now), now


def _bulletin_failed(period, reason: str):
    flash(f"通报未能生成：{reason}", "error")
    return redirect(url_for("portal.scoreboard", **{"from": period.first_day, "to": period.last_day}))
