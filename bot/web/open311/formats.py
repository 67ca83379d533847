"""Open311's two formats: the same documents as JSON or as the spec's XML, and its errors list in either."""
from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring  # nosec B405  # writes XML only, parses none

from flask import Response, request
from werkzeug.exceptions import HTTPException

JSON, XML = "json", "xml"
# The element of each item in a list, by the list's element (the spec's XML).
ITEMS = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
         "errors": "error"}
# When an error comes with no Chinese words of its own (a route that does not exist, a method it does not take).
PLAIN = {400: "请求参数不正确。", 403: "api_key 无效或已停用。", 404: "未找到：请检查地址、service_code 或编号。",
         405: "此地址不支持该请求方法。", 413: "提交内容过大。", 429: "请求过于频繁，请稍后再试。",
         500: "服务器内部错误，请稍后重试。", 503: "系统暂时繁忙，请稍后重试。"}


def answer(document: Any, root: str, fmt: str, status: int = 200) -> Response:
    """A list (root names the XML's outer element) or one object (root is its element) in the asked format."""
    # Chinese as itself, not as \u escapes or character references: what a developer reads when trying the API.
    if fmt == JSON:
        response = Response(json.dumps(document, ensure_ascii=False), content_type="application/json; charset=utf-8")
    else:
        body = '<?xml version="1.0" encoding="utf-8"?>' + tostring(_element(root, document), encoding="unicode")
        response = Response(body.encode("utf-8"), content_type="text/xml; charset=utf-8")
    response.status_code = status
    return response


def _element(name: str, value: Any) -> Element:
    element = Element(name)
    _fill(element, value)
    return element


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(SubElement(element, key), item)
    elif isinstance(value, list):
        for item in value:
            _fill(SubElement(element, ITEMS.get(element.tag, "item")), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def asked_format() -> str:
    """The format of the address (…/requests.xml), for answers given before a view ran; JSON when it names none."""
    return XML if request.path.endswith(".xml") else JSON


def error_answer(error: HTTPException) -> Response:
    """The spec's errors list: [{"code": 404, "description": "…"}] or <errors><error><code>…"""
    code = error.code or 500
    given = error.description or ""
    description = given if _chinese(given) else PLAIN.get(code, "出错了。")
    response = answer([{"code": code, "description": description}], "errors", asked_format(), code)
    for key, value in error.get_headers():
        if key in ("Retry-After", "Allow"):
            response.headers[key] = value
    return response


def _chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)
