"""The 办理公示 page as anyone on the internet sees it: handled cases with private details masked, nothing held or
rejected, no resident or internal note, only blurred photos, this month's figures as HQ counts them, the open reports'
map data, cacheable answers that set no cookie, and Chinese answers to bad addresses."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update

from bot.app import create_app
from bot.cases.publication import MASK
from models import Hold, Photo, PhotoKind, Ticket, TicketStatus, utcnow
from tests import images
from tests.conftest import HUATA_VILLAGE, make_settings
from tests.support import civicbot, config_file, report, ticket_number
from tests.test_map import inside

S = TicketStatus
PHONE = "13812345678"
WORDS = f"晋祠镇花塔村路口有人摆摊占了半条路，我叫王建国，电话{PHONE}"
REPLY = f"已劝离摊贩，如再出现请联系网格员{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}"
NOTE = "内部备注：摊主是老熟人"


@pytest.fixture
def app(tmp_path, database, fake_wechat):
    from tests.support import fake_api
    return create_app(make_settings(tmp_path, database, wechat=fake_api(fake_wechat),
                                    media={"root": str(tmp_path / "media")}))


def handled_case(resident, clerk, fake_wechat, *, words: str = WORDS, at=HUATA_VILLAGE, photo: bytes | None = None,
                 after: bytes | None = None) -> str:
    """A resident's report on the spot (with a photo), which 城管 accepts and resolves with a public reply."""
    if photo:
        fake_wechat.add_media("m-before", photo)
    number = ticket_number(report(resident, words, at=at, label="晋源区晋祠镇花塔村",
                                  photo="m-before" if photo else None))
    chen = clerk("chen")
    chen.act(number, "accept")
    chen.act(number, "resolve", note=NOTE, reply=REPLY, photos=[("after.jpg", after or images.jpeg())])
    return number


def inserted(sessions, serial: int, status: TicketStatus, *, held: bool = False, town: str = "luocheng",
             category: str = "illegal_ads", merged_into: int | None = None) -> str:
    now = utcnow()
    number = f"JY-{now:%Y%m%d}-{7000 + serial}"
    latitude, longitude = inside(town)
    with sessions() as session, session.begin():
        session.add(Ticket(number=number, description=f"第{serial}件：墙上贴满小广告", category_code=category,
                           town_code=town, lead_department_code="urban_mgmt", status=status, held=held,
                           deadline_at=now + timedelta(days=1), latitude=latitude, longitude=longitude,
                           resolved_at=now if status in (S.RESOLVED, S.CLOSED) else None, created_at=now,
                           updated_at=now, merged_into_id=merged_into))
    return number


def ticket_id(sessions, number: str) -> int:
    with sessions() as session:
        return session.scalar(select(Ticket.id).where(Ticket.number == number))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_handled_case_is_shown_with_private_details_masked_and_nothing_internal(app, resident, clerk,
                                                                                   fake_wechat):
    number = handled_case(resident, clerk, fake_wechat)
    visitor = app.test_client()
    for path in ("/public/", f"/public/cases/{number}"):
        page = visitor.get(path)
        assert page.status_code == 200, path
        html = text_of(page)
        assert number in html and "区城市管理局" in html and "晋祠镇" in html and "占道经营" in html
        assert "有人摆摊占了半条路" in html and MASK in html
        assert PHONE not in html and "1234" not in html and "王建国" not in html       # masked in words and reply
        assert "已劝离摊贩" in html and "办理用时" in html and "不到1小时" in html
        assert "o-resident-wang" not in html and "摊主是老熟人" not in html            # no OpenID, no internal note


def test_held_rejected_open_and_merged_tickets_are_not_listed_as_handled_cases(app, sessions, clerk):
    clerk("hq")
    closed = inserted(sessions, 1, S.CLOSED)
    held = inserted(sessions, 2, S.RECEIVED, held=True)          # awaiting HQ's review (spam or abuse suspected)
    rejected = inserted(sessions, 3, S.REJECTED)
    still_open = inserted(sessions, 4, S.DISPATCHED)
    duplicate = inserted(sessions, 5, S.MERGED, merged_into=ticket_id(sessions, closed))
    visitor = app.test_client()
    html = text_of(visitor.get("/public/"))
    assert closed in html and "另有 1 件重复反映已合并" in html and "共 1 件" in html
    for number in (held, rejected, still_open, duplicate):
        assert number not in html
    for number in (held, rejected):
        page = visitor.get(f"/public/cases/{number}")
        assert page.status_code == 404 and "没有找到这件公示的工单" in text_of(page)
    moved = visitor.get(f"/public/cases/{duplicate}")           # a duplicate counts with its main case
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/public/cases/{closed}")
    opened = text_of(visitor.get(f"/public/cases/{still_open}"))
    assert "办理中" in opened and "办理用时" not in opened
    points = visitor.get("/public/map/points.json").get_json()
    assert [row[0] for row in points["tickets"]] == [still_open]   # only the open, listed report is on the map
    assert points["statuses"] == [["open", "办理中", "working"]] and points["tickets"][0][5] == 0
    assert "墙上贴满" not in text_of(visitor.get("/public/map/points.json"))   # no words in the map data


def test_filters_narrow_the_list_and_bad_ones_are_ignored(app, sessions):
    in_luocheng = inserted(sessions, 1, S.CLOSED, town="luocheng")
    in_yijing = inserted(sessions, 2, S.CLOSED, town="yijing", category="waterway")
    visitor = app.test_client()
    html = text_of(visitor.get("/public/?town=yijing"))
    assert in_yijing in html and in_luocheng not in html
    html = text_of(visitor.get("/public/?category=illegal_ads"))
    assert in_luocheng in html and in_yijing not in html
    assert [row[0] for row in visitor.get("/public/map/points.json?town=yijing").get_json()["tickets"]] == []
    for query in ("town=nowhere", "category=%3Cscript%3E", "page=abc", "page=-5", "page=99999999999999999999",
                  "town=" + "x" * 5000):
        page = visitor.get(f"/public/?{query}")
        assert page.status_code == 200, query
        assert in_luocheng in text_of(page) or "page=9" in query, query
    assert visitor.get("/public/cases/JY-00000000-0000").status_code == 404
    assert visitor.get("/public/cases/" + "X" * 300).status_code == 404
    assert visitor.get("/public/static/../app.py").status_code == 404
    assert visitor.get("/public/static/portal.js").status_code == 404      # the portal's own files stay there


def test_answers_are_cacheable_set_no_cookie_and_come_back_304(app, clerk, sessions):
    inserted(sessions, 1, S.CLOSED)
    chen = clerk("chen")
    for client in (app.test_client(), chen.client):      # the same page for a logged-in clerk: no session at all
        for path in ("/public/", "/public/map/points.json", "/public/map/towns.json", "/public/static/public.css",
                     "/public/static/vendor/leaflet/leaflet.js"):
            answer = client.get(path)
            assert answer.status_code == 200, path
            assert answer.headers["Cache-Control"].startswith("public, max-age="), path
            assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", ""), path
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
            etag = answer.headers["ETag"]
            again = client.get(path, headers={"If-None-Match": etag})
            assert again.status_code == 304, path
    missing = app.test_client().get("/public/cases/JY-00000000-0000")
    assert missing.headers["Cache-Control"] == "no-store" and "没有找到" in text_of(missing)


def test_only_blurred_copies_of_before_and_after_photos_are_served(app, resident, clerk, fake_wechat, sessions):
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image ships the test faces (the test extra)")
    from tests.test_redaction import FACE, changed
    face = Image.fromarray(skimage_data.astronaut()).crop((120, 20, 340, 240))
    street = images.street_with_a_face_and_a_plate(face)
    number = handled_case(resident, clerk, fake_wechat, photo=images.jpeg(images.scene(3)),
                          after=images.jpeg(street, quality=95))
    hq = clerk("hq")
    hq.act(number, "verify", note="现场核查", photos=[("check.jpg", images.jpeg(images.scene(4)))])
    with sessions() as session:
        photos = {photo.kind: photo for photo in session.scalars(select(Photo).where(
            Photo.ticket_id == ticket_id(sessions, number)))}
    html = text_of(app.test_client().get(f"/public/cases/{number}"))
    for kind in (PhotoKind.REPORT, PhotoKind.AFTER):     # made by the job when the case was resolved
        assert f"/public/photos/{photos[kind].id}-thumbnail.jpg" in html
        assert f"/public/photos/{photos[kind].id}.jpg" in html
    assert f"/public/photos/{photos[PhotoKind.ON_SITE].id}" not in html
    visitor = app.test_client()
    served = visitor.get(f"/public/photos/{photos[PhotoKind.AFTER].id}.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"].startswith("public")
    department = hq.page(f"/portal/photos/{photos[PhotoKind.AFTER].id}/display")
    kept = Image.open(io.BytesIO(department.data)) if department.status_code == 200 else street
    assert changed(Image.open(io.BytesIO(served.data)), kept, FACE) > 12            # the face is blurred
    small = Image.open(io.BytesIO(visitor.get(f"/public/photos/{photos[PhotoKind.AFTER].id}-thumbnail.jpg").data))
    assert max(small.size) <= 320
    on_site = visitor.get(f"/public/photos/{photos[PhotoKind.ON_SITE].id}.jpg")   # HQ's own check stays inside
    assert on_site.status_code == 404 and "没有找到这张公示照片" in text_of(on_site)
    assert visitor.get("/public/photos/99999999-thumbnail.jpg").status_code == 404


def test_a_held_tickets_photo_is_not_served(app, resident, fake_wechat, sessions):
    fake_wechat.add_media("m-held", images.jpeg())
    number = ticket_number(report(resident, photo="m-held"))
    photo_id = None
    with sessions() as session:
        photo_id = session.scalar(select(Photo.id).where(Photo.ticket_id == ticket_id(sessions, number)))
    assert photo_id is not None
    visitor = app.test_client()
    assert visitor.get(f"/public/photos/{photo_id}.jpg").status_code == 200   # an open report's: Open311 links it
    with sessions() as session, session.begin():   # as if it had been held for HQ's review (spam or abuse)
        session.execute(update(Ticket).where(Ticket.number == number).values(held=True, status=S.RECEIVED))
    assert visitor.get(f"/public/photos/{photo_id}.jpg").status_code == 404


def test_this_months_figures_are_the_scores_hq_sees(app, resident, another_resident, clerk, fake_wechat, sessions):
    on_time = handled_case(resident, clerk, fake_wechat)
    late = ticket_number(report(another_resident, "晋祠镇花塔村的河道里漂着很多垃圾，很久没人清理了",
                                at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村", category="占道经营"))
    chen = clerk("chen")
    chen.act(late, "accept")
    with sessions() as session, session.begin():   # 城管 let the deadline pass before it finished
        session.execute(update(Hold).where(Hold.ticket_id == ticket_id(sessions, late))
                        .values(deadline_at=utcnow() - timedelta(hours=1)))
        session.execute(update(Ticket).where(Ticket.number == on_time).values(rating=1))
    chen.act(late, "resolve", note="已清理", reply="已清理", photos=[("after.jpg", images.jpeg())])
    public = text_of(app.test_client().get("/public/"))
    row = re.search(r"<td>晋祠镇</td>(.*?)</tr>", public, re.S).group(1)
    assert "<td>2</td>" in row and "50.0%" in row and "100.0%" in row
    today = app.extensions["civicbot"].catalogue.calendar.local(utcnow()).date()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    scores = text_of(clerk("hq").page(f"/portal/scores?from={first}&to={last}"))
    assert "50.0%" in scores and "100.0%" in scores
    assert re.search(r"<b>2</b><span>全区收到反映", public) and "收到反映 2 件" in scores



def test_photos_show_once_their_blurred_copies_exist_and_the_command_makes_missing_ones(app, resident, clerk,
                                                                                        fake_wechat, sessions,
                                                                                        tmp_path):
    from bot.photos.storage import public_keys
    number = handled_case(resident, clerk, fake_wechat)
    storage = app.extensions["civicbot"].storage
    with sessions() as session:
        after = session.scalar(select(Photo).where(Photo.kind == PhotoKind.AFTER))
    for key in public_keys(after.display_key):      # as for a case handled before the job existed
        storage.delete(key)
    visitor = app.test_client()
    assert f"/public/photos/{after.id}-thumbnail.jpg" not in text_of(visitor.get(f"/public/cases/{number}"))
    settings = app.extensions["civicbot"].settings
    made = civicbot(config_file(tmp_path / "public.toml", settings, f'[media]\nroot = "{tmp_path / "media"}"\n'),
                    "public", "copies")
    assert made.exit_code == 0 and "新生成 1 张" in made.stdout, made.stdout
    assert f"/public/photos/{after.id}-thumbnail.jpg" in text_of(visitor.get(f"/public/cases/{number}"))


def test_the_nightly_sweep_makes_the_copies_a_lost_job_left_missing(app, resident, clerk, fake_wechat, sessions):
    from bot.photos.storage import public_keys
    number = handled_case(resident, clerk, fake_wechat)
    storage = app.extensions["civicbot"].storage
    with sessions() as session:
        after = session.scalar(select(Photo).where(Photo.kind == PhotoKind.AFTER))
    for key in public_keys(after.display_key):      # the worker was down when the case was handled
        storage.delete(key)
    assert app.extensions["civicbot"].jobs.sweep_public_copies() == (1, 1)
    assert f"/public/photos/{after.id}-thumbnail.jpg" in text_of(app.test_client().get(f"/public/cases/{number}"))
    assert app.extensions["civicbot"].jobs.sweep_public_copies() == (1, 0)   # nothing twice
