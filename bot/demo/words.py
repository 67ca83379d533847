"""What the demo's residents write and what its clerks note: report texts per category and place, and staff words."""
from __future__ import annotations

import random

# How often each category is reported (relative weights), and what residents say about it.
CATEGORY_WEIGHTS = {
    "street_vending": 14, "sanitation": 14, "traffic_disorder": 12, "public_facility": 9, "illegal_ads": 8,
    "construction_site": 6, "shopfront_duty": 6, "noise": 6, "dust_pollution": 5, "uncivil_conduct": 5,
    "illegal_construction": 4, "public_toilet": 4, "other": 4, "waterway": 3,
}

PROBLEMS = {
    "street_vending": [
        "有人摆摊卖水果，三轮车把半条路都占了", "早市的摊贩把人行道全占了，行人只能走机动车道",
        "烧烤摊把桌子摆到了马路上，晚上油烟大还堵路", "流动摊贩推着小车卖烤红薯，堵在路口",
        "卖菜的小摊一溜摆在路边，地上全是烂菜叶", "有人在公交站台旁边摆地摊卖衣服",
    ],
    "sanitation": [
        "垃圾桶满了好几天没人清运，味道很大", "路边堆了一大堆生活垃圾，苍蝇乱飞",
        "绿化带里全是塑料袋和饭盒，没人打扫", "有人把装修垃圾倒在路边空地上",
        "垃圾站周围污水横流，臭气熏天",
    ],
    "illegal_ads": [
        "电线杆和墙上贴满了小广告，通下水的、开锁的都有", "楼道里被人喷涂了开锁电话，刚刷的墙又脏了",
        "公交站牌上贴满了牛皮癣小广告", "变电箱上乱贴乱画，小广告一层叠一层",
    ],
    "construction_site": [
        "工地半夜还在施工，搅拌机响到凌晨两点", "工地出口的渣土车带泥上路，路面全是泥",
        "工地围挡倒了一半也没人管，小孩容易进去", "在建工地夜间施工扰民，打桩声音特别大",
    ],
    "dust_pollution": [
        "拆迁工地扬尘很大，没有洒水也没盖防尘网", "裸露的土堆没有苫盖，一刮风满天都是灰",
        "路边有人焚烧垃圾，黑烟很呛人", "渣土车没有密闭，一路撒土，扬尘严重",
    ],
    "traffic_disorder": [
        "人行道上停满了车，行人只能走马路", "路口大货车乱停，挡住了视线很危险",
        "共享单车堆在盲道上，盲道全被堵死了", "有车长期占用消防通道停放",
        "早晚高峰电动车逆行很多，差点撞到人",
    ],
    "illegal_construction": [
        "有人在楼顶私自加盖彩钢房", "一楼住户把院子围起来私搭乱建，占了公共绿地",
        "路边有人违规搭建铁皮棚子做仓库", "有户人家在耕地上盖房子，正在打地基",
    ],
    "public_toilet": [
        "公厕里面很脏，好几天没人打扫了", "公共厕所的水龙头坏了，洗手池一直漏水",
        "公厕晚上锁门，附近的人都没地方上", "公厕冲水坏了，味道特别大",
    ],
    "waterway": [
        "河道里漂着很多垃圾和死鱼，水发黑发臭", "有人往河里倒污水，河水颜色都变了",
        "河边堆了不少建筑垃圾，快堵住河道了", "水渠里的水又黑又臭，蚊子特别多",
    ],
    "public_facility": [
        "路灯坏了好几盏，晚上黑漆漆的不安全", "井盖丢了，就拿个树枝插着，很危险",
        "路面塌了一个大坑，电动车差点摔倒", "下雨后路口积水很深，排水不畅",
        "健身器材坏了，螺丝都松了，老人孩子用着很危险", "路边的护栏被撞倒了一直没修",
    ],
    "shopfront_duty": [
        "饭店把泔水桶放在门口，污水流到人行道上", "商户把货物摆到店门外，占了大半个人行道",
        "修车铺在门口洗车修车，地上全是油污", "店门口的垃圾和纸箱堆着没人收拾",
    ],
    "noise": [
        "广场舞音响声音太大，每天晚上跳到十点多", "商店门口大喇叭循环叫卖，吵得人头疼",
        "KTV半夜还在唱歌，噪音扰民", "楼下饭馆的排风机噪声很大，晚上睡不着",
    ],
    "uncivil_conduct": [
        "有人遛狗不牵绳，狗还在草坪上随地大小便", "有人在公园里乱摘花，还踩踏草坪",
        "有人在健身广场上晾晒衣服被子", "有人在绿地里开荒种菜，还浇粪水",
    ],
    "other": [
        "的小区物业不作为，楼道灯坏了一个月也不修", "的超市在卖过期的牛奶，店员还不承认",
        "有人冒充工作人员上门推销净水器", "一带三天两头停水，也不提前通知",
    ],
}
# HQ gives a report outside every category to the department nearest to it.
OTHER_DEPARTMENTS = ("civilisation_office", "urban_mgmt", "housing_construction")

# Where on the place the problem is; how residents begin and end.
SPOTS = ("门口", "路口", "附近", "东侧路边", "西口", "北边的巷子里", "旁边的空地上", "公交站旁", "十字路口",
         "菜市场旁边", "南门外")
OPENERS = ("", "", "", "", "您好，", "你好，反映个问题：", "麻烦管一下，", "再次反映，", "请问有人管吗？")
TAILS = ("", "", "。", "，希望尽快处理。", "，已经好几天了。", "，每天都是这样。", "，麻烦派人来看看。",
         "，影响很不好。", "！", "，谢谢。", "，附近居民意见很大。")
VAGUE = ("我家楼下", "小区门口", "单位门口", "我们村口", "这条街上")

# Reports that the moderation lists hold for HQ's review: (category, words, spam). HQ rejects the spam and
# registers the rest, since a rude or ad-laden message can still report a real problem.
HELD_REPORTS = (
    ("illegal_ads", "小区门口又贴满了办证、贷款的小广告，上面还写着加微信，太影响市容了", False),
    ("other", "兼职日结，加vx了解详情，日赚三百", True),
    ("public_facility", "路灯坏了一个月没人管，你们这帮废物政府还干不干活", False),
    ("other", "点击链接免费领取补贴 www.lingbutie.top", True),
)


def report_words(rng: random.Random, category: str, place: str) -> str:
    """One resident's message: the problem at a place (or somewhere vague when they shared their location)."""
    where = f"{place}{rng.choice(SPOTS)}" if place else rng.choice(VAGUE)
    text = f"{rng.choice(OPENERS)}{where}{rng.choice(PROBLEMS[category])}{rng.choice(TAILS)}"
    return text


# What staff write at each step.
ACCEPT_NOTES = ("", "", "收到，马上安排", "已安排人员前往")
ASSIGN_NOTES = ("请尽快到现场处置", "请今天内处理完并拍照反馈", "")
NOTES = ("已联系属地社区配合处理", "已安排执法队员到现场核实", "当事人已口头承诺整改，明日复查", "已拍照取证",
         "需与产权单位对接，已电话联系")
REPLIES = ("您反映的问题已收到，我们正在协调处理，请耐心等待。", "已安排人员前往现场核实，感谢您的监督。")
RESOLVE_NOTES = ("已到现场处置完毕", "现场已整改到位，已拍照留存", "已责令当事人整改，复查合格",
                 "已组织人员清理，现场恢复整洁")
RETURN_REASON = "经现场核实，该问题属于{department}职责范围，申请退回重新派遣"
RETURN_ACCEPTED = "同意退回，改派{department}办理"
RETURN_REFUSED = "经核实属你单位职责，退回理由不成立，请按时办理"
REASSIGN = "经协调，改由{department}承办"
EXTENSION_REASONS = ("需协调产权单位共同处置，申请延期", "需采购配件，预计三个工作日内到货",
                     "涉及多个部门，需联合执法，申请延期", "降雨天气无法施工，申请顺延",
                     "当事人外出联系不上，需进一步核查")
LONG_TERM_REASONS = ("需纳入明年改造计划，申请挂账", "涉及历史遗留问题，需区政府协调，申请挂账")
GRANTS = ("同意，请在新时限内办结", "同意，请做好与市民的沟通解释")
REFUSALS = ("该问题可在时限内处置，不同意延期，请抓紧办理", "理由不充分，请按原时限办结")
URGES = ("该件已超期，请立即处置并反馈结果", "市民多次反映，请加快办理", "请主要负责同志亲自督办，今日内办结")
URGENT = "涉及安全隐患，请优先处置"
CO_HANDLING = "涉及属地管理，请配合主办单位处置"
RECATEGORISED = "经核实类别有误，予以更正"
TOWN_CHANGED = "经与市民电话核实，位置在{town}"
RELOCATED = "根据现场核实更正位置"
DEADLINE_CHANGED = "结合现场施工条件，调整处置期限"
REJECTIONS = ("不属于城市管理范围，已告知市民通过12345热线反映", "信息不完整，无法核实具体位置")
SPAM_REJECTION = "广告信息，不予受理"
HELD_ACCEPTED = "经审核为有效反映，予以立案"
UNHAPPY = ("根本没处理，今天又是老样子", "只是拍了个照就走了，问题还在", "处理得不彻底，过两天又这样了",
           "来的人态度很差，问题也没解决")
HQ_REOPEN = "经现场核查，问题仍未整改到位，重新办理"
HQ_VERIFIED = "指挥部现场核查通过"
HQ_REVIEWED = "经复核，处置结果符合要求，予以结案"
DEFAULT_REPLY = "您反映的问题已处理完毕，感谢您对创城工作的支持。"

# The demo's named staff: (username part, display name); each department gets three, the first its admin.
PEOPLE = (
    ("wangwei", "王伟"), ("lina", "李娜"), ("zhangmin", "张敏"), ("liuyang", "刘洋"), ("chenjing", "陈静"),
    ("yangfan", "杨帆"), ("zhaolei", "赵磊"), ("huangli", "黄丽"), ("zhoujie", "周杰"), ("wuxia", "吴霞"),
    ("xuqiang", "徐强"), ("sunli", "孙丽"), ("majun", "马骏"), ("zhuhong", "朱红"), ("hulin", "胡琳"),
    ("guoqiang", "郭强"), ("helan", "何兰"), ("gaopeng", "高鹏"), ("linfang", "林芳"), ("luobin", "罗斌"),
    ("zhengyu", "郑宇"), ("liangchen", "梁晨"), ("songjia", "宋佳"), ("tangkai", "唐凯"),
)
