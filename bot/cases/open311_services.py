"""The categories as Open311 services: the questions (attributes) a service asks besides the description, and the
check of a request's answers to them."""
from __future__ import annotations

from dataclasses import dataclass

from bot.catalogue.snapshot import CatalogueSnapshot

STRING, NUMBER, TEXT, SINGLE, MULTI = "string", "number", "text", "singlevaluelist", "multivaluelist"
YES_NO = (("yes", "是"), ("no", "否"))
MAX_ANSWER = 200


class AttributeRefused(ValueError):
    """An answer is missing or not one the attribute allows; the message says which, in Chinese."""


@dataclass(frozen=True)
class Attribute:
    code: str
    description: str                     # the question a client shows its user
    datatype: str
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()
    datatype_description: str = ""

    def answer_text(self, answers: list[str]) -> str:
        """The answer as staff read it: the list's names for its keys."""
        names = dict(self.values)
        return "、".join(names.get(answer, answer) for answer in answers)


BLOCKING = Attribute("blocking_road", "是否占用车道、妨碍通行", SINGLE, values=YES_NO)
# The categories whose reports these questions help: a flyer's number goes to the 停机 list, a blocked road is urgent.
ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "illegal_ads": (Attribute("flyer_phone", "小广告上印的电话号码（如有）", STRING,
                              datatype_description="电话号码，如 138 0000 0000"),),
    "street_vending": (BLOCKING,),
    "traffic_disorder": (BLOCKING,),
    "construction_site": (BLOCKING,),
    "public_facility": (Attribute("facility", "哪一类设施", SINGLE, values=(
        ("street_light", "路灯"), ("manhole", "井盖"), ("road", "道路破损"), ("other", "其他设施"))),),
}


def attributes_of(code: str) -> tuple[Attribute, ...]:
    return ATTRIBUTES.get(code, ())


def service_group(catalogue: CatalogueSnapshot, code: str) -> str:
    """The service's group: the department that leads its cases."""
    lead = catalogue.routing.lead_by_category.get(code, "")
    return catalogue.routing.department_names.get(lead, "")


def checked_answers(code: str, given: dict[str, list[str]]) -> tuple[list[tuple[Attribute, list[str]]], dict[str, str]]:
    """The answers to the service's attributes, checked; and the answers to codes it does not ask (a client's own
    fields, such as FixMyStreet's), kept as words for staff. Raises AttributeRefused."""
    ours = {attribute.code: attribute for attribute in attributes_of(code)}
    answered: list[tuple[Attribute, list[str]]] = []
    for attribute in ours.values():
        answers = [answer.strip() for answer in given.get(attribute.code, []) if answer.strip()]
        if not answers:
            if attribute.required:
                raise AttributeRefused(f"缺少必填属性 attribute[{attribute.code}]（{attribute.description}）")
            continue
        if any(len(answer) > MAX_ANSWER for answer in answers):
            raise AttributeRefused(f"属性 attribute[{attribute.code}] 过长（不超过 {MAX_ANSWER} 字）")
        if attribute.datatype in (SINGLE, MULTI):
            allowed = {key for key, _ in attribute.values}
            wrong = [answer for answer in answers if answer not in allowed]
            if wrong or (attribute.datatype == SINGLE and len(answers) > 1):
                raise AttributeRefused(f"属性 attribute[{attribute.code}] 的值不正确，可用的值："
                                       + "、".join(sorted(allowed)))
        answered.append((attribute, answers))
    others = {name: "、".join(values)[:MAX_ANSWER] for name, values in given.items()
              if name not in ours and any(value.strip() for value in values)}
    return answered, others
