"""The number registry page (HQ and the flyer categories' lead department): each number read on flyers with its
reports, towns and days, the status staff set, and the 停机 request export; and the numbers on a ticket's page."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from bot.cases.numbers import (
    STATUS_LABELS,
    STOP_REQUEST_HEADER,
    RegistryRefused,
    do_set_number_status,
    number_rows,
    numbers_on_ticket,
    stop_request_rows,
)
from bot.infra.db import transaction
from bot.photos.ocr import ocr_available
from bot.understanding.phone_numbers import KIND_NAMES
from bot.web import services
from bot.web.portal import bp, login_required, sessions
from bot.web.portal.spreadsheet import csv_response
from bot.web.portal.views import catalogue
from models import DepartmentKind, NumberStatus, Ticket

MIN_REPORTS_CHOICES = (1, 2, 3, 5, 10)


class NumberStatusForm(FlaskForm):
    status = SelectField("处置状态", choices=[SelectChoice(s.value, label) for s, label in STATUS_LABELS.items()])
    note = StringField("备注", validators=[Optional(), Length(max=500)])
    back = HiddenField()


def _categories() -> tuple[str, ...]:
    return services().settings.ocr.number_categories


def may_see_numbers() -> bool:
    """HQ, and the departments that lead the flyer categories (区城市管理局 for 违法小广告)."""
    if g.get("department") is None:
        return False
    if g.department.kind == DepartmentKind.HQ:
        return True
    categories = catalogue().categories
    return g.department.code in {categories[code].lead_department_code for code in _categories() if code in categories}


@bp.app_context_processor
def numbers_helpers():
    return {"may_see_numbers": may_see_numbers, "ticket_numbers": _ticket_numbers}


def _ticket_numbers(ticket: Ticket) -> list:
    """The numbers read in a ticket's photos, for the ticket page (portal/ticket_numbers.html)."""
    with transaction(sessions()) as db:
        return numbers_on_ticket(ticket, _categories(), session=db)


def _filters() -> tuple[datetime | None, str, int, NumberStatus | None]:
    """The list's filters from the address; anything malformed is ignored."""
    since_text = request.args.get("since", "").strip()
    try:
        day = datetime.strptime(since_text, "%Y-%m-%d")
        if day.year < 2000:   # year 1 in Beijing time is before year 1 in UTC: an OverflowError, not a filter
            raise ValueError(since_text)
    except ValueError:
        day, since_text = None, ""
    since = day.replace(tzinfo=catalogue().calendar.zone).astimezone(UTC).replace(tzinfo=None) if day else None
    minimum = request.args.get("min_reports", "1")
    min_reports = int(minimum) if minimum.isdigit() and 1 <= int(minimum) <= 1000 else 1
    status = request.args.get("status", "")
    return since, since_text, min_reports, NumberStatus(status) if status in set(NumberStatus) else None


def _rows():
    since, _, min_reports, status = _filters()
    with transaction(sessions()) as db:
        return number_rows(_categories(), session=db, since=since, min_reports=min_reports, status=status)


def _day(moment: datetime) -> str:
    return catalogue().calendar.local(moment).strftime("%Y-%m-%d")


@bp.get("/numbers")
@login_required
def numbers():
    if not may_see_numbers():
        abort(404)
    _, since_text, min_reports, status = _filters()
    rows = _rows()
    forms = {}
    for row in rows:
        form = NumberStatusForm(formdata=None, prefix=f"n{row.id}", status=row.status.value, note=row.status_note)
        form.back.data = request.full_path
        forms[row.id] = form
    town_name = catalogue().places.town_name
    return render_template("portal/numbers.html", rows=rows, forms=forms, since=since_text,
                           min_reports=min_reports, status=status.value if status else "",
                           statuses=STATUS_LABELS, kinds=KIND_NAMES, min_choices=MIN_REPORTS_CHOICES,
                           day=_day, town_name=lambda code: town_name(code) or code,
                           ocr_on=ocr_available(services().settings.ocr), query=request.query_string.decode())


@bp.post("/numbers/<int:number_id>/status")
@login_required
def number_status(number_id: int):
    if not may_see_numbers():
        abort(404)
    form = NumberStatusForm(prefix=f"n{number_id}")
    back = form.back.data if (form.back.data or "").startswith("/portal/numbers") else url_for("portal.numbers")
    if not form.validate_on_submit():
        flash("提交的表单无效（可能已过期），请重试。", "error")
        return redirect(back)
    try:
        with transaction(sessions()) as db:
            number = do_set_number_status(number_id, NumberStatus(form.status.data), form.note.data or "",
                                          g.actor, _categories(), session=db)
            shown = number.value
    except RegistryRefused as exc:
        flash(str(exc), "error")
        return redirect(back)
    flash(f"已更新：{shown} → {STATUS_LABELS[NumberStatus(form.status.data)]}", "ok")
    return redirect(back)


@bp.get("/numbers.csv")
@login_required
def numbers_csv():
    """The list as shown, in the form a 停机 request to the carriers needs."""
    if not may_see_numbers():
        abort(404)
    rows = _rows()
    town_name = catalogue().places.town_name
    names = {code: town_name(code) or code for row in rows for code in row.towns}
    return csv_response(STOP_REQUEST_HEADER, stop_request_rows(rows, names, _day),
                        f"numbers-{datetime.now(UTC):%Y%m%d}.csv")
