"""Photos uploaded in the portal: a phone's photo is accepted (the webhook keeps its 1 MiB limit), and every refusal —
a photo too large, not an image, broken, too many, or a whole body too large — is said in Chinese on the same
ticket page, with what the clerk typed kept."""
from __future__ import annotations

import html

import pytest

from bot.app import create_app
from bot.web.portal.uploads import upload_body_limit
from models import TicketStatus
from tests import images
from tests.conftest import HUATA_VILLAGE, Resident, make_settings
from tests.support import add_staff, logged_in, report, signed, status_of, ticket_number

MiB = 1024 * 1024
NOTE = "摊位已清走，路面已清扫，照片在路口拍的"


def accepted_ticket(app) -> tuple[str, object]:
    """A stall reported at 花塔村 and accepted by 城管's chen, who is about to resolve it: the number and chen."""
    add_staff(app.extensions["civicbot"].sessions, ("chen", "urban_mgmt", "staff"))
    number = ticket_number(report(Resident(app, "o-upload-resident"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
    chen = logged_in(app, "chen")
    assert "已完成：接单处置" in chen.act(number, "accept").get_data(as_text=True)
    return number, chen


def typed_note(page: str) -> str:
    """What the resolve step's note field holds on the page."""
    start = page.index('id="note-resolve"')
    return html.unescape(page[page.index(">", start) + 1:page.index("</textarea>", start)])


def test_a_phone_photo_is_accepted_in_the_portal_while_the_webhook_keeps_its_limit(app, sessions):
    number, chen = accepted_ticket(app)
    photo = images.phone_photo(taken="2026:12:07 10:15:00")
    assert len(photo) > 3 * MiB
    page = chen.act(number, "resolve", note=NOTE, photos=[("IMG_0001.jpg", photo)]).get_data(as_text=True)
    assert "已完成：处置完成" in page and 'alt="处置后照片"' in page
    assert status_of(sessions, number) == TicketStatus.RESOLVED

    webhook = app.test_client().post("/wechat", query_string=signed(), data=b"<xml>" + b" " * (2 * MiB) + b"</xml>",
                                     content_type="text/xml")
    assert webhook.status_code == 413
    login = app.test_client().post("/portal/login", data={"username": "chen", "password": "x" * (2 * MiB)})
    assert login.status_code == 413 and "超过了大小限制" in login.get_data(as_text=True)


@pytest.fixture
def small_limits(tmp_path, database):
    """A portal whose photos may be 1 MiB each, two to a step: an upload route reads at most 3 MiB."""
    app = create_app(make_settings(tmp_path, database, media={"max_bytes": MiB}, portal={"photos_per_step": 2}))
    assert upload_body_limit(app.extensions["civicbot"].settings) == 3 * MiB
    return app


@pytest.mark.parametrize("photos, said", [
    ([("huge.jpg", images.phone_photo(size=(2880, 2160)))], "照片“huge.jpg”超过 1 MB，未能上传"),   # 2 MB
    ([("notes.jpg", images.text_named_jpg())], "文件“notes.jpg”不是可识别的图片"),
    ([("cut.jpg", images.truncated_jpeg())], "照片“cut.jpg”已损坏"),
    ([(f"{n}.jpg", images.jpeg(images.scene(n))) for n in range(3)], "一次最多上传 2 张照片"),
], ids=["too-large", "not-an-image", "broken", "too-many"])
def test_a_refused_photo_is_said_in_chinese_on_the_ticket_page_with_the_note_kept(small_limits, photos, said):
    number, chen = accepted_ticket(small_limits)
    response = chen.act(number, "resolve", note=NOTE, photos=photos)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and said in html.unescape(page)
    assert typed_note(page) == NOTE
    assert status_of(small_limits.extensions["civicbot"].sessions, number) == TicketStatus.IN_PROGRESS


def test_a_body_over_the_upload_limit_is_answered_on_the_ticket_page_with_the_note_kept(small_limits):
    number, chen = accepted_ticket(small_limits)
    response = chen.act(number, "resolve", note=NOTE, photos=[("a.jpg", b"\xff\xd8" + b"\0" * (4 * MiB))])
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "照片太大，未能上传（每次提交合计不超过 3 MB）" in page and "<html" in page
    assert typed_note(page) == NOTE
    assert status_of(small_limits.extensions["civicbot"].sessions, number) == TicketStatus.IN_PROGRESS


def test_a_body_far_over_the_limit_is_refused_unread_still_in_chinese_on_the_ticket_page(small_limits):
    number, chen = accepted_ticket(small_limits)
    response = chen.act(number, "resolve", note=NOTE, photos=[("a.jpg", b"\0" * (7 * MiB))])
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "照片太大，未能上传" in page
    assert typed_note(page) == ""     # more than twice the limit is not read at all, the words with it
