"""The WeChat webhook: check the signature, decrypt, parse, answer once per message, encrypt the reply."""
from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable

from flask import Blueprint, Response, abort, request
from sqlalchemy.exc import OperationalError
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner
from werkzeug.exceptions import HTTPException

from bot import texts
from bot.config import WeChatSettings
from bot.conversation.table import respond
from bot.infra.observability import record_delivery
from bot.services import Services
from bot.web import services
from bot.web.photo_links import resident_photo_url
from bot.wechat.cdata import text_reply_xml
from bot.wechat.inbound import MalformedMessage, parse_inbound
from bot.wechat.redelivery import record_failure, reply_once

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)
SUCCESS = "success"  # what WeChat expects when there is nothing to say


def signature_of(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def check_plain_signature(token: str) -> None:
    """Refuse with 403 unless signature = sha1(sorted token, timestamp, nonce)."""
    args = request.args
    expected = signature_of(token, args.get("timestamp", ""), args.get("nonce", ""))
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged signature may be anything.
    if not hmac.compare_digest(expected.encode(), args.get("signature", "").encode("utf-8", "surrogateescape")):
        abort(403)


@bp.get("")
def verify():
    """WeChat's URL check: echo echostr when the signature is right."""
    check_plain_signature(services().settings.wechat.token)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("")
def receive():
    started = time.perf_counter()
    response, kind, outcome = _receive()
    record_delivery(kind, outcome, time.perf_counter() - started)
    return response


def _receive() -> tuple[Response, str, str]:
    """Answer one delivery; also say its message type and the outcome, for the metrics."""
    try:
        return _answer()
    except HTTPException as refused:
        outcomes: dict[int | None, str] = {403: "refused_signature", 413: "refused_too_large"}
        outcome = outcomes.get(refused.code, "refused_malformed")
        return Response(refused.description or refused.name, status=refused.code,
                        mimetype="text/plain"), "unreadable", outcome


def _answer() -> tuple[Response, str, str]:
    found = services()
    wechat = found.settings.wechat
    check_plain_signature(wechat.token)
    encrypted = request.args.get("encrypt_type", "raw").lower() == "aes"
    if encrypted != (wechat.mode == "safe") and wechat.mode != "compat":
        abort(400, "message mode does not match wechat.mode")
    body = request.get_data(cache=False)
    try:
        xml = _decrypt(body, wechat) if encrypted else body.decode("utf-8")
        inbound = parse_inbound(xml)
    except InvalidSignatureException:
        abort(403)
    except (MalformedMessage, UnicodeDecodeError, InvalidAppIdException) as exc:
        log.warning("refused a malformed delivery: %s", exc)
        abort(400)
    try:
        reply, replayed = reply_once(inbound, found.engine, lambda delivery, connection: respond(
            delivery, connection, sessions=found.sessions, jobs=found.jobs, catalogue=found.catalogue,
            settings=found.settings, photo_url=_photo_url(found)))
    except OperationalError:
        # The database stayed locked or away through the retries: 503 makes WeChat deliver again.
        log.exception("database unavailable while answering %s from %s", inbound.dedupe_key, inbound.openid)
        return Response(texts.BUSY, status=503, mimetype="text/plain"), inbound.kind, "database_unavailable"
    except Exception as exc:  # a bug: keep the message for replay and answer the resident kindly
        log.exception("failed to answer %s from %s", inbound.dedupe_key, inbound.openid)
        reply, replayed = record_failure(inbound, found.engine, texts.FAILED, f"{type(exc).__name__}: {exc}"), False
    if not reply:
        return Response(SUCCESS, mimetype="text/plain"), inbound.kind, "replayed" if replayed else "success"
    xml_reply = text_reply_xml(account=inbound.account, openid=inbound.openid, content=reply)
    if encrypted:
        xml_reply = _crypto(wechat).encrypt_message(xml_reply, request.args.get("nonce", secrets.token_hex(8)))
    return Response(xml_reply, mimetype="application/xml"), inbound.kind, "replayed" if replayed else "replied"


def _photo_url(found: Services) -> Callable[[int], str]:
    return lambda photo_id: resident_photo_url(found.settings, found.signer, photo_id)


def _crypto(wechat: WeChatSettings) -> WeChatCrypto:
    return WeChatCrypto(wechat.token, wechat.encoding_aes_key, wechat.app_id)


def _decrypt(body: bytes, wechat: WeChatSettings) -> str:
    """Check msg_signature (not signature) over the Encrypt field and decrypt it."""
    try:
        return _crypto(wechat).decrypt_message(body.decode("utf-8"), request.args.get("msg_signature", ""),
                                               request.args.get("timestamp", ""), request.args.get("nonce", ""))
    except InvalidSignatureException:
        raise
    except InvalidAppIdException:
        raise
    except Exception as exc:  # wechatpy raises bare errors for bad base64, padding or XML here
        raise MalformedMessage(f"cannot decrypt: {type(exc).__name__}") from exc
