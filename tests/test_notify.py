"""Departments hear about new tickets through their 企业微信 group robot, once the ticket is committed."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import update

from bot.notify.departments import PushFailed, push_to_department
from models import Department


class Robot:
    """A WeCom group-robot endpoint on loopback that records what it is sent."""

    def __init__(self, answer: dict | None = None, status: int = 200):
        self.received: list[dict] = []
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                robot.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                body = json.dumps(answer or {"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot():
    endpoint = Robot()
    yield endpoint
    endpoint.close()


def test_a_new_ticket_is_pushed_to_the_lead_department_and_the_town_office(app, sessions, resident, robot):
    with sessions() as session, session.begin():
        session.execute(update(Department).where(Department.code.in_(["urban_mgmt", "jinci_office"]))
                        .values(wecom_webhook=robot.url))
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    reply = resident.says("提交")
    number = reply.split("编号：")[1].split("\n")[0]
    assert len(robot.received) == 2
    for message in robot.received:
        content = message["text"]["content"]
        assert number in content and "【占道经营】" in content and "晋祠镇" in content
        assert resident.openid not in content


def test_departments_without_a_robot_get_no_push(resident, robot):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    assert "JY-" in resident.says("提交")
    assert robot.received == []


@pytest.mark.parametrize("answer, status", [({"errcode": 93000, "errmsg": "invalid webhook url"}, 200),
                                            ({"errcode": 0}, 502)])
def test_a_refused_push_raises_so_the_queue_retries_it(answer, status):
    endpoint = Robot(answer, status)
    try:
        with pytest.raises(PushFailed):
            push_to_department(endpoint.url, {"msgtype": "text", "text": {"content": "x"}})
    finally:
        endpoint.close()


def test_an_unreachable_robot_raises_so_the_queue_retries_it():
    with pytest.raises(PushFailed):
        push_to_department("http://127.0.0.1:9/unreachable", {"msgtype": "text", "text": {"content": "x"}})
