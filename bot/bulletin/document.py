"""The 通报 as a Word document: a Scoreboard's figures in seven sections, with charts and an annex of staff."""
from __future__ import annotations

import io
from datetime import date, datetime

from docx.document import Document

from bot.bulletin import layout, wording
from bot.bulletin.charts import Chart, bulletin_charts
from bot.bulletin.periods import Period, chinese_date
from bot.cases.scoreboard_figures import Score, Scoreboard

MOST_OVERDUE_LISTED = 20    # the worst ones; the count of the rest is said in a sentence
MOST_URGES_LISTED = 30      # the latest 督办; each department's count is in the scores table
SCORE_WIDTHS = (7, 26, 9, 11, 13, 9, 13, 9, 12, 9, 14, 13)


def bulletin_docx(board: Scoreboard, period: Period, *, as_of: datetime, issued_on: date) -> bytes:
    """The .docx file's bytes; as_of is the district time the figures were computed at."""
    buffer = io.BytesIO()
    build_bulletin(board, period, as_of=as_of, issued_on=issued_on).save(buffer)
    return buffer.getvalue()


def build_bulletin(board: Scoreboard, period: Period, *, as_of: datetime, issued_on: date) -> Document:
    """The whole document; raises fonts.NoCjkFont when the charts cannot draw Chinese."""
    charts = bulletin_charts(board)
    issued = chinese_date(issued_on)
    document = layout.new_bulletin(f"{wording.TITLE}（{period.name}）", wording.ISSUER)
    layout.masthead(document, wording.TITLE, period.name, wording.ISSUER, issued)
    layout.body(document, wording.lead(period))
    overview, categories, departments, towns, overdue, urges, requirements = wording.SECTIONS

    layout.heading(document, overview)
    if board.empty:
        layout.body(document, wording.EMPTY_PERIOD)
    else:
        layout.body(document, wording.totals_sentence(board.totals))
        pairs = wording.totals_rows(board.totals)
        half = (len(pairs) + 1) // 2
        layout.table(document, ("指标", "数值", "指标", "数值"),
                     [(*pairs[i], *(pairs[i + half] if i + half < len(pairs) else ("", ""))) for i in range(half)],
                     (45, 33, 45, 33))
    layout.note(document, wording.SCOPE.format(as_of=f"{chinese_date(as_of.date())} {as_of:%H:%M}"))

    layout.heading(document, categories)
    _categories(document, board, charts)
    layout.heading(document, departments)
    _scores(document, "责任单位", board.departments, wording.NO_DEPARTMENTS, charts)
    layout.heading(document, towns)
    _scores(document, "镇街", board.towns, wording.NO_TOWNS, {})
    layout.heading(document, overdue)
    _overdue_cases(document, board)
    layout.heading(document, urges)
    _urges(document, board)
    layout.heading(document, requirements)
    for paragraph in wording.requirements(board):
        layout.body(document, paragraph)
    layout.signature(document, wording.ISSUER, issued)
    if board.people:
        _people_annex(document, board.people)
    return document


def _categories(document: Document, board: Scoreboard, charts: dict[str, Chart]) -> None:
    if not board.categories:
        layout.body(document, wording.NO_CATEGORIES)
        return
    layout.body(document, wording.categories_sentence(board))
    total = sum(number for _, number in board.categories) or 1
    layout.table(document, wording.CATEGORY_HEADER,
                 [(str(index), name, str(number), wording.pct(number / total))
                  for index, (name, number) in enumerate(board.categories, 1)],
                 (12, 60, 20, 20), left_columns=(1,))
    layout.figure(document, charts["categories"].png, charts["categories"].caption)


def _scores(document: Document, kind: str, ranked: list[Score], nothing: str, charts: dict[str, Chart]) -> None:
    """A ranked table of departments or towns, the charts of departments under it."""
    if not any(score.received for score in ranked):
        layout.body(document, nothing)
        return
    layout.body(document, wording.scores_sentence(kind, ranked))
    place = 0
    rows = []
    for score in ranked:
        place += bool(score.received)
        rows.append(wording.score_row(place if score.received else None, score))
    layout.table(document, wording.SCORE_HEADER, rows, SCORE_WIDTHS, left_columns=(1,))
    layout.note(document, wording.RANKING_RULE)
    if not charts:
        return
    if "on_time" in charts:
        layout.figure(document, charts["on_time"].png, charts["on_time"].caption)
    else:
        layout.body(document, wording.NO_ON_TIME_CHART)
    if "overdue" in charts:
        layout.figure(document, charts["overdue"].png, charts["overdue"].caption)
    else:
        layout.body(document, wording.NO_OVERDUE_CHART)


def _overdue_cases(document: Document, board: Scoreboard) -> None:
    cases = board.overdue_cases
    if not cases:
        layout.body(document, wording.NO_OVERDUE_CASES)
        return
    layout.body(document, wording.overdue_sentence(board))
    layout.table(document, wording.OVERDUE_HEADER,
                 [(str(index), case.number, case.category, case.place, case.department, f"{case.days_overdue:.1f}",
                   "未办结" if case.still_open else "已办结")
                  for index, case in enumerate(cases[:MOST_OVERDUE_LISTED], 1)],
                 (8, 30, 18, 42, 28, 12, 12), left_columns=(3, 4))
    unlisted = max(board.overdue_turns, len(cases)) - min(len(cases), MOST_OVERDUE_LISTED)
    if unlisted > 0:
        layout.note(document, f"另有{unlisted}件超期案件未列出，详见考核页面导出的工单清单。")


def _urges(document: Document, board: Scoreboard) -> None:
    if not board.urges:
        layout.body(document, wording.NO_URGES if not board.totals.urges
                    else f"本期区创城指挥部共督办{board.totals.urges}件。")
        return
    # A busy month has hundreds: the latest are listed, each department's count is in its row of the scores.
    listed = board.urges[-MOST_URGES_LISTED:]
    layout.body(document, wording.urges_sentence(max(board.totals.urges, len(board.urges)), len(listed)))
    layout.table(document, wording.URGE_HEADER,
                 [(str(index), urge.number, urge.department, urge.at_local, urge.message)
                  for index, urge in enumerate(listed, 1)],
                 (8, 30, 28, 26, 62), left_columns=(2, 4))


def _people_annex(document: Document, people: list[Score]) -> None:
    layout.annex(document, "承办人员办理情况")
    layout.table(document, wording.PEOPLE_HEADER,
                 [wording.person_row(index, score) for index, score in enumerate(people, 1)],
                 (8, 40, 10, 12, 14, 10, 10, 12, 12), left_columns=(1,))
