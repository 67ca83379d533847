"""Open311 GeoReport v2 at /open311/v2: services and their questions, requests filed by a client's key through the
same case service as a chat report, the public listing, tokens, and errors in the spec's format."""
from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import prcoords
import pytest
from sqlalchemy import select

from bot.cases.open311_clients import do_create_client
from bot.infra.db import transaction
from models import (
    AccountEvent,
    Notification,
    Open311Request,
    Photo,
    PhotoKind,
    Resident,
    Ticket,
    TicketEvent,
    TicketStatus,
    utcnow,
)
from tests import images
from tests.conftest import HUATA_VILLAGE
from tests.support import add_staff, civicbot, config_file, logged_in, report, ticket_number

V2 = "/open311/v2"
JURISDICTION = "jinyuan.taiyuan"
# Where 花塔村 is for a client that speaks WGS-84 (GPS, OpenStreetMap, FixMyStreet); the bot stores GCJ-02.
HUATA_WGS84 = tuple(round(c, 6) for c in prcoords.gcj_wgs_bored(HUATA_VILLAGE, True))
FLYER_WORDS = "路口电线杆上贴满了办证小广告"


def key_for(sessions, name: str = "FixMyStreet 太原", per_hour: int = 60) -> str:
    with transaction(sessions) as session:
        return do_create_client(name, reports_per_hour=per_hour, now=utcnow(), session=session)[1]


def xml(response) -> ElementTree.Element:
    assert response.mimetype == "text/xml", response.get_data(as_text=True)
    return ElementTree.fromstring(response.get_data())


def fixmystreet_form(api_key: str, **changes) -> dict:
    """The form FixMyStreet's Open311.pm posts to a council's requests.xml: its extended description (title,
    detail, the report's address on FixMyStreet), the reporter's names split, e-mail and phone, lat/long
    truncated, the photo's address, and its extra fields as attribute[…]."""
    form = {
        "jurisdiction_id": JURISDICTION, "api_key": api_key,
        "description": "路口有人摆摊占道\n\n晋祠镇花塔村路口早上七点起就有人摆摊，车过不去\n\n"
                       "https://fixmystreet.example/report/4711\n",
        "service_code": "street_vending", "first_name": "Wei", "last_name": "Zhang", "phone": "13812345678",
        "email": "zhang.wei@example.com", "lat": f"{HUATA_WGS84[0]:.6f}", "long": f"{HUATA_WGS84[1]:.6f}",
        "media_url": "https://fixmystreet.example/photo/4711.0.full.jpeg",
        "attribute[blocking_road]": "yes", "attribute[report_url]": "https://fixmystreet.example/report/4711",
        "attribute[title]": "路口有人摆摊占道",
    }
    return {**form, **changes}


def post(app, fmt: str = "xml", **form):
    return app.test_client().post(f"{V2}/requests.{fmt}", data=form)


def filed_number(response) -> str:
    """What FixMyStreet reads from the answer: service_requests/request/service_request_id."""
    request = xml(response).find("request")
    assert request is not None and request.findtext("service_request_id"), response.get_data(as_text=True)
    return request.findtext("service_request_id")


# Services ---------------------------------------------------------------------------------------------------------

def test_the_categories_are_the_services_in_json_and_xml(app):
    client = app.test_client()
    listed = client.get(f"{V2}/services.json").get_json()
    by_code = {item["service_code"]: item for item in listed}
    assert by_code["street_vending"]["service_name"] == "占道经营"
    assert by_code["street_vending"]["group"] == "区城市管理局"
    assert by_code["illegal_ads"]["metadata"] is True and by_code["noise"]["metadata"] is False
    assert "摆摊" in by_code["street_vending"]["keywords"]
    services = xml(client.get(f"{V2}/services.xml", query_string={"jurisdiction_id": JURISDICTION}))
    assert services.tag == "services"
    assert [s.findtext("service_code") for s in services.findall("service")] == list(by_code)
    assert services.find("service[service_code='illegal_ads']/metadata").text == "true"


def test_a_service_definition_lists_its_questions(app):
    client = app.test_client()
    flyers = client.get(f"{V2}/services/illegal_ads.json").get_json()
    assert flyers["service_code"] == "illegal_ads"
    assert [a["code"] for a in flyers["attributes"]] == ["flyer_phone"]
    assert flyers["attributes"][0]["datatype"] == "string" and flyers["attributes"][0]["variable"] is True
    vending = xml(client.get(f"{V2}/services/street_vending.xml"))
    assert vending.tag == "service_definition"
    keys = [v.findtext("key") for v in vending.findall("attributes/attribute/values/value")]
    assert keys == ["yes", "no"]
    assert vending.findtext("attributes/attribute/code") == "blocking_road"


def test_unknown_things_are_answered_in_the_specs_error_format(app):
    client = app.test_client()
    missing = client.get(f"{V2}/services/flying_saucers.json")
    assert missing.status_code == 404
    assert missing.get_json()[0]["code"] == 404 and "service_code" in missing.get_json()[0]["description"]
    errors = xml(client.get(f"{V2}/requests/JY-20000101-0001.xml"))
    assert errors.tag == "errors" and errors.findtext("error/code") == "404"
    assert client.get(f"{V2}/services.html").get_json()[0]["code"] == 404
    assert client.delete(f"{V2}/services.json").get_json()[0]["code"] == 405
    wrong_place = client.get(f"{V2}/services.json", query_string={"jurisdiction_id": "london"})
    assert wrong_place.status_code == 404 and JURISDICTION in wrong_place.get_json()[0]["description"]


# Filing a request -------------------------------------------------------------------------------------------------

def test_fixmystreets_exact_form_files_a_routed_ticket_at_the_right_place(app, sessions):
    number = filed_number(post(app, **fixmystreet_form(key_for(sessions))))
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.status == TicketStatus.DISPATCHED and not ticket.held
        assert ticket.lead_department_code == "urban_mgmt" and ticket.town_code == "jinci"
        # Stored in GCJ-02 like a WeChat location: the same spot as 花塔村, not half a kilometre off.
        assert abs(ticket.latitude - HUATA_VILLAGE[0]) < 1e-5 and abs(ticket.longitude - HUATA_VILLAGE[1]) < 1e-5
        assert "【是否占用车道、妨碍通行】是" in ticket.description
        assert "fixmystreet.example" not in ticket.description   # the link is for staff
        notes = "\n".join(e.reason for e in session.scalars(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id)))
        assert "来自 Open311：FixMyStreet 太原" in notes
        assert "Wei Zhang" in notes and "13812345678" in notes and "zhang.wei@example.com" in notes
        assert "https://fixmystreet.example/photo/4711.0.full.jpeg" in notes and "report_url" in notes
        reporter = session.get(Resident, ticket.resident_id)
        assert reporter.openid.startswith("open311:")
    public = app.test_client().get(f"{V2}/requests/{number}.json").get_json()[0]
    assert public["status"] == "open" and public["service_code"] == "street_vending"
    assert (public["lat"], public["long"]) == pytest.approx(HUATA_WGS84, abs=2e-6)
    text = str(public)
    for private in ("Zhang", "13812345678", "example.com", "open311:", "fixmystreet"):
        assert private not in text
    assert public["agency_responsible"] == "区城市管理局" and public["media_url"] is None


def test_staff_steps_write_no_notice_for_the_client_and_the_listing_follows_the_workflow(app, sessions):
    number = filed_number(post(app, **fixmystreet_form(key_for(sessions))))
    add_staff(sessions, ("chen", "urban_mgmt", "staff"))
    chen = logged_in(app, "chen")
    page = chen.page(f"/portal/tickets/{number}").get_data(as_text=True)
    assert "来自 Open311：FixMyStreet 太原" in page and "13812345678" in page   # staff see who sent it, and how to call
    chen.act(number, "accept")
    chen.act(number, "resolve", note="已劝离", reply="摊贩已劝离，路口已恢复通行。",
             photos=[("after.jpg", images.jpeg())])
    with sessions() as session:
        assert session.scalars(select(Notification)).all() == []
    listed = app.test_client().get(f"{V2}/requests.json", query_string={"status": "closed"}).get_json()
    assert [r["service_request_id"] for r in listed] == [number]
    assert listed[0]["status_notes"] == "摊贩已劝离，路口已恢复通行。" and listed[0]["expected_datetime"] is None
    assert app.test_client().get(f"{V2}/requests.json", query_string={"status": "open"}).get_json() == []


def test_a_report_that_looks_like_spam_is_answered_with_a_token_until_hq_lets_it_through(app, sessions, clerk):
    answer = xml(post(app, **fixmystreet_form(key_for(sessions), description="兼职日结，加vx了解详情，日赚三百")))
    assert answer.find("request/service_request_id") is None
    token = answer.findtext("request/token")
    assert token
    client = app.test_client()
    waiting = xml(client.get(f"{V2}/tokens/{token}.xml", query_string={"jurisdiction_id": JURISDICTION}))
    assert waiting.findtext("request/token") == token and waiting.find("request/service_request_id") is None
    assert client.get(f"{V2}/requests.json").get_json() == []   # held: not public
    with sessions() as session:
        number = session.scalar(select(Ticket.number))
    clerk("hq").act(number, "dispatch", note="核实为正常反映", department="urban_mgmt")   # HQ's review lets it through
    assert client.get(f"{V2}/tokens/{token}.json").get_json() == [{"service_request_id": number, "token": token}]
    assert client.get(f"{V2}/tokens/nonsense.json").status_code == 404


def test_a_request_for_a_problem_already_reported_in_the_chat_joins_its_ticket(app, sessions, resident):
    number = ticket_number(report(resident, "路口有人摆摊占道，车过不去", category="占道经营", at=HUATA_VILLAGE,
                                  label="花塔村"))
    answer = xml(post(app, **fixmystreet_form(key_for(sessions))))
    assert answer.findtext("request/service_request_id") == number
    assert "并入" in answer.findtext("request/service_notice")
    with sessions() as session:
        assert len(session.scalars(select(Ticket)).all()) == 1
        assert session.scalar(select(Open311Request.outcome)) == "joined"


def test_an_address_in_words_is_resolved_like_the_chats(app, sessions):
    key = key_for(sessions)
    number = post(app, "json", api_key=key, service_code="illegal_ads", description=FLYER_WORDS,
                  address_string="晋祠镇花塔村", **{"attribute[flyer_phone]": "13912345678"}).get_json()[0][
        "service_request_id"]
    with sessions() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert ticket.town_code == "jinci" and ticket.latitude is None and "花塔村" in ticket.place_text
        assert "13912345678" in ticket.description
    public = app.test_client().get(f"{V2}/requests/{number}.json").get_json()[0]
    assert "13912345678" not in public["description"] and "＊＊" in public["description"]
    vague = post(app, "json", api_key=key, service_code="illegal_ads", description=FLYER_WORDS,
                 address_string="我家楼下")
    assert vague.status_code == 400 and "address_string" in vague.get_json()[0]["description"]


@pytest.mark.parametrize(("changes", "code", "words"), [
    ({"api_key": ""}, 400, "api_key"),
    ({"api_key": "o311_made-up"}, 403, "api_key"),
    ({"service_code": "flying_saucers"}, 400, "service_code"),
    ({"lat": "", "long": ""}, 400, "缺少位置"),
    ({"lat": "51.5007", "long": "-0.1246"}, 400, "不在晋源区"),
    ({"lat": "north", "long": "112.4"}, 400, "lat"),
    ({"attribute[blocking_road]": "maybe"}, 400, "blocking_road"),
    ({"description": "占" * 4001}, 400, "description"),
    ({"jurisdiction_id": "london"}, 404, "jurisdiction_id"),
])
def test_a_request_that_cannot_be_filed_gets_the_specs_error_and_files_nothing(app, sessions, changes, code, words):
    refused = post(app, **{**fixmystreet_form(key_for(sessions)), **changes})
    assert refused.status_code == code
    assert xml(refused).findtext("error/code") == str(code) and words in xml(refused).findtext("error/description")
    with sessions() as session:
        assert session.scalars(select(Ticket)).all() == []


def test_each_client_has_its_own_hourly_limit(app, sessions):
    key = key_for(sessions, "小程序", per_hour=2)
    places = ["晋祠镇花塔村", "晋源街道古唐苑小区", "义井街道"]
    answers = [post(app, "json", api_key=key, service_code="sanitation", description="垃圾堆了好几天没人清",
                    address_string=place) for place in places]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].get_json()[0]["code"] == 429 and "每小时最多 2 条" in answers[2].get_json()[0]["description"]
    other = post(app, "json", api_key=key_for(sessions, "另一个客户端"), service_code="sanitation",
                 description="垃圾堆了好几天没人清", address_string=places[2])
    assert other.status_code == 200


def test_a_client_hq_blocks_is_refused(app, sessions):
    key = key_for(sessions)
    number = filed_number(post(app, **fixmystreet_form(key)))
    add_staff(sessions, ("hq", "hq", "admin"))
    hq = logged_in(app, "hq")
    hq.client.post(f"/portal/tickets/{number}/block",
                   data={"block": "1", "csrf_token": hq.csrf(f"/portal/tickets/{number}")})
    refused = post(app, "json", **fixmystreet_form(key, description="又有人摆摊"))
    assert refused.status_code == 403 and "停止受理" in refused.get_json()[0]["description"]


def test_keys_are_created_listed_and_revoked_from_the_command_line(app, settings, tmp_path):
    config = config_file(tmp_path / "cli.toml", settings)
    created = civicbot(config, "open311", "key", "create", "--name", "FixMyStreet 太原")
    assert created.exit_code == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("o311_")
    assert post(app, **fixmystreet_form(key)).status_code == 200
    listed = civicbot(config, "open311", "key", "list").stdout
    assert "FixMyStreet 太原" in listed and "active" in listed and key not in listed
    assert "last used -" not in listed
    assert civicbot(config, "open311", "key", "revoke", "1").exit_code == 0
    assert "REVOKED" in civicbot(config, "open311", "key", "list").stdout
    refused = post(app, **fixmystreet_form(key, description="又有人摆摊"))
    assert refused.status_code == 403
    assert civicbot(config, "open311", "key", "revoke", "99").exit_code != 0
    with app.extensions["civicbot"].sessions() as session:   # in the accounts' trail, which the hash chain seals
        trail = [(e.actor, e.target, e.action) for e in session.scalars(select(AccountEvent).order_by(AccountEvent.id))
                 if e.target.startswith("open311:")]
    assert trail == [("cli", "open311:1", "open311_key_issued"), ("cli", "open311:1", "open311_key_revoked")]


# Reading requests -------------------------------------------------------------------------------------------------

def test_the_listing_filters_by_service_dates_and_pages_beyond_its_size(app, sessions):
    key = key_for(sessions, per_hour=100)
    numbers = [filed_number(post(app, **fixmystreet_form(key, service_code=code, description=words,
                                                         address_string=place, lat="", long="")))
               for code, words, place in [("sanitation", "垃圾堆了好几天没人清", "晋祠镇花塔村"),
                                          ("sanitation", "垃圾桶满了溢出来", "晋源街道古唐苑小区"),
                                          ("waterway", "河里漂着好多垃圾", "义井街道")]]
    with transaction(sessions) as session:   # the first one came in 100 days ago
        old = session.scalar(select(Ticket).where(Ticket.number == numbers[0]))
        old.created_at -= timedelta(days=100)
    client = app.test_client()

    def ids(**query) -> list[str]:
        answer = client.get(f"{V2}/requests.json", query_string=query)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return [r["service_request_id"] for r in answer.get_json()]

    assert ids() == [numbers[2], numbers[1]]   # the last 90 days, newest first
    assert ids(service_code="sanitation") == [numbers[1]]
    assert ids(service_code="sanitation,waterway") == [numbers[2], numbers[1]]
    start = (utcnow() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert ids(start_date=start, end_date=end) == [numbers[0]]
    assert ids(service_request_id=f"{numbers[0]},{numbers[2]}", service_code="noise") == [numbers[2], numbers[0]]
    assert ids(page_size="1") == [numbers[2]] and ids(page_size="1", page="2") == [numbers[1]]
    assert ids(page_size="1", page="3") == []
    too_long = client.get(f"{V2}/requests.xml", query_string={"start_date": "2026-01-01", "end_date": "2026-06-01"})
    assert too_long.status_code == 400 and "90" in xml(too_long).findtext("error/description")
    for wild in ({"start_date": "yesterday"}, {"status": "pending"}, {"page_size": "1001"}, {"page": "-1"},
                 {"end_date": "9999-12-31"}, {"start_date": "0001-01-01"}):
        answer = client.get(f"{V2}/requests.json", query_string=wild)
        assert answer.status_code == 400 and answer.get_json()[0]["code"] == 400, wild


def test_the_public_listing_names_no_one_and_shows_the_blurred_photo(app, sessions, resident):
    number = ticket_number(report(resident, "晋祠镇花塔村路口有人摆摊，摊主电话13700001111", category="占道经营"))
    with transaction(sessions) as session:   # a stored before-photo (the photo job's work, done here)
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        session.add(Photo(ticket_id=ticket.id, resident_id=ticket.resident_id, kind=PhotoKind.REPORT,
                          status="stored", display_key="x/display.jpg", media_id="m-9"))
    public = app.test_client().get(f"{V2}/requests/{number}.json").get_json()[0]
    with sessions() as session:
        photo_id = session.scalar(select(Photo.id))
        openid = session.scalar(select(Resident.openid))
    assert public["media_url"] == f"http://127.0.0.1:8000/public/photos/{photo_id}.jpg"
    assert "13700001111" not in str(public) and openid not in str(public)
    assert set(public) == {"service_request_id", "status", "status_notes", "service_name", "service_code",
                           "description", "agency_responsible", "service_notice", "requested_datetime",
                           "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
                           "long", "media_url"}
    assert public["requested_datetime"].endswith("+08:00")


# Clients written by others, against `civicbot serve` -----------------------------------------------------------------

@pytest.mark.slow   # a real server: gunicorn and the job worker
def test_fixmystreet_files_and_the_georeport_package_reads_over_http(served_bot):
    running_bot = served_bot
    import requests
    from georeport import GeoReport

    created = civicbot(running_bot.config, "open311", "key", "create", "--name", "FixMyStreet 太原")
    assert created.exit_code == 0, created.stderr
    root = f"http://127.0.0.1:{running_bot.port}{V2}"
    # FixMyStreet posts its form to requests.xml and reads service_requests/request/service_request_id.
    posted = requests.post(f"{root}/requests.xml", data=fixmystreet_form(created.stdout.split()[-1]), timeout=30)
    assert posted.status_code == 200, posted.text
    number = ElementTree.fromstring(posted.content).findtext("request/service_request_id")
    assert number and number.startswith("JY-")

    for fmt in ("json", "xml"):
        client = GeoReport(root, jurisdiction=JURISDICTION, output_format=fmt)
        services = client.get_service_list()
        assert {"service_code": "street_vending", "service_name": "占道经营"}.items() <= \
            next(s for s in services if s["service_code"] == "street_vending").items()
        definition = client.get_service_definition("street_vending")
        attributes = definition["attributes"] if fmt == "json" else [definition["attributes"]["attribute"]]
        assert attributes[0]["code"] == "blocking_road"
        found = client.get_service_requests(status="open", service_code="street_vending")
        found = found if isinstance(found, list) else [found]   # xmltodict gives one request as a dict
        assert [r["service_request_id"] for r in found] == [number]
        one = client.get_service_request(number)
        assert one["service_request_id"] == number and one["status"] == "open"
        assert float(one["lat"]) == pytest.approx(HUATA_WGS84[0], abs=2e-6)
        assert one["agency_responsible"] == "区城市管理局"
