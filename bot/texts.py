"""Every sentence a resident reads, in one place so it can be reviewed and changed together."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

ACCOUNT_NAME = "晋源区文明城市随手拍"

HOW_TO_REPORT = (
    "① 用文字或语音说明看到的问题；\n"
    "② 点“+”→“位置”发送位置，或写明地点（如“晋祠镇花塔村路口”）；\n"
    "③ 可以拍张照片发来；\n"
    "④ 回复“提交”。"
)

WELCOME = (
    f"您好，欢迎关注{ACCOUNT_NAME}！\n"
    "看到占道经营、乱扔垃圾、小广告、工地扬尘、乱停车、路灯不亮等问题，可以直接在这里反映：\n"
    f"{HOW_TO_REPORT}\n"
    "我们会转交责任部门限期处理，并告诉您结果。"
)

HELP = (
    "反映问题只需几步：\n"
    f"{HOW_TO_REPORT}\n"
    "其他指令：\n"
    "“取消”——放弃正在填写的反映\n"
    "“我的”——查看我提交的工单\n"
    "“查询 编号”——查看工单进度"
)

START_REPORT = "请直接用文字或语音说明问题，再发送位置；可以附上照片。信息齐全后回复“提交”。"

GREETING = f"您好！这里是{ACCOUNT_NAME}。看到不文明行为或城市管理问题，请直接发文字、语音、照片或位置给我们。回复“帮助”查看说明。"

THANKS_ANSWERED = "不客气，感谢您对城市管理的支持！再看到问题，随时发给我们。"

UNSUPPORTED = "暂不支持这类消息。请发送文字、照片或位置来反映问题，谢谢！"

EMPTY_VOICE = "抱歉，没能听清您的语音。请再说一遍，或直接打字告诉我们。"

DRAFT_EXPIRED = "您上次未提交的反映已超过{minutes}分钟没有动静，已自动取消。"

NOTHING_TO_SUBMIT = "您还没有正在填写的反映。请先用文字、语音、照片或位置说明问题。"

NOTHING_TO_CANCEL = "当前没有正在填写的反映。"

CANCELLED = "已取消这次反映。需要时随时再发给我们。"

QUERY_USAGE = "请回复“查询 编号”，例如：查询 JY-20261128-0001。回复“我的”可查看您的全部工单。"

QUERY_NOT_FOUND = "没有找到您提交的编号为 {number} 的工单，请核对编号。回复“我的”可查看您的工单。"

NO_TICKETS = "您还没有提交过反映。"

JOINED = "感谢您的反映！该问题已有 {count} 人反映，正在处理（编号 {number}）。处理进展会同样告诉您，也可回复“查询 {number}”查看。"

ALREADY_REPORTED = "您已经反映过这个问题（编号 {number}），正在处理中，新发的照片和说明已补充到该工单。回复“查询 {number}”可查看进度。"

RATE_LIMITED = "您这一小时已提交了 {limit} 条反映，系统暂时无法再受理新的反映。请稍后再提交，当前填写的内容会为您保留{minutes}分钟。"

BLOCKED = "您的账号已暂停使用反映功能。如有疑问，请联系区创城指挥部。"

MY_DATA = (
    "我们为您保存的信息：\n"
    "· 微信身份标识（OpenID，仅用于回复您，不提供给处理部门）：{openid}\n"
    "· 首次使用：{first_seen}\n"
    "· 您发来的消息记录：{messages} 条\n"
    "· 您提交的工单：{tickets} 件；照片：{photos} 张（已去除拍摄位置等元数据）\n"
    "· 未提交的反映：{drafts} 条\n"
    "回复“删除我的数据”可删除您的身份信息（工单本身会保留给处理部门）。"
)

ERASE_ASK = "删除后，您的微信身份将与全部工单、消息和照片解除关联，您将无法再查询这些工单的进度，也收不到处理结果。工单本身保留给处理部门。确认请在{minutes}分钟内回复“确认删除”。"

ERASED = "已删除您的身份信息：{tickets} 件工单已与您解除关联，消息记录已清除。感谢您曾经的反映！"

NOTHING_TO_ERASE = "没有待确认的删除请求。如需删除您的数据，请先回复“删除我的数据”。"

BUSY = "系统正忙，请稍后再发一次，谢谢！"

FAILED = "抱歉，系统处理您的消息时出了点问题。消息已保存，工作人员会尽快跟进；您也可以稍后再发一次。"

PHOTO_NOT_SAVED = "抱歉，您刚才发送的照片暂时没能保存，反映内容不受影响。方便的话请重新发送一次照片。"

PHOTO_EXPIRED = "抱歉，您发送的照片已过期，未能保存，反映内容不受影响。方便的话请重新拍一张发送。"

PHOTO_REFUSED = {
    "too_large": "抱歉，这张照片太大了（超过{megabytes}MB），未能保存。请压缩后或换一张再发，反映内容不受影响。",
    "too_many_pixels": "抱歉，这张照片尺寸过大，未能保存。请换一张普通照片再发，反映内容不受影响。",
    "not_image": "抱歉，收到的文件不是可识别的图片，未能保存。请发送照片（JPG、PNG 等），反映内容不受影响。",
    "format": "抱歉，暂不支持这种图片格式，未能保存。请发送 JPG 或 PNG 照片，反映内容不受影响。",
    "broken": "抱歉，这张照片已损坏，未能打开。请重新发送一次，反映内容不受影响。",
}


def photo_refused(reason: str, *, max_bytes: int) -> str:
    """Why a photo could not be used; an unknown reason reads as a broken file."""
    return PHOTO_REFUSED.get(reason, PHOTO_REFUSED["broken"]).format(megabytes=max_bytes // (1024 * 1024))


LOGIN_REFUSED = "账号或密码不正确，请重新输入。多次输错后，每次登录前需稍候片刻。"
LOGIN_WAIT = "登录尝试过于频繁，为保护账号安全，请 {wait}后再试。"


def photo_placed(town_name: str | None) -> str:
    where = f"（{town_name}）" if town_name else ""
    return f"已根据照片的拍摄位置{where}记下问题地点。如果不准确，请点“+”→“位置”重新发送。"


NOTICES = {
    "dispatched": "您反映的问题（编号 {number}）已派至{department}处理，处理时限 {deadline}。",
    "accepted": "{department}已接手您反映的问题（编号 {number}），正在处置。",
    "resolved": "您反映的问题（编号 {number}）已处理完毕。处理情况：{note}\n处理后的照片随后发送。\n是否已解决？回复 1 满意　2 基本满意　3 不满意",
    "rejected": "很抱歉，您反映的问题（编号 {number}）未予受理。原因：{note}",
    "reopened": "您反映的问题（编号 {number}）已重新交办处理，我们会继续跟进。",
    "closed": "您反映的问题（编号 {number}）已办结。感谢您对文明城市建设的支持！",
    "reply": "关于您反映的问题（编号 {number}），答复如下：{note}",
    "review": "关于您反映的问题（编号 {number}）：另有反映同一问题的市民表示仍未解决，已交区创城指挥部复核，结果会告诉您。",
}


def ticket_notice(kind: str, *, number: str, department: str, note: str, deadline: str) -> str:
    return NOTICES[kind].format(number=number, department=department, note=note or "已处置", deadline=deadline)


RATED = "感谢您的评价！工单 {number} 已办结。欢迎继续监督、随时反映。"

ASK_REASON = "很抱歉问题还没有解决好。请简单说说哪里还不满意（例如：摊贩又回来了），我们会交区创城指挥部重新处理。"

REOPENED_BY_RESIDENT = "已收到您的意见，工单 {number} 已退回区创城指挥部重新交办，处理后会再告诉您。"

REVIEW_BY_HQ = "已收到您的意见。工单 {number} 已重新处理过一次，这次交由区创城指挥部复核，结果会告诉您。"

MISSING_PARTS = {
    "description": "问题说明（发文字或语音）",
    "location": "位置（点“+”→“位置”发送定位，或写明村、小区、路名或附近的地标）",
    "place_choice": "确认位置（回复 1 或 2，见下）",
}


def when(moment_local: datetime) -> str:
    return f"{moment_local.month}月{moment_local.day}日 {moment_local:%H:%M}"


def draft_summary(*, category_name: str | None, description: str, place: str, town_name: str | None,
                  photo_count: int, missing: list[str], outside_district: bool = False,
                  choosing: bool = False, place_note: str = "") -> str:
    """Say what we understood so far and what is still missing."""
    lines = [f"收到，这是一条【{category_name}】反映。" if category_name else "收到。"]
    if description:
        lines.append(f"· 问题：{_short(description)}")
    if place:
        lines.append(f"· 位置：{place}" + (f"（{town_name}）" if town_name and town_name not in place else ""))
    if place_note:
        lines.append(f"  {place_note}")
    if outside_district:
        lines.append("  （这个位置似乎不在晋源区范围内，提交后将由区创城指挥部确认）")
    lines.append(f"· 照片：{photo_count} 张" if photo_count else "· 照片：暂无（可选，建议拍一张）")
    if choosing:
        if missing:
            lines.append("还需要：" + "；".join(MISSING_PARTS[part] for part in missing) + "。")
    elif missing:
        lines.append("还需要：" + "；".join(MISSING_PARTS[part] for part in missing) + "。")
    else:
        lines.append("信息已齐全，回复“提交”即可生成工单；也可继续补充照片或说明。回复“取消”可放弃。"
                     "类别不对可回复“改为 类别名”。")
    return "\n".join(lines)


CHOOSE_FIRST = "提交前请先选一下问题类别："

CHOICE_OUT_OF_RANGE = "请回复 1–{last} 之间的数字："

UNKNOWN_CATEGORY = "没有“{name}”这个类别。"

CATEGORY_SET = "好的，已按【{name}】处理。"


def category_menu(names: list[str], *, unsure: bool) -> str:
    """A numbered list; the resident answers with the number."""
    head = "这个问题属于哪一类？请回复数字：" if unsure else "请回复数字选择问题类别："
    lines = [head] + [f"{index}. {name}" for index, name in enumerate(names, 1)]
    if not unsure:
        lines.append("也可回复“改为 类别名”，如“改为 占道经营”。")
    else:
        lines.append("不是要反映问题？回复“取消”即可。")
    return "\n".join(lines)


def cannot_submit(missing: list[str]) -> str:
    return "还不能提交，缺少：" + "；".join(MISSING_PARTS[part] for part in missing) + "。"


def submitted(*, number: str, category_name: str, department_name: str, town_name: str | None,
              deadline_local: datetime, needs_triage: bool) -> str:
    lines = [
        "已受理，感谢您的反映！",
        f"编号：{number}",
        f"类别：【{category_name}】",
        f"承办部门：{department_name}" + ("（分派中）" if needs_triage else ""),
        f"属地：{town_name or '待指挥部确认'}",
        f"处理时限：{when(deadline_local)} 前",
        f"进度有变化会通知您，也可回复“查询 {number}”查看。",
    ]
    return "\n".join(lines)


def ticket_status(*, number: str, status_name: str, category_name: str, department_name: str,
                  town_name: str | None, deadline_local: datetime, overdue: bool,
                  photo_links: Sequence[str] = (), reply: str = "", department_links: Sequence[str] = ()) -> str:
    """What 查询 shows a reporter: the ticket, the department's public reply and after-photos, and their own photos."""
    photos = ["您的照片（仅您本人可见，链接限时有效）："] + [f"{link} " for link in photo_links] if photo_links else []
    after = [f"{department_name}的处置后照片："] + [f"{link} " for link in department_links] if department_links else []
    return "\n".join([
        f"工单 {number}",
        f"状态：{status_name}",
        f"类别：【{category_name}】",
        f"承办部门：{department_name}",
        f"属地：{town_name or '待指挥部确认'}",
        f"处理时限：{when(deadline_local)} 前" + ("（已超期，已提请指挥部督办）" if overdue else ""),
        *([f"处理情况：{reply}"] if reply else []),
        *after,
        *photos,
    ])


def ticket_list(rows: list[tuple[str, str, str, datetime]]) -> str:
    """rows: (number, category name, status name, deadline in local time)."""
    lines = ["您最近的工单："]
    for index, (number, category_name, status_name, deadline_local) in enumerate(rows, 1):
        lines.append(f"{index}. {number}【{category_name}】{status_name}，时限 {when(deadline_local)}")
    lines.append("回复“查询 编号”查看详情。")
    return "\n".join(lines)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# --- Places that are places (issue 16, part 1) ---

PLACE_TO_CONFIRM = "待确认（见下）"

PLACE_SETTLED = "好的，位置以{place}为准。"


def vague_place(words: str) -> str:
    """What the summary says when the words only point at a place (俺们村口, 我家楼下)."""
    return f"“{words}”不够具体，还不知道是哪里"


def place_not_settled(place: str, *, spans: bool) -> str:
    """Asked once, when the place named is a road across towns or an address we cannot place in a town."""
    why = "跨好几个镇街" if spans else "还确定不了属于哪个镇街"
    return (f"“{place}”{why}。方便的话请点“+”→“位置”发送定位，或说一个附近的村、小区或地标；"
            "没有的话直接回复“提交”，由区创城指挥部确定属地。")


def point_place(*, photo: bool, near: str | None, town_name: str | None) -> str:
    """A point with no label, in words: the nearest known place, else its town, never raw coordinates."""
    what = "照片拍摄地点" if photo else "已收到定位"
    if near:
        return f"{what}，在“{near}”附近" + (f"（{town_name}）" if town_name else "")
    return f"{what}，在{town_name}境内" if town_name else f"{what}（不在晋源区范围内）"


def place_question(*, point: str, point_town: str, words: str, words_town: str) -> str:
    """The shared point and the words name different towns: show both, ask which is right."""
    return (f"您发送的定位和文字里说的地点不在同一个镇街：\n"
            f"1. 定位：{point}" + ("" if point_town in point else f"（{point_town}）") + "\n"
            f"2. 文字：{words}" + ("" if words_town in words else f"（{words_town}）") + "\n"
            "哪个对？请回复 1 或 2；也可以重新发送定位。")

# --- Issue 16, part "questions and emergencies": answers, emergencies, offers to file ---------------------------

EMERGENCY_CALL = "【紧急】请立即拨打 {numbers}！"

EMERGENCY_NOT_HERE = "本公众号不能出警，紧急情况请一定先打电话。"

EMERGENCY_OFFER = "确认安全、电话打过之后，如果还需要把这件事作为问题反映（例如现场清理、隐患整改），回复 1 即可。"

OFFER_TO_FILE = "如果您要反映这个问题，回复 1 或“是”，我们就按您说的开始填写；也可以直接发送位置或照片。"

DRAFT_KEPT = "您正在填写的反映还在，可以继续补充，或回复“提交”。"

DRAFT_KEPT_CHOOSING = "您正在填写的反映还在，请回复数字选择问题类别。"

OFFER_TAKEN = "好的，按您刚才说的开始填写。"

WEEKDAYS = "一二三四五六日"


def emergency(services: Sequence[str], answers: Sequence[str]) -> str:
    """The numbers first, then what to do; several kinds at once (a fire with injured people) name them all."""
    numbers = "、".join(s if s.isdigit() else f"{s}电话" for s in services)
    return "\n".join([EMERGENCY_CALL.format(numbers=numbers), *answers, EMERGENCY_NOT_HERE])


def latest_ticket(*, number: str, category_name: str, status_name: str, deadline_local: datetime) -> str:
    return f"您最近的一件：{number}【{category_name}】{status_name}，处理时限 {when(deadline_local)} 前。"


def working_days(days: Sequence[int]) -> str:
    """ISO weekdays as residents say them: 周一至周五, or 周一、周三 when they are not a run."""
    days = sorted(days)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"周{WEEKDAYS[days[0] - 1]}至周{WEEKDAYS[days[-1] - 1]}"
    return "、".join(f"周{WEEKDAYS[day - 1]}" for day in days)


def working_hours(days: Sequence[int], windows: Sequence[tuple[str, str]]) -> str:
    return working_days(days) + " " + "、".join(f"{begin}–{end}" for begin, end in windows)


def deadline_words(amount: float, unit: str) -> str:
    """ "4h" → 4 个工作小时, "3d" → 3 个工作日 (data/categories.toml's deadlines)."""
    return f"{amount:g} 个工作{'小时' if unit == 'h' else '日'}"

# --- Several problems in one report (issue 16, part 4): offered to be filed one ticket each -----------------------

SEVERAL_ASK_AGAIN = "请先回复 1 或 2："
SEVERAL_AS_ONE = "好的，作为一条反映提交。"
SEVERAL_LIMITED = ("您这一小时内还能提交 {left} 条反映，这次说的是 {count} 个问题。请稍后再分开提交，"
                   "或回复 2 作为一条反映提交。当前填写的内容会为您保留{minutes}分钟。")


def several_problems(*, problems: Sequence[tuple[str, str]], place: str, town_name: str | None, photo_count: int,
                     missing: list[str], agreed: bool) -> str:
    """The problems found in one report (category name, words): offered to be filed separately, or agreed to."""
    if agreed:
        lines = [f"好的，将分开提交为 {len(problems)} 张工单，分别交给各自的部门处理："]
    else:
        lines = [f"您反映了 {len(problems)} 个不同类别的问题："]
    lines += [f"{index}.【{name}】{_short(words, 30)}" for index, (name, words) in enumerate(problems, 1)]
    if place:
        lines.append(f"· 位置：{place}" + (f"（{town_name}）" if town_name and town_name not in place else "")
                     + ("，各工单相同" if agreed else ""))
    if photo_count:
        lines.append(f"· 照片：{photo_count} 张" + ("，每张工单都附上" if agreed else ""))
    if not agreed:
        lines.append("要分开提交吗？每个问题一张工单，由各自的部门处理。\n回复 1 分开提交；回复 2 作为一条反映提交。")
        if missing:
            lines.append("另外还需要：" + "；".join(MISSING_PARTS[part] for part in missing) + "。")
    elif missing:
        lines.append("还需要：" + "；".join(MISSING_PARTS[part] for part in missing) + "。")
    else:
        lines.append("信息已齐全，回复“提交”即可分别生成工单；想合为一条提交请回复 2，回复“取消”可放弃。")
    return "\n".join(lines)


def submitted_separately(*, rows: Sequence[tuple[str, str, str]], town_name: str | None) -> str:
    """rows: (category name, ticket number, what became of it: the department and deadline, or joined)."""
    lines = [f"已受理，感谢您的反映！{len(rows)} 个问题已分别生成工单："]
    lines += [f"{index}.【{name}】{number}：{outcome}" for index, (name, number, outcome) in enumerate(rows, 1)]
    lines.append(f"属地：{town_name or '待指挥部确认'}")
    lines.append("进度有变化会分别通知您，也可回复“查询 编号”查看。")
    return "\n".join(lines)


def separate_outcome(*, department_name: str, deadline_local: datetime, needs_triage: bool) -> str:
    return f"{department_name}" + ("（分派中）" if needs_triage else "") + f"，{when(deadline_local)} 前处理"


SEPARATE_JOINED = "该问题已有 {count} 人反映，正在处理"
SEPARATE_REPEATED = "您已反映过这个问题，正在处理"


# Issue 16, part "ratings": every rating heard, late additions, images without MediaId ---------------------------

ASK_RATING_AGAIN = ("想跟您确认一下：工单 {number} 反映的问题解决了吗？请回复 1 满意　2 基本满意　3 不满意"
                    "（也可以直接说“满意”“还行”“没解决”）。")

YOU_ARE_WELCOME = "不客气！"

RATED_OTHERS_TO_ANSWER = ("感谢您的评价，已记录！同一问题还有其他市民反映，大家都确认后工单 {number} 即办结；"
                          "若有人反映仍未解决，会重新交办。结果会告诉您。")

REASON_NOTED = "已收到您的意见，已记入工单 {number}，区创城指挥部和承办部门都能看到。"

OFFER_ADDITION = ("这是要补充到刚提交的工单 {number} 吗？\n回复 1 补充到该工单（{what}）\n"
                  "回复 2 作为一条新的反映")

ADDITION_MENU_AGAIN = "请回复 1 把它补充到工单 {number}，或回复 2 作为一条新的反映。"

ADDED_TO_TICKET = "已补充到工单 {number}（{what}），承办部门会看到。感谢您的补充！"

PHOTO_UNREADABLE = "这张图片没有收到，请重新发送一次；也可以用文字描述问题。"


def addition_summary(photos: int, words: str) -> str:
    """What a late addition holds, in a few words: 照片 2 张、文字说明."""
    parts = ([f"照片 {photos} 张"] if photos else []) + (["文字说明"] if words.strip() else [])
    return "、".join(parts) or "补充内容"


NUMBERS_READ = "已从照片中识别出号码：{numbers}，将随您的反映一并转交处理部门。"  # after a photo's job (bot/cases/photo_text.py)
PHOTO_PROPOSAL = "这张照片像是【{category}】：照片上有号码 {numbers} 和“{trades}”字样。是这个问题吗？回复 1 是，回复 2 不是；也可以直接用文字说明问题。"
PHOTO_DESCRIPTION = "（据照片）{category}：{text}"  # a photo alone, its category confirmed: the ticket's description
