"""What departments and operators see: the tickets API with per-department tokens, and the CLI."""
from __future__ import annotations

import json

import pytest

from bot.infra.db import transaction
from bot.web.api import do_issue_token
from tests.conftest import HUATA_VILLAGE
from tests.support import civicbot, config_file, report


@pytest.fixture
def two_tickets(resident, another_resident):
    # The residents name the categories: these tests are about the API, not about the classifier.
    report(resident, category="占道经营")
    report(another_resident, "河里漂着好多垃圾，还有股臭味", category="河道水体", at=HUATA_VILLAGE, label="花塔村")


def token_for(sessions, code: str) -> str:
    with transaction(sessions) as session:
        return do_issue_token(code, session=session)


def tickets_seen(app, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return app.test_client().get("/api/v1/tickets", headers=headers)


def test_a_department_sees_only_its_own_tickets(app, sessions, two_tickets):
    urban = tickets_seen(app, token_for(sessions, "urban_mgmt")).get_json()
    water = tickets_seen(app, token_for(sessions, "water_affairs")).get_json()
    police = tickets_seen(app, token_for(sessions, "public_security")).get_json()
    assert [t["category"] for t in urban["tickets"]] == ["street_vending"]
    assert [t["category"] for t in water["tickets"]] == ["waterway"]
    assert police["tickets"] == []


def test_the_town_office_and_hq_see_tickets_in_their_reach(app, sessions, two_tickets):
    town = tickets_seen(app, token_for(sessions, "jinci_office")).get_json()
    hq = tickets_seen(app, token_for(sessions, "hq")).get_json()
    assert len(town["tickets"]) == 2 and len(hq["tickets"]) == 2
    assert {t["town_name"] for t in town["tickets"]} == {"晋祠镇"}


def test_the_api_never_shows_the_residents_openid(app, sessions, resident, two_tickets):
    body = tickets_seen(app, token_for(sessions, "hq")).get_data(as_text=True)
    assert resident.openid not in body and "JY-" in body


def test_missing_or_unknown_tokens_are_refused(app, two_tickets):
    assert tickets_seen(app, None).status_code == 401
    assert tickets_seen(app, "cb_not-a-real-token").status_code == 401


@pytest.fixture
def config(settings, tmp_path):
    return config_file(tmp_path / "cli.toml", settings)


def test_classify_writes_one_json_object_per_line(config):
    result = civicbot(config, "classify", input="晋祠镇花塔村路口有人摆摊占了半条路\n你好\n长风西大街有人乱停车\n")
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["category"] == "street_vending" and lines[0]["town"] == "晋祠镇"
    assert 0 < lines[0]["confidence"] <= 1
    assert lines[1] == {"category": "none", "confidence": lines[1]["confidence"], "town": None}
    assert lines[2]["category"] == "traffic_disorder" and lines[2]["town"] is None


def test_tickets_command_filters_by_department_and_status(config, two_tickets):
    result = civicbot(config, "tickets", "--department", "water_affairs", "--json")
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["category"] for r in rows] == ["waterway"] and rows[0]["status"] == "dispatched"
    assert civicbot(config, "tickets", "--status", "closed", "--json").stdout == ""
    bad = civicbot(config, "tickets", "--department", "nobody")
    assert bad.exit_code != 0 and "nobody" in bad.stderr


def test_department_token_command_prints_a_working_token(app, config, two_tickets):
    result = civicbot(config, "department", "token", "urban_mgmt")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    assert tickets_seen(app, token).get_json()["department"] == "urban_mgmt"
    assert civicbot(config, "department", "token", "nobody").exit_code != 0
