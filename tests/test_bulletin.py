"""HQ's 创城工作通报 as its readers see it: the Word document's sections, tables and charts, the PDF, the command
and the scoreboard's download buttons.

One history for the whole module (its own database): three residents report, the 区城市管理局 resolves one of its
two tickets in time, and the 区住房和城乡建设局 lets its only ticket run past the deadline. LibreOffice runs once,
for the `civicbot report` the module's tests share."""
from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from docx import Document
from PIL import Image
from sqlalchemy import select, update

from bot.app import create_app
from bot.bulletin import fonts, pdf, wording
from bot.bulletin.charts import count_figure, rate_figure
from bot.bulletin.periods import month_of, period_for, range_of, week_of
from bot.bulletin.publish import render
from bot.cases.scoreboard_figures import OverdueCase, Score, UrgeRecord
from bot.cases.scores import compute_scoreboard
from bot.infra.db import transaction
from models import Hold, Ticket, utcnow
from tests import images
from tests.conftest import Resident, copy_database, drop_database, make_settings
from tests.support import add_staff, civicbot, config_file, logged_in, report, ticket_number

URBAN, HOUSING = "区城市管理局", "区住房和城乡建设局"
STALL = "晋祠镇花塔村路口有人摆摊占了半条路"
MANHOLE = "古唐苑小区门口的井盖丢了，很危险"
FLYERS = "晋祠镇赤桥村墙上贴满了小广告"


@dataclasses.dataclass
class History:
    app: object
    settings: object
    numbers: dict

    def board(self, first_day: date, last_day: date):
        services = self.app.extensions["civicbot"]
        with transaction(services.sessions) as session:
            return compute_scoreboard(first_day, last_day, utcnow(), session=session, catalogue=services.catalogue,
                                      return_window=timedelta(hours=24))

    @property
    def today(self) -> date:
        return self.app.extensions["civicbot"].catalogue.calendar.local(utcnow()).date()


@pytest.fixture(scope="module")
def history(tmp_path_factory, template_database):
    folder = tmp_path_factory.mktemp("bulletin")
    url = copy_database(template_database, folder)
    settings = make_settings(folder, url)
    app = create_app(settings)
    sessions = app.extensions["civicbot"].sessions
    add_staff(sessions, ("chen", "urban_mgmt", "staff"), ("hq", "hq", "admin"))
    numbers = {"stall": ticket_number(report(Resident(app, "o-bulletin-1"), STALL)),
               "manhole": ticket_number(report(Resident(app, "o-bulletin-2"), MANHOLE)),
               "flyers": ticket_number(report(Resident(app, "o-bulletin-3"), FLYERS, category="违法小广告"))}
    chen = logged_in(app, "chen")
    chen.act(numbers["stall"], "accept")
    chen.act(numbers["stall"], "resolve", note="已清理", photos=[("after.jpg", images.jpeg())])
    with transaction(sessions) as session:   # the manhole's deadline passed two days ago, untouched
        manhole = session.scalar(select(Ticket.id).where(Ticket.number == numbers["manhole"]))
        session.execute(update(Ticket).where(Ticket.id == manhole).values(deadline_at=utcnow() - timedelta(days=2)))
        session.execute(update(Hold).where(Hold.ticket_id == manhole).values(deadline_at=utcnow() - timedelta(days=2)))
    yield History(app, settings, numbers)
    drop_database(url)


@pytest.fixture(scope="module")
def week(history):
    return week_of(history.today)


@pytest.fixture(scope="module")
def bulletin(history, week):
    return Document(io.BytesIO(render(history.board(week.first_day, week.last_day), week, utcnow(),
                                      history.app.extensions["civicbot"].catalogue.calendar.zone)))


@pytest.fixture(scope="module")
def cli_run(history, week, tmp_path_factory):
    """`civicbot report --period week --date TODAY --out …/week.docx`, once: the module's only LibreOffice run."""
    folder = tmp_path_factory.mktemp("cli-report")
    config = config_file(folder / "config.toml", history.settings)
    out = folder / "reports" / "week.docx"
    result = civicbot(config, "report", "--period", "week", "--date", history.today.isoformat(), "--out", str(out))
    return result, out


def text_of(document) -> str:
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def rows_of(table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def tables_headed(document, first_header: str) -> list[list[list[str]]]:
    return [rows_of(table) for table in document.tables if table.rows[0].cells[0].text == first_header]


def totals_of(document) -> dict[str, str]:
    """The 总体情况 table as {figure: value} (it lays the pairs out in two columns)."""
    (rows,) = tables_headed(document, "指标")
    return {row[i]: row[i + 1] for row in rows[1:] for i in (0, 2) if row[i]}


# The Word document -------------------------------------------------------------------------------------------------

def test_the_bulletin_is_titled_with_its_week_and_days_and_issued_by_hq(bulletin, week):
    text = text_of(bulletin)
    assert text.startswith("晋源区创城工作通报\n（") and f"（{week.name}）" in text and "周）" in text
    assert wording.ISSUER in text and f"现将{week.span}全区创城问题受理" in text
    headings = [p.text for p in bulletin.paragraphs if p.style.name == "Heading 1"]
    assert headings == list(wording.SECTIONS)


def test_the_totals_table_counts_the_periods_tickets(bulletin):
    totals = totals_of(bulletin)
    figures = ("受理问题", "派遣责任单位", "处置完成", "超期")
    assert [totals[figure] for figure in figures] == ["3件", "3件", "1件", "1件"]
    assert totals["按时办结率"] == "100.0%" and totals["不予受理"] == "0件" and totals["满意率"] == "—"
    assert "本期全区共受理群众反映问题3件，派遣至责任单位3件，处置完成1件" in text_of(bulletin)


def test_departments_are_ranked_with_their_figures_and_the_late_one_is_named(bulletin):
    departments, _towns = tables_headed(bulletin, "排名")
    header, first, second = departments[0], *departments[1:]
    column = {name: header.index(name) for name in header}
    assert [first[column["排名"]], first[column["单位"]], second[column["排名"]], second[column["单位"]]] == \
        ["1", URBAN, "2", HOUSING]
    assert [first[column[name]] for name in ("受理", "处置完成", "按时办结率", "超期")] == ["2", "1", "100.0%", "0"]
    assert [second[column[name]] for name in ("受理", "处置完成", "按时办结率", "超期")] == ["1", "0", "—", "1"]
    assert f"请排名靠后的{HOUSING}高度重视" in text_of(bulletin)
    assert f"出现超期的有{HOUSING}（1件）" in text_of(bulletin)


def test_categories_are_listed_most_first_and_three_charts_are_embedded_as_png(bulletin):
    (categories,) = tables_headed(bulletin, "序号")[:1]
    assert categories[0] == list(wording.CATEGORY_HEADER)
    assert {row[1] for row in categories[1:]} == {"占道经营", "市政设施", "违法小广告"}
    pictures = [shape._inline.graphic.graphicData.pic.blipFill.blip.embed for shape in bulletin.inline_shapes]
    parts = [bulletin.part.related_parts[rid] for rid in pictures]
    assert len(parts) == 3 and all(part.content_type == "image/png" for part in parts)
    assert all(Image.open(io.BytesIO(part.blob)).width >= 1000 for part in parts)   # sharp in print
    captions = [p.text for p in bulletin.paragraphs if p.text.startswith("图")]
    assert captions == ["图1　问题类别分布（件）", "图2　责任单位按时办结率（%）", "图3　责任单位超期案件（件）"]


def test_empty_lists_are_said_in_a_sentence_not_shown_as_empty_tables(history, week):
    board = dataclasses.replace(history.board(week.first_day, week.last_day), overdue_cases=[], urges=[], people=[])
    document = Document(io.BytesIO(render(board, week, utcnow(),
                                          history.app.extensions["civicbot"].catalogue.calendar.zone)))
    text = text_of(document)
    assert wording.NO_OVERDUE_CASES in text and wording.NO_URGES in text
    assert len(tables_headed(document, "序号")) == 1 and "附件" not in text   # the categories: no overdue or urge table


def test_the_late_case_is_listed_under_the_department_that_held_it(bulletin, history):
    (overdue,) = [rows for rows in tables_headed(bulletin, "序号") if "超期天数" in "".join(rows[0])]
    assert [row[1] for row in overdue[1:]] == [history.numbers["manhole"]] and HOUSING in overdue[1]


def test_a_period_without_tickets_still_renders_and_says_so(history):
    quiet = week_of(date(2001, 1, 3))
    board = history.board(quiet.first_day, quiet.last_day)
    document = Document(io.BytesIO(render(board, quiet, utcnow(), history.app.extensions["civicbot"]
                                          .catalogue.calendar.zone)))
    text = text_of(document)
    assert "（2001年1月第1周）" in text and wording.EMPTY_PERIOD in text
    for sentence in (wording.NO_CATEGORIES, wording.NO_DEPARTMENTS, wording.NO_TOWNS, wording.NO_OVERDUE_CASES):
        assert sentence in text
    assert not document.tables and not document.inline_shapes and "请排名靠后" not in text


def test_overdue_cases_urges_and_people_are_listed_when_there_are_some(history, week):
    board = dataclasses.replace(
        history.board(week.first_day, week.last_day),
        overdue_cases=[OverdueCase("JY-20261123-0004", "市政设施", "古唐苑小区门口", HOUSING, 2.5, True)],
        urges=[UrgeRecord("JY-20261123-0004", HOUSING, "2026-11-27 09:30", "请于今日内处置完毕")],
        people=[Score("chen", f"陈明（{URBAN}）", received=2, resolved=1, on_time=1)])
    document = Document(io.BytesIO(render(board, week, utcnow(), history.app.extensions["civicbot"]
                                          .catalogue.calendar.zone)))
    _categories, overdue, urges, people = tables_headed(document, "序号")
    assert overdue[1] == ["1", "JY-20261123-0004", "市政设施", "古唐苑小区门口", HOUSING, "2.5", "未办结"]
    assert urges[1] == ["1", "JY-20261123-0004", HOUSING, "2026-11-27 09:30", "请于今日内处置完毕"]
    assert people[1][:5] == ["1", f"陈明（{URBAN}）", "2", "1", "100.0%"]
    text = text_of(document)
    assert "附件" in text and "对本期仍未办结的1件超期案件" in text and wording.NO_OVERDUE_CASES not in text


def test_charts_count_in_whole_numbers_and_rates_run_to_100_percent():
    counts = count_figure(["区水务局"], [1], "#000000").axes[0]
    assert all(tick == int(tick) for tick in counts.get_xticks()) and len(counts.get_xticks()) <= 3
    rates = rate_figure(["区水务局"], [40.0]).axes[0]
    assert list(rates.get_xticks()) == [0, 20, 40, 60, 80, 100]
    assert [label.get_text() for label in rates.get_xticklabels()][-1] == "100%"


def test_without_a_cjk_font_the_charts_say_what_to_install(monkeypatch):
    monkeypatch.setattr(fonts, "FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(fonts, "_fontconfig_chinese_fonts", lambda: [])
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.NoCjkFont, match="fonts-noto-cjk"):
            count_figure(["区水务局"], [1], "#000000")
    finally:
        fonts.cjk_font.cache_clear()


# Periods -----------------------------------------------------------------------------------------------------------

def test_weeks_and_months_are_named_as_the_district_names_them():
    assert week_of(date(2026, 11, 25)).name == "2026年11月第4周"
    assert week_of(date(2026, 12, 1)).name == "2026年12月第1周"          # 11-30…12-06: most of it is December
    assert week_of(date(2026, 11, 25)).span == "2026年11月23日至11月29日"
    assert month_of(date(2026, 11, 5)).name == "2026年11月" and month_of(date(2026, 2, 5)).last_day.day == 28
    assert period_for("week", None, date(2026, 12, 2)) == week_of(date(2026, 11, 29))    # the last complete week
    assert period_for("month", None, date(2027, 1, 10)) == month_of(date(2026, 12, 1))
    arbitrary = range_of(date(2026, 11, 20), date(2026, 11, 3))
    assert arbitrary.name == "2026年11月3日至11月20日" and arbitrary.first_day == date(2026, 11, 3)
    assert range_of(date(2026, 11, 1), date(2026, 11, 30)).name == "2026年11月"


# The command and the PDF -------------------------------------------------------------------------------------------

@pytest.mark.slow   # LibreOffice: about 2–5 s, once for both tests
def test_the_report_command_writes_word_and_pdf_and_prints_their_paths(cli_run):
    if pdf.soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make documents` as root installs it")
    result, out = cli_run
    assert result.exit_code == 0, result.output
    assert f"Word: {out}" in result.stdout and f"PDF:  {out.with_suffix('.pdf')}" in result.stdout
    assert "创城工作通报" in Document(out).paragraphs[0].text


@pytest.mark.slow
def test_the_pdf_shows_the_title_and_the_departments(cli_run, tmp_path):
    if pdf.soffice() is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice and poppler-utils are needed: `make documents` as root installs them")
    result, out = cli_run
    made = out.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(made), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    assert "晋源区创城工作通报" in text and URBAN in text and "七、下步要求" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(made), str(tmp_path / "page")],
                   check=True, timeout=60)
    (page,) = tmp_path.glob("page*.png")
    assert Image.open(page).size[1] > Image.open(page).size[0] > 400   # an A4 page, portrait


def test_without_libreoffice_the_command_still_writes_word_and_says_how_to_get_the_pdf(history, tmp_path,
                                                                                     monkeypatch):
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    config = config_file(tmp_path / "config.toml", history.settings)
    out = tmp_path / "month.docx"
    result = civicbot(config, "report", "--period", "month", "--out", str(out))
    assert result.exit_code == 1 and out.exists() and not out.with_suffix(".pdf").exists()
    assert "PDF not written: it needs LibreOffice" in result.stderr and "libreoffice-writer-nogui" in result.stderr
    assert "月）" in Document(out).paragraphs[1].text


# The scoreboard's download buttons ---------------------------------------------------------------------------------

def test_hq_downloads_the_bulletin_of_the_shown_period_as_word(history, week):
    hq = logged_in(history.app, "hq")
    span = {"from": week.first_day.isoformat(), "to": week.last_day.isoformat()}
    page = hq.client.get("/portal/scores", query_string=span).get_data(as_text=True)
    assert "下载通报（Word）" in page and "下载通报（PDF）" in page
    response = hq.client.get("/portal/scores/bulletin.docx", query_string=span)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = Document(io.BytesIO(response.data))
    assert f"（{week.name}）" in text_of(document) and totals_of(document)["受理问题"] == "3件"
    assert logged_in(history.app, "chen").page("/portal/scores/bulletin.docx").status_code == 403


def test_the_pdf_button_gives_a_pdf_or_says_in_chinese_why_not(history, monkeypatch):
    hq = logged_in(history.app, "hq")
    span = {"from": "2026-11-03", "to": "2026-11-20"}

    def fake_libreoffice(docx, target, **_):
        target.write_bytes(b"%PDF-1.4 " + docx.read_bytes()[:4])
        return target
    monkeypatch.setattr("bot.bulletin.publish.convert_to_pdf", fake_libreoffice)
    made = hq.client.get("/portal/scores/bulletin.pdf", query_string=span)
    assert made.status_code == 200 and made.mimetype == "application/pdf" and made.data.startswith(b"%PDF")
    monkeypatch.undo()
    monkeypatch.setattr(pdf, "soffice", lambda: None)
    refused = hq.client.get("/portal/scores/bulletin.pdf", query_string=span, follow_redirects=True)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "通报未能生成：生成 PDF 需要 LibreOffice" in page
    assert 'value="2026-11-03"' in page   # back on the scores of the same period


def test_a_busy_period_counts_every_overdue_case_and_urge_and_lists_the_worst_and_latest(history, week):
    measured = history.board(week.first_day, week.last_day)
    board = dataclasses.replace(
        measured,
        totals=dataclasses.replace(measured.totals, urges=45),
        overdue_cases=[OverdueCase(f"JY-20261123-{n:04d}", "市政设施", "古唐苑小区门口", HOUSING, 30 - n, n % 2 == 0)
                       for n in range(20)],
        overdue_turns=57, overdue_still_open=40,
        urges=[UrgeRecord(f"JY-20261123-{n:04d}", HOUSING, f"2026-11-27 09:{n:02d}", "请尽快处置") for n in range(45)])
    document = Document(io.BytesIO(render(board, week, utcnow(), history.app.extensions["civicbot"]
                                          .catalogue.calendar.zone)))
    text = text_of(document)
    assert "本期共有超期案件57件，其中仍未办结40件，超期时间最长的20件列示如下。" in text
    assert "另有37件超期案件未列出" in text and "对本期仍未办结的40件超期案件" in text
    assert "本期区创城指挥部共督办45件，最近的30件列示如下。" in text
    _categories, overdue, urges, *_ = tables_headed(document, "序号")
    assert len(overdue) == 21 and len(urges) == 31 and urges[-1][3] == "2026-11-27 09:44"
