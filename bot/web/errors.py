"""Errors people can read: a Chinese page in the portal's layout with a way back, JSON with a Chinese message for the
departments' API; a form refused before its view ran (an expired CSRF token) goes to the view's keeper, which keeps
what was typed. The WeChat webhook answers in its own protocol (bot/app.py) and never comes here."""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException, InternalServerError
from wtforms.validators import ValidationError

log = logging.getLogger(__name__)
# The portal's own words for errors (residents meet only 404 on an old photo link).
ERROR_PAGES = {
    400: ("请求无效", "提交的内容或链接参数不正确，请返回后重试。"),
    401: ("需要授权", "访问此地址需要有效的凭证。"),
    403: ("无权访问", "您的账号无权查看或办理此项内容。如需权限，请联系指挥部管理员。"),
    404: ("未找到页面", "您要找的页面或工单不存在，或已转交其他单位、不在您的办理范围内。"),
    405: ("操作方式不正确", "此地址不支持这种打开方式，请从页面上的按钮或链接进入。"),
    413: ("上传内容过大", "提交的文件或内容超过了大小限制，请压缩照片或减少数量后重试。"),
    429: ("操作过于频繁", "操作过于频繁，请稍候再试。"),
    500: ("系统出错了", "系统处理时出现错误，已记录下来，请稍后重试。您刚才的操作可能没有完成，请核对后再提交。"),
    503: ("系统繁忙", "系统暂时繁忙，请稍后重试。"),
}
ERROR_OTHER = ("出错了", "请求未能完成，请返回后重试。")
FORM_EXPIRED = "页面停留时间过长，表单已过期，请重新提交（您填写的内容已保留）。"
LOGIN_EXPIRED = "登录页面已过期，请重新输入密码登录。"
# endpoint → what answers an error of that view's form instead of the plain error page (None: the plain page).
Keeper = Callable[[HTTPException], ResponseReturnValue | None]
KEEPERS: dict[str, Keeper] = {}
# Read after CSRFProtect and the upload routes' limit (install_error_pages runs last in create_app).
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# When even the layout cannot be drawn (the database is away: the layout reads it), this still can.
BARE_PAGE = ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
             "content=\"width=device-width, initial-scale=1\"><title>{title}</title></head><body><h1>{title}</h1>"
             "<p>{message}</p><p><a href=\"/portal/\">返回工单系统首页</a></p></body></html>")


# Address prefixes whose errors another door answers in its own format (Open311: the spec's errors list).
ERROR_FORMATS: dict[str, Callable[[HTTPException], ResponseReturnValue]] = {}


def keeps_form(endpoint: str) -> Callable[[Keeper], Keeper]:
    """Register the function that answers an error raised before this view's form could be handled."""
    def register(keeper: Keeper) -> Keeper:
        KEEPERS[endpoint] = keeper
        return keeper
    return register


def only_too_old() -> bool:
    """The refused form carried this session's own CSRF token, only past its lifetime: the clerk's page that sat open,
    not a request another site made up, whose choices must never be put back into a form for the clerk to submit."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    try:
        validate_csrf(request.form.get(field, ""), time_limit=ANY_AGE)
    except ValidationError:
        return False
    return True


ANY_AGE = 10 * 365 * 24 * 3600   # seconds: a token of any age, so that only its origin is checked


def install_error_pages(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _http_error)   # also every exception nobody caught (logged)
    app.before_request(_refuse_nul)


def _refuse_nul() -> None:
    """No one types a NUL character, and PostgreSQL refuses text holding one: a 400 here, not a 500 at the query."""
    if "\x00" in request.path or any("\x00" in value for value in request.args.values()) or \
            (request.mimetype in FORM_TYPES and any("\x00" in value for value in request.form.values())):
        abort(400, "提交的内容含有无效字符，请检查后重试。")


def wants_json() -> bool:
    return request.path.startswith("/api/")


def explained(error: HTTPException) -> tuple[str, str]:
    """The page's title and message: a Chinese description the code gave (abort(404, "…")), else the code's own."""
    title, message = ERROR_PAGES.get(error.code or 500, ERROR_OTHER)
    if error.description and CHINESE.search(error.description):
        message = error.description
    return title, message


def _http_error(error: HTTPException) -> ResponseReturnValue:
    for prefix, formatted in ERROR_FORMATS.items():
        if request.path.startswith(prefix):
            return formatted(error)
    keeper = KEEPERS.get(request.endpoint or "")
    if keeper is not None and not wants_json():
        kept = keeper(error)
        if kept is not None:
            return kept
    code = error.code or 500
    title, message = explained(error)
    headers = {key: value for key, value in error.get_headers() if key in ("Retry-After", "Allow", "WWW-Authenticate")}
    if wants_json():
        return jsonify({"error": code, "message": message}), code, headers
    return error_page(code, title, message), code, headers


def error_page(code: int, title: str, message: str) -> str:
    """The page in the portal's layout, with a way back that fits who is looking; the public pages' in theirs."""
    try:
        if request.path.startswith("/public/"):
            return render_template("public/error.html", code=code, title=title, message=message)
        return render_template("portal/error.html", code=code, title=title, message=message, back=_way_back())
    except Exception:
        log.exception("the error page for %s could not be drawn; answering with the bare page", code)
        return BARE_PAGE.format(title=title, message=message)


def _way_back() -> tuple[str, str] | None:
    """Where the page's link leads: the page the person came from on this site, the list, or the login."""
    if not request.path.startswith("/portal"):
        return None   # a resident's link: they go back to WeChat
    came_from = request.referrer or ""
    parts = urlsplit(came_from)
    if came_from and parts.netloc == request.host and parts.path.startswith("/portal") and came_from != request.url:
        return "返回上一页", parts.path + (f"?{parts.query}" if parts.query else "")
    if g.get("staff") is not None:
        return "返回工单列表", url_for("portal.queue")
    return "前往登录", url_for("portal.login")
