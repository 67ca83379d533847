"""A stand-in for WeChat's API servers on loopback, for the chat simulator and the tests: access tokens,
temporary media, customer-service and template messages, 企业微信 (WeCom) application messages, and faults on demand."""
from __future__ import annotations

import itertools
import logging
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

# How often the server loop checks whether close() asked it to stop (socketserver's default is 0.5 s, which every
# test that uses the fake API waited for on teardown).
POLL_SECONDS = 0.02


class FakeWeChat:
    """Serves /cgi-bin/token, /cgi-bin/media/get and /cgi-bin/message/custom/send like WeChat does, and each
    photo at its PicUrl (/simulator/pic/<media_id>.jpg) as WeChat's image host does.

    Tests set `delay` (seconds before answering), `failing` (HTTP 502 for everything)
    or put files in `media`, and read back `token_fetches` and `sent`. With app_id None
    any credentials are accepted (the chat simulator's demo mode).

    It also answers WeCom's /cgi-bin/gettoken and /cgi-bin/message/send (for corp `wecom_corp_id` with
    `wecom_secret`) and keeps what was sent in `wecom_sent`; userids in `wecom_invalid_users` come back as
    invaliduser, as for a member outside the application's visible range.
    """

    # Accepted by bandit: the stand-in's own AppSecret on loopback, for the demo and the tests; never a real account's.
    def __init__(self, app_id: str | None = "wx-test-app", secret: str = "test-secret", port: int = 0,  # nosec B107
                 on_message=None, listener: socket.socket | None = None):
        self.app_id, self.secret = app_id, secret
        self.media: dict[str, tuple[bytes, str]] = {}
        self.sent: list[dict] = []
        self.token_fetches = 0
        self.valid_tokens: set[str] = set()
        self.delay = 0.0
        self.failing = False
        self.media_failing = False              # only media/get answers 502
        self.outside_window: set[str] = set()   # openids for which custom/send answers 45015
        self.templates: list[dict] = []
        self.wecom_corp_id, self.wecom_secret = "ww-test-corp", "wecom-test-secret"
        self.wecom_sent: list[dict] = []
        self.wecom_tokens: set[str] = set()
        self.wecom_invalid_users: set[str] = set()
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        app = Flask("fake_wechat")
        app.add_url_rule("/cgi-bin/token", view_func=self._token)
        app.add_url_rule("/cgi-bin/media/get", view_func=self._media)
        app.add_url_rule("/cgi-bin/message/custom/send", view_func=self._custom_send, methods=["POST"])
        app.add_url_rule("/cgi-bin/message/template/send", view_func=self._template_send, methods=["POST"])
        app.add_url_rule("/cgi-bin/media/upload", view_func=self._upload_media, methods=["POST"])
        app.add_url_rule("/cgi-bin/gettoken", view_func=self._wecom_token)
        app.add_url_rule("/cgi-bin/message/send", view_func=self._wecom_send, methods=["POST"])
        app.add_url_rule("/simulator/media/<media_id>", view_func=self._upload, methods=["POST"])
        app.add_url_rule("/simulator/pic/<media_id>.jpg", view_func=self._picture)
        app.add_url_rule("/simulator/messages", view_func=self._messages)
        app.before_request(self._faults)
        self.on_message = on_message
        # A listening socket the caller bound already is served as it is (werkzeug ends the process when it
        # cannot bind a port itself).
        self._server = make_server("127.0.0.1", port, app, threaded=True,
                                   fd=listener.fileno() if listener else None)
        if listener:
            listener.close()   # werkzeug serves a duplicate of it
        self.base_url = f"http://127.0.0.1:{self._server.port}/cgi-bin/"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()   # returns once serve_forever has looked at its flag: within POLL_SECONDS
        self._server.server_close()

    def add_media(self, media_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        self.media[media_id] = (data, content_type)

    def expire_tokens(self) -> None:
        """Make every issued token invalid, as WeChat does when another party refreshes it."""
        with self._lock:
            self.valid_tokens.clear()

    def _faults(self):
        if request.path.startswith("/simulator/"):
            return None
        if self.delay:
            time.sleep(self.delay)
        if self.failing:
            return Response("bad gateway", status=502)
        return None

    def _token(self):
        if self.app_id is not None and (request.args.get("appid") != self.app_id
                                        or request.args.get("secret") != self.secret):
            return jsonify(errcode=40013, errmsg="invalid appid")
        with self._lock:
            self.token_fetches += 1
            token = f"TOKEN-{next(self._serial)}"
            self.valid_tokens = {token}   # a new token invalidates the old one (no overlap, the harsh case)
        return jsonify(access_token=token, expires_in=7200)

    def _wecom_token(self):
        if request.args.get("corpid") != self.wecom_corp_id or request.args.get("corpsecret") != self.wecom_secret:
            return jsonify(errcode=40013, errmsg="invalid corpid")
        with self._lock:
            token = f"WECOM-{next(self._serial)}"
            self.wecom_tokens.add(token)   # WeCom keeps earlier tokens valid until they expire
        return jsonify(errcode=0, errmsg="ok", access_token=token, expires_in=7200)

    def _wecom_send(self):
        if request.args.get("access_token") not in self.wecom_tokens:
            return jsonify(errcode=40014, errmsg="invalid access_token")
        message = request.get_json(force=True)
        invalid = [user for user in message.get("touser", "").split("|") if user in self.wecom_invalid_users]
        self.wecom_sent.append(message)
        return jsonify(errcode=0, errmsg="ok", invaliduser="|".join(invalid))

    def _authorised(self) -> bool:
        return request.args.get("access_token") in self.valid_tokens

    def _media(self):
        if self.media_failing:
            return Response("bad gateway", status=502)
        if not self._authorised():
            return jsonify(errcode=40001, errmsg="invalid credential, access_token is invalid or not latest")
        media_id = request.args.get("media_id", "")
        if media_id not in self.media:
            return jsonify(errcode=40007, errmsg="invalid media_id")
        data, content_type = self.media[media_id]
        return Response(data, content_type=content_type,
                        headers={"Content-disposition": f'attachment; filename="{media_id}.jpg"'})

    def _picture(self, media_id: str):
        """A photo by its PicUrl, as WeChat's image host (mmbiz.qpic.cn) serves it: no access token."""
        if media_id not in self.media:
            return Response("not found", status=404)
        data, content_type = self.media[media_id]
        return Response(data, content_type=content_type)

    def _upload(self, media_id: str):
        """The chat simulator puts a resident's photo here, as the WeChat app uploads it to WeChat."""
        self.add_media(media_id, request.get_data(), request.content_type or "image/jpeg")
        return jsonify(ok=True)

    def _messages(self):
        """Customer-service messages sent to one resident, from index `after` on, for the simulator to show."""
        after = request.args.get("after", 0, type=int)
        mine = [m for m in self.sent if m.get("touser") == request.args.get("touser")]
        return jsonify(messages=mine[after:], next=len(mine))

    def _upload_media(self):
        if not self._authorised():
            return jsonify(errcode=40001, errmsg="invalid credential")
        media_id = f"uploaded-{next(self._serial)}"
        upload = request.files.get("media")
        self.add_media(media_id, upload.read() if upload else b"", "image/jpeg")
        return jsonify(type=request.args.get("type", "image"), media_id=media_id, created_at=int(time.time()))

    def _template_send(self):
        if not self._authorised():
            return jsonify(errcode=40001, errmsg="invalid credential")
        self.templates.append(request.get_json(force=True))
        return jsonify(errcode=0, errmsg="ok", msgid=next(self._serial))

    def _custom_send(self):
        if not self._authorised():
            return jsonify(errcode=40001, errmsg="invalid credential")
        message = request.get_json(force=True)
        if message.get("touser") in self.outside_window:
            return jsonify(errcode=45015, errmsg="response out of time limit or subscription is canceled")
        self.sent.append(message)
        if self.on_message:
            self.on_message(message)
        return jsonify(errcode=0, errmsg="ok")


def serve_for_chat(base_url: str) -> str | None:
    """Start the stand-in WeChat API on the configured loopback port, or use the one another `civicbot chat`
    already serves there; None when the API is not on this machine or another program holds the port."""
    parts = urlsplit(base_url)
    if parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
        return None
    root = f"http://127.0.0.1:{parts.port}"
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # its request lines would clutter the chat
    try:
        # Bound here, not by werkzeug, which calls sys.exit when the port is taken.
        listener = socket.create_server(("127.0.0.1", parts.port))
    except OSError:
        if is_stand_in(root):
            return root   # another `civicbot chat` serves it: this one uses it too
        print(f"（端口 {parts.port} 已被其他程序占用：本次不模拟微信接口，照片和客服消息不可用）", file=sys.stderr)
        return None
    FakeWeChat(app_id=None, listener=listener)
    return root


def is_stand_in(root: str) -> bool:
    """Whether the server at root is this stand-in API (another simulator's)."""
    try:
        answer = requests.get(f"{root}/simulator/messages", params={"touser": ""}, timeout=2).json()
    except (requests.RequestException, ValueError):
        return False
    return isinstance(answer, dict) and "messages" in answer
