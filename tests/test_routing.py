"""Classification, place resolution and routing decisions, read from the shipped catalogue."""
from __future__ import annotations

import pytest

from bot.cases.routing import decide_route
from bot.catalogue.loading import CatalogueError, CatalogueFiles, check_catalogue, read_catalogue
from bot.catalogue.snapshot import load_snapshot
from bot.infra.db import transaction
from tests.conftest import HUATA_VILLAGE


@pytest.fixture
def catalogue(sessions):
    with transaction(sessions) as session:
        return load_snapshot(session=session)


@pytest.mark.parametrize("text, category", [
    ("楼下又在摆摊", "street_vending"),
    ("小区门口垃圾堆成山了", "sanitation"),
    ("电线杆上贴满了小广告", "illegal_ads"),
    ("工地晚上施工太吵了", "construction_site"),
    ("渣土车没盖篷布一路撒土", "dust_pollution"),
    ("有车停在盲道上", "traffic_disorder"),
    ("楼顶私搭乱建了一个棚子", "illegal_construction"),
    ("公厕脏得没法进，也没有纸", "public_toilet"),
    ("河里漂着好多垃圾", "waterway"),
    ("路灯坏了晚上很黑", "public_facility"),
    ("广场舞音响声音太大", "noise"),
    ("有人遛狗不牵绳还不收拾狗屎", "uncivil_conduct"),
])
def test_typical_reports_land_in_their_category(catalogue, text, category):
    assert catalogue.classifier.classify(text).category == category


@pytest.mark.parametrize("text", ["你好", "谢谢", "在吗", "测试"])
def test_small_talk_is_not_a_report(catalogue, text):
    assert catalogue.classifier.classify(text).category is None


@pytest.mark.parametrize("text, town", [
    ("电西社区门口有垃圾", "jinsheng"),
    ("古唐苑小区有人乱停车", "jinci"),
    ("花塔村路口摆摊", "jinci"),
    ("晋祠镇有人烧垃圾", "jinci"),
    ("义井街办附近的路灯不亮", "yijing"),
])
def test_place_names_settle_the_town(catalogue, text, town):
    assert catalogue.places.from_text(text).town_code == town


def test_a_road_through_several_towns_leaves_the_town_unknown(catalogue):
    place = catalogue.places.from_text("晋祠路边上有人摆摊")
    assert place is not None and place.town_code is None


def test_a_shared_point_is_placed_by_polygon(catalogue):
    assert catalogue.places.from_point(*HUATA_VILLAGE) == "jinci"
    assert catalogue.places.from_point(39.9042, 116.4074) is None  # Beijing: outside the district


def test_routing_records_its_reason_and_sends_unknowns_to_hq(catalogue):
    table = catalogue.routing
    routed = decide_route("street_vending", "jinci", "提到“晋祠镇”", table)
    assert routed.lead_department_code == "urban_mgmt" and routed.town_office_code == "jinci_office"
    assert not routed.needs_triage and "区城市管理局" in routed.reason and "晋祠镇" in routed.reason
    unplaced = decide_route("street_vending", None, "", table)
    assert unplaced.lead_department_code == "urban_mgmt" and unplaced.needs_triage
    other = decide_route("other", "jinci", "", table)
    assert other.lead_department_code == table.hq_code and other.needs_triage


def test_a_town_override_from_configuration_changes_the_lead(settings, catalogue):
    from dataclasses import replace
    table = replace(catalogue.routing, overrides={("jinci", "sanitation"): "jinci_office"})
    decision = decide_route("sanitation", "jinci", "", table)
    assert decision.lead_department_code == "jinci_office" and "属地规则" in decision.reason


def test_catalogue_errors_name_the_broken_reference(settings):
    catalogue = read_catalogue(settings)
    broken = CatalogueFiles(**{**catalogue.__dict__, "categories": catalogue.categories + [
        {"code": "potholes", "name": "坑洼", "lead_department": "nobody", "deadline": "3d"}]})
    with pytest.raises(CatalogueError, match="nobody"):
        check_catalogue(broken)
