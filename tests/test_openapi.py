"""The API's OpenAPI document is a valid document, is what /api/v1/openapi.json serves, names every route of the API,
and every real answer of every route (success and error alike) fits what it says."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from sqlalchemy import select

from bot.infra.db import transaction
from bot.web.api import OPENAPI, do_issue_token
from models import ApiToken
from tests import images
from tests.test_case_portal import local_input, ticket_row

DOCUMENT = json.loads(OPENAPI.read_text(encoding="utf-8"))
PREFIX = "/api/v1"


def test_the_document_is_valid_openapi_and_is_what_the_server_serves(app):
    validate(DOCUMENT)
    served = app.test_client().get(f"{PREFIX}/openapi.json")   # no token: the document is public
    assert served.status_code == 200 and served.is_json and served.json == DOCUMENT
    assert served.headers["Cache-Control"].startswith("public")


def _documented() -> set[tuple[str, str]]:
    return {(method.upper(), PREFIX + path) for path, item in DOCUMENT["paths"].items() for method in item}


def test_every_route_of_the_api_is_documented_and_every_documented_one_exists(app):
    routes = {(method, rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX + "/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == _documented()


@pytest.fixture
def answers(app, sessions, clerk, vending_ticket) -> list:
    """A real answer of every operation, and of each error it documents, with the request that got it."""
    chen, hq = clerk("chen"), clerk("hq")
    chen.act(vending_ticket, "accept")
    hq.act(vending_ticket, "add_co_handler", note="涉及河道", department="water_affairs")
    wanted = ticket_row(sessions, vending_ticket).deadline_at + timedelta(days=3)
    chen.act(vending_ticket, "request_extension", note="摊主答应三天内搬走", deadline=local_input(sessions, wanted))
    hq.act(vending_ticket, "grant_extension", note="同意")
    chen.act(vending_ticket, "resolve", note="已清理", photos=[("after.jpg", images.jpeg())])
    with transaction(sessions) as db:
        token = do_issue_token("urban_mgmt", session=db, note="同步")
        spare = do_issue_token("urban_mgmt", session=db, note="备用")
        water = do_issue_token("water_affairs", session=db)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def call(method: str, path: str, headers=auth, **query):
        return client.open(PREFIX + path, method=method, headers=headers, query_string=query)
    first = call("GET", "/tickets", limit="1").json
    history = call("GET", f"/tickets/{vending_ticket}/history").json
    assert all(history[part] for part in ("events", "holds", "extension_requests", "co_handlers", "photos"))
    photo = next(p for p in history["photos"] if p["display"])
    tokens = call("GET", "/tokens").json["tokens"]
    spare_id = next(t["id"] for t in tokens if t["note"] == "备用")
    with sessions() as db:   # 水务's token: not 城管's to see or revoke
        water_id = db.scalar(select(ApiToken.id).where(ApiToken.department_code == "water_affairs"))
    assert spare and water and water_id
    return [
        call("GET", "/tickets"), call("GET", "/tickets", limit="1"),
        call("GET", "/tickets", cursor=first["next_cursor"]),
        call("GET", "/tickets", since="2999-01-01"), call("GET", "/tickets", status="resolved"),
        call("GET", "/tickets", limit="0"), call("GET", "/tickets", cursor="nope"), call("GET", "/tickets", since="x"),
        call("GET", "/tickets", headers={}), call("GET", "/tickets", headers={"Authorization": "Bearer cb_x"}),
        call("GET", f"/tickets/{vending_ticket}/history"), call("GET", "/tickets/JY-20000101-0001/history"),
        call("GET", f"/tickets/{vending_ticket}/history", headers={}),
        call("GET", photo["display"].removeprefix(PREFIX)), call("GET", photo["thumbnail"].removeprefix(PREFIX)),
        call("GET", "/photos/99999/display"), call("GET", f"/photos/{photo['id']}/display", headers={}),
        call("GET", "/tokens"), call("GET", "/tokens", headers={}),
        call("POST", f"/tokens/{spare_id}/revoke"), call("DELETE", f"/tokens/{spare_id}"),
        call("DELETE", f"/tokens/{water_id}"), call("POST", f"/tokens/{water_id}/revoke"),
        call("DELETE", "/tokens/1", headers={}), call("POST", "/tokens/1/revoke", headers={}), call("PUT", "/tokens/1"),
        call("GET", "/openapi.json", headers={}),
    ]


def test_every_answer_fits_the_document(answers):
    api = OpenAPI.from_dict(DOCUMENT)
    met = set()
    for response in answers:
        request = response.request
        where = f"{request.method} {request.full_path} → {response.status_code}"
        assert response.status_code < 500, where
        if response.status_code == 405:   # no operation to look up: the shape every error has
            OAS31Validator(DOCUMENT["components"]["schemas"]["Error"]).validate(response.json)
        else:
            api.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        met.add((request.method, response.status_code))
    assert {code for _method, code in met} >= {200, 400, 401, 404, 405}


def test_each_documented_status_was_met_in_a_real_answer(answers):
    """Not a document of hopes: every response the document lists (besides the catch-all) happened above."""
    met = set()
    for response in answers:
        path = response.request.path.removeprefix(PREFIX)
        for template, item in DOCUMENT["paths"].items():
            pattern = "^" + re.sub(r"\{\w+\}", r"[^/]+", template) + "$"
            if re.match(pattern, path) and response.request.method.lower() in item:
                met.add((template, response.request.method.lower(), str(response.status_code)))
    listed = {(path, method, code) for path, item in DOCUMENT["paths"].items() for method, operation in item.items()
              for code in operation["responses"] if code != "default"}
    assert listed <= met, listed - met
