"""Turn a WeChat XML body into a checked Inbound record, or refuse it as malformed."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from xml.parsers.expat import ExpatError

from wechatpy import parse_message
from wechatpy.messages import UnknownMessage

MESSAGE_KINDS = {"text", "image", "voice", "video", "shortvideo", "location", "link", "event"}


class MalformedMessage(Exception):
    """The body is not a WeChat message we can read."""


@dataclass(frozen=True)
class Inbound:
    """One delivery from WeChat, with the fields civicbot uses."""

    kind: str                 # text, image, voice, video, shortvideo, location, link, event, or the unknown type
    openid: str               # FromUserName: the resident
    account: str              # ToUserName: our official account
    create_time: int
    dedupe_key: str
    body: str
    msg_id: int | None = None
    event: str = ""           # subscribe, unsubscribe, click, location, view, scan, ...
    event_key: str = ""
    content: str = ""         # text, or the voice's Recognition
    media_id: str = ""
    pic_url: str = ""
    latitude: float | None = None
    longitude: float | None = None
    label: str = ""
    known: bool = True        # False when wechatpy does not know the type


def parse_inbound(body: str) -> Inbound:
    """Parse and check the XML; raise MalformedMessage for anything we cannot trust."""
    if "<!DOCTYPE" in body or "<!ENTITY" in body:
        # WeChat never sends a DTD; refused here whatever the XML parser's version would make of its entities.
        raise MalformedMessage("a DTD in the body")
    try:
        message = parse_message(body)
    except (ExpatError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise MalformedMessage(f"unreadable XML: {type(exc).__name__}") from exc
    if message is None:
        raise MalformedMessage("empty body")
    try:
        return _fields(message, body)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise MalformedMessage(f"bad field: {type(exc).__name__}: {exc}") from exc


def _fields(message, body: str) -> Inbound:
    raw = message._data  # wechatpy keeps the parsed dict here; we read the raw type from it
    openid = _text(raw.get("FromUserName"))
    account = _text(raw.get("ToUserName"))
    kind = _text(raw.get("MsgType")).lower()
    if not openid or not kind or len(openid) > 64:
        raise ValueError("FromUserName and MsgType are required")
    create_time = int(_text(raw.get("CreateTime")) or "0")
    if create_time <= 0:
        raise ValueError("CreateTime is required")
    msg_id = int(_text(raw.get("MsgId"))) if _text(raw.get("MsgId")) else None
    known = not isinstance(message, UnknownMessage) and kind in MESSAGE_KINDS
    event = _text(raw.get("Event")).lower() if kind == "event" else ""
    if msg_id is not None:
        dedupe_key = f"msg:{msg_id}"
    elif kind == "event":
        # Two menu clicks in one second differ only by EventKey, so it is part of the key.
        dedupe_key = f"event:{create_time}:{event}:{_text(raw.get('EventKey'))}"[:100]
    else:
        dedupe_key = "body:" + hashlib.sha1(body.encode("utf-8"), usedforsecurity=False).hexdigest()
    fields: dict[str, Any] = dict(kind=kind, openid=openid, account=account, create_time=create_time,
                                  dedupe_key=dedupe_key, body=body, msg_id=msg_id, event=event, known=known)
    if not known:
        return Inbound(**fields)
    if kind == "text":
        fields["content"] = _text(raw.get("Content"))
    elif kind == "image":
        fields["media_id"] = _text(raw.get("MediaId"))[:128]
        fields["pic_url"] = _text(raw.get("PicUrl"))[:1000]
        # Without a MediaId the photo is fetched from its PicUrl; with neither there is nothing to fetch, and the
        # resident is asked kindly to send it again (handlers/unsupported.py).
        fields["known"] = bool(fields["media_id"] or fields["pic_url"])
    elif kind == "voice":
        fields["media_id"] = _text(raw.get("MediaId"))
        fields["content"] = _text(raw.get("Recognition"))
    elif kind == "location":
        fields["latitude"] = _coordinate(raw.get("Location_X"), 90)
        fields["longitude"] = _coordinate(raw.get("Location_Y"), 180)
        fields["label"] = _text(raw.get("Label"))[:200]
    elif kind == "event":
        fields["event_key"] = _text(raw.get("EventKey"))[:200]
        if event == "location":
            fields["latitude"] = _coordinate(raw.get("Latitude"), 90)
            fields["longitude"] = _coordinate(raw.get("Longitude"), 180)
    return Inbound(**fields)


def _text(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("expected text in a field")
    return value.strip()


def _coordinate(value, limit: float) -> float:
    number = float(_text(value))
    if not -limit <= number <= limit:
        raise ValueError("coordinate out of range")
    return number
