"""The floor cost of this stack: a bare Flask + wechatpy webhook that checks the signature, parses and echoes.

Served by gunicorn in `bench/load.py` beside civicbot, so the two are measured in one run.
"""
from __future__ import annotations

from flask import Flask, Response, abort, request
from wechatpy import parse_message
from wechatpy.replies import TextReply
from wechatpy.utils import WeChatSigner

TOKEN = "civicbot-dev-token"


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/wechat")
    def echo():
        signer = WeChatSigner()
        signer.add_data(TOKEN, request.args.get("timestamp", ""), request.args.get("nonce", ""))
        if signer.signature != request.args.get("signature"):
            abort(403)
        message = parse_message(request.get_data())
        reply = TextReply(message=message, content=getattr(message, "content", "") or "收到")
        return Response(reply.render(), mimetype="application/xml")

    return app
