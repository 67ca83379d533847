"""What an operator watches: health and readiness, Prometheus metrics, JSON logs with request id and ticket."""
from __future__ import annotations

import json

from bot.app import create_app
from tests.conftest import make_settings, take_database_away


def test_health_and_readiness(app):
    client = app.test_client()
    assert client.get("/healthz").get_data(as_text=True) == "ok"
    assert client.get("/readyz").get_data(as_text=True) == "ready"


def test_readiness_fails_when_the_database_is_gone(app, database):
    app.extensions["civicbot"].engine.dispose()
    take_database_away(database)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and "database" in response.get_data(as_text=True)


def test_metrics_count_messages_replies_and_tickets(app, resident):
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    resident.says("提交")
    app.test_client().post("/wechat", data=b"<xml/>")  # unsigned
    body = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert 'civicbot_messages_total{type="text"}' in body
    assert 'civicbot_replies_total{outcome="refused_signature"}' in body
    assert "civicbot_webhook_seconds_bucket" in body
    assert 'civicbot_tickets{state="dispatched"} 1.0' in body and 'civicbot_jobs{state="pending"}' in body


def test_metrics_are_not_public(app, tmp_path, database):
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404
    guarded = create_app(make_settings(tmp_path, database, metrics={"token": "scrape-secret"})).test_client()
    assert guarded.get("/metrics").status_code == 401
    assert guarded.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 200


def test_logs_are_json_lines_with_request_id_and_ticket_number(app, resident):
    import io
    import logging
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # the handler create_app installed
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    reply = resident.says("提交")
    number = reply.split("编号：")[1].split("\n")[0]
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    opened = [r for r in records if r["message"].startswith("ticket opened")]
    assert opened and opened[0]["ticket"] == number and len(opened[0]["request_id"]) >= 8
