"""`civicbot export`: the exchange file for the city platform, as a nightly job reads it."""
from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import prcoords
import pytest
from sqlalchemy import select

from bot.cases.deadlines import do_check_deadlines
from bot.cases.exchange import FIELDS, HISTORY_FIELDS
from bot.cases.workflow import Actor, do_transition
from bot.infra.db import transaction
from models import Resident, Ticket, TicketEvent, TicketStatus, utcnow
from tests.conftest import HUATA_VILLAGE
from tests.support import ROOT, civicbot, config_file, report, ticket_number

S = TicketStatus
DEPARTMENT_ADMIN = Actor("staff:boss", "urban_mgmt", "department", "admin", None)
BEIJING = timedelta(hours=8)
# A point in 晋源区 as a GPS receiver gives it (WGS-84); tickets store WeChat's GCJ-02.
JINCI_WGS84 = (37.70512, 112.43185)


def make_ticket(session, number: str, *, status: S = S.DISPATCHED, updated: datetime | None = None,
                point: tuple[float, float] | None = None) -> Ticket:
    """A ticket of 占道经营 in 晋祠镇 held by 城管, with its creation event, updated at `updated` (UTC)."""
    now = updated or utcnow()
    if session.get(Resident, 1) is None:
        session.add(Resident(id=1, openid="o-exchange-reporter"))
    ticket = Ticket(number=number, description="晋祠镇花塔村路口有人摆摊卖菜", category_code="street_vending",
                    resident_id=1, town_code="jinci", lead_department_code="urban_mgmt", status=status,
                    latitude=point[0] if point else None, longitude=point[1] if point else None,
                    place_text="花塔村路口", deadline_at=now + timedelta(days=1), created_at=now, updated_at=now)
    session.add(ticket)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor="resident", from_status=None, to_status=S.RECEIVED,
                            action="create"))
    session.add(TicketEvent(ticket_id=ticket.id, at=now, actor="system:router", from_status=S.RECEIVED,
                            to_status=status, action="auto_dispatch", department_code="urban_mgmt"))
    session.flush()
    return ticket


def export(config: Path, out: Path, *args: str) -> list[dict]:
    """Run the export into `out`; the records it wrote (JSON lines)."""
    result = civicbot(config, "export", "--output", str(out), *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def read_csv(path: Path) -> list[dict]:
    """The CSV as a platform reads it back: empty cells are nulls, numbers and booleans typed, history parsed."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    numbers = {"gcj02_lat", "gcj02_lng", "wgs84_lat", "wgs84_lng"}
    nullable = numbers | {"deadline", "created_time", "resolved_time", "closed_time", "rating"}
    typed = []
    for row in rows:
        record: dict = {}
        for name, cell in row.items():
            if name in nullable and cell == "":
                record[name] = None
            elif name in numbers:
                record[name] = float(cell)
            elif name == "rating":
                record[name] = int(cell)
            elif name == "overdue":
                record[name] = {"true": True, "false": False}[cell]
            elif name == "history":
                record[name] = json.loads(cell)
            else:
                record[name] = cell
        typed.append(record)
    return typed


@pytest.fixture
def config(tmp_path, settings) -> Path:
    return config_file(tmp_path / "export.toml", settings)


def test_every_category_has_a_national_event_class_and_the_export_names_it(sessions, config, tmp_path):
    doc = tomllib.loads((ROOT / "data" / "categories.toml").read_text(encoding="utf-8"))
    classes, subclasses = doc["national_events"]["classes"], doc["national_events"]["subclasses"]
    for category in doc["category"]:
        if category["code"] == "other":   # HQ classifies these before anything goes out
            continue
        code = category["national_code"]
        assert re.fullmatch(r"\d{4}", code) and code in subclasses and code[:2] in classes, category["code"]
    with transaction(sessions) as session:
        make_ticket(session, "JY-20261101-0001")
    [record] = export(config, tmp_path / "out.jsonl", "--since", "2020-01-01")
    assert (record["national_class_code"], record["national_class_name"]) == ("05", "街面秩序")
    assert (record["national_subclass_code"], record["national_subclass_name"]) == ("0501", "无照经营游商")


def test_a_resident_report_goes_out_whole_but_without_who_reported_it(app, resident, sessions, config, tmp_path):
    number = ticket_number(report(resident, "花塔村路口有人占道摆摊卖水果，人行道都堵了", at=HUATA_VILLAGE))
    [record] = export(config, tmp_path / "out.jsonl", "--since", "2020-01-01")
    assert record["number"] == number and record["category_name"] == "占道经营"
    assert record["description"] == "花塔村路口有人占道摆摊卖水果，人行道都堵了"
    assert record["town_name"] == "晋祠镇" and (record["gcj02_lat"], record["gcj02_lng"]) == HUATA_VILLAGE
    assert record["update_time"].endswith("+08:00") and record["history"][0]["to"] == "received"
    written = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert "o-resident-wang" not in written and "resident" not in written   # no OpenID, no actor
    assert list(record) == list(FIELDS)


def test_jsonl_and_csv_carry_the_same_records(sessions, config, tmp_path):
    with transaction(sessions) as session:
        make_ticket(session, "JY-20261101-0001", point=(37.7050, 112.4310))
        make_ticket(session, "JY-20261101-0002", status=S.IN_PROGRESS)   # no point: empty coordinates
        done = make_ticket(session, "JY-20261101-0003", status=S.CLOSED)
        done.rating, done.resolved_at, done.closed_at = 1, done.created_at, done.created_at
    as_json = export(config, tmp_path / "out.jsonl", "--since", "2020-01-01")
    result = civicbot(config, "export", "--since", "2020-01-01", "--format", "csv", "--output",
                      str(tmp_path / "out.csv"))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbfnumber,update_time,")   # BOM: Excel
    assert read_csv(tmp_path / "out.csv") == as_json
    by_number = {record["number"]: record for record in as_json}
    assert by_number["JY-20261101-0002"]["gcj02_lat"] is None and by_number["JY-20261101-0002"]["stage"] == "处置"
    closed = by_number["JY-20261101-0003"]
    assert (closed["stage"], closed["rating"], closed["rating_name"]) == ("结案", 1, "满意")
    assert [event["action"] for event in closed["history"]] == ["create", "auto_dispatch"]
    # Standard output gets the same JSON lines when no file is named.
    printed = civicbot(config, "export", "--since", "2020-01-01").stdout
    assert [json.loads(line) for line in printed.splitlines()] == as_json


def test_the_documented_fields_are_the_fields_written(sessions, config, tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Exchange file", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z0-9_]+)` \|", section, flags=re.MULTILINE)
    history = re.findall(r"^\| `history\.([a-z_]+)` \|", section, flags=re.MULTILINE)
    with transaction(sessions) as session:
        make_ticket(session, "JY-20261101-0001", point=(37.7050, 112.4310))
    [record] = export(config, tmp_path / "out.jsonl", "--since", "2020-01-01")
    civicbot(config, "export", "--since", "2020-01-01", "--format", "csv", "--output", str(tmp_path / "out.csv"))
    header = next(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    assert documented == list(record) == header == list(FIELDS)
    assert history == list(record["history"][0]) == list(HISTORY_FIELDS)


def test_an_unchanged_ticket_gives_the_same_record_and_a_changed_one_comes_again_later(sessions, config, tmp_path):
    with transaction(sessions) as session:
        make_ticket(session, "JY-20261101-0001", updated=utcnow() - timedelta(hours=3))
        make_ticket(session, "JY-20261101-0002", updated=utcnow() - timedelta(hours=2))
    first = export(config, tmp_path / "first.jsonl", "--since", "2020-01-01")
    assert [r["number"] for r in first] == ["JY-20261101-0001", "JY-20261101-0002"]   # by update time
    after_first = datetime.now(UTC).replace(tzinfo=None) + BEIJING   # district time
    again = export(config, tmp_path / "again.jsonl", "--since", "2020-01-01")
    assert (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "first.jsonl").read_bytes()
    assert again == first

    with transaction(sessions) as session:   # 城管 takes up the first ticket
        ticket = session.scalar(select(Ticket).where(Ticket.number == "JY-20261101-0001"))
        do_transition(ticket, DEPARTMENT_ADMIN, "accept", now=utcnow(), session=session)
    since = after_first.isoformat()   # no offset: read as Beijing time
    [changed] = export(config, tmp_path / "nightly.jsonl", "--since", since)
    assert changed["number"] == "JY-20261101-0001" and changed["update_time"] > first[0]["update_time"]
    assert (changed["status"], changed["stage"]) == ("in_progress", "处置")
    assert changed["history"][-1] == {**changed["history"][-1], "from": "dispatched", "to": "in_progress",
                                      "action": "accept", "department": "urban_mgmt"}
    everything = export(config, tmp_path / "all.jsonl", "--since", "2020-01-01")
    assert [r["number"] for r in everything] == ["JY-20261101-0002", "JY-20261101-0001"]   # it moved last
    # The time a record gives, passed back as --since, includes that record (and what changed after it).
    assert export(config, tmp_path / "key.jsonl", "--since", changed["update_time"]) == [changed]


def test_a_ticket_that_falls_overdue_is_sent_again_overdue(sessions, config, tmp_path):
    with transaction(sessions) as session:
        ticket = make_ticket(session, "JY-20261101-0001", updated=utcnow() - timedelta(hours=5))
        ticket.deadline_at = utcnow() - timedelta(hours=1)
    [before] = export(config, tmp_path / "before.jsonl", "--since", "2020-01-01")
    assert before["overdue"] is False   # as of its last change, it was not late
    with transaction(sessions) as session:
        assert do_check_deadlines(utcnow(), timedelta(hours=4), session=session) == (0, 1)
    [after] = export(config, tmp_path / "after.jsonl", "--since", "2020-01-01")
    assert after["overdue"] is True and after["update_time"] > before["update_time"]
    assert after["history"][-1]["action"] == "flag"


def test_coordinates_go_out_in_gcj02_as_stored_and_in_wgs84(sessions, config, tmp_path):
    gcj = prcoords.wgs_gcj(JINCI_WGS84)   # what WeChat would send for this GPS point
    with transaction(sessions) as session:
        make_ticket(session, "JY-20261101-0001", point=(gcj.lat, gcj.lon))
    [record] = export(config, tmp_path / "out.jsonl", "--since", "2020-01-01")
    assert (record["gcj02_lat"], record["gcj02_lng"]) == (round(gcj.lat, 6), round(gcj.lon, 6))
    assert record["wgs84_lat"] == pytest.approx(JINCI_WGS84[0], abs=2e-6)
    assert record["wgs84_lng"] == pytest.approx(JINCI_WGS84[1], abs=2e-6)
    # The two datums differ by a few hundred metres here: the conversion was not skipped.
    assert abs(record["wgs84_lng"] - record["gcj02_lng"]) > 0.003


def test_since_a_day_means_from_midnight_in_beijing_and_until_is_exclusive(sessions, config, tmp_path):
    midnight = datetime(2026, 11, 1) - BEIJING   # 2026-11-01 00:00 Beijing, in UTC
    with transaction(sessions) as session:
        make_ticket(session, "JY-20261031-0001", updated=midnight - timedelta(minutes=30))
        make_ticket(session, "JY-20261101-0001", updated=midnight + timedelta(minutes=30))
        make_ticket(session, "JY-20261102-0001", updated=midnight + timedelta(days=1, minutes=30))
    numbers = [r["number"] for r in export(config, tmp_path / "a.jsonl", "--since", "2026-11-01")]
    assert numbers == ["JY-20261101-0001", "JY-20261102-0001"]
    window = export(config, tmp_path / "b.jsonl", "--since", "2026-11-01", "--until", "2026-11-02")
    assert [r["number"] for r in window] == ["JY-20261101-0001"]
    assert window[0]["update_time"] == "2026-11-01T00:30:00.000000+08:00"
    utc = export(config, tmp_path / "c.jsonl", "--since", "2026-10-31T16:00:00Z")   # the same moment, in UTC
    assert [r["number"] for r in utc] == numbers


@pytest.mark.parametrize("args, words", [
    (["--since", "yesterday"], "看不懂--since的时间"),
    (["--since", "2026-13-01"], "看不懂--since的时间"),
    (["--since", "2026-11-01", "--until", "11/02"], "看不懂--until的时间"),
    (["--since", "2026-11-02", "--until", "2026-11-01"], "--until 必须晚于 --since"),
    (["--since", "2026-11-01", "--format", "xml"], "只能是 jsonl 或 csv"),
])
def test_a_bad_time_or_format_is_refused_in_chinese_and_writes_nothing(config, tmp_path, args, words):
    out = tmp_path / "out.jsonl"
    result = civicbot(config, "export", "--output", str(out), *args)
    assert result.exit_code != 0 and words in result.output and "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_a_category_with_a_national_code_not_in_the_list_is_refused_on_loading(settings):
    from bot.catalogue.loading import CatalogueError, check_catalogue, read_catalogue
    catalogue = read_catalogue(settings)
    vending = next(c for c in catalogue.categories if c["code"] == "street_vending")
    vending["national_code"] = "0577"
    with pytest.raises(CatalogueError, match="0577"):
        check_catalogue(catalogue)


def test_words_that_a_spreadsheet_would_run_go_into_the_csv_as_text(sessions, config, tmp_path):
    with transaction(sessions) as session:
        ticket = make_ticket(session, "JY-20261101-0001")
        ticket.description = '=HYPERLINK("http://example.com","点此")路口摆摊'
    [record] = export(config, tmp_path / "out.jsonl", "--since", "2020-01-01")
    assert record["description"] == '=HYPERLINK("http://example.com","点此")路口摆摊'   # JSON: exactly as written
    civicbot(config, "export", "--since", "2020-01-01", "--format", "csv", "--output", str(tmp_path / "out.csv"))
    [row] = read_csv(tmp_path / "out.csv")
    assert row["description"] == "'" + record["description"]
