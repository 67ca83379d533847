"""Faces and plates stay with the department: the copies residents are sent or shown have them blurred; the
department and HQ see the cleaned photo as it was (a plate is the evidence of illegal parking)."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bot.app import create_app
from bot.photos import ocr
from tests import images
from tests.conftest import HUATA_VILLAGE
from tests.support import add_staff, logged_in, report, ticket_number

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image ships the test faces (the test extra)")
pytestmark = pytest.mark.skipif(not ocr.ocr_available(ocr.OcrSettings()), reason="the ocr extra is not installed")

FACE = (125, 115, 200, 190)     # the astronaut's face, where street_with_a_face_and_a_plate puts her portrait
PLATE = (480, 430, 655, 486)    # and the plate
SKY = (300, 0, 800, 200)        # neither


def changed(before: Image.Image, after: Image.Image, box) -> float:
    """The mean change of the pixels in a box, 0–255."""
    a = np.asarray(before.convert("L").crop(box), dtype=float)
    b = np.asarray(after.convert("L").crop(box), dtype=float)
    return float(np.abs(a - b).mean())


def face_at_its_size() -> Image.Image:
    """The astronaut's head and shoulders, as scikit-image ships it for tests."""
    return Image.fromarray(skimage_data.astronaut()).crop((120, 20, 340, 240))


@pytest.fixture
def app(reading_settings):
    return create_app(reading_settings)


def test_the_residents_copy_has_face_and_plate_blurred_and_the_department_sees_them(app, resident, sessions,
                                                                                   fake_wechat):
    street = images.street_with_a_face_and_a_plate(face_at_its_size())
    fake_wechat.add_media("m-street", images.jpeg(street, quality=95))
    number = ticket_number(report(resident, "车停在人行道上，行人只能走机动车道", at=HUATA_VILLAGE,
                                  label="晋源区晋祠镇花塔村", photo="m-street"))
    status = resident.says(f"查询 {number}")
    link = next(word for word in status.split() if "/r/photo/" in word)
    public = Image.open(io.BytesIO(app.test_client().get(link.split("127.0.0.1:8000", 1)[1]).data))

    add_staff(sessions, ("police", "traffic_police", "staff"))
    clerk = logged_in(app, "police")
    page = clerk.page(f"/portal/tickets/{number}").get_data(as_text=True)
    photo_path = page.split('href="/portal/photos/', 1)[1].split('"', 1)[0]
    kept = Image.open(io.BytesIO(clerk.page("/portal/photos/" + photo_path).data))

    assert changed(kept, street, FACE) < 4 and changed(kept, street, PLATE) < 4      # the department's: as sent
    assert changed(public, kept, FACE) > 12 and changed(public, kept, PLATE) > 12    # the resident's: blurred
    assert changed(public, kept, SKY) < 4                                             # and nothing else


def test_the_after_photo_sent_to_the_resident_is_blurred(app, resident, sessions, fake_wechat, accounts):
    number = ticket_number(report(resident, category="占道经营"))
    chen = logged_in(app, "chen")
    chen.act(number, "accept")
    after = images.street_with_a_face_and_a_plate(face_at_its_size())
    chen.act(number, "resolve", note="已劝离", photos=[("after.jpg", images.jpeg(after, quality=95))])
    [image] = [m for m in fake_wechat.sent if m.get("msgtype") == "image"]
    sent = Image.open(io.BytesIO(fake_wechat.media[image["image"]["media_id"]][0]))
    assert changed(sent, after, FACE) > 12 and changed(sent, after, PLATE) > 12 and changed(sent, after, SKY) < 4
