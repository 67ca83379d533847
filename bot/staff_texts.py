"""Every sentence a staff member reads in WeChat (binding, commands, notices), in one place like bot/texts.py."""
from __future__ import annotations

from collections.abc import Sequence

STAFF_ONLY = ("这是工作人员指令，仅供已绑定微信的工作人员使用。"
              "市民查询工单进度请回复“查询 编号”，反映问题请直接发送文字、照片或位置。")

BIND_USAGE = "请发送工单系统“绑定微信”页面上显示的“绑定 六位数字”，例如：绑定 123456。"
BIND_WRONG = "绑定码不正确或已过期（有效期 {minutes} 分钟，只能用一次）。请在工单系统“绑定微信”页面重新获取。"
BIND_TOO_MANY = "绑定码错误次数过多，请一小时后再试，或联系管理员。"
BIND_OTHER_ACCOUNT = "这个微信已绑定工作人员账号 {username}。如要改绑，请先发送“解绑”。"
BOUND = ("绑定成功：{name}（{department}）。\n以后派给您或本部门的工单、督办和即将到期提醒会发到这里；"
         "回复“帮助”查看工作指令。")
UNBOUND = "已解除绑定：这个微信不再接收工单提醒，也不能再办理工单。需要时可在工单系统重新绑定。"
NOT_BOUND = "这个微信没有绑定工作人员账号。"

HELP = (
    "工作人员指令（{name}，{department}）：\n"
    "“我的待办”——本人和本部门待办的工单，最紧急的在前\n"
    "“详情 编号”——查看工单\n"
    "“接单 编号”——接单处置\n"
    "“退回 编号 理由”——退回指挥部（部门管理员）\n"
    "“办结 编号 说明”——再发一张处置后照片即办结\n"
    "“取消办结”——放弃正在等照片的办结\n"
    "“解绑”——解除微信绑定\n"
    "编号可写成 JY-20261201-0001 或 jy202612010001。其他文字、照片和位置仍按市民反映处理。"
)

USAGE = {
    "accept": "请回复“接单 编号”，例如：接单 JY-20261201-0001。",
    "return": "请回复“退回 编号 理由”，例如：退回 JY-20261201-0001 不属于本部门职责。",
    "resolve": "请回复“办结 编号 说明”，例如：办结 JY-20261201-0001 已劝离摊贩、清理路面。然后发一张处置后照片。",
    "detail": "请回复“详情 编号”，例如：详情 JY-20261201-0001。",
}
NOT_FOUND = "没有找到您可以办理的编号为 {number} 的工单，请核对编号。回复“我的待办”查看待办工单。"
REFUSED = "未能{label}（{number}）：{reason}"
DONE = "已{label}：{number}。"
ACCEPTED = "已接单：{number}，由您承办。处置时限：{deadline}。办完后回复“办结 {number} 说明”，再发处置后照片。"
RETURNED = "已退回指挥部：{number}。理由：{reason}"
RESOLVE_WAITING = ("请在 {minutes} 分钟内发送一张处置后照片，收到照片即办结 {number}。"
                   "说明：{note}\n回复“取消办结”可放弃。")
RESOLVE_CANCELLED = "已取消办结 {number}，工单状态不变。"
NO_RESOLVE_WAITING = "当前没有等待照片的办结。"
PHOTO_RECEIVED = "照片已收到，正在办结 {number}，完成后告诉您。"
PHOTO_STILL_WORKING = "上一张照片还在处理中，请稍候；办结结果会发给您。"
RESOLVED = "已办结 {number}：处置完成，等待核查。市民会收到处理结果和您的处置后照片。"
RESOLVE_REFUSED = "未能办结 {number}：{reason}"
PHOTO_FAILED = "处置后照片未能保存（{reason}），{number} 尚未办结。请重新发送一张照片。"

NO_TODO = "您和本部门目前没有待办工单。"
TODO_MORE = "……另有 {count} 张，请登录工单系统查看。"
TODO_FOOTER = "回复“详情 编号”查看，“接单 编号”接单，“办结 编号 说明”办结。"

NOTICE_TITLES = {
    "dispatched": "【新工单】{department}收到派遣",
    "assigned": "【指派】工单已指派给您",
    "urged": "【督办】指挥部督办",
    "due_soon": "【即将到期】请抓紧处置",
    "reopened": "【重开】问题未解决，请重新处置",
    "co_handler": "【协办】指挥部请贵单位协办",
}
NOTICE_HINTS = {
    "dispatched": "回复“接单 {number}”接单，“详情 {number}”查看。",
    "assigned": "回复“接单 {number}”接单，“详情 {number}”查看。",
    "urged": "回复“详情 {number}”查看。",
    "due_soon": "办完后回复“办结 {number} 说明”，再发处置后照片。",
    "reopened": "回复“接单 {number}”重新处置，“详情 {number}”查看。",
    "co_handler": "牵头单位：{department}。回复“详情 {number}”查看。",
}


def notice(kind: str, *, number: str, department: str, category: str, place: str, description: str,
           deadline: str, note: str) -> str:
    """A staff notice: what happened, the ticket in brief, and what they can answer."""
    lines = [NOTICE_TITLES[kind].format(department=department), f"编号：{number}", f"类别：【{category}】"]
    note_label = {"urged": "督办意见", "reopened": "重开原因"}.get(kind, "说明")
    if place:
        lines.append(f"地点：{place}")
    lines.append(f"问题：{description[:80]}")
    if note:
        lines.append(f"{note_label}：{note}")
    lines.append(f"处置时限：{deadline}")
    lines.append(NOTICE_HINTS[kind].format(number=number, department=department))
    return "\n".join(lines)


def todo(rows: Sequence[tuple[str, str, str, str, Sequence[str]]], more: int) -> str:
    """我的待办: (number, category, status, deadline, marks) per ticket, the most urgent first."""
    lines = [f"我的待办（{len(rows) + more}）："]
    for position, (number, category, status, deadline, marks) in enumerate(rows, 1):
        flags = "".join(f" · {mark}" for mark in marks)
        lines.append(f"{position}. {number}【{category}】{status} · {deadline}前{flags}")
    if more:
        lines.append(TODO_MORE.format(count=more))
    lines.append(TODO_FOOTER)
    return "\n".join(lines)


def detail(*, number: str, category: str, status: str, assignee: str, town: str, place: str, description: str,
           deadline: str, marks: Sequence[str], photos: int, latest: Sequence[str], actions: Sequence[str]) -> str:
    lines = [f"{number}【{category}】", f"状态：{status}" + (f"（承办人：{assignee}）" if assignee else "")]
    lines.append(f"属地：{town}" + (f" · 地点：{place}" if place else ""))
    lines.append(f"问题：{description[:150]}")
    lines.append(f"处置时限：{deadline}" + "".join(f"（{mark}）" for mark in marks))
    if photos:
        lines.append(f"照片：{photos} 张（请在工单系统查看）")
    if latest:
        lines.append("最近：" + "；".join(latest))
    if actions:
        lines.append("可用指令：" + "、".join(actions))
    return "\n".join(lines)


PHOTO_PROBLEMS = {"too_large": "照片超过{megabytes}MB", "too_many_pixels": "照片尺寸过大", "not_image": "不是图片",
                  "format": "图片格式不支持", "broken": "照片已损坏"}


def photo_problem(reason: str, *, max_bytes: int) -> str:
    return PHOTO_PROBLEMS.get(reason, PHOTO_PROBLEMS["broken"]).format(megabytes=max_bytes // (1024 * 1024))
