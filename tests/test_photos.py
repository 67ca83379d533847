"""Photos from the chat: fetched by a job through the shared WeChat client, cleaned, stored and shown only to
those who may see them."""
from __future__ import annotations

import time

import pytest
from huey.exceptions import RetryTask
from sqlalchemy import func, select

from bot.app import create_app
from bot.tasks import JobQueue
from models import Draft, Photo, Ticket
from tests import images
from tests.conftest import Resident, job_queue, make_settings, queue_section
from tests.support import civicbot, config_file, fake_api, send_photo

JINCI_WGS84 = (37.70305, 112.43402)   # near 晋祠 (the photo's EXIF is WGS-84)


@pytest.fixture
def app(wechat_settings):
    return create_app(wechat_settings)


def photo_rows(sessions) -> list[Photo]:
    with sessions() as session:
        return list(session.scalars(select(Photo).order_by(Photo.id)))


def test_a_photo_is_fetched_cleaned_and_stored_after_the_reply(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-stall", images.jpeg(images.scene(11), orientation=6, taken="2026:11:20 08:15:00"))
    reply = send_photo(resident, "m-stall")
    assert "照片：1 张" in reply
    [photo] = photo_rows(sessions)
    assert photo.status == "stored" and photo.phash and photo.width == 600 and photo.height == 800
    assert photo.taken_at.isoformat() == "2026-11-20T00:15:00"   # kept in UTC, read as Beijing time
    storage = app.extensions["civicbot"].storage
    assert storage.get(photo.display_key)[:2] == b"\xff\xd8"


def test_photo_gps_places_the_draft_when_no_location_was_shared(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-gps", images.jpeg(latitude=JINCI_WGS84[0], longitude=JINCI_WGS84[1]))
    resident.says("路边垃圾堆了好几天没人清理")
    send_photo(resident, "m-gps")
    with sessions() as session:
        draft = session.scalar(select(Draft))
        assert draft.location_source == "photo" and draft.town_code == "jinci"
    assert any("拍摄位置" in m["text"]["content"] for m in fake_wechat.sent)
    done = resident.says("提交")
    assert "JY-" in done and "晋祠镇" in done


def test_a_shared_location_is_not_overridden_by_photo_gps(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-gps2", images.jpeg(latitude=-33.85978, longitude=-70.65))
    resident.location(37.7050, 112.4310, label="花塔村")
    send_photo(resident, "m-gps2")
    with sessions() as session:
        draft = session.scalar(select(Draft))
        assert draft.location_source == "shared" and draft.latitude == pytest.approx(37.705)


def test_the_same_media_id_twice_is_one_photo(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-twice", images.jpeg())
    send_photo(resident, "m-twice")
    reply = send_photo(resident, "m-twice")
    assert "照片：1 张" in reply and len(photo_rows(sessions)) == 1
    queue = app.extensions["civicbot"].jobs
    assert queue.run_now("fetch_photo", photo_rows(sessions)[0].id) == "skipped"


@pytest.mark.parametrize("make, words", [
    (images.truncated_jpeg, "已损坏"),
    (images.text_named_jpg, "不是可识别的图片"),
    (images.decompression_bomb, "尺寸过大"),
    (images.thirty_megabytes, "太大了"),
])
def test_a_bad_image_is_refused_kindly_and_the_report_kept(app, resident, sessions, fake_wechat, make, words):
    fake_wechat.add_media("m-bad", make())
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    send_photo(resident, "m-bad")
    [photo] = photo_rows(sessions)
    assert photo.status == "failed" and photo.note.startswith("refused")
    assert words in fake_wechat.sent[-1]["text"]["content"]
    assert fake_wechat.sent[-1]["touser"] == resident.openid
    assert "JY-" in resident.says("提交")
    assert "照片：0 张" in resident.says("我的数据")   # a refused photo is not a photo we keep


def test_an_expired_media_id_fails_at_once_and_the_resident_is_told(app, resident, sessions, fake_wechat):
    send_photo(resident, "m-never-uploaded")
    [photo] = photo_rows(sessions)
    assert photo.status == "failed" and "40007" in photo.note
    assert "已过期" in fake_wechat.sent[-1]["text"]["content"]


def test_a_failing_api_is_retried_then_the_photo_marked_failed(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-later", images.jpeg())
    fake_wechat.failing = True
    send_photo(resident, "m-later")
    [photo] = photo_rows(sessions)
    assert photo.status == "recorded" and photo.attempts == 1 and "attempt 1" in photo.note
    queue = app.extensions["civicbot"].jobs
    attempts = app.extensions["civicbot"].settings.media.fetch_attempts
    for _ in range(attempts - 2):
        with pytest.raises(RetryTask):
            queue.run_now("fetch_photo", photo.id)
    fake_wechat.failing = False
    assert queue.run_now("fetch_photo", photo.id) == "stored"


def test_giving_up_tells_the_resident(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-down", images.jpeg())
    fake_wechat.media_failing = True
    send_photo(resident, "m-down")
    photo_id = photo_rows(sessions)[0].id
    queue = app.extensions["civicbot"].jobs
    for _ in range(app.extensions["civicbot"].settings.media.fetch_attempts - 2):
        with pytest.raises(RetryTask):
            queue.run_now("fetch_photo", photo_id)
    assert queue.run_now("fetch_photo", photo_id) == "failed"
    [photo] = photo_rows(sessions)
    assert "gave up after" in photo.note
    assert "没能保存" in fake_wechat.sent[-1]["text"]["content"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 1


def test_workers_share_one_access_token_and_refresh_it_once(wechat_settings, sessions, fake_wechat):
    fake_wechat.add_media("m-token", images.jpeg())
    workers = [JobQueue(wechat_settings) for _ in range(3)]
    for worker in workers:
        assert worker.api().media.download("m-token").content[:2] == b"\xff\xd8"
    assert fake_wechat.token_fetches == 1
    fake_wechat.expire_tokens()
    for worker in workers:
        worker.api().media.download("m-token")
    assert fake_wechat.token_fetches == 2


def test_the_webhook_does_not_wait_for_a_slow_wechat(tmp_path, database, fake_wechat):
    settings = make_settings(tmp_path, database, queue=job_queue(tmp_path), wechat=fake_api(fake_wechat))
    fake_wechat.delay = 10
    resident = Resident(create_app(settings), "o-slow")
    started = time.monotonic()
    reply = send_photo(resident, "m-slow")
    assert time.monotonic() - started < 5 and "照片：1 张" in reply


@pytest.fixture
def stored_ticket_photo(app, resident, sessions, fake_wechat):
    fake_wechat.add_media("m-evidence", images.jpeg(latitude=JINCI_WGS84[0], longitude=JINCI_WGS84[1]))
    resident.says("晋祠镇花塔村路口有人摆摊占了半条路")
    send_photo(resident, "m-evidence")
    resident.says("提交")
    with sessions() as session:
        photo = session.scalar(select(Photo))
        assert photo.ticket_id and photo.status == "stored"
        return photo


def test_photos_reach_only_departments_that_may_see_the_ticket(app, sessions, stored_ticket_photo):
    from bot.infra.db import transaction
    from bot.web.api import do_issue_token
    with transaction(sessions) as session:
        tokens = {code: do_issue_token(code, session=session) for code in ("urban_mgmt", "jinci_office", "hq",
                                                                            "water_affairs", "yijing_office")}
    client = app.test_client()
    url = f"/api/v1/photos/{stored_ticket_photo.id}/display"
    for code in ("urban_mgmt", "jinci_office", "hq"):
        response = client.get(url, headers={"Authorization": f"Bearer {tokens[code]}"})
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
    for code in ("water_affairs", "yijing_office"):
        assert client.get(url, headers={"Authorization": f"Bearer {tokens[code]}"}).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(f"/var/media/{stored_ticket_photo.display_key}").status_code == 404


def test_the_resident_sees_their_own_photo_by_a_signed_link(app, resident, stored_ticket_photo):
    status = resident.says(f"查询 {_number(app)}")
    link = next(word for word in status.split() if "/r/photo/" in word)
    path = link.split("127.0.0.1:8000", 1)[1]
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert client.get(path.replace("/display", "/thumbnail")).status_code == 200
    forged = path.split("/r/photo/")[1]
    assert client.get("/r/photo/" + forged[:-3] + "abc").status_code == 404


def _number(app) -> str:
    with app.extensions["civicbot"].sessions() as session:
        return session.scalar(select(Ticket.number))


def test_the_same_scene_from_another_resident_is_found_similar(app, resident, another_resident, sessions,
                                                               fake_wechat):
    from bot.photos.similarity import similar_photos
    fake_wechat.add_media("m-a", images.jpeg(images.scene(21, (1600, 1200))))
    fake_wechat.add_media("m-b", images.jpeg(images.scene(21, (1600, 1200)).resize((900, 675)), quality=55))
    fake_wechat.add_media("m-c", images.jpeg(images.scene(22, (1600, 1200))))
    send_photo(resident, "m-a")
    send_photo(another_resident, "m-b")
    send_photo(another_resident, "m-c")
    first, second, third = photo_rows(sessions)
    with sessions() as session:
        found = similar_photos(first.id, 8, session=session)
        assert [photo.id for photo, _ in found] == [second.id]


def test_threads_of_one_worker_fetch_the_token_once(wechat_settings, fake_wechat):
    import threading
    fake_wechat.add_media("m-threads", images.jpeg())
    fake_wechat.delay = 0.5   # a slow token endpoint makes the threads overlap
    worker = JobQueue(wechat_settings)
    api = worker.api()
    results = []
    threads = [threading.Thread(target=lambda: results.append(api.media.download("m-threads").status_code))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 4 and fake_wechat.token_fetches == 1


def test_civicbot_jobs_lists_waiting_and_failed_photos(tmp_path, database, fake_wechat):
    settings = make_settings(tmp_path, database, queue=job_queue(tmp_path), wechat=fake_api(fake_wechat))
    app = create_app(settings)
    resident = Resident(app, "o-jobs")
    send_photo(resident, "m-waiting")                        # queued: no worker runs in this test
    send_photo(resident, "m-gone")
    queue = app.extensions["civicbot"].jobs
    with app.extensions["civicbot"].sessions() as session:
        gone = session.scalar(select(Photo.id).where(Photo.media_id == "m-gone"))
    queue.run_now("fetch_photo", gone)                        # WeChat has no such media: failed
    listing = civicbot(config_file(tmp_path / "jobs.toml", settings, queue_section(settings)), "jobs")
    assert listing.exit_code == 0, listing.stderr
    assert "queued: 3" in listing.stdout and "fetch_photo" in listing.stdout   # two photos, one tell_resident
    assert "photos not fetched yet: 1" in listing.stdout
    assert "photos failed (latest 50): 1" in listing.stdout and "40007" in listing.stdout
