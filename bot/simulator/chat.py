"""A terminal WeChat simulator: sends signed (optionally encrypted) XML to the bot's real webhook."""
from __future__ import annotations

import hashlib
import itertools
import secrets
import shlex
import threading
import time
from pathlib import Path
from typing import TextIO
from xml.sax.saxutils import escape  # nosec B406  # it writes XML, it parses none

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.config import WeChatSettings
from bot.wechat.cdata import cdata_safe

ACCOUNT = "gh_civicbot_sim"

USAGE = """输入文字即发送文本消息。其他消息：
  /photo 图片路径        发送照片
  /loc 纬度 经度 [地点]   发送位置，例如 /loc 37.7050 112.4310 晋祠镇花塔村
  /voice 识别文字         发送语音（以微信语音识别结果代替）
  /menu REPORT|MY_TICKETS|HELP   点击菜单
  /subscribe             关注公众号
  /quit                  退出"""


def _sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


class ChatSimulator:
    """One simulated resident talking to the bot as WeChat's servers would."""

    def __init__(self, url: str, wechat: WeChatSettings, *, openid: str = "sim-resident", aes: bool = False,
                 timeout: float = 10.0, transport=None, api_root: str | None = None):
        self.url = url
        self.api_root = api_root  # the stand-in WeChat API (bot.simulator.fake_wechat_api), when one serves this demo
        # transport(url, params, body) -> (status, text); tests pass one that calls the app directly.
        self.transport = transport or self._http
        self.token = wechat.token
        self.openid = openid
        self.timeout = timeout
        self.crypto = None
        if aes:
            if len(wechat.encoding_aes_key) != 43 or not wechat.app_id:
                raise ValueError("--aes needs wechat.app_id and wechat.encoding_aes_key in the config")
            self.crypto = WeChatCrypto(self.token, wechat.encoding_aes_key, wechat.app_id)
        self._msg_ids = itertools.count(10**15 + secrets.randbelow(8 * 10**15))

    def text(self, content: str) -> str:
        return self.send("text", f"<Content><![CDATA[{cdata_safe(content)}]]></Content>")

    def voice(self, recognition: str) -> str:
        media = "sim_voice_" + secrets.token_hex(8)
        return self.send("voice", f"<MediaId><![CDATA[{media}]]></MediaId><Format><![CDATA[amr]]></Format>"
                                  f"<Recognition><![CDATA[{cdata_safe(recognition)}]]></Recognition>")

    def photo(self, path: str) -> str:
        data = Path(path).read_bytes()
        media = "sim_" + hashlib.sha1(data, usedforsecurity=False).hexdigest()[:24]
        if self.api_root:  # as the WeChat app uploads the photo before the message reaches the bot
            requests.post(f"{self.api_root}/simulator/media/{media}", data=data, timeout=self.timeout,
                          headers={"Content-Type": "image/jpeg"}).raise_for_status()
        pic_url = f"{self.api_root or 'http://127.0.0.1'}/simulator/pic/{media}.jpg"   # where the stand-in serves it
        return self.send("image", f"<PicUrl><![CDATA[{pic_url}]]></PicUrl><MediaId><![CDATA[{media}]]></MediaId>")

    def location(self, latitude: float, longitude: float, label: str = "") -> str:
        return self.send("location", f"<Location_X>{latitude}</Location_X><Location_Y>{longitude}</Location_Y>"
                                     f"<Scale>16</Scale><Label><![CDATA[{cdata_safe(label)}]]></Label>")

    def event(self, event: str, key: str = "") -> str:
        return self.send("event", f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey>",
                         with_msg_id=False)

    def send(self, msg_type: str, fields: str, *, with_msg_id: bool = True) -> str:
        """Post one message and return the bot's reply text ('' when it answers success)."""
        msg_id = f"<MsgId>{next(self._msg_ids)}</MsgId>" if with_msg_id else ""
        xml = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
               f"<FromUserName><![CDATA[{escape(self.openid)}]]></FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
               f"{fields}{msg_id}</xml>")
        return self.post_xml(xml)

    def post_xml(self, xml: str) -> str:
        timestamp, nonce = str(int(time.time())), str(10**8 + secrets.randbelow(9 * 10**8))
        params = {"timestamp": timestamp, "nonce": nonce, "signature": _sign(self.token, timestamp, nonce),
                  "openid": self.openid}
        body = xml
        if self.crypto:
            sealed = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>")
            params.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
        status, answer = self.transport(self.url, params, body.encode("utf-8"))
        if status != 200:
            raise OSError(f"the bot answered HTTP {status}: {answer[:200]}")
        return self.read_reply(answer)

    def _http(self, url: str, params: dict, body: bytes) -> tuple[int, str]:
        response = requests.post(url, params=params, data=body, timeout=self.timeout,
                                 headers={"Content-Type": "text/xml"})
        return response.status_code, response.text

    def read_reply(self, answer: str) -> str:
        if answer in ("", "success"):
            return ""
        reply = xmltodict.parse(answer)["xml"]
        if self.crypto:
            plain = self.crypto.decrypt_message(answer, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
            reply = xmltodict.parse(plain)["xml"]
        return reply.get("Content") or ""


def pushed_messages(simulator: ChatSimulator, stdout: TextIO, stop: threading.Event) -> None:
    """Print customer-service messages the bot sends this resident later (photo problems, progress)."""
    seen = 0
    while not stop.is_set():
        try:
            query: dict[str, str | int] = {"touser": simulator.openid, "after": seen}
            answer = requests.get(f"{simulator.api_root}/simulator/messages", params=query, timeout=5).json()
        except (requests.RequestException, ValueError):
            answer = {"messages": [], "next": seen}
        for message in answer["messages"]:
            content = message.get("text", {}).get("content") or f"[{message.get('msgtype')}]"
            print(f"公众号（客服消息）：{content}", file=stdout, flush=True)
        seen = answer["next"]
        stop.wait(0.5)


def run_repl(simulator: ChatSimulator, stdin: TextIO, stdout: TextIO, *, linger: float = 0.0) -> None:
    """Read lines, send each as the matching WeChat message, print the replies (and later pushes)."""
    stop = threading.Event()
    if simulator.api_root:
        threading.Thread(target=pushed_messages, args=(simulator, stdout, stop), daemon=True).start()
    try:
        _converse(simulator, stdin, stdout)
        stop.wait(linger)
    finally:
        stop.set()


def _converse(simulator: ChatSimulator, stdin: TextIO, stdout: TextIO) -> None:
    interactive = stdin.isatty()
    print(f"已连接 {simulator.url}（用户 {simulator.openid}）。输入 /help 查看用法。", file=stdout)
    for line in _lines(stdin, stdout, interactive):
        line = line.strip()
        if not line:
            continue
        if not interactive:
            print(f"你：{line}", file=stdout)
        try:
            reply = _dispatch(simulator, line)
        except SystemExit:
            return
        except (ValueError, OSError, requests.RequestException) as exc:
            print(f"（发送失败：{exc}）", file=stdout)
            continue
        if reply is not None:
            print("公众号：" + (reply or "（无回复）"), file=stdout)
        stdout.flush()


def _lines(stdin: TextIO, stdout: TextIO, interactive: bool):
    while True:
        if interactive:
            stdout.write("你：")
            stdout.flush()
        line = stdin.readline()
        if not line:
            return
        yield line


def _dispatch(simulator: ChatSimulator, line: str) -> str | None:
    if not line.startswith("/"):
        return simulator.text(line)
    command, *args = shlex.split(line)
    if command in ("/quit", "/exit"):
        raise SystemExit
    if command == "/photo" and len(args) == 1:
        return simulator.photo(args[0])
    if command == "/loc" and len(args) >= 2:
        return simulator.location(float(args[0]), float(args[1]), " ".join(args[2:]))
    if command == "/voice":
        return simulator.voice(" ".join(args))
    if command == "/menu" and len(args) == 1:
        return simulator.event("CLICK", args[0])
    if command == "/subscribe":
        return simulator.event("subscribe")
    if command == "/unsubscribe":
        return simulator.event("unsubscribe")
    print(USAGE)
    return None
