"""Evidence from the spot: where and when each after-photo was taken (from its EXIF, read by the server), how far
from the report's place, and the flags HQ sees before 核查 — too far away, or taken before the dispatch."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import prcoords
import pytest

from bot.cases.evidence import judge
from bot.cases.geometry import METRES_PER_DEGREE
from models import Photo, PhotoKind
from tests import images
from tests.conftest import HUATA_VILLAGE, Resident
from tests.support import report, ticket_number


def exif_point(metres_north: float) -> dict:
    """EXIF GPS (WGS-84, as phones write it) of a place this far north of 花塔村 as stored (GCJ-02)."""
    wgs = prcoords.gcj_wgs_bored((HUATA_VILLAGE[0] + metres_north / METRES_PER_DEGREE, HUATA_VILLAGE[1]))
    return {"latitude": wgs.lat, "longitude": wgs.lon}


def exif_time(moment: datetime, offset: timedelta) -> str:
    """A UTC moment as a camera whose clock is `offset` from UTC writes it."""
    return (moment + offset).strftime("%Y:%m:%d %H:%M:%S")


@pytest.fixture
def resolved_with(app, clerk):
    """Report a stall at 花塔村, have 城管's chen accept it and resolve it with this photo: the ticket's page as HQ
    sees it and as chen sees it."""
    def resolve(photo: bytes) -> tuple[str, str]:
        number = ticket_number(report(Resident(app, "o-evidence"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
        chen = clerk("chen")
        chen.act(number, "accept")
        done = chen.act(number, "resolve", note="已处理", photos=[("after.jpg", photo)]).get_data(as_text=True)
        assert "已完成：处置完成" in done
        return html.unescape(clerk("hq").page(f"/portal/tickets/{number}").get_data(as_text=True)), \
            html.unescape(chen.page(f"/portal/tickets/{number}").get_data(as_text=True))
    return resolve


def caption(page: str) -> str:
    after = page[page.index('data-kind="after"'):]
    return re.sub(r"<[^>]+>", " ", after[:after.index("</section>")])


def test_a_photo_taken_on_the_spot_after_the_dispatch_is_not_flagged(resolved_with):
    soon = datetime.now(UTC) + timedelta(seconds=5)   # the photo is taken once the report is in
    hq, _ = resolved_with(images.jpeg(**exif_point(60), taken=exif_time(soon, timedelta(hours=8)), offset="+08:00"))
    assert re.search(r"距反映位置约 (5\d|6\d) 米", caption(hq)) and "拍摄于" in caption(hq)
    assert "现场照片存疑" not in hq and 'class="flag"' not in hq


def test_hq_is_told_when_an_after_photo_was_taken_far_away_and_before_the_dispatch(resolved_with):
    a_day_ago = datetime.now(UTC) - timedelta(days=1)
    hq, chen = resolved_with(images.jpeg(**exif_point(800), taken=exif_time(a_day_ago, timedelta(hours=8))))
    assert re.search(r"距反映位置约 (79\d|80\d) 米，超过 200 米", caption(hq)) and "早于派遣" in caption(hq)
    alert = hq[hq.index('id="evidence-alert"'):]
    assert alert.index("1 张处置后照片的拍摄地点距反映位置超过 200 米") \
        < alert.index("1 张处置后照片的拍摄时间早于派遣")
    verify = hq[hq.index('data-action="verify"'):]
    assert "现场照片存疑" in verify[:verify.index("</form>")]
    # The department sees the same facts under its photo; the warning is HQ's.
    assert "超过 200 米" in caption(chen) and 'id="evidence-alert"' not in chen


@pytest.mark.parametrize("offset, before", [(None, True), ("+00:00", False)], ids=["no-offset", "utc-offset"])
def test_an_exif_time_without_an_offset_is_beijing_time(resolved_with, offset, before):
    """The same clock reading, a minute from now in UTC terms: read as Beijing time, it was eight hours ago."""
    reading = exif_time(datetime.now(UTC) + timedelta(minutes=1), timedelta())
    hq, _ = resolved_with(images.jpeg(**exif_point(10), taken=reading, offset=offset))
    assert ("早于派遣" in caption(hq)) is before


def test_a_photo_without_place_or_time_is_said_so_not_flagged(resolved_with):
    hq, _ = resolved_with(images.jpeg())
    assert "照片未带拍摄位置" in caption(hq) and "照片未带拍摄时间" in caption(hq) and "现场照片存疑" not in hq


def test_before_and_after_photos_are_labelled(resolved_with):
    hq, _ = resolved_with(images.jpeg())
    assert [title for title in re.findall(r"<h4>([^<]+)</h4>", hq)][:2] == ["市民拍摄", "处置后"]
    assert 'alt="处置后照片"' in hq


def test_a_photo_taken_after_the_previous_dispatch_but_before_this_departments_is_flagged(app, clerk):
    """The turn the photo was taken in counts: after a reassignment, the new department's photo must be newer than
    its own dispatch."""
    number = ticket_number(report(Resident(app, "o-evidence"), at=HUATA_VILLAGE, label="晋源区晋祠镇花塔村"))
    between = datetime.now(UTC)
    hq = clerk("hq")
    assert "已完成" in hq.act(number, "dispatch", note="河道范围内", department="water_affairs").get_data(as_text=True)
    liu = clerk("liu")
    liu.act(number, "accept")
    photo = images.jpeg(**exif_point(20), taken=exif_time(between - timedelta(seconds=2), timedelta(hours=8)))
    done = liu.act(number, "resolve", note="已清理", photos=[("a.jpg", photo)]).get_data(as_text=True)
    assert "已完成：处置完成" in done
    assert "早于派遣" in caption(html.unescape(hq.page(f"/portal/tickets/{number}").get_data(as_text=True)))


@pytest.mark.parametrize("metres, max_metres, flagged", [(150, 200, False), (250, 200, True), (250, 300, False)])
def test_the_distance_allowed_is_the_setting(metres, max_metres, flagged):
    photo = Photo(id=1, kind=PhotoKind.AFTER, gps_latitude=HUATA_VILLAGE[0] + metres / METRES_PER_DEGREE,
                  gps_longitude=HUATA_VILLAGE[1])
    assert judge(photo, point=HUATA_VILLAGE, dispatched_at=None, max_metres=max_metres).too_far is flagged


def test_a_residents_photo_is_never_flagged():
    photo = Photo(id=1, kind=PhotoKind.REPORT, gps_latitude=HUATA_VILLAGE[0] + 1, gps_longitude=HUATA_VILLAGE[1],
                  taken_at=datetime(2020, 1, 1))
    assert not judge(photo, point=HUATA_VILLAGE, dispatched_at=datetime(2026, 1, 1), max_metres=200).flagged
