"""Every sentence and number format of the 通报, in one place so HQ can review and change its wording."""
from __future__ import annotations

from bot.bulletin.periods import Period
from bot.cases.scoreboard_figures import Score, Scoreboard, Totals

ISSUER = "晋源区创城指挥部"
TITLE = "晋源区创城工作通报"
NONE = "—"                  # a rate of nothing: no ticket resolved, none rated

SECTIONS = ("一、总体情况", "二、问题类别分布", "三、责任单位办理情况", "四、镇街办理情况", "五、超期未办结案件",
            "六、督办情况", "七、下步要求")

EMPTY_PERIOD = "本期全区未收到群众反映的问题，无工单办理数据，各项统计均为零。"
NO_CATEGORIES = "本期无问题类别数据。"
NO_DEPARTMENTS = "本期无派遣至责任单位的案件。"
NO_TOWNS = "本期无涉及镇街的案件。"
NO_OVERDUE_CASES = "本期无超期案件。"
NO_URGES = "本期未发出督办。"
NO_ON_TIME_CHART = "本期各责任单位均无处置完成的案件，暂无按时办结率图表。"
NO_OVERDUE_CHART = "本期各责任单位均无超期案件。"
RANKING_RULE = ("排名依据：按时办结率高者在前；相同时超期件数少者在前；再相同时满意率高者在前。"
                "按时办结率＝按期处置完成件数÷处置完成件数；重开率＝被重新交办件数÷处置完成件数；"
                "满意率＝评价“满意”“基本满意”件数÷评价件数。")
SCOPE = ("统计口径：全区总体情况按受理日期统计本期受理的案件；各单位、镇街按本期派遣给其承办的案件统计，"
         "超期计入期限届满时的承办单位，及时退回并经指挥部采纳的不计入。办理情况截至{as_of}。")

SCORE_HEADER = ("排名", "单位", "受理", "处置完成", "按时办结率", "超期", "延期申请/获准", "退回", "重开率", "督办",
                "处置中位时长（小时）", "满意率")
PEOPLE_HEADER = ("序号", "承办人", "受理", "处置完成", "按时办结率", "超期", "退回", "重开率", "满意率")
CATEGORY_HEADER = ("序号", "问题类别", "件数", "占比")
OVERDUE_HEADER = ("序号", "工单编号", "问题类别", "地点", "责任单位", "超期天数", "状态")
URGE_HEADER = ("序号", "工单编号", "责任单位", "督办时间", "督办事项")


def pct(rate: float | None) -> str:
    """93.3%, or — when there is nothing to divide by."""
    return NONE if rate is None else f"{100 * rate:.1f}%"


def hours(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


def lead(period: Period) -> str:
    return f"现将{period.span}全区创城问题受理、派遣和办理情况通报如下。"


def totals_sentence(totals: Totals) -> str:
    """The paragraph under 一、总体情况."""
    text = (f"本期全区共受理群众反映问题{totals.reports}件，派遣至责任单位{totals.dispatched}件，"
            f"处置完成{totals.resolved}件，核查结案{totals.closed}件；按时办结率{pct(totals.on_time_rate)}，"
            f"超期{totals.overdue}件。")
    own = [f"{label}{number}件" for label, number in (
        ("待审核（疑似骚扰或不实）", totals.held), ("不予受理", totals.rejected), ("重复反映合并", totals.merged),
        ("由区创城指挥部直接办理", totals.hq_only)) if number]
    if own:
        text += "另有" + "、".join(own) + "。"
    text += f"本期共督办{totals.urges}件。" if totals.urges else "本期未发出督办。"
    if totals.rated:
        text += f"群众评价{totals.rated}件，其中满意和基本满意{totals.satisfied}件，满意率{pct(totals.satisfaction)}。"
    else:
        text += "本期暂无群众评价。"
    return text


def totals_rows(totals: Totals) -> list[tuple[str, str]]:
    """(figure, value) pairs of the totals table, in reading order."""
    return [("受理问题", f"{totals.reports}件"), ("派遣责任单位", f"{totals.dispatched}件"),
            ("处置完成", f"{totals.resolved}件"), ("核查结案", f"{totals.closed}件"),
            ("按时办结率", pct(totals.on_time_rate)), ("超期", f"{totals.overdue}件"),
            ("待审核", f"{totals.held}件"), ("不予受理", f"{totals.rejected}件"),
            ("重复反映合并", f"{totals.merged}件"), ("指挥部直接办理", f"{totals.hq_only}件"),
            ("督办", f"{totals.urges}件"), ("满意率", pct(totals.satisfaction))]


def categories_sentence(board: Scoreboard) -> str:
    top = "、".join(f"{name}（{number}件）" for name, number in board.categories[:3])
    return f"本期反映问题涉及{len(board.categories)}个类别，居前的是{top}。"


def score_row(rank: int | None, score: Score) -> tuple[str, ...]:
    """One department's or town's row of the table, in SCORE_HEADER's order."""
    return (str(rank) if rank else NONE, score.name, str(score.received), str(score.resolved),
            pct(score.on_time_rate), str(score.overdue), f"{score.extensions_asked}/{score.extensions_granted}",
            str(score.returns), pct(score.reopen_rate), str(score.urged), hours(score.median_hours),
            pct(score.satisfaction))


def person_row(number: int, score: Score) -> tuple[str, ...]:
    return (str(number), score.name, str(score.received), str(score.resolved), pct(score.on_time_rate),
            str(score.overdue), str(score.returns), pct(score.reopen_rate), pct(score.satisfaction))


def scores_sentence(kind: str, ranked: list[Score]) -> str:
    """The paragraph above a table of departments or towns: who leads, who trails, who let tickets run over."""
    worked = [score for score in ranked if score.received]
    text = f"本期共有{len(worked)}个{kind}承办案件。"
    if len(worked) > 1:
        text += f"按时办结情况较好的是{worked[0].name}，排名靠后的是{worked[-1].name}。"
    late = [f"{score.name}（{score.overdue}件）" for score in worked if score.overdue]
    text += ("出现超期的有" + "、".join(late) + "。") if late else f"各{kind}均无超期案件。"
    return text


def overdue_sentence(board: Scoreboard) -> str:
    total = max(board.overdue_turns, len(board.overdue_cases))
    listed = "按超期时长从长到短列示如下。" if total <= len(board.overdue_cases) else \
        f"超期时间最长的{len(board.overdue_cases)}件列示如下。"
    return f"本期共有超期案件{total}件，其中仍未办结{open_overdue(board)}件，{listed}"


def open_overdue(board: Scoreboard) -> int:
    return max(board.overdue_still_open, sum(case.still_open for case in board.overdue_cases))


def urges_sentence(count: int, listed: int) -> str:
    return f"本期区创城指挥部共督办{count}件，" + ("明细如下。" if listed >= count else f"最近的{listed}件列示如下。")


def trailing(departments: list[Score], how_many: int = 2) -> list[Score]:
    """The worst-ranked departments the requirements name: among the last how_many of those that worked tickets
    (never the only one, never the best), those that lost points (overdue, or not all resolved on time)."""
    worked = [score for score in departments if score.received]
    if len(worked) < 2:
        return []
    bottom = worked[max(1, len(worked) - how_many):]
    return [score for score in bottom
            if score.overdue or (score.on_time_rate is not None and score.on_time_rate < 1)]


def requirements(board: Scoreboard) -> list[str]:
    """The paragraphs of 七、下步要求: fixed requirements, naming the worst-ranked departments."""
    named = trailing(board.departments)
    first = ("（一）压实工作责任。" + (
        f"请排名靠后的{'、'.join(score.name for score in named)}高度重视，主要负责同志要亲自研究、亲自部署，"
        "认真分析超期和未按时办结的原因，制定整改措施，于下期通报前将整改情况书面报区创城指挥部。"
        if named else "各责任单位和镇街要保持良好态势，坚持“谁主管、谁负责”，确保群众反映的问题件件有落实。"))
    still_open = open_overdue(board)
    second = ("（二）限期清零超期案件。" + (
        f"对本期仍未办结的{still_open}件超期案件，相关单位要逐件明确责任人和办结时限，限3个工作日内办结，"
        "确实无法按期办结的，须向区创城指挥部书面说明原因。"
        if still_open else "各单位要加强对临期案件的跟踪，杜绝超期，对督办事项要第一时间响应、限时办结。"))
    third = ("（三）提升办理质量。各单位要严格按照处置标准办理，如实上传处置前后照片，杜绝“以退代办”“一退了之”，"
             "减少群众不满意和重复反映；区创城指挥部将持续通报各单位办理情况，并将通报结果纳入创城工作考核。")
    return [first, second, third]
