"""WeChat re-delivers unanswered messages: each must have one effect and get the same reply."""
from __future__ import annotations

import re
import threading

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models import Draft, InboundMessage, Ticket
from tests.support import signed, text_message


def replayed_count(client) -> float:
    body = client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    found = re.search(r'^civicbot_replies_total\{outcome="replayed"\} ([\d.e+]+)$', body, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_redelivered_submit_opens_one_ticket_and_repeats_the_reply(resident, sessions):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    client = resident.client
    replayed_before = replayed_count(client)
    body = text_message(resident.openid, "提交", 777001)
    replies = [client.post("/wechat", query_string=signed(), data=body).get_data(as_text=True) for _ in range(3)]
    assert "JY-" in replies[0]
    contents = [r.split("<Content><![CDATA[")[1].split("]]>")[0] for r in replies]
    assert contents[0] == contents[1] == contents[2]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1
        # The two re-deliveries came after the answer: replayed from a read, counted in the metrics, not the row.
        assert session.scalar(select(InboundMessage.deliveries).where(InboundMessage.msg_id == 777001)) == 1
    assert replayed_count(client) == replayed_before + 2


def test_same_msgid_from_two_residents_is_two_messages(resident, another_resident, sessions):
    client = resident.client
    for openid in (resident.openid, another_resident.openid):
        client.post("/wechat", query_string=signed(), data=text_message(openid, "古唐苑小区门口垃圾没人清", 4242))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 2


def test_events_are_deduplicated_by_sender_and_create_time(resident, sessions):
    body = ("<xml><ToUserName>gh</ToUserName><FromUserName>o-evt</FromUserName><CreateTime>1700000000</CreateTime>"
            "<MsgType>event</MsgType><Event>subscribe</Event></xml>")
    first = resident.client.post("/wechat", query_string=signed(), data=body).get_data(as_text=True)
    second = resident.client.post("/wechat", query_string=signed(), data=body).get_data(as_text=True)
    assert "欢迎关注" in first and first.split("<Content>")[1] == second.split("<Content>")[1]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def _deliver_at_once(url: str, body: bytes, copies: int) -> list[requests.Response]:
    barrier = threading.Barrier(copies)
    responses: list = [None] * copies

    def send(index: int) -> None:
        barrier.wait()
        responses[index] = requests.post(url, params=signed(), data=body, timeout=30)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.slow
def test_simultaneous_deliveries_in_different_workers_have_one_effect(served_bot):
    """Two gunicorn worker processes receive the same messages at the same moment."""
    openids = [f"o-burst-{n}" for n in range(6)]
    for n, openid in enumerate(openids):
        message = text_message(openid, "晋祠镇花塔村路口有人摆摊", 9000 + n)
        for response in _deliver_at_once(served_bot.url, message, 3):
            assert response.status_code == 200
    submits = []
    for n, openid in enumerate(openids):
        responses = _deliver_at_once(served_bot.url, text_message(openid, "提交", 9100 + n), 3)
        texts = {r.text.split("<Content><![CDATA[")[1].split("]]>")[0] for r in responses}
        assert len(texts) == 1 and "JY-" in texts.pop()
        submits.append(responses)
    engine = create_engine(served_bot.database)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == len(openids)
        assert session.scalar(select(func.count()).select_from(Draft)) == len(openids)
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2 * len(openids)
    engine.dispose()
