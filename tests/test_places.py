"""Places that are places: vague words never place a report, corrections replace the place, a pin that disagrees
with the words is asked about, and a road across towns is asked about once — as a resident would see it."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from shapely.geometry import shape
from sqlalchemy import select

from models import Draft, DraftStatus, Ticket
from tests.support import count, ticket_number

ROOT = Path(__file__).resolve().parent.parent


@cache
def inside(town: str) -> tuple[float, float]:
    """A point well inside the town's polygon (data/towns.geojson), as WeChat would send it: (latitude, longitude)."""
    shapes = json.loads((ROOT / "data" / "towns.geojson").read_text(encoding="utf-8"))
    feature = next(f for f in shapes["features"] if f["properties"]["code"] == town)
    point = shape(feature["geometry"]).representative_point()
    return point.y, point.x


def tickets(sessions) -> list[Ticket]:
    with sessions() as session:
        return list(session.scalars(select(Ticket).order_by(Ticket.id)))


@pytest.mark.parametrize("words, vague", [
    ("咱们村东头有人烧秸秆，呛得睁不开眼", "咱们村"),
    ("我们小区门口有人把装修垃圾倒在路边", "我们小区"),
    ("这个公园里的路灯坏了好几盏", "这个公园"),
    ("我家楼下天天有人按喇叭", "我家楼下"),
])
def test_words_that_only_point_ask_for_a_pin_and_never_become_a_ticket(resident, sessions, words, vague):
    first = resident.says(words)
    assert f"“{vague}" in first and "不够具体" in first
    assert "“+”→“位置”" in first and "地标" in first
    assert "信息已齐全" not in first
    refused = resident.says("提交")
    assert "还不能提交" in refused and "位置" in refused
    assert tickets(sessions) == []
    assert count(sessions, Draft) == 1  # the draft waits for a pin or a named place


def test_a_pin_after_vague_words_places_the_ticket_in_the_pins_town(resident, sessions):
    resident.says("俺们村里的垃圾堆了快一个礼拜了没人拉")
    placed = resident.location(*inside("yaocun"), label="山西省太原市晋源区姚村镇")
    assert "姚村镇" in placed and "信息已齐全" in placed
    number = ticket_number(resident.says("提交"))
    [ticket] = tickets(sessions)
    assert ticket.number == number and ticket.town_code == "yaocun"


def test_a_named_place_after_vague_words_places_the_ticket(resident, sessions):
    resident.says("就在我们小区门口，有人摆摊卖水果，车都进不去")
    answered = resident.says("是古唐苑小区")
    assert "古唐苑小区" in answered and "晋祠镇" in answered and "信息已齐全" in answered
    done = resident.says("提交")
    assert "属地：晋祠镇" in done
    assert tickets(sessions)[0].town_code == "jinci"


def test_repeating_vague_words_still_gets_no_ticket(resident, sessions):
    resident.says("附近有个工地半夜还在打桩")
    resident.says("就在我家旁边啊")
    resident.says("提交")
    assert tickets(sessions) == []


@pytest.mark.parametrize("first, correction, town", [
    ("兴化村路口有人乱摆摊卖菜", "说错了，是西寨村", "jinsheng"),
    ("北大寺村路边垃圾好几天没人清", "不是北大寺村，是南堰村", "yijing"),
    ("东关村有人在路边烧树叶", "地点改为牛家口村", "jinci"),
    ("棘针村有辆车停在人行道上好几天了", "改成高家堡村", "yaocun"),
])
def test_a_correction_replaces_the_place(resident, sessions, first, correction, town):
    resident.says(first)
    corrected = resident.says(correction)
    assert "不是要反映问题" not in corrected  # the category stays as it was understood
    resident.says("提交")
    [ticket] = tickets(sessions)
    assert ticket.town_code == town
    assert correction not in ticket.description  # a correction changes the place, not the problem's words


def test_a_pin_in_another_town_than_the_words_is_asked_about_and_2_keeps_the_words(resident, sessions):
    resident.says("罗城村十字路口的红绿灯坏了")
    asked = resident.location(*inside("yaocun"), label="山西省太原市晋源区姚村镇")
    assert "1. 定位：" in asked and "姚村镇" in asked
    assert "2. 文字：罗城村" in asked and "罗城街道" in asked and "回复 1 或 2" in asked
    refused = resident.says("提交")
    assert "回复 1 或 2" in refused and "已受理" not in refused
    assert tickets(sessions) == []
    settled = resident.says("2")
    assert "位置以罗城村为准" in settled and "信息已齐全" in settled
    resident.says("提交")
    [ticket] = tickets(sessions)
    assert ticket.town_code == "luocheng" and ticket.latitude is None


def test_answering_1_keeps_the_pin(resident, sessions):
    resident.location(*inside("jinci"), label="山西省太原市晋源区晋祠镇")
    asked = resident.says("金胜村路边的井盖没了，晚上很危险")
    assert "回复 1 或 2" in asked
    resident.says("1")
    resident.says("提交")
    [ticket] = tickets(sessions)
    assert ticket.town_code == "jinci" and ticket.latitude is not None


def test_a_pin_and_words_in_the_same_town_are_not_asked_about(resident, sessions):
    resident.says("花塔村路口有人摆摊")
    placed = resident.location(*inside("jinci"), label="山西省太原市晋源区晋祠镇花塔村")
    assert "回复 1 或 2" not in placed and "信息已齐全" in placed


def test_a_road_across_towns_is_asked_about_once_and_then_goes_to_hq(resident, sessions):
    first = resident.says("晋阳街上有辆渣土车掉了一路的土")
    assert "跨好几个镇街" in first and "“+”→“位置”" in first and "直接回复“提交”" in first
    again = resident.says("土都飞到人行道上了")
    assert "跨好几个镇街" not in again  # asked once
    done = resident.says("提交")
    assert "属地：待指挥部确认" in done
    [ticket] = tickets(sessions)
    assert ticket.town_code is None and ticket.needs_triage and ticket.place_text == "晋阳街"


def test_a_road_then_a_pin_settles_the_town(resident, sessions):
    resident.says("新晋祠路边有人卖西瓜，占了半条非机动车道")
    resident.location(*inside("jinyuan"), label="")
    resident.says("提交")
    assert tickets(sessions)[0].town_code == "jinyuan"


def test_a_question_about_a_housing_estate_is_not_a_place(resident):
    reply = resident.says("请问你们管不管小区里物业的事情")
    assert "位置：请问" not in reply and "位置：小区" not in reply


def test_an_unlabelled_point_is_described_by_its_town_not_its_coordinates(resident):
    latitude, longitude = inside("jinci")
    reply = resident.location(latitude, longitude, label="")
    assert "晋祠镇境内" in reply
    assert f"{latitude:.3f}" not in reply


def test_the_routing_reason_names_where_the_town_came_from(resident, sessions):
    resident.says("花塔村路口有人乱扔垃圾")
    resident.says("提交")
    resident.says("索村有人乱扔垃圾")
    resident.location(*inside("jinci"), label="")
    resident.says("提交")
    worded, pinned = tickets(sessions)
    assert "属地：晋祠镇（地名“花塔村”属晋祠镇）" in worded.route_reason
    assert "属地：晋祠镇（共享位置落在该镇街范围内；地名“索村”属晋祠镇）" in pinned.route_reason
    assert "（）" not in worded.route_reason + pinned.route_reason


def test_a_draft_that_only_points_is_not_submitted_by_any_later_submit(resident, sessions):
    resident.says("门口电线杆上又贴满了小广告")
    for _ in range(2):
        resident.says("提交")
    with sessions() as session:
        assert session.scalar(select(Draft.status)) == DraftStatus.OPEN
    assert tickets(sessions) == []


def test_place_resolution_on_the_labelled_set():
    """tests/places/labelled.tsv, as `make bench-places` measures it: no words that only point become a place,
    and nearly every named place lands in its town."""
    from bench.places import evaluate, labelled, resolver

    result = evaluate(resolver(), labelled())
    misses = [(text, got) for text, expected, got in result["answers"] if expected != got]
    assert result["vague_placed"] == 0, misses
    assert result["correct"] >= 0.95 * len(result["answers"]), misses


def test_a_point_is_described_by_the_nearest_known_place_with_coordinates():
    from bot import texts
    from bot.understanding.places import PlaceResolver, TownArea

    places = PlaceResolver([TownArea("jinci", "晋祠镇", ("晋祠",), None)], [("难老泉", "jinci"), ("花塔村", "jinci")],
                           {"难老泉": (37.7046, 112.4390)})
    assert places.nearest(37.7050, 112.4400) == "难老泉"          # about 100 m away
    assert places.nearest(37.7500, 112.4400) is None               # 5 km away: too far to describe it by
    said = texts.point_place(photo=True, near="难老泉", town_name="晋祠镇")
    assert "照片拍摄地点" in said and "难老泉" in said and "37." not in said
