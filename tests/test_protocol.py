"""The WeChat protocol at the webhook: signatures, safe mode, message kinds and bad bodies."""
from __future__ import annotations

import pytest
import xmltodict
from sqlalchemy import select
from wechatpy.crypto import WeChatCrypto

from bot.app import create_app
from bot.web.webhook import signature_of
from models import Draft, InboundMessage
from models import Resident as ResidentRow
from tests.conftest import AES_KEY, AES_TOKEN, APP_ID, Resident, make_settings
from tests.support import count, signed

# wechatpy's safe-mode test vector (tests/test_crypto.py): decrypts to text "test" from "messense".
VECTOR_BODY = (
    "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n<Encrypt><![CDATA["
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6"
    "ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp"
    "/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS"
    "709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
    "]]></Encrypt>\n<AgentID><![CDATA[1]]></AgentID>\n</xml>")
VECTOR_QUERY = {"timestamp": "1411525903", "nonce": "461056294",
                "msg_signature": "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "encrypt_type": "aes"}

# Sample bodies as the official documentation ("接收普通消息", "接收事件推送") shows them.
DOC_SAMPLES = {
    "text": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
            "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>",
    "image": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
             "<CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType>"
             "<PicUrl><![CDATA[this is a url]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"
             "<MsgId>1234567890123456</MsgId></xml>",
    "voice": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
             "<CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
             "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[Format]]></Format>"
             "<Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123456</MsgId></xml>",
    "location": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
                "<CreateTime>1351776360</CreateTime><MsgType><![CDATA[location]]></MsgType>"
                "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
                "<Label><![CDATA[位置信息]]></Label><MsgId>1234567890123456</MsgId></xml>",
    "link": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
            "<CreateTime>1351776360</CreateTime><MsgType><![CDATA[link]]></MsgType>"
            "<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description>"
            "<Url><![CDATA[url]]></Url><MsgId>1234567890123456</MsgId></xml>",
    "subscribe": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
                 "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                 "<Event><![CDATA[subscribe]]></Event></xml>",
    "scan_subscribe": "<xml><ToUserName><![CDATA[toUser]]></ToUserName>"
                      "<FromUserName><![CDATA[FromUser]]></FromUserName><CreateTime>123456789</CreateTime>"
                      "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
                      "<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>",
    "click": "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
             "<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
             "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[HELP]]></EventKey></xml>",
}


def post(app, body, query=None):
    return app.test_client().post("/wechat", query_string=query or signed(), data=body, content_type="text/xml")


def test_signature_matches_the_official_worked_example():
    assert signature_of("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"


def test_url_verification_echoes_echostr(app):
    response = app.test_client().get("/wechat", query_string={**signed(), "echostr": "5837397520000421184"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "5837397520000421184"


def test_url_verification_with_a_bad_signature_is_refused(app):
    query = {**signed(), "echostr": "123"}
    query["signature"] = "0" * 40
    response = app.test_client().get("/wechat", query_string=query)
    assert response.status_code == 403 and "123" not in response.get_data(as_text=True)


def test_a_bad_signature_is_refused_and_changes_nothing(app, sessions):
    query = signed()
    query["signature"] = signature_of("wrong-token", query["timestamp"], query["nonce"])
    response = post(app, DOC_SAMPLES["text"].replace("this is a test", "晋祠镇花塔村有人摆摊"), query)
    assert response.status_code == 403
    assert count(sessions, InboundMessage) == count(sessions, ResidentRow) == count(sessions, Draft) == 0


@pytest.mark.parametrize("kind", sorted(DOC_SAMPLES))
def test_official_sample_messages_get_a_reply_to_the_sender(app, sessions, kind):
    response = post(app, DOC_SAMPLES[kind])
    assert response.status_code == 200
    reply = xmltodict.parse(response.get_data(as_text=True))["xml"]
    assert reply["ToUserName"].lower() == "fromuser" and reply["FromUserName"] == "toUser"
    assert reply["MsgType"] == "text" and reply["Content"]
    assert count(sessions, InboundMessage) == 1


@pytest.mark.parametrize("body", [
    b"",
    b"not xml at all",
    b"<xml><ToUserName>a</ToUserName>",                            # truncated
    b"<xml><MsgType>text</MsgType></xml>",                          # no sender
    b"<other><FromUserName>x</FromUserName></other>",               # wrong root
    b"<xml>just text</xml>",
    b"<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><CreateTime>abc</CreateTime></xml>",
    b"<xml><FromUserName>u</FromUserName><MsgType>location</MsgType><CreateTime>1</CreateTime>"
    b"<Location_X>999</Location_X><Location_Y>1</Location_Y><MsgId>5</MsgId></xml>",
    b"\xff\xfe\x00garbage",
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    b"<xml><FromUserName>&lol2;</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
    b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><FromUserName>u</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime>"
    b"<Content>&xxe;</Content><MsgId>1</MsgId></xml>",
])
def test_malformed_bodies_get_a_4xx_and_change_nothing(app, sessions, body):
    response = post(app, body)
    assert 400 <= response.status_code < 500
    assert "root:" not in response.get_data(as_text=True)
    assert count(sessions, InboundMessage) == 0


def test_an_unknown_message_type_gets_a_polite_answer(resident, sessions):
    reply = resident.send("miniprogrampage_v9", "<Title><![CDATA[x]]></Title>")
    assert "请发送文字、照片或位置" in reply
    assert count(sessions, Draft) == 0


def test_a_body_over_one_mebibyte_is_refused(app, sessions):
    huge = DOC_SAMPLES["text"].replace("this is a test", "摆摊" * 600_000)
    response = post(app, huge)
    assert response.status_code == 413
    assert count(sessions, InboundMessage) == 0


@pytest.fixture
def safe_app(tmp_path, database):
    settings = make_settings(tmp_path, database,
                             wechat={"mode": "safe", "token": AES_TOKEN, "encoding_aes_key": AES_KEY,
                                     "app_id": APP_ID})
    return create_app(settings)


def test_safe_mode_decrypts_wechatpys_vector_and_encrypts_the_reply(safe_app, sessions):
    query = {**VECTOR_QUERY, "signature": signature_of(AES_TOKEN, VECTOR_QUERY["timestamp"], VECTOR_QUERY["nonce"])}
    response = post(safe_app, VECTOR_BODY, query)
    assert response.status_code == 200
    sealed = xmltodict.parse(response.get_data(as_text=True))["xml"]
    assert set(sealed) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    crypto = WeChatCrypto(AES_TOKEN, AES_KEY, APP_ID)
    plain = crypto.decrypt_message(response.get_data(as_text=True), sealed["MsgSignature"], sealed["TimeStamp"],
                                   sealed["Nonce"])
    reply = xmltodict.parse(plain)["xml"]
    assert reply["ToUserName"] == "messense" and "随手拍" in reply["Content"]
    with safe_app.extensions["civicbot"].sessions() as session:
        assert session.scalar(select(InboundMessage.openid)) == "messense"


def test_safe_mode_round_trip_through_a_whole_report(safe_app):
    resident = Resident(safe_app, "o-safe-resident", aes=True)
    assert "【占道经营】" in resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    assert "JY-" in resident.says("提交")


def test_safe_mode_checks_msg_signature_not_signature(safe_app, sessions):
    query = {**VECTOR_QUERY, "signature": signature_of(AES_TOKEN, VECTOR_QUERY["timestamp"], VECTOR_QUERY["nonce"]),
             "msg_signature": "0" * 40}
    assert post(safe_app, VECTOR_BODY, query).status_code == 403
    assert count(sessions, InboundMessage) == 0


def test_safe_mode_refuses_plain_messages_and_broken_ciphertext(safe_app, sessions):
    assert post(safe_app, DOC_SAMPLES["text"], signed(AES_TOKEN)).status_code == 400
    broken = VECTOR_BODY.replace("RgqEoJj5", "AAAAAAAA")
    timestamp, nonce = "1411525903", "461056294"
    from wechatpy.crypto import _get_signature
    encrypt = xmltodict.parse(broken)["xml"]["Encrypt"]
    query = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes",
             "signature": signature_of(AES_TOKEN, timestamp, nonce),
             "msg_signature": _get_signature(AES_TOKEN, timestamp, nonce, encrypt)}
    assert post(safe_app, broken, query).status_code == 400
    assert count(sessions, InboundMessage) == 0


def test_plain_mode_refuses_encrypted_deliveries(app):
    query = {**signed(), "encrypt_type": "aes", "msg_signature": "x"}
    assert post(app, VECTOR_BODY, query).status_code == 400


def test_a_fault_while_answering_keeps_the_message_and_answers_kindly(app, resident, sessions, monkeypatch):
    from bot.conversation import table as conversation

    def broken(turn):
        raise RuntimeError("simulated fault in a handler")

    monkeypatch.setitem(conversation.CONVERSATION[conversation.Step.IDLE], conversation.Intent.DESCRIBE,
                        conversation.go(broken, conversation.Step.COLLECTING))
    reply = resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    assert resident.last_status == 200 and "消息已保存" in reply
    with sessions() as session:
        kept = session.scalar(select(InboundMessage))
        assert "花塔村" in kept.body and "simulated fault" in kept.error
    monkeypatch.undo()
    assert "【占道经营】" in resident.says("晋祠镇花塔村路口有人摆摊占了半条路")


CLOSER = "]]>"


@pytest.mark.parametrize("mode", ["app", "safe_app"])
def test_a_reply_parses_whatever_the_resident_typed(request, mode):
    person = Resident(request.getfixturevalue(mode), f"o-cdata-{mode}", aes=mode == "safe_app")
    # The simulator reads every reply with a real XML parser: a reply that does not parse fails here.
    first = person.text(f"晋祠镇花塔村路口有人摆摊{CLOSER}<b>占道\x07")
    assert CLOSER in first and "<b>占道" in first and "\x07" not in first
    assert CLOSER in person.location(37.715, 112.475, label=f"晋祠镇{CLOSER}花塔村")
    assert CLOSER in person.voice(f"还有垃圾{CLOSER}没人管。")
    assert CLOSER in person.text("2")  # the voice named a second problem: the bot offered to file it apart
    assert "JY-" in person.text("提交")


@pytest.mark.parametrize("event", ["subscribe_msg_popup_event", "templatesendjobfinish", "view_miniprogram"])
def test_an_event_the_bot_does_not_act_on_gets_success_and_opens_nothing(resident, sessions, event):
    assert resident.event(event) == ""    # WeChat shows nothing; a text reply to an event would be noise
    assert count(sessions, Draft) == 0
