"""Property-based fuzzing of the webhook: whatever arrives, no 5xx, and a bad signature changes nothing."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import create_app
from bot.web.webhook import signature_of
from models import InboundMessage, Resident
from tests.conftest import AES_KEY, AES_TOKEN, APP_ID, copy_database, drop_database, make_settings
from tests.support import signed

pytestmark = pytest.mark.slow   # 10,000 hypothesis cases

BASE64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
CASES_PER_TEST = 2500   # four tests: 10,000 cases in all
FUZZ = settings(max_examples=CASES_PER_TEST, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

VALID = ("<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[o-fuzz]]></FromUserName>"
         "<CreateTime>1764300000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
         "<Content><![CDATA[晋祠镇花塔村路口有人摆摊]]></Content><MsgId>123456</MsgId></xml>")
HOSTILE = [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><xml>&b;</xml>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><xml/>',
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
]


def mutated(draw_bytes: bytes, positions: list[int]) -> bytes:
    body = bytearray(VALID.encode("utf-8"))
    for position, value in zip(positions, draw_bytes, strict=False):
        if body:
            body[position % len(body)] = value
    return bytes(body)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, template_database):
    folder = tmp_path_factory.mktemp("fuzz")
    database = copy_database(template_database, folder)
    yield create_app(make_settings(folder, database))
    drop_database(database)


def rows(app) -> tuple[int, int]:
    with app.extensions["civicbot"].sessions() as session:
        return (session.scalar(select(func.count()).select_from(InboundMessage)),
                session.scalar(select(func.count()).select_from(Resident)))


body_strategy = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(mutated, st.binary(min_size=1, max_size=20), st.lists(st.integers(0, 10_000), min_size=1, max_size=20)),
    st.sampled_from(HOSTILE).map(str.encode),
    st.builds(lambda field, size: VALID.replace("晋祠镇花塔村路口有人摆摊", field * size).encode("utf-8"),
              st.sampled_from(["摆", "a", "<", "]]>", "&amp;", "\x00"]), st.integers(0, 200_000)),
    st.builds(lambda encoding: VALID.encode(encoding, "ignore"), st.sampled_from(["gbk", "utf-16", "utf-32",
                                                                                   "latin-1", "big5"])),
)


@FUZZ
@given(body=body_strategy)
def test_signed_garbage_never_gets_a_5xx(fuzz_app, body):
    response = fuzz_app.test_client().post("/wechat", query_string=signed(), data=body)
    assert response.status_code < 500


@FUZZ
@given(body=body_strategy, signature=st.text(alphabet="0123456789abcdef", min_size=0, max_size=40))
def test_a_bad_signature_never_changes_anything(fuzz_app, body, signature):
    before = rows(fuzz_app)
    query = {**signed(), "signature": signature}
    response = fuzz_app.test_client().post("/wechat", query_string=query, data=body)
    assert response.status_code == 403 and rows(fuzz_app) == before


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["timestamp", "nonce", "signature", "echostr", "encrypt_type",
                                               "msg_signature", "openid"]), st.text(max_size=60), max_size=7))
def test_any_query_string_on_get_and_post_is_answered_without_a_5xx(fuzz_app, query):
    client = fuzz_app.test_client()
    assert client.get("/wechat", query_string=query).status_code < 500
    assert client.post("/wechat", query_string=query, data=VALID).status_code < 500


@pytest.fixture(scope="module")
def safe_fuzz_app(tmp_path_factory, template_database):
    folder = tmp_path_factory.mktemp("fuzz-safe")
    database = copy_database(template_database, folder)
    yield create_app(make_settings(folder, database, wechat={
        "mode": "safe", "token": AES_TOKEN, "encoding_aes_key": AES_KEY, "app_id": APP_ID}))
    drop_database(database)


@FUZZ
@given(ciphertext=st.one_of(st.binary(max_size=600).map(lambda b: __import__("base64").b64encode(b).decode()),
                            st.text(max_size=300)),
       replay_signature=st.booleans())
def test_safe_mode_with_wrong_padding_or_replayed_signatures(safe_fuzz_app, ciphertext, replay_signature):
    """Broken AES (any length, any padding) is refused; a signature replayed with another body is refused."""
    from wechatpy.crypto import _get_signature
    timestamp, nonce = "1411525903", "461056294"
    before = rows(safe_fuzz_app)
    msg_signature = ("74d92dfeb87ba7c714f89d98870ae5eb62dff26d" if replay_signature
                     else _get_signature(AES_TOKEN, timestamp, nonce, ciphertext))
    query = {"timestamp": timestamp, "nonce": nonce, "encrypt_type": "aes", "msg_signature": msg_signature,
             "signature": signature_of(AES_TOKEN, timestamp, nonce)}
    body = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    response = safe_fuzz_app.test_client().post("/wechat", query_string=query, data=body.encode("utf-8"))
    assert response.status_code in (400, 403)   # 400 when the XML around it is itself unreadable
    if replay_signature and set(ciphertext) <= BASE64:
        assert response.status_code == 403
    assert rows(safe_fuzz_app) == before
